//! Lifecycle actions applied to a stored dossier: one locked read, the state machine's verdict,
//! the effects (steps, pauses, deadlines, the apology letter), one version bump and one event.

use chrono::{DateTime, Datelike, Utc};
use diesel::prelude::*;

use super::catalog::Catalog;
use super::dossiers::{self, Dossier, EventInput, Step};
use crate::authz::{Caller, Scope};
use crate::config::SupplementPolicy;
use crate::db::schema::{
    apology_letters as al, dossier_events as ev, dossier_steps as ds, dossiers as d, offices,
};
use crate::db::{self, DbConn};
use crate::domain::calendar::{ProcessingTime, WorkingCalendar};
use crate::domain::deadline::{self, DeadlineBasis};
use crate::domain::dossier::Status;
use crate::domain::lifecycle::{self, Action, Facts, Refusal};
use crate::domain::timeliness;
use crate::error::{AppError, AppResult};

/// How far ahead of the server's clock an action's `at` may be (client clock skew).
pub const CLOCK_SKEW_SECS: i64 = 5;

/// Resolve's outcome: the result, or a reasoned refusal after processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approved,
    Refused,
}

/// The validated body of an action.
#[derive(Debug, Clone)]
pub enum ActionInput {
    Transfer {
        to_office_code: String,
        deadline: Option<ProcessingTime>,
        note: Option<String>,
    },
    RequestSupplement {
        items: Vec<String>,
        reason: String,
    },
    SupplementReceived {
        note: Option<String>,
    },
    RequestPayment {
        amount: Option<i64>,
        note: Option<String>,
    },
    PaymentReceived {
        amount: Option<i64>,
        note: Option<String>,
    },
    Reschedule {
        reason: String,
        new_due_at: DateTime<Utc>,
    },
    Resolve {
        outcome: Outcome,
        note: Option<String>,
    },
    ReturnResult {
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
    Withdraw {
        reason: String,
    },
    Stop {
        reason: String,
    },
}

impl ActionInput {
    pub fn action(&self) -> Action {
        match self {
            ActionInput::Transfer { .. } => Action::Transfer,
            ActionInput::RequestSupplement { .. } => Action::RequestSupplement,
            ActionInput::SupplementReceived { .. } => Action::SupplementReceived,
            ActionInput::RequestPayment { .. } => Action::RequestPayment,
            ActionInput::PaymentReceived { .. } => Action::PaymentReceived,
            ActionInput::Reschedule { .. } => Action::Reschedule,
            ActionInput::Resolve { .. } => Action::Resolve,
            ActionInput::ReturnResult { .. } => Action::ReturnResult,
            ActionInput::Reject { .. } => Action::Reject,
            ActionInput::Withdraw { .. } => Action::Withdraw,
            ActionInput::Stop { .. } => Action::Stop,
        }
    }
}

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

/// The step still open (the latest one not completed), if any.
fn open_step(steps: &[Step]) -> Option<&Step> {
    steps.iter().rev().find(|s| s.completed_at.is_none())
}

/// Closes the open step at `at`; `judged` says whether the step gets a timeliness verdict
/// (it does when it handed the dossier on or resolved it, not when the dossier was withdrawn).
fn close_open_step(
    conn: &mut DbConn,
    cal: &WorkingCalendar,
    steps: &[Step],
    at: DateTime<Utc>,
    judged: bool,
) -> AppResult<()> {
    if let Some(step) = open_step(steps) {
        let verdict =
            judged.then(|| timeliness::finished(cal, db::from_db(step.deadline_at), at).as_str());
        diesel::update(ds::table.filter(ds::id.eq(step.id)))
            .set((
                ds::completed_at.eq(db::to_db(at)),
                ds::timeliness.eq(verdict),
            ))
            .execute(conn)?;
    }
    Ok(())
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
    }
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

    // The instant the action really happened: never in the future, never before the last event.
    let (last_at, last_seq): (Option<chrono::NaiveDateTime>, Option<i32>) = ev::table
        .filter(ev::dossier_id.eq(dossier.id))
        .select((diesel::dsl::max(ev::at), diesel::dsl::max(ev::seq)))
        .first(conn)?;
    let at = match at {
        None => now,
        Some(t) if t > now + chrono::Duration::seconds(CLOCK_SKEW_SECS) => {
            return Err(AppError::field("at", "must not be in the future"));
        }
        Some(t) => t.min(now),
    };
    if let Some(last) = last_at
        && at < db::from_db(last)
    {
        return Err(AppError::field(
            "at",
            "must not be before the dossier's previous event",
        ));
    }

    let status = dossier.status()?;
    let due = db::from_db(dossier.due_at);
    let facts = Facts {
        transferred: !steps.is_empty(),
        before_pause: dossier
            .status_before_pause
            .as_deref()
            .and_then(Status::parse),
        reappointment_used: dossier.reappointment_used,
        deadline_passed: at > due,
    };
    let to = lifecycle::transition(status, action, facts).map_err(refusal)?;
    let cal = ctx.calendar;
    let at_db = db::to_db(at);

    let note: Option<String>;
    let mut data = serde_json::Map::new();
    match &input {
        ActionInput::Transfer {
            to_office_code,
            deadline,
            note: n,
        } => {
            if !ctx.catalog.office_exists(conn, to_office_code)? {
                return Err(AppError::field(
                    "to_office_code",
                    format!("no office has the code {to_office_code}"),
                ));
            }
            if *to_office_code == dossier.responsible_office_code {
                return Err(AppError::field(
                    "to_office_code",
                    "already holds the dossier",
                ));
            }
            close_open_step(conn, cal, &steps, at, true)?;
            // Without its own processing time, a step is due when the dossier is.
            let (step_due, amount, unit) = match deadline {
                Some(t) => (cal.due_at(at, *t), t.amount as i32, t.unit.as_str()),
                None => (due, 0, "dossier_deadline"),
            };
            let seq = i32::try_from(steps.len() + 1)
                .map_err(|_| AppError::Internal("too many steps".into()))?;
            diesel::insert_into(ds::table)
                .values((
                    ds::dossier_id.eq(dossier.id),
                    ds::seq.eq(seq),
                    ds::office_code.eq(to_office_code),
                    ds::received_at.eq(at_db),
                    ds::deadline_amount.eq(amount),
                    ds::deadline_unit.eq(unit),
                    ds::deadline_at.eq(db::to_db(step_due)),
                ))
                .execute(conn)?;
            diesel::update(d::table.filter(d::id.eq(dossier.id)))
                .set(d::responsible_office_code.eq(to_office_code))
                .execute(conn)?;
            data.insert(
                "from_office_code".into(),
                dossier.responsible_office_code.clone().into(),
            );
            data.insert("to_office_code".into(), to_office_code.clone().into());
            data.insert("step_deadline_at".into(), serde_json::json!(step_due));
            note = n.clone();
        }
        ActionInput::RequestSupplement { items, reason } => {
            pause(conn, &dossier, status, at_db)?;
            data.insert("items".into(), serde_json::json!(items));
            data.insert("reason".into(), reason.clone().into());
            note = Some(reason.clone());
        }
        ActionInput::RequestPayment { amount, note: n } => {
            pause(conn, &dossier, status, at_db)?;
            if let Some(a) = amount {
                data.insert("amount".into(), (*a).into());
            }
            note = n.clone();
        }
        ActionInput::SupplementReceived { note: n }
        | ActionInput::PaymentReceived { note: n, .. } => {
            let paused_at = dossier.paused_at.map(db::from_db).unwrap_or(at);
            let mut basis = dossier.deadline_basis()?;
            let restart = action == Action::SupplementReceived
                && ctx.supplement_policy == SupplementPolicy::Restart;
            if restart {
                // Decree 61 Art. 19.4: the processing time counts again from zero.
                basis = DeadlineBasis {
                    counting_from: at,
                    time: basis.time,
                    paused_secs: 0,
                };
            } else {
                basis.paused_secs += cal.working_seconds_between(paused_at, at);
            }
            let mut new = deadline::compute(cal, basis);
            let tz = cal.timezone();
            new.trace.push_note(
                at,
                if restart {
                    format!(
                        "supplement received {}: processing time restarted from zero",
                        at.with_timezone(&tz).format("%Y-%m-%d %H:%M")
                    )
                } else {
                    format!(
                        "{} {}: the clock ran again after standing still since {}",
                        if action == Action::SupplementReceived {
                            "supplement received"
                        } else {
                            "payment received"
                        },
                        at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
                        paused_at.with_timezone(&tz).format("%Y-%m-%d %H:%M")
                    )
                },
            );
            let trace =
                serde_json::to_string(&new.trace).map_err(|e| AppError::Internal(e.to_string()))?;
            diesel::update(d::table.filter(d::id.eq(dossier.id)))
                .set((
                    d::clock_started_at.eq(db::to_db(basis.counting_from)),
                    d::paused_secs.eq(basis.paused_secs),
                    d::due_at.eq(db::to_db(new.due_at)),
                    d::deadline_trace.eq(trace),
                    d::paused_at.eq(None::<chrono::NaiveDateTime>),
                    d::status_before_pause.eq(None::<String>),
                ))
                .execute(conn)?;
            data.insert("old_due_at".into(), serde_json::json!(due));
            data.insert("new_due_at".into(), serde_json::json!(new.due_at));
            if action == Action::SupplementReceived {
                data.insert(
                    "policy".into(),
                    (if restart { "restart" } else { "pause" }).into(),
                );
            }
            if let ActionInput::PaymentReceived {
                amount: Some(a), ..
            } = &input
            {
                data.insert("amount".into(), (*a).into());
            }
            note = n.clone();
        }
        ActionInput::Reschedule { reason, new_due_at } => {
            if *new_due_at <= due || *new_due_at <= at {
                return Err(AppError::field(
                    "new_due_at",
                    "must be after the current appointment",
                ));
            }
            // Decree 61 Art. 19.9: the apology is due no later than one day before the deadline.
            let missed_duty = cal.due_at(at, ProcessingTime::working_days(1)) > due;
            let letter = create_letter(
                conn,
                cal,
                &dossier,
                LetterInput {
                    reason,
                    new_due_at: *new_due_at,
                    automatic: false,
                    missed_duty,
                    at,
                },
            )?;
            data.insert("new_due_at".into(), serde_json::json!(new_due_at));
            data.insert("letter_number".into(), letter.into());
            data.insert("missed_duty".into(), missed_duty.into());
            note = Some(reason.clone());
        }
        ActionInput::Resolve { outcome, note: n } => {
            close_open_step(conn, cal, &steps, at, true)?;
            let verdict = timeliness::finished(cal, due, at);
            diesel::update(d::table.filter(d::id.eq(dossier.id)))
                .set((
                    d::resolved_at.eq(at_db),
                    d::final_timeliness.eq(verdict.as_str()),
                    d::outcome.eq(match outcome {
                        Outcome::Approved => "approved",
                        Outcome::Refused => "refused",
                    }),
                ))
                .execute(conn)?;
            data.insert("outcome".into(), serde_json::json!(outcome));
            data.insert("timeliness".into(), verdict.as_str().into());
            note = n.clone();
        }
        ActionInput::ReturnResult { note: n } => {
            diesel::update(d::table.filter(d::id.eq(dossier.id)))
                .set(d::returned_at.eq(at_db))
                .execute(conn)?;
            note = n.clone();
        }
        ActionInput::Reject { reason }
        | ActionInput::Withdraw { reason }
        | ActionInput::Stop { reason } => {
            close_open_step(conn, cal, &steps, at, false)?;
            diesel::update(d::table.filter(d::id.eq(dossier.id)))
                .set((
                    d::paused_at.eq(None::<chrono::NaiveDateTime>),
                    d::status_before_pause.eq(None::<String>),
                ))
                .execute(conn)?;
            data.insert("reason".into(), reason.clone().into());
            note = Some(reason.clone());
        }
    }

    if matches!(
        to,
        Status::Resolved | Status::Rejected | Status::Withdrawn | Status::Stopped
    ) {
        // The instant the dossier left the administration's hands: reports count periods by it.
        diesel::update(d::table.filter(d::id.eq(dossier.id)))
            .set(d::closed_at.eq(at_db))
            .execute(conn)?;
    }
    // The last write returns the dossier as it now stands.
    let bump = diesel::update(d::table.filter(d::id.eq(dossier.id)))
        .set((d::status.eq(to.as_str()), d::version.eq(d::version + 1)));
    let after = returning_dossier!(conn, bump)?;
    if at < now - chrono::Duration::minutes(1) {
        data.insert("backdated".into(), true.into());
    }
    dossiers::insert_event(
        conn,
        dossier.id,
        last_seq.unwrap_or(0) + 1,
        EventInput {
            action: action.as_str(),
            from_status: Some(status),
            to_status: to,
            actor: &ctx.caller.username,
            at,
            recorded_at: now,
            note: note.as_deref(),
            data: Some(serde_json::Value::Object(data)),
        },
    )?;
    Ok(after)
}

/// The clock stops: the citizen's turn.
fn pause(
    conn: &mut DbConn,
    dossier: &Dossier,
    status: Status,
    at: chrono::NaiveDateTime,
) -> AppResult<()> {
    diesel::update(d::table.filter(d::id.eq(dossier.id)))
        .set((
            d::paused_at.eq(at),
            d::status_before_pause.eq(status.as_str()),
        ))
        .execute(conn)?;
    Ok(())
}

pub struct LetterInput<'a> {
    pub reason: &'a str,
    pub new_due_at: DateTime<Utc>,
    pub automatic: bool,
    pub missed_duty: bool,
    pub at: DateTime<Utc>,
}

/// Creates the dossier's apology letter (Mẫu 04), numbered per office per year, uses up the
/// single re-appointment, and queues the email to the applicant in the same transaction (or
/// marks the letter for printing at the counter when there is no email on file). At most one
/// letter per dossier: the unique key refuses a second one. Returns the letter's number.
pub fn create_letter(
    conn: &mut DbConn,
    cal: &WorkingCalendar,
    dossier: &Dossier,
    l: LetterInput<'_>,
) -> AppResult<String> {
    let office = &dossier.responsible_office_code;
    let year = cal.local_date(l.at).year();
    let seq = crate::store::counters::next_letter_number(conn, office, year)?;
    let number = format!("{seq:04}/{year}/PXL-{office}");
    let signer: Option<String> = offices::table
        .filter(offices::code.eq(office))
        .select(offices::head_name)
        .first(conn)?;
    let delivery = if dossier.applicant_email.is_some() {
        "pending"
    } else {
        "print"
    };
    let message_id = format!("<apology.{year}.{seq}.{office}@motcua>");
    diesel::insert_into(al::table)
        .values((
            al::dossier_id.eq(dossier.id),
            al::number.eq(&number),
            al::office_code.eq(office),
            al::year.eq(year),
            al::seq.eq(seq),
            al::reason.eq(l.reason),
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
        .execute(conn)
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
    if let Some(email) = &dossier.applicant_email {
        super::letters::queue_email(conn, dossier.id, email, &message_id, l.at)?;
    }
    Ok(number)
}
