//! Apology letters emailed automatically for late dossiers — exactly once, never lost — against
//! a real SMTP server on loopback, on both backends.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::smtp::SmtpSink;
use common::{Backend, TestApp};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::json;

const OFFICE: &str = "000.00.24.H40";

async fn setup(backend: Backend, sink: &SmtpSink) -> (TestApp, String) {
    let url = sink.url();
    let app = TestApp::spawn_with(backend, |s| {
        s.smtp.url = Some(SecretString::from(url));
        s.outbox.retry_base_secs = 1;
    })
    .await;
    app.office(OFFICE, None).await;
    app.procedure("P3", OFFICE, 3, "working_days").await;
    let clerk = app.staff("clerk", "clerk", OFFICE).await;
    (app, clerk)
}

async fn receive(app: &TestApp, clerk: &str, at: &str, email: Option<&str>) -> String {
    let r = app
        .post(
            "/api/v1/dossiers",
            clerk,
            json!({"procedure_code": "P3", "channel": "online",
            "applicant": {"full_name": "Đặng Thị Thu", "id_number": "079301000123", "email": email},
            "received_at": at}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The receipt's own email is tests/notifications.rs's subject; these tests follow the letters.
    app.receipts_told().await;
    r.body["code"].as_str().unwrap().to_owned()
}

async fn an_overdue_dossier_gets_one_letter_and_one_email(backend: Backend) {
    let sink = SmtpSink::start().await;
    let (app, clerk) = setup(backend, &sink).await;
    // Monday 2 Nov 2026 09:00 + 3 working days → Thursday 5 Nov 09:00: long past.
    let code = receive(
        &app,
        &clerk,
        "2026-11-02T09:00:00+07:00",
        Some("thu@example.vn"),
    )
    .await;
    let first = app.sweep().await;
    assert_eq!((first.sweep.letters, first.sent), (1, 1), "{first:?}");
    for _ in 0..9 {
        let again = app.sweep().await;
        assert_eq!((again.sweep.letters, again.sent), (0, 0), "{again:?}");
    }
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1, "ten sweeps, one email");
    let m = &mails[0];
    assert_eq!(m.to, ["thu@example.vn"]);
    assert!(
        m.decoded_subject().contains(&code),
        "{}",
        m.decoded_subject()
    );
    assert!(
        m.decoded_subject()
            .starts_with("Văn bản xin lỗi và đề nghị gia hạn"),
        "{}",
        m.decoded_subject()
    );
    let body = m.body_text();
    for needle in [
        "Đặng Thị Thu",
        code.as_str(),
        "Thủ tục P3",
        "02/11/2026",
        "09 giờ 00 phút, ngày 05 tháng 11 năm 2026",
        "xin lỗi",
        "Trần Văn Bình",
        "0001/2026/PXL-000.00.24.H40",
    ] {
        assert!(body.contains(needle), "email lacks {needle:?}:\n{body}");
    }
    let d = app.get(&format!("/api/v1/dossiers/{code}"), &clerk).await;
    let letter = &d.body["apology_letters"][0];
    assert_eq!(letter["automatic"], true);
    assert_eq!(letter["missed_duty"], true);
    assert_eq!(letter["delivery_status"], "sent");
    assert_eq!(letter["attempts"], 1);
    assert!(letter["sent_at"].is_string());
    assert_eq!(d.body["reappointment_used"], true);
    assert_eq!(d.body["rescheduled_due_at"], letter["new_due_at"]);
    assert_eq!(
        d.body["due_at"], "2026-11-05T09:00:00+07:00",
        "lateness is not erased"
    );
    assert_eq!(d.body["timeliness"], "overdue");
    let message_id = m.header("Message-ID").unwrap();
    assert!(
        message_id.contains("apology.2026.1.000.00.24.H40@motcua"),
        "{message_id}"
    );
    let ev = app
        .get(&format!("/api/v1/dossiers/{code}/events"), &clerk)
        .await;
    assert_eq!(ev.body["items"][1]["action"], "apology_letter");
    assert_eq!(ev.body["items"][1]["actor"], "motcua");
    // The printable page says the same.
    let doc = app
        .client
        .get(format!(
            "{}/api/v1/apology-letters/{}/document",
            app.address, letter["id"]
        ))
        .bearer_auth(&clerk)
        .send()
        .await
        .unwrap();
    assert_eq!(doc.status(), 200);
    assert!(
        doc.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = doc.text().await.unwrap();
    assert!(
        html.contains("VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT")
            && html.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
            && html.contains(&code)
    );
}

async fn no_email_on_file_means_print_at_the_counter(backend: Backend) {
    let sink = SmtpSink::start().await;
    let (app, clerk) = setup(backend, &sink).await;
    let code = receive(&app, &clerk, "2026-11-02T09:00:00+07:00", None).await;
    let r = app.sweep().await;
    assert_eq!((r.sweep.letters, r.sent), (1, 0));
    let letters = app
        .get(&format!("/api/v1/dossiers/{code}/apology-letters"), &clerk)
        .await;
    assert_eq!(letters.body["items"][0]["delivery_status"], "print");
    assert!(sink.messages().is_empty());
    let p = app
        .request(
            Method::GET,
            &format!("/api/v1/public/dossiers/{code}?id_number=079301000123"),
            None,
            None,
        )
        .await;
    assert_eq!(p.body["apology_letters"].as_array().unwrap().len(), 1);
}

async fn an_smtp_outage_delays_letters_and_loses_none(backend: Backend) {
    let mut sink = SmtpSink::start().await;
    let (app, clerk) = setup(backend, &sink).await;
    let mut codes = Vec::new();
    for i in 0..5 {
        codes.push(
            receive(
                &app,
                &clerk,
                "2026-11-02T09:00:00+07:00",
                Some(&format!("citizen{i}@example.vn")),
            )
            .await,
        );
    }
    sink.stop().await;
    let down = app.sweep().await;
    assert_eq!(
        (down.sweep.letters, down.sent, down.failed_attempts),
        (5, 0, 5),
        "{down:?}"
    );
    let sup = app.staff("sup", "supervisor", OFFICE).await;
    let waiting = app
        .get("/api/v1/apology-letters?delivery_status=retrying", &sup)
        .await;
    assert_eq!(waiting.body["total"], 5, "{}", waiting.text);
    assert_eq!(waiting.body["items"][0]["attempts"], 1);
    assert!(
        waiting.body["items"][0]["last_error"]
            .as_str()
            .unwrap()
            .len()
            > 3
    );
    // Before the backoff has passed nothing is retried; after it, everything goes out once.
    sink.restart().await;
    let early = app.sweep().await;
    assert_eq!(early.sent, 0, "retries wait for their backoff");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let up = app.sweep().await;
    assert_eq!(up.sent, 5, "{up:?}");
    app.sweep().await;
    let mails = sink.wait_for(5, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 5);
    let ids: BTreeSet<String> = mails
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 5);
    let to: BTreeSet<String> = mails.iter().map(|m| m.to[0].clone()).collect();
    assert_eq!(to.len(), 5);
    let sent = app
        .get("/api/v1/apology-letters?delivery_status=sent", &sup)
        .await;
    assert_eq!(sent.body["total"], 5);
    assert_eq!(sent.body["items"][0]["attempts"], 2);
}

async fn delivery_gives_up_after_the_configured_attempts(backend: Backend) {
    let mut sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(backend, |s| {
        s.smtp.url = Some(SecretString::from(url));
        s.outbox.retry_base_secs = 1;
        s.outbox.max_attempts = 2;
    })
    .await;
    app.office(OFFICE, None).await;
    app.procedure("P3", OFFICE, 3, "working_days").await;
    let clerk = app.staff("clerk", "clerk", OFFICE).await;
    let code = receive(
        &app,
        &clerk,
        "2026-11-02T09:00:00+07:00",
        Some("x@example.vn"),
    )
    .await;
    sink.stop().await;
    app.sweep().await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.sweep().await;
    let l = app
        .get(&format!("/api/v1/dossiers/{code}/apology-letters"), &clerk)
        .await;
    assert_eq!(
        l.body["items"][0]["delivery_status"], "failed",
        "{}",
        l.text
    );
    assert_eq!(l.body["items"][0]["attempts"], 2);
    assert!(l.body["items"][0]["last_error"].is_string());
}

async fn a_rescheduled_dossier_is_emailed_and_late_again_is_escalated_once(backend: Backend) {
    let sink = SmtpSink::start().await;
    let (app, clerk) = setup(backend, &sink).await;
    let officer = app.staff("officer", "officer", OFFICE).await;
    app.post("/api/v1/users", &app.admin_token, json!({"username": "sup.h40", "password": "supervisor-pass-1", "role": "supervisor", "office_code": OFFICE, "email": "lanhdao@example.vn"})).await;
    // Due Thursday 5 Nov 09:00; the agency apologises on the 3rd with a new date, the 12th.
    let code = receive(
        &app,
        &clerk,
        "2026-11-02T09:00:00+07:00",
        Some("thu@example.vn"),
    )
    .await;
    let r = app
        .post(&format!("/api/v1/dossiers/{code}/reschedule"), &officer,
            json!({"reason": "Cần ý kiến của Sở Xây dựng", "new_due_at": "2026-11-12T09:00:00+07:00", "at": "2026-11-03T09:00:00+07:00"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Both dates have passed now: the agency's own letter goes out, no second letter, and the
    // supervisors hear of it once.
    let first = app.sweep().await;
    assert_eq!(
        (first.sweep.letters, first.sweep.escalated),
        (0, 1),
        "{first:?}"
    );
    for _ in 0..3 {
        let again = app.sweep().await;
        assert_eq!(
            (again.sweep.letters, again.sweep.escalated, again.sent),
            (0, 0, 0),
            "{again:?}"
        );
    }
    let mails = sink.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 2);
    let to_citizen = mails
        .iter()
        .find(|m| m.to == ["thu@example.vn"])
        .expect("the apology");
    assert!(
        to_citizen
            .body_text()
            .contains("Cần ý kiến của Sở Xây dựng")
    );
    assert!(
        to_citizen
            .body_text()
            .contains("09 giờ 00 phút, ngày 12 tháng 11 năm 2026")
    );
    let to_sup = mails
        .iter()
        .find(|m| m.to == ["lanhdao@example.vn"])
        .expect("the escalation");
    assert!(to_sup.body_text().contains(&code));
    assert!(
        to_sup.decoded_subject().contains("Quá hạn lần hai"),
        "{}",
        to_sup.decoded_subject()
    );
    assert_eq!(app.count("apology_letters").await, 1);
}

async fn due_soon_warnings_reach_the_agency_once_per_deadline(backend: Backend) {
    let sink = SmtpSink::start().await;
    let (app, clerk) = setup(backend, &sink).await;
    app.post("/api/v1/users", &app.admin_token, json!({"username": "officer.mail", "password": "officer-pass-12", "role": "officer", "office_code": OFFICE, "email": "canbo@example.vn"})).await;
    app.procedure("P1H", OFFICE, 1, "working_hours").await;
    // One working hour from now is within one working day, whatever the hour.
    let r = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            json!({"procedure_code": "P1H", "channel": "counter",
            "applicant": {"full_name": "Lý Văn Hùng", "id_number": "079301000124"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["timeliness"], "due_soon");
    let first = app.sweep().await;
    assert_eq!(
        (first.sweep.warned, first.sweep.digests),
        (1, 1),
        "{first:?}"
    );
    let again = app.sweep().await;
    assert_eq!(
        (again.sweep.warned, again.sweep.digests),
        (0, 0),
        "{again:?}"
    );
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["canbo@example.vn"]);
    assert!(
        mails[0]
            .body_text()
            .contains(r.body["code"].as_str().unwrap())
    );
}

both_backends!(
    an_overdue_dossier_gets_one_letter_and_one_email,
    no_email_on_file_means_print_at_the_counter,
    an_smtp_outage_delays_letters_and_loses_none,
    delivery_gives_up_after_the_configured_attempts,
    a_rescheduled_dossier_is_emailed_and_late_again_is_escalated_once,
    due_soon_warnings_reach_the_agency_once_per_deadline,
);
