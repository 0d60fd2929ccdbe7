//! Calendar overrides (per-date holidays and make-up working days), their audit history, and
//! the recomputation of the open dossiers a change affects.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::dossiers::{self, Dossier, EventInput};
use super::{Page, PageRequest};
use crate::db::schema::{calendar_audit as ca, calendar_overrides as co, dossiers as d};
use crate::db::{self, DbConn};
use crate::domain::calendar::{CalendarOverride, OverrideKind};
use crate::domain::calendars::{CalendarSetup, Calendars};
use crate::domain::deadline;
use crate::error::{AppError, AppResult};

/// Every override, oldest date first.
pub fn overrides(conn: &mut DbConn) -> AppResult<Vec<CalendarOverride>> {
    let rows: Vec<(NaiveDate, String, String)> = co::table
        .order(co::date.asc())
        .select((co::date, co::kind, co::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(date, kind, name)| {
            OverrideKind::parse(&kind).map(|kind| CalendarOverride { date, kind, name })
        })
        .collect())
}

/// A number that grows with every calendar change (the newest audit entry), so that each
/// process can tell cheaply whether its calendar is current.
pub fn revision(conn: &mut DbConn) -> AppResult<i64> {
    Ok(ca::table
        .select(diesel::dsl::max(ca::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// The calendar as stored now, with the deployment's settings.
pub fn load(conn: &mut DbConn, setup: &CalendarSetup) -> AppResult<(i64, Calendars)> {
    let rev = revision(conn)?;
    Ok((rev, Calendars::new(setup, overrides(conn)?)))
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ca)]
pub struct AuditEntry {
    pub id: i64,
    pub date: NaiveDate,
    pub action: String,
    pub old_kind: Option<String>,
    pub old_name: Option<String>,
    pub new_kind: Option<String>,
    pub new_name: Option<String>,
    pub actor: String,
    pub at: NaiveDateTime,
}

/// The result of a change: what was there before, and how many dossiers got a new deadline.
#[derive(Debug, Clone)]
pub struct Change {
    pub previous: Option<CalendarOverride>,
    pub recomputed: usize,
}

fn find(conn: &mut DbConn, date: NaiveDate) -> AppResult<Option<CalendarOverride>> {
    let row: Option<(String, String)> = co::table
        .filter(co::date.eq(date))
        .select((co::kind, co::name))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(kind, name)| {
        OverrideKind::parse(&kind).map(|kind| CalendarOverride { date, kind, name })
    }))
}

fn audit(
    conn: &mut DbConn,
    date: NaiveDate,
    action: &str,
    old: Option<&CalendarOverride>,
    new: Option<&CalendarOverride>,
    actor: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    diesel::insert_into(ca::table)
        .values((
            ca::date.eq(date),
            ca::action.eq(action),
            ca::old_kind.eq(old.map(|o| o.kind.as_str())),
            ca::old_name.eq(old.map(|o| o.name.as_str())),
            ca::new_kind.eq(new.map(|o| o.kind.as_str())),
            ca::new_name.eq(new.map(|o| o.name.as_str())),
            ca::actor.eq(actor),
            ca::at.eq(db::to_db(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets (or replaces) the override on a date, records it, and recomputes the deadlines it
/// affects. Runs inside the caller's write transaction.
pub fn set(
    conn: &mut DbConn,
    setup: &CalendarSetup,
    o: CalendarOverride,
    source: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let previous = find(conn, o.date)?;
    if previous.as_ref() == Some(&o) {
        return Ok(Change {
            previous,
            recomputed: 0,
        });
    }
    diesel::delete(co::table.filter(co::date.eq(o.date))).execute(conn)?;
    diesel::insert_into(co::table)
        .values((
            co::date.eq(o.date),
            co::kind.eq(o.kind.as_str()),
            co::name.eq(&o.name),
            co::source.eq(source),
            co::updated_by.eq(actor),
            co::updated_at.eq(db::to_db(now)),
        ))
        .execute(conn)?;
    let action = if previous.is_some() { "replace" } else { "set" };
    audit(
        conn,
        o.date,
        action,
        previous.as_ref(),
        Some(&o),
        actor,
        now,
    )?;
    let reason = format!(
        "calendar change: {} is now {} ({})",
        o.date,
        o.kind.as_str(),
        o.name
    );
    let recomputed = recompute_affected(conn, setup, o.date, &reason, actor, now)?;
    Ok(Change {
        previous,
        recomputed,
    })
}

/// Removes the override on a date (the generated calendar applies again), records it, and
/// recomputes the deadlines it affects. `NotFound` when there is none.
pub fn remove(
    conn: &mut DbConn,
    setup: &CalendarSetup,
    date: NaiveDate,
    actor: &str,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let previous =
        find(conn, date)?.ok_or_else(|| AppError::NotFound(format!("no override on {date}")))?;
    diesel::delete(co::table.filter(co::date.eq(date))).execute(conn)?;
    audit(conn, date, "remove", Some(&previous), None, actor, now)?;
    let reason = format!(
        "calendar change: override on {date} ({}) removed",
        previous.name
    );
    let recomputed = recompute_affected(conn, setup, date, &reason, actor, now)?;
    Ok(Change {
        previous: Some(previous),
        recomputed,
    })
}

/// Open dossiers whose deadline window contains `date` get their deadline computed again
/// with the calendar as it now stands; each change is an event naming the reason. Closed
/// dossiers keep their history.
fn recompute_affected(
    conn: &mut DbConn,
    setup: &CalendarSetup,
    date: NaiveDate,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let (_, calendars) = load(conn, setup)?;
    let tz = calendars.default_calendar().timezone();
    let local_midnight = |day: NaiveDate| {
        day.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(tz).earliest())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| AppError::Internal(format!("no local midnight on {day}")))
    };
    let day_start = local_midnight(date)?;
    let day_end = local_midnight(
        date.succ_opt()
            .ok_or_else(|| AppError::Internal("date overflow".into()))?,
    )?;
    let candidates: Vec<Dossier> = d::table
        .filter(d::status.eq_any(dossiers::OPEN))
        .filter(d::clock_started_at.lt(db::to_db(day_end)))
        .filter(d::due_at.ge(db::to_db(day_start)))
        .select(Dossier::as_select())
        .load(conn)?;
    let mut changed = 0;
    for dossier in candidates {
        let new = deadline::compute(
            calendars.for_office(&dossier.office_code),
            dossier.deadline_basis()?,
        );
        let old_due = db::from_db(dossier.due_at);
        if new.due_at == old_due {
            continue;
        }
        let trace =
            serde_json::to_string(&new.trace).map_err(|e| AppError::Internal(e.to_string()))?;
        diesel::update(d::table.filter(d::id.eq(dossier.id)))
            .set((
                d::due_at.eq(db::to_db(new.due_at)),
                d::deadline_trace.eq(trace),
                d::version.eq(d::version + 1),
            ))
            .execute(conn)?;
        let status = dossier.status()?;
        dossiers::append_event(
            conn,
            dossier.id,
            EventInput {
                action: "deadline_recomputed",
                from_status: Some(status),
                to_status: status,
                actor,
                at: now,
                recorded_at: now,
                note: Some(reason),
                data: Some(serde_json::json!({
                    "date": date,
                    "old_due_at": old_due,
                    "new_due_at": new.due_at,
                })),
                office_code: &dossier.responsible_office_code,
            },
        )?;
        changed += 1;
    }
    Ok(changed)
}

/// The audit history of calendar changes, newest first.
pub fn history(conn: &mut DbConn, page: PageRequest) -> AppResult<Page<AuditEntry>> {
    let total = ca::table.count().get_result(conn)?;
    let items = ca::table
        .order(ca::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(AuditEntry::as_select())
        .load(conn)?;
    Ok(Page { items, total })
}

/// One entry of the shipped arrangements file.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrangement {
    pub date: NaiveDate,
    pub kind: OverrideKind,
    pub name: String,
    pub source: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ArrangementFile {
    #[serde(rename = "override", default)]
    overrides: Vec<Arrangement>,
}

/// The government's yearly arrangements shipped with the service (`calendar/vietnam.toml`).
pub const SHIPPED_ARRANGEMENTS: &str = include_str!("../../calendar/vietnam.toml");

pub fn parse_arrangements(text: &str) -> Result<Vec<Arrangement>, String> {
    toml::from_str::<ArrangementFile>(text)
        .map(|f| f.overrides)
        .map_err(|e| e.to_string())
}

/// Loads arrangements as overrides, each once: an entry already imported (even if an admin
/// later removed or changed it) is not applied again, so an admin's decision stands.
pub fn import(
    conn: &mut DbConn,
    setup: &CalendarSetup,
    entries: &[Arrangement],
    now: DateTime<Utc>,
) -> AppResult<usize> {
    // Replicas starting together import one after the other; the second finds it all done.
    db::exclusive(conn, db::locks::CALENDAR_IMPORT)?;
    let mut applied = 0;
    for e in entries {
        let seen: i64 = ca::table
            .filter(ca::date.eq(e.date))
            .filter(ca::action.eq("import"))
            .filter(ca::new_kind.eq(e.kind.as_str()))
            .count()
            .get_result(conn)?;
        if seen > 0 {
            continue;
        }
        let o = CalendarOverride {
            date: e.date,
            kind: e.kind,
            name: e.name.clone(),
        };
        let previous = find(conn, e.date)?;
        if previous.is_none() {
            set(
                conn,
                setup,
                o.clone(),
                Some(&e.source),
                "motcua-import",
                now,
            )?;
            applied += 1;
        }
        audit(
            conn,
            e.date,
            "import",
            previous.as_ref(),
            Some(&o),
            "motcua-import",
            now,
        )?;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_arrangements_parse_and_name_their_source()
    -> Result<(), Box<dyn std::error::Error>> {
        let entries = parse_arrangements(SHIPPED_ARRANGEMENTS)?;
        assert!(!entries.is_empty());
        for e in &entries {
            assert!(
                !e.name.trim().is_empty() && !e.source.trim().is_empty(),
                "{e:?}"
            );
        }
        Ok(())
    }
}
