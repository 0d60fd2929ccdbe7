//! Idempotency keys: a retried write with the same key and body gets the original response.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::idempotency_keys as ik;
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};

/// How long a key is kept at least (API.md: 24 hours); the cleanup keeps twice that.
pub const RETENTION_HOURS: i64 = 48;

/// A write's key: scoped to the user and the method + path, with a hash of the request body.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub username: String,
    pub scope: String,
    pub key: String,
    pub request_hash: String,
}

/// The response a write produced, as kept for replays.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

/// The stored response for this key, or `IdempotencyMismatch` if the key came with another body.
pub fn lookup(conn: &mut DbConn, k: &IdempotencyKey) -> AppResult<Option<StoredResponse>> {
    let row: Option<(String, i32, String, Option<String>)> = ik::table
        .filter(
            ik::username
                .eq(&k.username)
                .and(ik::scope.eq(&k.scope))
                .and(ik::key.eq(&k.key)),
        )
        .select((
            ik::request_hash,
            ik::status_code,
            ik::response_body,
            ik::location,
        ))
        .first(conn)
        .optional()?;
    match row {
        None => Ok(None),
        Some((hash, _, _, _)) if hash != k.request_hash => Err(AppError::IdempotencyMismatch),
        Some((_, status, body, location)) => Ok(Some(StoredResponse {
            status: status as u16,
            body,
            location,
        })),
    }
}

/// Records the response inside the write's own transaction, so both land or neither does.
pub fn store(
    conn: &mut DbConn,
    k: &IdempotencyKey,
    resp: &StoredResponse,
) -> Result<(), diesel::result::Error> {
    diesel::insert_into(ik::table)
        .values((
            ik::username.eq(&k.username),
            ik::scope.eq(&k.scope),
            ik::key.eq(&k.key),
            ik::request_hash.eq(&k.request_hash),
            ik::status_code.eq(i32::from(resp.status)),
            ik::response_body.eq(&resp.body),
            ik::location.eq(&resp.location),
            ik::created_at.eq(db::to_db(db::now())),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Forgets keys older than the retention period; returns how many.
pub fn purge(conn: &mut DbConn, now: DateTime<Utc>) -> AppResult<usize> {
    let cutoff = db::to_db(now - chrono::Duration::hours(RETENTION_HOURS));
    Ok(diesel::delete(ik::table.filter(ik::created_at.lt(cutoff))).execute(conn)?)
}

/// Runs a write once per key: a replay returns the stored response; a concurrent first use
/// that loses the race on the key's primary key finds the winner's response instead.
pub fn run_once(
    conn: &mut DbConn,
    key: Option<&IdempotencyKey>,
    write: impl Fn(&mut DbConn) -> AppResult<StoredResponse>,
) -> AppResult<StoredResponse> {
    let Some(k) = key else {
        return db::write_tx(conn, |c| write(c));
    };
    let attempt = db::write_tx(conn, |c| {
        if let Some(stored) = lookup(c, k)? {
            return Ok(stored);
        }
        let resp = write(c)?;
        store(c, k, &resp).map_err(KeyRace::from_store)?;
        Ok(resp)
    });
    match attempt {
        Err(AppError::Conflict {
            code: KeyRace::CODE,
            ..
        }) => lookup(conn, k)?
            .ok_or_else(|| AppError::conflict("the request is being processed; retry it")),
        other => other,
    }
}

struct KeyRace;

impl KeyRace {
    const CODE: &'static str = "idempotency_key_race";

    fn from_store(e: diesel::result::Error) -> AppError {
        if db::is_unique_violation(&e) {
            AppError::Conflict {
                code: Self::CODE,
                detail: "concurrent use of an Idempotency-Key".into(),
            }
        } else {
            e.into()
        }
    }
}
