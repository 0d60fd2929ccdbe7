//! Gap-free numbers: dossier codes count per office and local day, apology letters per office
//! and year. One upsert bumps the counter row and returns the new number inside the caller's
//! transaction, so the row lock hands out each number once, whichever replica asks.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Date, Integer, Text};

use crate::db::DbConn;
use crate::error::{AppError, AppResult};

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = Integer)]
    last_seq: i32,
}

/// The upsert for `table`, whose key is (office_code, `key`), in the backend's placeholders.
fn upsert(conn: &DbConn, table: &str, key: &str) -> String {
    let (a, b) = match conn {
        DbConn::Postgres(_) => ("$1", "$2"),
        DbConn::Sqlite(_) => ("?", "?"),
    };
    format!(
        "INSERT INTO {table} (office_code, {key}, last_seq) VALUES ({a}, {b}, 1) \
         ON CONFLICT (office_code, {key}) DO UPDATE SET last_seq = {table}.last_seq + 1 \
         RETURNING last_seq"
    )
}

fn first(rows: Vec<Seq>, what: &str) -> AppResult<i32> {
    rows.first()
        .map(|r| r.last_seq)
        .ok_or_else(|| AppError::Internal(format!("{what} counter returned no row")))
}

/// The next dossier number of `office` on the local `day`.
pub fn next_dossier_number(conn: &mut DbConn, office: &str, day: NaiveDate) -> AppResult<u32> {
    let sql = upsert(conn, "dossier_counters", "day");
    let rows = diesel::sql_query(sql)
        .bind::<Text, _>(office)
        .bind::<Date, _>(day)
        .load(conn)?;
    let seq = first(rows, "dossier")?;
    u32::try_from(seq).map_err(|_| AppError::Internal("negative dossier counter".into()))
}

/// The next apology letter number of `office` in `year`.
pub fn next_letter_number(conn: &mut DbConn, office: &str, year: i32) -> AppResult<i32> {
    let sql = upsert(conn, "letter_counters", "year");
    let rows = diesel::sql_query(sql)
        .bind::<Text, _>(office)
        .bind::<Integer, _>(year)
        .load(conn)?;
    first(rows, "letter")
}
