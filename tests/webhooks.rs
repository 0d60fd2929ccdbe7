//! Webhooks: every dossier event a subscription wants is POSTed to a receiver on loopback,
//! signed per Standard Webhooks (checked here with the `standardwebhooks` crate, an independent
//! implementation), retried under the same `webhook-id` until a 2xx, disabled after a run of
//! failures, and never sent to a private address without `webhooks.allow_private_networks`.

mod common;

use common::receiver::Receiver;
use common::{Backend, TestApp};
use serde_json::{Value, json};

const OFFICE: &str = "000.00.24.H40";
const AGENCY: &str = "000.20.24.H40";

async fn setup(
    backend: Backend,
    tweak: impl FnOnce(&mut motcua::config::Settings),
) -> (TestApp, String) {
    let app = TestApp::spawn_with(backend, |s| {
        s.webhooks.allow_private_networks = true;
        s.outbox.retry_base_secs = 1;
        tweak(s);
    })
    .await;
    app.office(OFFICE, None).await;
    app.office(AGENCY, Some(OFFICE)).await;
    app.procedure("P5", OFFICE, 5, "working_days").await;
    let clerk = app.staff("clerk", "clerk", OFFICE).await;
    (app, clerk)
}

async fn subscribe(app: &TestApp, url: &str, events: Option<Value>) -> Value {
    let mut body = json!({"url": url, "description": "Nền tảng tích hợp tỉnh"});
    if let Some(e) = events {
        body["events"] = e;
    }
    let r = app.post("/api/v1/webhooks", &app.admin_token, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

async fn receive(app: &TestApp, clerk: &str) -> String {
    let r = app
        .post(
            "/api/v1/dossiers",
            clerk,
            json!({"procedure_code": "P5", "channel": "counter",
                "applicant": {"full_name": "Lê Thị Hoa", "id_number": "079123456789"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["code"].as_str().unwrap().to_owned()
}

fn verify(secret: &str, m: &common::receiver::Received) {
    let wh = standardwebhooks::Webhook::new(secret).expect("a whsec_ secret");
    wh.verify(&m.body, &m.headers).unwrap_or_else(|e| {
        panic!(
            "signature of {:?} does not verify: {e:?}",
            m.header("webhook-id")
        )
    });
}

async fn deliveries_are_signed_and_carry_the_event(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let receiver = Receiver::start().await;
    let hook = subscribe(&app, &format!("{}/motcua", receiver.url), None).await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{hook}");
    assert_eq!(hook["enabled"], true);
    assert_eq!(hook["events"], Value::Null);

    let code = receive(&app, &clerk).await;
    app.act(&code, "transfer", json!({"to_office_code": AGENCY}))
        .await;
    let run = app.sweep().await;
    assert_eq!(run.sent, 2, "{run:?}");

    let mut got = receiver.received();
    assert_eq!(got.len(), 2);
    // Deliveries go out several at a time, so they may arrive in any order: `seq` orders them.
    got.sort_by_key(|m| m.json()["data"]["seq"].as_i64());
    for m in &got {
        assert_eq!(m.path, "/motcua");
        assert_eq!(m.header("content-type"), Some("application/json"));
        verify(&secret, m);
        // A body signed with another secret must not verify: the check can fail.
        let other =
            standardwebhooks::Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert!(other.verify(&m.body, &m.headers).is_err());
    }
    let first = got[0].json();
    assert_eq!(first["type"], "dossier.received");
    assert_eq!(first["data"]["dossier_code"], code.as_str());
    assert_eq!(first["data"]["seq"], 1);
    assert_eq!(first["data"]["to_status"], "received");
    assert_eq!(first["data"]["dossier"]["code"], code.as_str());
    assert_eq!(first["data"]["dossier"]["office_code"], OFFICE);
    assert!(first["data"]["dossier"]["due_at"].is_string(), "{first}");
    assert!(first["timestamp"].is_string());
    let second = got[1].json();
    assert_eq!(second["type"], "dossier.transfer");
    assert_eq!(second["data"]["seq"], 2);
    assert_eq!(second["data"]["from_status"], "received");
    assert_eq!(second["data"]["to_status"], "processing");
    assert_eq!(second["data"]["dossier"]["responsible_office_code"], AGENCY);
    assert_eq!(second["data"]["dossier"]["status"], "processing");
    assert!(second["data"]["dossier"]["status_code"].is_number());
    assert_ne!(got[0].header("webhook-id"), got[1].header("webhook-id"));

    // The log shows both, delivered, with the receiver's answer.
    let id = hook["id"].as_i64().unwrap();
    let log = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries"),
            &app.admin_token,
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.text);
    assert_eq!(log.body["total"], 2);
    for d in log.body["items"].as_array().unwrap() {
        assert_eq!(d["status"], "sent", "{d}");
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["last_status_code"], 200);
        assert_eq!(d["dossier_code"], code.as_str());
        assert!(d["last_duration_ms"].as_i64().unwrap() >= 0);
    }
    // Nothing more to send: a second run delivers nothing again.
    assert_eq!(app.sweep().await.sent, 0);
    assert_eq!(receiver.received().len(), 2);

    // Reading a subscription never shows its secret again.
    let r = app
        .get(&format!("/api/v1/webhooks/{id}"), &app.admin_token)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("secret").is_none(), "{}", r.text);
    assert!(!r.text.contains(&secret));
    let r = app.get("/api/v1/webhooks", &app.admin_token).await;
    assert_eq!(r.body["total"], 1);
    assert!(!r.text.contains(&secret));
}

async fn a_failing_receiver_gets_the_same_message_until_it_answers(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let receiver = Receiver::start().await;
    let hook = subscribe(&app, &receiver.url, Some(json!(["dossier.received"]))).await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    receiver.script(&[500, 503]);
    let code = receive(&app, &clerk).await;
    // The transfer is not a type this subscription asked for.
    app.act(&code, "transfer", json!({"to_office_code": AGENCY}))
        .await;

    let mut runs = 0;
    while receiver.received().len() < 3 && runs < 20 {
        app.sweep().await;
        runs += 1;
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    }
    let got = receiver.received();
    assert_eq!(got.len(), 3, "two failures and the delivery");
    let ids: Vec<_> = got
        .iter()
        .map(|m| m.header("webhook-id").unwrap().to_owned())
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    // The same body every time, each attempt signed anew.
    assert!(got.iter().all(|m| m.body == got[0].body));
    for m in &got {
        verify(&secret, m);
    }
    let id = hook["id"].as_i64().unwrap();
    let log = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries"),
            &app.admin_token,
        )
        .await;
    assert_eq!(log.body["total"], 1, "{}", log.text);
    let d = &log.body["items"][0];
    assert_eq!(d["status"], "sent");
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["type"], "dossier.received");
    assert_eq!(d["webhook_id"], ids[0].as_str());
    // One delivery sent, nothing left: more runs send nothing.
    app.sweep().await;
    assert_eq!(receiver.received().len(), 3);
    let r = app
        .get(&format!("/api/v1/webhooks/{id}"), &app.admin_token)
        .await;
    assert_eq!(
        r.body["consecutive_failures"], 0,
        "a delivery ends the run of failures"
    );
}

async fn a_webhook_failing_in_a_row_is_disabled_and_can_be_retried(backend: Backend) {
    let (app, clerk) = setup(backend, |s| s.webhooks.disable_after_failures = 3).await;
    let receiver = Receiver::start().await;
    receiver.answer(503);
    let hook = subscribe(&app, &receiver.url, None).await;
    let id = hook["id"].as_i64().unwrap();
    let code = receive(&app, &clerk).await;
    let mut runs = 0;
    loop {
        app.sweep().await;
        let r = app
            .get(&format!("/api/v1/webhooks/{id}"), &app.admin_token)
            .await;
        if r.body["enabled"] == false {
            assert!(
                r.body["disabled_reason"]
                    .as_str()
                    .unwrap()
                    .contains("3 failed attempts"),
                "{}",
                r.text
            );
            assert!(r.body["disabled_at"].is_string());
            break;
        }
        runs += 1;
        assert!(runs < 30, "never disabled: {}", r.text);
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    }
    assert_eq!(receiver.received().len(), 3);
    let log = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries"),
            &app.admin_token,
        )
        .await;
    let delivery = log.body["items"][0].clone();
    assert_eq!(delivery["status"], "failed", "{delivery}");
    assert_eq!(delivery["last_status_code"], 503);
    // Disabled: new events queue nothing for it, and a retry is refused until it is on again.
    app.act(&code, "transfer", json!({"to_office_code": AGENCY}))
        .await;
    let log = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries"),
            &app.admin_token,
        )
        .await;
    assert_eq!(log.body["total"], 1);
    let did = delivery["id"].as_i64().unwrap();
    let retry = format!("/api/v1/webhooks/{id}/deliveries/{did}/retry");
    let r = app.post(&retry, &app.admin_token, json!({})).await;
    assert_eq!(r.status, 409, "{}", r.text);

    receiver.answer(204);
    let r = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            Some(&app.admin_token.clone()),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["enabled"], true);
    assert_eq!(r.body["consecutive_failures"], 0);
    let r = app.post(&retry, &app.admin_token, json!({})).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["status"], "pending");
    app.sweep().await;
    let got = receiver.received();
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].header("webhook-id"), got[0].header("webhook-id"));
    let log = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries"),
            &app.admin_token,
        )
        .await;
    assert_eq!(log.body["items"][0]["status"], "sent", "{}", log.text);
    assert_eq!(log.body["items"][0]["last_status_code"], 204);
}

async fn private_addresses_are_refused_without_the_flag(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.outbox.retry_base_secs = 1).await;
    app.office(OFFICE, None).await;
    app.procedure("P5", OFFICE, 5, "working_days").await;
    let clerk = app.staff("clerk", "clerk", OFFICE).await;
    let receiver = Receiver::start().await;
    let before = app.count("webhooks").await;
    for url in [
        receiver.url.clone(),
        receiver.url.replace("127.0.0.1", "localhost"),
        "http://10.0.0.7/hook".to_owned(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::1]:8080/".to_owned(),
    ] {
        let r = app
            .post("/api/v1/webhooks", &app.admin_token, json!({"url": url}))
            .await;
        assert_eq!(r.status, 422, "{url}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], "url", "{}", r.text);
        assert!(r.text.contains("not on the public internet"), "{}", r.text);
    }
    assert_eq!(app.count("webhooks").await, before, "nothing stored");

    // A subscription whose host pointed elsewhere when it was made: the guard holds at delivery.
    let db = app.db.clone();
    let url = receiver.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().unwrap();
        motcua::store::webhooks::create(
            &mut conn,
            motcua::store::webhooks::NewWebhook {
                url: &url,
                events: None,
                description: "",
                secret: &motcua::domain::webhook::secret_text(&[1u8; 32]),
                actor: "admin",
            },
            chrono::Utc::now(),
        )
        .unwrap();
    })
    .await
    .unwrap();
    receive(&app, &clerk).await;
    app.sweep().await;
    assert!(
        receiver.received().is_empty(),
        "nothing reached the private address"
    );
    let r = app.get("/api/v1/webhooks", &app.admin_token).await;
    let id = r.body["items"][0]["id"].as_i64().unwrap();
    let log = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries"),
            &app.admin_token,
        )
        .await;
    let d = &log.body["items"][0];
    assert_eq!(d["status"], "retrying", "{d}");
    assert!(
        d["last_error"]
            .as_str()
            .unwrap()
            .contains("not on the public internet"),
        "{d}"
    );
}

async fn subscriptions_are_for_admins_and_checked(backend: Backend) {
    let (app, clerk) = setup(backend, |_| {}).await;
    let body = json!({"url": "https://example.vn/hook"});
    let r = app.post("/api/v1/webhooks", &clerk, body.clone()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = app.get("/api/v1/webhooks", &clerk).await;
    assert_eq!(r.status, 403);
    for (bad, field) in [
        (json!({"url": "ftp://example.vn/"}), "url"),
        (json!({"url": "https://user:pw@example.vn/"}), "url"),
        (json!({"url": "not a url"}), "url"),
        (
            json!({"url": "https://example.vn/", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://example.vn/", "events": ["dossier.eaten"]}),
            "events[0]",
        ),
        (
            json!({"url": "https://example.vn/", "events": ["dossier.resolve", "dossier.resolve"]}),
            "events[1]",
        ),
        (
            json!({"url": "https://example.vn/", "secret": "mine"}),
            "secret",
        ),
    ] {
        let r = app
            .post("/api/v1/webhooks", &app.admin_token, bad.clone())
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{bad}: {}", r.text);
    }
    assert_eq!(app.count("webhooks").await, 0);

    // Deleting one: gone from the list, nothing more queued for it.
    let receiver = Receiver::start().await;
    let hook = subscribe(&app, &receiver.url, None).await;
    let id = hook["id"].as_i64().unwrap();
    let r = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&app.admin_token.clone()),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = app
        .get(&format!("/api/v1/webhooks/{id}"), &app.admin_token)
        .await;
    assert_eq!(r.status, 404);
    receive(&app, &clerk).await;
    app.sweep().await;
    assert!(receiver.received().is_empty());
}

/// Between sweeps (the next one an hour away) the service's own worker delivers each event
/// within its delivery interval: the integrator follows the dossier as it moves.
async fn events_are_delivered_between_sweeps(backend: Backend) {
    let (app, clerk) = setup(backend, |s| {
        s.jobs.sweep_interval_secs = 3600;
        s.jobs.delivery_interval_ms = 100;
    })
    .await;
    let receiver = Receiver::start().await;
    let hook = subscribe(&app, &format!("{}/lgsp", receiver.url), None).await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let code = receive(&app, &clerk).await;
    let arrived = |n: usize| {
        let receiver = &receiver;
        async move {
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let got = receiver.received();
                if got.len() >= n || tokio::time::Instant::now() >= deadline {
                    return got;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    let got = arrived(1).await;
    assert_eq!(got.len(), 1, "the receipt's event went out without a sweep");
    assert_eq!(got[0].json()["type"], "dossier.received");
    verify(&secret, &got[0]);
    app.act(&code, "transfer", json!({"to_office_code": AGENCY}))
        .await;
    let got = arrived(2).await;
    assert_eq!(got.len(), 2, "and the transfer's");
    assert!(got.iter().any(|m| m.json()["type"] == "dossier.transfer"));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 2, "each once");
}

both_backends!(
    events_are_delivered_between_sweeps,
    deliveries_are_signed_and_carry_the_event,
    a_failing_receiver_gets_the_same_message_until_it_answers,
    a_webhook_failing_in_a_row_is_disabled_and_can_be_retried,
    private_addresses_are_refused_without_the_flag,
    subscriptions_are_for_admins_and_checked,
);
