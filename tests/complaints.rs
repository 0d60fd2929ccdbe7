//! Complaints and recommendations (phản ánh, kiến nghị): filed by the citizen with the code and
//! ID number through the JSON endpoint and the status page, due in working time, answered by the
//! responsible agency (the citizen told by email with the answer), late answers counted, the
//! overdue list and who sees what — on both backends, against a real SMTP sink.

mod common;

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use common::smtp::SmtpSink;
use common::{Backend, TestApp};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};

const ONE_STOP: &str = "H";
const AGENCY: &str = "H.A";
const OTHER: &str = "X";
const ID_NUMBER: &str = "079123456789";

struct World {
    app: TestApp,
    sink: SmtpSink,
    clerk: String,
    officer: String,
    officer_x: String,
    supervisor: String,
    code: String,
}

async fn world(backend: Backend) -> World {
    world_with(backend, 200).await
}

/// The world with `per_minute` public requests allowed per address.
async fn world_with(backend: Backend, per_minute: u32) -> World {
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let app = TestApp::spawn_with(backend, |s| {
        s.smtp.url = Some(SecretString::from(smtp));
        s.public.lookup_per_minute = per_minute;
    })
    .await;
    app.office(ONE_STOP, None).await;
    app.office(AGENCY, Some(ONE_STOP)).await;
    app.office(OTHER, None).await;
    app.procedure("P10", ONE_STOP, 10, "working_days").await;
    let clerk = app.staff("clerk", "clerk", ONE_STOP).await;
    let officer = app.staff("officer", "officer", AGENCY).await;
    let officer_x = app.staff("officer.x", "officer", OTHER).await;
    let supervisor = app.staff("supervisor", "supervisor", ONE_STOP).await;
    let r = app
        .post(
            "/api/v1/dossiers",
            &clerk,
            json!({"procedure_code": "P10", "channel": "counter",
                "applicant": {"full_name": "Nguyễn Văn An", "id_number": ID_NUMBER, "email": "an@example.vn"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let code = r.body["code"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &format!("/api/v1/dossiers/{code}/transfer"),
            &clerk,
            json!({"to_office_code": AGENCY}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    World {
        app,
        sink,
        clerk,
        officer,
        officer_x,
        supervisor,
        code,
    }
}

async fn file_json(w: &World, id_number: &str, body: Value) -> common::Resp {
    w.app
        .request(
            Method::POST,
            &format!(
                "/api/v1/public/dossiers/{}/complaints?id_number={id_number}",
                w.code
            ),
            None,
            Some(body),
        )
        .await
}

async fn file_page(w: &World, code: &str, id_number: &str, kind: &str, text: &str) -> common::Resp {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", code)
        .append_pair("id_number", id_number)
        .append_pair("kind", kind)
        .append_pair("text", text)
        .finish();
    w.app
        .raw(
            Method::POST,
            "/phan-anh",
            None,
            "application/x-www-form-urlencoded",
            body.into_bytes(),
        )
        .await
}

fn instant(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not an instant: {v}")))
        .unwrap()
}

async fn first_complaint_at(w: &World) -> Option<String> {
    let db = w.app.db.clone();
    let code = w.code.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().expect("conn");
        motcua::store::dossiers::find(&mut conn, &code)
            .expect("read")
            .and_then(|d| d.first_complaint_at)
            .map(|t| t.to_string())
    })
    .await
    .expect("join")
}

async fn the_citizen_files_by_json_and_by_page(backend: Backend) {
    let w = world(backend).await;
    assert_eq!(first_complaint_at(&w).await, None);

    // Refused: nothing stored, first_complaint_at untouched.
    for (id, body, status, field) in [
        (
            "079000000000",
            json!({"kind": "complaint", "text": "Chậm"}),
            404,
            None,
        ),
        (
            ID_NUMBER,
            json!({"kind": "complaint", "text": "a".repeat(2001)}),
            422,
            Some("text"),
        ),
        (
            ID_NUMBER,
            json!({"kind": "complaint", "text": "   "}),
            422,
            Some("text"),
        ),
        (
            ID_NUMBER,
            json!({"kind": "praise", "text": "Tốt"}),
            422,
            Some("kind"),
        ),
    ] {
        let r = file_json(&w, id, body).await;
        assert_eq!(r.status, status, "{}", r.text);
        if let Some(f) = field {
            assert_eq!(r.body["errors"][0]["field"], f, "{}", r.text);
        }
    }
    let wrong_code = w
        .app
        .request(
            Method::POST,
            &format!("/api/v1/public/dossiers/H-270101-9999/complaints?id_number={ID_NUMBER}"),
            None,
            Some(json!({"kind": "complaint", "text": "Chậm"})),
        )
        .await;
    assert_eq!(wrong_code.status, 404);
    let wrong_id = file_json(
        &w,
        "079000000000",
        json!({"kind": "complaint", "text": "Chậm"}),
    )
    .await;
    assert_eq!(
        wrong_code.text, wrong_id.text,
        "a wrong code and a wrong ID read alike"
    );
    for (code, id, kind, text, status) in [
        (w.code.as_str(), "079000000000", "complaint", "Chậm", 404),
        ("H-270101-9999", ID_NUMBER, "complaint", "Chậm", 404),
        (
            w.code.as_str(),
            ID_NUMBER,
            "complaint",
            &"ồ".repeat(2001),
            422,
        ),
        (w.code.as_str(), ID_NUMBER, "", "Chậm", 422),
    ] {
        let r = file_page(&w, code, id, kind, text).await;
        assert_eq!(r.status, status, "{code} {id} {kind}: {}", r.text);
        if status == 404 {
            assert!(
                r.text.contains("Không tìm thấy hồ sơ"),
                "the lookup's 404 page: {}",
                r.text
            );
        } else {
            assert!(
                r.text.contains("role=\"alert\"") && r.text.contains(&w.code),
                "{}",
                r.text
            );
            assert!(
                !r.text.contains(ID_NUMBER),
                "the page never holds the ID number"
            );
        }
    }
    assert_eq!(w.app.count("complaints").await, 0);
    assert_eq!(first_complaint_at(&w).await, None);

    // Filed by JSON.
    let r = file_json(
        &w,
        ID_NUMBER,
        json!({"kind": "complaint", "text": " Hẹn nhiều lần chưa trả. "}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["kind"], "complaint");
    assert_eq!(r.body["text"], "Hẹn nhiều lần chưa trả.");
    assert_eq!(r.body["status"], "open");
    assert!(instant(&r.body["due_at"]) > instant(&r.body["filed_at"]));
    let first = first_complaint_at(&w).await;
    assert!(first.is_some());

    // Filed from the page: 201 with the due date; the status page lists both.
    let r = file_page(
        &w,
        &w.code,
        ID_NUMBER,
        "recommendation",
        "Nên gửi tin nhắn khi có kết quả",
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(r.text.contains("trả lời chậm nhất vào"), "{}", r.text);
    assert_eq!(w.app.count("complaints").await, 2);
    assert_eq!(
        first_complaint_at(&w).await,
        first,
        "set by the first complaint only"
    );
    let status = w
        .app
        .raw(
            Method::POST,
            "/tra-cuu",
            None,
            "application/x-www-form-urlencoded",
            format!("code={}&id_number={ID_NUMBER}", w.code).into_bytes(),
        )
        .await;
    assert_eq!(status.status, 200);
    for s in [
        "Hẹn nhiều lần chưa trả.",
        "Nên gửi tin nhắn khi có kết quả",
        "Đang chờ trả lời",
        "Gửi phản ánh, kiến nghị",
        "action=\"/phan-anh\"",
    ] {
        assert!(status.text.contains(s), "{s}: {}", status.text);
    }
    assert!(!status.text.contains(ID_NUMBER));
    let public = w
        .app
        .request(
            Method::GET,
            &format!("/api/v1/public/dossiers/{}?id_number={ID_NUMBER}", w.code),
            None,
            None,
        )
        .await;
    assert_eq!(
        public.body["complaints"].as_array().unwrap().len(),
        2,
        "{}",
        public.text
    );
    let staff = w
        .app
        .get(&format!("/api/v1/dossiers/{}/complaints", w.code), &w.clerk)
        .await;
    assert_eq!(staff.status, 200, "{}", staff.text);
    assert_eq!(staff.body.as_array().unwrap().len(), 2);
    assert_eq!(
        staff.body[0]["office_code"], AGENCY,
        "the responsible agency answers"
    );
}

async fn a_complaint_is_due_in_working_days_around_weekends_and_holidays(backend: Backend) {
    let w = world(backend).await;
    let r = file_json(&w, ID_NUMBER, json!({"kind": "complaint", "text": "Một"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (filed, due) = (instant(&r.body["filed_at"]), instant(&r.body["due_at"]));
    // Fifteen working days span three weekends: at least 19 calendar days.
    assert!((due - filed).num_days() >= 18, "{filed} → {due}");
    assert!(!matches!(
        chrono::Datelike::weekday(&due),
        chrono::Weekday::Sat | chrono::Weekday::Sun
    ));
    // The counter's calculator agrees.
    let start = form_urlencoded::byte_serialize(filed.to_rfc3339().as_bytes()).collect::<String>();
    let calc = w
        .app
        .get(
            &format!("/api/v1/calendar/deadline?start={start}&amount=15&unit=working_days"),
            &w.admin(),
        )
        .await;
    assert_eq!(calc.status, 200, "{}", calc.text);
    assert_eq!(instant(&calc.body["due_at"]), due);
    let calc = w
        .app
        .get(
            &format!("/api/v1/calendar/deadline?start={start}&amount=16&unit=working_days"),
            &w.admin(),
        )
        .await;
    let sixteen = instant(&calc.body["due_at"]);
    // A holiday declared inside the window pushes the next complaint's due date a working day.
    let mut day = filed.date_naive().succ_opt().unwrap();
    while matches!(
        chrono::Datelike::weekday(&day),
        chrono::Weekday::Sat | chrono::Weekday::Sun
    ) {
        day = day.succ_opt().unwrap();
    }
    let r = w
        .app
        .request(
            Method::PUT,
            &format!("/api/v1/calendar/days/{day}"),
            Some(&w.admin()),
            Some(json!({"kind": "holiday", "name": "Nghỉ bù"})),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let r = file_json(&w, ID_NUMBER, json!({"kind": "complaint", "text": "Hai"})).await;
    let due2 = instant(&r.body["due_at"]);
    assert!(due2 > due, "{due} → {due2}");
    assert_eq!(
        due2.date_naive(),
        sixteen.date_naive(),
        "the holiday counts as no working day"
    );
}

impl World {
    fn admin(&self) -> String {
        self.app.admin_token.clone()
    }
}

async fn the_agency_answers_and_late_answers_are_counted(backend: Backend) {
    let w = world(backend).await;
    let a = file_json(
        &w,
        ID_NUMBER,
        json!({"kind": "complaint", "text": "Chậm trả"}),
    )
    .await;
    let b = file_json(
        &w,
        ID_NUMBER,
        json!({"kind": "recommendation", "text": "Thêm ghế chờ"}),
    )
    .await;
    let (a, b) = (
        a.body["id"].as_i64().unwrap(),
        b.body["id"].as_i64().unwrap(),
    );
    // b's due date has passed: it is overdue, and its answer will be late.
    w.app
        .exec(&format!(
            "UPDATE complaints SET due_at = '2020-01-06 01:00:00' WHERE id = {b}"
        ))
        .await;

    // Who may answer: the agency's officer and the supervisor above it, the admin; the
    // receiving office's clerk reads the dossier but may not (403); another office's officer
    // does not see it at all (404).
    let path = |id: i64| format!("/api/v1/complaints/{id}/answer");
    let r = w
        .app
        .post(&path(a), &w.officer_x, json!({"answer": "x"}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = w.app.post(&path(a), &w.clerk, json!({"answer": "x"})).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = w
        .app
        .post(&path(a), &w.officer, json!({"answer": ""}))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "answer");
    let r = w
        .app
        .post(&path(999_999), &w.officer, json!({"answer": "x"}))
        .await;
    assert_eq!(r.status, 404);
    let r = w
        .app
        .get(
            &format!("/api/v1/dossiers/{}/complaints", w.code),
            &w.officer_x,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);

    let r = w
        .app
        .post(
            &path(a),
            &w.officer,
            json!({"answer": "Hồ sơ sẽ trả vào thứ Hai."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "answered");
    assert_eq!(r.body["answered_late"], false);
    assert_eq!(r.body["answered_by"], "officer");
    let r = w
        .app
        .post(&path(a), &w.officer, json!({"answer": "again"}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["code"], "already_answered");
    let r = w
        .app
        .post(
            &path(b),
            &w.supervisor,
            json!({"answer": "Đã bổ sung ghế."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["answered_late"], true, "answered after its due date");

    // The citizen is told, by email, with the answer.
    w.app.sweep().await;
    let mails = w.sink.wait_for(3, Duration::from_secs(5)).await;
    let answers: Vec<_> = mails
        .iter()
        .filter(|m| m.decoded_subject().contains("Trả lời phản ánh, kiến nghị"))
        .collect();
    assert_eq!(answers.len(), 2, "one per complaint");
    let bodies: Vec<String> = answers.iter().map(|m| m.body_text()).collect();
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("Hồ sơ sẽ trả vào thứ Hai.") && b.contains("phản ánh")),
        "{bodies:?}"
    );
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("Đã bổ sung ghế.") && b.contains("kiến nghị")),
        "{bodies:?}"
    );
    assert_eq!(w.app.sweep().await.sent, 0, "told once");
    let n = w
        .app
        .get(
            &format!("/api/v1/dossiers/{}/notifications", w.code),
            &w.clerk,
        )
        .await;
    let told = n.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "complaint_answer")
        .count();
    assert_eq!(told, 2);
}

async fn the_overdue_list_is_most_overdue_first_and_scoped(backend: Backend) {
    let w = world(backend).await;
    let mut ids = Vec::new();
    for text in ["Một", "Hai", "Ba"] {
        let r = file_json(&w, ID_NUMBER, json!({"kind": "complaint", "text": text})).await;
        ids.push(r.body["id"].as_i64().unwrap());
    }
    w.app
        .exec(&format!(
            "UPDATE complaints SET due_at = '2021-03-01 01:00:00' WHERE id = {}",
            ids[0]
        ))
        .await;
    w.app
        .exec(&format!(
            "UPDATE complaints SET due_at = '2020-03-02 01:00:00' WHERE id = {}",
            ids[1]
        ))
        .await;

    let list = |token: String, q: &'static str| {
        let app = &w.app;
        async move { app.get(&format!("/api/v1/complaints{q}"), &token).await }
    };
    let r = list(w.officer.clone(), "?overdue=true").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got: Vec<i64> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, [ids[1], ids[0]], "most overdue first");
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["overdue"] == true)
    );
    let r = list(w.officer.clone(), "?status=open").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 3);
    // Paging with the cursor.
    let r = list(w.supervisor.clone(), "?limit=2").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    let next = r.body["next_cursor"].as_str().unwrap().to_owned();
    let r = w
        .app
        .get(
            &format!("/api/v1/complaints?limit=2&after={next}"),
            &w.supervisor,
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.text);
    assert_eq!(r.body["next_cursor"], Value::Null);
    let r = list(w.admin(), "?overdue=true").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    // Another office's officer sees none of them, and may not ask for this office's.
    let r = list(w.officer_x.clone(), "?overdue=true").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0, "{}", r.text);
    let r = w
        .app
        .get("/api/v1/complaints?office=H.A", &w.officer_x)
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = w.app.get("/api/v1/complaints?limit=0", &w.officer).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "limit");
    let r = w.app.get("/api/v1/complaints?after=nope", &w.officer).await;
    assert_eq!(r.status, 422);
    // The overdue list as CSV.
    let r = w
        .app
        .get("/api/v1/complaints?overdue=true&format=csv", &w.supervisor)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = r.text.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("id,dossier_code,office_code"),
        "{}",
        r.text
    );
    assert_eq!(lines.len(), 3, "{}", r.text);
    assert!(lines[1].starts_with(&format!("{},", ids[1])));
}

/// A dossier received at `office` by `clerk`, rated `rating` at `rated_at` (set in storage: the
/// report counts what is stored).
async fn rated(w: &World, clerk: &str, rating: &str, rated_at: &str) -> String {
    let r = w
        .app
        .post(
            "/api/v1/dossiers",
            clerk,
            json!({"procedure_code": "P10", "channel": "counter",
                "applicant": {"full_name": "Trần Thị Bình", "id_number": ID_NUMBER}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let code = r.body["code"].as_str().unwrap().to_owned();
    w.app
        .exec(&format!(
            "UPDATE dossiers SET rating = '{rating}', rated_at = '{rated_at}' WHERE code = '{code}'"
        ))
        .await;
    code
}

async fn the_satisfaction_report_counts_ratings_and_complaints_per_office(backend: Backend) {
    let w = world(backend).await;
    let clerk_x = w.app.staff("clerk.x", "clerk", OTHER).await;
    w.app.procedure("PX", OTHER, 5, "working_days").await;
    // H received: 3 satisfied, 1 neutral, 1 dissatisfied in the period, 1 satisfied before it.
    for (rating, at) in [
        ("satisfied", "2026-03-01 02:00:00"),
        ("satisfied", "2026-06-01 02:00:00"),
        ("satisfied", "2026-11-30 16:59:59"),
        ("neutral", "2026-07-01 02:00:00"),
        ("dissatisfied", "2026-08-01 02:00:00"),
        ("satisfied", "2025-12-31 16:59:59"),
    ] {
        rated(&w, &w.clerk, rating, at).await;
    }
    // X received: 1 satisfied, 1 dissatisfied.
    let mut x_codes = Vec::new();
    for (rating, at) in [
        ("satisfied", "2026-05-01 02:00:00"),
        ("dissatisfied", "2026-05-02 02:00:00"),
    ] {
        let r = w
            .app
            .post(
                "/api/v1/dossiers",
                &clerk_x,
                json!({"procedure_code": "PX", "channel": "counter",
                    "applicant": {"full_name": "Lê Văn Cường", "id_number": ID_NUMBER}}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let code = r.body["code"].as_str().unwrap().to_owned();
        w.app
            .exec(&format!(
                "UPDATE dossiers SET rating = '{rating}', rated_at = '{at}' WHERE code = '{code}'"
            ))
            .await;
        x_codes.push(code);
    }
    // H.A answers three complaints about the main dossier: one on time, one late, one left
    // open past its due date; X one still within its time.
    let mut ids = Vec::new();
    for text in ["Đúng hạn", "Trễ hạn", "Quá hạn"] {
        let r = file_json(&w, ID_NUMBER, json!({"kind": "complaint", "text": text})).await;
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let r = w
        .app
        .request(
            Method::POST,
            &format!(
                "/api/v1/public/dossiers/{}/complaints?id_number={ID_NUMBER}",
                x_codes[0]
            ),
            None,
            Some(json!({"kind": "recommendation", "text": "Góp ý"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    w.app
        .exec(&format!(
            "UPDATE complaints SET due_at = '2026-01-05 01:00:00' WHERE id IN ({}, {})",
            ids[1], ids[2]
        ))
        .await;
    for id in [ids[0], ids[1]] {
        let r = w
            .app
            .post(
                &format!("/api/v1/complaints/{id}/answer"),
                &w.officer,
                json!({"answer": "Đã xử lý"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    let path = "/api/v1/reports/satisfaction?from=2026-01-01&to=2030-12-31";
    let r = w.app.get(path, &w.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let row = |office: &str| -> Value {
        r.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["office_code"] == office)
            .cloned()
            .unwrap_or_else(|| panic!("no row for {office}: {}", r.text))
    };
    let counts = |v: &Value| -> Vec<i64> {
        [
            "ratings",
            "satisfied",
            "neutral",
            "dissatisfied",
            "complaints_filed",
            "complaints_answered",
            "complaints_answered_late",
            "complaints_open_overdue",
        ]
        .iter()
        .map(|k| v[*k].as_i64().unwrap_or(-1))
        .collect()
    };
    assert_eq!(
        counts(&row(ONE_STOP)),
        [5, 3, 1, 1, 0, 0, 0, 0],
        "{}",
        r.text
    );
    assert_eq!(row(ONE_STOP)["satisfied_pct"], 60.0);
    assert_eq!(counts(&row(AGENCY)), [0, 0, 0, 0, 3, 2, 1, 1], "{}", r.text);
    assert_eq!(counts(&row(OTHER)), [2, 1, 0, 1, 1, 0, 0, 0], "{}", r.text);
    assert_eq!(row(OTHER)["satisfied_pct"], 50.0);
    assert_eq!(counts(&r.body["total"]), [7, 4, 1, 2, 4, 2, 1, 1]);
    assert_eq!(r.body["total"]["satisfied_pct"], 57.14);
    // The period's bounds are local days: the rating of 31 Dec 2025 23:59:59 (+07) is outside.
    let r2 = w
        .app
        .get(
            "/api/v1/reports/satisfaction?from=2025-12-31&to=2025-12-31",
            &w.admin(),
        )
        .await;
    assert_eq!(counts(&r2.body["total"])[..4], [1, 1, 0, 0], "{}", r2.text);

    // Scoped: the supervisor at H sees H and H.A, never X.
    let r = w.app.get(path, &w.supervisor).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let offices: Vec<&str> = r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["office_code"].as_str().unwrap())
        .collect();
    assert_eq!(offices, [ONE_STOP, AGENCY]);
    let r = w.app.get(&format!("{path}&office=X"), &w.supervisor).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = w.app.get(path, &w.officer).await;
    assert_eq!(r.status, 403, "officers have no reports");
    let r = w
        .app
        .get(
            "/api/v1/reports/satisfaction?from=2026-02-01&to=2026-01-01",
            &w.admin(),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "to");
    // CSV: a row per office and the total.
    let r = w
        .app
        .get(&format!("{path}&office=H.A&format=csv"), &w.supervisor)
        .await;
    assert_eq!(r.status, 200);
    let lines: Vec<&str> = r.text.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("office_code,office_name,ratings,satisfied"),
        "{}",
        r.text
    );
    assert_eq!(lines.len(), 3, "{}", r.text);
    assert!(
        lines[1].starts_with("H.A,") && lines[1].ends_with(",3,2,1,1"),
        "{}",
        r.text
    );
}

/// Filing spends the lookup's budget, by page and by JSON alike: over it, the 429 page with
/// Retry-After (problem+json for the JSON) and nothing filed.
async fn over_the_budget_a_complaint_is_refused_with_429(backend: Backend) {
    let w = world_with(backend, 2).await;
    let code = w.code.clone();
    let page = file_page(&w, &code, ID_NUMBER, "complaint", "Chưa thấy trả lời.").await;
    assert_eq!(page.status, 201, "{}", page.text);
    let j = file_json(
        &w,
        ID_NUMBER,
        json!({"kind": "recommendation", "text": "Nên có thêm quầy."}),
    )
    .await;
    assert_eq!(j.status, 201, "{}", j.text);
    let refused = file_page(&w, &code, ID_NUMBER, "complaint", "Lần thứ ba.").await;
    refused.rate_limited_page();
    assert!(!refused.text.contains(ID_NUMBER) && !refused.text.contains("Lần thứ ba"));
    let j = file_json(
        &w,
        ID_NUMBER,
        json!({"kind": "complaint", "text": "Lần thứ tư."}),
    )
    .await;
    assert_eq!(j.status, 429, "{}", j.text);
    assert_eq!(j.header("content-type"), Some("application/problem+json"));
    let list = w
        .app
        .get(&format!("/api/v1/dossiers/{code}/complaints"), &w.clerk)
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(
        list.body.as_array().map(Vec::len),
        Some(2),
        "only the two admitted: {}",
        list.text
    );
}

both_backends!(
    over_the_budget_a_complaint_is_refused_with_429,
    the_satisfaction_report_counts_ratings_and_complaints_per_office,
    the_citizen_files_by_json_and_by_page,
    a_complaint_is_due_in_working_days_around_weekends_and_holidays,
    the_agency_answers_and_late_answers_are_counted,
    the_overdue_list_is_most_overdue_first_and_scoped,
);

/// `motcua demo` leaves ratings and complaints as provinces see them, on the dossiers' own
/// columns too (the scorecard reads those): about 60 % of returned dossiers rated, mostly
/// satisfied; about 1 % of dossiers with a complaint, half answered, some late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_rates_returned_dossiers_and_files_a_few_complaints() {
    let db = common::TestDatabase::new(Backend::Sqlite);
    let settings = common::test_settings(&db.url);
    let app = motcua::app::Application::build(settings.clone())
        .await
        .expect("builds");
    let pool = app.state().db.clone();
    let (_, cals) = motcua::app::load_calendar(&settings, &pool)
        .await
        .expect("calendar");
    let counts = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = pool.conn().expect("conn");
        motcua::demo::load(&mut conn, &cals, 4000, 1, motcua::db::now()).expect("demo");
        let count = |conn: &mut motcua::db::DbConn, sql: &str| -> i64 {
            diesel::sql_query(sql).load::<N>(conn).expect(sql)[0].n
        };
        [
            "SELECT COUNT(*) AS n FROM dossiers WHERE returned_at IS NOT NULL",
            "SELECT COUNT(*) AS n FROM dossiers WHERE rating IS NOT NULL",
            "SELECT COUNT(*) AS n FROM dossiers WHERE rating = 'satisfied'",
            "SELECT COUNT(*) AS n FROM dossiers WHERE rating IS NOT NULL AND (returned_at IS NULL OR rated_at < returned_at)",
            "SELECT COUNT(*) AS n FROM complaints",
            "SELECT COUNT(*) AS n FROM complaints WHERE answered_at IS NOT NULL",
            "SELECT COUNT(*) AS n FROM complaints WHERE answered_late",
            "SELECT COUNT(*) AS n FROM dossiers WHERE first_complaint_at IS NOT NULL",
            "SELECT COUNT(*) AS n FROM complaints c JOIN dossiers d ON d.id = c.dossier_id WHERE d.first_complaint_at <> c.filed_at OR c.due_at <= c.filed_at",
        ]
        .map(|sql| count(&mut conn, sql))
    })
    .await
    .expect("join");
    let [
        returned,
        rated,
        satisfied,
        before_return,
        complaints,
        answered,
        late,
        first,
        wrong,
    ] = counts;
    assert!(returned > 1000, "{counts:?}");
    let share = rated as f64 / returned as f64;
    assert!(
        (0.55..0.65).contains(&share),
        "rated share {share}: {counts:?}"
    );
    let happy = satisfied as f64 / rated as f64;
    assert!(
        (0.75..0.85).contains(&happy),
        "satisfied share {happy}: {counts:?}"
    );
    assert_eq!(before_return, 0, "a rating comes after the return");
    assert!(
        (15..70).contains(&complaints),
        "about 1 % of 4000: {counts:?}"
    );
    assert!(
        answered > 0 && answered < complaints && late > 0 && late < answered,
        "{counts:?}"
    );
    assert_eq!(
        first, complaints,
        "each complaint's dossier knows its first complaint"
    );
    assert_eq!(wrong, 0);
}
