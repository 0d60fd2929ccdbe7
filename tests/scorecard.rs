//! Decision 766's scorecard on a constructed month where every indicator's numerator and
//! denominator is known, read for a period that ends today (everything done today counts) and
//! for the same period ending yesterday (what was digitised, rated or complained about today
//! does not): the edge cases of DOMAIN.md — nothing received, nothing resolved, two supplement
//! requests resolved early, an open dossier overdue at the period's end, a dossier paused then,
//! a rating after the period — on both backends, in JSON and CSV, with the drill-down.

mod common;

use chrono::{Duration, FixedOffset, NaiveDate, Utc};
use common::gateway::Gateway;
use common::{Backend, TestApp};
use motcua::domain::notice::NoticeChannel;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};

const A: &str = "000.00.31.H40";
const B: &str = "000.00.32.H40";
const C: &str = "000.00.33.H40";

fn tz() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap()
}

fn today() -> NaiveDate {
    Utc::now().with_timezone(&tz()).date_naive()
}

/// `days` before today at `hour`:00 office time, RFC 3339.
fn ago(days: i64, hour: u32) -> String {
    let d = today() - Duration::days(days);
    format!("{}T{hour:02}:00:00+07:00", d.format("%F"))
}

fn day(days: i64) -> String {
    (today() - Duration::days(days)).format("%F").to_string()
}

async fn receive(app: &TestApp, office: &str, procedure: &str, channel: &str, at: &str) -> String {
    let r = app
        .post(
            "/api/v1/dossiers",
            &app.admin_token,
            json!({"procedure_code": procedure, "channel": channel, "office_code": office,
                "applicant": {"full_name": "Lý Thị Hoa", "id_number": "079302000222",
                    "phone": "0905 123 456"},
                "received_at": at}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["code"].as_str().unwrap().to_owned()
}

async fn resolve(app: &TestApp, code: &str, at: &str) {
    app.act(code, "resolve", json!({"outcome": "approved", "at": at}))
        .await;
}

/// Uploads a small PDF as a component (`Some(code)`, or an unlisted one with `None`) or as the
/// result (`component = Some("")`).
async fn upload(app: &TestApp, code: &str, kind: &str, component: Option<&str>) {
    let boundary = "scorecard-boundary-91c2";
    let mut body = Vec::new();
    let mut part = |name: &str, file: bool, bytes: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        if file {
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"tep.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
            );
        } else {
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    };
    part("kind", false, kind.as_bytes());
    if let Some(c) = component {
        part("component_code", false, c.as_bytes());
    }
    let pdf = format!("%PDF-1.7\n{code} {kind} {component:?}\n%%EOF");
    part("file", true, pdf.as_bytes());
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let r = app
        .raw(
            Method::POST,
            &format!("/api/v1/dossiers/{code}/files"),
            Some(&app.admin_token),
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    assert_eq!(r.status, 201, "upload {code}: {}", r.text);
}

/// The result returned to the citizen, who then rates it through the link the SMS brought
/// (`POST /api/v1/public/ratings/{token}`): rated now, as a citizen would.
async fn return_and_rate(app: &TestApp, gw: &Gateway, code: &str, at: &str, rating: &str) {
    app.act(code, "return-result", json!({"at": at})).await;
    app.sweep().await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let token = loop {
        let link = gw.accepted("/sms").into_iter().find_map(|r| {
            let text = r.body["text"].as_str()?.to_owned();
            let at = text.find("/danh-gia/")?;
            text.contains(code).then(|| {
                text[at + "/danh-gia/".len()..]
                    .chars()
                    .take(43)
                    .collect::<String>()
            })
        });
        if let Some(t) = link {
            break t;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no rating link for {code}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/public/ratings/{token}"),
            None,
            Some(json!({"rating": rating})),
        )
        .await;
    assert_eq!(r.status, 201, "rating {code}: {}", r.text);
}

/// The citizen files a complaint about the dossier now, from the status page's JSON twin.
async fn complain(app: &TestApp, code: &str) {
    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/public/dossiers/{code}/complaints?id_number=079302000222"),
            None,
            Some(json!({"kind": "complaint", "text": "Bị yêu cầu bổ sung hai lần."})),
        )
        .await;
    assert_eq!(r.status, 201, "complaint {code}: {}", r.text);
}

struct Month {
    app: TestApp,
    /// Plays the SMS gateway the rating links reach the citizens through.
    _gw: Gateway,
    /// Office A's dossiers by name.
    a: std::collections::BTreeMap<&'static str, String>,
    b1: String,
}

/// Thirty days ending today at offices A and B (C receives nothing).
async fn month(backend: Backend) -> Month {
    let gw = Gateway::start().await;
    let sms = gw.sms_url();
    let app = TestApp::spawn_with(backend, |s| {
        s.sms.url = Some(SecretString::from(sms));
        s.notifications.channels = vec![NoticeChannel::Sms];
        s.public.base_url = Some("https://motcua.example.vn".into());
    })
    .await;
    for o in [A, B, C] {
        app.office(o, None).await;
    }
    let admin = app.admin_token.clone();
    for (code, office, components) in [
        (
            "SA",
            A,
            json!([{"code": "TK", "name": "Tờ khai", "required": true},
                   {"code": "BS", "name": "Bản sao giấy tờ", "required": false}]),
        ),
        ("SB", B, json!([])),
        ("SC", C, json!([])),
    ] {
        let r = app
            .post(
                "/api/v1/procedures",
                &admin,
                json!({"code": code, "name": format!("Thủ tục {code}"), "field": "Hộ tịch",
                    "office_code": office, "components": components,
                    "processing_time": {"amount": 3, "unit": "working_days"}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let mut a = std::collections::BTreeMap::new();
    // early: resolved an hour after receipt; every required component and the result as files
    // (uploaded today); rated satisfied today.
    let early = receive(&app, A, "SA", "counter", &ago(20, 9)).await;
    resolve(&app, &early, &ago(20, 10)).await;
    upload(&app, &early, "component", Some("TK")).await;
    upload(&app, &early, "result", None).await;
    return_and_rate(&app, &gw, &early, &ago(20, 11), "satisfied").await;
    a.insert("early", early);
    // late: online, resolved eighteen days after receipt; only the optional component as a
    // file, no result; rated dissatisfied today.
    let late = receive(&app, A, "SA", "online", &ago(20, 9)).await;
    resolve(&app, &late, &ago(2, 10)).await;
    upload(&app, &late, "component", Some("BS")).await;
    return_and_rate(&app, &gw, &late, &ago(2, 11), "dissatisfied").await;
    a.insert("late", late);
    // twice: online, two supplement requests, resolved early all the same; complained about
    // today.
    let twice = receive(&app, A, "SA", "online", &ago(20, 9)).await;
    app.act(
        &twice,
        "request-supplement",
        json!({"items": ["Tờ khai"], "reason": "Thiếu", "at": ago(20, 10)}),
    )
    .await;
    app.act(&twice, "supplement-received", json!({"at": ago(19, 9)}))
        .await;
    app.act(
        &twice,
        "request-supplement",
        json!({"items": ["Bản sao"], "reason": "Thiếu", "at": ago(19, 10)}),
    )
    .await;
    app.act(&twice, "supplement-received", json!({"at": ago(18, 9)}))
        .await;
    resolve(&app, &twice, &ago(18, 10)).await;
    complain(&app, &twice).await;
    a.insert("twice", twice);
    // overdue: never resolved.
    a.insert(
        "overdue",
        receive(&app, A, "SA", "counter", &ago(20, 9)).await,
    );
    // paused: waiting for a supplement since the day after receipt.
    let paused = receive(&app, A, "SA", "counter", &ago(20, 9)).await;
    app.act(
        &paused,
        "request-supplement",
        json!({"items": ["Tờ khai"], "reason": "Thiếu", "at": ago(19, 9)}),
    )
    .await;
    a.insert("paused", paused);
    // carried: received before the period, resolved late inside it.
    let carried = receive(&app, A, "SA", "counter", &ago(40, 9)).await;
    resolve(&app, &carried, &ago(10, 9)).await;
    a.insert("carried", carried);
    // before: received and resolved before the period: in nothing.
    let before = receive(&app, A, "SA", "online", &ago(40, 9)).await;
    resolve(&app, &before, &ago(39, 9)).await;
    a.insert("before", before);
    // withdrawn inside the period: received, never resolved.
    let withdrawn = receive(&app, A, "SA", "counter", &ago(15, 9)).await;
    app.act(
        &withdrawn,
        "withdraw",
        json!({"reason": "Công dân rút", "at": ago(15, 10)}),
    )
    .await;
    a.insert("withdrawn", withdrawn);
    // fresh: online, received yesterday, within its deadline at either end.
    a.insert("fresh", receive(&app, A, "SA", "online", &ago(1, 9)).await);
    // b1: office B, online, resolved early, an (unlisted) component and the result as files.
    let b1 = receive(&app, B, "SB", "online", &ago(20, 9)).await;
    resolve(&app, &b1, &ago(20, 11)).await;
    upload(&app, &b1, "component", None).await;
    upload(&app, &b1, "result", None).await;
    Month {
        app,
        _gw: gw,
        a,
        b1,
    }
}

fn row<'a>(r: &'a Value, group: &str) -> &'a Value {
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["group"] == group)
        .unwrap_or_else(|| panic!("no row {group}: {r}"))
}

/// (numerator, denominator, empty) of an indicator.
fn nd(card: &Value, indicator: &str) -> (i64, i64, bool) {
    let i = &card[indicator];
    (
        i["numerator"].as_i64().unwrap(),
        i["denominator"].as_i64().unwrap(),
        i["empty"].as_bool().unwrap(),
    )
}

fn points(card: &Value, indicator: &str) -> f64 {
    card[indicator]["points"].as_f64().unwrap()
}

async fn scorecard(app: &TestApp, token: &str, query: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/reports/scorecard?{query}"), token)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

async fn every_indicator_counts_what_the_period_says(backend: Backend) {
    let m = month(backend).await;
    let app = &m.app;
    let sup = app.staff("sup.scorecard", "supervisor", A).await;

    // The period ending today: everything done today is in it.
    let now = scorecard(
        app,
        &app.admin_token,
        &format!("from={}&to={}", day(30), day(0)),
    )
    .await;
    assert_eq!(now["sync_configured"], false);
    let a = row(&now, A);
    // Received in the period: early, late, twice, overdue, paused, withdrawn, fresh; online:
    // late, twice, fresh.
    assert_eq!(nd(a, "online"), (3, 7, false), "{a}");
    assert!((a["online"]["value"].as_f64().unwrap() - 3.0 / 7.0).abs() < 1e-9);
    assert_eq!(points(a, "online"), 10.29); // 12 × (3/7 ÷ 0.5)
    // Resolved: early, late, twice, carried; on time with at most one request: early only;
    // open and overdue at the end: overdue (paused is in neither, fresh is within time).
    assert_eq!(nd(a, "progress"), (1, 5, false), "{a}");
    assert_eq!(points(a, "progress"), 4.0);
    // Digitised by the end: early (its required component and its result).
    assert_eq!(nd(a, "digitisation"), (1, 4, false));
    assert_eq!(points(a, "digitisation"), 6.88); // 22 × (0.25 ÷ 0.8) = 6.875
    // Rated dissatisfied or complained about: late and twice. Score 1 − 0.8 − 0.5 < 0 → 0.
    assert_eq!(nd(a, "satisfaction"), (2, 4, false));
    assert_eq!(a["satisfaction"]["value"].as_f64().unwrap(), 0.0);
    assert_eq!(points(a, "satisfaction"), 0.0);
    // Synchronisation is not configured: nothing, and the card says so.
    assert_eq!(nd(a, "sync"), (0, 7, false));
    assert_eq!(points(a, "sync"), 0.0);
    assert!(
        a["sync"]["note"]
            .as_str()
            .unwrap()
            .contains("not configured")
    );
    assert!(
        (a["total_points"].as_f64().unwrap() - 21.17).abs() < 1e-9,
        "{a}"
    );
    assert_eq!(a["max_points"].as_f64().unwrap(), 78.0);

    let b = row(&now, B);
    assert_eq!(nd(b, "progress"), (1, 1, false));
    assert_eq!(nd(b, "online"), (1, 1, false));
    assert_eq!(nd(b, "digitisation"), (1, 1, false));
    assert_eq!(nd(b, "satisfaction"), (0, 1, false));
    assert_eq!(points(b, "satisfaction"), 18.0);
    assert_eq!(
        b["total_points"].as_f64().unwrap(),
        20.0 + 12.0 + 22.0 + 18.0
    );
    // C received and resolved nothing: no row.
    assert!(
        now["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["group"] != C)
    );

    // The total pools the counts (it is not a mean of the rows).
    let t = &now["total"];
    assert_eq!(t["group"], "total");
    assert_eq!(nd(t, "progress"), (2, 6, false));
    assert_eq!(nd(t, "online"), (4, 8, false));
    assert_eq!(nd(t, "digitisation"), (2, 5, false));
    assert_eq!(nd(t, "satisfaction"), (2, 5, false));
    assert_eq!(points(t, "online"), 12.0);

    // The same period ending yesterday: today's files, rating and complaint come after it.
    let past = scorecard(
        app,
        &app.admin_token,
        &format!("from={}&to={}", day(30), day(1)),
    )
    .await;
    let a = row(&past, A);
    assert_eq!(nd(a, "online"), (3, 7, false));
    // paused is judged by its history at the end (still waiting then), overdue as overdue then.
    assert_eq!(nd(a, "progress"), (1, 5, false));
    assert_eq!(nd(a, "digitisation"), (0, 4, false));
    assert_eq!(nd(a, "satisfaction"), (0, 4, false));
    // 1 − (1 − 0.2) − 0 = 0.2 → 18 × 0.2 / 0.9 = 4.
    assert!((a["satisfaction"]["value"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    assert_eq!(points(a, "satisfaction"), 4.0);

    // Nothing received or resolved: full points, every indicator empty.
    let empty = scorecard(
        app,
        &app.admin_token,
        &format!("from={}&to={}", day(90), day(60)),
    )
    .await;
    assert_eq!(empty["rows"], json!([]));
    for i in ["progress", "online", "digitisation", "satisfaction", "sync"] {
        assert_eq!(empty["total"][i]["empty"], true, "{i}: {empty}");
        assert_eq!(empty["total"][i]["value"], 1.0);
    }

    // A supervisor of A sees A only; office B is outside their scope.
    let mine = scorecard(app, &sup, &format!("from={}&to={}", day(30), day(0))).await;
    assert_eq!(mine["rows"].as_array().unwrap().len(), 1);
    assert_eq!(nd(&mine["total"], "progress"), (1, 5, false));
    let r = app
        .get(
            &format!(
                "/api/v1/reports/scorecard?from={}&to={}&office={B}",
                day(30),
                day(0)
            ),
            &sup,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let only_b = scorecard(
        app,
        &app.admin_token,
        &format!("from={}&to={}&office={B}", day(30), day(0)),
    )
    .await;
    assert_eq!(only_b["rows"].as_array().unwrap().len(), 1);
    assert_eq!(
        only_b["total"]["total_points"],
        row(&now, B)["total_points"]
    );
    let _ = &m.b1;
}

async fn the_drill_down_lists_the_dossiers_that_cost_points(backend: Backend) {
    let m = month(backend).await;
    let app = &m.app;
    let list = |indicator: &'static str, to: i64, extra: &'static str| {
        let path = format!(
            "/api/v1/reports/scorecard/dossiers?from={}&to={}&indicator={indicator}{extra}",
            day(30),
            day(to)
        );
        async move {
            let r = app.get(&path, &app.admin_token).await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.body
        }
    };
    let codes = |page: &Value| -> Vec<(String, Vec<String>)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_owned(),
                    d["reasons"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap().to_owned())
                        .collect(),
                )
            })
            .collect()
    };
    let a = &m.a;
    let mut want = vec![
        (a["late"].clone(), vec!["late".to_owned()]),
        (a["twice"].clone(), vec!["repeated_supplement".to_owned()]),
        (a["overdue"].clone(), vec!["overdue".to_owned()]),
        (a["carried"].clone(), vec!["late".to_owned()]),
    ];
    want.sort();
    let progress = list("progress", 0, "").await;
    assert_eq!(codes(&progress), want, "{progress}");
    assert_eq!(progress["next_after"], Value::Null);

    let mut want = vec![
        (
            a["late"].clone(),
            vec![
                "components_not_digitised".to_owned(),
                "result_not_digitised".to_owned(),
            ],
        ),
        (
            a["twice"].clone(),
            vec![
                "components_not_digitised".to_owned(),
                "result_not_digitised".to_owned(),
            ],
        ),
        (
            a["carried"].clone(),
            vec![
                "components_not_digitised".to_owned(),
                "result_not_digitised".to_owned(),
            ],
        ),
    ];
    want.sort();
    assert_eq!(codes(&list("digitisation", 0, "").await), want);
    // Yesterday, the early dossier's files were not there yet.
    assert_eq!(
        codes(&list("digitisation", 1, "&office=000.00.31.H40").await).len(),
        4
    );

    let mut want = vec![
        (a["late"].clone(), vec!["dissatisfied".to_owned()]),
        (a["twice"].clone(), vec!["complaint".to_owned()]),
    ];
    want.sort();
    assert_eq!(codes(&list("satisfaction", 0, "").await), want);
    assert_eq!(codes(&list("satisfaction", 1, "").await), vec![]);

    // Online: the four received at the counter (withdrawn included).
    let offline = codes(&list("online", 0, "").await);
    assert_eq!(offline.len(), 4, "{offline:?}");
    assert!(
        offline
            .iter()
            .all(|(_, r)| r == &vec!["not_online".to_owned()])
    );
    // Sync: every dossier received in the period (8, B's included).
    assert_eq!(codes(&list("sync", 0, "").await).len(), 8);

    // Pages follow in code order without repeats.
    let first = list("sync", 0, "&limit=3").await;
    assert_eq!(codes(&first).len(), 3);
    let after = first["next_after"].as_str().unwrap().to_owned();
    let r = app
        .get(
            &format!(
                "/api/v1/reports/scorecard/dossiers?from={}&to={}&indicator=sync&limit=10&after={after}",
                day(30),
                day(0)
            ),
            &app.admin_token,
        )
        .await;
    assert_eq!(r.status, 200);
    let rest = codes(&r.body);
    assert_eq!(rest.len(), 5);
    assert!(rest.iter().all(|(c, _)| c.as_str() > after.as_str()));

    // Bad input names the field.
    for (q, field) in [
        ("indicator=speed", "indicator"),
        ("indicator=sync&limit=0", "limit"),
        ("indicator=sync&after=a'b", "after"),
        ("indicator=sync&office=x'y", "office"),
    ] {
        let r = app
            .get(
                &format!(
                    "/api/v1/reports/scorecard/dossiers?from={}&to={}&{q}",
                    day(30),
                    day(0)
                ),
                &app.admin_token,
            )
            .await;
        assert!(
            r.status == 400 || r.status == 422,
            "{q}: {} {}",
            r.status,
            r.text
        );
        assert!(r.text.contains(field), "{q}: {}", r.text);
    }
}

async fn csv_says_what_json_says(backend: Backend) {
    let m = month(backend).await;
    let app = &m.app;
    let q = format!("from={}&to={}", day(30), day(0));
    let json = scorecard(app, &app.admin_token, &q).await;
    let r = app
        .get(
            &format!("/api/v1/reports/scorecard?{q}&format=csv"),
            &app.admin_token,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(r.text.starts_with('\u{feff}'));
    let lines: Vec<&str> = r.text.trim_start_matches('\u{feff}').lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(lines.len(), 1 + json["rows"].as_array().unwrap().len() + 1);
    let a: Vec<&str> = lines
        .iter()
        .find(|l| l.starts_with(A))
        .unwrap()
        .split(',')
        .collect();
    let cell = |name: &str| a[header.iter().position(|h| *h == name).unwrap()];
    let card = row(&json, A);
    assert_eq!(
        cell("progress_numerator"),
        card["progress"]["numerator"].to_string()
    );
    assert_eq!(
        cell("progress_denominator"),
        card["progress"]["denominator"].to_string()
    );
    assert_eq!(
        cell("online_points"),
        format!("{:.2}", card["online"]["points"].as_f64().unwrap())
    );
    assert_eq!(
        cell("total_points"),
        format!("{:.2}", card["total_points"].as_f64().unwrap())
    );
    assert!(lines.last().unwrap().starts_with("total,"));
}

async fn weights_are_configuration(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.scorecard.online_points = 30.0;
        s.scorecard.online_target = 1.0;
    })
    .await;
    app.office(A, None).await;
    let r = app
        .post(
            "/api/v1/procedures",
            &app.admin_token,
            json!({"code": "SA", "name": "Thủ tục SA", "field": "Hộ tịch", "office_code": A,
                "processing_time": {"amount": 3, "unit": "working_days"}}),
        )
        .await;
    assert_eq!(r.status, 201);
    receive(&app, A, "SA", "online", &ago(3, 9)).await;
    receive(&app, A, "SA", "counter", &ago(3, 9)).await;
    let card = scorecard(
        &app,
        &app.admin_token,
        &format!("from={}&to={}", day(5), day(0)),
    )
    .await;
    let a = row(&card, A);
    assert_eq!(points(a, "online"), 15.0);
    assert_eq!(a["online"]["max_points"], 30.0);
    assert_eq!(
        a["max_points"].as_f64().unwrap(),
        20.0 + 30.0 + 22.0 + 18.0 + 6.0
    );
}

/// With the national portal configured: received in the period and accepted by its end.
async fn synchronised_dossiers_earn_the_sync_points(backend: Backend) {
    let portal = common::receiver::Receiver::start().await;
    let url = format!("{}/dong-bo-ho-so", portal.url);
    let app = TestApp::spawn_with(backend, |s| {
        s.outbox.retry_base_secs = 1;
        s.national_portal.url = Some(url);
    })
    .await;
    app.office(A, None).await;
    app.procedure("SA", A, 3, "working_days").await;
    let first = receive(&app, A, "SA", "online", &ago(3, 9)).await;
    let second = receive(&app, A, "SA", "counter", &ago(2, 9)).await;
    app.sweep().await;
    // The portal is down when the third arrives.
    portal.answer(503);
    let third = receive(&app, A, "SA", "counter", &ago(1, 9)).await;
    app.sweep().await;
    let card = scorecard(
        &app,
        &app.admin_token,
        &format!("from={}&to={}", day(5), day(0)),
    )
    .await;
    assert_eq!(card["sync_configured"], true);
    let a = row(&card, A);
    assert_eq!(nd(a, "sync"), (2, 3, false), "{a}");
    assert_eq!(points(a, "sync"), 4.0);
    assert!(a["sync"].get("note").is_none());
    // Accepted today: not by yesterday's end.
    let past = scorecard(
        &app,
        &app.admin_token,
        &format!("from={}&to={}", day(5), day(1)),
    )
    .await;
    assert_eq!(nd(row(&past, A), "sync"), (0, 3, false));
    let r = app
        .get(
            &format!(
                "/api/v1/reports/scorecard/dossiers?from={}&to={}&indicator=sync",
                day(5),
                day(0)
            ),
            &app.admin_token,
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
    assert_eq!(r.body["items"][0]["code"], third.as_str());
    assert_eq!(r.body["items"][0]["reasons"], json!(["not_synchronised"]));
    let _ = (first, second);
}

both_backends!(
    synchronised_dossiers_earn_the_sync_points,
    every_indicator_counts_what_the_period_says,
    the_drill_down_lists_the_dossiers_that_cost_points,
    csv_says_what_json_says,
    weights_are_configuration,
);
