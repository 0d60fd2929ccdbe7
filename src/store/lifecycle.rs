//! Lifecycle actions applied to a stored dossier: one locked read of its facts, the domain's
//! decision (`domain::lifecycle::decide`), and the writes that record it — the steps closed and
//! opened, the apology letter, one update of the dossier with its version bump, one event.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::catalog::Catalog;
use super::dossiers::{self, Dossier, EventInput, Step};
use crate::authz::{Caller, Scope};
use crate::db::schema::{
    apology_letters as al, dossier_events as ev, dossier_steps as ds, dossiers as d, offices,
};
use crate::db::{self, DbConn};
use crate::domain::calendar::{ProcessingTime, TimeUnit, WorkingCalendar};
use crate::domain::deadline::SupplementPolicy;
use crate::domain::dossier::Status;
use crate::domain::lifecycle::{
    self, ActionInput, Apology, Decision, DossierFacts, PauseChange, Refusal, Rules, StepFacts,
};
use crate::domain::timeliness::Timeliness;
use crate::error::{AppError, AppResult};

/// Everything an action needs besides the database.
pub struct ActionContext<'a> {
    pub calendar: &'a WorkingCalendar,
    pub supplement_policy: SupplementPolicy,
    pub caller: &'a Caller,
    pub scope: &'a Scope,
    /// Offices, to check where a transfer goes without a query.
    pub catalog: &'a Catalog,
    pub now: DateTime<Utc>,
}

/// Reads the dossier for update: PostgreSQL locks the row, so concurrent actions on one dossier
/// queue instead of overwriting each other; SQLite's write transaction already holds the lock.
fn lock(conn: &mut DbConn, code: &str) -> AppResult<Option<Dossier>> {
    match conn {
        DbConn::Postgres(c) => Ok(d::table
            .filter(d::code.eq(code))
            .select(Dossier::as_select())
            .for_update()
            .first(c)
            .optional()?),
        DbConn::Sqlite(_) => dossiers::find(conn, code),
    }
}

fn refusal(r: Refusal) -> AppError {
    match r {
        Refusal::InvalidTransition { status, allowed } => AppError::Conflict {
            code: "invalid_transition",
            detail: format!(
                "the dossier is {}; allowed now: {}",
                status.as_str(),
                if allowed.is_empty() {
                    "nothing".to_owned()
                } else {
                    allowed
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        },
        Refusal::ReappointmentUsed => AppError::Conflict {
            code: "reappointment_used",
            detail: "the appointment has been moved once already; it may be moved only once".into(),
        },
        Refusal::DeadlinePassed => AppError::Conflict {
            code: "deadline_passed",
            detail: "the deadline has passed; an apology with a new date must come before it"
                .into(),
        },
        Refusal::Field { field, message } => AppError::field(field, message),
    }
}

/// The facts the domain decides on, from the stored dossier, its steps and its last event.
pub fn facts(
    dossier: &Dossier,
    steps: &[Step],
    last_event_at: Option<NaiveDateTime>,
) -> AppResult<DossierFacts> {
    let corrupt = |what: &str| AppError::Internal(format!("dossier {} has {what}", dossier.code));
    let parse_status = |s: &str| Status::parse(s).ok_or_else(|| corrupt("an unknown status"));
    let parse_verdict =
        |s: &str| Timeliness::parse(s).ok_or_else(|| corrupt("an unknown timeliness"));
    Ok(DossierFacts {
        status: dossier.status()?,
        status_before_pause: dossier
            .status_before_pause
            .as_deref()
            .map(parse_status)
            .transpose()?,
        received_by: dossier.office_code.clone(),
        responsible: dossier.responsible_office_code.clone(),
        due_at: db::from_db(dossier.due_at),
        basis: dossier.deadline_basis()?,
        paused_at: dossier.paused_at.map(db::from_db),
        reappointment_used: dossier.reappointment_used,
        rescheduled_due_at: dossier.rescheduled_due_at.map(db::from_db),
        supplement_requests: u32::try_from(dossier.supplement_requests)
            .map_err(|_| corrupt("a negative supplement count"))?,
        resolved_at: dossier.resolved_at.map(db::from_db),
        final_timeliness: dossier
            .final_timeliness
            .as_deref()
            .map(parse_verdict)
            .transpose()?,
        returned_at: dossier.returned_at.map(db::from_db),
        closed_at: dossier.closed_at.map(db::from_db),
        steps: steps
            .iter()
            .map(|s| {
                Ok(StepFacts {
                    seq: u32::try_from(s.seq).map_err(|_| corrupt("a negative step number"))?,
                    office_code: s.office_code.clone(),
                    received_at: db::from_db(s.received_at),
                    time: step_time(s),
                    deadline_at: db::from_db(s.deadline_at),
                    completed_at: s.completed_at.map(db::from_db),
                    timeliness: s.timeliness.as_deref().map(parse_verdict).transpose()?,
                })
            })
            .collect::<AppResult<_>>()?,
        last_event_at: last_event_at.map(db::from_db),
    })
}

/// A step's own processing time as stored (`dossier_deadline`: none, due with the dossier).
fn step_time(s: &Step) -> Option<ProcessingTime> {
    let unit = TimeUnit::parse(&s.deadline_unit)?;
    Some(ProcessingTime {
        amount: u32::try_from(s.deadline_amount).ok()?,
        unit,
    })
}

/// The step's own processing time in the columns that store it.
pub fn step_columns(time: Option<ProcessingTime>) -> (i32, &'static str) {
    match time {
        Some(t) => (t.amount as i32, t.unit.as_str()),
        None => (0, "dossier_deadline"),
    }
}

/// The dossier's columns an action may change; `None` leaves a column as it is.
#[derive(AsChangeset)]
#[diesel(table_name = d)]
struct DossierChanges<'a> {
    status: &'a str,
    responsible_office_code: Option<&'a str>,
    paused_at: Option<Option<NaiveDateTime>>,
    status_before_pause: Option<Option<&'a str>>,
    clock_started_at: Option<NaiveDateTime>,
    paused_secs: Option<i64>,
    due_at: Option<NaiveDateTime>,
    deadline_trace: Option<String>,
    resolved_at: Option<NaiveDateTime>,
    final_timeliness: Option<&'a str>,
    outcome: Option<&'a str>,
    returned_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    supplement_requests: Option<i32>,
}

/// Applies one action inside the caller's write transaction and returns the dossier after it.
pub fn apply(
    conn: &mut DbConn,
    ctx: &ActionContext<'_>,
    code: &str,
    input: ActionInput,
    at: Option<DateTime<Utc>>,
    if_match: Option<i32>,
) -> AppResult<Dossier> {
    let action = input.action();
    let dossier = lock(conn, code)?.ok_or_else(|| AppError::not_found("dossier"))?;
    // Read the clock only once the row is ours: an action that waited for the lock happens after
    // the one it waited for.
    let now = db::now().max(ctx.now);
    let steps = dossiers::steps(conn, dossier.id)?;
    if !dossiers::is_visible(&dossier, &steps, ctx.scope) {
        return Err(AppError::not_found("dossier"));
    }
    if !ctx.caller.may_act(
        action,
        &dossier.office_code,
        &dossier.responsible_office_code,
        ctx.scope,
    ) {
        return Err(AppError::Forbidden(format!(
            "the role {} may not {} this dossier",
            ctx.caller.role.as_str(),
            action.as_str()
        )));
    }
    if let Some(v) = if_match
        && v != dossier.version
    {
        return Err(AppError::PreconditionFailed(format!(
            "the dossier has changed (version {}, If-Match {v}); read it again",
            dossier.version
        )));
    }
    let (last_at, last_seq): (Option<NaiveDateTime>, Option<i32>) = ev::table
        .filter(ev::dossier_id.eq(dossier.id))
        .select((diesel::dsl::max(ev::at), diesel::dsl::max(ev::seq)))
        .first(conn)?;
    let facts = facts(&dossier, &steps, last_at)?;
    let rules = Rules {
        calendar: ctx.calendar,
        supplement_policy: ctx.supplement_policy,
    };
    let decision = lifecycle::decide(&facts, &input, rules, at, now).map_err(refusal)?;
    if let Some(step) = &decision.open_step
        && !ctx.catalog.office_exists(conn, &step.office_code)?
    {
        return Err(AppError::field(
            "to_office_code",
            format!("no office has the code {}", step.office_code),
        ));
    }
    let seq = last_seq.unwrap_or(0) + 1;
    record(
        conn,
        ctx.calendar,
        &dossier,
        decision,
        seq,
        &ctx.caller.username,
        now,
    )
}

/// Writes a decision: the steps, the letter, the dossier (returned as it now stands), and the
/// event at position `seq` of the history.
pub fn record(
    conn: &mut DbConn,
    cal: &WorkingCalendar,
    dossier: &Dossier,
    mut decision: Decision,
    seq: i32,
    actor: &str,
    now: DateTime<Utc>,
) -> AppResult<Dossier> {
    if let Some(c) = &decision.close_step {
        diesel::update(
            ds::table
                .filter(ds::dossier_id.eq(dossier.id))
                .filter(ds::seq.eq(c.seq as i32)),
        )
        .set((
            ds::completed_at.eq(db::to_db(c.completed_at)),
            ds::timeliness.eq(c.verdict.map(Timeliness::as_str)),
        ))
        .execute(conn)?;
    }
    if let Some(s) = &decision.open_step {
        let (amount, unit) = step_columns(s.time);
        diesel::insert_into(ds::table)
            .values((
                ds::dossier_id.eq(dossier.id),
                ds::seq.eq(s.seq as i32),
                ds::office_code.eq(&s.office_code),
                ds::received_at.eq(db::to_db(s.received_at)),
                ds::deadline_amount.eq(amount),
                ds::deadline_unit.eq(unit),
                ds::deadline_at.eq(db::to_db(s.deadline_at)),
            ))
            .execute(conn)?;
    }
    if let Some(apology) = &decision.apology {
        let number = create_letter(conn, cal, dossier, apology)?;
        decision
            .event
            .data
            .insert("letter_number".into(), number.into());
    }
    let (paused_at, status_before_pause) = match decision.pause {
        PauseChange::Keep => (None, None),
        PauseChange::Start { at, before } => {
            (Some(Some(db::to_db(at))), Some(Some(before.as_str())))
        }
        PauseChange::Clear => (Some(None), Some(None)),
    };
    let deadline = decision.deadline.as_ref();
    let trace = deadline
        .map(|n| serde_json::to_string(&n.trace))
        .transpose()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let resolution = decision.resolution;
    let changes = DossierChanges {
        status: decision.to.as_str(),
        responsible_office_code: decision.responsible.as_deref(),
        paused_at,
        status_before_pause,
        clock_started_at: deadline.map(|n| db::to_db(n.basis.counting_from)),
        paused_secs: deadline.map(|n| n.basis.paused_secs),
        due_at: deadline.map(|n| db::to_db(n.due_at)),
        deadline_trace: trace,
        resolved_at: resolution.map(|r| db::to_db(r.at)),
        final_timeliness: resolution.map(|r| r.timeliness.as_str()),
        outcome: resolution.map(|r| r.outcome.as_str()),
        returned_at: decision.returned_at.map(db::to_db),
        closed_at: decision.closed_at.map(db::to_db),
        supplement_requests: decision.supplement_requests.map(|n| n as i32),
    };
    let update = diesel::update(d::table.filter(d::id.eq(dossier.id)))
        .set((changes, d::version.eq(d::version + 1)));
    let after = returning_dossier!(conn, update)?;
    let notices = std::mem::take(&mut decision.notices);
    let event = decision.event;
    dossiers::insert_event(
        conn,
        dossier.id,
        seq,
        EventInput {
            action: event.action,
            from_status: Some(decision.from),
            to_status: decision.to,
            actor,
            at: decision.at,
            recorded_at: now,
            note: event.note.as_deref(),
            data: Some(serde_json::Value::Object(event.data)),
            office_code: &event.office_code,
        },
    )?;
    // What the citizen is told of it, in the same transaction (the apology went with its letter).
    for notice in notices {
        super::notices::queue(conn, &after, notice, now)?;
    }
    Ok(after)
}

/// Creates the dossier's apology letter (Mẫu 04), numbered per office per year, uses up the
/// single re-appointment, and queues the email to the applicant in the same transaction (or
/// marks the letter for printing at the counter when there is no email on file). At most one
/// letter per dossier: the unique key refuses a second one. Returns the letter's number.
pub fn create_letter(
    conn: &mut DbConn,
    cal: &WorkingCalendar,
    dossier: &Dossier,
    l: &Apology,
) -> AppResult<String> {
    let office = &dossier.responsible_office_code;
    let year = cal.local_date(l.at).year();
    let seq = crate::store::counters::next_letter_number(conn, office, year)?;
    let number = format!("{seq:04}/{year}/PXL-{office}");
    let signer: Option<String> = offices::table
        .filter(offices::code.eq(office))
        .select(offices::head_name)
        .first(conn)?;
    // The letter is printed at the counter when no channel reaches the citizen.
    let reach = super::notices::reach(dossier);
    let delivery = if reach
        .iter()
        .any(|(_, r)| matches!(r, crate::domain::notice::Recipient::To(_)))
    {
        "pending"
    } else {
        "print"
    };
    let message_id = format!("<apology.{year}.{seq}.{office}@motcua>");
    let letter_id: i64 = on_backend!(conn, |c| diesel::insert_into(al::table)
        .values((
            al::dossier_id.eq(dossier.id),
            al::number.eq(&number),
            al::office_code.eq(office),
            al::year.eq(year),
            al::seq.eq(seq),
            al::reason.eq(&l.reason),
            al::original_due_at.eq(dossier.due_at),
            al::new_due_at.eq(db::to_db(l.new_due_at)),
            al::created_at.eq(db::to_db(l.at)),
            al::automatic.eq(l.automatic),
            al::missed_duty.eq(l.missed_duty),
            al::responsible_office_code.eq(office),
            al::signer_name.eq(&signer),
            al::delivery_status.eq(delivery),
            al::attempts.eq(0),
            al::message_id.eq(&message_id),
        ))
        .returning(al::id)
        .get_result(c))
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            AppError::Conflict {
                code: "reappointment_used",
                detail: "the dossier has an apology letter already".into(),
            }
        } else {
            e.into()
        }
    })?;
    diesel::update(d::table.filter(d::id.eq(dossier.id)))
        .set((
            d::rescheduled_due_at.eq(db::to_db(l.new_due_at)),
            d::reappointment_used.eq(true),
        ))
        .execute(conn)?;
    super::notices::queue_apology(conn, dossier, letter_id, &message_id, &reach, l.at)?;
    Ok(number)
}
