//! Dossiers: receipt with gap-free codes, reads, the filtered list, the event history and steps.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::{DbBackend, Page, PageRequest};
use crate::authz::Scope;
use crate::db::schema::{dossier_events, dossier_steps, dossiers, offices};
use crate::db::{self, DbConn};
use crate::domain::calendar::{ProcessingTime, WorkingCalendar};
use crate::domain::codes::{DossierCode, OfficeCode};
use crate::domain::deadline::{self, DeadlineBasis};
use crate::domain::dossier::{Channel, Status};
use crate::domain::timeliness::{self, Timeliness};
use crate::error::{AppError, AppResult};
use crate::store::catalog::Catalog;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossiers)]
pub struct Dossier {
    pub id: i64,
    pub code: String,
    pub office_code: String,
    pub day: NaiveDate,
    pub seq: i32,
    pub procedure_code: String,
    pub channel: String,
    pub applicant_full_name: String,
    pub applicant_id_number: String,
    pub applicant_phone: Option<String>,
    pub applicant_email: Option<String>,
    pub applicant_address: Option<String>,
    pub note: Option<String>,
    pub status: String,
    pub status_before_pause: Option<String>,
    pub paused_at: Option<NaiveDateTime>,
    pub received_at: NaiveDateTime,
    pub clock_started_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub rescheduled_due_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub returned_at: Option<NaiveDateTime>,
    pub outcome: Option<String>,
    pub final_timeliness: Option<String>,
    pub responsible_office_code: String,
    pub deadline_trace: String,
    pub reappointment_used: bool,
    pub processing_amount: i32,
    pub processing_unit: String,
    pub paused_secs: i64,
    pub version: i32,
    pub closed_at: Option<NaiveDateTime>,
    pub supplement_requests: i32,
    /// The version of the procedure the dossier was received under.
    pub procedure_version: i32,
    /// The channels its notices go to (`notifications.channels` narrowed by `applicant.notify`
    /// at receipt), comma-separated; none for dossiers received before: email.
    pub notify_channels: Option<String>,
    /// When the dossier first had a file for every required component (see `store::files`).
    pub components_digitised_at: Option<NaiveDateTime>,
    /// When the dossier first had a result file.
    pub result_digitised_at: Option<NaiveDateTime>,
    /// The citizen's rating (`satisfied`, `neutral`, `dissatisfied`): one per dossier.
    pub rating: Option<String>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<NaiveDateTime>,
    /// When the first complaint or recommendation about the dossier was filed.
    pub first_complaint_at: Option<NaiveDateTime>,
    /// When the national portal first accepted a record of the dossier.
    pub national_synced_at: Option<NaiveDateTime>,
}

impl Dossier {
    /// What `due_at` is computed from (see `domain::deadline`).
    pub fn deadline_basis(&self) -> AppResult<DeadlineBasis> {
        let unit = crate::domain::calendar::TimeUnit::parse(&self.processing_unit)
            .ok_or_else(|| AppError::Internal(format!("dossier {} has unknown unit", self.code)))?;
        let amount = u32::try_from(self.processing_amount).map_err(|_| {
            AppError::Internal(format!("dossier {} has a negative amount", self.code))
        })?;
        Ok(DeadlineBasis {
            counting_from: db::from_db(self.clock_started_at),
            time: crate::domain::calendar::ProcessingTime { amount, unit },
            paused_secs: self.paused_secs,
        })
    }

    pub fn status(&self) -> AppResult<Status> {
        Status::parse(&self.status)
            .ok_or_else(|| AppError::Internal(format!("dossier {} has unknown status", self.code)))
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossier_events)]
pub struct Event {
    pub id: i64,
    pub dossier_id: i64,
    pub seq: i32,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor: String,
    pub at: NaiveDateTime,
    pub recorded_at: NaiveDateTime,
    pub note: Option<String>,
    pub data: Option<String>,
    /// The agency on whose behalf the event was recorded (null for events before it was kept).
    pub office_code: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dossier_steps)]
pub struct Step {
    pub id: i64,
    pub dossier_id: i64,
    pub seq: i32,
    pub office_code: String,
    pub received_at: NaiveDateTime,
    pub deadline_amount: i32,
    pub deadline_unit: String,
    pub deadline_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    pub timeliness: Option<String>,
}

/// A validated receipt.
#[derive(Debug, Clone)]
pub struct NewDossier {
    pub office_code: String,
    pub procedure_code: String,
    pub channel: Channel,
    pub full_name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub received_at: DateTime<Utc>,
    pub actor: String,
    /// The channels the citizen is told on: `notifications.channels` narrowed by
    /// `applicant.notify` (`domain::notice::channels_for`).
    pub notify: Vec<crate::domain::notice::NoticeChannel>,
}

/// Receives a dossier inside the caller's write transaction: allocates the day's next number at
/// the office, computes the deadline through the calendar, and records the `received` event.
/// Four statements: the counter, the dossier (returned as stored), the event, and — the first
/// time this process sees them — the office and the procedure.
pub fn receive(
    conn: &mut DbConn,
    catalog: &Catalog,
    calendar: &WorkingCalendar,
    new: &NewDossier,
    now: DateTime<Utc>,
) -> AppResult<Dossier> {
    let office =
        OfficeCode::parse(&new.office_code).map_err(|m| AppError::field("office_code", m))?;
    let Some(office_entry) = catalog.office(conn, office.as_str())? else {
        return Err(AppError::field(
            "office_code",
            format!("no office has the code {office}"),
        ));
    };
    // Whether the office is open is read from the database, not from this process's catalog,
    // which may lag another replica's closing by up to its refresh interval. On PostgreSQL the
    // row is read FOR SHARE: a closing (its UPDATE of the row) waits for the receipts under way
    // and then moves them with the rest, and a receipt that reaches the row while a closing
    // holds it waits and reads it closed. The foreign keys to the office lock the same row in a
    // weaker mode in this transaction anyway. SQLite has one writer at a time.
    let open_query = offices::table
        .filter(offices::code.eq(office.as_str()))
        .select((offices::closed_at, offices::successor_code));
    let row: Option<(Option<NaiveDateTime>, Option<String>)> = match conn {
        DbConn::Postgres(c) => open_query.for_share().first(c).optional()?,
        DbConn::Sqlite(c) => open_query.first(c).optional()?,
    };
    let (closed_at, successor) = row.unwrap_or((None, None));
    if office_entry.closed || closed_at.is_some() {
        return Err(AppError::field(
            "office_code",
            match successor.or_else(|| office_entry.successor_code.clone()) {
                Some(s) => format!("the office {office} is closed: its successor is {s}"),
                None => format!("the office {office} is closed"),
            },
        ));
    }
    let procedure = catalog
        .procedure(conn, &new.procedure_code)?
        .ok_or_else(|| {
            AppError::field(
                "procedure_code",
                format!("no procedure has the code {}", new.procedure_code),
            )
        })?;
    let day = calendar.local_date(new.received_at);
    // The version in effect on the day of receipt, not the one in effect today.
    let version = procedure.version_on(day).ok_or_else(|| {
        AppError::field(
            "procedure_code",
            format!("the procedure {} did not exist on {day}", procedure.code),
        )
    })?;
    if !version.active {
        return Err(AppError::field(
            "procedure_code",
            format!(
                "the procedure {} is retired: it receives no dossiers",
                procedure.code
            ),
        ));
    }
    let time = version.processing_time()?;

    let seq = crate::store::counters::next_dossier_number(conn, office.as_str(), day)?;
    let code = DossierCode::new(office.clone(), day, seq).to_string();
    let deadline = deadline::compute(
        calendar,
        DeadlineBasis {
            counting_from: new.received_at,
            time,
            paused_secs: 0,
        },
    );
    let trace =
        serde_json::to_string(&deadline.trace).map_err(|e| AppError::Internal(e.to_string()))?;
    let received_at = db::to_db(new.received_at);

    let insert = diesel::insert_into(dossiers::table).values((
        dossiers::code.eq(&code),
        dossiers::office_code.eq(office.as_str()),
        dossiers::day.eq(day),
        dossiers::seq.eq(seq as i32),
        dossiers::procedure_code.eq(&procedure.code),
        dossiers::channel.eq(new.channel.as_str()),
        dossiers::applicant_full_name.eq(&new.full_name),
        dossiers::applicant_id_number.eq(&new.id_number),
        dossiers::applicant_phone.eq(&new.phone),
        dossiers::applicant_email.eq(&new.email),
        dossiers::applicant_address.eq(&new.address),
        dossiers::note.eq(&new.note),
        dossiers::status.eq(Status::Received.as_str()),
        dossiers::received_at.eq(received_at),
        dossiers::clock_started_at.eq(received_at),
        dossiers::due_at.eq(db::to_db(deadline.due_at)),
        dossiers::responsible_office_code.eq(office.as_str()),
        dossiers::deadline_trace.eq(&trace),
        dossiers::reappointment_used.eq(false),
        dossiers::processing_amount.eq(version.processing_amount),
        dossiers::processing_unit.eq(&version.processing_unit),
        dossiers::paused_secs.eq(0i64),
        dossiers::version.eq(1),
        dossiers::procedure_version.eq(version.version),
        dossiers::notify_channels.eq(crate::store::notices::stored_channels(&new.notify)),
    ));
    let dossier = returning_dossier!(conn, insert)?;

    // A receipt recorded after the fact keeps its real instant; the data says so.
    let backdated = now - new.received_at > chrono::Duration::minutes(1);
    let data = serde_json::json!({
        "procedure_code": procedure.code,
        "procedure_version": version.version,
        "channel": new.channel.as_str(),
        "due_at": deadline.due_at,
        "backdated": backdated,
    });
    insert_event(
        conn,
        dossier.id,
        1,
        EventInput {
            action: "received",
            from_status: None,
            to_status: Status::Received,
            actor: &new.actor,
            at: new.received_at,
            recorded_at: now,
            note: new.note.as_deref(),
            data: Some(data),
            office_code: office.as_str(),
        },
    )?;
    // Mẫu 01 to the citizen on each channel, queued with the receipt.
    crate::store::notices::queue(conn, &dossier, crate::domain::notice::Notice::Receipt, now)?;
    Ok(dossier)
}

pub struct EventInput<'a> {
    pub action: &'a str,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub note: Option<&'a str>,
    pub data: Option<serde_json::Value>,
    /// The agency responsible for the dossier when it happened.
    pub office_code: &'a str,
}

/// Appends to the dossier's history; `(dossier_id, seq)` is unique, so two writers cannot
/// both append the same position.
pub fn append_event(conn: &mut DbConn, dossier_id: i64, e: EventInput<'_>) -> AppResult<i32> {
    let last: Option<i32> = dossier_events::table
        .filter(dossier_events::dossier_id.eq(dossier_id))
        .select(diesel::dsl::max(dossier_events::seq))
        .first(conn)?;
    let seq = last.unwrap_or(0) + 1;
    insert_event(conn, dossier_id, seq, e)?;
    Ok(seq)
}

/// Records the event at position `seq` of the history (the caller read the last position under
/// the dossier's lock; the unique key refuses a position taken twice).
pub fn insert_event(
    conn: &mut DbConn,
    dossier_id: i64,
    seq: i32,
    e: EventInput<'_>,
) -> AppResult<()> {
    let insert = diesel::insert_into(dossier_events::table).values((
        dossier_events::dossier_id.eq(dossier_id),
        dossier_events::seq.eq(seq),
        dossier_events::action.eq(e.action),
        dossier_events::from_status.eq(e.from_status.map(Status::as_str)),
        dossier_events::to_status.eq(e.to_status.as_str()),
        dossier_events::actor.eq(e.actor),
        dossier_events::at.eq(db::to_db(e.at)),
        dossier_events::recorded_at.eq(db::to_db(e.recorded_at)),
        dossier_events::note.eq(e.note),
        dossier_events::data.eq(e.data.map(|d| d.to_string())),
        dossier_events::office_code.eq(e.office_code),
    ));
    let id: i64 = on_backend!(conn, |c| insert.returning(dossier_events::id).get_result(c))?;
    // Every event is announced to the webhooks that want it, in this same transaction.
    super::webhooks::fan_out(conn, id, e.action, e.recorded_at)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, code: &str) -> AppResult<Option<Dossier>> {
    Ok(on_backend!(conn, |c| dossiers::table
        .filter(dossiers::code.eq(code))
        .select(Dossier::as_select())
        .first(c)
        .optional())?)
}

pub fn find_by_id(conn: &mut DbConn, id: i64) -> AppResult<Option<Dossier>> {
    Ok(on_backend!(conn, |c| dossiers::table
        .filter(dossiers::id.eq(id))
        .select(Dossier::as_select())
        .first(c)
        .optional())?)
}

/// Whether the scope may see the dossier: received by, held by, or with a step at an office in
/// scope.
pub fn is_visible(d: &Dossier, steps: &[Step], scope: &Scope) -> bool {
    match scope {
        Scope::All => true,
        Scope::Offices(list) => {
            list.contains(&d.office_code)
                || list.contains(&d.responsible_office_code)
                || steps.iter().any(|s| list.contains(&s.office_code))
        }
    }
}

/// The dossier's timeliness now: the open verdict against the current deadline (paused while it
/// waits on the citizen), the stored final verdict once finished, none when it ended otherwise.
pub fn timeliness_now(
    cal: &WorkingCalendar,
    d: &Dossier,
    now: DateTime<Utc>,
    due_soon: ProcessingTime,
) -> AppResult<Option<Timeliness>> {
    let status = d.status()?;
    Ok(if status.is_open() {
        Some(timeliness::open(
            cal,
            db::from_db(d.due_at),
            now,
            status.is_paused(),
            due_soon,
        ))
    } else if status.is_finished() {
        d.final_timeliness.as_deref().and_then(Timeliness::parse)
    } else {
        None
    })
}

/// The dossier with its steps in order, in one query.
pub fn find_with_steps(conn: &mut DbConn, code: &str) -> AppResult<Option<(Dossier, Vec<Step>)>> {
    let rows: Vec<(Dossier, Option<Step>)> = on_backend!(conn, |c| dossiers::table
        .left_join(dossier_steps::table)
        .filter(dossiers::code.eq(code))
        .order(dossier_steps::seq.asc())
        .select((Dossier::as_select(), Option::<Step>::as_select()))
        .load(c))?;
    let mut rows = rows.into_iter();
    let Some((dossier, first)) = rows.next() else {
        return Ok(None);
    };
    let steps = first
        .into_iter()
        .chain(rows.filter_map(|(_, s)| s))
        .collect();
    Ok(Some((dossier, steps)))
}

/// The dossier and its steps if the scope may see it.
pub fn find_visible(
    conn: &mut DbConn,
    code: &str,
    scope: &Scope,
) -> AppResult<Option<(Dossier, Vec<Step>)>> {
    Ok(find_with_steps(conn, code)?.filter(|(d, steps)| is_visible(d, steps, scope)))
}

pub fn steps(conn: &mut DbConn, dossier_id: i64) -> AppResult<Vec<Step>> {
    Ok(dossier_steps::table
        .filter(dossier_steps::dossier_id.eq(dossier_id))
        .order(dossier_steps::seq.asc())
        .select(Step::as_select())
        .load(conn)?)
}

pub fn events(conn: &mut DbConn, dossier_id: i64, page: PageRequest) -> AppResult<Page<Event>> {
    let total = dossier_events::table
        .filter(dossier_events::dossier_id.eq(dossier_id))
        .count()
        .get_result(conn)?;
    let items = dossier_events::table
        .filter(dossier_events::dossier_id.eq(dossier_id))
        .order(dossier_events::seq.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(Event::as_select())
        .load(conn)?;
    Ok(Page { items, total })
}

pub fn all_events(conn: &mut DbConn, dossier_id: i64) -> AppResult<Vec<Event>> {
    Ok(on_backend!(conn, |c| dossier_events::table
        .filter(dossier_events::dossier_id.eq(dossier_id))
        .order(dossier_events::seq.asc())
        .select(Event::as_select())
        .load(c))?)
}

/// Timeliness as a list filter. Open verdicts depend on the moment: the API computes the
/// instants (now, and the due-soon horizon through the calendar) and hands them over.
#[derive(Debug, Clone, Copy)]
pub enum TimelinessFilter {
    Finished(Timeliness),
    Paused,
    Overdue {
        now: DateTime<Utc>,
    },
    DueSoon {
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    },
    OnTrack {
        horizon: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct DossierFilter {
    pub status: Option<Status>,
    pub timeliness: Option<TimelinessFilter>,
    pub office: Option<String>,
    pub procedure: Option<String>,
    pub channel: Option<Channel>,
    pub received_from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub received_before: Option<DateTime<Utc>>,
    pub q: Option<String>,
}

pub const OPEN: [&str; 4] = [
    "received",
    "processing",
    "awaiting_supplement",
    "awaiting_payment",
];
pub const RUNNING: [&str; 2] = ["received", "processing"];
const PAUSED: [&str; 2] = ["awaiting_supplement", "awaiting_payment"];

fn filtered<'a>(f: &'a DossierFilter, scope: &'a Scope) -> dossiers::BoxedQuery<'a, DbBackend> {
    let mut q = dossiers::table.into_boxed::<DbBackend>();
    if let Scope::Offices(list) = scope {
        let with_step = dossier_steps::table
            .filter(dossier_steps::office_code.eq_any(list))
            .select(dossier_steps::dossier_id);
        q = q.filter(
            dossiers::office_code
                .eq_any(list)
                .or(dossiers::responsible_office_code.eq_any(list))
                .or(dossiers::id.eq_any(with_step)),
        );
    }
    if let Some(s) = f.status {
        q = q.filter(dossiers::status.eq(s.as_str()));
    }
    if let Some(t) = f.timeliness {
        q = match t {
            TimelinessFilter::Finished(v) => q.filter(dossiers::final_timeliness.eq(v.as_str())),
            TimelinessFilter::Paused => q.filter(dossiers::status.eq_any(PAUSED)),
            TimelinessFilter::Overdue { now } => q
                .filter(dossiers::status.eq_any(RUNNING))
                .filter(dossiers::due_at.lt(db::to_db(now))),
            TimelinessFilter::DueSoon { now, horizon } => q
                .filter(dossiers::status.eq_any(RUNNING))
                .filter(dossiers::due_at.ge(db::to_db(now)))
                .filter(dossiers::due_at.le(db::to_db(horizon))),
            TimelinessFilter::OnTrack { horizon } => q
                .filter(dossiers::status.eq_any(RUNNING))
                .filter(dossiers::due_at.gt(db::to_db(horizon))),
        };
    }
    if let Some(o) = &f.office {
        q = q.filter(dossiers::office_code.eq(o));
    }
    if let Some(p) = &f.procedure {
        q = q.filter(dossiers::procedure_code.eq(p));
    }
    if let Some(c) = f.channel {
        q = q.filter(dossiers::channel.eq(c.as_str()));
    }
    if let Some(from) = f.received_from {
        q = q.filter(dossiers::received_at.ge(db::to_db(from)));
    }
    if let Some(to) = f.received_before {
        q = q.filter(dossiers::received_at.lt(db::to_db(to)));
    }
    if let Some(text) = &f.q {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        q = q.filter(
            dossiers::code
                .like(pattern.clone())
                .escape('\\')
                .or(dossiers::applicant_full_name.like(pattern).escape('\\'))
                .or(dossiers::applicant_id_number.eq(text.to_ascii_uppercase())),
        );
    }
    q
}

/// One page of the dossiers the scope may see, newest receipts first.
pub fn list(
    conn: &mut DbConn,
    f: &DossierFilter,
    scope: &Scope,
    page: PageRequest,
) -> AppResult<Page<Dossier>> {
    let total: i64 = filtered(f, scope).count().get_result(conn)?;
    let items = filtered(f, scope)
        .order((dossiers::received_at.desc(), dossiers::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(Dossier::as_select())
        .load(conn)?;
    Ok(Page { items, total })
}

/// Whether a status is open (for filters and queries that work on names).
pub fn is_open_name(s: &str) -> bool {
    OPEN.contains(&s)
}
