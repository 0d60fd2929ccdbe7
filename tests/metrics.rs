//! `/metrics`: the Prometheus text an operator scrapes, read from the real server on both
//! backends. Database figures are exact; per-process counters are checked for what this test
//! did (other tests in the same process may add to them).

mod common;

use std::collections::HashMap;

use common::{Backend, TestApp};
use serde_json::json;

const OFFICE: &str = "000.00.24.H41";

/// Sample lines as `series → value` (comments skipped).
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("a sample line has a value");
            (
                series.to_owned(),
                value.parse::<f64>().expect("the value is a number"),
            )
        })
        .collect()
}

async fn scrape(app: &TestApp) -> (String, HashMap<String, f64>) {
    let r = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("scrape");
    assert_eq!(r.status(), 200);
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = r.text().await.expect("body");
    let map = samples(&text);
    (text, map)
}

async fn receive(app: &TestApp, clerk: &str, at: Option<&str>) -> String {
    let mut body = json!({"procedure_code": "P3", "channel": "counter",
        "applicant": {"full_name": "Lê Văn Tám", "id_number": "079301000777", "email": "tam@example.vn"}});
    if let Some(at) = at {
        body["received_at"] = json!(at);
    }
    let r = app.post("/api/v1/dossiers", clerk, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["code"].as_str().expect("code").to_owned()
}

async fn metrics_describe_requests_dossiers_outbox_and_sweeps(backend: Backend) {
    // No SMTP server configured: the letter's email stays in the outbox backlog.
    let app = TestApp::spawn(backend).await;
    app.office(OFFICE, None).await;
    app.procedure("P3", OFFICE, 3, "working_days").await;
    let clerk = app.staff("clerk.metrics", "clerk", OFFICE).await;

    let late = receive(&app, &clerk, Some("2026-11-02T09:00:00+07:00")).await;
    let fresh = receive(&app, &clerk, None).await;
    let paused = receive(&app, &clerk, None).await;
    let r = app
        .post(
            &format!("/api/v1/dossiers/{paused}/request-supplement"),
            &clerk,
            json!({"items": ["Bản sao CCCD"], "reason": "Thiếu giấy tờ"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for code in [&late, &fresh] {
        assert_eq!(
            app.get(&format!("/api/v1/dossiers/{code}"), &clerk)
                .await
                .status,
            200
        );
    }
    assert_eq!(app.get("/api/v1/no-such-thing", &clerk).await.status, 404);
    // The receipts' and the supplement request's emails are queued too; the backlog below is
    // the letter's.
    app.exec("UPDATE outbox SET status = 'sent' WHERE kind <> 'apology'")
        .await;
    let run = app.sweep().await;
    assert_eq!(run.sweep.letters, 1, "{run:?}");

    let (text, m) = scrape(&app).await;
    // Routes are patterns: no dossier code (nor any ID number) appears in the series.
    for code in [&late, &fresh, &paused] {
        assert!(!text.contains(code.as_str()), "{code} leaked into /metrics");
    }
    assert!(!text.contains("079301000777"));
    let get_dossier =
        r#"motcua_http_requests_total{method="GET",route="/api/v1/dossiers/{code}",status="200"}"#;
    assert!(m[get_dossier] >= 2.0, "{text}");
    let receipts =
        r#"motcua_http_requests_total{method="POST",route="/api/v1/dossiers",status="201"}"#;
    assert!(m[receipts] >= 3.0, "{text}");
    assert!(m[r#"motcua_http_requests_total{method="GET",route="unmatched",status="404"}"#] >= 1.0);
    let bucket_inf = r#"motcua_http_request_duration_seconds_bucket{method="POST",route="/api/v1/dossiers",status="201",le="+Inf"}"#;
    let count = r#"motcua_http_request_duration_seconds_count{method="POST",route="/api/v1/dossiers",status="201"}"#;
    assert_eq!(m[bucket_inf], m[count]);
    assert_eq!(m[count], m[receipts]);

    // From the database, exact: the late one is overdue (it has its letter now, but its
    // deadline is still the original one), one on track, one paused.
    assert_eq!(
        m[r#"motcua_dossiers_open{timeliness="overdue"}"#], 1.0,
        "{text}"
    );
    assert_eq!(
        m[r#"motcua_dossiers_open{timeliness="on_track"}"#], 1.0,
        "{text}"
    );
    assert_eq!(
        m[r#"motcua_dossiers_open{timeliness="paused"}"#], 1.0,
        "{text}"
    );
    assert_eq!(
        m[r#"motcua_dossiers_open{timeliness="due_soon"}"#], 0.0,
        "{text}"
    );
    assert_eq!(m["motcua_outbox_backlog"], 1.0, "{text}");
    assert_eq!(
        m[r#"motcua_apology_letters{delivery_status="pending"}"#], 1.0,
        "{text}"
    );
    assert!(m["motcua_sweep_duration_seconds_count"] >= 1.0);
    assert!(m["motcua_apology_letters_created_total"] >= 1.0);
    assert!(m[r#"motcua_db_pool_connections{state="idle"}"#] >= 0.0);
    assert!(m["motcua_db_pool_max_connections"] >= 1.0);
    // Every sample belongs to a declared family.
    for series in m.keys() {
        let name = series.split('{').next().unwrap_or_default();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|f| text.contains(&format!("# TYPE {f} histogram")))
            .unwrap_or(name);
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "{series} has no TYPE"
        );
    }
}

both_backends!(metrics_describe_requests_dossiers_outbox_and_sweeps);
