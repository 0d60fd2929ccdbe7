//! The dossier's files: upload, list and download the same bytes; refusals that store nothing;
//! another office sees nothing; the citizen's result download. On the local disk and on a real
//! S3-compatible server (moto) on loopback, on both databases; and two `serve` processes that
//! share one S3 store.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Backend, TestApp, TestDatabase};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const OFFICE: &str = "000.00.24.H40";
const OTHER: &str = "000.00.25.H40";
const ID_NUMBER: &str = "079123456789";

/// An S3-compatible server (moto) on a free loopback port, with one bucket; killed when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_bin() -> PathBuf {
    let bin = std::env::var("MOTCUA_TEST_MOTO")
        .unwrap_or_else(|_| "/var/cache/motcua-tools/venv/bin/moto_server".into());
    let bin = PathBuf::from(bin);
    assert!(
        bin.exists(),
        "moto_server not found at {} (MOTCUA_TEST_MOTO; scripts/test-tools installs it)",
        bin.display()
    );
    bin
}

async fn moto(bucket: &str) -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(moto_bin())
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let endpoint = format!("http://127.0.0.1:{port}");
    let server = Moto { child, endpoint };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client
            .put(format!("{}/{bucket}", server.endpoint))
            .send()
            .await
            && r.status().is_success()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not come up on port {port}");
}

/// Where a test's files go.
enum Store {
    Local(tempfile::TempDir),
    S3(Moto),
}

impl Store {
    async fn new(s3: bool) -> Store {
        if s3 {
            Store::S3(moto("motcua-files").await)
        } else {
            Store::Local(tempfile::tempdir().unwrap())
        }
    }

    fn apply(&self, s: &mut motcua::config::Settings) {
        match self {
            Store::Local(dir) => s.files.store = format!("file://{}", dir.path().display()),
            Store::S3(m) => {
                s.files.store = "s3://motcua-files/replica-set".into();
                s.files.s3.endpoint = Some(m.endpoint.clone());
                s.files.s3.allow_http = true;
                s.files.s3.access_key_id = Some("testing".to_owned().into());
                s.files.s3.secret_access_key = Some("testing".to_owned().into());
            }
        }
    }

    /// Every object in the store, as the store itself lists them (staging files included).
    async fn objects(&self) -> Vec<String> {
        let mut s = motcua::config::Settings::default();
        self.apply(&mut s);
        let fs = motcua::files::FileStore::open(&s.files).unwrap();
        fs.list_all().await.unwrap()
    }
}

struct World {
    app: TestApp,
    store: Store,
    clerk: String,
    other_clerk: String,
    code: String,
}

async fn world(
    backend: Backend,
    s3: bool,
    tweak: impl FnOnce(&mut motcua::config::Settings),
) -> World {
    let store = Store::new(s3).await;
    let app = TestApp::spawn_with(backend, |s| {
        store.apply(s);
        tweak(s);
    })
    .await;
    app.office(OFFICE, None).await;
    app.office(OTHER, None).await;
    app.procedure("1.001234", OFFICE, 3, "working_days").await;
    let clerk = app.staff("clerk.h40", "clerk", OFFICE).await;
    let other_clerk = app.staff("clerk.h25", "clerk", OTHER).await;
    let r = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            json!({"procedure_code": "1.001234", "channel": "counter",
                   "applicant": {"full_name": "Nguyễn Văn An", "id_number": ID_NUMBER}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let code = r.body["code"].as_str().unwrap().to_owned();
    World {
        app,
        store,
        clerk,
        other_clerk,
        code,
    }
}

/// One part of a multipart body: name, filename, content type, bytes.
type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

/// A multipart/form-data body.
fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "motcua-test-boundary-7d1f0c";
    let mut body = Vec::new();
    for (name, filename, ctype, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disp = format!("Content-Disposition: form-data; name=\"{name}\"");
        if let Some(f) = filename {
            disp.push_str(&format!("; filename=\"{f}\""));
        }
        body.extend_from_slice(disp.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(c) = ctype {
            body.extend_from_slice(format!("Content-Type: {c}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A PDF-looking file of about `n` bytes, different for every `seed`.
fn pdf(n: usize, seed: u8) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n".to_vec();
    let mut x: u32 = 0x9e37_79b9 ^ u32::from(seed);
    while v.len() < n.saturating_sub(6) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push((x & 0xff) as u8);
    }
    v.extend_from_slice(b"\n%%EOF");
    v
}

fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

async fn upload(
    app: &TestApp,
    code: &str,
    token: &str,
    kind: &str,
    component: Option<&str>,
    filename: &str,
    bytes: &[u8],
) -> common::Resp {
    let mut parts: Vec<Part<'_>> = vec![("kind", None, None, kind.as_bytes())];
    if let Some(c) = component {
        parts.push(("component_code", None, None, c.as_bytes()));
    }
    parts.push(("file", Some(filename), Some("application/pdf"), bytes));
    let (ctype, body) = multipart(&parts);
    app.raw(
        Method::POST,
        &format!("/api/v1/dossiers/{code}/files"),
        Some(token),
        &ctype,
        body,
    )
    .await
}

/// A GET as bytes with its headers.
async fn fetch_bytes(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut rb = app.client.get(format!("{}{path}", app.address));
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

async fn upload_list_download_the_same_bytes(backend: Backend, s3: bool) {
    let w = world(backend, s3, |_| {}).await;
    let bytes = pdf(300 * 1024, 1);
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "component",
        None,
        "Đơn đề nghị cấp phép.pdf",
        &bytes,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let f = &r.body;
    assert_eq!(f["kind"], "component");
    assert_eq!(f["component_code"], Value::Null);
    assert_eq!(f["filename"], "Đơn đề nghị cấp phép.pdf");
    assert_eq!(f["media_type"], "application/pdf");
    assert_eq!(f["size"], bytes.len() as i64);
    assert_eq!(f["sha256"], sha256(&bytes));
    assert_eq!(f["uploaded_by"], "clerk.h40");
    assert!(f["uploaded_at"].as_str().unwrap().ends_with("+07:00"));
    let id = f["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.header("location"),
        Some(format!("/api/v1/dossiers/{}/files/{id}", w.code).as_str())
    );

    let list = w
        .app
        .get(&format!("/api/v1/dossiers/{}/files", w.code), &w.clerk)
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["id"], id.as_str());

    let (status, headers, got) = fetch_bytes(
        &w.app,
        &format!("/api/v1/dossiers/{}/files/{id}", w.code),
        Some(&w.clerk),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sha256(&got), sha256(&bytes), "the same bytes come back");
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["etag"].to_str().unwrap(),
        format!("\"{}\"", sha256(&bytes))
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(
        disposition.contains(
            "filename*=UTF-8''%C4%90%C6%A1n%20%C4%91%E1%BB%81%20ngh%E1%BB%8B%20c%E1%BA%A5p%20ph%C3%A9p.pdf"
        ),
        "{disposition}"
    );

    // The dossier now has its components on file, not yet its result.
    let d = w
        .app
        .get(&format!("/api/v1/dossiers/{}", w.code), &w.clerk)
        .await;
    assert_eq!(
        d.body["digitised"],
        json!({"components": true, "result": false})
    );

    // A result, then a corrected one: a new version, the first kept.
    let first = pdf(10_000, 2);
    let second = pdf(12_000, 3);
    let r1 = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "result",
        None,
        "ket-qua.pdf",
        &first,
    )
    .await;
    assert_eq!(r1.status, 201, "{}", r1.text);
    let r2 = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "result",
        None,
        "ket-qua.pdf",
        &second,
    )
    .await;
    assert_eq!(r2.status, 201, "{}", r2.text);
    assert_eq!(r1.body["version"], 1);
    assert_eq!(r2.body["version"], 2);
    let list = w
        .app
        .get(&format!("/api/v1/dossiers/{}/files", w.code), &w.clerk)
        .await;
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let results: Vec<&Value> = items.iter().filter(|i| i["kind"] == "result").collect();
    assert_eq!(results[0]["sha256"], sha256(&first));
    assert_eq!(results[0]["current"], false);
    assert_eq!(results[1]["sha256"], sha256(&second));
    assert_eq!(results[1]["current"], true);
    for (item, bytes) in [(results[0], &first), (results[1], &second)] {
        let (status, _, got) = fetch_bytes(
            &w.app,
            &format!(
                "/api/v1/dossiers/{}/files/{}",
                w.code,
                item["id"].as_str().unwrap()
            ),
            Some(&w.clerk),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(&got, bytes, "every version keeps its bytes");
    }
    let d = w
        .app
        .get(&format!("/api/v1/dossiers/{}", w.code), &w.clerk)
        .await;
    assert_eq!(
        d.body["digitised"],
        json!({"components": true, "result": true})
    );

    // The same bytes again are one more file and still one object.
    let again = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "component",
        None,
        "copy.pdf",
        &bytes,
    )
    .await;
    assert_eq!(again.status, 201);
    let objects = w.store.objects().await;
    assert_eq!(
        objects.iter().filter(|o| o.starts_with("sha256/")).count(),
        3,
        "{objects:?}"
    );
    assert!(
        !objects.iter().any(|o| o.starts_with("tmp/")),
        "{objects:?}"
    );
}

async fn refused_uploads_store_nothing(backend: Backend, s3: bool) {
    let w = world(backend, s3, |s| s.files.max_bytes = 64 * 1024).await;
    let before = w.app.snapshot().await;
    let path = format!("/api/v1/dossiers/{}/files", w.code);

    // One byte over files.max_bytes.
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "component",
        None,
        "big.pdf",
        &pdf(64 * 1024 + 1, 4),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.body["code"], "payload_too_large");
    // Exactly at the limit is fine elsewhere; here it shows the limit is the file's, not the body's.
    // A text file named .pdf and declared application/pdf.
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "component",
        None,
        "giay-to.pdf",
        b"This is plain text pretending to be a PDF document.\n",
    )
    .await;
    assert_eq!(r.status, 415, "{}", r.text);
    assert_eq!(r.body["code"], "unsupported_media_type");
    assert!(r.text.contains("application/pdf"), "{}", r.text);
    // An HTML page disguised as a PNG.
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "component",
        None,
        "anh.png",
        b"<html><script>alert(1)</script></html>",
    )
    .await;
    assert_eq!(r.status, 415, "{}", r.text);
    // A component code while the procedure lists none.
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "component",
        Some("TP01"),
        "don.pdf",
        &pdf(2000, 5),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "component_code");
    // No kind, an unknown kind.
    let (ctype, body) = multipart(&[("file", Some("don.pdf"), None, &pdf(2000, 6))]);
    let r = w
        .app
        .raw(Method::POST, &path, Some(&w.clerk), &ctype, body)
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "kind");
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "photo",
        None,
        "don.pdf",
        &pdf(2000, 7),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "kind");
    // Not multipart at all.
    let r = w
        .app
        .raw(
            Method::POST,
            &path,
            Some(&w.clerk),
            "application/pdf",
            pdf(2000, 8),
        )
        .await;
    assert_eq!(r.status, 415, "{}", r.text);

    let list = w.app.get(&path, &w.clerk).await;
    assert_eq!(list.body["items"], json!([]));
    assert_eq!(w.app.count("dossier_files").await, 0);
    assert_eq!(w.app.snapshot().await, before);
    let objects = w.store.objects().await;
    assert!(objects.is_empty(), "nothing stored: {objects:?}");
    let d = w
        .app
        .get(&format!("/api/v1/dossiers/{}", w.code), &w.clerk)
        .await;
    assert_eq!(
        d.body["digitised"],
        json!({"components": false, "result": false})
    );

    // The dossier's own budget: two files of 40 KiB fit a 64 KiB file limit, not an 80 KiB total.
}

async fn the_dossier_has_a_budget_of_its_own(backend: Backend) {
    let w = world(backend, false, |s| {
        s.files.max_bytes = 64 * 1024;
        s.files.max_dossier_bytes = 100 * 1024;
    })
    .await;
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "component",
        None,
        "a.pdf",
        &pdf(60 * 1024, 1),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "component",
        None,
        "b.pdf",
        &pdf(50 * 1024, 2),
    )
    .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(r.text.contains("dossier"), "{}", r.text);
    assert_eq!(w.app.count("dossier_files").await, 1);
    let objects = w.store.objects().await;
    assert_eq!(objects.len(), 1, "{objects:?}");
}

async fn another_office_sees_not_found(backend: Backend, s3: bool) {
    let w = world(backend, s3, |_| {}).await;
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "component",
        None,
        "don.pdf",
        &pdf(5000, 1),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/dossiers/{}/files", w.code);
    let r = upload(
        &w.app,
        &w.code,
        &w.other_clerk,
        "component",
        None,
        "x.pdf",
        &pdf(5000, 2),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = w.app.get(&path, &w.other_clerk).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let (status, _, body) =
        fetch_bytes(&w.app, &format!("{path}/{id}"), Some(&w.other_clerk)).await;
    assert_eq!(status, 404);
    assert!(!body.starts_with(b"%PDF"));
    // Without a token: 401; an unknown file of a visible dossier: 404.
    let (status, _, _) = fetch_bytes(&w.app, &format!("{path}/{id}"), None).await;
    assert_eq!(status, 401);
    let (status, _, _) = fetch_bytes(&w.app, &format!("{path}/no-such-file"), Some(&w.clerk)).await;
    assert_eq!(status, 404);
    assert_eq!(w.app.count("dossier_files").await, 1);
}

async fn the_citizen_downloads_the_result_with_code_and_id_number(backend: Backend, s3: bool) {
    let w = world(backend, s3, |_| {}).await;
    let result = pdf(40_000, 9);
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "result",
        None,
        "Giấy phép xây dựng.pdf",
        &result,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let public = |id: &str| format!("/api/v1/public/dossiers/{}/result?id_number={id}", w.code);
    // Not resolved yet: the same 404 as a wrong ID number.
    let (before, _, body_before) = fetch_bytes(&w.app, &public(ID_NUMBER), None).await;
    assert_eq!(before, 404);
    let r = w
        .app
        .post(
            &format!("/api/v1/dossiers/{}/resolve", w.code),
            &w.app.admin_token.clone(),
            json!({"outcome": "approved"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (status, headers, got) = fetch_bytes(&w.app, &public(ID_NUMBER), None).await;
    assert_eq!(status, 200);
    assert_eq!(sha256(&got), sha256(&result));
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''Gi%E1%BA%A5y%20ph%C3%A9p%20x%C3%A2y%20d%E1%BB%B1ng.pdf")
    );
    let (wrong, _, body_wrong) = fetch_bytes(&w.app, &public("079999999999"), None).await;
    assert_eq!(wrong, 404);
    assert_eq!(
        body_wrong, body_before,
        "one answer for not yet and for a wrong ID"
    );
    let (status, _, _) = fetch_bytes(
        &w.app,
        "/api/v1/public/dossiers/000.00.24.H40-000000-0001/result?id_number=079123456789",
        None,
    )
    .await;
    assert_eq!(status, 404);
}

async fn the_result_download_is_rate_limited_like_the_lookup(backend: Backend) {
    let w = world(backend, false, |s| s.public.lookup_per_minute = 2).await;
    let lookup = format!("/api/v1/public/dossiers/{}?id_number={ID_NUMBER}", w.code);
    let result = format!(
        "/api/v1/public/dossiers/{}/result?id_number={ID_NUMBER}",
        w.code
    );
    assert_eq!(fetch_bytes(&w.app, &lookup, None).await.0, 200);
    assert_eq!(fetch_bytes(&w.app, &result, None).await.0, 404);
    let (status, headers, _) = fetch_bytes(&w.app, &result, None).await;
    assert_eq!(status, 429);
    assert!(headers.contains_key("retry-after"));
}

async fn the_receipt_lists_the_component_files_and_the_slip_says_digitised(backend: Backend) {
    let w = world(backend, false, |_| {}).await;
    let slip = format!("/api/v1/dossiers/{}/forms/control-slip", w.code);
    let before = w.app.get(&slip, &w.clerk).await;
    assert_eq!(before.status, 200, "{}", before.text);
    assert!(
        before
            .text
            .contains("thành phần chưa số hóa, kết quả chưa số hóa"),
        "{}",
        before.text
    );
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "component",
        None,
        "Bản sao sổ đỏ.pdf",
        &pdf(3000, 1),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "result",
        None,
        "Giấy phép.pdf",
        &pdf(3000, 2),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let receipt = w
        .app
        .get(
            &format!("/api/v1/dossiers/{}/forms/receipt", w.code),
            &w.clerk,
        )
        .await;
    assert_eq!(receipt.status, 200, "{}", receipt.text);
    assert!(
        receipt.text.contains("Bản sao sổ đỏ.pdf"),
        "{}",
        receipt.text
    );
    assert!(
        !receipt.text.contains("Giấy phép.pdf"),
        "the result is no component"
    );
    let after = w.app.get(&slip, &w.clerk).await;
    assert!(
        after
            .text
            .contains("thành phần đã số hóa, kết quả đã số hóa"),
        "{}",
        after.text
    );
}

/// A form POSTed to a page of the citizen's side, as bytes with its headers.
async fn post_page(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = app
        .client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

/// The status page of a resolved dossier with its result digitised offers the download; the
/// form takes the ID number again in its body and answers the file itself, or one 404 page for
/// a wrong ID number and for a dossier without a result.
async fn the_status_page_offers_the_result_download(backend: Backend) {
    let w = world(backend, false, |_| {}).await;
    let status_page = || {
        let (app, code) = (&w.app, w.code.clone());
        async move {
            let (status, _, body) = post_page(
                app,
                "/tra-cuu",
                &[("code", code.as_str()), ("id_number", ID_NUMBER)],
            )
            .await;
            assert_eq!(status, 200);
            String::from_utf8(body).unwrap()
        }
    };
    let download = |id: &'static str| {
        let (app, code) = (&w.app, w.code.clone());
        async move {
            post_page(
                app,
                "/ket-qua",
                &[("code", code.as_str()), ("id_number", id)],
            )
            .await
        }
    };
    // No result yet: no download on the page, and the form answers 404.
    assert!(!status_page().await.contains("action=\"/ket-qua\""));
    let (none, _, none_page) = download(ID_NUMBER).await;
    assert_eq!(none, 404);
    let result = pdf(60_000, 4);
    let r = upload(
        &w.app,
        &w.code,
        &w.clerk,
        "result",
        None,
        "Kết quả.pdf",
        &result,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Uploaded but not resolved: still nothing to download.
    assert!(!status_page().await.contains("action=\"/ket-qua\""));
    w.app
        .act(&w.code, "resolve", json!({"outcome": "approved"}))
        .await;

    let page = status_page().await;
    assert!(
        page.contains("action=\"/ket-qua\"") && page.contains("Tải kết quả"),
        "{page}"
    );
    assert!(
        !page.contains(ID_NUMBER),
        "the page does not hold the ID number"
    );
    let json = w
        .app
        .request(
            Method::GET,
            &format!("/api/v1/public/dossiers/{}?id_number={ID_NUMBER}", w.code),
            None,
            None,
        )
        .await;
    assert_eq!(json.body["result_available"], true, "{}", json.text);

    let (status, headers, got) = download(ID_NUMBER).await;
    assert_eq!(status, 200);
    assert_eq!(sha256(&got), sha256(&result), "the same bytes");
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["cache-control"], "no-store");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains("filename*=UTF-8''K%E1%BA%BFt%20qu%E1%BA%A3.pdf"),
        "{disposition}"
    );
    let (wrong, wrong_headers, wrong_page) = download("079999999999").await;
    assert_eq!(wrong, 404);
    assert!(
        wrong_headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        wrong_page, none_page,
        "one page for a wrong ID number and for no result"
    );
    let text = String::from_utf8(wrong_page).unwrap();
    assert!(text.contains("Không tải được kết quả"), "{text}");
    assert!(!text.contains(ID_NUMBER) && !text.contains("079999999999"));
    // Not a form: 415, as the other pages.
    let r = w
        .app
        .raw(
            Method::POST,
            "/ket-qua",
            None,
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(r.status, 415);
}

async fn upload_list_download_local(b: Backend) {
    upload_list_download_the_same_bytes(b, false).await
}
async fn upload_list_download_s3(b: Backend) {
    upload_list_download_the_same_bytes(b, true).await
}
async fn refused_uploads_local(b: Backend) {
    refused_uploads_store_nothing(b, false).await
}
async fn refused_uploads_s3(b: Backend) {
    refused_uploads_store_nothing(b, true).await
}
async fn another_office_local(b: Backend) {
    another_office_sees_not_found(b, false).await
}
async fn another_office_s3(b: Backend) {
    another_office_sees_not_found(b, true).await
}
async fn citizen_result_local(b: Backend) {
    the_citizen_downloads_the_result_with_code_and_id_number(b, false).await
}
async fn citizen_result_s3(b: Backend) {
    the_citizen_downloads_the_result_with_code_and_id_number(b, true).await
}

both_backends!(
    upload_list_download_local,
    upload_list_download_s3,
    refused_uploads_local,
    refused_uploads_s3,
    the_dossier_has_a_budget_of_its_own,
    another_office_local,
    another_office_s3,
    citizen_result_local,
    citizen_result_s3,
    the_result_download_is_rate_limited_like_the_lookup,
    the_status_page_offers_the_result_download,
    the_receipt_lists_the_component_files_and_the_slip_says_digitised,
);

// Two `serve` processes on one PostgreSQL and one S3 store: a file uploaded through one is
// listed and downloaded through the other.

const BIN: &str = env!("CARGO_BIN_EXE_motcua");
const SECRET: &str = "a-shared-secret-for-every-replica-0123";

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn motcua(cwd: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("MOTCUA_") {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "info");
    c
}

fn serve(cwd: &Path, database_url: &str, endpoint: &str) -> Server {
    use std::io::BufRead;
    let mut child = motcua(cwd)
        .arg("serve")
        .env("MOTCUA__DATABASE__URL", database_url)
        .env("MOTCUA__SERVER__BIND", "127.0.0.1:0")
        .env("MOTCUA__SERVER__WORKERS", "2")
        .env("MOTCUA__AUTH__JWT_SECRET", SECRET)
        .env("MOTCUA__FILES__STORE", "s3://motcua-files/replicas")
        .env("MOTCUA__FILES__S3__ENDPOINT", endpoint)
        .env("MOTCUA__FILES__S3__ALLOW_HTTP", "true")
        .env("MOTCUA__FILES__S3__ACCESS_KEY_ID", "testing")
        .env("MOTCUA__FILES__S3__SECRET_ACCESS_KEY", "testing")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let _ = tx.send(rest.trim().to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server reported its address");
    Server { child, base }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_processes_share_one_s3_store() {
    if common::skip_postgres() {
        eprintln!("skipped: MOTCUA_TEST_SKIP_POSTGRES=1");
        return;
    }
    let s3 = moto("motcua-files").await;
    let database = tokio::task::spawn_blocking(|| TestDatabase::new(Backend::Postgres))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut add = motcua(dir.path());
    add.args([
        "user",
        "add",
        "--username",
        "admin",
        "--role",
        "admin",
        "--password-stdin",
    ])
    .env("MOTCUA__DATABASE__URL", &database.url)
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let mut child = add.spawn().unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"admin-password-1234")
            .unwrap();
    }
    assert!(child.wait().unwrap().success());
    let a = serve(dir.path(), &database.url, &s3.endpoint);
    let b = serve(dir.path(), &database.url, &s3.endpoint);
    let client = reqwest::Client::new();
    let tok: Value = client
        .post(format!("{}/api/v1/auth/token", a.base))
        .json(&json!({"username": "admin", "password": "admin-password-1234"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tok = tok["access_token"].as_str().unwrap().to_owned();
    for (path, body) in [
        (
            "/api/v1/offices",
            json!({"code": OFFICE, "name": "Bộ phận Một cửa", "head_name": "Trần Văn Bình"}),
        ),
        (
            "/api/v1/procedures",
            json!({"code": "1.001234", "name": "Cấp phép", "field": "Xây dựng",
            "office_code": OFFICE, "processing_time": {"amount": 3, "unit": "working_days"}}),
        ),
        (
            "/api/v1/dossiers",
            json!({"procedure_code": "1.001234", "channel": "counter", "office_code": OFFICE,
            "applicant": {"full_name": "Nguyễn Văn An", "id_number": ID_NUMBER}}),
        ),
    ] {
        let r = client
            .post(format!("{}{path}", a.base))
            .bearer_auth(&tok)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{path}");
        if path == "/api/v1/dossiers" {
            let v: Value = r.json().await.unwrap();
            let code = v["code"].as_str().unwrap().to_owned();
            let bytes = pdf(3 * 1024 * 1024, 11);
            let (ctype, body) = multipart(&[
                ("kind", None, None, b"component"),
                ("file", Some("ban-ve.pdf"), Some("application/pdf"), &bytes),
            ]);
            let up = client
                .post(format!("{}/api/v1/dossiers/{code}/files", a.base))
                .bearer_auth(&tok)
                .header("content-type", ctype)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(up.status(), 201);
            let f: Value = up.json().await.unwrap();
            let list: Value = client
                .get(format!("{}/api/v1/dossiers/{code}/files", b.base))
                .bearer_auth(&tok)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(list["items"][0]["id"], f["id"]);
            let got = client
                .get(format!(
                    "{}/api/v1/dossiers/{code}/files/{}",
                    b.base,
                    f["id"].as_str().unwrap()
                ))
                .bearer_auth(&tok)
                .send()
                .await
                .unwrap();
            assert_eq!(got.status(), 200);
            let got = got.bytes().await.unwrap();
            assert_eq!(
                sha256(&got),
                sha256(&bytes),
                "the other replica serves the same bytes"
            );
        }
    }
}
