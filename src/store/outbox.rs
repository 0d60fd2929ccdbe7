//! The transactional outbox: emails written in the same transaction as the change that causes
//! them, claimed by one process at a time under a lease, retried with backoff, never lost.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::schema::{apology_letters as al, outbox as ob};
use crate::db::{self, DbConn};
use crate::error::AppResult;
use crate::mail::Email;

/// One queued email.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ob)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub dedupe_key: String,
    pub letter_id: Option<i64>,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub message_id: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

impl OutboxRow {
    /// The stored text (for messages rendered when they were queued).
    pub fn email(&self) -> Email {
        Email {
            subject: self.subject.clone(),
            text: self.body_text.clone(),
            html: self.body_html.clone(),
            attachments: Vec::new(),
        }
    }

    /// Whether the worker renders this message from its letter when it sends it.
    pub fn rendered_at_delivery(&self) -> Option<i64> {
        self.letter_id.filter(|_| self.kind == APOLOGY_LETTER)
    }
}

/// The kind of an apology letter's email: rendered at delivery from its letter (`letter_id`),
/// rows queued before that was so included (their stored text is not used).
pub const APOLOGY_LETTER: &str = "apology_letter";

pub struct NewMessage<'a> {
    pub kind: &'a str,
    /// Unique per message: a second enqueue with the same key is ignored.
    pub dedupe_key: &'a str,
    pub letter_id: Option<i64>,
    pub recipient: &'a str,
    pub message_id: &'a str,
    /// The text to send, or `None` for a message the worker renders when it sends.
    pub email: Option<&'a Email>,
}

/// Queues an email inside the caller's transaction; returns false when it was queued before.
pub fn enqueue(conn: &mut DbConn, m: NewMessage<'_>, now: DateTime<Utc>) -> AppResult<bool> {
    let exists: i64 = ob::table
        .filter(ob::dedupe_key.eq(m.dedupe_key))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    let (subject, text, html) = match m.email {
        Some(e) => (e.subject.as_str(), e.text.as_str(), e.html.as_str()),
        None => ("", "", ""),
    };
    diesel::insert_into(ob::table)
        .values((
            ob::kind.eq(m.kind),
            ob::dedupe_key.eq(m.dedupe_key),
            ob::letter_id.eq(m.letter_id),
            ob::recipient.eq(m.recipient),
            ob::subject.eq(subject),
            ob::body_text.eq(text),
            ob::body_html.eq(html),
            ob::message_id.eq(m.message_id),
            ob::status.eq("pending"),
            ob::attempts.eq(0),
            ob::next_attempt_at.eq(db::to_db(now)),
            ob::created_at.eq(db::to_db(now)),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Claims up to `limit` messages that are due and not leased by a live process: the lease lets
/// exactly one process send each, and lets another take over once it expires (a crash).
/// `webhooks` picks the channels: the HTTP ones (webhooks, the national portal), or the emails.
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    now: DateTime<Utc>,
    lease_secs: i64,
    limit: i64,
    webhooks: bool,
) -> AppResult<Vec<OutboxRow>> {
    let until = db::to_db(now + chrono::Duration::seconds(lease_secs));
    let now_db = db::to_db(now);
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let ids: Vec<Id> = db::write_tx(conn, |conn| -> Result<Vec<Id>, diesel::result::Error> {
        match conn {
            DbConn::Postgres(c) => diesel::sql_query(
                "UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE id IN ( \
                   SELECT id FROM outbox WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $3 \
                   AND (lease_until IS NULL OR lease_until < $3) AND ((kind IN ('webhook', 'national_sync')) = $5) \
                   ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 RETURNING id",
            )
            .bind::<Text, _>(owner)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now_db)
            .bind::<BigInt, _>(limit)
            .bind::<diesel::sql_types::Bool, _>(webhooks)
            .load(c),
            // One writer at a time on SQLite: the immediate transaction is the lock.
            DbConn::Sqlite(c) => diesel::sql_query(
                "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN ( \
                   SELECT id FROM outbox WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ? \
                   AND (lease_until IS NULL OR lease_until < ?) AND ((kind IN ('webhook', 'national_sync')) = ?) \
                   ORDER BY id LIMIT ?) \
                 RETURNING id",
            )
            .bind::<Text, _>(owner)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now_db)
            .bind::<Timestamp, _>(now_db)
            .bind::<diesel::sql_types::Bool, _>(webhooks)
            .bind::<BigInt, _>(limit)
            .load(c),
        }
    })?;
    let ids: Vec<i64> = ids.into_iter().map(|i| i.id).collect();
    Ok(ob::table
        .filter(ob::id.eq_any(&ids))
        .order(ob::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// Records a delivery; only the lease holder's word counts.
pub fn mark_sent(
    conn: &mut DbConn,
    row: &OutboxRow,
    owner: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    db::write_tx(conn, |conn| {
        let n = diesel::update(
            ob::table
                .filter(ob::id.eq(row.id))
                .filter(ob::lease_owner.eq(owner)),
        )
        .set((
            ob::status.eq("sent"),
            ob::attempts.eq(ob::attempts + 1),
            ob::sent_at.eq(db::to_db(now)),
            ob::lease_owner.eq(None::<String>),
            ob::lease_until.eq(None::<NaiveDateTime>),
            ob::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
        if n > 0
            && let Some(letter) = row.letter_id
        {
            diesel::update(al::table.filter(al::id.eq(letter)))
                .set((
                    al::delivery_status.eq("sent"),
                    al::attempts.eq(row.attempts + 1),
                    al::sent_at.eq(db::to_db(now)),
                    al::last_error.eq(None::<String>),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Records a failed attempt: retry after `base · 2^(attempts-1)` seconds, or give up after
/// `max_attempts` and show the letter as failed with the error.
pub fn mark_failed(
    conn: &mut DbConn,
    row: &OutboxRow,
    owner: &str,
    error: &str,
    now: DateTime<Utc>,
    base_secs: u64,
    max_attempts: u32,
) -> AppResult<()> {
    let attempts = row.attempts + 1;
    let give_up = attempts as u32 >= max_attempts;
    let delay = base_secs
        .saturating_mul(1u64 << (attempts as u32 - 1).min(20))
        .min(86_400);
    let next = now + chrono::Duration::seconds(delay as i64);
    let status = if give_up { "failed" } else { "retrying" };
    let error: String = error.chars().take(500).collect();
    db::write_tx(conn, |conn| {
        let n = diesel::update(
            ob::table
                .filter(ob::id.eq(row.id))
                .filter(ob::lease_owner.eq(owner)),
        )
        .set((
            ob::status.eq(status),
            ob::attempts.eq(attempts),
            ob::next_attempt_at.eq(db::to_db(next)),
            ob::lease_owner.eq(None::<String>),
            ob::lease_until.eq(None::<NaiveDateTime>),
            ob::last_error.eq(&error),
        ))
        .execute(conn)?;
        if n > 0
            && let Some(letter) = row.letter_id
        {
            diesel::update(al::table.filter(al::id.eq(letter)))
                .set((
                    al::delivery_status.eq(status),
                    al::attempts.eq(attempts),
                    al::last_error.eq(&error),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Gives back the leases a stopping process still holds, so another takes over at once.
pub fn release(conn: &mut DbConn, owner: &str) -> AppResult<usize> {
    Ok(diesel::update(
        ob::table
            .filter(ob::lease_owner.eq(owner))
            .filter(ob::status.ne("sent")),
    )
    .set((
        ob::lease_owner.eq(None::<String>),
        ob::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?)
}

/// Messages waiting to be sent (for metrics and the sweep's report).
pub fn backlog(conn: &mut DbConn) -> AppResult<i64> {
    Ok(ob::table
        .filter(ob::status.eq_any(["pending", "retrying"]))
        .count()
        .get_result(conn)?)
}

/// Gives back the leases on these messages.
pub fn release_ids(conn: &mut DbConn, owner: &str, ids: &[i64]) -> AppResult<usize> {
    Ok(diesel::update(
        ob::table
            .filter(ob::lease_owner.eq(owner))
            .filter(ob::id.eq_any(ids)),
    )
    .set((
        ob::lease_owner.eq(None::<String>),
        ob::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?)
}
