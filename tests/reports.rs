//! Supervisors' reports on a data set where every count is known by construction, at the
//! period's boundaries, in JSON and CSV, on both backends.

mod common;

use common::{Backend, TestApp};
use serde_json::{Value, json};

const A: &str = "000.00.24.H40";
const B: &str = "000.00.25.H40";

async fn dossier(app: &TestApp, office: &str, channel: &str, at: &str) -> String {
    let r = app
        .post("/api/v1/dossiers", &app.admin_token, json!({"procedure_code": if office == A { "PA" } else { "PB" },
            "channel": channel, "office_code": office,
            "applicant": {"full_name": "Bùi Thị Mai", "id_number": "079302000111"}, "received_at": at}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["code"].as_str().unwrap().to_owned()
}

/// October 2026 at office A, each dossier placed to exercise one rule (see the comments).
async fn october(backend: Backend) -> (TestApp, Vec<String>) {
    let app = TestApp::spawn(backend).await;
    app.office(A, None).await;
    app.office(B, None).await;
    let admin = app.admin_token.clone();
    for (code, office, field) in [("PA", A, "Đất đai"), ("PB", B, "Hộ tịch")] {
        let r = app
            .post(
                "/api/v1/procedures",
                &admin,
                json!({"code": code, "name": format!("Thủ tục {code}"), "field": field,
                "office_code": office, "processing_time": {"amount": 3, "unit": "working_days"}}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let mut codes = Vec::new();
    // a1: received before the period, resolved inside it, late (due Thu 1 Oct 09:00).
    let a1 = dossier(&app, A, "counter", "2026-09-28T09:00:00+07:00").await;
    app.act(
        &a1,
        "resolve",
        json!({"outcome": "approved", "at": "2026-10-02T10:00:00+07:00"}),
    )
    .await;
    // a2: received and resolved before the period: not in it at all.
    let a2 = dossier(&app, A, "counter", "2026-09-29T09:00:00+07:00").await;
    app.act(
        &a2,
        "resolve",
        json!({"outcome": "approved", "at": "2026-09-30T10:00:00+07:00"}),
    )
    .await;
    // a3: online, handed to agency B with a one-day step, resolved early.
    let a3 = dossier(&app, A, "online", "2026-10-05T09:00:00+07:00").await;
    app.act(&a3, "transfer", json!({"to_office_code": B, "deadline": {"amount": 1, "unit": "working_days"}, "at": "2026-10-05T10:00:00+07:00"})).await;
    app.act(
        &a3,
        "resolve",
        json!({"outcome": "approved", "at": "2026-10-06T09:00:00+07:00"}),
    )
    .await;
    // a4: resolved after the period: open and overdue at its end.
    let a4 = dossier(&app, A, "counter", "2026-10-12T09:00:00+07:00").await;
    app.act(
        &a4,
        "resolve",
        json!({"outcome": "refused", "at": "2026-11-03T09:00:00+07:00"}),
    )
    .await;
    // a5: waiting for a supplement at the end of the period, which arrives after it.
    let a5 = dossier(&app, A, "postal", "2026-10-20T09:00:00+07:00").await;
    app.act(
        &a5,
        "request-supplement",
        json!({"items": ["Tờ khai"], "reason": "Thiếu", "at": "2026-10-21T09:00:00+07:00"}),
    )
    .await;
    app.act(
        &a5,
        "supplement-received",
        json!({"at": "2026-11-02T09:00:00+07:00"}),
    )
    .await;
    // a6 withdrawn, a7 rejected inside the period.
    let a6 = dossier(&app, A, "counter", "2026-10-26T09:00:00+07:00").await;
    app.act(
        &a6,
        "withdraw",
        json!({"reason": "Công dân rút", "at": "2026-10-27T09:00:00+07:00"}),
    )
    .await;
    let a7 = dossier(&app, A, "online", "2026-10-26T10:00:00+07:00").await;
    app.act(
        &a7,
        "reject",
        json!({"reason": "Sai thẩm quyền", "at": "2026-10-26T11:00:00+07:00"}),
    )
    .await;
    // a8: received late in the period, still open, within its deadline at the end.
    let a8 = dossier(&app, A, "counter", "2026-10-29T10:00:00+07:00").await;
    // a9: carried over, stopped inside the period.
    let a9 = dossier(&app, A, "counter", "2026-09-15T09:00:00+07:00").await;
    app.act(
        &a9,
        "stop",
        json!({"reason": "Dừng theo yêu cầu", "at": "2026-10-10T09:00:00+07:00"}),
    )
    .await;
    // a10: received after the period.
    let a10 = dossier(&app, A, "counter", "2026-11-02T09:00:00+07:00").await;
    // b1: office B, online, resolved at the due instant exactly (Tue 6 Oct 08:00): on time.
    let b1 = dossier(&app, B, "online", "2026-10-01T08:00:00+07:00").await;
    app.act(
        &b1,
        "resolve",
        json!({"outcome": "approved", "at": "2026-10-06T08:00:00+07:00"}),
    )
    .await;
    codes.extend([a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, b1]);
    (app, codes)
}

fn row<'a>(report: &'a Value, group: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == group)
        .unwrap_or_else(|| panic!("no row {group}: {report}"))
}

/// October's form-06 summary by office, as the administrator asks for it.
async fn october_by_office(app: &TestApp) -> Value {
    let r = app
        .get(
            "/api/v1/reports/summary?from=2026-10-01&to=2026-10-31&group_by=office",
            &app.admin_token,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

fn assert_balances(r: &Value) {
    let n = |k: &str| r[k].as_i64().unwrap();
    assert_eq!(
        n("received_total"),
        n("carried_over") + n("received_online") + n("received_offline"),
        "{r}"
    );
    assert_eq!(
        n("received_total"),
        n("resolved_total") + n("open_total") + n("withdrawn") + n("rejected") + n("stopped"),
        "{r}"
    );
    assert_eq!(
        n("resolved_total"),
        n("resolved_early") + n("resolved_on_time") + n("resolved_late"),
        "{r}"
    );
    assert_eq!(
        n("open_total"),
        n("open_on_track") + n("open_overdue"),
        "{r}"
    );
}

async fn form_06_counts_every_dossier_once_by_its_history(backend: Backend) {
    let (app, _) = october(backend).await;
    let sup = app.staff("sup", "supervisor", A).await;
    app.office("000.00.00.H40", None).await;
    let r = october_by_office(&app).await;
    let a = row(&r, A);
    let expected_a = json!({"group": A, "group_name": format!("Văn phòng {A}"), "carried_over": 2, "received_online": 2, "received_offline": 4,
        "received_total": 8, "resolved_total": 2, "resolved_early": 1, "resolved_on_time": 0, "resolved_late": 1,
        "early_pct": 50.0, "on_time_pct": 0.0, "late_pct": 50.0, "open_total": 3, "open_on_track": 2, "open_overdue": 1,
        "awaiting_supplement": 1, "withdrawn": 1, "rejected": 1, "stopped": 1,
        "supplement_repeated": 0, "national_synced": 0, "national_synced_pct": 0.0});
    assert_eq!(a, &expected_a);
    let b = row(&r, B);
    assert_eq!(
        (
            b["received_online"].as_i64(),
            b["resolved_on_time"].as_i64(),
            b["on_time_pct"].as_f64()
        ),
        (Some(1), Some(1), Some(100.0))
    );
    assert_eq!(r["total"]["received_total"], 9);
    assert_eq!(r["total"]["resolved_total"], 3);
    assert_eq!(r["total"]["early_pct"], 33.33);
    for row in r["rows"].as_array().unwrap().iter().chain([&r["total"]]) {
        assert_balances(row);
    }
    // Other groupings count the same dossiers.
    for g in ["field", "procedure", "channel"] {
        let other = app
            .get(
                &format!("/api/v1/reports/summary?from=2026-10-01&to=2026-10-31&group_by={g}"),
                &app.admin_token,
            )
            .await;
        assert_eq!(other.status, 200, "{}", other.text);
        assert_eq!(other.body["total"], r["total"], "group_by={g}");
        for row in other.body["rows"].as_array().unwrap() {
            assert_balances(row);
        }
    }
    let ch = app
        .get(
            "/api/v1/reports/summary?from=2026-10-01&to=2026-10-31&group_by=channel",
            &app.admin_token,
        )
        .await;
    assert_eq!(row(&ch.body, "online")["received_online"], 3);
    assert_eq!(row(&ch.body, "postal")["received_offline"], 1);
    // A supervisor reports on what their office received, nothing else.
    let mine = app
        .get(
            "/api/v1/reports/summary?from=2026-10-01&to=2026-10-31",
            &sup,
        )
        .await;
    let groups: Vec<&str> = mine.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, [A]);
    // The next month starts from what October left open.
    let nov = app
        .get(
            "/api/v1/reports/summary?from=2026-11-01&to=2026-11-30",
            &app.admin_token,
        )
        .await;
    assert_eq!(row(&nov.body, A)["carried_over"], 3);
    assert_eq!(row(&nov.body, A)["received_offline"], 1);
    assert_balances(&nov.body["total"]);
}

async fn csv_says_what_json_says(backend: Backend) {
    let (app, _) = october(backend).await;
    let json_report = app
        .get(
            "/api/v1/reports/summary?from=2026-10-01&to=2026-10-31",
            &app.admin_token,
        )
        .await;
    let resp = app
        .client
        .get(format!(
            "{}/api/v1/reports/summary?from=2026-10-01&to=2026-10-31",
            app.address
        ))
        .bearer_auth(&app.admin_token)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = resp.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "UTF-8 BOM for Excel");
    let lines: Vec<&str> = text
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header[0], "group");
    let rows = json_report.body["rows"].as_array().unwrap();
    assert_eq!(
        lines.len(),
        1 + rows.len() + 1,
        "header, one line per group, the total"
    );
    for (line, row) in lines[1..]
        .iter()
        .zip(rows.iter().chain([&json_report.body["total"]]))
    {
        let cells: Vec<&str> = line.split(',').collect();
        for (name, cell) in header.iter().zip(&cells) {
            let v = &row[*name];
            let expected = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) if n.is_f64() => format!("{:.2}", n.as_f64().unwrap()),
                Value::Number(n) => n.to_string(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            assert_eq!(*cell, expected, "column {name}");
        }
    }
    let q = app
        .get("/api/v1/reports/overdue?format=csv", &app.admin_token)
        .await;
    assert!(q.text.starts_with('\u{feff}'));
    assert_eq!(q.text.lines().count(), 1 + 3);
}

async fn the_overdue_list_now_and_as_of_the_past(backend: Backend) {
    let (app, codes) = october(backend).await;
    let now = app.get("/api/v1/reports/overdue", &app.admin_token).await;
    assert_eq!(now.status, 200, "{}", now.text);
    let listed: Vec<&str> = now.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    // a8 (due 3 Nov), a5 (restarted on 2 Nov, due 5 Nov) and a10 (due 5 Nov), most overdue first.
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0], codes[7]);
    assert!(listed.contains(&codes[4].as_str()) && listed.contains(&codes[9].as_str()));
    let days: Vec<u64> = now.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["overdue_working_days"].as_u64().unwrap())
        .collect();
    assert!(
        days.windows(2).all(|w| w[0] >= w[1]) && days[2] >= 1,
        "{days:?}"
    );
    assert_eq!(
        now.body["by_agency"],
        json!([{"office_code": A, "total": 3}])
    );
    assert_eq!(now.body["items"][0]["apology_letter_status"], Value::Null);
    assert_eq!(now.body["items"][0]["reappointment_used"], false);

    // At the end of October only a4 was overdue (a5 was waiting on the citizen): 12 working
    // days past its deadline of Thursday 15 Oct 09:00.
    let then = app
        .get(
            "/api/v1/reports/overdue?as_of=2026-10-31T23:00:00%2B07:00",
            &app.admin_token,
        )
        .await;
    assert_eq!(then.body["total"], 1, "{}", then.text);
    assert_eq!(then.body["items"][0]["code"], codes[3].as_str());
    assert_eq!(then.body["items"][0]["overdue_working_days"], 12);

    // The sweep's letters show in the list.
    app.sweep().await;
    let after = app.get("/api/v1/reports/overdue", &app.admin_token).await;
    assert_eq!(after.body["items"][0]["apology_letter_status"], "print");
    assert_eq!(after.body["items"][0]["reappointment_used"], true);

    let filtered = app
        .get(
            &format!("/api/v1/reports/overdue?office={B}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(filtered.body["total"], 0);
    let sup_b = app.staff("sup.b", "supervisor", B).await;
    assert_eq!(
        app.get(&format!("/api/v1/reports/overdue?office={A}"), &sup_b)
            .await
            .status,
        403
    );
    assert_eq!(
        app.get("/api/v1/reports/overdue", &sup_b).await.body["total"],
        0
    );
    let officer = app.staff("officer", "officer", A).await;
    assert_eq!(
        app.get("/api/v1/reports/overdue", &officer).await.status,
        403
    );
}

async fn steps_are_judged_per_agency(backend: Backend) {
    let (app, _) = october(backend).await;
    let r = app
        .get(
            "/api/v1/reports/steps?from=2026-10-01&to=2026-10-31",
            &app.admin_token,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rows = r.body["rows"].as_array().unwrap();
    // B judged on its step; A appears for the supplement request it made at the counter.
    let offices: Vec<&str> = rows
        .iter()
        .map(|r| r["office_code"].as_str().unwrap())
        .collect();
    assert_eq!(offices, [A, B]);
    assert_eq!(
        (
            rows[1]["office_code"].as_str(),
            rows[1]["completed"].as_i64(),
            rows[1]["on_time"].as_i64()
        ),
        (Some(B), Some(1), Some(1))
    );
    assert_eq!(
        (
            rows[0]["completed"].as_i64(),
            rows[0]["supplement_requests"].as_i64(),
            rows[0]["supplement_repeated"].as_i64()
        ),
        (Some(0), Some(1), Some(0))
    );
    for q in [
        "from=2026-10-31&to=2026-10-01",
        "from=2026-10-01",
        "from=2026-10-01&to=2026-10-31&group_by=planet",
    ] {
        assert_eq!(
            app.get(&format!("/api/v1/reports/summary?{q}"), &app.admin_token)
                .await
                .status,
            422,
            "{q}"
        );
    }
}

/// The period runs from local midnight to local midnight, to the second: office time is seven
/// hours ahead of the stored UTC instants, so each boundary falls in the middle of a UTC day.
async fn the_period_is_exact_to_the_second(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.office(A, None).await;
    let r = app
        .post(
            "/api/v1/procedures",
            &app.admin_token,
            json!({"code": "PA", "name": "Thủ tục PA", "field": "Đất đai", "office_code": A,
                   "processing_time": {"amount": 3, "unit": "working_days"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Carried over: received the last second before October, closed the first second of it.
    let before = dossier(&app, A, "counter", "2026-09-30T23:59:59+07:00").await;
    app.act(
        &before,
        "resolve",
        json!({"outcome": "approved", "at": "2026-10-01T00:00:00+07:00"}),
    )
    .await;
    // Received in October: its first second and its last.
    dossier(&app, A, "counter", "2026-10-01T00:00:00+07:00").await;
    dossier(&app, A, "online", "2026-10-31T23:59:59+07:00").await;
    // November's first second is not October's.
    dossier(&app, A, "counter", "2026-11-01T00:00:00+07:00").await;
    let r = october_by_office(&app).await;
    let a = row(&r, A);
    let counts: Vec<i64> = [
        "carried_over",
        "received_online",
        "received_offline",
        "received_total",
        "resolved_total",
        "open_total",
    ]
    .iter()
    .map(|k| a[*k].as_i64().unwrap())
    .collect();
    assert_eq!(counts, [1, 1, 1, 3, 1, 2], "{a}");
    assert_balances(a);
}

both_backends!(
    the_period_is_exact_to_the_second,
    form_06_counts_every_dossier_once_by_its_history,
    csv_says_what_json_says,
    the_overdue_list_now_and_as_of_the_past,
    steps_are_judged_per_agency,
);
