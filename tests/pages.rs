//! The citizen's pages over HTTP on both backends: the lookup form, the status page with what
//! the JSON view shows, one 404 page for a wrong code and a wrong ID number, the rate limit the
//! pages share with the JSON lookup, no personal data on any page, both languages; and in a
//! real headless Chromium: the receipt's QR link, typing the ID number, with and without
//! JavaScript, axe-core's verdict and screenshots at phone and desktop widths.

mod common;

use chrono::{DateTime, Duration, FixedOffset};
use common::browser::{Browser, Viewport};
use common::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ONE_STOP: &str = "000.00.24.H40";
const AGENCY: &str = "000.20.24.H40";
const FULL_NAME: &str = "Hoàng Văn Minh";
const ID_NUMBER: &str = "036085001234";
const PHONE: &str = "0905123456";
const EMAIL: &str = "minh.hoang@example.vn";
const ADDRESS: &str = "12 Lê Lợi, phường Phú Hội, Huế";
const ITEMS: [&str; 2] = [
    "Bản sao Giấy chứng nhận quyền sử dụng đất có chứng thực",
    "Bản vẽ <thiết kế> & thuyết minh",
];
const SUPPLEMENT_REASON: &str = "Hồ sơ thiếu giấy tờ theo quy định";
const APOLOGY_REASON: &str = "Cần xác minh thực địa";

/// A dossier the way citizens meet one: received now, at an agency (one step), re-appointed
/// with an apology, then waiting for a supplement.
struct Citizen {
    app: TestApp,
    code: String,
    new_due_at: DateTime<FixedOffset>,
}

async fn setup(backend: Backend, tweak: impl FnOnce(&mut motcua::config::Settings)) -> Citizen {
    let app = TestApp::spawn_with(backend, tweak).await;
    app.office(ONE_STOP, None).await;
    app.office(AGENCY, Some(ONE_STOP)).await;
    app.procedure("1.001234", ONE_STOP, 10, "working_days")
        .await;
    let clerk = app.staff("clerk", "clerk", ONE_STOP).await;
    let officer = app.staff("officer", "officer", AGENCY).await;
    let r = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            json!({"procedure_code": "1.001234", "channel": "counter",
                "applicant": {"full_name": FULL_NAME, "id_number": ID_NUMBER, "phone": PHONE,
                    "email": EMAIL, "address": ADDRESS}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let code = r.body["code"].as_str().unwrap().to_owned();
    let due_at = DateTime::parse_from_rfc3339(r.body["due_at"].as_str().unwrap()).unwrap();
    let act = |action: &'static str, token: String, body: Value| {
        let (app, code) = (&app, code.clone());
        async move {
            let r = app
                .post(&format!("/api/v1/dossiers/{code}/{action}"), &token, body)
                .await;
            assert_eq!(r.status, 200, "{action}: {}", r.text);
        }
    };
    act(
        "transfer",
        clerk.clone(),
        json!({"to_office_code": AGENCY, "deadline": {"amount": 3, "unit": "working_days"}}),
    )
    .await;
    let new_due_at = due_at + Duration::days(14);
    act(
        "reschedule",
        officer.clone(),
        json!({"reason": APOLOGY_REASON, "new_due_at": new_due_at.to_rfc3339()}),
    )
    .await;
    act(
        "request-supplement",
        officer,
        json!({"items": ITEMS, "reason": SUPPLEMENT_REASON}),
    )
    .await;
    Citizen {
        app,
        code,
        new_due_at,
    }
}

/// A page as the tests read it.
struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Page {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(rb: reqwest::RequestBuilder) -> Page {
    let r = rb.send().await.expect("request sent");
    Page {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.expect("body"),
    }
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Page {
    let mut rb = app.client.get(format!("{}{path}", app.address));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    send(rb).await
}

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Page {
    send(
        app.client
            .post(format!("{}{path}", app.address))
            .form(fields),
    )
    .await
}

async fn lookup(app: &TestApp, code: &str, id_number: &str) -> Page {
    post_form(app, "/tra-cuu", &[("code", code), ("id_number", id_number)]).await
}

/// The citizen's personal data, none of which a page may show.
fn assert_no_personal_data(page: &Page, what: &str) {
    for (name, secret) in [
        ("ID number", ID_NUMBER),
        ("phone", PHONE),
        ("email", EMAIL),
        ("address", "Lê Lợi"),
        ("full name", FULL_NAME),
        ("family name", "Hoàng"),
    ] {
        assert!(
            !page.text.contains(secret),
            "{what}: the page shows the {name}:\n{}",
            page.text
        );
    }
}

/// An HTML page as the pages answer: its type, its language, its policy, nothing from elsewhere.
fn assert_page(page: &Page, status: u16, lang: &str, what: &str) {
    assert_eq!(page.status.as_u16(), status, "{what}: {}", page.text);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{what}"
    );
    assert!(
        page.text.starts_with("<!DOCTYPE html>\n<html lang=\"")
            && page.text.contains(&format!("<html lang=\"{lang}\">")),
        "{what}: not a page in {lang}: {}",
        &page.text[..page.text.len().min(200)]
    );
    assert_eq!(page.header("content-language"), Some(lang), "{what}");
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("style-src 'self'")
            && !csp.contains("unsafe-inline")
            && !csp.contains("script-src"),
        "{what}: CSP {csp:?}"
    );
    for attr in ["src=\"", "href=\"", "action=\""] {
        for piece in page.text.split(attr).skip(1) {
            let target = piece.split('"').next().unwrap_or_default();
            assert!(
                (target.starts_with('/') && !target.starts_with("//")) || target.starts_with('#'),
                "{what}: {attr}{target} is not on this server"
            );
        }
    }
    assert!(!page.text.contains("<script"), "{what}: a script");
    assert!(!page.text.contains("style=\""), "{what}: an inline style");
}

async fn the_home_page_has_a_form_posting_to_tra_cuu(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let home = get(&app, "/", &[]).await;
    assert_page(&home, 200, "vi", "home");
    assert!(
        home.text.contains("<form") && home.text.contains(r#"method="post" action="/tra-cuu""#)
    );
    for (input, label) in [
        ("code", "Mã hồ sơ"),
        ("id_number", "Số CCCD, CMND hoặc hộ chiếu"),
    ] {
        assert!(
            home.text.contains(&format!(r#"name="{input}""#))
                && home
                    .text
                    .contains(&format!(r#"<label for="{input}">{label}</label>"#))
                && home.text.contains(&format!(r#"id="{input}""#)),
            "{input} has no labelled field: {}",
            home.text
        );
    }
    assert!(home.text.contains("Tra cứu tình trạng hồ sơ") && home.text.contains("Cần hỗ trợ?"));
    // The stylesheet is a file of the binary, cached for a year under a name that changes with it.
    let css_path = home
        .text
        .split(r#"<link rel="stylesheet" href=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a stylesheet")
        .to_owned();
    let css = get(&app, &css_path, &[]).await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(css.text.contains("@media print") && css.text.contains(":focus-visible"));
    let other = get(&app, "/assets/site-000000000000.css", &[]).await;
    assert_page(&other, 404, "vi", "another stylesheet");

    // The QR code's target: the same form with the code filled in, escaped.
    let form = get(
        &app,
        "/tra-cuu?code=000.00.24.H40-261201-0007&utm_source=qr",
        &[],
    )
    .await;
    assert_page(&form, 200, "vi", "the form");
    assert!(
        form.text
            .contains(r#"name="code" value="000.00.24.H40-261201-0007""#),
        "{}",
        form.text
    );
    assert_eq!(form.header("cache-control"), Some("no-cache"));
    let hostile = get(
        &app,
        "/tra-cuu?code=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
        &[],
    )
    .await;
    assert_page(&hostile, 200, "vi", "a hostile code");
    assert!(
        hostile.text.contains("&#34;&#62;&#60;script&#62;")
            || hostile.text.contains("&quot;&gt;&lt;script&gt;"),
        "{}",
        hostile.text
    );
}

async fn the_right_code_and_id_number_show_the_status_page(backend: Backend) {
    let c = setup(backend, |_| {}).await;
    let page = lookup(&c.app, &c.code, ID_NUMBER).await;
    assert_page(&page, 200, "vi", "status page");
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert_no_personal_data(&page, "status page");
    let text = &page.text;
    for expected in [
        c.code.as_str(),
        "Cần bổ sung hồ sơ",
        "H**** V** M***",
        "Thủ tục 1.001234",
        // The agency holding it, the step there, the apology's agency.
        "Văn phòng 000.20.24.H40",
        "Bước 1",
        ITEMS[0],
        "Bản vẽ &#60;thiết kế&#62; &#38; thuyết minh",
        SUPPLEMENT_REASON,
        "Thư xin lỗi và hẹn lại ngày trả kết quả",
        APOLOGY_REASON,
        "Trần Văn Bình",
        "Hẹn trả kết quả mới",
        "Đã tiếp nhận",
        "Đang giải quyết",
        "Quá trình xử lý",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} is not on the page:\n{text}"
        );
    }
    // The new appointment, machine-readable and as a Vietnamese reader writes it.
    let new_due = c
        .new_due_at
        .with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap());
    assert!(
        text.contains(&format!(r#"datetime="{}""#, new_due.to_rfc3339())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}, thứ ", new_due.format("%H:%M")))
            || text.contains(&format!("{}, Chủ nhật", new_due.format("%H:%M"))),
        "{text}"
    );
    assert!(
        text.contains(&new_due.format("ngày %d/%m/%Y").to_string()),
        "{text}"
    );
    // A page and its stylesheet stay under 30 KB.
    let css_path = text
        .split(r#"<link rel="stylesheet" href=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let css = get(&c.app, css_path, &[]).await;
    assert!(
        page.text.len() + css.text.len() < 30 * 1024,
        "{} + {} bytes",
        page.text.len(),
        css.text.len()
    );

    // People type codes in lower case and ID numbers with spaces.
    let typed = lookup(
        &c.app,
        &format!(" {} ", c.code.to_lowercase()),
        "036 085 001 234",
    )
    .await;
    assert_eq!(typed.status, 200, "{}", typed.text);

    // The JSON view shows the same facts.
    let json = c
        .app
        .request(
            Method::GET,
            &format!("/api/v1/public/dossiers/{}?id_number={ID_NUMBER}", c.code),
            None,
            None,
        )
        .await;
    assert_eq!(json.status, 200, "{}", json.text);
    assert_eq!(json.body["status"], "awaiting_supplement");
    assert_eq!(json.body["current_office_name"], "Văn phòng 000.20.24.H40");
    assert_eq!(json.body["steps"].as_array().unwrap().len(), 1);
    assert_eq!(
        json.body["steps"][0]["office_name"],
        "Văn phòng 000.20.24.H40"
    );
    assert!(json.body["steps"][0]["completed_at"].is_null());
    let letter = &json.body["apology_letters"][0];
    assert_eq!(letter["reason"], APOLOGY_REASON);
    assert_eq!(letter["signer_name"], "Trần Văn Bình");
    assert_eq!(letter["agency_name"], "Văn phòng 000.20.24.H40");
    assert_eq!(
        DateTime::parse_from_rfc3339(letter["new_due_at"].as_str().unwrap()).unwrap(),
        c.new_due_at
    );
    assert_eq!(json.body["supplement_request"]["items"], json!(ITEMS));
    for secret in [ID_NUMBER, PHONE, EMAIL, FULL_NAME] {
        assert!(!json.text.contains(secret), "{secret} in {}", json.text);
    }
}

async fn a_wrong_code_and_a_wrong_id_number_get_the_same_page(backend: Backend) {
    let c = setup(backend, |_| {}).await;
    let (office_day, _) = c.code.rsplit_once('-').unwrap();
    let wrong_code = lookup(&c.app, &format!("{office_day}-9999"), ID_NUMBER).await;
    let wrong_id = lookup(&c.app, &c.code, "036085001235").await;
    let passport = lookup(&c.app, &c.code, "B1234567").await;
    assert_page(&wrong_code, 404, "vi", "wrong code");
    assert_eq!(wrong_code.text, wrong_id.text, "the two 404 pages differ");
    assert_eq!(wrong_code.text, passport.text, "the two 404 pages differ");
    assert_eq!(wrong_id.status, 404);
    assert!(wrong_code.text.contains("Không tìm thấy hồ sơ"));
    assert!(
        !wrong_code.text.contains(office_day),
        "the 404 page repeats the code"
    );
    assert_eq!(wrong_id.header("cache-control"), Some("no-store"));
    assert_no_personal_data(&wrong_id, "404 page");
}

async fn the_31st_lookup_in_a_minute_gets_the_429_page(backend: Backend) {
    let c = setup(backend, |_| {}).await;
    assert_eq!(
        motcua::config::Settings::default().public.lookup_per_minute,
        30
    );
    let json_path = format!("/api/v1/public/dossiers/{}?id_number={ID_NUMBER}", c.code);
    // Forms that cannot be lookups spend nothing.
    for _ in 0..5 {
        assert_eq!(lookup(&c.app, "not a code", ID_NUMBER).await.status, 422);
    }
    // Pages and JSON take turns on one budget: 30 at once, then one more every two seconds.
    let started = std::time::Instant::now();
    let mut admitted = 0;
    let refused = loop {
        let status = if admitted % 2 == 0 {
            lookup(&c.app, &c.code, ID_NUMBER).await.status
        } else {
            c.app
                .request(Method::GET, &json_path, None, None)
                .await
                .status
        };
        if status == 429 {
            break admitted;
        }
        assert_eq!(status, 200);
        admitted += 1;
        assert!(admitted <= 60, "never refused");
    };
    let replenished = (started.elapsed().as_secs_f64() / 2.0).ceil() as usize;
    assert!(
        (30..=30 + replenished).contains(&refused),
        "refused after {refused} lookups in {:?}",
        started.elapsed()
    );
    let page = lookup(&c.app, &c.code, ID_NUMBER).await;
    assert_page(&page, 429, "vi", "rate limited");
    let retry: u64 = page
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert!(
        page.text.contains("Xin vui lòng chờ một lát")
            && page.text.contains(&format!("sau {retry} giây")),
        "{}",
        page.text
    );
    assert_no_personal_data(&page, "429 page");
    let json = c.app.request(Method::GET, &json_path, None, None).await;
    assert_eq!(json.status, 429);
    assert_eq!(
        json.header("content-type"),
        Some("application/problem+json")
    );
}

async fn forms_that_cannot_be_lookups_are_shown_again(backend: Backend) {
    let c = setup(backend, |_| {}).await;
    let before = c.app.snapshot().await;
    let missing = post_form(&c.app, "/tra-cuu", &[("code", &c.code)]).await;
    assert_page(&missing, 422, "vi", "no ID number");
    assert!(
        missing.text.contains("Nhập số CCCD, CMND hoặc hộ chiếu."),
        "{}",
        missing.text
    );
    assert!(
        missing.text.contains(&format!(r#"value="{}""#, c.code)),
        "the code is kept"
    );
    assert!(missing.text.contains(r#"aria-invalid="true""#));
    let bad = lookup(&c.app, "000.00.24.H40/261201", "12").await;
    assert_page(&bad, 422, "vi", "bad shapes");
    assert!(
        bad.text.contains("Mã hồ sơ có dạng")
            && bad.text.contains("Số giấy tờ gồm 9 hoặc 12 chữ số")
    );
    assert!(
        !bad.text.contains(r#"value="12""#),
        "the ID number is never shown again"
    );
    let as_json = send(
        c.app
            .client
            .post(format!("{}/tra-cuu", c.app.address))
            .json(&json!({"code": c.code, "id_number": ID_NUMBER})),
    )
    .await;
    assert_page(&as_json, 415, "vi", "a JSON body");
    let huge = "x".repeat(100_000);
    let too_big = post_form(
        &c.app,
        "/tra-cuu",
        &[("code", &huge), ("id_number", ID_NUMBER)],
    )
    .await;
    assert_page(&too_big, 413, "vi", "a huge body");
    let control = get(&c.app, "/tra-cuu?code=%00", &[]).await;
    assert_page(&control, 400, "vi", "a control character");
    assert_eq!(
        c.app.snapshot().await,
        before,
        "a refused form changed something"
    );
}

async fn english_on_request(backend: Backend) {
    let c = setup(backend, |_| {}).await;
    let by_param = get(&c.app, "/?lang=en", &[]).await;
    assert_page(&by_param, 200, "en", "?lang=en");
    assert!(by_param.text.contains("Check the status of your dossier"));
    assert!(
        by_param
            .text
            .contains(r#"<input type="hidden" name="lang" value="en">"#)
    );
    let by_header = get(
        &c.app,
        "/",
        &[("accept-language", "en-GB,en;q=0.9,vi;q=0.5")],
    )
    .await;
    assert_page(&by_header, 200, "en", "Accept-Language");
    assert_eq!(by_header.header("vary"), Some("Accept-Language"));
    let vietnamese = get(&c.app, "/?lang=vi", &[("accept-language", "en")]).await;
    assert_page(&vietnamese, 200, "vi", "?lang=vi over the header");
    // The language link keeps the code, never the ID number.
    let form = get(&c.app, &format!("/tra-cuu?code={}", c.code), &[]).await;
    assert!(
        form.text
            .contains(&format!(r#"href="/tra-cuu?code={}&#38;lang=en""#, c.code)),
        "{}",
        form.text
    );

    let status = post_form(
        &c.app,
        "/tra-cuu",
        &[("code", &c.code), ("id_number", ID_NUMBER), ("lang", "en")],
    )
    .await;
    assert_page(&status, 200, "en", "English status page");
    for expected in [
        "Documents missing",
        "Letter of apology with a new result date",
        "Step 1",
        "History",
        "New result date",
    ] {
        assert!(
            status.text.contains(expected),
            "{expected:?}:\n{}",
            status.text
        );
    }
    let new_due = c
        .new_due_at
        .with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap());
    assert!(
        status
            .text
            .contains(&new_due.format("%A %-d %B %Y").to_string()),
        "{}",
        status.text
    );
    assert_no_personal_data(&status, "English status page");
    let via_query = lookup(&c.app, "nothing", "").await;
    assert_page(&via_query, 422, "vi", "Vietnamese by default");
    let via_query = send(
        c.app
            .client
            .post(format!("{}/tra-cuu?lang=en", c.app.address))
            .form(&[
                ("code", "000.00.24.H40-261201-9999"),
                ("id_number", ID_NUMBER),
            ]),
    )
    .await;
    assert_page(&via_query, 404, "en", "?lang=en on the form's address");
    assert!(via_query.text.contains("No dossier found"));
}

async fn unknown_pages_are_pages_and_unknown_api_paths_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = get(&app, "/khong-co-trang-nay", &[]).await;
    assert_page(&page, 404, "vi", "an unknown page");
    assert!(
        page.text.contains("Không tìm thấy trang") && page.text.contains(r#"href="/?lang=vi""#)
    );
    let english = get(&app, "/nope?lang=en", &[]).await;
    assert_page(&english, 404, "en", "an unknown page in English");
    let api = get(&app, "/api/v1/khong-co", &[("accept", "text/html")]).await;
    assert_eq!(api.status, 404);
    assert_eq!(api.header("content-type"), Some("application/problem+json"));
}

both_backends!(
    the_home_page_has_a_form_posting_to_tra_cuu,
    the_right_code_and_id_number_show_the_status_page,
    a_wrong_code_and_a_wrong_id_number_get_the_same_page,
    the_31st_lookup_in_a_minute_gets_the_429_page,
    forms_that_cannot_be_lookups_are_shown_again,
    english_on_request,
    unknown_pages_are_pages_and_unknown_api_paths_problems,
);

// ---- In a real browser ----

/// The receipt's QR code, opened on a phone: type the ID number, submit, read the status; with
/// JavaScript or without it, the same.
async fn look_up_from_the_qr_code(javascript: bool) {
    let c = setup(Backend::Sqlite, |_| {}).await;
    let browser = Browser::launch().await;
    let tab = browser.new_tab(Viewport::PHONE).await;
    tab.set_javascript(javascript).await;
    tab.navigate(&format!("{}/tra-cuu?code={}", c.app.address, c.code))
        .await;
    assert_eq!(
        tab.attribute("#code", "value").await.as_deref(),
        Some(c.code.as_str()),
        "the QR code fills in the code"
    );
    tab.type_into("#id_number", ID_NUMBER).await;
    tab.click_and_wait("button[type=submit]").await;
    let html = tab.html().await;
    assert!(
        html.contains("Cần bổ sung hồ sơ") && html.contains(&c.code),
        "{html}"
    );
    assert!(html.contains(ITEMS[0]));
    assert!(
        !html.contains(ID_NUMBER),
        "the status page shows the ID number"
    );
    assert!(
        !tab.url().await.contains(ID_NUMBER),
        "the ID number went into the address"
    );
    assert_eq!(tab.url().await, format!("{}/tra-cuu", c.app.address));
    let suffix = if javascript { "js" } else { "no-js" };
    tab.screenshot(&format!("pages/status-phone-{suffix}.png"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_looks_up_a_dossier_from_the_qr_code() {
    look_up_from_the_qr_code(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_looks_up_a_dossier_without_javascript() {
    look_up_from_the_qr_code(false).await;
}

/// axe-core in every page a citizen meets, at both widths: no serious or critical violation;
/// each page kept as a screenshot for people to look at, the status page in print too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_pages_pass_axe_and_are_photographed() {
    let c = setup(Backend::Sqlite, |_| {}).await;
    let browser = Browser::launch().await;
    let base = c.app.address.clone();
    for (width, viewport) in [("phone", Viewport::PHONE), ("desktop", Viewport::DESKTOP)] {
        let tab = browser.new_tab(viewport).await;
        // The form from the QR code, then what each kind of ID number leads to.
        for (name, id_number) in [
            ("form", None),
            ("status", Some(ID_NUMBER)),
            ("not-found", Some("036085001235")),
            ("invalid", Some("12")),
        ] {
            tab.navigate(&format!("{base}/tra-cuu?code={}", c.code))
                .await;
            if let Some(id) = id_number {
                tab.type_into("#id_number", id).await;
                tab.click_and_wait("button[type=submit]").await;
            }
            let violations = tab.axe().await;
            assert!(
                violations.is_empty(),
                "{name} at {width}: serious or critical violations: {violations:#?}"
            );
            tab.screenshot(&format!("pages/{name}-{width}.png")).await;
            if name == "status" {
                tab.emulate_media("print").await;
                tab.screenshot(&format!("pages/status-print-{width}.png"))
                    .await;
                tab.emulate_media("screen").await;
            }
        }
        for (name, path) in [("home-en", "/?lang=en"), ("page-not-found", "/khong-co")] {
            tab.navigate(&format!("{base}{path}")).await;
            let violations = tab.axe().await;
            assert!(violations.is_empty(), "{name} at {width}: {violations:#?}");
            tab.screenshot(&format!("pages/{name}-{width}.png")).await;
        }
    }
}
