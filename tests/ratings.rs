//! The citizen's rating through the personal link sent with the returned result: queued on
//! every channel once, a link per message whose token is stored only as its hash, the page and
//! the JSON that record one rating per dossier, 404 for a link never issued or expired, and two
//! posts at once giving one rating — against a real SMTP sink and SMS/Zalo gateway, on both
//! backends; and the page in a real Chromium with axe-core.

mod common;

use std::time::Duration;

use common::browser::{Browser, Viewport};
use common::gateway::Gateway;
use common::smtp::SmtpSink;
use common::{Backend, TestApp};
use diesel::prelude::*;
use reqwest::{Method, StatusCode};
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

async fn world(backend: Backend, tweak: impl FnOnce(&mut motcua::config::Settings)) -> World {
    let sink = SmtpSink::start().await;
    let gw = Gateway::start().await;
    let (smtp, sms, zalo) = (sink.url(), gw.sms_url(), gw.zalo_url());
    let app = TestApp::spawn_with(backend, |s| {
        s.smtp.url = Some(SecretString::from(smtp));
        s.sms.url = Some(SecretString::from(sms));
        s.zalo.url = Some(SecretString::from(zalo));
        s.zalo
            .templates
            .insert("result_returned".into(), "1004".into());
        s.notifications.channels = motcua::domain::notice::NoticeChannel::ALL.to_vec();
        s.public.base_url = Some("https://motcua.example.vn".into());
        s.outbox.retry_base_secs = 1;
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

async fn act(w: &World, token: &str, code: &str, action: &str) {
    let body = match action {
        "transfer" => json!({"to_office_code": OFFICE}),
        "resolve" => json!({"outcome": "approved"}),
        _ => json!({}),
    };
    let r = w
        .app
        .post(&format!("/api/v1/dossiers/{code}/{action}"), token, body)
        .await;
    assert_eq!(r.status, 200, "{action}: {}", r.text);
}

/// A dossier received with an email and a mobile, worked and returned.
async fn returned(w: &World) -> String {
    let r = w
        .app
        .post(
            "/api/v1/dossiers",
            &w.clerk,
            json!({"procedure_code": "P10", "channel": "counter",
                "applicant": {"full_name": "Nguyễn Văn An", "id_number": "079123456789",
                    "email": "an@example.vn", "phone": PHONE}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let code = r.body["code"].as_str().unwrap().to_owned();
    act(w, &w.clerk, &code, "transfer").await;
    act(w, &w.officer, &code, "resolve").await;
    act(w, &w.clerk, &code, "return-result").await;
    code
}

/// The token of the first rating link in a text.
fn token_in(text: &str) -> String {
    let at = text
        .find("/danh-gia/")
        .unwrap_or_else(|| panic!("no rating link in {text}"));
    text[at + "/danh-gia/".len()..].chars().take(43).collect()
}

/// The links each channel carried for the dossier: email, SMS, Zalo.
async fn links(w: &World, code: &str) -> (String, String, String) {
    let mails = w.sink.wait_for(3, Duration::from_secs(5)).await;
    let mail = mails
        .iter()
        .find(|m| m.decoded_subject().contains("đánh giá") && m.decoded_subject().contains(code))
        .expect("the returned result's email");
    let body = mail.body_text();
    assert!(body.contains("đã được trả kết quả"), "{body}");
    assert!(
        body.contains("https://motcua.example.vn/danh-gia/"),
        "{body}"
    );
    let sms = w.gw.accepted("/sms");
    let sms = sms
        .iter()
        .map(|r| r.body["text"].as_str().unwrap().to_owned())
        .find(|t| t.contains("/danh-gia/") && t.contains(code))
        .expect("the returned result's SMS");
    assert!(sms.is_ascii(), "plain SMS: {sms}");
    assert!(sms.contains("da duoc tra ket qua"), "{sms}");
    let zalo = w.gw.accepted("/zalo");
    let z = zalo
        .iter()
        .find(|r| {
            r.body["template_id"] == "1004" && r.body["template_data"]["dossier_code"] == code
        })
        .expect("the returned result's Zalo message");
    let url = z.body["template_data"]["rating_url"].as_str().unwrap();
    assert!(
        url.starts_with("https://motcua.example.vn/danh-gia/"),
        "{url}"
    );
    (token_in(&body), token_in(&sms), token_in(url))
}

fn form(body: &str) -> Vec<u8> {
    body.as_bytes().to_vec()
}

async fn page_post(w: &World, token: &str, body: &str) -> common::Resp {
    w.app
        .raw(
            Method::POST,
            &format!("/danh-gia/{token}"),
            None,
            "application/x-www-form-urlencoded",
            form(body),
        )
        .await
}

/// Every text of the two tables a token could have been written to.
async fn stored_texts(app: &TestApp) -> String {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            t: String,
        }
        let mut conn = db.conn().expect("conn");
        let mut out = String::new();
        for sql in [
            "SELECT token_hash || ' ' || CAST(dossier_id AS TEXT) AS t FROM rating_links",
            "SELECT kind || ' ' || dedupe_key || ' ' || recipient || ' ' || subject || ' ' || body_text \
             || ' ' || body_html || ' ' || message_id || ' ' || COALESCE(data, '') || ' ' \
             || COALESCE(last_error, '') AS t FROM outbox",
            "SELECT COALESCE(rating, '') || ' ' || COALESCE(rating_comment, '') AS t FROM dossiers",
        ] {
            let rows: Vec<Row> = diesel::sql_query(sql).load(&mut *conn).expect("read");
            for r in rows {
                out.push_str(&r.t);
                out.push('\n');
            }
        }
        out
    })
    .await
    .expect("join")
}

async fn a_returned_result_invites_the_rating_once_per_link(backend: Backend) {
    let w = world(backend, |_| {}).await;
    let code = returned(&w).await;
    w.app.sweep().await;
    assert_eq!(w.app.sweep().await.sent, 0, "each message goes once");
    let r = w
        .app
        .get(&format!("/api/v1/dossiers/{code}/notifications"), &w.clerk)
        .await;
    let returned: Vec<&Value> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "result_returned")
        .collect();
    assert_eq!(returned.len(), 3, "one per channel: {}", r.text);
    assert!(
        returned.iter().all(|n| n["status"] == "sent"),
        "{returned:?}"
    );

    let (email, sms, zalo) = links(&w, &code).await;
    assert!(
        email != sms && sms != zalo && email != zalo,
        "a link per message"
    );
    assert_eq!(w.app.count("rating_links").await, 3);
    // Only the hashes are stored: no token anywhere in the tables that hold links and messages.
    let stored = stored_texts(&w.app).await;
    for t in [&email, &sms, &zalo] {
        assert!(!stored.contains(t.as_str()), "the token {t} is stored");
        assert!(stored.contains(&motcua::domain::satisfaction::token_hash(t)));
    }

    // The link from the email opens the page.
    let page = w
        .app
        .request(Method::GET, &format!("/danh-gia/{email}"), None, None)
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains(&code) && page.text.contains("Thủ tục P10"),
        "{}",
        page.text
    );
    assert!(page.text.contains("name=\"rating\"") && page.text.contains("value=\"dissatisfied\""));
    assert!(!page.text.contains("079123456789") && !page.text.contains("an@example.vn"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let en = w
        .app
        .request(
            Method::GET,
            &format!("/danh-gia/{email}?lang=en"),
            None,
            None,
        )
        .await;
    assert!(
        en.text.contains("Rate the service") && en.text.contains("lang=\"en\""),
        "{}",
        en.text
    );
    let json_link = w
        .app
        .request(
            Method::GET,
            &format!("/api/v1/public/ratings/{sms}"),
            None,
            None,
        )
        .await;
    assert_eq!(json_link.status, 200, "{}", json_link.text);
    assert_eq!(json_link.body["dossier_code"], code.as_str());
    assert_eq!(json_link.body["rated"], false);
    assert!(json_link.body["expires_at"].is_string() && json_link.body["returned_at"].is_string());

    // A bad value: the form again, 422, nothing stored.
    for bad in [
        "rating=delighted",
        "comment=x",
        &format!("rating=satisfied&comment={}", "a".repeat(1001)),
    ] {
        let r = page_post(&w, &email, bad).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
        assert!(r.text.contains("role=\"alert\""), "{}", r.text);
    }
    let r = w
        .app
        .request(
            Method::POST,
            &format!("/api/v1/public/ratings/{zalo}"),
            None,
            Some(json!({"rating": "great"})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "rating");
    let r = w
        .app
        .request(
            Method::POST,
            &format!("/api/v1/public/ratings/{zalo}"),
            None,
            Some(json!({"rating": "neutral", "comment": "ồ".repeat(1001)})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "comment");
    let d = w
        .app
        .get(&format!("/api/v1/dossiers/{code}"), &w.clerk)
        .await;
    assert_eq!(d.body["rating"], Value::Null, "nothing stored: {}", d.text);

    // The rating, from the page.
    let r = page_post(
        &w,
        &email,
        "rating=satisfied&comment=C%C3%A1n+b%E1%BB%99+t%E1%BA%ADn+t%C3%ACnh",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Cảm ơn"), "{}", r.text);
    let d = w
        .app
        .get(&format!("/api/v1/dossiers/{code}"), &w.clerk)
        .await;
    assert_eq!(d.body["rating"]["rating"], "satisfied", "{}", d.text);
    assert_eq!(d.body["rating"]["comment"], "Cán bộ tận tình");
    assert!(d.body["rating"]["rated_at"].is_string());

    // Once per dossier, whichever of its links is used.
    for t in [&email, &sms] {
        let r = page_post(&w, t, "rating=dissatisfied").await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(r.text.contains("đã được đánh giá"), "{}", r.text);
    }
    let r = w
        .app
        .request(
            Method::POST,
            &format!("/api/v1/public/ratings/{zalo}"),
            None,
            Some(json!({"rating": "neutral"})),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["code"], "already_rated");
    let d = w
        .app
        .get(&format!("/api/v1/dossiers/{code}"), &w.clerk)
        .await;
    assert_eq!(
        d.body["rating"]["rating"], "satisfied",
        "the first rating stays"
    );
    let again = w
        .app
        .request(
            Method::GET,
            &format!("/api/v1/public/ratings/{zalo}"),
            None,
            None,
        )
        .await;
    assert_eq!(again.body["rated"], true);
}

async fn a_link_never_issued_or_expired_is_not_found(backend: Backend) {
    let w = world(backend, |_| {}).await;
    let code = returned(&w).await;
    w.app.sweep().await;
    let (email, sms, _) = links(&w, &code).await;
    let never = motcua::domain::satisfaction::encode_token(&[7; 32]);
    for t in [never.as_str(), "short"] {
        let page = w
            .app
            .request(Method::GET, &format!("/danh-gia/{t}"), None, None)
            .await;
        assert_eq!(page.status, 404, "{t}: {}", page.text);
        assert!(
            page.text.contains("không đúng hoặc đã hết hạn"),
            "{}",
            page.text
        );
        let r = page_post(&w, t, "rating=satisfied").await;
        assert_eq!(r.status, 404, "{t}");
        let j = w
            .app
            .request(
                Method::POST,
                &format!("/api/v1/public/ratings/{t}"),
                None,
                Some(json!({"rating": "satisfied"})),
            )
            .await;
        assert_eq!(j.status, 404, "{t}: {}", j.text);
        assert_eq!(j.body["code"], "not_found");
    }
    // Expired: the clock of the link moved past its end.
    let hash = motcua::domain::satisfaction::token_hash(&email);
    w.app
        .exec(&format!(
            "UPDATE rating_links SET expires_at = '2020-01-01 00:00:00' WHERE token_hash = '{hash}'"
        ))
        .await;
    let expired = w
        .app
        .request(Method::GET, &format!("/danh-gia/{email}"), None, None)
        .await;
    let unknown = w
        .app
        .request(Method::GET, &format!("/danh-gia/{never}"), None, None)
        .await;
    assert_eq!(expired.status, 404);
    assert_eq!(
        expired.text, unknown.text,
        "an expired link reads like one never issued"
    );
    let j = w
        .app
        .request(
            Method::POST,
            &format!("/api/v1/public/ratings/{email}"),
            None,
            Some(json!({"rating": "satisfied"})),
        )
        .await;
    assert_eq!(j.status, 404, "{}", j.text);
    let d = w
        .app
        .get(&format!("/api/v1/dossiers/{code}"), &w.clerk)
        .await;
    assert_eq!(d.body["rating"], Value::Null);
    // The other links of the dossier still work.
    let j = w
        .app
        .request(
            Method::POST,
            &format!("/api/v1/public/ratings/{sms}"),
            None,
            Some(json!({"rating": "neutral"})),
        )
        .await;
    assert_eq!(j.status, 201, "{}", j.text);
    assert_eq!(j.body["rating"], "neutral");
    assert_eq!(j.body["comment"], Value::Null);
}

async fn a_link_expires_valid_days_after_the_return(backend: Backend) {
    // Links minted for a return a day ago, with one valid day, are past their end.
    let w = world(backend, |s| s.rating.valid_days = 1).await;
    let code = returned(&w).await;
    w.app
        .exec(&format!(
            "UPDATE outbox SET data = '{{\"returned_at\":\"2020-01-01T00:00:00Z\"}}' \
             WHERE kind = 'result_returned' AND dossier_code = '{code}'"
        ))
        .await;
    w.app.sweep().await;
    let (email, _, _) = links(&w, &code).await;
    let r = w
        .app
        .request(Method::GET, &format!("/danh-gia/{email}"), None, None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
}

async fn two_ratings_at_once_make_one(backend: Backend) {
    let w = world(backend, |_| {}).await;
    let code = returned(&w).await;
    w.app.sweep().await;
    let (email, sms, zalo) = links(&w, &code).await;
    let post = |t: String| {
        let (client, base) = (w.app.client.clone(), w.app.address.clone());
        async move {
            client
                .post(format!("{base}/api/v1/public/ratings/{t}"))
                .json(&json!({"rating": "dissatisfied", "comment": t}))
                .send()
                .await
                .expect("sent")
                .status()
        }
    };
    let (a, b, c) = tokio::join!(post(email), post(sms.clone()), post(zalo));
    let mut statuses = [a, b, c];
    statuses.sort();
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CONFLICT,
            StatusCode::CONFLICT
        ]
    );
    let d = w
        .app
        .get(&format!("/api/v1/dossiers/{code}"), &w.clerk)
        .await;
    assert_eq!(d.body["rating"]["rating"], "dissatisfied");
    // The same link twice at once, too.
    let code2 = returned(&w).await;
    w.app.sweep().await;
    let mails = w.sink.wait_for(6, Duration::from_secs(5)).await;
    let body = mails
        .iter()
        .find(|m| m.decoded_subject().contains("đánh giá") && m.decoded_subject().contains(&code2))
        .expect("mail")
        .body_text();
    let t = token_in(&body);
    let (a, b) = tokio::join!(post(t.clone()), post(t));
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
}

/// The rating page and its JSON spend the lookup's budget: over it, the 429 page with
/// Retry-After (and problem+json for the JSON), nothing recorded, no token on the page.
async fn over_the_budget_the_rating_is_refused_with_429(backend: Backend) {
    let w = world(backend, |s| s.public.lookup_per_minute = 3).await;
    let code = returned(&w).await;
    w.app.sweep().await;
    let (email, _, _) = links(&w, &code).await;
    for _ in 0..2 {
        let page = w
            .app
            .request(Method::GET, &format!("/danh-gia/{email}"), None, None)
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
    }
    let j = w
        .app
        .request(
            Method::GET,
            &format!("/api/v1/public/ratings/{email}"),
            None,
            None,
        )
        .await;
    assert_eq!(j.status, 200, "{}", j.text);
    let refused = page_post(&w, &email, "rating=satisfied").await;
    refused.rate_limited_page();
    assert!(
        !refused.text.contains(&email),
        "the token stays off the page"
    );
    let j = w
        .app
        .request(
            Method::POST,
            &format!("/api/v1/public/ratings/{email}"),
            None,
            Some(json!({"rating": "satisfied"})),
        )
        .await;
    assert_eq!(j.status, 429, "{}", j.text);
    assert_eq!(j.header("content-type"), Some("application/problem+json"));
    let d = w
        .app
        .get(&format!("/api/v1/dossiers/{code}"), &w.clerk)
        .await;
    assert_eq!(d.body["rating"], Value::Null, "nothing rated: {}", d.text);
}

both_backends!(
    over_the_budget_the_rating_is_refused_with_429,
    a_returned_result_invites_the_rating_once_per_link,
    a_link_never_issued_or_expired_is_not_found,
    a_link_expires_valid_days_after_the_return,
    two_ratings_at_once_make_one,
);

/// The rating page in a real browser: choose, submit, thanks; the same form submitted again in
/// another tab is the 409 page; axe-core finds nothing serious on any of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_rates_a_returned_dossier() {
    let w = world(Backend::Sqlite, |_| {}).await;
    let code = returned(&w).await;
    w.app.sweep().await;
    let (email, sms, _) = links(&w, &code).await;
    let browser = Browser::launch().await;
    let base = w.app.address.clone();
    let first = browser.new_tab(Viewport::PHONE).await;
    let second = browser.new_tab(Viewport::DESKTOP).await;
    first.navigate(&format!("{base}/danh-gia/{email}")).await;
    second
        .navigate(&format!("{base}/danh-gia/{sms}?lang=en"))
        .await;
    for (name, tab) in [("form", &first), ("form-en", &second)] {
        tab.call("Page.bringToFront", json!({})).await;
        let violations = tab.axe().await;
        assert!(violations.is_empty(), "{name}: {violations:#?}");
        tab.screenshot(&format!("ratings/{name}.png")).await;
    }
    first.call("Page.bringToFront", json!({})).await;
    assert!(first.html().await.contains(&code));
    first
        .eval("document.getElementById('rating-satisfied').click(); true")
        .await;
    first.type_into("#comment", "Nhanh, đúng hẹn.").await;
    first.click_and_wait("button[type=submit]").await;
    let thanks = first.html().await;
    assert!(thanks.contains("Cảm ơn ông/bà đã đánh giá"), "{thanks}");
    assert!(first.axe().await.is_empty());
    first.screenshot("ratings/thanks.png").await;

    second.call("Page.bringToFront", json!({})).await;
    second
        .eval("document.getElementById('rating-neutral').click(); true")
        .await;
    second.click_and_wait("button[type=submit]").await;
    let conflict = second.html().await;
    assert!(
        conflict.contains("This dossier has been rated"),
        "{conflict}"
    );
    assert!(second.axe().await.is_empty());
    second.screenshot("ratings/already-rated.png").await;

    // Submitting with nothing chosen: the form again, saying what to correct.
    let third = browser.new_tab(Viewport::PHONE).await;
    let code2 = returned(&w).await;
    w.app.sweep().await;
    let mails = w.sink.wait_for(6, Duration::from_secs(5)).await;
    let body = mails
        .iter()
        .find(|m| m.decoded_subject().contains("đánh giá") && m.decoded_subject().contains(&code2))
        .expect("mail")
        .body_text();
    third.call("Page.bringToFront", json!({})).await;
    third
        .navigate(&format!("{base}/danh-gia/{}", token_in(&body)))
        .await;
    third.click_and_wait("button[type=submit]").await;
    let errors = third.html().await;
    assert!(errors.contains("Chọn một mức độ hài lòng"), "{errors}");
    let violations = third.axe().await;
    assert!(violations.is_empty(), "errors: {violations:#?}");
    third.screenshot("ratings/errors.png").await;
    let d = w
        .app
        .get(&format!("/api/v1/dossiers/{code}"), &w.clerk)
        .await;
    assert_eq!(d.body["rating"]["rating"], "satisfied");
    assert_eq!(d.body["rating"]["comment"], "Nhanh, đúng hẹn.");
}
