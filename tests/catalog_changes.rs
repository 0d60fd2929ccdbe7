//! Offices and procedures that change over time, on both backends: a procedure's new version
//! applies to receipts from its effective date and not before, retired procedures receive
//! nothing, payments that differ from the fees are flagged; an office renamed, kept acyclic,
//! closed into its successor with its open dossiers moved and the summary rolled up; another
//! replica sees the changes within 2 s.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use common::{Backend, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_motcua");
const SECRET: &str = "test-secret-test-secret-test-secret!";

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> common::Resp {
    app.request(Method::PATCH, path, Some(token), Some(body))
        .await
}

fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Ho_Chi_Minh)
        .date_naive()
}

fn at_nine(d: NaiveDate) -> String {
    format!("{d}T09:00:00+07:00")
}

fn receipt(received_at: Option<&str>) -> Value {
    let mut r = json!({"procedure_code": "1.001234", "channel": "counter",
           "applicant": {"full_name": "Nguyễn Văn An", "id_number": "079123456789"}});
    if let Some(t) = received_at {
        r["received_at"] = json!(t);
    }
    r
}

async fn receive(app: &TestApp, clerk: &str, received_at: Option<&str>) -> Value {
    let r = app
        .post("/api/v1/dossiers", clerk, receipt(received_at))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// The appointment the calculator gives for a receipt at `start`.
async fn due(app: &TestApp, start: &str, amount: u32) -> Value {
    let r = app
        .get(
            &format!(
                "/api/v1/calendar/deadline?start={}&amount={amount}&unit=working_days",
                start.replace('+', "%2B")
            ),
            &app.admin_token,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["due_at"].clone()
}

async fn a_new_processing_time_applies_from_its_effective_date_and_not_before(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token.clone();
    app.office("000.00.24.H40", None).await;
    app.procedure("1.001234", "000.00.24.H40", 3, "working_days")
        .await;
    let clerk = app.staff("clerk.h40", "clerk", "000.00.24.H40").await;
    let d = today() - Days::new(14);
    // Recorded before the change, received after its effective date: keeps its version.
    let early_record = receive(&app, &clerk, Some(&at_nine(d + Days::new(2)))).await;
    assert_eq!(early_record["procedure_version"], 1);

    let r = patch(
        &app,
        "/api/v1/procedures/1.001234",
        &admin,
        json!({"processing_time": {"amount": 5, "unit": "working_days"},
               "effective_from": d.to_string(),
               "components": [{"code": "TP1", "name": "Đơn đề nghị", "required": true}],
               "fees": [{"kind": "le_phi", "name": "Lệ phí cấp phép", "amount": 50000},
                        {"kind": "phi", "name": "Phí thẩm định", "amount": 25000}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["version"], 2);
    assert_eq!(
        r.body["processing_time"],
        json!({"amount": 5, "unit": "working_days"})
    );
    assert_eq!(r.body["fees_total"], 75000);
    assert_eq!(r.body["effective_from"], d.to_string());

    let before = receive(&app, &clerk, Some(&at_nine(d - Days::new(3)))).await;
    assert_eq!(before["procedure_version"], 1);
    assert_eq!(before["processing_time"]["amount"], 3);
    assert_eq!(
        before["due_at"],
        due(&app, &at_nine(d - Days::new(3)), 3).await
    );
    let on = receive(&app, &clerk, Some(&at_nine(d))).await;
    assert_eq!(on["procedure_version"], 2);
    assert_eq!(on["due_at"], due(&app, &at_nine(d), 5).await);
    let after = receive(&app, &clerk, Some(&at_nine(d + Days::new(1)))).await;
    assert_eq!(after["procedure_version"], 2);
    assert_eq!(after["processing_time"]["amount"], 5);

    let kept = app
        .get(
            &format!(
                "/api/v1/dossiers/{}",
                early_record["code"].as_str().unwrap()
            ),
            &clerk,
        )
        .await;
    assert_eq!(kept.body["procedure_version"], 1);
    assert_eq!(kept.body["due_at"], early_record["due_at"]);

    let v = app
        .get("/api/v1/procedures/1.001234/versions", &clerk)
        .await;
    assert_eq!(v.status, 200, "{}", v.text);
    let versions = v.body.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["effective_from"], Value::Null);
    assert_eq!(versions[0]["fees"], json!([]));
    assert_eq!(versions[1]["components"][0]["code"], "TP1");
    assert_eq!(versions[1]["created_by"], "admin");

    // The fees: a payment asked that is not theirs is flagged.
    for (dossier, amount) in [(&on, 75000), (&after, 90000)] {
        let r = app
            .post(
                &format!(
                    "/api/v1/dossiers/{}/request-payment",
                    dossier["code"].as_str().unwrap()
                ),
                &clerk,
                json!({"amount": amount}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = app
        .get(
            &format!("/api/v1/reports/fees?from={}&to={}", today(), today()),
            &admin,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 1, "{}", r.text);
    assert_eq!(r.body["items"][0]["code"], after["code"]);
    assert_eq!(r.body["items"][0]["expected"], 75000);
    assert_eq!(r.body["items"][0]["difference"], 15000);

    // Retired from today: today's receipts are refused, yesterday's backlog is not.
    let r = patch(
        &app,
        "/api/v1/procedures/1.001234",
        &admin,
        json!({"active": false}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["active"], false);
    let r = app.post("/api/v1/dossiers", &clerk, receipt(None)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "procedure_code");
    let yesterday = receive(&app, &clerk, Some(&at_nine(today() - Days::new(1)))).await;
    assert_eq!(yesterday["procedure_version"], 2);
}

async fn bad_procedure_changes_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token.clone();
    app.office("000.00.24.H40", None).await;
    app.procedure("1.001234", "000.00.24.H40", 3, "working_days")
        .await;
    let clerk = app.staff("clerk.h40", "clerk", "000.00.24.H40").await;
    let versions = app.count("procedure_versions").await;
    let before = app.snapshot().await;
    for (body, field) in [
        (json!({}), "body"),
        (
            json!({"processing_time": {"amount": 0, "unit": "working_days"}}),
            "processing_time.amount",
        ),
        (
            json!({"processing_time": {"amount": 2, "unit": "fortnights"}}),
            "processing_time.unit",
        ),
        (
            json!({"fees": [{"kind": "phi", "name": "Phí", "amount": -1}]}),
            "fees[0].amount",
        ),
        (
            json!({"fees": [{"kind": "tax", "name": "Phí", "amount": 1}]}),
            "fees[0].kind",
        ),
        (
            json!({"components": [{"code": "A", "name": "a", "required": true},
                               {"code": "A", "name": "b", "required": false}]}),
            "components[1].code",
        ),
        (json!({"name": " "}), "name"),
        (
            json!({"active": false, "effective_from": "1066-10-14"}),
            "effective_from",
        ),
        (
            json!({"active": false, "effective_from": "tomorrow"}),
            "effective_from",
        ),
    ] {
        let r = patch(&app, "/api/v1/procedures/1.001234", &admin, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.text);
    }
    let r = patch(
        &app,
        "/api/v1/procedures/9.999999",
        &admin,
        json!({"active": false}),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = patch(
        &app,
        "/api/v1/procedures/1.001234",
        &clerk,
        json!({"active": false}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.count("procedure_versions").await, versions);
}

async fn closing_an_office_moves_its_open_dossiers_and_refuses_receipts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token.clone();
    app.office("000.00.24.H40", None).await;
    app.office("000.00.00.H40", None).await;
    app.office("000.20.24.H40", Some("000.00.24.H40")).await;
    app.procedure("1.001234", "000.00.24.H40", 3, "working_days")
        .await;
    let clerk = app.staff("clerk.h40", "clerk", "000.00.24.H40").await;
    let clerk2 = app.staff("clerk.tinh", "clerk", "000.00.00.H40").await;

    // The tree stays acyclic.
    for parent in ["000.20.24.H40", "000.00.24.H40"] {
        let r = patch(
            &app,
            "/api/v1/offices/000.00.24.H40",
            &admin,
            json!({"parent_code": parent}),
        )
        .await;
        assert_eq!(r.status, 422, "{parent}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "parent_code");
    }
    let r = patch(
        &app,
        "/api/v1/offices/000.00.24.H40",
        &admin,
        json!({"parent_code": "NO.SUCH"}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["errors"][0]["field"]),
        (422, &json!("parent_code"))
    );
    let r = patch(
        &app,
        "/api/v1/offices/NO.SUCH",
        &admin,
        json!({"name": "x"}),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = patch(
        &app,
        "/api/v1/offices/000.00.24.H40",
        &admin,
        json!({"name": "Bộ phận Một cửa xã Phú Vang", "parent_code": "000.00.00.H40"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["name"], "Bộ phận Một cửa xã Phú Vang");
    assert_eq!(r.body["parent_code"], "000.00.00.H40");
    assert_eq!(r.body["closed_at"], Value::Null);
    let r = patch(
        &app,
        "/api/v1/offices/000.00.24.H40",
        &admin,
        json!({"parent_code": null}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["parent_code"]),
        (200, &Value::Null)
    );

    let open1 = receive(&app, &clerk, None).await;
    let open2 = receive(&app, &clerk, None).await;
    let rejected = receive(&app, &clerk, None).await;
    let code = |d: &Value| d["code"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/dossiers/{}/reject", code(&rejected)),
            &clerk,
            json!({"reason": "Không thuộc thẩm quyền"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    receive(&app, &clerk2, None).await;

    // Bad closings change nothing.
    let before = app.snapshot().await;
    for (body, field) in [
        (json!({"successor_code": "000.00.24.H40"}), "successor_code"),
        (json!({"successor_code": "NO.SUCH"}), "successor_code"),
        (json!({"successor_code": "bad code"}), "successor_code"),
        (
            json!({"successor_code": "000.00.00.H40", "at": "2999-01-01T00:00:00+07:00"}),
            "at",
        ),
    ] {
        let r = app
            .post("/api/v1/offices/000.00.24.H40/close", &admin, body.clone())
            .await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{body}");
    }
    assert_eq!(
        app.post(
            "/api/v1/offices/000.00.24.H40/close",
            &clerk,
            json!({"successor_code": "000.00.00.H40"})
        )
        .await
        .status,
        403
    );
    assert_eq!(app.snapshot().await, before);

    let r = app
        .post(
            "/api/v1/offices/000.00.24.H40/close",
            &admin,
            json!({"successor_code": "000.00.00.H40"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["successor_code"], "000.00.00.H40");
    assert!(r.body["closed_at"].is_string());
    for d in [&open1, &open2] {
        let g = app
            .get(&format!("/api/v1/dossiers/{}", code(d)), &admin)
            .await;
        assert_eq!(g.body["responsible_office_code"], "000.00.00.H40");
        assert_eq!(
            g.body["office_code"], "000.00.24.H40",
            "its code and receipt stay its own"
        );
        assert_eq!(g.body["code"], d["code"]);
        let e = app
            .get(&format!("/api/v1/dossiers/{}/events", code(d)), &admin)
            .await;
        let last = e.body["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "office_closed", "{}", e.text);
    }
    let g = app
        .get(&format!("/api/v1/dossiers/{}", code(&rejected)), &admin)
        .await;
    assert_eq!(
        g.body["responsible_office_code"], "000.00.24.H40",
        "closed dossiers stay"
    );

    let r = app.post("/api/v1/dossiers", &clerk, receipt(None)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "office_code");
    let r = app
        .post(
            "/api/v1/offices/000.00.24.H40/close",
            &admin,
            json!({"successor_code": "000.00.00.H40"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = app
        .post(
            "/api/v1/offices/000.00.00.H40/close",
            &admin,
            json!({"successor_code": "000.00.24.H40"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["errors"][0]["field"]),
        (422, &json!("successor_code"))
    );

    // The summary, office by office and rolled up into the successor.
    let period = format!("from={}&to={}", today(), today());
    let plain = app
        .get(
            &format!("/api/v1/reports/summary?{period}&group_by=office"),
            &admin,
        )
        .await;
    assert_eq!(plain.status, 200, "{}", plain.text);
    let rows = plain.body["rows"].as_array().unwrap();
    let groups: Vec<&str> = rows.iter().map(|r| r["group"].as_str().unwrap()).collect();
    assert_eq!(groups, ["000.00.00.H40", "000.00.24.H40"]);
    assert_eq!(rows[1]["received_total"], 3);
    let rolled = app
        .get(
            &format!("/api/v1/reports/summary?{period}&group_by=office&roll_up=true"),
            &admin,
        )
        .await;
    assert_eq!(rolled.status, 200, "{}", rolled.text);
    let rows = rolled.body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{}", rolled.text);
    assert_eq!(rows[0]["group"], "000.00.00.H40");
    assert_eq!(rows[0]["received_total"], 4);
    assert_eq!(rows[0]["rejected"], 1);
    assert_eq!(rolled.body["total"], plain.body["total"]);
    let r = app
        .get(
            &format!("/api/v1/reports/summary?{period}&group_by=field&roll_up=true"),
            &admin,
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["errors"][0]["field"]),
        (422, &json!("roll_up"))
    );
}

/// A second `motcua serve` on the same database.
type Replica = common::serve::Serving;

fn replica(database_url: &str) -> Replica {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("MOTCUA_") {
            c.env_remove(k);
        }
    }
    c.current_dir(std::env::temp_dir())
        .env("MOTCUA__DATABASE__URL", database_url)
        .env("MOTCUA__AUTH__JWT_SECRET", SECRET)
        .env("RUST_LOG", "info");
    common::serve::serve(c, 1)
}

async fn another_replica_sees_catalog_changes_within_two_seconds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token.clone();
    app.office("000.00.24.H40", None).await;
    app.office("000.00.00.H40", None).await;
    app.procedure("1.001234", "000.00.24.H40", 3, "working_days")
        .await;
    let clerk = app.staff("clerk.h40", "clerk", "000.00.24.H40").await;
    let url = app.database.url.clone();
    let other = tokio::task::spawn_blocking(move || replica(&url))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let post = |body: Value| {
        let (client, base, clerk) = (client.clone(), other.base.clone(), clerk.clone());
        async move {
            let r = client
                .post(format!("{base}/api/v1/dossiers"))
                .bearer_auth(clerk)
                .json(&body)
                .send()
                .await
                .expect("send");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // The replica has read the procedure and the office: both are in its memory now.
    let (s, b) = post(receipt(None)).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["processing_time"]["amount"], 3);

    let r = patch(
        &app,
        "/api/v1/procedures/1.001234",
        &admin,
        json!({"processing_time": {"amount": 7, "unit": "working_days"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let started = Instant::now();
    loop {
        let (s, b) = post(receipt(None)).await;
        assert_eq!(s, 201, "{b}");
        if b["processing_time"]["amount"] == 7 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the new version took over 2 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Receipts on the other replica race the closing: each is either refused or moved with the
    // office's open dossiers, never left at the closed office.
    let racing: Vec<_> = (0..24).map(|_| tokio::spawn(post(receipt(None)))).collect();
    let r = app
        .post(
            "/api/v1/offices/000.00.24.H40/close",
            &admin,
            json!({"successor_code": "000.00.00.H40"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut accepted = Vec::new();
    for t in racing {
        let (s, b) = t.await.unwrap();
        match s {
            201 => accepted.push(b["code"].as_str().unwrap().to_owned()),
            422 => assert_eq!(b["errors"][0]["field"], "office_code", "{b}"),
            _ => panic!("{s}: {b}"),
        }
    }
    for code in &accepted {
        let d = app.get(&format!("/api/v1/dossiers/{code}"), &admin).await;
        assert_eq!(
            d.body["responsible_office_code"], "000.00.00.H40",
            "{code} received during the closing stayed behind: {}",
            d.text
        );
    }
    // At once after the closing, though the replica's catalog has not caught up yet.
    let (s, b) = post(receipt(None)).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "office_code");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("000.00.00.H40"),
        "names the successor: {b}"
    );
}

crate::both_backends!(
    a_new_processing_time_applies_from_its_effective_date_and_not_before,
    bad_procedure_changes_are_refused_and_change_nothing,
    closing_an_office_moves_its_open_dossiers_and_refuses_receipts,
    another_replica_sees_catalog_changes_within_two_seconds,
);
