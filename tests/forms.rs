//! The official forms as a counter clerk, an officer and a supervisor get them, on both
//! backends: PDFs read back with poppler (the text with its diacritics, the QR code decoded from
//! the rasterised page), HTML printed by headless Chromium on A4, the apology letter's PDF as
//! the SMTP server received it, the register as JSON, CSV and PDF, and every refusal.

mod common;

use std::time::Duration;

use common::smtp::SmtpSink;
use common::{Backend, Resp, STAFF_PASSWORD, TestApp, pdf};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::json;

const COUNTER: &str = "000.00.24.H40";
const PLANNING: &str = "000.20.24.H40";
const DISTRICT: &str = "000.00.00.H40";
const BASE_URL: &str = "https://motcua.example.vn";

struct World {
    app: TestApp,
    clerk: String,
    officer: String,
    head: String,
    supervisor: String,
}

async fn office(app: &TestApp, code: &str, name: &str, parent: Option<&str>) {
    let r = app
        .post(
            "/api/v1/offices",
            &app.admin_token,
            json!({"code": code, "name": name, "head_name": "Trần Văn Bình", "parent_code": parent}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

/// A member of staff with a full name, as the forms print it.
async fn person(app: &TestApp, username: &str, role: &str, office: &str, name: &str) -> String {
    let r = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({"username": username, "password": STAFF_PASSWORD, "role": role,
                   "office_code": office, "full_name": name}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    app.token(username, STAFF_PASSWORD).await
}

async fn world(backend: Backend, smtp: Option<String>) -> World {
    let app = TestApp::spawn_with(backend, |s| {
        s.public.base_url = Some(BASE_URL.into());
        if let Some(url) = smtp {
            s.smtp.url = Some(SecretString::from(url));
        }
    })
    .await;
    office(&app, DISTRICT, "UBND huyện Phú Vang", None).await;
    office(
        &app,
        COUNTER,
        "Bộ phận Một cửa huyện Phú Vang",
        Some(DISTRICT),
    )
    .await;
    office(&app, PLANNING, "Phòng Quản lý đô thị", Some(DISTRICT)).await;
    let r = app
        .post(
            "/api/v1/procedures",
            &app.admin_token,
            json!({"code": "1.001234", "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
                   "field": "Xây dựng", "office_code": DISTRICT,
                   "processing_time": {"amount": 3, "unit": "working_days"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    World {
        clerk: person(&app, "hoa", "clerk", COUNTER, "Lê Thị Hoa").await,
        officer: person(&app, "viet", "officer", PLANNING, "Phạm Quốc Việt").await,
        head: person(&app, "binh", "officer", DISTRICT, "Trần Văn Bình").await,
        supervisor: person(&app, "lan", "supervisor", COUNTER, "Ngô Thị Lan").await,
        app,
    }
}

/// Thursday 5 March 2026, 09:10: due three working days later, Tuesday 10 March, 09:10.
async fn receive(w: &World, email: Option<&str>) -> String {
    let r = w
        .app
        .post(
            "/api/v1/dossiers",
            &w.clerk,
            json!({"procedure_code": "1.001234", "channel": "counter",
                   "applicant": {"full_name": "Đặng Thị Thu", "id_number": "079301000123",
                                 "address": "12 Lê Lợi, Phú Vang", "email": email},
                   "received_at": "2026-03-05T09:10:00+07:00"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // The receipt's email is tests/notifications.rs's subject; these follow the letter's.
    w.app.receipts_told().await;
    r.body["code"].as_str().unwrap().to_owned()
}

async fn act(w: &World, token: &str, code: &str, action: &str, body: serde_json::Value) {
    let r = w
        .app
        .post(&format!("/api/v1/dossiers/{code}/{action}"), token, body)
        .await;
    assert_eq!(r.status, 200, "{action}: {}", r.text);
}

/// A GET as bytes, for PDFs.
async fn bytes(
    app: &TestApp,
    path: &str,
    token: &str,
    accept: Option<&str>,
) -> (u16, String, Vec<u8>) {
    let mut rb = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token);
    if let Some(a) = accept {
        rb = rb.header("accept", a);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

async fn pdf_of(app: &TestApp, path: &str, token: &str) -> Vec<u8> {
    let (status, ct, body) = bytes(app, path, token, None).await;
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    assert_eq!(ct, "application/pdf", "{path}");
    assert!(body.starts_with(b"%PDF-"), "{path} is a PDF");
    body
}

fn tag(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

async fn the_receipt_pdf_reads_back_with_its_appointment_and_qr_code(backend: Backend) {
    let w = world(backend, None).await;
    let code = receive(&w, None).await;
    let path = format!("/api/v1/dossiers/{code}/forms/receipt?format=pdf");
    let doc = pdf_of(&w.app, &path, &w.clerk).await;
    assert_eq!(pdf::pages(&doc), 1, "Mẫu 01 is one page");
    assert!(
        pdf::page_size(&doc).contains("(A4)"),
        "{}",
        pdf::page_size(&doc)
    );
    let fonts = pdf::fonts(&doc);
    assert!(
        fonts
            .iter()
            .all(|f| f.contains("DejaVuSerif") && f.contains(" yes yes yes ")),
        "every font embedded, subset, with a Unicode map: {fonts:?}"
    );
    let text = pdf::text(&doc);
    for needle in [
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        code.as_str(),
        "Đặng Thị Thu",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        // As the form writes instants, each on one line.
        "09 giờ 10 phút, ngày 05 tháng 03 năm 2026",
        "09 giờ 10 phút, ngày 10 tháng 03 năm 2026",
        "Huế, ngày 05 tháng 03 năm 2026",
        "UBND HUYỆN PHÚ VANG",
        "Lê Thị Hoa",
    ] {
        assert!(
            text.contains(needle),
            "the receipt lacks {needle:?}:\n{text}"
        );
    }
    assert!(
        !text.contains("079301000123"),
        "no ID number on the receipt"
    );
    let codes = pdf::qr_codes(&doc);
    assert_eq!(
        codes,
        [format!("{BASE_URL}/tra-cuu?code={code}")],
        "the QR code"
    );
    pdf::keep_png(&doc, &format!("mau-01-{}", tag(backend)), 100);
    // Accept chooses the PDF as ?format does; the default is the HTML page.
    let (status, ct, body) = bytes(
        &w.app,
        &format!("/api/v1/dossiers/{code}/forms/receipt"),
        &w.clerk,
        Some("application/pdf"),
    )
    .await;
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    assert_eq!(
        pdf::text(&body),
        text,
        "one form, whichever way it is asked for"
    );
    let html = w
        .app
        .get(&format!("/api/v1/dossiers/{code}/forms/receipt"), &w.clerk)
        .await;
    assert_eq!(html.status, 200);
    assert_eq!(
        html.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(html.header("cache-control"), Some("private, no-store"));
    assert!(html.text.contains("<svg") && html.text.contains(&code));
}

/// The HTML receipt as a browser prints it: one A4 page, the same text; a screenshot is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receipt_page_prints_on_one_a4_page_in_chromium() {
    let w = world(Backend::Sqlite, None).await;
    let code = receive(&w, None).await;
    let page = w
        .app
        .get(&format!("/api/v1/dossiers/{code}/forms/receipt"), &w.clerk)
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let printed = pdf::chromium_print(&page.text);
    assert_eq!(pdf::pages(&printed), 1, "Mẫu 01 prints on one page");
    assert!(
        pdf::page_size(&printed).contains("(A4)"),
        "{}",
        pdf::page_size(&printed)
    );
    let text = pdf::flat_text(&printed);
    for needle in [
        code.as_str(),
        "Đặng Thị Thu",
        "09 giờ 10 phút, ngày 10 tháng 03 năm 2026",
    ] {
        assert!(
            text.contains(needle),
            "the printed page lacks {needle:?}:\n{text}"
        );
    }
    assert_eq!(
        pdf::qr_codes(&printed),
        [format!("{BASE_URL}/tra-cuu?code={code}")],
        "the inline SVG code scans once printed"
    );
    pdf::keep_png(&printed, "mau-01-chromium-print", 100);
    let shot = pdf::chromium_screenshot(&page.text, "mau-01-chromium", 900, 1250);
    assert!(std::fs::metadata(shot).unwrap().len() > 10_000);
    // The register prints landscape, across pages.
    for _ in 0..2 {
        receive(&w, None).await;
    }
    let (status, _, register) = bytes(
        &w.app,
        &format!(
            "/api/v1/reports/register?office={COUNTER}&from=2026-03-01&to=2026-03-31&format=pdf"
        ),
        &w.supervisor,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        pdf::page_size(&register).starts_with("841.89 x 595.276"),
        "{}",
        pdf::page_size(&register)
    );
    pdf::keep_png(&register, "mau-07", 80);
}

async fn the_control_slip_lists_every_step_of_a_dossier_transferred_twice(backend: Backend) {
    let w = world(backend, None).await;
    let code = receive(&w, None).await;
    act(
        &w,
        &w.clerk,
        &code,
        "transfer",
        json!({"to_office_code": PLANNING,
        "deadline": {"amount": 1, "unit": "working_days"}, "at": "2026-03-05T10:00:00+07:00"}),
    )
    .await;
    act(
        &w,
        &w.officer,
        &code,
        "transfer",
        json!({"to_office_code": DISTRICT,
        "deadline": {"amount": 2, "unit": "working_days"}, "at": "2026-03-06T09:00:00+07:00"}),
    )
    .await;
    act(
        &w,
        &w.head,
        &code,
        "resolve",
        json!({"outcome": "approved", "at": "2026-03-09T16:00:00+07:00"}),
    )
    .await;
    let doc = pdf_of(
        &w.app,
        &format!("/api/v1/dossiers/{code}/forms/control-slip?format=pdf"),
        &w.officer,
    )
    .await;
    let text = pdf::flat_text(&doc);
    for needle in [
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        code.as_str(),
        "Phòng Quản lý đô thị",
        "UBND huyện Phú Vang",
        // Step 1: received 05/03 10:00, due 06/03 10:00, done 06/03 09:00, on time; handed over
        // by the clerk. Step 2: by the officer, done 09/03 16:00 before its 10/03 09:00 deadline.
        "10 giờ 00, 05/03/2026",
        "10 giờ 00, 06/03/2026",
        "09 giờ 00, 06/03/2026",
        "đúng hạn",
        "16 giờ 00, 09/03/2026",
        "Lê Thị Hoa",
        "Phạm Quốc Việt",
        // The dossier, due 10/03 09:10, resolved the day before.
        "Kết quả giải quyết hồ sơ: trước hạn",
    ] {
        assert!(
            text.contains(needle),
            "the control slip lacks {needle:?}:\n{text}"
        );
    }
    pdf::keep_png(&doc, &format!("mau-06-{}", tag(backend)), 100);
    let html = w
        .app
        .get(
            &format!("/api/v1/dossiers/{code}/forms/control-slip"),
            &w.officer,
        )
        .await;
    assert_eq!(html.status, 200);
    // Two steps: a header row and one row each.
    assert_eq!(html.text.matches("<tr>").count(), 3, "{}", html.text);
    assert!(html.text.contains("trước hạn") || html.text.contains("đúng hạn"));
}

fn problem(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{}",
        r.text
    );
    assert_eq!(r.body["code"], code, "{}", r.text);
}

async fn forms_that_do_not_apply_or_cannot_be_given_are_refused(backend: Backend) {
    let w = world(backend, None).await;
    let code = receive(&w, None).await;
    let forms = format!("/api/v1/dossiers/{code}/forms");
    let get = |path: String, token: String| {
        let app = &w.app;
        async move { app.get(&path, &token).await }
    };
    let clerk = w.clerk.clone();

    let r = get(format!("{forms}/refusal"), clerk.clone()).await;
    problem(&r, 404, "not_found");
    assert!(
        r.body["detail"].as_str().unwrap().contains("not rejected"),
        "{}",
        r.text
    );
    let r = get(format!("{forms}/stop-notice"), clerk.clone()).await;
    problem(&r, 404, "not_found");
    assert!(
        r.body["detail"].as_str().unwrap().contains("not stopped"),
        "{}",
        r.text
    );
    let r = get(format!("{forms}/supplement-request"), clerk.clone()).await;
    problem(&r, 404, "not_found");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("no supplement request"),
        "{}",
        r.text
    );
    let r = get(format!("{forms}/apology"), clerk.clone()).await;
    problem(&r, 404, "not_found");
    assert!(
        r.body["detail"].as_str().unwrap().contains("receipt"),
        "names the forms: {}",
        r.text
    );
    // Representations: one the forms lack is 406, one nobody has is 400, both before any read.
    problem(
        &get(format!("{forms}/receipt?format=csv"), clerk.clone()).await,
        406,
        "not_acceptable",
    );
    problem(
        &get(format!("{forms}/receipt?format=docx"), clerk.clone()).await,
        400,
        "bad_request",
    );
    let r = w
        .app
        .request_with(
            Method::GET,
            &format!("{forms}/receipt"),
            Some(&clerk),
            None,
            &[("accept", "application/json")],
        )
        .await;
    problem(&r, 406, "not_acceptable");
    problem(
        &get(format!("{forms}/receipt?n=1"), clerk.clone()).await,
        422,
        "validation_failed",
    );
    problem(
        &get(format!("{forms}/supplement-request?n=0"), clerk.clone()).await,
        422,
        "validation_failed",
    );
    problem(
        &get(format!("{forms}/supplement-request?n=two"), clerk.clone()).await,
        422,
        "validation_failed",
    );
    // Authorisation as for the dossier: another office's clerk finds nothing, a stranger is 401.
    let other = w.app.staff("clerk.other", "clerk", DISTRICT).await;
    let hidden = get(format!("{forms}/receipt"), other.clone()).await;
    problem(&hidden, 404, "not_found");
    let missing = get("/api/v1/dossiers/H-270101-9999/forms/receipt".into(), other).await;
    assert_eq!(hidden.text, missing.text, "out of scope reads as missing");
    let anonymous = w
        .app
        .request(Method::GET, &format!("{forms}/receipt"), None, None)
        .await;
    problem(&anonymous, 401, "unauthorized");
    let letter = get(
        "/api/v1/apology-letters/999999/document".into(),
        clerk.clone(),
    )
    .await;
    problem(&letter, 404, "not_found");

    // Once rejected, the refusal exists and says why.
    act(
        &w,
        &clerk,
        &code,
        "reject",
        json!({"reason": "Hồ sơ không thuộc thẩm quyền giải quyết"}),
    )
    .await;
    let doc = pdf_of(&w.app, &format!("{forms}/refusal?format=pdf"), &clerk).await;
    let text = pdf::flat_text(&doc);
    assert!(
        text.contains("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
        "{text}"
    );
    assert!(
        text.contains("Hồ sơ không thuộc thẩm quyền giải quyết") && text.contains("Lê Thị Hoa"),
        "{text}"
    );

    // A stopped dossier has its stop notice, signed by the head of the agency holding it.
    let code = receive(&w, None).await;
    act(
        &w,
        &clerk,
        &code,
        "transfer",
        json!({"to_office_code": PLANNING}),
    )
    .await;
    act(
        &w,
        &w.officer,
        &code,
        "stop",
        json!({"reason": "Người nộp đề nghị dừng giải quyết"}),
    )
    .await;
    let doc = pdf_of(
        &w.app,
        &format!("/api/v1/dossiers/{code}/forms/stop-notice?format=pdf"),
        &clerk,
    )
    .await;
    let text = pdf::flat_text(&doc);
    assert!(
        text.contains("THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ") && text.contains("PHÒNG QUẢN LÝ ĐÔ THỊ"),
        "{text}"
    );
    assert!(
        text.contains("Người nộp đề nghị dừng giải quyết") && text.contains("Trần Văn Bình"),
        "{text}"
    );
}

async fn each_supplement_request_has_its_form(backend: Backend) {
    let w = world(backend, None).await;
    let code = receive(&w, None).await;
    act(&w, &w.clerk, &code, "request-supplement", json!({"items": ["Bản sao sổ đỏ có chứng thực", "Bản vẽ thiết kế"], "reason": "Thiếu giấy tờ"})).await;
    act(&w, &w.clerk, &code, "supplement-received", json!({})).await;
    act(
        &w,
        &w.clerk,
        &code,
        "request-supplement",
        json!({"items": ["Giấy ủy quyền"], "reason": "Người nộp không phải chủ nhà"}),
    )
    .await;
    let form = |n: &str| format!("/api/v1/dossiers/{code}/forms/supplement-request?format=pdf{n}");
    let first = pdf::flat_text(&pdf_of(&w.app, &form("&n=1"), &w.clerk).await);
    assert!(
        first.contains("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
        "{first}"
    );
    assert!(
        first.contains("Bản sao sổ đỏ có chứng thực") && first.contains("Bản vẽ thiết kế"),
        "{first}"
    );
    assert!(
        first.contains("Thiếu giấy tờ") && !first.contains("Giấy ủy quyền"),
        "{first}"
    );
    let latest = pdf::flat_text(&pdf_of(&w.app, &form(""), &w.clerk).await);
    assert!(
        latest.contains("Giấy ủy quyền") && latest.contains("thứ 2"),
        "{latest}"
    );
    assert_eq!(
        latest,
        pdf::flat_text(&pdf_of(&w.app, &form("&n=2"), &w.clerk).await)
    );
    let none = w.app.get(&form("&n=3"), &w.clerk).await;
    problem(&none, 404, "not_found");
    assert!(
        none.body["detail"]
            .as_str()
            .unwrap()
            .contains("2 supplement requests"),
        "{}",
        none.text
    );
}

async fn the_apology_email_carries_its_letter_as_a_pdf(backend: Backend) {
    let sink = SmtpSink::start().await;
    let w = world(backend, Some(sink.url())).await;
    // Long past its deadline: the sweep writes the letter and the worker emails it.
    let code = receive(&w, Some("thu@example.vn")).await;
    let run = w.app.sweep().await;
    assert_eq!((run.sweep.letters, run.sent), (1, 1), "{run:?}");
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    let attachments = mails[0].attachments();
    assert_eq!(attachments.len(), 1, "one attachment");
    let (media, filename, letter_pdf) = &attachments[0];
    assert_eq!(media, "application/pdf");
    assert_eq!(filename, &format!("mau-04-{code}.pdf"));
    let text = pdf::flat_text(letter_pdf);
    let letters = w
        .app
        .get(
            &format!("/api/v1/dossiers/{code}/apology-letters"),
            &w.clerk,
        )
        .await;
    let letter = &letters.body["items"][0];
    let number = letter["number"].as_str().unwrap();
    for needle in [
        "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
        number,
        code.as_str(),
        "Đặng Thị Thu",
        "09 giờ 10 phút, ngày 10 tháng 03 năm 2026",
        "xin lỗi",
        "THỦ TRƯỞNG CƠ QUAN",
    ] {
        assert!(
            text.contains(needle),
            "the attached letter lacks {needle:?}:\n{text}"
        );
    }
    // The email's text is the same letter.
    let body = mails[0].body_text();
    assert!(
        body.contains(number) && body.contains("Đặng Thị Thu"),
        "{body}"
    );
    assert_eq!(
        pdf::qr_codes(letter_pdf),
        [format!("{BASE_URL}/tra-cuu?code={code}")]
    );
    // The page staff print is the same document.
    let printed = pdf_of(
        &w.app,
        &format!(
            "/api/v1/apology-letters/{}/document?format=pdf",
            letter["id"]
        ),
        &w.clerk,
    )
    .await;
    assert_eq!(pdf::text(&printed), pdf::text(letter_pdf));
    pdf::keep_png(letter_pdf, &format!("mau-04-{}", tag(backend)), 100);
}

/// A letter's email queued before emails were rendered at delivery carries its text in the row;
/// it is delivered as its letter reads now, with the PDF.
async fn a_letter_queued_with_its_text_is_still_delivered(backend: Backend) {
    let mut sink = SmtpSink::start().await;
    sink.stop().await;
    let w = world(backend, Some(sink.url())).await;
    let code = receive(&w, Some("thu@example.vn")).await;
    let run = w.app.sweep().await;
    assert_eq!(
        (run.sweep.letters, run.sent),
        (1, 0),
        "the SMTP server is down: {run:?}"
    );
    let db = w.app.db.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::connection::SimpleConnection;
        let mut conn = db.conn().unwrap();
        conn.batch_execute(
            "UPDATE outbox SET subject = 'Phiếu xin lỗi (old)', body_text = 'old text', \
             body_html = '<p>old</p>', next_attempt_at = '2000-01-01 00:00:00' \
             WHERE kind = 'apology'",
        )
        .unwrap();
    })
    .await
    .unwrap();
    sink.restart().await;
    let run = w.app.sweep().await;
    assert_eq!(run.sent, 1, "{run:?}");
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    assert!(
        mails[0].decoded_subject().contains(&code),
        "{}",
        mails[0].decoded_subject()
    );
    assert!(!mails[0].body_text().contains("old text"));
    assert_eq!(mails[0].attachments().len(), 1);
    let letters = w
        .app
        .get(
            &format!("/api/v1/dossiers/{code}/apology-letters"),
            &w.clerk,
        )
        .await;
    assert_eq!(letters.body["items"][0]["delivery_status"], "sent");
}

async fn the_register_lists_the_office_dossiers_as_json_csv_and_pdf(backend: Backend) {
    let w = world(backend, None).await;
    let first = receive(&w, None).await;
    let second = receive(&w, None).await;
    act(
        &w,
        &w.clerk,
        &first,
        "transfer",
        json!({"to_office_code": PLANNING, "at": "2026-03-05T10:00:00+07:00"}),
    )
    .await;
    let base = format!("/api/v1/reports/register?office={COUNTER}&from=2026-03-01&to=2026-03-31");
    let r = w.app.get(&base, &w.supervisor).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 2);
    assert_eq!(r.body["office_name"], "Bộ phận Một cửa huyện Phú Vang");
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items[0]["seq"], 1);
    assert_eq!(items[0]["code"], first.as_str());
    assert_eq!(items[1]["code"], second.as_str());
    assert_eq!(items[0]["transferred_at"], "2026-03-05T10:00:00+07:00");
    assert_eq!(items[0]["responsible_office_name"], "Phòng Quản lý đô thị");
    assert_eq!(items[0]["due_at"], "2026-03-10T09:10:00+07:00");
    assert!(items[1]["transferred_at"].is_null());
    // The same lines as CSV for Excel (UTF-8 with a byte-order mark) and as the PDF book.
    let (status, ct, csv) = bytes(&w.app, &format!("{base}&format=csv"), &w.supervisor, None).await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with("\u{feff}seq,code,procedure_code,procedure_name,applicant_name"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains(&first) && csv.contains("Đặng Thị Thu"));
    let (status, ct, _) = bytes(&w.app, &base, &w.supervisor, Some("text/csv")).await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
    let doc = pdf_of(&w.app, &format!("{base}&format=pdf"), &w.supervisor).await;
    let text = pdf::flat_text(&doc);
    assert!(
        text.contains("SỔ THEO DÕI HỒ SƠ")
            && text.contains("Từ ngày 01/03/2026 đến ngày 31/03/2026"),
        "{text}"
    );
    assert!(text.contains("Tổng số: 2 hồ sơ."), "{text}");
    for code in [&first, &second] {
        // A code may wrap in its narrow column; its parts are all there.
        let (office, rest) = code.split_once('-').unwrap();
        assert!(
            text.contains(office) && text.contains(rest),
            "{code} in {text}"
        );
    }
    // Refusals: wrong role, outside the scope, bad periods and representations.
    problem(&w.app.get(&base, &w.clerk).await, 403, "forbidden");
    problem(
        &w.app
            .get(
                &format!(
                    "/api/v1/reports/register?office={PLANNING}&from=2026-03-01&to=2026-03-31"
                ),
                &w.supervisor,
            )
            .await,
        403,
        "forbidden",
    );
    problem(
        &w.app
            .get(
                "/api/v1/reports/register?from=2026-03-31&to=2026-03-01",
                &w.supervisor,
            )
            .await,
        422,
        "validation_failed",
    );
    problem(
        &w.app
            .get(
                "/api/v1/reports/register?from=2025-01-01&to=2026-03-01",
                &w.supervisor,
            )
            .await,
        422,
        "validation_failed",
    );
    problem(
        &w.app
            .get("/api/v1/reports/register?to=2026-03-01", &w.supervisor)
            .await,
        422,
        "validation_failed",
    );
    problem(
        &w.app
            .get(&format!("{base}&format=html"), &w.supervisor)
            .await,
        406,
        "not_acceptable",
    );
    problem(
        &w.app
            .get(&format!("{base}&format=xlsx"), &w.supervisor)
            .await,
        400,
        "bad_request",
    );
    // The admin names the office; the supervisor's own is the default.
    problem(
        &w.app
            .get(
                "/api/v1/reports/register?from=2026-03-01&to=2026-03-31",
                &w.app.admin_token,
            )
            .await,
        422,
        "validation_failed",
    );
    let own = w
        .app
        .get(
            "/api/v1/reports/register?from=2026-03-01&to=2026-03-31",
            &w.supervisor,
        )
        .await;
    assert_eq!(own.body["total"], 2, "{}", own.text);
}

both_backends!(
    the_receipt_pdf_reads_back_with_its_appointment_and_qr_code,
    the_control_slip_lists_every_step_of_a_dossier_transferred_twice,
    forms_that_do_not_apply_or_cannot_be_given_are_refused,
    each_supplement_request_has_its_form,
    the_apology_email_carries_its_letter_as_a_pdf,
    a_letter_queued_with_its_text_is_still_delivered,
    the_register_lists_the_office_dossiers_as_json_csv_and_pdf,
);
