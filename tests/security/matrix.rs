//! Who may do what (API.md), cell by cell: every endpoint × every role, at the dossier's own
//! offices and at others, plus anonymous callers. Staff see the dossiers their office received,
//! holds or held a step of, and nothing else exists for them (404, never 403); a permitted read
//! with a forbidden action is 403; supervisors act for their office and the offices below it.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Backend, Resp, STAFF_PASSWORD, TestApp};

/// The one-stop office H with its agencies H.A and H.B, and X, an unrelated office.
const OFFICES: [(&str, Option<&str>); 4] = [
    ("H", None),
    ("H.A", Some("H")),
    ("H.B", Some("H")),
    ("X", None),
];
const ID_NUMBER: &str = "079123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    Admin,
    /// Clerk at H, the office that received the main dossier.
    ClerkH,
    /// Clerk at H.A, the agency that holds it: may read, did not receive it.
    ClerkHA,
    ClerkX,
    /// Officer at H: may read (H received it), H does not hold it.
    OfficerH,
    /// Officer at H.A, the responsible agency.
    OfficerHA,
    OfficerX,
    /// Supervisor at H: H.A is below H.
    SupervisorH,
    SupervisorHA,
    /// Supervisor at H.B, a sibling of the holder: not above it.
    SupervisorHB,
    SupervisorX,
}

use Who::*;

impl Who {
    const ALL: [Who; 12] = [
        Anonymous,
        Admin,
        ClerkH,
        ClerkHA,
        ClerkX,
        OfficerH,
        OfficerHA,
        OfficerX,
        SupervisorH,
        SupervisorHA,
        SupervisorHB,
        SupervisorX,
    ];

    /// (username, role, office) of staff; the admin is the harness's own.
    fn account(self) -> Option<(&'static str, &'static str, &'static str)> {
        Some(match self {
            Anonymous | Admin => return None,
            ClerkH => ("clerk.h", "clerk", "H"),
            ClerkHA => ("clerk.ha", "clerk", "H.A"),
            ClerkX => ("clerk.x", "clerk", "X"),
            OfficerH => ("officer.h", "officer", "H"),
            OfficerHA => ("officer.ha", "officer", "H.A"),
            OfficerX => ("officer.x", "officer", "X"),
            SupervisorH => ("supervisor.h", "supervisor", "H"),
            SupervisorHA => ("supervisor.ha", "supervisor", "H.A"),
            SupervisorHB => ("supervisor.hb", "supervisor", "H.B"),
            SupervisorX => ("supervisor.x", "supervisor", "X"),
        })
    }

    fn is_clerk(self) -> bool {
        matches!(self, ClerkH | ClerkHA | ClerkX)
    }

    fn is_supervisor(self) -> bool {
        matches!(
            self,
            SupervisorH | SupervisorHA | SupervisorHB | SupervisorX
        )
    }

    /// Whether the main dossier (received at H, held by H.A) exists for them.
    fn sees_main(self) -> bool {
        matches!(
            self,
            Admin | ClerkH | ClerkHA | OfficerH | OfficerHA | SupervisorH | SupervisorHA
        )
    }

    /// Whether the letters list shows the main dossier's letter (responsible H.A, received at H).
    fn lists_main_letter(self) -> bool {
        matches!(self, Admin | SupervisorH | SupervisorHA)
    }
}

const CLERK_ACTIONS: [&str; 8] = [
    "reject",
    "withdraw",
    "request-supplement",
    "supplement-received",
    "request-payment",
    "payment-received",
    "transfer",
    "return-result",
];
const OFFICER_ACTIONS: [&str; 8] = [
    "transfer",
    "request-supplement",
    "supplement-received",
    "request-payment",
    "payment-received",
    "reschedule",
    "resolve",
    "stop",
];
const ACTIONS: [&str; 11] = [
    "transfer",
    "request-supplement",
    "supplement-received",
    "request-payment",
    "payment-received",
    "reschedule",
    "resolve",
    "return-result",
    "reject",
    "withdraw",
    "stop",
];

/// The status each caller expects from one request.
type Rule = Box<dyn Fn(Who) -> u16>;

/// The answer every cell expects: a status, and for errors the problem's code.
fn code_of(status: u16) -> &'static str {
    match status {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "invalid_transition",
        422 => "validation_failed",
        _ => "",
    }
}

struct World {
    app: TestApp,
    tokens: HashMap<Who, String>,
    /// Received at H by its clerk, transferred to H.A, rescheduled there (one apology letter).
    main: String,
    letter: i64,
    failures: Vec<String>,
    cells: usize,
}

impl World {
    async fn call(&self, who: Who, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.app
            .request(
                method,
                path,
                self.tokens.get(&who).map(String::as_str),
                body,
            )
            .await
    }

    /// Records whether the answer is the expected status (and, for errors, problem+json with the
    /// expected code); returns whether it was.
    fn expect(&mut self, what: &str, who: Who, r: &Resp, status: u16) -> bool {
        self.cells += 1;
        let mut ok = r.status.as_u16() == status;
        if ok && status >= 400 {
            ok = r.header("content-type") == Some("application/problem+json")
                && r.body["code"] == code_of(status);
        }
        if !ok {
            let shown: String = r.text.chars().take(300).collect();
            self.failures.push(format!(
                "{what} as {who:?}: expected {status}, got {} {shown}",
                r.status
            ));
        }
        ok
    }

    fn fail(&mut self, message: String) {
        self.failures.push(message);
    }

    /// A dossier received at H (by the admin) and brought to `status`, held by H.A when `held`.
    async fn fresh(&self, held: bool, status: &str) -> String {
        let admin = self.tokens[&Admin].clone();
        let r = self
            .app
            .post("/api/v1/dossiers", &admin, receipt(Some("H")))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let code = r.body["code"].as_str().unwrap().to_owned();
        let mut steps: Vec<(&str, Value)> = Vec::new();
        if held {
            steps.push(("transfer", json!({"to_office_code": "H.A"})));
        }
        match status {
            "received" | "processing" => {}
            "awaiting_supplement" => {
                steps.push(("request-supplement", body_of("request-supplement", held)))
            }
            "awaiting_payment" => steps.push(("request-payment", body_of("request-payment", held))),
            "resolved" => steps.push(("resolve", body_of("resolve", held))),
            other => panic!("no preparation for {other}"),
        }
        for (action, body) in steps {
            let r = self
                .app
                .post(&format!("/api/v1/dossiers/{code}/{action}"), &admin, body)
                .await;
            assert_eq!(r.status, 200, "preparing {status}: {action}: {}", r.text);
        }
        code
    }
}

fn receipt(office: Option<&str>) -> Value {
    json!({"procedure_code": "P10", "channel": "counter", "office_code": office,
           "applicant": {"full_name": "Nguyễn Văn An", "id_number": ID_NUMBER}})
}

/// A valid body for the action on a dossier held by H (`held` false) or by H.A.
fn body_of(action: &str, held: bool) -> Value {
    match action {
        "transfer" => json!({"to_office_code": if held { "H.B" } else { "H.A" }}),
        "request-supplement" => json!({"items": ["Bản sao sổ đỏ"], "reason": "Thiếu giấy tờ"}),
        "request-payment" => json!({"amount": 100000}),
        "reschedule" => {
            let later = chrono::Utc::now() + chrono::Duration::days(120);
            json!({"reason": "Cần xác minh thực địa", "new_due_at": later.to_rfc3339()})
        }
        "resolve" => json!({"outcome": "approved"}),
        "reject" | "withdraw" | "stop" => json!({"reason": "Theo đề nghị"}),
        _ => json!({}),
    }
}

/// What the action needs to be allowed, and where it leads: (status before, status after).
fn transition(action: &str, held: bool) -> (&'static str, &'static str) {
    let open = if held { "processing" } else { "received" };
    match action {
        "transfer" => (open, "processing"),
        "request-supplement" => (open, "awaiting_supplement"),
        "supplement-received" => ("awaiting_supplement", open),
        "request-payment" => (open, "awaiting_payment"),
        "payment-received" => ("awaiting_payment", open),
        "reschedule" => (open, open),
        "resolve" => (open, "resolved"),
        "return-result" => ("resolved", "returned"),
        "reject" => ("received", "rejected"),
        "withdraw" => (open, "withdrawn"),
        "stop" => (open, "stopped"),
        other => panic!("unknown action {other}"),
    }
}

/// The expected answer to `action` on the main dossier.
fn action_cell(who: Who, action: &str) -> u16 {
    match who {
        Anonymous => 401,
        Admin => 200,
        ClerkX | OfficerX | SupervisorX | SupervisorHB => 404,
        ClerkH if CLERK_ACTIONS.contains(&action) => 200,
        OfficerHA | SupervisorH | SupervisorHA if OFFICER_ACTIONS.contains(&action) => 200,
        ClerkH | ClerkHA | OfficerH | OfficerHA | SupervisorH | SupervisorHA => 403,
    }
}

async fn setup(backend: Backend) -> World {
    // Every role tries each public endpoint from one address: a budget that lasts the matrix.
    let app = TestApp::spawn_with(backend, |s| s.public.lookup_per_minute = 120).await;
    for (code, parent) in OFFICES {
        app.office(code, parent).await;
    }
    app.procedure("P10", "H", 10, "working_days").await;
    let mut tokens = HashMap::new();
    tokens.insert(Admin, app.admin_token.clone());
    for who in Who::ALL {
        if let Some((username, role, office)) = who.account() {
            tokens.insert(who, app.staff(username, role, office).await);
        }
    }
    let r = app
        .post("/api/v1/dossiers", &tokens[&ClerkH], receipt(None))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let main = r.body["code"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/dossiers/{main}/transfer"),
            &tokens[&ClerkH],
            body_of("transfer", false),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .post(
            &format!("/api/v1/dossiers/{main}/reschedule"),
            &tokens[&OfficerHA],
            body_of("reschedule", true),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .get(
            &format!("/api/v1/dossiers/{main}/apology-letters"),
            &tokens[&Admin],
        )
        .await;
    let letter = r.body["items"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a letter: {}", r.text));
    World {
        app,
        tokens,
        main,
        letter,
        failures: Vec::new(),
        cells: 0,
    }
}

async fn every_endpoint_for_every_role_at_every_office(backend: Backend) {
    let mut w = setup(backend).await;
    let main = w.main.clone();
    let letter = w.letter;
    let staff = |who: Who| if who == Anonymous { 401 } else { 200 };
    let in_scope = |who: Who| match who {
        Anonymous => 401,
        x if x.sees_main() => 200,
        _ => 404,
    };
    let reports = |who: Who| match who {
        Anonymous => 401,
        Admin => 200,
        x if x.is_supervisor() => 200,
        _ => 403,
    };
    let anyone = |_: Who| 200;
    let admin_only = |who: Who| match who {
        Anonymous => 401,
        Admin => 200,
        _ => 403,
    };

    // Reads.
    let reads: Vec<(String, Rule)> = vec![
        ("/healthz".into(), Box::new(anyone)),
        ("/readyz".into(), Box::new(anyone)),
        ("/api/v1/me".into(), Box::new(staff)),
        ("/api/v1/offices".into(), Box::new(staff)),
        ("/api/v1/offices/X".into(), Box::new(staff)),
        ("/api/v1/procedures".into(), Box::new(staff)),
        ("/api/v1/procedures/P10".into(), Box::new(staff)),
        ("/api/v1/procedures/P10/versions".into(), Box::new(staff)),
        // Staff accounts: the admin only.
        ("/api/v1/users".into(), Box::new(admin_only)),
        ("/api/v1/users?office=X&role=clerk&active=true".into(), Box::new(admin_only)),
        ("/api/v1/users/clerk.x".into(), Box::new(admin_only)),
        ("/api/v1/users/clerk.x/changes".into(), Box::new(admin_only)),
        ("/api/v1/calendar/days?from=2027-02-01&to=2027-02-28".into(), Box::new(staff)),
        ("/api/v1/calendar/deadline?start=2027-02-04T09:00:00%2B07:00&amount=3&unit=working_days".into(), Box::new(staff)),
        ("/api/v1/calendar/changes".into(), Box::new(reports)),
        ("/api/v1/dossiers".into(), Box::new(staff)),
        (format!("/api/v1/dossiers/{main}"), Box::new(in_scope)),
        (format!("/api/v1/dossiers/{main}/events"), Box::new(in_scope)),
        (format!("/api/v1/dossiers/{main}/apology-letters"), Box::new(in_scope)),
        (format!("/api/v1/dossiers/{main}/complaints"), Box::new(in_scope)),
        ("/api/v1/complaints".into(), Box::new(staff)),
        ("/api/v1/complaints?overdue=true&format=csv".into(), Box::new(staff)),
        // The complaints of an office outside the caller's own.
        ("/api/v1/complaints?office=X".into(), Box::new(|who| match who {
            Anonymous => 401,
            Admin | ClerkX | OfficerX | SupervisorX => 200,
            _ => 403,
        })),
        (format!("/api/v1/apology-letters/{letter}/document"), Box::new(in_scope)),
        (format!("/api/v1/apology-letters/{letter}/document?format=pdf"), Box::new(in_scope)),
        (format!("/api/v1/dossiers/{main}/forms/receipt"), Box::new(in_scope)),
        (format!("/api/v1/dossiers/{main}/forms/receipt?format=pdf"), Box::new(in_scope)),
        (format!("/api/v1/dossiers/{main}/forms/control-slip"), Box::new(in_scope)),
        // The register of H: supervisors above H, and the admin.
        ("/api/v1/reports/register?office=H&from=2026-01-01&to=2026-12-31".into(), Box::new(|who| match who {
            Anonymous => 401,
            Admin | SupervisorH => 200,
            _ => 403,
        })),
        ("/api/v1/apology-letters".into(), Box::new(reports)),
        ("/api/v1/reports/overdue".into(), Box::new(reports)),
        ("/api/v1/reports/summary?from=2026-01-01&to=2026-12-31&group_by=office".into(), Box::new(reports)),
        ("/api/v1/reports/steps?from=2026-01-01&to=2026-12-31".into(), Box::new(reports)),
        ("/api/v1/reports/fees?from=2026-01-01&to=2026-12-31".into(), Box::new(reports)),
        ("/api/v1/reports/scorecard?from=2026-01-01&to=2026-12-31".into(), Box::new(reports)),
        ("/api/v1/reports/scorecard/dossiers?from=2026-01-01&to=2026-12-31&indicator=progress".into(), Box::new(reports)),
        ("/api/v1/reports/scorecard?from=2026-01-01&to=2026-12-31&office=X".into(), Box::new(|who| match who {
            Anonymous => 401,
            Admin | SupervisorX => 200,
            _ => 403,
        })),
        ("/api/v1/reports/satisfaction?from=2026-01-01&to=2026-12-31".into(), Box::new(reports)),
        ("/api/v1/reports/satisfaction?from=2026-01-01&to=2026-12-31&format=csv".into(), Box::new(reports)),
        // A report filtered to an office outside the supervisor's own.
        ("/api/v1/reports/overdue?office=X".into(), Box::new(|who| match who {
            Anonymous => 401,
            Admin | SupervisorX => 200,
            _ => 403,
        })),
        (format!("/api/v1/public/dossiers/{main}?id_number={ID_NUMBER}"), Box::new(anyone)),
        (format!("/api/v1/public/dossiers/{main}?id_number=079000000000"), Box::new(|_| 404)),
        // A rating link never issued: the same 404 for everyone, signed in or not.
        ("/api/v1/public/ratings/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(), Box::new(|_| 404)),
        // A dossier that does not exist answers like one that is out of scope.
        ("/api/v1/dossiers/H-270101-9999".into(), Box::new(|who| if who == Anonymous { 401 } else { 404 })),
    ];
    for who in Who::ALL {
        for (path, expected) in &reads {
            let r = w.call(who, Method::GET, path, None).await;
            if !w.expect(&format!("GET {path}"), who, &r, expected(who)) || r.status != 200 {
                continue;
            }
            // What a permitted read shows is scoped too.
            if path == "/api/v1/dossiers" {
                let listed = r.body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["code"] == main.as_str());
                if listed != who.sees_main() {
                    w.fail(format!(
                        "GET /api/v1/dossiers as {who:?} lists the main dossier: {listed}"
                    ));
                }
            }
            if path == "/api/v1/apology-letters" {
                let listed = r.body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| l["id"] == letter);
                if listed != who.lists_main_letter() {
                    w.fail(format!(
                        "GET /api/v1/apology-letters as {who:?} lists the letter: {listed}"
                    ));
                }
            }
            if path == "/api/v1/me" {
                let name = who.account().map(|a| a.0).unwrap_or("admin");
                if r.body["username"] != name {
                    w.fail(format!("GET /api/v1/me as {who:?}: {}", r.text));
                }
            }
        }
    }
    // Out of scope and non-existent are indistinguishable, so codes cannot be probed.
    let hidden = w
        .call(
            ClerkX,
            Method::GET,
            &format!("/api/v1/dossiers/{main}"),
            None,
        )
        .await;
    let missing = w
        .call(ClerkX, Method::GET, "/api/v1/dossiers/H-270101-9999", None)
        .await;
    if hidden.text != missing.text {
        w.fail(format!(
            "an out-of-scope dossier ({}) differs from a missing one ({})",
            hidden.text, missing.text
        ));
    }

    // Answering a complaint about the main dossier (H.A answers it): the agency's officer, the
    // supervisors over it, the admin; others who read the dossier 403; the rest 404.
    for who in Who::ALL {
        let filed = w
            .call(
                Anonymous,
                Method::POST,
                &format!("/api/v1/public/dossiers/{main}/complaints?id_number={ID_NUMBER}"),
                Some(json!({"kind": "complaint", "text": "Chậm"})),
            )
            .await;
        if !w.expect(
            "POST /api/v1/public/dossiers/{code}/complaints",
            Anonymous,
            &filed,
            201,
        ) {
            continue;
        }
        let id = filed.body["id"].as_i64().unwrap_or_default();
        let r = w
            .call(
                who,
                Method::POST,
                &format!("/api/v1/complaints/{id}/answer"),
                Some(json!({"answer": "Đã xử lý"})),
            )
            .await;
        let expected = match who {
            Anonymous => 401,
            Admin | OfficerHA | SupervisorH | SupervisorHA => 200,
            x if x.sees_main() => 403,
            _ => 404,
        };
        w.expect("POST /api/v1/complaints/{id}/answer", who, &r, expected);
    }

    // Signing in: anyone with an account; nobody without.
    for who in Who::ALL {
        let (username, password) = match who.account() {
            Some((u, ..)) => (u, STAFF_PASSWORD),
            None if who == Admin => ("admin", crate::common::ADMIN_PASSWORD),
            None => ("nobody", "not-a-password-at-all"),
        };
        let r = w
            .call(
                Anonymous,
                Method::POST,
                "/api/v1/auth/token",
                Some(json!({"username": username, "password": password})),
            )
            .await;
        w.expect(
            "POST /api/v1/auth/token",
            who,
            &r,
            if who == Anonymous { 401 } else { 200 },
        );
    }

    // Administration: the admin only. Refusals first, and they change nothing.
    let before = w.app.snapshot().await;
    let admin_writes = |i: usize| -> Vec<(Method, String, Option<Value>, u16)> {
        vec![
            (
                Method::POST,
                "/api/v1/users".into(),
                Some(
                    json!({"username": format!("new.user{i}"), "password": "a-long-new-password",
                "role": "clerk", "office_code": "H"}),
                ),
                201,
            ),
            (
                Method::POST,
                "/api/v1/offices".into(),
                Some(json!({"code": format!("N{i}"), "name": "Văn phòng mới", "parent_code": "H"})),
                201,
            ),
            (
                Method::POST,
                "/api/v1/procedures".into(),
                Some(
                    json!({"code": format!("N.{i}"), "name": "Thủ tục mới", "field": "Đất đai",
                "office_code": "H", "processing_time": {"amount": 5, "unit": "working_days"}}),
                ),
                201,
            ),
            (
                Method::POST,
                format!("/api/v1/offices/N{i}/close"),
                Some(json!({"successor_code": "H"})),
                200,
            ),
            (
                Method::PATCH,
                "/api/v1/offices/X".into(),
                Some(json!({"head_name": format!("Trưởng phòng {i}")})),
                200,
            ),
            (
                Method::PATCH,
                "/api/v1/procedures/P10".into(),
                Some(json!({"name": format!("Thủ tục P10 ({i})")})),
                200,
            ),
            (
                Method::PATCH,
                "/api/v1/users/clerk.x".into(),
                Some(json!({"full_name": format!("Nguyễn Văn X {i}")})),
                200,
            ),
            (
                Method::PUT,
                "/api/v1/calendar/days/2060-03-03".into(),
                Some(json!({"kind": "holiday", "name": "Ngày nghỉ"})),
                200,
            ),
            (
                Method::DELETE,
                "/api/v1/calendar/days/2060-03-03".into(),
                None,
                200,
            ),
        ]
    };
    for (i, who) in Who::ALL
        .into_iter()
        .enumerate()
        .filter(|(_, x)| *x != Admin)
    {
        for (method, path, body, _) in admin_writes(i) {
            let r = w.call(who, method.clone(), &path, body).await;
            w.expect(
                &format!("{method} {path}"),
                who,
                &r,
                if who == Anonymous { 401 } else { 403 },
            );
        }
    }
    if w.app.snapshot().await != before {
        w.fail("refused administration changed the database".into());
    }
    let day = w
        .call(
            Admin,
            Method::GET,
            "/api/v1/calendar/days?from=2060-03-03&to=2060-03-03",
            None,
        )
        .await;
    if day.body[0]["kind"] != "workday" {
        w.fail(format!(
            "a refused calendar change took effect: {}",
            day.text
        ));
    }
    for (method, path, body, status) in admin_writes(99) {
        let r = w.call(Admin, method.clone(), &path, body).await;
        w.expect(&format!("{method} {path}"), Admin, &r, status);
    }

    // Receiving: clerks at their own office, admins anywhere.
    for (i, who) in Who::ALL.into_iter().enumerate() {
        let own = who.account().map(|a| a.2);
        let other = if own == Some("X") { "H" } else { "X" };
        let at_own = if who == Admin {
            receipt(Some("H"))
        } else {
            receipt(None)
        };
        let expected = match who {
            Anonymous => 401,
            Admin => 201,
            x if x.is_clerk() => 201,
            _ => 403,
        };
        let r = w
            .call(who, Method::POST, "/api/v1/dossiers", Some(at_own))
            .await;
        if w.expect("POST /api/v1/dossiers (own office)", who, &r, expected) && expected == 201 {
            let office = own.unwrap_or("H");
            if r.body["office_code"] != office {
                w.fail(format!(
                    "receipt {i} as {who:?} landed at {}",
                    r.body["office_code"]
                ));
            }
        }
        let expected = match who {
            Anonymous => 401,
            Admin => 201,
            _ => 403,
        };
        let r = w
            .call(
                who,
                Method::POST,
                "/api/v1/dossiers",
                Some(receipt(Some(other))),
            )
            .await;
        w.expect("POST /api/v1/dossiers (another office)", who, &r, expected);
    }

    // Lifecycle actions. Refused cells use the main dossier, which must not change; permitted
    // ones get a fresh dossier in a status that allows the action, so the answer is 200.
    let version = |r: &Resp| r.body["version"].as_i64();
    let main_before = w
        .call(
            Admin,
            Method::GET,
            &format!("/api/v1/dossiers/{main}"),
            None,
        )
        .await;
    for who in Who::ALL {
        for action in ACTIONS {
            let expected = action_cell(who, action);
            let what = format!("POST /api/v1/dossiers/{{code}}/{action}");
            if expected != 200 {
                let r = w
                    .call(
                        who,
                        Method::POST,
                        &format!("/api/v1/dossiers/{main}/{action}"),
                        Some(body_of(action, true)),
                    )
                    .await;
                w.expect(&what, who, &r, expected);
                continue;
            }
            // Clerks work on what their office (H) received and holds; the rest on what H.A holds;
            // a refusal at the counter comes before any transfer.
            let held = !(who == ClerkH || action == "reject");
            let (from, to) = transition(action, held);
            let code = w.fresh(held, from).await;
            let r = w
                .call(
                    who,
                    Method::POST,
                    &format!("/api/v1/dossiers/{code}/{action}"),
                    Some(body_of(action, held)),
                )
                .await;
            if w.expect(&what, who, &r, 200) && r.body["status"] != to {
                w.fail(format!(
                    "{action} as {who:?}: {from} → {} (expected {to})",
                    r.body["status"]
                ));
            }
        }
    }
    let main_after = w
        .call(
            Admin,
            Method::GET,
            &format!("/api/v1/dossiers/{main}"),
            None,
        )
        .await;
    if version(&main_before) != version(&main_after) {
        w.fail(format!(
            "refused actions changed the main dossier: version {:?} → {:?}",
            version(&main_before),
            version(&main_after)
        ));
    }

    // The finer rules, one cell each.
    // Before any transfer the receiving office is responsible: its officers act.
    let code = w.fresh(false, "received").await;
    let r = w
        .call(
            OfficerH,
            Method::POST,
            &format!("/api/v1/dossiers/{code}/resolve"),
            Some(body_of("resolve", false)),
        )
        .await;
    w.expect("resolve before any transfer", OfficerH, &r, 200);
    // ... and an agency that never held it does not see it.
    let code = w.fresh(false, "received").await;
    let r = w
        .call(
            ClerkHA,
            Method::GET,
            &format!("/api/v1/dossiers/{code}"),
            None,
        )
        .await;
    w.expect("GET a dossier H.A never held", ClerkHA, &r, 404);
    // A clerk acts on what their office received even while an agency holds it.
    let code = w.fresh(true, "processing").await;
    let r = w
        .call(
            ClerkH,
            Method::POST,
            &format!("/api/v1/dossiers/{code}/request-supplement"),
            Some(body_of("request-supplement", true)),
        )
        .await;
    w.expect("request-supplement while H.A holds it", ClerkH, &r, 200);
    // An office that held a step may still read, no longer act.
    let code = w.fresh(true, "processing").await;
    let r = w
        .call(
            Admin,
            Method::POST,
            &format!("/api/v1/dossiers/{code}/transfer"),
            Some(body_of("transfer", true)),
        )
        .await;
    w.expect("transfer on to H.B", Admin, &r, 200);
    let r = w
        .call(
            OfficerHA,
            Method::GET,
            &format!("/api/v1/dossiers/{code}"),
            None,
        )
        .await;
    w.expect("GET after handing it on", OfficerHA, &r, 200);
    let r = w
        .call(
            OfficerHA,
            Method::POST,
            &format!("/api/v1/dossiers/{code}/resolve"),
            Some(body_of("resolve", true)),
        )
        .await;
    w.expect("resolve after handing it on", OfficerHA, &r, 403);
    // A supervisor above the new holder acts; one at the old holder does not.
    let r = w
        .call(
            SupervisorHA,
            Method::POST,
            &format!("/api/v1/dossiers/{code}/stop"),
            Some(body_of("stop", true)),
        )
        .await;
    w.expect("stop after H.A handed it on", SupervisorHA, &r, 403);
    let r = w
        .call(
            SupervisorHB,
            Method::POST,
            &format!("/api/v1/dossiers/{code}/stop"),
            Some(body_of("stop", true)),
        )
        .await;
    w.expect("stop at H.B", SupervisorHB, &r, 200);

    eprintln!("{} cells checked", w.cells);
    assert!(
        w.failures.is_empty(),
        "{} of {} cells wrong:\n{}",
        w.failures.len(),
        w.cells,
        w.failures.join("\n")
    );
}

crate::both_backends!(every_endpoint_for_every_role_at_every_office);
