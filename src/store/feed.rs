//! The event feed: every dossier event in commit order, behind a cursor.
//!
//! An event's `id` is taken when its transaction inserts it, not when it commits, so on
//! PostgreSQL two writers can commit out of order (id 6 visible while id 5 is still running).
//! A reader paging by id would then skip 5 for good. So the feed does not page by id: each
//! event gets a `feed_position` after it has committed, handed out by one assigner at a time
//! (an advisory lock on PostgreSQL; SQLite has one writer anyway) to the committed events that
//! have none yet, in id order, each pass continuing from the highest position given so far.
//! A position is therefore never given twice and never given to an event below one already
//! visible: a reader that follows `feed_position > cursor` sees every committed event exactly
//! once. Events of one dossier get positions in the order of their `seq`: every writer holds the
//! dossier's row while it appends, so a later event is inserted (and takes its id) only after the
//! earlier one has committed. An event waits at most until the next pass: readers run one
//! before they read, and the background worker every second.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::authz::Scope;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};

/// How many events one pass positions, so that a backlog (a bulk load, a long outage of the
/// worker) is worked off in short transactions.
const ASSIGN_BATCH: i64 = 5000;

/// Gives positions to committed events that have none; returns how many it positioned.
pub fn assign_positions(conn: &mut DbConn) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let pending: Option<i64> = crate::db::schema::dossier_events::table
            .filter(crate::db::schema::dossier_events::feed_position.is_null())
            .select(crate::db::schema::dossier_events::id)
            .order(crate::db::schema::dossier_events::id.asc())
            .first(conn)
            .optional()?;
        if pending.is_none() {
            return Ok(total);
        }
        let n = db::write_tx(conn, |c| -> AppResult<usize> {
            db::exclusive(c, db::locks::FEED)?;
            // The lock is taken by its own statement, so this one sees every pass before it.
            Ok(diesel::sql_query(format!(
                "WITH pending AS (SELECT id FROM dossier_events WHERE feed_position IS NULL \
                   ORDER BY id LIMIT {ASSIGN_BATCH}), \
                 top AS (SELECT COALESCE(MAX(feed_position), 0) AS top FROM dossier_events), \
                 numbered AS (SELECT p.id, top.top + ROW_NUMBER() OVER (ORDER BY p.id) AS pos \
                   FROM pending p CROSS JOIN top) \
                 UPDATE dossier_events SET feed_position = numbered.pos FROM numbered \
                 WHERE dossier_events.id = numbered.id"
            ))
            .execute(c)?)
        })?;
        total += n;
        if n < ASSIGN_BATCH as usize {
            return Ok(total);
        }
    }
}

/// One event as the feed gives it.
#[derive(Debug, Clone, QueryableByName)]
pub struct FeedEvent {
    #[diesel(sql_type = BigInt)]
    pub feed_position: i64,
    #[diesel(sql_type = Text)]
    pub dossier_code: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub seq: i32,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub from_status: Option<String>,
    #[diesel(sql_type = Text)]
    pub to_status: String,
    #[diesel(sql_type = Timestamp)]
    pub at: chrono::NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    pub recorded_at: chrono::NaiveDateTime,
    #[diesel(sql_type = Nullable<Text>)]
    pub data: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub office_code: Option<String>,
}

/// Up to `limit` positioned events after `after`, in feed order, of the dossiers the scope may
/// see (received by, held by, or with a step at an office in scope).
pub fn page(conn: &mut DbConn, scope: &Scope, after: i64, limit: i64) -> AppResult<Vec<FeedEvent>> {
    let visible = match scope {
        Scope::All => "1 = 1".to_owned(),
        Scope::Offices(list) => {
            let set = super::reports::office_set(list)?;
            format!(
                "(d.office_code IN ({set}) OR d.responsible_office_code IN ({set}) OR EXISTS \
                 (SELECT 1 FROM dossier_steps s WHERE s.dossier_id = d.id AND s.office_code IN ({set})))"
            )
        }
    };
    let sql = format!(
        "SELECT e.feed_position, d.code AS dossier_code, e.seq, e.action, e.from_status, \
           e.to_status, e.at, e.recorded_at, e.data, e.office_code \
         FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id \
         WHERE e.feed_position > {after} AND {visible} \
         ORDER BY e.feed_position LIMIT {limit}"
    );
    if after < 0 || !(1..=10_000).contains(&limit) {
        return Err(AppError::Internal("feed page out of range".into()));
    }
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// The cursor a client holds: opaque to it, a position to the feed.
pub fn cursor(position: i64) -> String {
    format!("1-{position:x}")
}

/// The position a cursor stands for, or `None` for something that is not a cursor.
pub fn parse_cursor(s: &str) -> Option<i64> {
    let hex = s.strip_prefix("1-")?;
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    i64::from_str_radix(hex, 16).ok().filter(|p| *p >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_nothing_else_parses() {
        for p in [0, 1, 255, 1 << 40, i64::MAX] {
            assert_eq!(parse_cursor(&cursor(p)), Some(p));
        }
        for bad in [
            "",
            "1-",
            "2-10",
            "1-xyz",
            "1--5",
            "10",
            "1-10000000000000000",
        ] {
            assert_eq!(parse_cursor(bad), None, "{bad}");
        }
    }
}
