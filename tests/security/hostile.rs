//! Hostile bodies on every write endpoint: random JSON, valid bodies with one part made wrong
//! (wrong types, huge strings, control characters, numbers out of range, unknown and duplicate
//! keys), deep nesting, invalid UTF-8, empty bodies and wrong content types. Whatever arrives:
//! never a 5xx, every error is problem+json, nothing is accepted and nothing is stored.
//!
//! The cases come from a seeded generator (`MOTCUA_FUZZ_SEED` replays a run; the seed is in
//! every failure message).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::common::{ADMIN_PASSWORD, Backend, TestApp};

/// Mutated and random cases per endpoint, besides the fixed ones.
const RANDOM_CASES: usize = 24;

struct Endpoint {
    method: Method,
    path: String,
    /// Sign-in is the one write without a token.
    authenticated: bool,
    /// A body the endpoint would accept (or, for actions on a closed dossier, answer 409 to).
    valid: Value,
}

fn endpoints(closed: &str) -> Vec<Endpoint> {
    let at = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let post = |path: &str, valid: Value| Endpoint {
        method: Method::POST,
        path: path.into(),
        authenticated: true,
        valid,
    };
    let mut list = vec![
        Endpoint {
            method: Method::POST,
            path: "/api/v1/auth/token".into(),
            authenticated: false,
            valid: json!({"username": "admin", "password": ADMIN_PASSWORD}),
        },
        post(
            "/api/v1/users",
            json!({"username": "fuzz.user", "password": "a-long-new-password", "role": "clerk",
            "office_code": "H", "full_name": "Lê Thị Hoa", "email": "hoa@example.vn"}),
        ),
        post(
            "/api/v1/offices",
            json!({"code": "F.1", "name": "Văn phòng", "head_name": "Trần Văn Bình", "parent_code": "H"}),
        ),
        post(
            "/api/v1/procedures",
            json!({"code": "F.001", "name": "Thủ tục", "field": "Đất đai", "office_code": "H",
            "processing_time": {"amount": 3, "unit": "working_days"}}),
        ),
        post(
            "/api/v1/dossiers",
            json!({"procedure_code": "P3", "channel": "counter", "office_code": "H",
            "applicant": {"full_name": "Nguyễn Văn An", "id_number": "079123456789", "phone": "0901234567",
                          "email": "an@example.vn", "address": "12 Lê Lợi, Huế"},
            "received_at": at, "note": "Hồ sơ đủ"}),
        ),
        Endpoint {
            method: Method::PUT,
            path: "/api/v1/calendar/days/2027-03-15".into(),
            authenticated: true,
            valid: json!({"kind": "holiday", "name": "Nghỉ bù", "source": "Quyết định số 1/QĐ-TTg"}),
        },
    ];
    let actions = [
        (
            "transfer",
            json!({"to_office_code": "H.A", "deadline": {"amount": 2, "unit": "working_days"}, "note": "Chuyển", "at": at}),
        ),
        (
            "request-supplement",
            json!({"items": ["Bản sao sổ đỏ", "Tờ khai"], "reason": "Thiếu giấy tờ", "at": at}),
        ),
        ("supplement-received", json!({"note": "Đã nhận", "at": at})),
        (
            "request-payment",
            json!({"amount": 500000, "note": "Lệ phí", "at": at}),
        ),
        (
            "payment-received",
            json!({"amount": 500000, "note": "Đã nộp", "at": at}),
        ),
        (
            "reschedule",
            json!({"reason": "Cần xác minh", "new_due_at": "2099-01-01T09:00:00+07:00", "at": at}),
        ),
        (
            "resolve",
            json!({"outcome": "approved", "note": "Cấp phép", "at": at}),
        ),
        ("return-result", json!({"note": "Đã trả", "at": at})),
        ("reject", json!({"reason": "Không đủ điều kiện", "at": at})),
        ("withdraw", json!({"reason": "Công dân rút", "at": at})),
        ("stop", json!({"reason": "Dừng xử lý", "at": at})),
    ];
    for (action, body) in actions {
        list.push(post(&format!("/api/v1/dossiers/{closed}/{action}"), body));
    }
    list
}

/// One request: a body and the content type it is sent with (None: no Content-Type header).
#[derive(Debug, Clone)]
struct Case {
    what: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

impl Case {
    fn json(what: impl Into<String>, body: &Value) -> Self {
        Self {
            what: what.into(),
            content_type: Some("application/json"),
            body: body.to_string().into_bytes(),
        }
    }

    fn raw(what: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            what: what.into(),
            content_type: Some("application/json"),
            body: body.into(),
        }
    }
}

/// The same cases for every endpoint: broken JSON, odd values, and a valid body sent wrongly.
fn fixed_cases(valid: &Value) -> Vec<Case> {
    let text = valid.to_string();
    let mut cases = vec![
        Case::raw("no body", ""),
        Case::raw("whitespace", "  \n\t "),
        Case::raw("10,000 [", "[".repeat(10_000)),
        Case::raw("10,000 nested objects", "{\"a\":".repeat(10_000)),
        Case::raw(
            "nesting closed at depth 2,000",
            format!("{}{}", "[".repeat(2_000), "]".repeat(2_000)),
        ),
        Case::raw("invalid UTF-8", b"\xff\xfe\xfd".to_vec()),
        Case::raw(
            "invalid UTF-8 inside a string",
            [&b"{\"name\": \"\xc3\x28\xa0\xa1\"}"[..]].concat(),
        ),
        Case::raw(
            "a raw control character in a string",
            b"{\"name\": \"a\x01b\"}".to_vec(),
        ),
        Case::raw("a lone surrogate", r#"{"name": "\ud800"}"#),
        Case::raw("NaN", r#"{"amount": NaN}"#),
        Case::raw("a number beyond f64", "1e400"),
        Case::raw("null", "null"),
        Case::raw("true", "true"),
        Case::raw("a string", "\"hello\""),
        Case::raw("an empty array", "[]"),
        Case::raw("an array of the valid body", format!("[{text}]")),
        Case::raw("a byte-order mark first", format!("\u{feff}{text}")),
        Case::raw("trailing garbage", format!("{text}x")),
        Case::raw("two bodies", format!("{text}{text}")),
        Case::raw(
            "a trailing comma",
            format!("{},}}", &text[..text.len() - 1]),
        ),
        Case::raw("single quotes", text.replace('"', "'")),
        Case::raw(
            "more than the body limit",
            format!("{{\"note\": \"{}\"}}", "x".repeat(70_000)),
        ),
        Case::raw("thousands of keys", {
            let keys: Vec<String> = (0..3_000).map(|i| format!("\"k{i}\": {i}")).collect();
            format!("{{{}}}", keys.join(","))
        }),
    ];
    for (ct, what) in [
        (Some("text/plain"), "text/plain"),
        (Some("application/x-www-form-urlencoded"), "a form"),
        (Some("multipart/form-data; boundary=xyz"), "multipart"),
        (Some("application/xml"), "XML"),
        (Some("text/json"), "text/json"),
        (Some("application/jsonx"), "application/jsonx"),
        (None, "no content type"),
    ] {
        cases.push(Case {
            what: format!("a valid body as {what}"),
            content_type: ct,
            body: text.clone().into_bytes(),
        });
    }
    if let Some(obj) = valid.as_object() {
        // The same key twice: refused whatever its copies hold, since a proxy may read one and
        // this service the other.
        if let Some((key, value)) = obj.iter().next() {
            let dup = format!("{{\"{key}\": {value}, {}", &text[1..]);
            cases.push(Case::raw("a duplicate key with the same value", dup));
        }
        let mut empty = Map::new();
        empty.insert("unexpected".into(), json!(1));
        cases.push(Case::json("only an unknown field", &Value::Object(empty)));
    }
    cases
}

fn random_string(rng: &mut StdRng, len: usize) -> String {
    const POOLS: [&str; 6] = [
        "abcxyzABCXYZ0123456789 .-_@/",
        "ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ",
        "\u{0}\u{1}\u{7}\u{8}\u{b}\u{c}\u{1b}\u{7f}\u{85}\u{9b}",
        "\u{200b}\u{200e}\u{202e}\u{2028}\u{feff}\u{fffd}\u{ffff}",
        "\"\\'<>{}[]%;&|`$",
        "🙂🏳️‍🌈𝔘𐍈",
    ];
    (0..len)
        .map(|_| {
            let pool: Vec<char> = POOLS[rng.gen_range(0..POOLS.len())].chars().collect();
            pool[rng.gen_range(0..pool.len())]
        })
        .collect()
}

/// A string no text field accepts: a control character inside it.
fn control_string(rng: &mut StdRng) -> String {
    let len = rng.gen_range(0..40);
    let mut s = random_string(rng, len);
    let controls = ['\u{0}', '\u{1}', '\u{7}', '\u{1b}', '\u{7f}', '\u{9b}'];
    let at = s
        .char_indices()
        .map(|(i, _)| i)
        .nth(rng.gen_range(0..=s.chars().count().max(1) - 1))
        .unwrap_or(0);
    s.insert(at, controls[rng.gen_range(0..controls.len())]);
    format!("x{s}x")
}

fn random_json(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..if depth == 0 { 4 } else { 6 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.r#gen()),
        2 => json!(rng.r#gen::<i64>()),
        3 => {
            let len = rng.gen_range(0..30);
            Value::String(random_string(rng, len))
        }
        4 => Value::Array(
            (0..rng.gen_range(0..5))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
        _ => Value::Object(
            (0..rng.gen_range(0..5))
                .map(|_| {
                    let len = rng.gen_range(1..12);
                    (
                        format!("x_{}", random_string(rng, len)),
                        random_json(rng, depth - 1),
                    )
                })
                .collect(),
        ),
    }
}

/// A value that no field accepts in place of `original`: another type, a huge or control-ridden
/// string, or a number out of every field's range.
fn hostile_value(rng: &mut StdRng, original: &Value) -> (String, Value) {
    let numbers: [Value; 6] = [
        json!(-1),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(3.5),
        json!(1e300),
        json!(-0.5),
    ];
    loop {
        let (what, v) = match rng.gen_range(0..6) {
            0 => (
                "a huge string",
                Value::String(random_string(rng, 3_000).repeat(rng.gen_range(1..6))),
            ),
            1 => ("a control character", Value::String(control_string(rng))),
            2 => (
                "a number out of range",
                numbers[rng.gen_range(0..numbers.len())].clone(),
            ),
            3 => ("a boolean", Value::Bool(rng.r#gen())),
            4 => (
                "an array",
                Value::Array(vec![random_json(rng, 2), random_json(rng, 1)]),
            ),
            _ => ("an object", json!({"x_nested": random_json(rng, 2)})),
        };
        let same_type = std::mem::discriminant(&v) == std::mem::discriminant(original);
        // A string replacing a string must be wrong by content (huge or control), and a number
        // replacing a number must be out of range: those are always wrong.
        if !same_type
            || matches!(
                what,
                "a huge string" | "a control character" | "a number out of range"
            )
        {
            return (what.to_owned(), v);
        }
    }
}

/// Every path to a value inside `v` (object keys and array indices), the root excluded.
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let children: Vec<(String, &Value)> = match v {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return,
    };
    for (k, child) in children {
        prefix.push(k);
        out.push(prefix.clone());
        paths(child, prefix, out);
        prefix.pop();
    }
}

fn at_path<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k).unwrap(),
        Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
        _ => unreachable!(),
    })
}

/// A valid body with exactly one thing wrong, or random JSON.
fn random_case(rng: &mut StdRng, valid: &Value) -> Case {
    let mut all = Vec::new();
    paths(valid, &mut Vec::new(), &mut all);
    match rng.gen_range(0..10) {
        0 => {
            let v = random_json(rng, 4);
            Case::json(format!("random JSON {v}"), &v)
        }
        1 => {
            // An unknown field at some object level.
            let mut body = valid.clone();
            let objects: Vec<&Vec<String>> = all
                .iter()
                .filter(|p| at_path(&mut valid.clone(), p).is_object())
                .collect();
            let target = if objects.is_empty() || rng.gen_bool(0.5) {
                &mut body
            } else {
                at_path(&mut body, objects[rng.gen_range(0..objects.len())])
            };
            let len = rng.gen_range(1..20);
            let key = format!("x_{}", random_string(rng, len));
            let value = random_json(rng, 2);
            target.as_object_mut().unwrap().insert(key.clone(), value);
            Case::json(format!("an unknown field {key:?}"), &body)
        }
        2 => {
            // The same key twice, the second copy hostile.
            let key = valid
                .as_object()
                .and_then(|o| o.keys().nth(rng.gen_range(0..o.len())))
                .cloned()
                .unwrap_or_default();
            let (what, v) = hostile_value(rng, &valid[&key]);
            let text = valid.to_string();
            Case::raw(
                format!("{key:?} twice, the second {what}"),
                format!("{},\"{key}\":{v}}}", &text[..text.len() - 1]),
            )
        }
        _ => {
            let path = &all[rng.gen_range(0..all.len())];
            let mut body = valid.clone();
            let target = at_path(&mut body, path);
            let (what, v) = hostile_value(rng, target);
            *target = v;
            Case::json(format!("{} as {what}", path.join(".")), &body)
        }
    }
}

async fn send(app: &TestApp, e: &Endpoint, case: &Case) -> (u16, Option<String>, String) {
    let mut rb = app
        .client
        .request(e.method.clone(), format!("{}{}", app.address, e.path))
        .body(case.body.clone());
    if let Some(ct) = case.content_type {
        rb = rb.header("content-type", ct);
    }
    if e.authenticated {
        rb = rb.bearer_auth(&app.admin_token);
    }
    let r = rb.send().await.expect("request sent");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, ct, r.text().await.unwrap_or_default())
}

async fn hostile_bodies_are_refused_cleanly_and_change_nothing(backend: Backend) {
    let seed: u64 = std::env::var("MOTCUA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().r#gen());
    let mut rng = StdRng::seed_from_u64(seed);
    let app = TestApp::spawn_with(backend, |s| {
        // Let sign-in answer every case instead of throttling after a few.
        s.auth.max_failures_per_user = 1_000_000;
        s.auth.max_failures_per_address = 1_000_000;
    })
    .await;
    for (code, parent) in [("H", None), ("H.A", Some("H"))] {
        app.office(code, parent).await;
    }
    app.procedure("P3", "H", 3, "working_days").await;
    // Actions go to a withdrawn dossier: a body that happened to be valid could only get 409.
    let r = app
        .post(
            "/api/v1/dossiers",
            &app.admin_token.clone(),
            json!({"procedure_code": "P3", "channel": "counter", "office_code": "H",
            "applicant": {"full_name": "Nguyễn Văn An", "id_number": "079123456789"}}),
        )
        .await;
    let closed = r.body["code"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/dossiers/{closed}/withdraw"),
            &app.admin_token.clone(),
            json!({"reason": "Rút"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let before = app.snapshot().await;
    let changes_before = app
        .get("/api/v1/calendar/changes", &app.admin_token.clone())
        .await
        .body["total"]
        .clone();
    let mut failures = Vec::new();
    let mut sent = 0;
    let started = std::time::Instant::now();
    for e in endpoints(&closed) {
        let mut cases = fixed_cases(&e.valid);
        cases.extend((0..RANDOM_CASES).map(|_| random_case(&mut rng, &e.valid)));
        for case in cases {
            let (status, ct, text) = send(&app, &e, &case).await;
            sent += 1;
            let problem: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let wrong = if status >= 500 {
                Some("a server error")
            } else if status < 400 {
                Some("accepted")
            } else if ct.as_deref() != Some("application/problem+json") {
                Some("not problem+json")
            } else if problem["status"] != status || !problem["code"].is_string() {
                Some("a malformed problem")
            } else {
                None
            };
            if let Some(wrong) = wrong {
                let shown: String = case.what.chars().take(200).collect();
                failures.push(format!(
                    "{} {} with {shown}: {wrong}: {status} {ct:?} {}",
                    e.method,
                    e.path,
                    text.chars().take(300).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {sent} cases wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        app.snapshot().await,
        before,
        "seed {seed}: hostile bodies changed the database"
    );
    let changes_after = app
        .get("/api/v1/calendar/changes", &app.admin_token.clone())
        .await
        .body["total"]
        .clone();
    assert_eq!(
        changes_after, changes_before,
        "seed {seed}: the calendar changed"
    );
    eprintln!(
        "seed {seed}: {sent} hostile requests in {:?}",
        started.elapsed()
    );
}

async fn hostile_paths_and_queries_are_refused_cleanly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.office("H", None).await;
    let long = "X".repeat(3_000);
    let gets = [
        "/api/v1/dossiers/%00".to_owned(),
        "/api/v1/dossiers/H-261126-0001%00".into(),
        "/api/v1/dossiers/%00/events".into(),
        "/api/v1/dossiers/%00/apology-letters".into(),
        "/api/v1/dossiers/%ff%fe".into(),
        format!("/api/v1/dossiers/{long}"),
        "/api/v1/offices/%00".into(),
        format!("/api/v1/offices/{long}"),
        "/api/v1/procedures/%00".into(),
        format!("/api/v1/procedures/{long}"),
        "/api/v1/public/dossiers/%00?id_number=079123456789".into(),
        "/api/v1/public/dossiers/H-261126-0001?id_number=%00".into(),
        "/api/v1/public/dossiers/H-261126-0001?id_number=0791%0023456".into(),
        "/api/v1/dossiers?office=%00".into(),
        "/api/v1/dossiers?procedure=%00".into(),
        "/api/v1/dossiers?q=%00".into(),
        format!("/api/v1/dossiers?office={long}"),
        format!("/api/v1/dossiers?procedure={long}"),
        "/api/v1/dossiers?status=%ff".into(),
        "/api/v1/dossiers?page=-1&per_page=1000000".into(),
        "/api/v1/dossiers?page=99999999999999999999".into(),
        "/api/v1/dossiers?received_from=2027-02-30".into(),
        "/api/v1/apology-letters?office=%00".into(),
        format!("/api/v1/apology-letters?office={long}"),
        "/api/v1/apology-letters?delivery_status=%00".into(),
        "/api/v1/apology-letters/%00/document".into(),
        "/api/v1/apology-letters/99999999999999999999/document".into(),
        "/api/v1/calendar/days?from=%00&to=2027-01-01".into(),
        "/api/v1/calendar/days?from=0001-01-01&to=9999-12-31".into(),
        "/api/v1/calendar/deadline?amount=%00&unit=working_days".into(),
        "/api/v1/calendar/deadline?amount=99999999999&unit=working_days".into(),
        "/api/v1/calendar/deadline?start=9999-12-31T23:59:59Z&amount=1&unit=working_days".into(),
        "/api/v1/calendar/changes?per_page=%00".into(),
    ];
    let token = app.admin_token.clone();
    let mut failures = Vec::new();
    let before = app.snapshot().await;
    let mut requests: Vec<(Method, String, Option<Value>)> = gets
        .iter()
        .map(|p| (Method::GET, p.clone(), None))
        .collect();
    for path in [
        "/api/v1/dossiers/%00/resolve",
        "/api/v1/dossiers/%00/%00",
        &format!("/api/v1/dossiers/{long}/withdraw"),
    ] {
        requests.push((
            Method::POST,
            path.into(),
            Some(json!({"outcome": "approved", "reason": "x"})),
        ));
    }
    for date in [
        "%00",
        "0000-00-00",
        "99999-01-01",
        "2027-02-30",
        "1900-01-01",
    ] {
        requests.push((
            Method::PUT,
            format!("/api/v1/calendar/days/{date}"),
            Some(json!({"kind": "holiday", "name": "Nghỉ"})),
        ));
        requests.push((
            Method::DELETE,
            format!("/api/v1/calendar/days/{date}"),
            None,
        ));
    }
    for (method, path, body) in requests {
        let r = app.request(method.clone(), &path, Some(&token), body).await;
        let shown: String = path.chars().take(120).collect();
        if r.status.is_server_error() {
            failures.push(format!("{method} {shown}: {} {}", r.status, r.text));
        } else if r.status.is_client_error()
            && r.header("content-type") != Some("application/problem+json")
        {
            failures.push(format!(
                "{method} {shown}: {} not problem+json: {}",
                r.status, r.text
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(app.snapshot().await, before);
}

crate::both_backends!(
    hostile_bodies_are_refused_cleanly_and_change_nothing,
    hostile_paths_and_queries_are_refused_cleanly
);
