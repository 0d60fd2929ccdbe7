//! Synchronisation with the national portal, against a stand-in portal on loopback: a record
//! per change with the national status codes and the configured bearer token; the portal down →
//! pending with the error, then caught up when it is back; a range sent again on request.

mod common;

use common::receiver::Receiver;
use common::{Backend, TestApp};
use serde_json::{Value, json};

const OFFICE: &str = "000.00.24.H40";
const AGENCY: &str = "000.20.24.H40";

async fn setup(backend: Backend, portal: &Receiver) -> (TestApp, String) {
    let url = format!("{}/dong-bo-ho-so", portal.url);
    let app = TestApp::spawn_with(backend, |s| {
        s.outbox.retry_base_secs = 1;
        s.national_portal.url = Some(url);
        s.national_portal.token = Some("portal-token-123".to_owned().into());
    })
    .await;
    app.office(OFFICE, None).await;
    app.office(AGENCY, Some(OFFICE)).await;
    app.procedure("P5", OFFICE, 5, "working_days").await;
    let clerk = app.staff("clerk", "clerk", OFFICE).await;
    (app, clerk)
}

async fn receive(app: &TestApp, clerk: &str, channel: &str) -> String {
    let r = app
        .post(
            "/api/v1/dossiers",
            clerk,
            json!({"procedure_code": "P5", "channel": channel,
                "applicant": {"full_name": "Lê Thị Hoa", "id_number": "079123456789"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["code"].as_str().unwrap().to_owned()
}

async fn sync_state(app: &TestApp, code: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/dossiers/{code}"), &app.admin_token)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["national_sync"].clone()
}

async fn every_change_is_synchronised_with_its_national_status(backend: Backend) {
    let portal = Receiver::start().await;
    let (app, clerk) = setup(backend, &portal).await;
    let code = receive(&app, &clerk, "online").await;
    assert_eq!(sync_state(&app, &code).await["status"], "pending");
    app.sweep().await;
    let changes: [(&str, Value, i64); 3] = [
        ("transfer", json!({"to_office_code": AGENCY}), 4),
        (
            "request-supplement",
            json!({"items": ["Bản sao sổ đỏ"], "reason": "Thiếu"}),
            5,
        ),
        ("supplement-received", json!({}), 4),
    ];
    for (action, body, _) in &changes {
        app.act(&code, action, body.clone()).await;
        app.sweep().await;
    }
    let got = portal.received();
    assert_eq!(got.len(), 4, "one record per change");
    let records: Vec<Value> = got.iter().map(|m| m.json()).collect();
    for (m, r) in got.iter().zip(&records) {
        assert_eq!(m.path, "/dong-bo-ho-so");
        assert_eq!(m.header("authorization"), Some("Bearer portal-token-123"));
        assert_eq!(r["MaHoSo"], code.as_str());
        assert_eq!(r["MaTTHC"], "P5");
        assert_eq!(r["MaDonViTiepNhan"], OFFICE);
        assert_eq!(r["KenhThucHien"], "2", "online");
        let received = r["NgayTiepNhan"].as_str().unwrap();
        assert_eq!(received.len(), 14, "yyyyMMddHHmmss: {received}");
        assert!(r["NgayHenTra"].is_string());
    }
    let statuses: Vec<i64> = records
        .iter()
        .map(|r| r["TrangThaiHoSo"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![2, 4, 5, 4], "{records:?}");
    assert_eq!(records[2]["DangBoSung"], 1);
    assert_eq!(records[2]["SoLanBoSung"], 1);
    assert_eq!(records[1]["MaDonViXuLy"], AGENCY);
    // Versions rise with every change: the portal keeps the latest.
    let versions: Vec<i64> = records
        .iter()
        .map(|r| r["PhienBan"].as_i64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    let state = sync_state(&app, &code).await;
    assert_eq!(state["status"], "synced", "{state}");
    assert!(state["synced_at"].is_string());
    // Nothing more to send.
    app.sweep().await;
    assert_eq!(portal.received().len(), 4);
}

async fn a_portal_outage_is_caught_up(backend: Backend) {
    let portal = Receiver::start().await;
    let (app, clerk) = setup(backend, &portal).await;
    portal.answer(503);
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(receive(&app, &clerk, "counter").await);
    }
    app.sweep().await;
    assert_eq!(portal.received().len(), 5, "tried, refused");
    let state = sync_state(&app, &codes[0]).await;
    assert_eq!(state["status"], "pending", "{state}");
    assert!(
        state["last_error"].as_str().unwrap().contains("503"),
        "{state}"
    );

    portal.answer(200);
    let mut runs = 0;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        app.sweep().await;
        let mut all = true;
        for c in &codes {
            all &= sync_state(&app, c).await["status"] == "synced";
        }
        if all {
            break;
        }
        runs += 1;
        assert!(runs < 20, "never caught up");
    }
    let ok: Vec<String> = portal
        .received()
        .iter()
        .skip(5)
        .map(|m| m.json()["MaHoSo"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = ok.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 5, "every dossier caught up once: {ok:?}");
    assert_eq!(ok.len(), 5, "and only once");

    // The reports' share of synchronised dossiers: all five, then one behind after a change.
    let today = chrono::Utc::now().date_naive();
    let path = format!(
        "/api/v1/reports/summary?from={}&to={}&group_by=office",
        today - chrono::Duration::days(1),
        today + chrono::Duration::days(1)
    );
    let r = app.get(&path, &app.admin_token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["rows"][0]["national_synced"], 5, "{}", r.text);
    assert_eq!(r.body["rows"][0]["national_synced_pct"], 100.0);
    portal.answer(503);
    app.act(&codes[0], "transfer", json!({"to_office_code": AGENCY}))
        .await;
    app.sweep().await;
    let r = app.get(&path, &app.admin_token).await;
    assert_eq!(r.body["rows"][0]["national_synced"], 4, "{}", r.text);
    assert_eq!(r.body["rows"][0]["national_synced_pct"], 80.0);
    portal.answer(200);
    let mut runs = 0;
    while sync_state(&app, &codes[0]).await["status"] != "synced" {
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        app.sweep().await;
        runs += 1;
        assert!(runs < 20, "never caught up");
    }
    let sent_before = portal.received().len();

    // After a longer outage an operator sends a range again (`motcua sync --since`).
    let db = app.db.clone();
    let queued = tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().unwrap();
        let since = (chrono::Utc::now() - chrono::Duration::days(1)).naive_utc();
        motcua::store::webhooks::resync_since(&mut conn, since, chrono::Utc::now()).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(queued, Some(5));
    app.sweep().await;
    assert_eq!(portal.received().len(), sent_before + 5);
}

async fn synchronisation_is_off_without_a_url(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.office(OFFICE, None).await;
    app.procedure("P5", OFFICE, 5, "working_days").await;
    let clerk = app.staff("clerk", "clerk", OFFICE).await;
    let code = receive(&app, &clerk, "counter").await;
    assert_eq!(sync_state(&app, &code).await["status"], "off");
    assert_eq!(
        app.count("outbox WHERE kind = 'national_sync'").await,
        0,
        "nothing queued for a portal that is off"
    );
    let db = app.db.clone();
    let queued = tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().unwrap();
        motcua::store::webhooks::resync_since(
            &mut conn,
            chrono::NaiveDateTime::MIN,
            chrono::Utc::now(),
        )
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(queued, None);
}

both_backends!(
    every_change_is_synchronised_with_its_national_status,
    a_portal_outage_is_caught_up,
    synchronisation_is_off_without_a_url,
);
