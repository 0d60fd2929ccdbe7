//! Complaints and recommendations (phản ánh, kiến nghị) about a dossier: filed by the citizen,
//! answered by the agency responsible for the dossier when it was filed, within
//! `complaints.deadline`. The first one sets the dossier's `first_complaint_at` (the scorecard
//! reads it) in its own transaction; the answer queues the `complaint_answer` messages in its.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::DbBackend;
use crate::authz::Scope;
use crate::db::schema::{complaints as c, dossiers};
use crate::db::{self, DbConn, from_db};
use crate::domain::calendar::{ProcessingTime, WorkingCalendar};
use crate::domain::satisfaction::{self, ComplaintKind};
use crate::error::{AppError, AppResult};
use crate::store::dossiers::Dossier;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = c)]
pub struct Complaint {
    pub id: i64,
    pub dossier_id: i64,
    pub dossier_code: String,
    /// The agency responsible for the dossier when the complaint was filed: it answers.
    pub office_code: String,
    pub kind: String,
    pub text: String,
    pub filed_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub answer: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub answered_by: Option<String>,
    pub answered_late: Option<bool>,
}

impl Complaint {
    pub fn status(&self) -> &'static str {
        satisfaction::complaint_status(self.answered_at.map(from_db))
    }

    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        satisfaction::open_overdue(from_db(self.due_at), self.answered_at.map(from_db), now)
    }
}

/// Files a complaint about `d`, due `deadline` after `now` in the responsible agency's
/// calendar; the dossier's `first_complaint_at` is set when it is the first.
pub fn file(
    conn: &mut DbConn,
    cal: &WorkingCalendar,
    deadline: ProcessingTime,
    d: &Dossier,
    kind: ComplaintKind,
    text: &str,
    now: DateTime<Utc>,
) -> AppResult<Complaint> {
    let due_at = satisfaction::complaint_due_at(cal, now, deadline);
    db::write_tx(conn, |conn| {
        let values = (
            c::dossier_id.eq(d.id),
            c::dossier_code.eq(&d.code),
            c::office_code.eq(&d.responsible_office_code),
            c::kind.eq(kind.as_str()),
            c::text.eq(text),
            c::filed_at.eq(db::to_db(now)),
            c::due_at.eq(db::to_db(due_at)),
        );
        let id: i64 = on_backend!(conn, |x| diesel::insert_into(c::table)
            .values(values)
            .returning(c::id)
            .get_result(x))?;
        diesel::update(
            dossiers::table
                .filter(dossiers::id.eq(d.id))
                .filter(dossiers::first_complaint_at.is_null()),
        )
        .set(dossiers::first_complaint_at.eq(db::to_db(now)))
        .execute(conn)?;
        find(conn, id)?.ok_or_else(|| AppError::Internal("the complaint just filed is gone".into()))
    })
}

pub fn find(conn: &mut DbConn, id: i64) -> AppResult<Option<Complaint>> {
    Ok(c::table
        .filter(c::id.eq(id))
        .select(Complaint::as_select())
        .first(conn)
        .optional()?)
}

/// A dossier's complaints, oldest first.
pub fn for_dossier(conn: &mut DbConn, dossier_id: i64) -> AppResult<Vec<Complaint>> {
    Ok(c::table
        .filter(c::dossier_id.eq(dossier_id))
        .order(c::id.asc())
        .select(Complaint::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter {
    /// `open` or `answered`.
    pub answered: Option<bool>,
    /// Open and past due at `now`.
    pub overdue: bool,
    pub office: Option<String>,
}

/// Where a page of the list ends: the due instant and id of its last complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub due_at: NaiveDateTime,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.due_at.and_utc().timestamp_micros(), self.id)
    }

    pub fn parse(s: &str) -> Option<Cursor> {
        let (micros, id) = s.split_once('.')?;
        let due_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
        Some(Cursor {
            due_at,
            id: id.parse().ok()?,
        })
    }
}

/// Complaints within `scope` (the offices that answer them), the earliest due first (so the
/// overdue list is most overdue first), `limit` after `after`.
pub fn list(
    conn: &mut DbConn,
    f: &ComplaintFilter,
    scope: &Scope,
    after: Option<Cursor>,
    limit: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<Complaint>> {
    let mut q = c::table.into_boxed::<DbBackend>();
    if let Scope::Offices(list) = scope {
        q = q.filter(c::office_code.eq_any(list.clone()));
    }
    if let Some(o) = &f.office {
        q = q.filter(c::office_code.eq(o.clone()));
    }
    match f.answered {
        Some(true) => q = q.filter(c::answered_at.is_not_null()),
        Some(false) => q = q.filter(c::answered_at.is_null()),
        None => {}
    }
    if f.overdue {
        q = q
            .filter(c::answered_at.is_null())
            .filter(c::due_at.lt(db::to_db(now)));
    }
    if let Some(a) = after {
        q = q.filter(
            c::due_at
                .gt(a.due_at)
                .or(c::due_at.eq(a.due_at).and(c::id.gt(a.id))),
        );
    }
    Ok(q.order((c::due_at.asc(), c::id.asc()))
        .limit(limit)
        .select(Complaint::as_select())
        .load(conn)?)
}

/// Records the answer (409 when it was answered already) and queues the `complaint_answer`
/// messages on the dossier's channels in the same transaction.
pub fn answer(
    conn: &mut DbConn,
    id: i64,
    answer: &str,
    by: &str,
    now: DateTime<Utc>,
) -> AppResult<Complaint> {
    db::write_tx(conn, |conn| {
        let found = find(conn, id)?.ok_or_else(|| AppError::not_found("complaint"))?;
        let late = satisfaction::answered_late(from_db(found.due_at), now);
        let n = diesel::update(
            c::table
                .filter(c::id.eq(id))
                .filter(c::answered_at.is_null()),
        )
        .set((
            c::answer.eq(answer),
            c::answered_at.eq(db::to_db(now)),
            c::answered_by.eq(by),
            c::answered_late.eq(late),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(AppError::Conflict {
                code: "already_answered",
                detail: "this complaint has been answered already".into(),
            });
        }
        let d = crate::store::dossiers::find_by_id(conn, found.dossier_id)?
            .ok_or_else(|| AppError::Internal("the complaint's dossier is gone".into()))?;
        crate::store::notices::queue_complaint_answer(conn, &d, id, now)?;
        find(conn, id)?
            .ok_or_else(|| AppError::Internal("the complaint just answered is gone".into()))
    })
}
