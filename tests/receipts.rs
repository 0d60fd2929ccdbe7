//! Receiving dossiers and reading them back, as clients and citizens see it, on both backends.

mod common;

use common::{Backend, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

/// One office, one 3-working-day procedure and a clerk there.
async fn setup(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn(backend).await;
    app.office("000.00.24.H40", None).await;
    app.procedure("1.001234", "000.00.24.H40", 3, "working_days")
        .await;
    let clerk = app.staff("clerk.h40", "clerk", "000.00.24.H40").await;
    (app, clerk)
}

fn receipt(received_at: &str) -> Value {
    json!({
        "procedure_code": "1.001234",
        "channel": "counter",
        "applicant": {"full_name": "Nguyễn Văn An", "id_number": "079123456789",
                      "phone": "0901234567", "email": "an@example.vn", "address": "12 Lê Lợi, Huế"},
        "received_at": received_at,
        "note": "Hồ sơ đủ thành phần"
    })
}

async fn receive_get_list_and_look_up(backend: Backend) {
    let (app, clerk) = setup(backend).await;
    // Monday 09:10 + 3 working days → Thursday 09:10 (DOMAIN.md's example).
    let r = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            receipt("2026-11-16T09:10:00+07:00"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let code = r.body["code"].as_str().unwrap().to_owned();
    assert_eq!(code, "000.00.24.H40-261116-0001");
    assert_eq!(
        r.header("location"),
        Some("/api/v1/dossiers/000.00.24.H40-261116-0001")
    );
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(r.body["status"], "received");
    assert_eq!(r.body["status_code"], 2);
    assert_eq!(r.body["office_code"], "000.00.24.H40");
    assert_eq!(r.body["responsible_office_code"], "000.00.24.H40");
    assert_eq!(r.body["channel"], "counter");
    assert_eq!(r.body["received_at"], "2026-11-16T09:10:00+07:00");
    assert_eq!(r.body["due_at"], "2026-11-19T09:10:00+07:00");
    assert_eq!(r.body["rescheduled_due_at"], Value::Null);
    assert_eq!(r.body["version"], 1);
    assert_eq!(
        r.body["timeliness"], "overdue",
        "due in the past, still open"
    );
    assert!(r.body["deadline_trace"].is_object());

    let g = app.get(&format!("/api/v1/dossiers/{code}"), &clerk).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.header("etag"), Some("\"1\""));
    assert_eq!(g.body["applicant"]["full_name"], "Nguyễn Văn An");
    assert_eq!(g.body["applicant"]["id_number"], "079123456789");
    assert_eq!(g.body["steps"], json!([]));
    assert_eq!(g.body["apology_letters"], json!([]));

    let l = app
        .get("/api/v1/dossiers?status=received&channel=counter", &clerk)
        .await;
    assert_eq!(
        (l.status.as_u16(), l.body["total"].as_i64()),
        (200, Some(1))
    );
    assert_eq!(l.body["items"][0]["code"], code.as_str());
    assert_eq!(
        (l.body["page"].as_i64(), l.body["per_page"].as_i64()),
        (Some(1), Some(50))
    );
    for q in [
        "channel=online",
        "status=resolved",
        "received_from=2026-11-17",
        "received_to=2026-11-15",
        "q=Trần",
        "timeliness=on_track",
    ] {
        let l = app.get(&format!("/api/v1/dossiers?{q}"), &clerk).await;
        assert_eq!(l.body["total"], 0, "{q}: {}", l.text);
    }
    for q in [
        "received_from=2026-11-16&received_to=2026-11-16",
        "q=Văn",
        "q=261116",
        "timeliness=overdue",
        "procedure=1.001234",
    ] {
        let l = app.get(&format!("/api/v1/dossiers?{q}"), &clerk).await;
        assert_eq!(l.body["total"], 1, "{q}: {}", l.text);
    }

    let ev = app
        .get(&format!("/api/v1/dossiers/{code}/events"), &clerk)
        .await;
    assert_eq!(ev.body["total"], 1);
    let e = &ev.body["items"][0];
    assert_eq!(
        (
            e["action"].as_str(),
            e["to_status"].as_str(),
            e["actor"].as_str()
        ),
        (Some("received"), Some("received"), Some("clerk.h40"))
    );
    assert_eq!(e["at"], "2026-11-16T09:10:00+07:00");
    assert_eq!(e["data"]["backdated"], true);

    // The citizen's view: masked name, no personal data, no internal notes.
    let p = app
        .request(
            Method::GET,
            &format!("/api/v1/public/dossiers/{code}?id_number=079123456789"),
            None,
            None,
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body["applicant_name_masked"], "N***** V** A*");
    assert_eq!(p.body["procedure_name"], "Thủ tục 1.001234");
    assert_eq!(p.body["status_code"], 2);
    assert_eq!(
        p.body["history"],
        json!([{"status": "received", "at": "2026-11-16T09:10:00+07:00"}])
    );
    assert_eq!(p.body["due_at"], "2026-11-19T09:10:00+07:00");
    for secret in [
        "079123456789",
        "0901234567",
        "an@example.vn",
        "Lê Lợi",
        "Nguyễn Văn An",
        "đủ thành phần",
    ] {
        assert!(
            !p.text.contains(secret),
            "public view leaks {secret}: {}",
            p.text
        );
    }
    let wrong_id = app
        .request(
            Method::GET,
            &format!("/api/v1/public/dossiers/{code}?id_number=079123456788"),
            None,
            None,
        )
        .await;
    let wrong_code = app
        .request(
            Method::GET,
            "/api/v1/public/dossiers/000.00.24.H40-261116-0002?id_number=079123456789",
            None,
            None,
        )
        .await;
    let no_id = app
        .request(
            Method::GET,
            &format!("/api/v1/public/dossiers/{code}"),
            None,
            None,
        )
        .await;
    assert_eq!(wrong_id.status, 404);
    assert_eq!(
        wrong_id.text, wrong_code.text,
        "a wrong code and a wrong ID number must look the same"
    );
    assert_eq!(wrong_id.text, no_id.text);
    assert_eq!(
        wrong_id.header("content-type"),
        Some("application/problem+json")
    );
}

async fn forty_concurrent_receipts_get_forty_consecutive_codes(backend: Backend) {
    let (app, clerk) = setup(backend).await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (app, clerk) = (app.clone(), clerk.clone());
        tasks.push(tokio::spawn(async move {
            let r = app
                .post(
                    "/api/v1/dossiers",
                    &clerk,
                    receipt("2026-11-16T10:00:00+07:00"),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
            r.body["code"].as_str().unwrap().to_owned()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    codes.sort();
    let expected: Vec<String> = (1..=40)
        .map(|n| format!("000.00.24.H40-261116-{n:04}"))
        .collect();
    assert_eq!(codes, expected);
    assert_eq!(app.count("dossiers").await, 40);
    assert_eq!(app.count("dossier_events").await, 40);
}

async fn each_office_and_day_has_its_own_sequence(backend: Backend) {
    let (app, clerk) = setup(backend).await;
    app.office("000.00.25.H40", None).await;
    let other = app.staff("clerk.h25", "clerk", "000.00.25.H40").await;
    let a = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            receipt("2026-11-16T09:00:00+07:00"),
        )
        .await;
    let b = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            receipt("2026-11-17T09:00:00+07:00"),
        )
        .await;
    let c = app
        .post(
            "/api/v1/dossiers",
            &other,
            receipt("2026-11-16T09:00:00+07:00"),
        )
        .await;
    // A paper backlog entered later takes the next number of *that* day.
    let d = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            receipt("2026-11-16T15:00:00+07:00"),
        )
        .await;
    // Just after midnight local time is the next local day, though still the previous day in UTC.
    let e = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            receipt("2026-11-18T00:30:00+07:00"),
        )
        .await;
    let codes: Vec<&str> = [&a, &b, &c, &d, &e]
        .iter()
        .map(|r| r.body["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "000.00.24.H40-261116-0001",
            "000.00.24.H40-261117-0001",
            "000.00.25.H40-261116-0001",
            "000.00.24.H40-261116-0002",
            "000.00.24.H40-261118-0001"
        ]
    );
    // Received at 00:30 the clock starts at 07:30 that morning.
    assert_eq!(e.body["clock_started_at"], "2026-11-18T07:30:00+07:00");
    assert_eq!(e.body["due_at"], "2026-11-23T07:30:00+07:00");
}

async fn received_at_defaults_to_now(backend: Backend) {
    let (app, clerk) = setup(backend).await;
    let mut body = receipt("");
    body.as_object_mut().unwrap().remove("received_at");
    let before = chrono::Utc::now();
    let r = app.post("/api/v1/dossiers", &clerk, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let at = chrono::DateTime::parse_from_rfc3339(r.body["received_at"].as_str().unwrap()).unwrap();
    assert!(at >= before - chrono::Duration::seconds(1) && at <= chrono::Utc::now());
    assert!(r.body["received_at"].as_str().unwrap().ends_with("+07:00"));
    let today = at
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .format("%y%m%d")
        .to_string();
    assert_eq!(r.body["code"], format!("000.00.24.H40-{today}-0001"));
    let ev = app
        .get(
            &format!(
                "/api/v1/dossiers/{}/events",
                r.body["code"].as_str().unwrap()
            ),
            &clerk,
        )
        .await;
    assert_eq!(ev.body["items"][0]["data"]["backdated"], false);
}

async fn idempotency_key_replays_and_refuses_a_different_body(backend: Backend) {
    let (app, clerk) = setup(backend).await;
    let key = [("Idempotency-Key", "receipt-7f3a")];
    let body = receipt("2026-11-16T09:10:00+07:00");
    let first = app
        .request_with(
            Method::POST,
            "/api/v1/dossiers",
            Some(&clerk),
            Some(body.clone()),
            &key,
        )
        .await;
    let again = app
        .request_with(
            Method::POST,
            "/api/v1/dossiers",
            Some(&clerk),
            Some(body.clone()),
            &key,
        )
        .await;
    assert_eq!(first.status, 201);
    assert_eq!(again.status, 201);
    assert_eq!(first.body, again.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(app.count("dossiers").await, 1);
    let mut changed = body.clone();
    changed["channel"] = json!("postal");
    let other = app
        .request_with(
            Method::POST,
            "/api/v1/dossiers",
            Some(&clerk),
            Some(changed),
            &key,
        )
        .await;
    assert_eq!(other.status, 422);
    assert_eq!(other.body["code"], "idempotency_key_reused");
    assert_eq!(app.count("dossiers").await, 1);
    // The key is scoped to the user: another clerk's same key is a new receipt.
    let clerk2 = app.staff("clerk2.h40", "clerk", "000.00.24.H40").await;
    let theirs = app
        .request_with(
            Method::POST,
            "/api/v1/dossiers",
            Some(&clerk2),
            Some(body),
            &key,
        )
        .await;
    assert_eq!(theirs.status, 201);
    assert_eq!(theirs.body["code"], "000.00.24.H40-261116-0002");
}

async fn concurrent_retries_with_one_key_create_one_dossier(backend: Backend) {
    let (app, clerk) = setup(backend).await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (app, clerk) = (app.clone(), clerk.clone());
        tasks.push(tokio::spawn(async move {
            let key = [("Idempotency-Key", "same-key")];
            app.request_with(
                Method::POST,
                "/api/v1/dossiers",
                Some(&clerk),
                Some(receipt("2026-11-16T09:10:00+07:00")),
                &key,
            )
            .await
        }));
    }
    let mut codes = std::collections::BTreeSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        codes.insert(r.body["code"].as_str().unwrap().to_owned());
    }
    assert_eq!(codes.len(), 1);
    assert_eq!(app.count("dossiers").await, 1);
}

async fn bad_input_gets_a_problem_and_changes_nothing(backend: Backend) {
    let (app, clerk) = setup(backend).await;
    let ok = receipt("2026-11-16T09:10:00+07:00");
    let with = |path: &[&str], v: Value| {
        let mut b = ok.clone();
        let mut cur = &mut b;
        for p in &path[..path.len() - 1] {
            cur = &mut cur[*p];
        }
        cur[path[path.len() - 1]] = v;
        b
    };
    let without = |path: &[&str]| {
        let mut b = ok.clone();
        let mut cur = &mut b;
        for p in &path[..path.len() - 1] {
            cur = &mut cur[*p];
        }
        cur.as_object_mut().unwrap().remove(path[path.len() - 1]);
        b
    };
    let future = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        (
            "unknown field",
            with(&["surprise"], json!(1)),
            422,
            "validation_failed",
            "surprise",
        ),
        (
            "unknown applicant field",
            with(&["applicant", "age"], json!(30)),
            422,
            "validation_failed",
            "applicant.age",
        ),
        (
            "wrong type",
            with(&["procedure_code"], json!(42)),
            422,
            "validation_failed",
            "procedure_code",
        ),
        (
            "missing field",
            without(&["channel"]),
            422,
            "validation_failed",
            "channel",
        ),
        (
            "missing applicant name",
            without(&["applicant", "full_name"]),
            422,
            "validation_failed",
            "applicant.full_name",
        ),
        (
            "unknown channel",
            with(&["channel"], json!("fax")),
            422,
            "validation_failed",
            "channel",
        ),
        (
            "empty name",
            with(&["applicant", "full_name"], json!("   ")),
            422,
            "validation_failed",
            "applicant.full_name",
        ),
        (
            "short id",
            with(&["applicant", "id_number"], json!("12345")),
            422,
            "validation_failed",
            "applicant.id_number",
        ),
        (
            "bad email",
            with(&["applicant", "email"], json!("an at example")),
            422,
            "validation_failed",
            "applicant.email",
        ),
        (
            "control characters",
            with(&["applicant", "full_name"], json!("An\u{0007}")),
            422,
            "validation_failed",
            "applicant.full_name",
        ),
        (
            "unknown procedure",
            with(&["procedure_code"], json!("9.999999")),
            422,
            "validation_failed",
            "procedure_code",
        ),
        (
            "future received_at",
            with(&["received_at"], json!(future)),
            422,
            "validation_failed",
            "received_at",
        ),
        (
            "received_at without offset",
            with(&["received_at"], json!("2026-11-16T09:10:00")),
            422,
            "validation_failed",
            "received_at",
        ),
        (
            "received_at in 1999",
            with(&["received_at"], json!("1999-12-31T09:00:00+07:00")),
            422,
            "validation_failed",
            "received_at",
        ),
        (
            "very long note",
            with(&["note"], json!("x".repeat(5000))),
            422,
            "validation_failed",
            "note",
        ),
        (
            "another office",
            with(&["office_code"], json!("000.00.25.H40")),
            403,
            "forbidden",
            "",
        ),
    ];
    let before = app.snapshot().await;
    for (what, body, status, code, field) in cases {
        let r = app.post("/api/v1/dossiers", &clerk, body).await;
        assert_eq!(r.status.as_u16(), status, "{what}: {}", r.text);
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{what}"
        );
        assert_eq!(r.body["code"], code, "{what}: {}", r.text);
        assert_eq!(r.body["status"], status, "{what}");
        assert!(
            r.body["title"].is_string()
                && r.body["detail"].is_string()
                && r.body["type"].is_string(),
            "{what}"
        );
        if !field.is_empty() {
            let fields: Vec<&str> = r.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert!(
                fields.contains(&field),
                "{what}: expected {field} in {fields:?}"
            );
        }
    }
    let malformed = app
        .raw(
            Method::POST,
            "/api/v1/dossiers",
            Some(&clerk),
            "application/json",
            b"{\"procedure_code\": ".to_vec(),
        )
        .await;
    assert_eq!(
        (malformed.status.as_u16(), malformed.body["code"].as_str()),
        (400, Some("malformed_json"))
    );
    let not_json = app
        .raw(
            Method::POST,
            "/api/v1/dossiers",
            Some(&clerk),
            "text/plain",
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(
        (not_json.status.as_u16(), not_json.body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let huge = app
        .raw(
            Method::POST,
            "/api/v1/dossiers",
            Some(&clerk),
            "application/json",
            format!("{{\"note\": \"{}\"}}", "x".repeat(200_000)).into_bytes(),
        )
        .await;
    assert_eq!(
        (huge.status.as_u16(), huge.body["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    let bad_query = app.get("/api/v1/dossiers?status=lost", &clerk).await;
    assert_eq!(
        (bad_query.status.as_u16(), bad_query.body["code"].as_str()),
        (422, Some("validation_failed"))
    );
    let bad_page = app.get("/api/v1/dossiers?per_page=501", &clerk).await;
    assert_eq!(bad_page.body["errors"][0]["field"], "per_page");
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused request must change nothing"
    );
}

async fn sign_in_and_roles(backend: Backend) {
    let (app, clerk) = setup(backend).await;
    let r = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            receipt("2026-11-16T09:10:00+07:00"),
        )
        .await;
    let code = r.body["code"].as_str().unwrap().to_owned();

    // Unknown user and wrong password: the same answer.
    let unknown = app
        .request(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "ghost", "password": "whatever-123456"})),
        )
        .await;
    let wrong = app
        .request(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "clerk.h40", "password": "whatever-123456"})),
        )
        .await;
    assert_eq!(unknown.status, 401);
    assert_eq!(unknown.text, wrong.text);

    let me = app.get("/api/v1/me", &clerk).await;
    assert_eq!(
        me.body,
        json!({"username": "clerk.h40", "role": "clerk", "office_code": "000.00.24.H40", "full_name": null, "email": null})
    );

    let anonymous = app
        .request(Method::GET, "/api/v1/dossiers", None, None)
        .await;
    assert_eq!(anonymous.status, 401);
    assert!(
        anonymous
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    let garbage = app.get("/api/v1/dossiers", "not.a.token").await;
    assert_eq!(
        (garbage.status.as_u16(), garbage.body["code"].as_str()),
        (401, Some("unauthorized"))
    );

    // Role matrix for this slice.
    let officer = app.staff("officer.h40", "officer", "000.00.24.H40").await;
    let f = app
        .post(
            "/api/v1/dossiers",
            &officer,
            receipt("2026-11-16T09:10:00+07:00"),
        )
        .await;
    assert_eq!(
        (f.status.as_u16(), f.body["code"].as_str()),
        (403, Some("forbidden"))
    );
    let o = app
        .post(
            "/api/v1/offices",
            &clerk,
            json!({"code": "X1", "name": "X"}),
        )
        .await;
    assert_eq!(o.status, 403);
    let p = app.post("/api/v1/procedures", &officer, json!({"code": "P", "name": "P", "field": "F", "office_code": "000.00.24.H40", "processing_time": {"amount": 1, "unit": "working_days"}})).await;
    assert_eq!(p.status, 403);
    let u = app
        .post(
            "/api/v1/users",
            &clerk,
            json!({"username": "mallory", "password": "long-enough-password", "role": "admin"}),
        )
        .await;
    assert_eq!(u.status, 403);
    assert_eq!(app.get("/api/v1/offices", &officer).await.status, 200);
    assert_eq!(
        app.get("/api/v1/procedures/1.001234", &officer)
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{code}"), &officer)
            .await
            .status,
        200
    );

    // Another office's staff: the dossier does not exist for them.
    app.office("000.00.25.H40", None).await;
    let stranger = app.staff("clerk.h25", "clerk", "000.00.25.H40").await;
    let hidden = app
        .get(&format!("/api/v1/dossiers/{code}"), &stranger)
        .await;
    let missing = app
        .get("/api/v1/dossiers/000.00.24.H40-261116-0099", &stranger)
        .await;
    assert_eq!(hidden.status, 404);
    assert_eq!(hidden.text, missing.text);
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{code}/events"), &stranger)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/api/v1/dossiers", &stranger).await.body["total"],
        0
    );

    // A supervisor of the parent office sees the child office's dossiers.
    app.office("000.00.00.H40", None).await;
    app.office("000.00.26.H40", Some("000.00.00.H40")).await;
    app.procedure("2.000001", "000.00.26.H40", 2, "working_hours")
        .await;
    let child_clerk = app.staff("clerk.h26", "clerk", "000.00.26.H40").await;
    let mut b = receipt("2026-11-16T09:10:00+07:00");
    b["procedure_code"] = json!("2.000001");
    let child = app.post("/api/v1/dossiers", &child_clerk, b).await;
    assert_eq!(child.status, 201, "{}", child.text);
    assert_eq!(child.body["due_at"], "2026-11-16T11:10:00+07:00");
    let sup = app.staff("sup.h00", "supervisor", "000.00.00.H40").await;
    assert_eq!(
        app.get(
            &format!("/api/v1/dossiers/{}", child.body["code"].as_str().unwrap()),
            &sup
        )
        .await
        .status,
        200
    );
    assert_eq!(app.get("/api/v1/dossiers", &sup).await.body["total"], 1);
    assert_eq!(
        app.get("/api/v1/dossiers", &app.admin_token).await.body["total"],
        2
    );

    // Admins create users through the API; the new user signs in.
    let created = app
        .post("/api/v1/users", &app.admin_token, json!({"username": "officer2", "password": "a-long-password-1", "role": "officer", "office_code": "000.00.24.H40", "email": "o2@example.vn"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(!created.text.contains("password"));
    assert!(!app.token("officer2", "a-long-password-1").await.is_empty());
    let weak = app.post("/api/v1/users", &app.admin_token, json!({"username": "officer3", "password": "short", "role": "officer", "office_code": "000.00.24.H40"})).await;
    assert_eq!(weak.body["errors"][0]["field"], "password");
    let dup = app.post("/api/v1/users", &app.admin_token, json!({"username": "officer2", "password": "a-long-password-1", "role": "officer", "office_code": "000.00.24.H40"})).await;
    assert_eq!(
        (dup.status.as_u16(), dup.body["code"].as_str()),
        (409, Some("conflict"))
    );
}

async fn offices_and_procedures_are_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token.clone();
    app.office("H40", None).await;
    let before = app.snapshot().await;
    let cases = vec![
        (
            "/api/v1/offices",
            json!({"code": "h-40", "name": "x"}),
            422,
            "code",
        ),
        (
            "/api/v1/offices",
            json!({"code": "H41", "name": ""}),
            422,
            "name",
        ),
        (
            "/api/v1/offices",
            json!({"code": "H41", "name": "x", "parent_code": "NOPE"}),
            422,
            "parent_code",
        ),
        (
            "/api/v1/procedures",
            json!({"code": "P1", "name": "n", "field": "f", "office_code": "H40", "processing_time": {"amount": 0, "unit": "working_days"}}),
            422,
            "processing_time.amount",
        ),
        (
            "/api/v1/procedures",
            json!({"code": "P1", "name": "n", "field": "f", "office_code": "H40", "processing_time": {"amount": -3, "unit": "working_days"}}),
            422,
            "processing_time.amount",
        ),
        (
            "/api/v1/procedures",
            json!({"code": "P1", "name": "n", "field": "f", "office_code": "H40", "processing_time": {"amount": 3, "unit": "weeks"}}),
            422,
            "processing_time.unit",
        ),
        (
            "/api/v1/procedures",
            json!({"code": "P1", "name": "n", "field": "f", "office_code": "H40", "processing_time": {"amount": 3}}),
            422,
            "processing_time.unit",
        ),
        (
            "/api/v1/procedures",
            json!({"code": "P1", "name": "n", "field": "f", "office_code": "NOPE", "processing_time": {"amount": 3, "unit": "calendar_days"}}),
            422,
            "office_code",
        ),
    ];
    for (path, body, status, field) in cases {
        let r = app.post(path, &admin, body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text);
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{body}: {fields:?}");
    }
    let dup = app
        .post(
            "/api/v1/offices",
            &admin,
            json!({"code": "H40", "name": "again"}),
        )
        .await;
    assert_eq!(
        (dup.status.as_u16(), dup.body["code"].as_str()),
        (409, Some("conflict"))
    );
    assert_eq!(app.snapshot().await, before);

    app.procedure("P1", "H40", 15, "calendar_days").await;
    let p = app.get("/api/v1/procedures/P1", &admin).await;
    assert_eq!(
        p.body["processing_time"],
        json!({"amount": 15, "unit": "calendar_days"})
    );
    assert_eq!(app.get("/api/v1/procedures/NOPE", &admin).await.status, 404);
    let list = app.get("/api/v1/offices?per_page=1", &admin).await;
    assert_eq!(
        (
            list.body["total"].as_i64(),
            list.body["items"].as_array().unwrap().len()
        ),
        (Some(1), 1)
    );
    assert_eq!(
        app.get("/api/v1/offices/H40", &admin).await.body["head_name"],
        "Trần Văn Bình"
    );
}

async fn health_and_unknown_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let h = app.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (h.status.as_u16(), h.body["status"].as_str()),
        (200, Some("ok"))
    );
    assert_eq!(h.header("x-content-type-options"), Some("nosniff"));
    assert!(h.header("x-request-id").is_some());
    let r = app.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (r.status.as_u16(), r.body["database"].as_str()),
        (200, Some("ok"))
    );
    let n = app
        .request(Method::GET, "/api/v1/nothing-here", None, None)
        .await;
    assert_eq!(
        (n.status.as_u16(), n.body["code"].as_str()),
        (404, Some("not_found"))
    );
}

both_backends!(
    receive_get_list_and_look_up,
    forty_concurrent_receipts_get_forty_consecutive_codes,
    each_office_and_day_has_its_own_sequence,
    received_at_defaults_to_now,
    idempotency_key_replays_and_refuses_a_different_body,
    concurrent_retries_with_one_key_create_one_dossier,
    bad_input_gets_a_problem_and_changes_nothing,
    sign_in_and_roles,
    offices_and_procedures_are_validated,
    health_and_unknown_routes,
);
