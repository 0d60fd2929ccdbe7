//! `motcua demo`: a province's offices, a dozen procedures, staff of every role and dossiers in
//! every status, so that a newcomer sees a living system; with `--dossiers N`, N dossiers over
//! several years for measuring reports at a province's scale.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::schema::{dossier_counters as dc, dossier_events as ev, dossiers as d};
use crate::db::{self, DbConn};
use crate::domain::calendar::{ProcessingTime, TimeUnit};
use crate::domain::calendars::Calendars;
use crate::domain::codes::{DossierCode, OfficeCode};
use crate::domain::deadline::{self, DeadlineBasis};
use crate::domain::dossier::{Role, Status};
use crate::domain::timeliness;
use crate::error::{AppError, AppResult};
use crate::store::{offices, procedures, users};

/// The password of every demo account (printed by the command; change it outside trials).
pub const DEMO_PASSWORD: &str = "motcua-demo-2026";

/// The province: a provincial service centre, departments, and districts with their communes.
const OFFICES: &[(&str, &str, Option<&str>)] = &[
    (
        "000.00.00.H57",
        "Trung tâm Phục vụ hành chính công tỉnh",
        None,
    ),
    ("000.01.00.H57", "Sở Tư pháp", None),
    ("000.02.00.H57", "Sở Xây dựng", None),
    ("000.03.00.H57", "Sở Tài nguyên và Môi trường", None),
    ("000.04.00.H57", "Sở Kế hoạch và Đầu tư", None),
    ("000.00.21.H57", "UBND huyện Phong Điền", None),
    ("000.21.01.H57", "UBND xã Phong Hiền", Some("000.00.21.H57")),
    ("000.21.02.H57", "UBND xã Phong An", Some("000.00.21.H57")),
    ("000.00.24.H57", "UBND huyện Phú Vang", None),
    ("000.24.01.H57", "UBND xã Phú Thượng", Some("000.00.24.H57")),
    ("000.24.02.H57", "UBND xã Phú Mỹ", Some("000.00.24.H57")),
];

/// (code, name, field, resolving office, amount, unit)
const PROCEDURES: &[(&str, &str, &str, &str, u32, TimeUnit)] = &[
    (
        "1.001193",
        "Đăng ký khai sinh",
        "Hộ tịch",
        "000.00.24.H57",
        1,
        TimeUnit::WorkingDays,
    ),
    (
        "1.000894",
        "Đăng ký kết hôn",
        "Hộ tịch",
        "000.00.24.H57",
        5,
        TimeUnit::WorkingDays,
    ),
    (
        "1.004873",
        "Cấp bản sao trích lục hộ tịch",
        "Hộ tịch",
        "000.00.21.H57",
        8,
        TimeUnit::WorkingHours,
    ),
    (
        "2.000815",
        "Chứng thực bản sao từ bản chính",
        "Chứng thực",
        "000.00.21.H57",
        4,
        TimeUnit::WorkingHours,
    ),
    (
        "2.001757",
        "Cấp Phiếu lý lịch tư pháp",
        "Lý lịch tư pháp",
        "000.01.00.H57",
        10,
        TimeUnit::WorkingDays,
    ),
    (
        "1.009972",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Xây dựng",
        "000.02.00.H57",
        15,
        TimeUnit::WorkingDays,
    ),
    (
        "1.010007",
        "Cấp giấy chứng nhận quyền sử dụng đất lần đầu",
        "Đất đai",
        "000.03.00.H57",
        30,
        TimeUnit::WorkingDays,
    ),
    (
        "1.004227",
        "Đăng ký biến động đất đai",
        "Đất đai",
        "000.03.00.H57",
        10,
        TimeUnit::WorkingDays,
    ),
    (
        "2.000575",
        "Đăng ký thành lập hộ kinh doanh",
        "Thành lập và hoạt động của hộ kinh doanh",
        "000.00.24.H57",
        3,
        TimeUnit::WorkingDays,
    ),
    (
        "2.001610",
        "Đăng ký thành lập doanh nghiệp tư nhân",
        "Thành lập và hoạt động doanh nghiệp",
        "000.04.00.H57",
        3,
        TimeUnit::WorkingDays,
    ),
    (
        "1.003003",
        "Thẩm định, phê duyệt phương án cắm mốc giới",
        "Môi trường",
        "000.03.00.H57",
        20,
        TimeUnit::CalendarDays,
    ),
    (
        "1.000775",
        "Xác nhận tình trạng hôn nhân",
        "Hộ tịch",
        "000.00.21.H57",
        3,
        TimeUnit::WorkingDays,
    ),
];

/// The offices where dossiers are received (one-stop counters).
const COUNTERS: &[&str] = &[
    "000.00.00.H57",
    "000.00.21.H57",
    "000.00.24.H57",
    "000.21.01.H57",
    "000.24.01.H57",
];

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý",
];
const MIDDLE: &[&str] = &[
    "Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Xuân", "Thu",
];
const GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dung", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc",
    "Quân", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến",
];

/// What `motcua demo` loaded.
#[derive(Debug, Default, Clone, Copy)]
pub struct DemoReport {
    pub offices: usize,
    pub procedures: usize,
    pub users: usize,
    pub dossiers: usize,
    pub events: usize,
}

/// Loads the demo into an empty database: offices, procedures, users of every role (password
/// `DEMO_PASSWORD`), and `dossiers` dossiers received over the `years` before `now`.
pub fn load(
    conn: &mut DbConn,
    cals: &Calendars,
    dossiers: usize,
    years: u32,
    now: DateTime<Utc>,
) -> AppResult<DemoReport> {
    let existing: i64 = d::table.count().get_result(conn)?;
    if existing > 0 {
        return Err(AppError::conflict(
            "the demo loads into an empty database; this one has dossiers already",
        ));
    }
    let mut report = DemoReport::default();
    for (code, name, parent) in OFFICES {
        if offices::find(conn, code)?.is_none() {
            offices::create(
                conn,
                offices::NewOffice {
                    code: (*code).into(),
                    name: (*name).into(),
                    head_name: Some(format!(
                        "{} {} {}",
                        FAMILY[code.len() % FAMILY.len()],
                        MIDDLE[name.len() % MIDDLE.len()],
                        GIVEN[name.len() % GIVEN.len()]
                    )),
                    parent_code: parent.map(str::to_owned),
                },
            )?;
            report.offices += 1;
        }
    }
    for (code, name, field, office, amount, unit) in PROCEDURES {
        if procedures::find(conn, code)?.is_none() {
            procedures::create(
                conn,
                procedures::NewProcedure {
                    code: (*code).into(),
                    name: (*name).into(),
                    field: (*field).into(),
                    office_code: (*office).into(),
                    processing_time: ProcessingTime {
                        amount: *amount,
                        unit: *unit,
                    },
                },
            )?;
            report.procedures += 1;
        }
    }
    let hash = crate::auth::hash_password(DEMO_PASSWORD).map_err(AppError::Internal)?;
    let staff: &[(&str, Role, Option<&str>, Option<&str>)] = &[
        ("admin.demo", Role::Admin, None, None),
        ("clerk.phuvang", Role::Clerk, Some("000.00.24.H57"), None),
        ("clerk.tinh", Role::Clerk, Some("000.00.00.H57"), None),
        (
            "officer.phuvang",
            Role::Officer,
            Some("000.00.24.H57"),
            Some("canbo.phuvang@example.vn"),
        ),
        (
            "officer.xaydung",
            Role::Officer,
            Some("000.02.00.H57"),
            Some("canbo.xaydung@example.vn"),
        ),
        ("officer.tnmt", Role::Officer, Some("000.03.00.H57"), None),
        (
            "supervisor.phuvang",
            Role::Supervisor,
            Some("000.00.24.H57"),
            Some("lanhdao.phuvang@example.vn"),
        ),
        (
            "supervisor.tinh",
            Role::Supervisor,
            Some("000.00.00.H57"),
            None,
        ),
    ];
    for (username, role, office, email) in staff {
        if users::find(conn, username)?.is_none() {
            users::create(
                conn,
                users::NewUser {
                    username: (*username).into(),
                    password_hash: hash.clone(),
                    role: *role,
                    office_code: office.map(str::to_owned),
                    full_name: Some(format!("Cán bộ {username}")),
                    email: email.map(str::to_owned),
                },
            )?;
            report.users += 1;
        }
    }
    let (n, events) = dossiers_in_bulk(conn, cals, dossiers, years, now)?;
    report.dossiers = n;
    report.events = events;
    Ok(report)
}

struct Row {
    code: String,
    office: &'static str,
    day: NaiveDate,
    seq: i32,
    procedure: &'static str,
    unit: TimeUnit,
    amount: u32,
    channel: &'static str,
    name: String,
    id_number: String,
    email: Option<String>,
    status: Status,
    received_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    returned_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    final_timeliness: Option<&'static str>,
    paused_at: Option<DateTime<Utc>>,
    trace: String,
    events: Vec<(&'static str, Option<Status>, Status, DateTime<Utc>)>,
}

/// Builds `n` dossiers with a fixed seed (the same data every run) and inserts them in
/// batches. Outcomes follow what provinces report: most resolved early or on time, a few late,
/// some open, waiting on the citizen, withdrawn, rejected or stopped.
fn dossiers_in_bulk(
    conn: &mut DbConn,
    cals: &Calendars,
    n: usize,
    years: u32,
    now: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    let mut rng = StdRng::seed_from_u64(0x6d6f_7463_7561);
    let span_secs = i64::from(years.max(1)) * 365 * 86_400;
    let tz = cals.default_calendar().timezone();
    // Receipts in order of time, so that each office's day numbers grow with the clock.
    let mut instants: Vec<DateTime<Utc>> = (0..n)
        .map(|_| {
            let back = rng.gen_range(0..span_secs);
            let t = now - Duration::seconds(back);
            // Office hours mostly: shift into 07:30–16:30 local on the same day.
            let local = t.with_timezone(&tz);
            let minutes = rng.gen_range(450..990);
            tz.from_local_datetime(&local.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|m| m.with_timezone(&Utc) + Duration::minutes(minutes))
                .unwrap_or(t)
                .min(now)
        })
        .collect();
    instants.sort();
    let mut counters: HashMap<(&'static str, NaiveDate), i32> = HashMap::new();
    let mut batch: Vec<Row> = Vec::with_capacity(1000);
    let (mut total, mut events) = (0, 0);
    for received_at in instants {
        let office = COUNTERS[rng.gen_range(0..COUNTERS.len())];
        let (procedure, _, _, _, amount, unit) = PROCEDURES[rng.gen_range(0..PROCEDURES.len())];
        let cal = cals.for_office(office);
        let day = cal.local_date(received_at);
        let seq = {
            let c = counters.entry((office, day)).or_insert(0);
            *c += 1;
            *c
        };
        let office_code = OfficeCode::parse(office).map_err(|m| AppError::Internal(m.into()))?;
        let code = DossierCode::new(office_code, day, seq as u32).to_string();
        let time = ProcessingTime { amount, unit };
        let dl = deadline::compute(
            cal,
            DeadlineBasis {
                counting_from: received_at,
                time,
                paused_secs: 0,
            },
        );
        let channel = match rng.gen_range(0..10) {
            0..=4 => "online",
            5..=8 => "counter",
            _ => "postal",
        };
        let name = format!(
            "{} {} {}",
            FAMILY[rng.gen_range(0..FAMILY.len())],
            MIDDLE[rng.gen_range(0..MIDDLE.len())],
            GIVEN[rng.gen_range(0..GIVEN.len())]
        );
        let mut row = Row {
            code,
            office,
            day,
            seq,
            procedure,
            unit,
            amount,
            channel,
            name,
            id_number: format!(
                "{:03}{:09}",
                rng.gen_range(1..100),
                rng.gen_range(0..1_000_000_000u32)
            ),
            email: rng
                .gen_bool(0.4)
                .then(|| format!("congdan{}@example.vn", total)),
            status: Status::Received,
            received_at,
            due_at: dl.due_at,
            resolved_at: None,
            returned_at: None,
            closed_at: None,
            final_timeliness: None,
            paused_at: None,
            trace: serde_json::to_string(&dl.trace)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            events: vec![("received", None, Status::Received, received_at)],
        };
        outcome(&mut rng, cal, &mut row, now);
        events += row.events.len();
        batch.push(row);
        total += 1;
        if batch.len() == 1000 {
            insert(conn, &mut batch)?;
        }
    }
    insert(conn, &mut batch)?;
    db::write_tx(conn, |c| -> AppResult<()> {
        for ((office, day), last) in &counters {
            diesel::insert_into(dc::table)
                .values((
                    dc::office_code.eq(*office),
                    dc::day.eq(*day),
                    dc::last_seq.eq(*last),
                ))
                .execute(c)?;
        }
        Ok(())
    })?;
    Ok((total, events))
}

/// Decides what happened to a dossier, as of `now`.
fn outcome(
    rng: &mut StdRng,
    cal: &crate::domain::calendar::WorkingCalendar,
    r: &mut Row,
    now: DateTime<Utc>,
) {
    let span = (r.due_at - r.received_at).num_seconds().max(3600);
    let roll = rng.gen_range(0..1000);
    let at = |frac: f64| r.received_at + Duration::seconds((span as f64 * frac) as i64);
    let finish = |r: &mut Row, to: Status, when: DateTime<Utc>, action: &'static str| {
        let from = r.status;
        r.events.push((action, Some(from), to, when));
        r.status = to;
    };
    // Late ones: 0.4 %, like the provincial figures; a few still open and overdue.
    let (kind, when) = match roll {
        0..=549 => ("early", at(rng.gen_range(0.1..0.8))),
        550..=899 => ("on_time", at(rng.gen_range(0.8..1.0))),
        900..=903 => ("late", r.due_at + Duration::hours(rng.gen_range(2..200))),
        904..=919 => ("withdraw", at(rng.gen_range(0.1..0.5))),
        920..=934 => ("reject", r.received_at + Duration::minutes(30)),
        935..=939 => ("stop", at(0.5)),
        940..=954 => ("supplement", at(0.3)),
        // Forgotten dossiers: a handful, still open and long overdue.
        955..=956 => ("open", r.received_at),
        _ => ("early", at(rng.gen_range(0.2..0.9))),
    };
    // A supplement asked for long ago has come back and the dossier was resolved since.
    let kind = if kind == "supplement" && when + Duration::days(45) < now {
        "early"
    } else {
        kind
    };
    if when > now || kind == "open" {
        return; // still with the administration
    }
    match kind {
        "early" | "on_time" | "late" => {
            let when = if kind == "on_time" {
                // On the due day, at or before the due instant.
                let tz = cal.timezone();
                let day = r.due_at.with_timezone(&tz).date_naive();
                let midnight = tz
                    .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
                    .earliest()
                    .map(|m| m.with_timezone(&Utc))
                    .unwrap_or(r.due_at);
                let room = (r.due_at - midnight).num_seconds().max(1);
                (midnight + Duration::seconds(rng.gen_range(0..room))).max(r.received_at)
            } else {
                when
            };
            if when > now {
                return;
            }
            finish(
                r,
                Status::Processing,
                r.received_at + Duration::minutes(20),
                "transfer",
            );
            finish(r, Status::Resolved, when, "resolve");
            r.resolved_at = Some(when);
            r.closed_at = Some(when);
            r.final_timeliness = Some(timeliness::finished(cal, r.due_at, when).as_str());
            let back = when + Duration::hours(rng.gen_range(1..72));
            if back < now {
                finish(r, Status::Returned, back, "return-result");
                r.returned_at = Some(back);
            }
        }
        "withdraw" => {
            finish(r, Status::Withdrawn, when, "withdraw");
            r.closed_at = Some(when);
        }
        "reject" => {
            finish(r, Status::Rejected, when, "reject");
            r.closed_at = Some(when);
        }
        "stop" => {
            finish(r, Status::Stopped, when, "stop");
            r.closed_at = Some(when);
        }
        _ => {
            finish(r, Status::AwaitingSupplement, when, "request-supplement");
            r.paused_at = Some(when);
        }
    }
}

/// Inserts a batch: multi-row statements on PostgreSQL (one round trip per table), row by row
/// on SQLite (local, in one transaction, just as fast).
fn insert(conn: &mut DbConn, batch: &mut Vec<Row>) -> AppResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let dossiers: Vec<_> = batch
        .iter()
        .map(|r| {
            (
                (
                    d::code.eq(r.code.clone()),
                    d::office_code.eq(r.office),
                    d::day.eq(r.day),
                    d::seq.eq(r.seq),
                    d::procedure_code.eq(r.procedure),
                    d::channel.eq(r.channel),
                    d::applicant_full_name.eq(r.name.clone()),
                    d::applicant_id_number.eq(r.id_number.clone()),
                    d::applicant_email.eq(r.email.clone()),
                    d::status.eq(r.status.as_str()),
                    d::status_before_pause.eq(r.paused_at.map(|_| "received")),
                    d::paused_at.eq(r.paused_at.map(db::to_db)),
                ),
                (
                    d::received_at.eq(db::to_db(r.received_at)),
                    d::clock_started_at.eq(db::to_db(r.received_at)),
                    d::due_at.eq(db::to_db(r.due_at)),
                    d::resolved_at.eq(r.resolved_at.map(db::to_db)),
                    d::returned_at.eq(r.returned_at.map(db::to_db)),
                    d::outcome.eq(r.resolved_at.map(|_| "approved")),
                    d::final_timeliness.eq(r.final_timeliness),
                    d::responsible_office_code.eq(r.office),
                    d::deadline_trace.eq(r.trace.clone()),
                    d::reappointment_used.eq(false),
                    d::processing_amount.eq(r.amount as i32),
                    d::processing_unit.eq(r.unit.as_str()),
                    d::paused_secs.eq(0i64),
                    d::version.eq(r.events.len() as i32),
                    d::closed_at.eq(r.closed_at.map(db::to_db)),
                ),
            )
        })
        .collect();
    db::write_tx(conn, |c| -> AppResult<()> {
        match c {
            DbConn::Postgres(pg) => {
                diesel::insert_into(d::table)
                    .values(&dossiers)
                    .execute(pg)?;
            }
            DbConn::Sqlite(lite) => {
                for row in &dossiers {
                    diesel::insert_into(d::table).values(row).execute(lite)?;
                }
            }
        }
        // One lookup of the new ids for the whole batch.
        let codes: Vec<&str> = batch.iter().map(|r| r.code.as_str()).collect();
        let ids: HashMap<String, i64> = d::table
            .filter(d::code.eq_any(&codes))
            .select((d::code, d::id))
            .load::<(String, i64)>(c)?
            .into_iter()
            .collect();
        let mut events = Vec::with_capacity(batch.len() * 4);
        for r in batch.iter() {
            let id = ids
                .get(&r.code)
                .copied()
                .ok_or_else(|| AppError::Internal("inserted dossier not found".into()))?;
            for (i, (action, from, to, at)) in r.events.iter().enumerate() {
                events.push((
                    ev::dossier_id.eq(id),
                    ev::seq.eq(i as i32 + 1),
                    ev::action.eq(*action),
                    ev::from_status.eq(from.map(Status::as_str)),
                    ev::to_status.eq(to.as_str()),
                    ev::actor.eq("demo"),
                    ev::at.eq(db::to_db(*at)),
                    ev::recorded_at.eq(db::to_db(*at)),
                ));
            }
        }
        match c {
            DbConn::Postgres(pg) => {
                diesel::insert_into(ev::table).values(&events).execute(pg)?;
            }
            DbConn::Sqlite(lite) => {
                for e in &events {
                    diesel::insert_into(ev::table).values(e).execute(lite)?;
                }
            }
        }
        Ok(())
    })?;
    batch.clear();
    Ok(())
}
