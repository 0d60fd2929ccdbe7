//! The processing lifecycle through the API: agency chains with step verdicts, supplements
//! under each policy, payment pauses, the single re-appointment, timeliness at the boundaries,
//! refusals that change nothing, optimistic concurrency, on both backends.

mod common;

use common::{Backend, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

const ONE_STOP: &str = "000.00.24.H40";

async fn setup(
    backend: Backend,
    tweak: impl FnOnce(&mut motcua::config::Settings),
) -> (TestApp, String) {
    let app = TestApp::spawn_with(backend, tweak).await;
    app.office(ONE_STOP, None).await;
    for a in ["A1", "A2", "A3"] {
        app.office(a, None).await;
    }
    app.procedure("P3", ONE_STOP, 3, "working_days").await;
    app.procedure("P10", ONE_STOP, 10, "working_days").await;
    let clerk = app.staff("clerk", "clerk", ONE_STOP).await;
    (app, clerk)
}

async fn receive(
    app: &TestApp,
    clerk: &str,
    procedure: &str,
    at: &str,
    email: Option<&str>,
) -> String {
    let r = app
        .post("/api/v1/dossiers", clerk, json!({"procedure_code": procedure, "channel": "counter",
            "applicant": {"full_name": "Hoàng Văn Minh", "id_number": "036085001234", "email": email},
            "received_at": at}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["code"].as_str().unwrap().to_owned()
}

async fn act(app: &TestApp, token: &str, code: &str, action: &str, body: Value) -> common::Resp {
    app.post(&format!("/api/v1/dossiers/{code}/{action}"), token, body)
        .await
}

/// The commune's case: the counter hands the dossier to its own specialists, who resolve it.
async fn a_dossier_processed_where_it_was_received(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let officer = app.staff("officer.counter", "officer", ONE_STOP).await;
    // Monday 5 Oct 2026 09:00 + 3 working days → Thursday 8 Oct 09:00.
    let code = receive(&app, &clerk, "P3", "2026-10-05T09:00:00+07:00", None).await;
    let r = act(
        &app,
        &clerk,
        &code,
        "transfer",
        json!({"to_office_code": ONE_STOP,
        "deadline": {"amount": 2, "unit": "working_days"}, "at": "2026-10-05T09:30:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "processing");
    assert_eq!(r.body["responsible_office_code"], ONE_STOP);
    let steps = r.body["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0]["office_code"], ONE_STOP);
    assert_eq!(steps[0]["deadline_at"], "2026-10-07T09:30:00+07:00");
    assert_eq!(steps[0]["completed_at"], Value::Null);
    let r = act(
        &app,
        &officer,
        &code,
        "resolve",
        json!({"outcome": "approved",
        "at": "2026-10-07T11:00:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "resolved");
    assert_eq!(
        r.body["timeliness"], "early",
        "the dossier is judged by its own deadline"
    );
    assert_eq!(
        r.body["steps"][0]["timeliness"], "late",
        "the step had until 09:30"
    );
    assert_eq!(
        r.body["steps"][0]["completed_at"],
        "2026-10-07T11:00:00+07:00"
    );
    let ev = app
        .get(&format!("/api/v1/dossiers/{code}/events"), &clerk)
        .await;
    let transfer = &ev.body["items"][1];
    assert_eq!(transfer["action"], "transfer");
    assert_eq!(transfer["data"]["in_house"], true);
    assert_eq!(transfer["data"]["from_office_code"], ONE_STOP);
    assert_eq!(transfer["office_code"], ONE_STOP);
    // The steps report counts the receiving office's own step.
    let report = app
        .get(
            "/api/v1/reports/steps?from=2026-10-01&to=2026-10-31",
            &app.admin_token,
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    let row = report.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["office_code"] == ONE_STOP)
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (row["completed"].as_i64(), row["late"].as_i64()),
        (Some(1), Some(1)),
        "{row}"
    );
}

/// A hand-over inside one agency (to its head for signature) closes one step and opens the next.
async fn a_hand_over_inside_an_agency_is_a_new_step(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let officer = app.staff("officer.a1", "officer", "A1").await;
    let code = receive(&app, &clerk, "P10", "2026-10-05T09:00:00+07:00", None).await;
    let r = act(
        &app,
        &clerk,
        &code,
        "transfer",
        json!({"to_office_code": "A1",
        "deadline": {"amount": 5, "unit": "working_days"}, "at": "2026-10-05T10:00:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = act(
        &app,
        &officer,
        &code,
        "transfer",
        json!({"to_office_code": "A1",
        "deadline": {"amount": 1, "unit": "working_days"}, "note": "Trình lãnh đạo ký",
        "at": "2026-10-08T10:00:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let steps = r.body["steps"].as_array().unwrap();
    let rows: Vec<(i64, &str, Option<&str>)> = steps
        .iter()
        .map(|s| {
            (
                s["seq"].as_i64().unwrap(),
                s["office_code"].as_str().unwrap(),
                s["completed_at"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (1, "A1", Some("2026-10-08T10:00:00+07:00")),
            (2, "A1", None)
        ]
    );
    assert_eq!(steps[0]["timeliness"], "early");
    assert_eq!(steps[1]["deadline_at"], "2026-10-09T10:00:00+07:00");
    assert_eq!(r.body["responsible_office_code"], "A1");
    let r = act(
        &app,
        &officer,
        &code,
        "resolve",
        json!({"outcome": "approved",
        "at": "2026-10-09T09:00:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["steps"][1]["timeliness"], "on_time");
    assert_eq!(r.body["timeliness"], "early");
}

/// The law wants one request listing everything; a second and a third are accepted (the
/// citizen must not be stuck) and recorded as the agency's breach.
async fn repeated_supplement_requests_are_allowed_and_counted(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let officer = app.staff("officer.a1", "officer", "A1").await;
    let code = receive(&app, &clerk, "P10", "2026-10-05T09:00:00+07:00", None).await;
    act(
        &app,
        &clerk,
        &code,
        "transfer",
        json!({"to_office_code": "A1", "at": "2026-10-05T10:00:00+07:00"}),
    )
    .await;
    let days = [("06", "07"), ("08", "09"), ("12", "13")];
    for (n, (asked, back)) in days.iter().enumerate() {
        let r = act(
            &app,
            &officer,
            &code,
            "request-supplement",
            json!({
            "items": [format!("Giấy tờ thứ {}", n + 1)], "reason": "Thiếu giấy tờ",
            "at": format!("2026-10-{asked}T09:00:00+07:00")}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["supplement_requests"], n as i64 + 1);
        let r = act(
            &app,
            &officer,
            &code,
            "supplement-received",
            json!({"at": format!("2026-10-{back}T09:00:00+07:00")}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let ev = app
        .get(&format!("/api/v1/dossiers/{code}/events"), &clerk)
        .await;
    let requests: Vec<(bool, i64, &str)> = ev.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "request-supplement")
        .map(|e| {
            (
                e["data"]["repeated"].as_bool().unwrap(),
                e["data"]["request_number"].as_i64().unwrap(),
                e["office_code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        requests,
        [(false, 1, "A1"), (true, 2, "A1"), (true, 3, "A1")]
    );
    // A second dossier with a single request: not counted as repeated.
    let other = receive(&app, &clerk, "P10", "2026-10-05T09:05:00+07:00", None).await;
    act(
        &app,
        &clerk,
        &other,
        "request-supplement",
        json!({"items": ["Tờ khai"], "reason": "x",
        "at": "2026-10-06T09:00:00+07:00"}),
    )
    .await;

    let summary = app
        .get(
            "/api/v1/reports/summary?from=2026-10-01&to=2026-10-31&group_by=office",
            &app.admin_token,
        )
        .await;
    assert_eq!(summary.status, 200, "{}", summary.text);
    let total = &summary.body["total"];
    assert_eq!(total["supplement_repeated"], 1, "{total}");
    assert_eq!(total["received_total"], 2);
    let n = |k: &str| total[k].as_i64().unwrap();
    assert_eq!(
        n("received_total"),
        n("resolved_total") + n("open_total") + n("withdrawn") + n("rejected") + n("stopped"),
        "the row balances"
    );
    // Before the second request the dossier was not yet a repeat.
    let early = app
        .get(
            "/api/v1/reports/summary?from=2026-10-01&to=2026-10-07&group_by=office",
            &app.admin_token,
        )
        .await;
    assert_eq!(
        early.body["total"]["supplement_repeated"], 0,
        "{}",
        early.text
    );
    let csv = app
        .get(
            "/api/v1/reports/summary?from=2026-10-01&to=2026-10-31&group_by=office&format=csv",
            &app.admin_token,
        )
        .await;
    assert!(
        csv.text
            .lines()
            .next()
            .unwrap()
            .contains("supplement_repeated"),
        "{}",
        csv.text
    );

    let steps = app
        .get(
            "/api/v1/reports/steps?from=2026-10-01&to=2026-10-31",
            &app.admin_token,
        )
        .await;
    assert_eq!(steps.status, 200, "{}", steps.text);
    let row = |office: &str| {
        steps.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["office_code"] == office)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(row("A1")["supplement_requests"], 3, "{}", steps.text);
    assert_eq!(row("A1")["supplement_repeated"], 2, "{}", steps.text);
    assert_eq!(
        row("A1")["dossiers_with_repeated_requests"],
        1,
        "{}",
        steps.text
    );
    assert_eq!(row(ONE_STOP)["supplement_requests"], 1, "{}", steps.text);
    assert_eq!(row(ONE_STOP)["supplement_repeated"], 0, "{}", steps.text);
}

async fn a_three_agency_chain_with_one_late_step(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let o1 = app.staff("officer.a1", "officer", "A1").await;
    let o2 = app.staff("officer.a2", "officer", "A2").await;
    let o3 = app.staff("officer.a3", "officer", "A3").await;
    // Monday 5 Oct 2026 09:00 + 10 working days → Monday 19 Oct 09:00.
    let code = receive(&app, &clerk, "P10", "2026-10-05T09:00:00+07:00", None).await;

    let r = act(&app, &clerk, &code, "transfer", json!({"to_office_code": "A1", "deadline": {"amount": 3, "unit": "working_days"}, "at": "2026-10-05T10:00:00+07:00"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "processing");
    assert_eq!(r.body["status_code"], 4);
    assert_eq!(r.body["responsible_office_code"], "A1");
    assert_eq!(
        r.body["steps"][0]["deadline_at"],
        "2026-10-08T10:00:00+07:00"
    );
    assert_eq!(r.header("etag"), Some("\"2\""));
    // The one-stop clerk may not resolve; an officer elsewhere may not touch it.
    assert_eq!(
        act(
            &app,
            &clerk,
            &code,
            "resolve",
            json!({"outcome": "approved"})
        )
        .await
        .status,
        403
    );
    assert_eq!(
        act(
            &app,
            &o2,
            &code,
            "transfer",
            json!({"to_office_code": "A3"})
        )
        .await
        .status,
        404,
        "A2 has not held it"
    );

    // A1 hands on a day early; A2 gets 2 working days and misses them.
    let r = act(&app, &o1, &code, "transfer", json!({"to_office_code": "A2", "deadline": {"amount": 2, "unit": "working_days"}, "at": "2026-10-07T15:00:00+07:00"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["steps"][1]["deadline_at"],
        "2026-10-09T15:00:00+07:00"
    );
    assert_eq!(
        act(
            &app,
            &o1,
            &code,
            "transfer",
            json!({"to_office_code": "A3"})
        )
        .await
        .status,
        403,
        "A1 no longer holds it, but may read it"
    );
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{code}"), &o1)
            .await
            .status,
        200
    );
    let r = act(
        &app,
        &o2,
        &code,
        "transfer",
        json!({"to_office_code": "A3", "at": "2026-10-12T09:00:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["steps"][2]["deadline_at"], "2026-10-19T09:00:00+07:00",
        "no own deadline: the dossier's"
    );
    let r = act(
        &app,
        &o3,
        &code,
        "resolve",
        json!({"outcome": "approved", "note": "Cấp giấy phép", "at": "2026-10-16T10:00:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let steps: Vec<(&str, &str)> = r.body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["office_code"].as_str().unwrap(),
                s["timeliness"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(steps, [("A1", "early"), ("A2", "late"), ("A3", "early")]);
    assert_eq!(r.body["status"], "resolved");
    assert_eq!(r.body["timeliness"], "early");
    assert_eq!(r.body["resolved_at"], "2026-10-16T10:00:00+07:00");
    assert_eq!(r.body["outcome"], "approved");
    assert_eq!(r.body["responsible_office_code"], "A3");
    let r = act(
        &app,
        &clerk,
        &code,
        "return-result",
        json!({"at": "2026-10-20T08:00:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["status"].as_str(), r.body["status_code"].as_i64()),
        (Some("returned"), Some(10))
    );
    assert_eq!(
        r.body["timeliness"], "early",
        "a returned dossier keeps its verdict"
    );
    assert_eq!(r.body["returned_at"], "2026-10-20T08:00:00+07:00");
    let ev = app
        .get(&format!("/api/v1/dossiers/{code}/events"), &clerk)
        .await;
    let actions: Vec<&str> = ev.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "received",
            "transfer",
            "transfer",
            "transfer",
            "resolve",
            "return-result"
        ]
    );
    assert_eq!(ev.body["items"][2]["actor"], "officer.a1");
    assert_eq!(ev.body["items"][2]["from_status"], "processing");
}

async fn supplement_restarts_the_clock(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    // Monday 5 Oct 09:00 + 3 working days → Thursday 8 Oct 09:00.
    let code = receive(&app, &clerk, "P3", "2026-10-05T09:00:00+07:00", None).await;
    let r = act(&app, &clerk, &code, "request-supplement", json!({"items": ["Bản sao sổ đỏ", "Bản vẽ thiết kế"], "reason": "Thiếu giấy tờ", "at": "2026-10-06T10:00:00+07:00"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["status"].as_str(), r.body["status_code"].as_i64()),
        (Some("awaiting_supplement"), Some(5))
    );
    assert_eq!(r.body["timeliness"], "paused");
    let p = app
        .request(
            Method::GET,
            &format!("/api/v1/public/dossiers/{code}?id_number=036085001234"),
            None,
            None,
        )
        .await;
    assert_eq!(
        p.body["supplement_request"]["items"],
        json!(["Bản sao sổ đỏ", "Bản vẽ thiết kế"])
    );
    assert_eq!(p.body["supplement_request"]["reason"], "Thiếu giấy tờ");
    assert_eq!(
        p.body["supplement_request"]["requested_at"],
        "2026-10-06T10:00:00+07:00"
    );
    // The supplement arrives on Monday 12 Oct 14:00: 3 working days from then → Thursday 15 Oct 14:00.
    let r = act(
        &app,
        &clerk,
        &code,
        "supplement-received",
        json!({"at": "2026-10-12T14:00:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["status"], "received",
        "back to the status before the request"
    );
    assert_eq!(r.body["due_at"], "2026-10-15T14:00:00+07:00");
    assert!(
        r.body["deadline_trace"]
            .to_string()
            .contains("restarted from zero"),
        "{}",
        r.body["deadline_trace"]
    );
    let p = app
        .request(
            Method::GET,
            &format!("/api/v1/public/dossiers/{code}?id_number=036085001234"),
            None,
            None,
        )
        .await;
    assert_eq!(p.body["supplement_request"], Value::Null);
    let statuses: Vec<&str> = p.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["received", "awaiting_supplement", "received"]);
    let ev = app
        .get(&format!("/api/v1/dossiers/{code}/events"), &clerk)
        .await;
    assert_eq!(ev.body["items"][2]["data"]["policy"], "restart");
    assert_eq!(
        ev.body["items"][2]["data"]["old_due_at"],
        "2026-10-08T02:00:00Z"
    );
}

async fn supplement_pauses_the_clock_under_the_pause_policy(backend: Backend) {
    let (app, clerk) = setup(backend, |s| {
        s.deadlines.supplement_policy = motcua::config::SupplementPolicy::Pause
    })
    .await;
    let code = receive(&app, &clerk, "P3", "2026-10-05T09:00:00+07:00", None).await;
    act(
        &app,
        &clerk,
        &code,
        "request-supplement",
        json!({"items": ["Tờ khai"], "reason": "Thiếu tờ khai", "at": "2026-10-06T10:00:00+07:00"}),
    )
    .await;
    // Waiting from Tue 10:00 to Mon 14:00 is 32 working hours (5 + 7.5 × 3 + 4.5); Thursday
    // 09:00 pushed back by 32 working hours is Wednesday 14 Oct 11:00.
    let r = act(
        &app,
        &clerk,
        &code,
        "supplement-received",
        json!({"at": "2026-10-12T14:00:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["due_at"], "2026-10-14T11:00:00+07:00");
    assert!(
        r.body["deadline_trace"].to_string().contains("32 h"),
        "{}",
        r.body["deadline_trace"]
    );
}

async fn waiting_for_payment_always_pauses(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let code = receive(&app, &clerk, "P3", "2026-10-05T09:00:00+07:00", None).await;
    let r = act(
        &app,
        &clerk,
        &code,
        "request-payment",
        json!({"amount": 500000, "at": "2026-10-05T09:30:00+07:00"}),
    )
    .await;
    assert_eq!(
        (r.body["status"].as_str(), r.body["status_code"].as_i64()),
        (Some("awaiting_payment"), Some(6))
    );
    // Paid two working hours later: Thursday 09:00 + 2 h = 11:00.
    let r = act(
        &app,
        &clerk,
        &code,
        "payment-received",
        json!({"amount": 500000, "at": "2026-10-05T11:30:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "received");
    assert_eq!(r.body["due_at"], "2026-10-08T11:00:00+07:00");
}

async fn reschedule_once_and_only_before_the_deadline(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let officer = app.staff("officer.h40", "officer", ONE_STOP).await;
    // Friday 20 Nov 2026 09:00 + 10 working days → Friday 4 Dec 09:00, still ahead.
    let code = receive(
        &app,
        &clerk,
        "P10",
        "2026-11-20T09:00:00+07:00",
        Some("minh@example.vn"),
    )
    .await;
    assert_eq!(
        act(
            &app,
            &clerk,
            &code,
            "reschedule",
            json!({"reason": "x", "new_due_at": "2026-12-11T09:00:00+07:00"})
        )
        .await
        .status,
        403,
        "clerks do not reschedule"
    );
    let bad = act(
        &app,
        &officer,
        &code,
        "reschedule",
        json!({"reason": "Cần xác minh", "new_due_at": "2026-12-01T09:00:00+07:00"}),
    )
    .await;
    assert_eq!(
        (bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()),
        (422, Some("new_due_at"))
    );
    let r = act(
        &app,
        &officer,
        &code,
        "reschedule",
        json!({"reason": "Cần xác minh thực địa", "new_due_at": "2026-12-11T09:00:00+07:00"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["due_at"], "2026-12-04T09:00:00+07:00",
        "the statutory deadline stays"
    );
    assert_eq!(r.body["rescheduled_due_at"], "2026-12-11T09:00:00+07:00");
    assert_eq!(r.body["reappointment_used"], true);
    assert_eq!(r.body["status"], "received");
    let letter = &r.body["apology_letters"][0];
    assert_eq!(letter["number"], "0001/2026/PXL-000.00.24.H40");
    assert_eq!(letter["automatic"], false);
    assert_eq!(letter["missed_duty"], false);
    assert_eq!(letter["delivery_status"], "pending");
    assert_eq!(letter["signer_name"], "Trần Văn Bình");
    assert_eq!(letter["original_due_at"], "2026-12-04T09:00:00+07:00");
    let again = act(
        &app,
        &officer,
        &code,
        "reschedule",
        json!({"reason": "Lần hai", "new_due_at": "2026-12-18T09:00:00+07:00"}),
    )
    .await;
    assert_eq!(
        (again.status.as_u16(), again.body["code"].as_str()),
        (409, Some("reappointment_used"))
    );
    let p = app
        .request(
            Method::GET,
            &format!("/api/v1/public/dossiers/{code}?id_number=036085001234"),
            None,
            None,
        )
        .await;
    assert_eq!(
        p.body["apology_letters"][0]["reason"],
        "Cần xác minh thực địa"
    );
    assert_eq!(p.body["rescheduled_due_at"], "2026-12-11T09:00:00+07:00");

    // After the deadline: refused. Filed within its last working day: accepted, duty missed.
    let late = receive(&app, &clerk, "P3", "2026-11-02T09:00:00+07:00", None).await;
    let r = act(
        &app,
        &officer,
        &late,
        "reschedule",
        json!({"reason": "x", "new_due_at": "2026-12-11T09:00:00+07:00"}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (409, Some("deadline_passed"))
    );
    let close = receive(&app, &clerk, "P3", "2026-11-09T09:00:00+07:00", None).await;
    let r = act(&app, &officer, &close, "reschedule", json!({"reason": "Chậm do bên thứ ba", "new_due_at": "2026-11-19T09:00:00+07:00", "at": "2026-11-11T10:00:00+07:00"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["apology_letters"][0]["missed_duty"], true);
    assert_eq!(
        r.body["apology_letters"][0]["delivery_status"], "print",
        "no email on file"
    );
    assert_eq!(
        r.body["apology_letters"][0]["number"],
        "0002/2026/PXL-000.00.24.H40"
    );

    let sup = app.staff("sup", "supervisor", ONE_STOP).await;
    let all = app.get("/api/v1/apology-letters", &sup).await;
    assert_eq!(all.body["total"], 2, "{}", all.text);
    assert_eq!(
        app.get("/api/v1/apology-letters?delivery_status=print", &sup)
            .await
            .body["total"],
        1
    );
    assert_eq!(
        app.get("/api/v1/apology-letters", &officer).await.status,
        403
    );
    let mine = app
        .get(&format!("/api/v1/dossiers/{code}/apology-letters"), &clerk)
        .await;
    assert_eq!(mine.body["items"][0]["dossier_code"], code.as_str());
}

async fn timeliness_at_the_boundaries(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    // Each dossier is due Thursday 8 Oct 2026 09:00.
    let cases = [
        ("2026-10-07T16:59:00+07:00", "early"),
        ("2026-10-08T00:00:00+07:00", "on_time"),
        ("2026-10-08T09:00:00+07:00", "on_time"),
        ("2026-10-08T09:01:00+07:00", "late"),
    ];
    for (at, expected) in cases {
        let code = receive(&app, &clerk, "P3", "2026-10-05T09:00:00+07:00", None).await;
        let r = act(
            &app,
            &app.admin_token,
            &code,
            "resolve",
            json!({"outcome": "refused", "note": "Không đủ điều kiện", "at": at}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["timeliness"], expected, "resolved at {at}");
        assert_eq!(r.body["outcome"], "refused");
    }
    let early = app.get("/api/v1/dossiers?timeliness=early", &clerk).await;
    assert_eq!(early.body["total"], 1);
    assert_eq!(
        app.get("/api/v1/dossiers?timeliness=on_time", &clerk)
            .await
            .body["total"],
        2
    );
    assert_eq!(
        app.get("/api/v1/dossiers?timeliness=late", &clerk)
            .await
            .body["total"],
        1
    );
}

async fn refused_actions_change_nothing(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let code = receive(&app, &clerk, "P3", "2026-10-05T09:00:00+07:00", None).await;
    let before = app.snapshot().await;
    let r = act(&app, &clerk, &code, "return-result", json!({})).await;
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (409, Some("invalid_transition"))
    );
    assert!(
        r.body["detail"].as_str().unwrap().contains("received"),
        "{}",
        r.text
    );
    assert!(
        r.body["detail"].as_str().unwrap().contains("transfer"),
        "{}",
        r.text
    );
    let cases = [
        (
            "request-supplement",
            json!({"items": [], "reason": "x"}),
            422,
            "items",
        ),
        ("request-supplement", json!({"items": ["a"]}), 422, "reason"),
        (
            "transfer",
            json!({"to_office_code": "NOPE"}),
            422,
            "to_office_code",
        ),
        (
            "request-supplement",
            json!({"items": ["Tờ khai", "tờ khai"], "reason": "x"}),
            422,
            "items[1]",
        ),
        (
            "request-supplement",
            json!({"items": ["x".repeat(301)], "reason": "x"}),
            422,
            "items[0]",
        ),
        (
            "transfer",
            json!({"to_office_code": "A1", "deadline": {"amount": 0, "unit": "working_days"}}),
            422,
            "deadline.amount",
        ),
        (
            "reject",
            json!({"reason": "x", "at": "2030-01-01T00:00:00+07:00"}),
            422,
            "at",
        ),
        (
            "reject",
            json!({"reason": "x", "at": "2026-10-05T08:59:00+07:00"}),
            422,
            "at",
        ),
        (
            "reject",
            json!({"reason": "x", "color": "red"}),
            422,
            "color",
        ),
        ("resolve", json!({"outcome": "maybe"}), 422, "outcome"),
    ];
    for (action, body, status, field) in cases {
        let r = act(&app, &app.admin_token, &code, action, body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{action} {body}: {}", r.text);
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{action} {body}: {fields:?}");
    }
    assert_eq!(
        app.post(
            &format!("/api/v1/dossiers/{code}/approve"),
            &clerk,
            json!({})
        )
        .await
        .status,
        404
    );
    assert_eq!(app.snapshot().await, before);
    let d = app.get(&format!("/api/v1/dossiers/{code}"), &clerk).await;
    assert_eq!(d.body["version"], 1);

    // Reject is for the counter, before any transfer.
    act(
        &app,
        &clerk,
        &code,
        "transfer",
        json!({"to_office_code": "A1"}),
    )
    .await;
    let r = act(
        &app,
        &clerk,
        &code,
        "reject",
        json!({"reason": "Không đúng thẩm quyền"}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (409, Some("invalid_transition"))
    );
    let r = act(
        &app,
        &clerk,
        &code,
        "withdraw",
        json!({"reason": "Công dân xin rút hồ sơ"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["status"].as_str(),
            r.body["status_code"].as_i64(),
            &r.body["timeliness"]
        ),
        (Some("withdrawn"), Some(7), &Value::Null)
    );
    assert_eq!(
        r.body["steps"][0]["timeliness"],
        Value::Null,
        "a withdrawn dossier's step is not judged"
    );
    let r = act(
        &app,
        &app.admin_token,
        &code,
        "stop",
        json!({"reason": "x"}),
    )
    .await;
    assert_eq!(r.status, 409, "nothing follows a withdrawal");
}

async fn if_match_guards_against_stale_writes(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let code = receive(&app, &clerk, "P3", "2026-10-05T09:00:00+07:00", None).await;
    let path = format!("/api/v1/dossiers/{code}/transfer");
    let ok = app
        .request_with(
            Method::POST,
            &path,
            Some(&clerk),
            Some(json!({"to_office_code": "A1"})),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.header("etag"), Some("\"2\""));
    let stale = app
        .request_with(
            Method::POST,
            &path,
            Some(&app.admin_token),
            Some(json!({"to_office_code": "A2"})),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(
        (stale.status.as_u16(), stale.body["code"].as_str()),
        (412, Some("precondition_failed"))
    );
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{code}"), &clerk)
            .await
            .body["responsible_office_code"],
        "A1"
    );
    // An action retried with its Idempotency-Key is applied once.
    let key = [("Idempotency-Key", "transfer-a2")];
    let first = app
        .request_with(
            Method::POST,
            &path,
            Some(&app.admin_token),
            Some(json!({"to_office_code": "A2"})),
            &key,
        )
        .await;
    let retry = app
        .request_with(
            Method::POST,
            &path,
            Some(&app.admin_token),
            Some(json!({"to_office_code": "A2"})),
            &key,
        )
        .await;
    assert_eq!(
        (first.status.as_u16(), retry.status.as_u16()),
        (200, 200),
        "{}",
        retry.text
    );
    assert_eq!(first.body, retry.body);
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{code}"), &clerk)
            .await
            .body["version"],
        3
    );
}

async fn twenty_concurrent_actions_lose_no_update(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    for i in 0..20 {
        app.office(&format!("B{i}"), None).await;
    }
    let code = receive(&app, &clerk, "P10", "2026-11-20T09:00:00+07:00", None).await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (app, code) = (app.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            act(
                &app,
                &app.admin_token,
                &code,
                "transfer",
                json!({"to_office_code": format!("B{i}")}),
            )
            .await
            .status
            .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let d = app.get(&format!("/api/v1/dossiers/{code}"), &clerk).await;
    assert_eq!(d.body["version"], 21);
    let steps = d.body["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 20);
    let seqs: Vec<i64> = steps.iter().map(|s| s["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    assert_eq!(
        steps.iter().filter(|s| s["completed_at"].is_null()).count(),
        1,
        "exactly one open step"
    );
    assert_eq!(steps[19]["office_code"], d.body["responsible_office_code"]);
    let ev = app
        .get(&format!("/api/v1/dossiers/{code}/events"), &clerk)
        .await;
    assert_eq!(ev.body["total"], 21);
}

both_backends!(
    a_dossier_processed_where_it_was_received,
    a_hand_over_inside_an_agency_is_a_new_step,
    repeated_supplement_requests_are_allowed_and_counted,
    a_three_agency_chain_with_one_late_step,
    supplement_restarts_the_clock,
    supplement_pauses_the_clock_under_the_pause_policy,
    waiting_for_payment_always_pauses,
    reschedule_once_and_only_before_the_deadline,
    timeliness_at_the_boundaries,
    refused_actions_change_nothing,
    if_match_guards_against_stale_writes,
    twenty_concurrent_actions_lose_no_update,
);
