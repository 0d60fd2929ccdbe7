//! The working calendar through the API: days, overrides with audit and recomputation, the
//! deadline calculator, and the shipped yearly arrangements, on both backends.

mod common;

use common::{Backend, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

fn day<'a>(days: &'a Value, date: &str) -> &'a Value {
    days.as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("{date} missing"))
}

async fn days_show_weekends_holidays_and_compensatory_days(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.office("H40", None).await;
    let clerk = app.staff("clerk", "clerk", "H40").await;
    // Tết Đinh Mùi: the lunar new year is Saturday 6 Feb 2027; its days on the weekend give
    // compensatory days off after the holiday.
    let r = app
        .get(
            "/api/v1/calendar/days?from=2027-02-04&to=2027-02-15",
            &clerk,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body.as_array().unwrap().len(), 12);
    assert_eq!(day(&r.body, "2027-02-04")["kind"], "workday");
    assert_eq!(day(&r.body, "2027-02-04")["working"], true);
    for d in [
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-02-09",
    ] {
        assert_eq!(day(&r.body, d)["kind"], "holiday", "{d}");
        assert!(
            day(&r.body, d)["name"].as_str().unwrap().contains("Tết"),
            "{d}"
        );
    }
    for d in ["2027-02-10", "2027-02-11"] {
        assert_eq!(day(&r.body, d)["kind"], "holiday", "{d}");
        assert!(
            day(&r.body, d)["name"]
                .as_str()
                .unwrap()
                .starts_with("Nghỉ bù"),
            "{d}"
        );
    }
    assert_eq!(day(&r.body, "2027-02-12")["kind"], "workday");
    assert_eq!(day(&r.body, "2027-02-13")["kind"], "weekend");
    assert_eq!(day(&r.body, "2027-02-13")["working"], false);
    // Giỗ Tổ Hùng Vương (10/3 lunar) 2027 is Friday 16 April.
    let h = app
        .get(
            "/api/v1/calendar/days?from=2027-04-16&to=2027-04-16",
            &clerk,
        )
        .await;
    assert_eq!(h.body[0]["kind"], "holiday");
    assert!(
        h.body[0]["name"].as_str().unwrap().contains("Hùng"),
        "{}",
        h.text
    );

    for (q, field) in [
        ("from=2027-02-10&to=2027-02-01", "to"),
        ("from=2027-01-01&to=2030-01-01", "to"),
        ("from=2027-02-30&to=2027-03-01", "from"),
    ] {
        let bad = app.get(&format!("/api/v1/calendar/days?{q}"), &clerk).await;
        assert_eq!(bad.status, 422, "{q}: {}", bad.text);
        assert_eq!(bad.body["errors"][0]["field"], field, "{q}");
    }
}

async fn the_deadline_calculator_explains_itself(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.office("H40", None).await;
    let clerk = app.staff("clerk", "clerk", "H40").await;
    // Thursday before Tết at lunch: the clock starts at 13:30, Tết and its compensatory days
    // are skipped, the second working day is Monday 15 Feb.
    let r = app.get("/api/v1/calendar/deadline?start=2027-02-04T12:15:00%2B07:00&amount=2&unit=working_days", &clerk).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["start"], "2027-02-04T12:15:00+07:00");
    assert_eq!(r.body["clock_start"], "2027-02-04T13:30:00+07:00");
    assert_eq!(r.body["due_at"], "2027-02-15T13:30:00+07:00");
    let trace = r.body["trace"].to_string();
    assert!(trace.contains("lunch"), "{trace}");
    assert!(trace.contains("Tết"), "{trace}");
    let hours = app.get("/api/v1/calendar/deadline?start=2027-03-08T07:30:00%2B07:00&amount=4&unit=working_hours", &clerk).await;
    assert_eq!(
        hours.body["due_at"], "2027-03-08T11:30:00+07:00",
        "a deadline may land on a session's end"
    );
    let cal = app.get("/api/v1/calendar/deadline?start=2027-03-05T10:00:00%2B07:00&amount=8&unit=calendar_days", &clerk).await;
    assert_eq!(
        cal.body["due_at"], "2027-03-15T10:00:00+07:00",
        "Saturday 13 moves to Monday 15"
    );
    for q in [
        "amount=0&unit=working_days",
        "amount=3&unit=weeks",
        "amount=3",
        "start=yesterday&amount=1&unit=working_days",
    ] {
        let bad = app
            .get(&format!("/api/v1/calendar/deadline?{q}"), &clerk)
            .await;
        assert_eq!(bad.status, 422, "{q}: {}", bad.text);
    }
}

async fn overrides_recompute_open_deadlines_and_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.office("H40", None).await;
    app.procedure("P3", "H40", 3, "working_days").await;
    let clerk = app.staff("clerk", "clerk", "H40").await;
    let admin = app.admin_token.clone();
    // Friday 20 Nov 2026 09:00 + 3 working days → Wednesday 25 Nov 09:00.
    let r = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            json!({"procedure_code": "P3", "channel": "counter",
            "applicant": {"full_name": "Phạm Thị Lan", "id_number": "001099012345"},
            "received_at": "2026-11-20T09:00:00+07:00"}),
        )
        .await;
    assert_eq!(r.body["due_at"], "2026-11-25T09:00:00+07:00");
    let code = r.body["code"].as_str().unwrap().to_owned();
    // A dossier whose window does not contain the changed day is left alone.
    let other = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            json!({"procedure_code": "P3", "channel": "online",
            "applicant": {"full_name": "Võ Văn Tâm", "id_number": "001099012346"},
            "received_at": "2026-11-24T09:00:00+07:00"}),
        )
        .await;
    assert_eq!(other.body["due_at"], "2026-11-27T09:00:00+07:00");

    // Saturday 21 Nov becomes a make-up working day: the deadline moves a day earlier.
    let put = app
        .request(Method::PUT, "/api/v1/calendar/days/2026-11-21", Some(&admin),
            Some(json!({"kind": "makeup_workday", "name": "Làm bù cho ngày 2/1", "source": "Thông báo số 01/TB"})))
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["kind"], "makeup_workday");
    assert_eq!(put.body["working"], true);
    assert_eq!(put.body["recomputed"], 1);
    let d = app.get(&format!("/api/v1/dossiers/{code}"), &clerk).await;
    assert_eq!(d.body["due_at"], "2026-11-24T09:00:00+07:00");
    assert_eq!(d.body["version"], 2);
    assert!(
        d.body["deadline_trace"].to_string().contains("Làm bù"),
        "{}",
        d.body["deadline_trace"]
    );
    let ev = app
        .get(&format!("/api/v1/dossiers/{code}/events"), &clerk)
        .await;
    let last = &ev.body["items"][1];
    assert_eq!(last["action"], "deadline_recomputed");
    assert_eq!(last["actor"], "admin");
    assert!(last["note"].as_str().unwrap().contains("2026-11-21"));
    assert_eq!(last["data"]["old_due_at"], "2026-11-25T02:00:00Z");
    assert_eq!(
        app.get(
            &format!("/api/v1/dossiers/{}", other.body["code"].as_str().unwrap()),
            &clerk
        )
        .await
        .body["version"],
        1
    );

    // Monday 23 Nov becomes a holiday as well: one day later again (Wednesday).
    let put = app
        .request(
            Method::PUT,
            "/api/v1/calendar/days/2026-11-23",
            Some(&admin),
            Some(json!({"kind": "holiday", "name": "Nghỉ đột xuất do bão"})),
        )
        .await;
    assert_eq!(
        put.body["recomputed"], 1,
        "the dossier received on the 24th does not span the 23rd"
    );
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{code}"), &clerk)
            .await
            .body["due_at"],
        "2026-11-25T09:00:00+07:00"
    );

    // Removing both overrides restores the deadlines computed at receipt.
    for date in ["2026-11-21", "2026-11-23"] {
        let del = app
            .request(
                Method::DELETE,
                &format!("/api/v1/calendar/days/{date}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(del.status, 200, "{}", del.text);
    }
    assert_eq!(
        app.get(&format!("/api/v1/dossiers/{code}"), &clerk)
            .await
            .body["due_at"],
        "2026-11-25T09:00:00+07:00"
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/dossiers/{}", other.body["code"].as_str().unwrap()),
            &clerk
        )
        .await
        .body["due_at"],
        "2026-11-27T09:00:00+07:00"
    );
    let days = app
        .get(
            "/api/v1/calendar/days?from=2026-11-21&to=2026-11-23",
            &clerk,
        )
        .await;
    assert_eq!(days.body[0]["kind"], "weekend");
    assert_eq!(days.body[2]["kind"], "workday");

    // The audit history keeps every change, newest first.
    let sup = app.staff("sup", "supervisor", "H40").await;
    let changes = app.get("/api/v1/calendar/changes", &sup).await;
    assert_eq!(changes.status, 200, "{}", changes.text);
    let actions: Vec<(&str, &str)> = changes.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["actor"] == "admin")
        .map(|c| (c["date"].as_str().unwrap(), c["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("2026-11-23", "remove"),
            ("2026-11-21", "remove"),
            ("2026-11-23", "set"),
            ("2026-11-21", "set")
        ]
    );

    // Only admins change the calendar; bad requests change nothing.
    let before = app.count("calendar_audit").await;
    let forbidden = app
        .request(
            Method::PUT,
            "/api/v1/calendar/days/2026-12-01",
            Some(&clerk),
            Some(json!({"kind": "holiday", "name": "x"})),
        )
        .await;
    assert_eq!(forbidden.status, 403);
    let cases = [
        (
            "/api/v1/calendar/days/2026-12-01",
            json!({"kind": "makeup_workday", "name": "Tuesday"}),
            422,
        ),
        (
            "/api/v1/calendar/days/2026-12-01",
            json!({"kind": "festival", "name": "x"}),
            422,
        ),
        (
            "/api/v1/calendar/days/2026-12-01",
            json!({"kind": "holiday", "name": ""}),
            422,
        ),
        (
            "/api/v1/calendar/days/2026-13-01",
            json!({"kind": "holiday", "name": "x"}),
            422,
        ),
    ];
    for (path, body, status) in cases {
        let r = app
            .request(Method::PUT, path, Some(&admin), Some(body.clone()))
            .await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text);
    }
    let missing = app
        .request(
            Method::DELETE,
            "/api/v1/calendar/days/2026-12-01",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(app.count("calendar_audit").await, before);
}

async fn shipped_arrangements_load_once_and_an_admin_decision_stands(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.office("H40", None).await;
    let clerk = app.staff("clerk", "clerk", "H40").await;
    let admin = app.admin_token.clone();
    let d = app
        .get(
            "/api/v1/calendar/days?from=2026-02-16&to=2026-02-16",
            &clerk,
        )
        .await;
    assert_eq!(d.body[0]["kind"], "holiday");
    assert_eq!(d.body[0]["name"], "Tết Nguyên đán Bính Ngọ (29 tháng Chạp)");
    let overrides = app.count("calendar_overrides").await;
    assert!(overrides >= 5);
    let del = app
        .request(
            Method::DELETE,
            "/api/v1/calendar/days/2026-02-16",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(del.status, 200, "{}", del.text);

    // Opening the database again (what every start does) applies nothing twice and does not
    // bring back what the admin removed.
    let settings = common::test_settings(&app.database.url);
    motcua::app::open_database(&settings).await.unwrap();
    motcua::app::open_database(&settings).await.unwrap();
    assert_eq!(app.count("calendar_overrides").await, overrides - 1);
    let d = app
        .get(
            "/api/v1/calendar/days?from=2026-02-16&to=2026-02-16",
            &clerk,
        )
        .await;
    assert_eq!(
        d.body[0]["kind"], "holiday",
        "the generated Tết holiday still applies"
    );
    assert_ne!(d.body[0]["name"], "Tết Nguyên đán Bính Ngọ (29 tháng Chạp)");
}

async fn an_office_with_its_own_hours(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.calendar.office_sessions.insert(
            "H41".into(),
            vec!["07:00-11:00".into(), "13:00-16:30".into()],
        );
    })
    .await;
    app.office("H40", None).await;
    app.office("H41", None).await;
    app.procedure("P4H", "H41", 4, "working_hours").await;
    app.procedure("P4H0", "H40", 4, "working_hours").await;
    let admin = app.admin_token.clone();
    let receipt = |procedure: &str, office: &str| {
        json!({"procedure_code": procedure, "channel": "counter", "office_code": office,
               "applicant": {"full_name": "Mai Văn Sơn", "id_number": "001099012399"},
               "received_at": "2026-11-16T07:00:00+07:00"})
    };
    // Monday 07:00: H41 opens at 07:00 and counts four hours to 11:00; H40 starts at 07:30.
    let own = app
        .post("/api/v1/dossiers", &admin, receipt("P4H", "H41"))
        .await;
    assert_eq!(own.status, 201, "{}", own.text);
    assert_eq!(own.body["due_at"], "2026-11-16T11:00:00+07:00");
    let default = app
        .post("/api/v1/dossiers", &admin, receipt("P4H0", "H40"))
        .await;
    assert_eq!(default.body["due_at"], "2026-11-16T11:30:00+07:00");
    let calc = app
        .get("/api/v1/calendar/deadline?start=2026-11-16T15:00:00%2B07:00&amount=2&unit=working_hours&office=H41", &admin)
        .await;
    assert_eq!(
        calc.body["due_at"], "2026-11-17T07:30:00+07:00",
        "{}",
        calc.text
    );
}

both_backends!(
    an_office_with_its_own_hours,
    days_show_weekends_holidays_and_compensatory_days,
    the_deadline_calculator_explains_itself,
    overrides_recompute_open_deadlines_and_are_audited,
    shipped_arrangements_load_once_and_an_admin_decision_stands,
);
