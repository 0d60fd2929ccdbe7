//! The figures `/metrics` reads from the database at scrape time: each an indexed count over
//! the small open or waiting part of a table, never a scan of the whole history.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{apology_letters, dossiers, outbox};
use crate::db::{self, DbConn};
use crate::error::AppResult;
use crate::store::dossiers::{OPEN, RUNNING};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gauges {
    pub on_track: i64,
    pub due_soon: i64,
    pub overdue: i64,
    pub paused: i64,
    pub outbox_backlog: i64,
    pub outbox_oldest_due_secs: i64,
    /// Letters per delivery state, in state order.
    pub letters: Vec<(String, i64)>,
}

/// Open dossiers by timeliness as of `now` (due soon: due by `horizon`), the outbox backlog and
/// the letters by delivery state.
pub fn read(conn: &mut DbConn, now: DateTime<Utc>, horizon: DateTime<Utc>) -> AppResult<Gauges> {
    let (now_db, horizon_db) = (db::to_db(now), db::to_db(horizon));
    let open = || dossiers::table.filter(dossiers::status.eq_any(OPEN));
    let running = || open().filter(dossiers::status.eq_any(RUNNING));
    let overdue: i64 = running()
        .filter(dossiers::due_at.lt(now_db))
        .count()
        .get_result(conn)?;
    let due_soon: i64 = running()
        .filter(dossiers::due_at.ge(now_db))
        .filter(dossiers::due_at.le(horizon_db))
        .count()
        .get_result(conn)?;
    let on_track: i64 = running()
        .filter(dossiers::due_at.gt(horizon_db))
        .count()
        .get_result(conn)?;
    let paused: i64 = open()
        .filter(dossiers::status.ne_all(RUNNING))
        .count()
        .get_result(conn)?;
    let waiting = || outbox::table.filter(outbox::status.eq_any(["pending", "retrying"]));
    let outbox_backlog: i64 = waiting().count().get_result(conn)?;
    let oldest: Option<chrono::NaiveDateTime> = waiting()
        .select(diesel::dsl::min(outbox::next_attempt_at))
        .first(conn)?;
    let outbox_oldest_due_secs = oldest
        .map(|t| (now - db::from_db(t)).num_seconds().max(0))
        .unwrap_or(0);
    let letters: Vec<(String, i64)> = apology_letters::table
        .group_by(apology_letters::delivery_status)
        .select((apology_letters::delivery_status, diesel::dsl::count_star()))
        .order_by(apology_letters::delivery_status)
        .load(conn)?;
    Ok(Gauges {
        on_track,
        due_soon,
        overdue,
        paused,
        outbox_backlog,
        outbox_oldest_due_secs,
        letters,
    })
}
