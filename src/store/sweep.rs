//! The deadline sweep's database work: automatic apology letters for dossiers that passed their
//! deadline without one, escalations for dossiers late again after their single re-appointment,
//! and due-soon warnings, each once, in batches, one sweeping process at a time.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::dossiers::{self, Dossier, EventInput, RUNNING};
use super::lifecycle::create_letter;
use super::outbox::{self, NewMessage};
use crate::db::schema::{dossier_alerts as da, dossiers as d, offices, procedures, users};
use crate::db::{self, DbConn};
use crate::domain::calendar::{ProcessingTime, WorkingCalendar};
use crate::domain::calendars::Calendars;
use crate::domain::lifecycle;
use crate::error::AppResult;

/// Who the sweep acts as in the history.
pub const SWEEP_ACTOR: &str = "motcua";
const BATCH: i64 = 200;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Automatic apology letters created.
    pub letters: usize,
    /// Dossiers escalated to supervisors (late again after the re-appointment).
    pub escalated: usize,
    /// Dossiers in due-soon warnings.
    pub warned: usize,
    /// Digest emails queued (warnings and escalations).
    pub digests: usize,
}

pub struct SweepSettings {
    pub apology_extension: ProcessingTime,
    pub due_soon: ProcessingTime,
    /// The reason an automatic letter gives (`forms.apology.default_reason`).
    pub default_reason: String,
}

/// Only one process sweeps at a time.
fn exclusive(conn: &mut DbConn) -> Result<(), diesel::result::Error> {
    db::exclusive(conn, db::locks::SWEEP)
}

/// One sweep. Each batch is its own transaction, so a crash loses at most the batch in hand
/// (which the next sweep redoes) and never half of one.
pub fn sweep(
    conn: &mut DbConn,
    cals: &Calendars,
    s: &SweepSettings,
    now: DateTime<Utc>,
) -> AppResult<SweepReport> {
    let mut report = SweepReport::default();
    loop {
        let n = db::write_tx(conn, |c| {
            exclusive(c)?;
            apologise_for_overdue(c, cals, s, now)
        })?;
        report.letters += n;
        if n < BATCH as usize {
            break;
        }
    }
    let (escalated, digests) = db::write_tx(conn, |c| {
        exclusive(c)?;
        escalate(c, cals.default_calendar(), now)
    })?;
    report.escalated = escalated;
    report.digests += digests;
    let (warned, digests) = db::write_tx(conn, |c| {
        exclusive(c)?;
        warn_due_soon(c, cals, s, now)
    })?;
    report.warned = warned;
    report.digests += digests;
    Ok(report)
}

/// Dossiers past their deadline, clock running, re-appointment unused: the automatic letter
/// (default reason, new date `apology.extension` from now), its email, and the missed duty.
fn apologise_for_overdue(
    conn: &mut DbConn,
    cals: &Calendars,
    s: &SweepSettings,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let overdue: Vec<Dossier> = d::table
        .filter(d::status.eq_any(RUNNING))
        .filter(d::due_at.lt(db::to_db(now)))
        .filter(d::reappointment_used.eq(false))
        .order(d::due_at.asc())
        .limit(BATCH)
        .select(Dossier::as_select())
        .load(conn)?;
    for dossier in &overdue {
        let cal = cals.for_office(&dossier.office_code);
        let apology =
            lifecycle::automatic_apology(cal, &s.default_reason, s.apology_extension, now);
        let new_due_at = apology.new_due_at;
        let number = create_letter(conn, cal, dossier, &apology)?;
        diesel::update(d::table.filter(d::id.eq(dossier.id)))
            .set(d::version.eq(d::version + 1))
            .execute(conn)?;
        let status = dossier.status()?;
        dossiers::append_event(
            conn,
            dossier.id,
            EventInput {
                action: "apology_letter",
                from_status: Some(status),
                to_status: status,
                actor: SWEEP_ACTOR,
                at: now,
                recorded_at: now,
                note: Some("automatic apology: the deadline passed without one from the agency"),
                data: Some(serde_json::json!({
                    "letter_number": number,
                    "automatic": true,
                    "missed_duty": true,
                    "new_due_at": new_due_at,
                })),
                office_code: &dossier.responsible_office_code,
            },
        )?;
    }
    Ok(overdue.len())
}

/// Late again after the single re-appointment: no second letter, the agency's supervisors are
/// alerted instead, once per lateness (the deadline passed is the key).
fn escalate(
    conn: &mut DbConn,
    cal: &WorkingCalendar,
    now: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    let now_db = db::to_db(now);
    let late: Vec<Dossier> = d::table
        .filter(d::status.eq_any(RUNNING))
        .filter(d::reappointment_used.eq(true))
        .filter(d::due_at.lt(now_db))
        .filter(
            d::rescheduled_due_at
                .is_null()
                .or(d::rescheduled_due_at.lt(now_db)),
        )
        // Not already escalated for the later of its two deadlines.
        .filter(diesel::dsl::not(diesel::dsl::exists(
            da::table
                .filter(da::dossier_id.eq(d::id))
                .filter(da::kind.eq("escalation"))
                .filter(da::due_at.ge(d::due_at))
                .filter(
                    d::rescheduled_due_at
                        .is_null()
                        .or(da::due_at.ge(d::rescheduled_due_at.assume_not_null())),
                ),
        )))
        .select(Dossier::as_select())
        .load(conn)?;
    let mut fresh = Vec::new();
    for dossier in late {
        let key = dossier
            .rescheduled_due_at
            .map_or(dossier.due_at, |r| r.max(dossier.due_at));
        if record_alert(conn, &dossier, "escalation", key, now)? {
            fresh.push((dossier, key));
        }
    }
    let digests = send_digests(conn, cal, &fresh, &["supervisor"], "escalation", now)?;
    Ok((fresh.len(), digests))
}

/// Dossiers whose deadline comes within `deadlines.due_soon`: one digest per agency, each
/// dossier once per deadline.
fn warn_due_soon(
    conn: &mut DbConn,
    cals: &Calendars,
    s: &SweepSettings,
    now: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    // The furthest horizon of any office's hours; each dossier is then judged by its own.
    let horizon = cals
        .all()
        .map(|c| c.due_at(now, s.due_soon))
        .max()
        .unwrap_or(now);
    let soon: Vec<Dossier> = d::table
        .filter(d::status.eq_any(RUNNING))
        .filter(d::due_at.ge(db::to_db(now)))
        .filter(d::due_at.le(db::to_db(horizon)))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            da::table
                .filter(da::dossier_id.eq(d::id))
                .filter(da::kind.eq("due_soon"))
                .filter(da::due_at.eq(d::due_at)),
        )))
        .select(Dossier::as_select())
        .load(conn)?;
    let mut fresh = Vec::new();
    for dossier in soon {
        let own_horizon = cals
            .for_office(&dossier.office_code)
            .due_at(now, s.due_soon);
        if db::from_db(dossier.due_at) > own_horizon {
            continue;
        }
        if record_alert(conn, &dossier, "due_soon", dossier.due_at, now)? {
            let due = dossier.due_at;
            fresh.push((dossier, due));
        }
    }
    let digests = send_digests(
        conn,
        cals.default_calendar(),
        &fresh,
        &["officer", "supervisor"],
        "due_soon_digest",
        now,
    )?;
    Ok((fresh.len(), digests))
}

/// Records that the sweep acted on this dossier for this deadline; false if it had already.
fn record_alert(
    conn: &mut DbConn,
    dossier: &Dossier,
    kind: &str,
    key: NaiveDateTime,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let seen: i64 = da::table
        .filter(da::dossier_id.eq(dossier.id))
        .filter(da::kind.eq(kind))
        .filter(da::due_at.eq(key))
        .count()
        .get_result(conn)?;
    if seen > 0 {
        return Ok(false);
    }
    diesel::insert_into(da::table)
        .values((
            da::dossier_id.eq(dossier.id),
            da::kind.eq(kind),
            da::due_at.eq(key),
            da::office_code.eq(&dossier.responsible_office_code),
            da::created_at.eq(db::to_db(now)),
        ))
        .execute(conn)?;
    Ok(true)
}

/// One digest per responsible agency to its staff of the given roles who have an email address:
/// the row holds the agency and its lines; the delivery worker writes the email.
fn send_digests(
    conn: &mut DbConn,
    _cal: &WorkingCalendar,
    items: &[(Dossier, NaiveDateTime)],
    roles: &[&str],
    kind: &str,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let mut by_office: BTreeMap<&str, Vec<&(Dossier, NaiveDateTime)>> = BTreeMap::new();
    for item in items {
        by_office
            .entry(item.0.responsible_office_code.as_str())
            .or_default()
            .push(item);
    }
    let run = uuid::Uuid::now_v7();
    let mut sent = 0;
    for (office, list) in by_office {
        let recipients: Vec<String> = users::table
            .filter(users::office_code.eq(office))
            .filter(users::role.eq_any(roles))
            .filter(users::active.eq(true))
            .filter(users::email.is_not_null())
            .select(users::email.assume_not_null())
            .load(conn)?;
        if recipients.is_empty() {
            continue;
        }
        let agency: String = offices::table
            .filter(offices::code.eq(office))
            .select(offices::name)
            .first(conn)?;
        let mut lines = Vec::with_capacity(list.len());
        for (dossier, key) in list {
            let procedure_name: String = procedures::table
                .filter(procedures::code.eq(&dossier.procedure_code))
                .select(procedures::name)
                .first(conn)?;
            lines.push(serde_json::json!({
                "code": dossier.code,
                "procedure_name": procedure_name,
                "due_at": db::from_db(*key),
            }));
        }
        let data = serde_json::json!({ "agency": agency, "lines": lines });
        for to in recipients {
            outbox::enqueue(
                conn,
                NewMessage {
                    kind,
                    channel: "email",
                    dedupe_key: &format!("{kind}:{office}:{run}:{to}:email"),
                    letter_id: None,
                    dossier: None,
                    office_code: Some(office),
                    recipient: &to,
                    message_id: &format!("<{kind}.{run}.{}@motcua>", uuid::Uuid::new_v4().simple()),
                    data: Some(&data),
                    skipped: None,
                },
                now,
            )?;
            sent += 1;
        }
    }
    Ok(sent)
}
