//! The citizen told at every step — email, SMS and Zalo through the one outbox, exactly once per
//! occurrence and channel — against a real SMTP sink and an HTTP server on loopback playing the
//! SMS gateway and Zalo, on both backends.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::gateway::Gateway;
use common::smtp::SmtpSink;
use common::{Backend, TestApp};
use futures_util::StreamExt;
use secrecy::SecretString;
use serde_json::{Value, json};

const OFFICE: &str = "000.00.24.H40";
const PHONE: &str = "0905 123 456";

struct World {
    app: TestApp,
    sink: SmtpSink,
    gw: Gateway,
    clerk: String,
    officer: String,
}

/// Every channel on, through the sink and the gateway.
fn channels_on(s: &mut motcua::config::Settings, smtp: String, sms: String, zalo: String) {
    s.smtp.url = Some(SecretString::from(smtp));
    s.sms.url = Some(SecretString::from(sms));
    s.sms.token = Some(SecretString::from("sms-token-1".to_owned()));
    s.zalo.url = Some(SecretString::from(zalo));
    s.zalo.access_token = Some(SecretString::from("zalo-token-1".to_owned()));
    for (kind, id) in [
        ("receipt", "1001"),
        ("supplement_request", "1002"),
        ("result_ready", "1003"),
    ] {
        s.zalo.templates.insert(kind.into(), id.into());
    }
    s.notifications.channels = vec![
        motcua::domain::notice::NoticeChannel::Email,
        motcua::domain::notice::NoticeChannel::Sms,
        motcua::domain::notice::NoticeChannel::Zalo,
    ];
    s.outbox.retry_base_secs = 1;
}

async fn world(backend: Backend, tweak: impl FnOnce(&mut motcua::config::Settings)) -> World {
    let sink = SmtpSink::start().await;
    let gw = Gateway::start().await;
    let (smtp, sms, zalo) = (sink.url(), gw.sms_url(), gw.zalo_url());
    let app = TestApp::spawn_with(backend, |s| {
        channels_on(s, smtp, sms, zalo);
        tweak(s);
    })
    .await;
    app.office(OFFICE, None).await;
    app.procedure("P10", OFFICE, 10, "working_days").await;
    let clerk = app.staff("clerk", "clerk", OFFICE).await;
    let officer = app.staff("officer", "officer", OFFICE).await;
    World {
        app,
        sink,
        gw,
        clerk,
        officer,
    }
}

async fn receive(w: &World, applicant: Value) -> common::Resp {
    let mut a = json!({"full_name": "Nguyễn Văn An", "id_number": "079123456789"});
    if let (Some(a), Some(extra)) = (a.as_object_mut(), applicant.as_object()) {
        for (k, v) in extra {
            a.insert(k.clone(), v.clone());
        }
    }
    w.app
        .post(
            "/api/v1/dossiers",
            &w.clerk,
            json!({"procedure_code": "P10", "channel": "counter", "applicant": a}),
        )
        .await
}

async fn received(w: &World, applicant: Value) -> String {
    let r = receive(w, applicant).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["code"].as_str().unwrap().to_owned()
}

async fn act(w: &World, token: &str, code: &str, action: &str, body: Value) {
    let r = w
        .app
        .post(&format!("/api/v1/dossiers/{code}/{action}"), token, body)
        .await;
    assert_eq!(r.status, 200, "{action}: {}", r.text);
}

async fn notifications(w: &World, code: &str) -> Vec<Value> {
    let r = w
        .app
        .get(&format!("/api/v1/dossiers/{code}/notifications"), &w.clerk)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["items"].as_array().unwrap().clone()
}

fn by_channel<'a>(items: &'a [Value], kind: &str, channel: &str) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|n| n["kind"] == kind && n["channel"] == channel)
        .collect()
}

async fn a_receipt_tells_the_citizen_by_email_sms_and_zalo(backend: Backend) {
    let w = world(backend, |_| {}).await;
    let code = received(&w, json!({"email": "an@example.vn", "phone": PHONE})).await;
    let run = w.app.sweep().await;
    assert_eq!(run.sent, 3, "{run:?}");
    for _ in 0..3 {
        assert_eq!(w.app.sweep().await.sent, 0, "told once");
    }

    let mails = w.sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.to, ["an@example.vn"]);
    assert!(
        m.decoded_subject().contains(&code),
        "{}",
        m.decoded_subject()
    );
    assert!(
        m.body_text()
            .to_lowercase()
            .contains("giấy tiếp nhận hồ sơ"),
        "{}",
        m.body_text()
    );
    let attachments = m.attachments();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].0, "application/pdf");
    assert_eq!(attachments[0].1, format!("mau-01-{code}.pdf"));
    assert!(attachments[0].2.starts_with(b"%PDF-"));
    let pdf = common::pdf::flat_text(&attachments[0].2);
    assert!(pdf.contains(&code), "the Mẫu 01 PDF names the dossier");

    let sms = w.gw.accepted("/sms");
    assert_eq!(sms.len(), 1, "{sms:?}");
    let s = &sms[0];
    assert_eq!(s.body["to"], "+84905123456");
    assert_eq!(s.authorization.as_deref(), Some("Bearer sms-token-1"));
    let text = s.body["text"].as_str().unwrap();
    assert!(text.is_ascii(), "plain text without diacritics: {text}");
    assert!(
        text.contains(&code) && text.contains("/tra-cuu?code="),
        "{text}"
    );
    assert!(text.contains("da duoc tiep nhan"), "{text}");

    let zalo = w.gw.accepted("/zalo");
    assert_eq!(zalo.len(), 1, "{zalo:?}");
    let z = &zalo[0];
    assert_eq!(z.body["phone"], "84905123456");
    assert_eq!(z.body["template_id"], "1001");
    assert_eq!(z.access_token.as_deref(), Some("zalo-token-1"));
    assert_eq!(z.body["template_data"]["dossier_code"], code.as_str());
    let tracking = z.body["tracking_id"].as_str().unwrap();
    assert!(!tracking.is_empty());
    assert_ne!(
        Some(tracking),
        s.body["reference"].as_str(),
        "an id per message"
    );

    let items = notifications(&w, &code).await;
    assert_eq!(items.len(), 3, "{items:?}");
    for n in &items {
        assert_eq!(n["kind"], "receipt");
        assert_eq!(n["status"], "sent", "{n}");
        assert_eq!(n["attempts"], 1);
        assert!(n["sent_at"].is_string());
        assert!(
            n.get("recipient").is_none(),
            "no contact details in the list"
        );
    }
    let channels: BTreeSet<&str> = items
        .iter()
        .map(|n| n["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, BTreeSet::from(["email", "sms", "zalo"]));
}

async fn each_supplement_request_lists_its_items_on_every_channel(backend: Backend) {
    let w = world(backend, |_| {}).await;
    let code = received(&w, json!({"email": "an@example.vn", "phone": PHONE})).await;
    act(
        &w,
        &w.clerk,
        &code,
        "transfer",
        json!({"to_office_code": OFFICE}),
    )
    .await;
    act(
        &w,
        &w.officer,
        &code,
        "request-supplement",
        json!({"items": ["Bản sao sổ đỏ có chứng thực", "Tờ khai lệ phí trước bạ"], "reason": "Thiếu giấy tờ"}),
    )
    .await;
    let run = w.app.sweep().await;
    assert_eq!(
        run.sent, 6,
        "receipt and request on three channels: {run:?}"
    );
    let mails = w.sink.wait_for(2, Duration::from_secs(5)).await;
    let request = mails
        .iter()
        .find(|m| m.decoded_subject().contains("bổ sung"))
        .expect("the request's email");
    let body = request.body_text();
    assert!(
        body.contains("Bản sao sổ đỏ có chứng thực") && body.contains("Tờ khai lệ phí trước bạ"),
        "{body}"
    );
    assert_eq!(request.attachments()[0].1, format!("mau-02-{code}.pdf"));
    let sms: Vec<String> =
        w.gw.accepted("/sms")
            .iter()
            .map(|r| r.body["text"].as_str().unwrap().to_owned())
            .collect();
    let text = sms
        .iter()
        .find(|t| t.contains("bo sung"))
        .expect("the request's SMS");
    assert!(
        text.contains("Ban sao so do co chung thuc") && text.contains("To khai le phi truoc ba"),
        "{text}"
    );
    let zalo = w.gw.accepted("/zalo");
    let z = zalo
        .iter()
        .find(|r| r.body["template_id"] == "1002")
        .expect("the request's Zalo message");
    assert_eq!(
        z.body["template_data"]["items"],
        "Bản sao sổ đỏ có chứng thực; Tờ khai lệ phí trước bạ"
    );
    // A second request is a second occurrence: told again, as the second.
    act(&w, &w.officer, &code, "supplement-received", json!({})).await;
    act(
        &w,
        &w.officer,
        &code,
        "request-supplement",
        json!({"items": ["Sơ đồ thửa đất"], "reason": "Còn thiếu"}),
    )
    .await;
    assert_eq!(w.app.sweep().await.sent, 3);
    let items = notifications(&w, &code).await;
    assert_eq!(
        by_channel(&items, "supplement_request", "sms").len(),
        2,
        "{items:?}"
    );
}

async fn a_result_ready_early_says_so(backend: Backend) {
    let w = world(backend, |_| {}).await;
    let code = received(&w, json!({"email": "an@example.vn", "phone": PHONE})).await;
    act(
        &w,
        &w.clerk,
        &code,
        "transfer",
        json!({"to_office_code": OFFICE}),
    )
    .await;
    act(
        &w,
        &w.officer,
        &code,
        "resolve",
        json!({"outcome": "approved"}),
    )
    .await;
    assert_eq!(w.app.sweep().await.sent, 6);
    let mails = w.sink.wait_for(2, Duration::from_secs(5)).await;
    let ready = mails
        .iter()
        .find(|m| {
            m.decoded_subject().contains("kết quả") && !m.decoded_subject().contains("tiếp nhận")
        })
        .expect("the result's email");
    assert!(
        ready.decoded_subject().contains("sớm hơn ngày hẹn"),
        "{}",
        ready.decoded_subject()
    );
    assert!(
        ready.body_text().contains("sớm hơn ngày hẹn"),
        "{}",
        ready.body_text()
    );
    let sms = w.gw.accepted("/sms");
    let text = sms
        .iter()
        .map(|r| r.body["text"].as_str().unwrap())
        .find(|t| t.contains("da co ket qua"))
        .expect("the result's SMS");
    assert!(text.contains("som hon ngay hen"), "{text}");
    let zalo = w.gw.accepted("/zalo");
    let z = zalo
        .iter()
        .find(|r| r.body["template_id"] == "1003")
        .expect("the result's Zalo");
    assert_eq!(z.body["template_data"]["early"], "true");
}

async fn a_channel_without_a_contact_is_skipped_and_says_so(backend: Backend) {
    let w = world(backend, |_| {}).await;
    // No phone: SMS and Zalo skipped.
    let code = received(&w, json!({"email": "an@example.vn"})).await;
    // A landline: SMS and Zalo reach mobiles only.
    let landline = received(
        &w,
        json!({"email": "an@example.vn", "phone": "0234 3822 123"}),
    )
    .await;
    // The citizen asks for Zalo only.
    let zalo_only = received(
        &w,
        json!({"email": "an@example.vn", "phone": PHONE, "notify": ["zalo"]}),
    )
    .await;
    w.app.sweep().await;
    let items = notifications(&w, &code).await;
    assert_eq!(items.len(), 3);
    for channel in ["sms", "zalo"] {
        let n = by_channel(&items, "receipt", channel)[0];
        assert_eq!(n["status"], "skipped");
        assert_eq!(n["attempts"], 0);
        assert!(
            n["last_error"]
                .as_str()
                .unwrap()
                .contains("no phone number"),
            "{n}"
        );
    }
    assert_eq!(by_channel(&items, "receipt", "email")[0]["status"], "sent");
    let items = notifications(&w, &landline).await;
    let n = by_channel(&items, "receipt", "sms")[0];
    assert_eq!(n["status"], "skipped");
    assert!(
        n["last_error"].as_str().unwrap().contains("landline"),
        "{n}"
    );
    let items = notifications(&w, &zalo_only).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["channel"], "zalo");
    assert_eq!(items[0]["status"], "sent");
    assert_eq!(
        w.gw.accepted("/sms").len(),
        0,
        "nothing went to a landline or without a phone"
    );

    // A number that is not Vietnamese is refused at the counter, naming the field.
    let before = w.app.snapshot().await;
    let r = receive(&w, json!({"phone": "+1 202 555 0143"})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "applicant.phone");
    assert_eq!(w.app.snapshot().await, before, "nothing half-changed");
    let r = receive(&w, json!({"notify": ["fax"]})).await;
    assert_eq!(r.status, 422, "{}", r.text);
}

async fn a_gateway_outage_is_retried_and_each_message_arrives_once(backend: Backend) {
    let w = world(backend, |_| {}).await;
    w.gw.fail_sms(2);
    w.gw.fail_zalo(2, -124);
    let code = received(&w, json!({"phone": PHONE})).await;
    let run = w.app.sweep().await;
    assert_eq!((run.sent, run.failed_attempts), (0, 2), "{run:?}");
    let items = notifications(&w, &code).await;
    for n in &items {
        if n["channel"] != "email" {
            assert_eq!(n["status"], "retrying", "{n}");
            assert!(n["last_error"].as_str().unwrap().len() > 3, "{n}");
        }
    }
    // Backoff: 1 s, then 2 s.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while w.gw.accepted("/sms").len() + w.gw.accepted("/zalo").len() < 2
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(500)).await;
        w.app.sweep().await;
    }
    for _ in 0..3 {
        w.app.sweep().await;
    }
    for path in ["/sms", "/zalo"] {
        assert_eq!(w.gw.accepted(path).len(), 1, "{path}: exactly one accepted");
        let all: Vec<_> =
            w.gw.requests()
                .into_iter()
                .filter(|r| r.path == path)
                .collect();
        assert_eq!(all.len(), 3, "{path}: two refused, then the one");
        let key = if path == "/sms" {
            "reference"
        } else {
            "tracking_id"
        };
        let ids: BTreeSet<String> = all
            .iter()
            .map(|r| r.body[key].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 1, "{path}: every attempt carries the same id");
    }
    let items = notifications(&w, &code).await;
    let sms = by_channel(&items, "receipt", "sms")[0];
    assert_eq!(
        (sms["status"].as_str(), sms["attempts"].as_i64()),
        (Some("sent"), Some(3))
    );
    // No email on file: skipped, and the email channel never tried.
    assert_eq!(
        by_channel(&items, "receipt", "email")[0]["status"],
        "skipped"
    );
    assert!(w.sink.messages().is_empty());
}

async fn a_refusal_for_good_is_not_retried(backend: Backend) {
    let w = world(backend, |s| s.outbox.max_attempts = 5).await;
    w.gw.fail_zalo(1, -108); // phone number invalid
    let code = received(&w, json!({"phone": PHONE, "notify": ["zalo"]})).await;
    w.app.sweep().await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    w.app.sweep().await;
    let items = notifications(&w, &code).await;
    assert_eq!(items[0]["status"], "failed", "{items:?}");
    assert_eq!(items[0]["attempts"], 1);
    assert!(items[0]["last_error"].as_str().unwrap().contains("-108"));
    assert_eq!(w.gw.requests().len(), 1);
}

async fn supervisors_list_the_messages_of_their_offices(backend: Backend) {
    let w = world(backend, |_| {}).await;
    let sup = w.app.staff("supervisor", "supervisor", OFFICE).await;
    let code = received(&w, json!({"email": "an@example.vn"})).await;
    w.app.sweep().await;
    let r = w
        .app
        .get("/api/v1/notifications?channel=sms&status=skipped", &sup)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["dossier_code"], code.as_str());
    let r = w
        .app
        .get(
            &format!("/api/v1/notifications?kind=receipt&office={OFFICE}"),
            &sup,
        )
        .await;
    assert_eq!(r.body["total"], 3, "{}", r.text);
    let r = w
        .app
        .get("/api/v1/notifications?office=000.00.99.Z99", &sup)
        .await;
    assert_eq!(r.body["total"], 0, "{}", r.text);
    let r = w.app.get("/api/v1/notifications?channel=fax", &sup).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "channel");
    let r = w.app.get("/api/v1/notifications", &w.clerk).await;
    assert_eq!(r.status, 403, "clerks have no list");
}

async fn a_late_dossier_apologises_on_every_channel(backend: Backend) {
    let w = world(backend, |s| {
        s.zalo.templates.insert("apology".into(), "1004".into());
    })
    .await;
    let backdated = |a: Value| {
        json!({"procedure_code": "P10", "channel": "counter", "received_at": "2026-10-01T09:00:00+07:00",
               "applicant": a})
    };
    let r = w
        .app
        .post(
            "/api/v1/dossiers",
            &w.clerk,
            backdated(json!({"full_name": "Đặng Thị Thu", "id_number": "079301000123", "email": "thu@example.vn", "phone": PHONE})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let code = r.body["code"].as_str().unwrap().to_owned();
    // Phone only: the letter goes by SMS and Zalo, and is not for printing.
    let r = w
        .app
        .post(
            "/api/v1/dossiers",
            &w.clerk,
            backdated(json!({"full_name": "Lê Văn Tám", "id_number": "079301000124", "phone": "0912 345 678"})),
        )
        .await;
    let phone_only = r.body["code"].as_str().unwrap().to_owned();
    let run = w.app.sweep().await;
    assert_eq!(run.sweep.letters, 2, "{run:?}");
    w.app.sweep().await;
    let items = notifications(&w, &code).await;
    for channel in ["email", "sms", "zalo"] {
        let n = by_channel(&items, "apology", channel);
        assert_eq!(n.len(), 1, "{channel}: {items:?}");
        assert_eq!(n[0]["status"], "sent", "{}", n[0]);
    }
    let mails = w.sink.wait_for(2, Duration::from_secs(5)).await;
    let letter = mails
        .iter()
        .find(|m| {
            m.header("Message-ID")
                .is_some_and(|id| id.starts_with("<apology."))
        })
        .expect("the letter's email");
    assert!(letter.attachments()[0].1.starts_with("mau-04-"));
    let sms = w.gw.accepted("/sms");
    let text = sms
        .iter()
        .map(|r| r.body["text"].as_str().unwrap())
        .find(|t| t.contains(&code) && t.contains("xin loi"))
        .expect("the letter's SMS");
    assert!(text.contains("hen lai ngay tra ket qua"), "{text}");
    let z = w.gw.accepted("/zalo");
    let z = z
        .iter()
        .find(|r| r.body["template_id"] == "1004")
        .expect("the letter's Zalo");
    assert!(
        z.body["template_data"]["new_due_at"]
            .as_str()
            .unwrap()
            .len()
            > 5
    );
    let letters = w
        .app
        .get(
            &format!("/api/v1/dossiers/{code}/apology-letters"),
            &w.clerk,
        )
        .await;
    assert_eq!(letters.body["items"][0]["delivery_status"], "sent");
    let letters = w
        .app
        .get(
            &format!("/api/v1/dossiers/{phone_only}/apology-letters"),
            &w.clerk,
        )
        .await;
    assert_eq!(
        letters.body["items"][0]["delivery_status"], "sent",
        "{}",
        letters.text
    );
    let items = notifications(&w, &phone_only).await;
    assert_eq!(
        by_channel(&items, "apology", "email")[0]["status"],
        "skipped"
    );
    assert_eq!(by_channel(&items, "apology", "sms")[0]["status"], "sent");
}

/// The service's own worker, its sweep an hour away, sends what a change queued within its
/// delivery interval: the citizen's SMS and email after a receipt, then a supplement request's,
/// without anyone running a sweep.
async fn messages_leave_between_sweeps(backend: Backend) {
    let w = world(backend, |s| {
        s.jobs.sweep_interval_secs = 3600;
        s.jobs.delivery_interval_ms = 100;
    })
    .await;
    let code = received(&w, json!({"email": "an@example.vn", "phone": PHONE})).await;
    let sms = w.gw.wait_for("/sms", 1, Duration::from_secs(30)).await;
    assert_eq!(sms.len(), 1, "the receipt's SMS went out between sweeps");
    assert!(sms[0].body["text"].as_str().unwrap().contains(&code));
    assert_eq!(w.sink.wait_for(1, Duration::from_secs(30)).await.len(), 1);
    act(
        &w,
        &w.clerk,
        &code,
        "transfer",
        json!({"to_office_code": OFFICE}),
    )
    .await;
    act(
        &w,
        &w.officer,
        &code,
        "request-supplement",
        json!({"items": ["Tờ khai"], "reason": "Thiếu chữ ký"}),
    )
    .await;
    let sms = w.gw.wait_for("/sms", 2, Duration::from_secs(30)).await;
    assert_eq!(sms.len(), 2, "the supplement request's SMS too");
    let kinds: Vec<String> = notifications(&w, &code)
        .await
        .iter()
        .filter(|n| n["channel"] == "sms")
        .map(|n| {
            format!(
                "{}:{}",
                n["kind"].as_str().unwrap(),
                n["status"].as_str().unwrap()
            )
        })
        .collect();
    assert!(kinds.contains(&"receipt:sent".to_owned()), "{kinds:?}");
    assert!(
        kinds.contains(&"supplement_request:sent".to_owned()),
        "{kinds:?}"
    );
}

/// Two replicas on one PostgreSQL database, each with its own delivery worker, and 500 receipts
/// taken by both: 500 messages arrive on each channel, each once, each with its own id.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_tell_five_hundred_receipts_once_on_each_channel() {
    if common::skip_postgres() {
        eprintln!("skipped: MOTCUA_TEST_SKIP_POSTGRES=1");
        return;
    }
    let w = world(Backend::Postgres, |_| {}).await;
    let mut settings = common::test_settings(&w.app.database.url);
    channels_on(&mut settings, w.sink.url(), w.gw.sms_url(), w.gw.zalo_url());
    let replica = motcua::app::Application::build(settings)
        .await
        .expect("second replica");
    let second = format!("http://127.0.0.1:{}", replica.port());
    let workers = [w.app.worker.clone(), replica.worker().clone()];
    tokio::spawn(replica.run_until_stopped());

    let started = std::time::Instant::now();
    let n = 500usize;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let delivering: Vec<_> = workers
        .iter()
        .cloned()
        .map(|worker| {
            let stop = stop_rx.clone();
            tokio::spawn(async move {
                while !*stop.borrow() {
                    let _ = worker.run_once(&stop).await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        })
        .collect();
    let client = reqwest::Client::new();
    let bases = [w.app.address.clone(), second];
    let receipts = futures_util::stream::iter(0..n)
        .map(|i| {
            let (client, base, token) = (client.clone(), bases[i % 2].clone(), w.clerk.clone());
            async move {
                let r = client
                    .post(format!("{base}/api/v1/dossiers"))
                    .bearer_auth(token)
                    .json(&json!({"procedure_code": "P10", "channel": "counter",
                        "applicant": {"full_name": format!("Công dân {i}"), "id_number": format!("{:012}", 79_000_000_000u64 + i as u64),
                                      "email": format!("c{i}@example.vn"), "phone": format!("0905{:06}", i)}}))
                    .send()
                    .await
                    .expect("receipt");
                assert_eq!(r.status(), 201);
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>();
    receipts.await;
    let received = started.elapsed();
    let mails = w.sink.wait_for(n, Duration::from_secs(240)).await;
    let sms = w.gw.wait_for("/sms", n, Duration::from_secs(60)).await;
    let zalo = w.gw.wait_for("/zalo", n, Duration::from_secs(60)).await;
    eprintln!(
        "{n} receipts over two replicas in {received:?}; their {} emails, {} SMS and {} Zalo messages delivered after {:?}",
        mails.len(),
        sms.len(),
        zalo.len(),
        started.elapsed()
    );
    // A few more rounds: nothing more may arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = stop_tx.send(true);
    for d in delivering {
        let _ = d.await;
    }
    let mails = w.sink.messages();
    let (sms, zalo) = (w.gw.accepted("/sms"), w.gw.accepted("/zalo"));
    assert_eq!(mails.len(), n, "one email per receipt");
    assert_eq!(sms.len(), n, "one SMS per receipt");
    assert_eq!(zalo.len(), n, "one Zalo message per receipt");
    let ids: BTreeSet<String> = mails
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), n, "distinct Message-IDs");
    let refs: BTreeSet<&str> = sms
        .iter()
        .map(|r| r.body["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), n, "distinct SMS references");
    let tracking: BTreeSet<&str> = zalo
        .iter()
        .map(|r| r.body["tracking_id"].as_str().unwrap())
        .collect();
    assert_eq!(tracking.len(), n, "distinct tracking ids");
    let to: BTreeSet<&str> = sms.iter().map(|r| r.body["to"].as_str().unwrap()).collect();
    assert_eq!(to.len(), n, "each citizen once");
}

both_backends!(
    messages_leave_between_sweeps,
    a_receipt_tells_the_citizen_by_email_sms_and_zalo,
    each_supplement_request_lists_its_items_on_every_channel,
    a_result_ready_early_says_so,
    a_channel_without_a_contact_is_skipped_and_says_so,
    a_gateway_outage_is_retried_and_each_message_arrives_once,
    a_refusal_for_good_is_not_retried,
    supervisors_list_the_messages_of_their_offices,
    a_late_dossier_apologises_on_every_channel,
);
