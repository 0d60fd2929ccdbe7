//! `motcua demo`: a province's offices, a dozen procedures, staff of every role and dossiers in
//! every status, so that a newcomer sees a living system; with `--dossiers N`, N dossiers over
//! several years for measuring reports at a province's scale.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::schema::{
    complaints as cm, dossier_counters as dc, dossier_events as ev, dossier_steps as ds,
    dossiers as d,
};
use crate::db::{self, DbConn};
use crate::domain::calendar::{ProcessingTime, TimeUnit};
use crate::domain::calendars::Calendars;
use crate::domain::codes::{DossierCode, OfficeCode};
use crate::domain::deadline::{self, DeadlineBasis, SupplementPolicy};
use crate::domain::dossier::{Role, Status};
use crate::domain::lifecycle::{self, ActionInput, DossierFacts, Outcome, Rules};
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
                    components: Vec::new(),
                    fees: Vec::new(),
                    actor: "motcua".into(),
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
    /// The citizen's rating and when it was given (returned dossiers only).
    rating: Option<(&'static str, DateTime<Utc>)>,
    /// A complaint about the dossier.
    complaint: Option<DemoComplaint>,
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
    /// The dossier as the lifecycle left it.
    facts: DossierFacts,
    outcome: Option<Outcome>,
    trace: String,
    events: Vec<DemoEvent>,
    /// What the scorecard reads off the dossier (see `traces`).
    traces: Traces,
}

/// When the components and the result were digitised and the national portal first accepted
/// the dossier.
#[derive(Default)]
struct Traces {
    components_digitised_at: Option<DateTime<Utc>>,
    result_digitised_at: Option<DateTime<Utc>>,
    national_synced_at: Option<DateTime<Utc>>,
}

impl Traces {
    /// Most components scanned at the counter within minutes, most results scanned when
    /// signed, nearly every dossier accepted by the national portal within the hour — the
    /// shares of a province well on its way.
    fn of(rng: &mut StdRng, r: &Row, now: DateTime<Utc>) -> Traces {
        let received = r.facts.basis.counting_from;
        let within = |t: DateTime<Utc>| (t <= now).then_some(t);
        Traces {
            components_digitised_at: rng
                .gen_bool(0.85)
                .then(|| received + Duration::minutes(rng.gen_range(5..60)))
                .and_then(within),
            result_digitised_at: match r.facts.resolved_at {
                Some(at) if rng.gen_bool(0.75) => within(at + Duration::minutes(10)),
                _ => None,
            },
            national_synced_at: rng
                .gen_bool(0.92)
                .then(|| received + Duration::minutes(rng.gen_range(1..60)))
                .and_then(within),
        }
    }
}

struct DemoComplaint {
    kind: &'static str,
    text: &'static str,
    filed_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
}

/// What citizens write, and what agencies answer.
const COMPLAINTS: [(&str, &str); 4] = [
    (
        "complaint",
        "Đã quá ngày hẹn nhưng chưa nhận được kết quả, đề nghị kiểm tra.",
    ),
    (
        "complaint",
        "Cán bộ yêu cầu bổ sung giấy tờ không có trong danh mục thủ tục.",
    ),
    (
        "recommendation",
        "Đề nghị gửi tin nhắn khi hồ sơ có kết quả.",
    ),
    (
        "recommendation",
        "Đề nghị bố trí thêm ghế chờ tại bộ phận một cửa.",
    ),
];

/// Ratings and complaints, as provinces see them: 60 % of returned dossiers rated (80 %
/// satisfied, 12 % neutral, 8 % dissatisfied) within days of the return, about 1 % of dossiers
/// with a complaint, half of them answered, some after their due date. A generator of its own,
/// so that the dossiers stay those of earlier releases.
fn satisfaction(
    rng: &mut StdRng,
    cal: &crate::domain::calendar::WorkingCalendar,
    r: &mut Row,
    now: DateTime<Utc>,
) {
    use crate::domain::satisfaction as sat;
    let received = r
        .events
        .first()
        .map_or(r.facts.basis.counting_from, |e| e.at);
    if let Some(back) = r.facts.returned_at
        && rng.gen_bool(0.6)
    {
        let rating = match rng.gen_range(0..100) {
            0..80 => "satisfied",
            80..92 => "neutral",
            _ => "dissatisfied",
        };
        let at = (back + Duration::minutes(rng.gen_range(5..7 * 24 * 60))).min(now);
        r.rating = Some((rating, at));
    }
    if rng.gen_range(0..1000) < 10 {
        let end = r
            .facts
            .returned_at
            .unwrap_or(now)
            .max(received + Duration::hours(1));
        let span = (end - received).num_seconds().max(3600);
        let filed_at = (received + Duration::seconds(rng.gen_range(0..span))).min(now);
        let due_at = sat::complaint_due_at(cal, filed_at, ProcessingTime::working_days(15));
        let answered_at = rng.gen_bool(0.5).then(|| {
            // Most within the 15 working days, some well after.
            let days = if rng.gen_bool(0.7) {
                rng.gen_range(1..18)
            } else {
                rng.gen_range(22..60)
            };
            (filed_at + Duration::days(days)).min(now)
        });
        let (kind, text) = COMPLAINTS[rng.gen_range(0..COMPLAINTS.len())];
        r.complaint = Some(DemoComplaint {
            kind,
            text,
            filed_at,
            due_at,
            answered_at,
        });
    }
}

struct DemoEvent {
    action: &'static str,
    from: Option<Status>,
    to: Status,
    at: DateTime<Utc>,
    data: Option<String>,
    office_code: String,
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
    let mut said = StdRng::seed_from_u64(0x0068_6169_6c6f_6e67); // "hailong"
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
        let facts = DossierFacts::received(
            office,
            received_at,
            DeadlineBasis {
                counting_from: received_at,
                time,
                paused_secs: 0,
            },
            dl.due_at,
        );
        let mut row = Row {
            rating: None,
            complaint: None,
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
            facts,
            outcome: None,
            trace: serde_json::to_string(&dl.trace)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            events: vec![DemoEvent {
                action: "received",
                from: None,
                to: Status::Received,
                at: received_at,
                data: None,
                office_code: office.to_owned(),
            }],
            traces: Traces::default(),
        };
        outcome(&mut rng, cal, &mut row, now)?;
        row.traces = Traces::of(&mut rng, &row, now);
        satisfaction(&mut said, cal, &mut row, now);
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

/// Where a procedure is processed from a counter: communes process civil registration and
/// certification themselves; otherwise the procedure's resolving office, which is the counter
/// itself at the district that resolves it (in-house, the most common case).
fn processing_office(counter: &'static str, procedure: &str) -> &'static str {
    let (_, _, field, resolving, _, _) = PROCEDURES
        .iter()
        .find(|p| p.0 == procedure)
        .copied()
        .unwrap_or(PROCEDURES[0]);
    let commune = !counter.starts_with("000.00.");
    if commune && matches!(field, "Hộ tịch" | "Chứng thực") {
        counter
    } else {
        resolving
    }
}

/// A second agency for the inter-agency chains (liên thông): another department.
fn second_agency(first: &str) -> &'static str {
    if first == "000.03.00.H57" {
        "000.02.00.H57"
    } else {
        "000.03.00.H57"
    }
}

/// Plays one action through the domain at `at` and records its event; false if the lifecycle
/// refused it (the dossier then stays as it was).
fn play(
    r: &mut Row,
    cal: &crate::domain::calendar::WorkingCalendar,
    input: ActionInput,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let rules = Rules {
        calendar: cal,
        supplement_policy: SupplementPolicy::Restart,
    };
    let Ok(decision) = lifecycle::decide(&r.facts, &input, rules, Some(at), at) else {
        return Ok(false);
    };
    if let Some(n) = &decision.deadline {
        r.trace = serde_json::to_string(&n.trace).map_err(|e| AppError::Internal(e.to_string()))?;
    }
    if let Some(res) = decision.resolution {
        r.outcome = Some(res.outcome);
    }
    r.facts.apply(&decision);
    r.events.push(DemoEvent {
        action: decision.event.action,
        from: Some(decision.from),
        to: decision.to,
        at: decision.at,
        data: Some(serde_json::Value::Object(decision.event.data).to_string()),
        office_code: decision.event.office_code,
    });
    Ok(true)
}

/// Decides what happened to a dossier, as of `now`, by playing its actions through the
/// lifecycle: a first step at the processing office (the counter's own specialists, or an
/// agency), sometimes a hand-over to the agency's head for signature or a second agency, now and
/// then a supplement request (rarely a second one), then the result.
fn outcome(
    rng: &mut StdRng,
    cal: &crate::domain::calendar::WorkingCalendar,
    r: &mut Row,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let received_at = r.facts.basis.counting_from;
    let roll = rng.gen_range(0..1000);
    // Late ones: 0.4 %, like the provincial figures; a few still open and overdue.
    let kind = match roll {
        0..=549 => "early",
        550..=899 => "on_time",
        900..=903 => "late",
        904..=919 => "withdraw",
        920..=934 => "reject",
        935..=939 => "stop",
        940..=954 => "supplement",
        // Forgotten dossiers: a handful, still open and long overdue.
        955..=956 => "open",
        _ => "early",
    };
    let reason = |s: &str| s.to_owned();
    if kind == "reject" {
        let at = received_at + Duration::minutes(30);
        if at <= now {
            play(
                r,
                cal,
                ActionInput::Reject {
                    reason: reason("Hồ sơ không thuộc thẩm quyền"),
                },
                at,
            )?;
        }
        return Ok(());
    }
    let office = processing_office(r.office, r.procedure);
    let step_time = |r: &Row, share: f64| ProcessingTime {
        amount: ((f64::from(r.amount) * share).round() as u32).max(1),
        unit: r.unit,
    };
    let first = received_at + Duration::minutes(20);
    if first > now {
        return Ok(());
    }
    // Before the result: a hand-over inside the agency (to its head for signature) for four
    // dossiers in ten, or a second agency in the chain for one in ten; each step gets its share
    // of the processing time.
    let route = rng.gen_range(0..10);
    let two_steps = matches!(kind, "early" | "on_time" | "late") && route < 5;
    let deadline = Some(step_time(r, if two_steps { 0.7 } else { 1.0 }));
    play(
        r,
        cal,
        ActionInput::Transfer {
            to_office_code: office.into(),
            deadline,
            note: None,
        },
        first,
    )?;
    if kind == "open" {
        return Ok(());
    }
    let span = |r: &Row| (r.facts.due_at - received_at).num_seconds().max(3600);
    let at = |r: &Row, frac: f64| received_at + Duration::seconds((span(r) as f64 * frac) as i64);
    // A supplement round for one dossier in twelve; a second request for one in a hundred.
    let rounds = match (kind, rng.gen_range(0..100)) {
        ("supplement", _) => 0,
        (_, 0) => 2,
        (_, 1..=7) => 1,
        _ => 0,
    };
    let items = vec!["Bản sao giấy tờ tùy thân có chứng thực".to_owned()];
    for i in 0..rounds {
        let (asked, back) = (
            at(r, 0.1 + 0.1 * f64::from(i)),
            at(r, 0.15 + 0.1 * f64::from(i)),
        );
        if back > now {
            return Ok(());
        }
        play(
            r,
            cal,
            ActionInput::RequestSupplement {
                items: items.clone(),
                reason: reason("Thiếu giấy tờ"),
            },
            asked,
        )?;
        play(r, cal, ActionInput::SupplementReceived { note: None }, back)?;
    }
    let when = match kind {
        "early" => at(r, rng.gen_range(0.3..0.8)),
        "on_time" => {
            // On the due day, at or before the due instant.
            let tz = cal.timezone();
            let day = r.facts.due_at.with_timezone(&tz).date_naive();
            let midnight = tz
                .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|m| m.with_timezone(&Utc))
                .unwrap_or(r.facts.due_at);
            let room = (r.facts.due_at - midnight).num_seconds().max(1);
            midnight + Duration::seconds(rng.gen_range(0..room))
        }
        "late" => r.facts.due_at + Duration::hours(rng.gen_range(2..200)),
        "withdraw" => at(r, rng.gen_range(0.3..0.5)),
        "stop" | "supplement" => at(r, 0.5),
        _ => at(r, 0.6),
    }
    .max(r.facts.last_event_at.unwrap_or(received_at));
    let last = r.facts.last_event_at.unwrap_or(received_at);
    let mid = last + (when - last) * 4 / 5;
    if two_steps && mid <= now {
        let next = if route == 4 && office != r.office {
            second_agency(office)
        } else {
            office
        };
        let deadline = Some(step_time(r, 0.3));
        play(
            r,
            cal,
            ActionInput::Transfer {
                to_office_code: next.into(),
                deadline,
                note: None,
            },
            mid,
        )?;
    }
    if when > now {
        return Ok(()); // still with the administration
    }
    match kind {
        "early" | "on_time" | "late" => {
            play(
                r,
                cal,
                ActionInput::Resolve {
                    outcome: Outcome::Approved,
                    note: None,
                },
                when,
            )?;
            let back = when + Duration::hours(rng.gen_range(1..72));
            if back < now {
                play(r, cal, ActionInput::ReturnResult { note: None }, back)?;
            }
        }
        "withdraw" => {
            play(
                r,
                cal,
                ActionInput::Withdraw {
                    reason: reason("Công dân xin rút hồ sơ"),
                },
                when,
            )?;
        }
        "stop" => {
            play(
                r,
                cal,
                ActionInput::Stop {
                    reason: reason("Công dân không bổ sung hồ sơ"),
                },
                when,
            )?;
        }
        _ => {
            let asked = ActionInput::RequestSupplement {
                items,
                reason: reason("Thiếu giấy tờ"),
            };
            play(r, cal, asked, when)?;
            // A supplement asked for long ago has come back and the dossier was resolved since.
            let back = when + Duration::days(3);
            if back + Duration::days(45) < now {
                play(r, cal, ActionInput::SupplementReceived { note: None }, back)?;
                let done = back + Duration::hours(rng.gen_range(4..48));
                let resolve = ActionInput::Resolve {
                    outcome: Outcome::Approved,
                    note: None,
                };
                play(r, cal, resolve, done)?;
                play(
                    r,
                    cal,
                    ActionInput::ReturnResult { note: None },
                    done + Duration::hours(24),
                )?;
            }
        }
    }
    Ok(())
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
            let f = &r.facts;
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
                    d::status.eq(f.status.as_str()),
                    d::status_before_pause.eq(f.status_before_pause.map(Status::as_str)),
                    d::paused_at.eq(f.paused_at.map(db::to_db)),
                    d::received_at.eq(db::to_db(
                        r.events.first().map_or(f.basis.counting_from, |e| e.at),
                    )),
                    d::clock_started_at.eq(db::to_db(f.basis.counting_from)),
                ),
                (
                    d::due_at.eq(db::to_db(f.due_at)),
                    d::resolved_at.eq(f.resolved_at.map(db::to_db)),
                    d::returned_at.eq(f.returned_at.map(db::to_db)),
                    d::outcome.eq(r.outcome.map(Outcome::as_str)),
                    d::final_timeliness.eq(f.final_timeliness.map(|t| t.as_str())),
                    d::responsible_office_code.eq(f.responsible.clone()),
                    d::deadline_trace.eq(r.trace.clone()),
                    d::reappointment_used.eq(false),
                    d::processing_amount.eq(r.amount as i32),
                    d::processing_unit.eq(r.unit.as_str()),
                    d::paused_secs.eq(f.basis.paused_secs),
                    d::version.eq(r.events.len() as i32),
                    d::closed_at.eq(f.closed_at.map(db::to_db)),
                    d::supplement_requests.eq(f.supplement_requests as i32),
                ),
                (
                    d::components_digitised_at.eq(r.traces.components_digitised_at.map(db::to_db)),
                    d::result_digitised_at.eq(r.traces.result_digitised_at.map(db::to_db)),
                    d::national_synced_at.eq(r.traces.national_synced_at.map(db::to_db)),
                    d::rating.eq(r.rating.map(|x| x.0)),
                    d::rated_at.eq(r.rating.map(|x| db::to_db(x.1))),
                    d::first_complaint_at.eq(r.complaint.as_ref().map(|c| db::to_db(c.filed_at))),
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
        let mut complaints = Vec::new();
        let mut events = Vec::with_capacity(batch.len() * 5);
        let mut steps = Vec::with_capacity(batch.len() * 2);
        for r in batch.iter() {
            let id = ids
                .get(&r.code)
                .copied()
                .ok_or_else(|| AppError::Internal("inserted dossier not found".into()))?;
            for (i, e) in r.events.iter().enumerate() {
                events.push((
                    ev::dossier_id.eq(id),
                    ev::seq.eq(i as i32 + 1),
                    ev::action.eq(e.action),
                    ev::from_status.eq(e.from.map(Status::as_str)),
                    ev::to_status.eq(e.to.as_str()),
                    ev::actor.eq("demo"),
                    ev::at.eq(db::to_db(e.at)),
                    ev::recorded_at.eq(db::to_db(e.at)),
                    ev::data.eq(e.data.clone()),
                    ev::office_code.eq(e.office_code.clone()),
                ));
            }
            if let Some(k) = &r.complaint {
                complaints.push((
                    cm::dossier_id.eq(id),
                    cm::dossier_code.eq(r.code.clone()),
                    cm::office_code.eq(r.facts.responsible.clone()),
                    cm::kind.eq(k.kind),
                    cm::text.eq(k.text),
                    cm::filed_at.eq(db::to_db(k.filed_at)),
                    cm::due_at.eq(db::to_db(k.due_at)),
                    cm::answer.eq(k
                        .answered_at
                        .map(|_| "Cơ quan đã tiếp thu và xử lý; xin cảm ơn ông/bà.")),
                    cm::answered_at.eq(k.answered_at.map(db::to_db)),
                    cm::answered_by.eq(k.answered_at.map(|_| "demo")),
                    cm::answered_late.eq(k
                        .answered_at
                        .map(|a| crate::domain::satisfaction::answered_late(k.due_at, a))),
                ));
            }
            for s in &r.facts.steps {
                let (amount, unit) = crate::store::lifecycle::step_columns(s.time);
                steps.push((
                    ds::dossier_id.eq(id),
                    ds::seq.eq(s.seq as i32),
                    ds::office_code.eq(s.office_code.clone()),
                    ds::received_at.eq(db::to_db(s.received_at)),
                    ds::deadline_amount.eq(amount),
                    ds::deadline_unit.eq(unit),
                    ds::deadline_at.eq(db::to_db(s.deadline_at)),
                    ds::completed_at.eq(s.completed_at.map(db::to_db)),
                    ds::timeliness.eq(s.timeliness.map(|t| t.as_str())),
                ));
            }
        }
        match c {
            DbConn::Postgres(pg) => {
                // PostgreSQL takes at most 65,535 parameters per statement.
                for chunk in events.chunks(5000) {
                    diesel::insert_into(ev::table).values(chunk).execute(pg)?;
                }
                for chunk in steps.chunks(5000) {
                    diesel::insert_into(ds::table).values(chunk).execute(pg)?;
                }
                for chunk in complaints.chunks(5000) {
                    diesel::insert_into(cm::table).values(chunk).execute(pg)?;
                }
            }
            DbConn::Sqlite(lite) => {
                for e in &events {
                    diesel::insert_into(ev::table).values(e).execute(lite)?;
                }
                for s in &steps {
                    diesel::insert_into(ds::table).values(s).execute(lite)?;
                }
                for k in &complaints {
                    diesel::insert_into(cm::table).values(k).execute(lite)?;
                }
            }
        }
        Ok(())
    })?;
    batch.clear();
    Ok(())
}
