//! The transactional outbox, the one way anything leaves the process: each message (an email,
//! an SMS, a Zalo message, of one kind, to one recipient) is a row written in the same
//! transaction as the change that causes it, unique per occurrence and channel, claimed by one
//! process at a time under a lease, retried with backoff, never lost. Rows hold facts, not
//! texts: the delivery worker renders them.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::schema::{apology_letters as al, outbox as ob};
use crate::db::{self, DbConn};
use crate::error::AppResult;

/// One queued message.
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
    pub channel: String,
    pub dossier_id: Option<i64>,
    pub dossier_code: Option<String>,
    pub office_code: Option<String>,
    pub data: Option<String>,
}

impl OutboxRow {
    /// The occurrence's facts as stored (an empty object when there are none).
    pub fn data(&self) -> serde_json::Value {
        self.data
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_else(|| serde_json::json!({}))
    }
}

/// The kind of an apology letter's messages: rendered at delivery from its letter.
pub const APOLOGY: &str = "apology";

pub struct NewMessage<'a> {
    pub kind: &'a str,
    pub channel: &'a str,
    /// Unique per message (`kind:occurrence:channel`): a second enqueue with the same key is
    /// ignored, so an occurrence is told once per channel.
    pub dedupe_key: &'a str,
    /// The letter whose `delivery_status` this message's delivery is.
    pub letter_id: Option<i64>,
    pub dossier: Option<(i64, &'a str)>,
    /// The office whose supervisors see it in their list.
    pub office_code: Option<&'a str>,
    /// Empty for a skipped message.
    pub recipient: &'a str,
    /// The stable id the transport sends (Message-ID, reference, tracking_id).
    pub message_id: &'a str,
    /// The occurrence's facts the worker renders from.
    pub data: Option<&'a serde_json::Value>,
    /// `Some(reason)`: there is no way to send it on this channel; the row is `skipped`.
    pub skipped: Option<&'a str>,
}

/// Queues a message inside the caller's transaction; returns false when it was queued before.
pub fn enqueue(conn: &mut DbConn, m: NewMessage<'_>, now: DateTime<Utc>) -> AppResult<bool> {
    let exists: i64 = ob::table
        .filter(ob::dedupe_key.eq(m.dedupe_key))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    insert(conn, m, now)?;
    Ok(true)
}

/// Queues a message known to be new (its occurrence was created in this transaction: a
/// receipt), without looking for an earlier one; the unique key still refuses a duplicate.
pub fn insert(conn: &mut DbConn, m: NewMessage<'_>, now: DateTime<Utc>) -> AppResult<()> {
    insert_all(conn, std::slice::from_ref(&m), now)
}

/// Queues messages known to be new in one statement (a receipt's, one per channel): one round
/// trip inside the receipt's transaction however many channels there are.
pub fn insert_all(conn: &mut DbConn, all: &[NewMessage<'_>], now: DateTime<Utc>) -> AppResult<()> {
    if all.is_empty() {
        return Ok(());
    }
    let at = db::to_db(now);
    // Owned values: a statement of a fixed number of rows is cached only for 'static values.
    let rows = || -> Vec<_> {
        all.iter()
            .map(|m| {
                (
                    ob::kind.eq(m.kind.to_owned()),
                    ob::channel.eq(m.channel.to_owned()),
                    ob::dedupe_key.eq(m.dedupe_key.to_owned()),
                    ob::letter_id.eq(m.letter_id),
                    ob::dossier_id.eq(m.dossier.map(|d| d.0)),
                    ob::dossier_code.eq(m.dossier.map(|d| d.1.to_owned())),
                    ob::office_code.eq(m.office_code.map(str::to_owned)),
                    ob::recipient.eq(m.recipient.to_owned()),
                    ob::subject.eq(""),
                    ob::body_text.eq(""),
                    ob::body_html.eq(""),
                    ob::message_id.eq(m.message_id.to_owned()),
                    ob::status.eq(if m.skipped.is_some() {
                        "skipped"
                    } else {
                        "pending"
                    }),
                    ob::attempts.eq(0),
                    ob::next_attempt_at.eq(at),
                    ob::last_error.eq(m.skipped.map(str::to_owned)),
                    ob::created_at.eq(at),
                    ob::data.eq(m.data.map(|d| d.to_string())),
                )
            })
            .collect()
    };
    // One multi-row INSERT, built by the connection's own backend (the multi-backend
    // connection cannot). One, two or three rows (a receipt's channels) go as arrays, whose
    // statements are prepared once per connection and cached; more as a list, prepared each time.
    macro_rules! insert {
        ($c:expr) => {{
            let rows = rows();
            match <[_; 1]>::try_from(rows) {
                Ok(one) => diesel::insert_into(ob::table).values(one).execute($c),
                Err(rows) => match <[_; 2]>::try_from(rows) {
                    Ok(two) => diesel::insert_into(ob::table).values(two).execute($c),
                    Err(rows) => match <[_; 3]>::try_from(rows) {
                        Ok(three) => diesel::insert_into(ob::table).values(three).execute($c),
                        Err(rows) => diesel::insert_into(ob::table).values(rows).execute($c),
                    },
                },
            }
        }};
    }
    match conn {
        DbConn::Postgres(c) => insert!(c)?,
        DbConn::Sqlite(c) => insert!(c)?,
    };
    Ok(())
}

/// The citizens' channels a process has a transport for, as a literal SQL list of known names
/// (webhook deliveries are told apart by their kind); `None` when there is nothing to send.
fn channel_list(channels: &[&str], webhooks: bool) -> Option<String> {
    let list = channels
        .iter()
        .filter(|c| crate::domain::notice::NoticeChannel::parse(c).is_some())
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    match (list.is_empty(), webhooks) {
        (true, false) => None,
        (true, true) => Some("''".to_owned()),
        (false, _) => Some(list),
    }
}

/// Whether anything is due for a process sending on `channels` and the HTTP targets: one read
/// on the due index, so that polling often costs no write (on SQLite, no write lock) while the
/// outbox is empty.
pub fn any_due(conn: &mut DbConn, channels: &[&str], now: DateTime<Utc>) -> AppResult<bool> {
    let list = channel_list(channels, true).unwrap_or_else(|| "''".to_owned());
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM outbox WHERE status IN ('pending', 'retrying') \
           AND next_attempt_at <= {p1} AND (lease_until IS NULL OR lease_until < {p1}) \
           AND (kind IN ('webhook', 'national_sync') OR channel IN ({list})) LIMIT 1) AS due",
        p1 = if matches!(conn, DbConn::Postgres(_)) {
            "$1"
        } else {
            "?1"
        },
    );
    let now_db = db::to_db(now);
    let n: N = match conn {
        DbConn::Postgres(c) => diesel::sql_query(sql)
            .bind::<Timestamp, _>(now_db)
            .get_result(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(sql)
            .bind::<Timestamp, _>(now_db)
            .get_result(c)?,
    };
    Ok(n.n > 0)
}

/// Claims up to `limit` messages that are due and not leased by a live process: the lease lets
/// exactly one process send each, and lets another take over once it expires (a crash).
/// `webhooks` picks the HTTP channels (webhooks, the national portal); otherwise the messages
/// of `channels`.
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    channels: &[&str],
    now: DateTime<Utc>,
    lease_secs: i64,
    limit: i64,
    webhooks: bool,
) -> AppResult<Vec<OutboxRow>> {
    let Some(list) = channel_list(channels, webhooks) else {
        return Ok(Vec::new());
    };
    let until = db::to_db(now + chrono::Duration::seconds(lease_secs));
    let now_db = db::to_db(now);
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let ids: Vec<Id> = db::write_tx(conn, |conn| -> Result<Vec<Id>, diesel::result::Error> {
        match conn {
            DbConn::Postgres(c) => diesel::sql_query(format!(
                "UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE id IN ( \
                   SELECT id FROM outbox WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $3 \
                   AND (lease_until IS NULL OR lease_until < $3) AND ((kind IN ('webhook', 'national_sync')) = $5) \
                   AND (kind IN ('webhook', 'national_sync') OR channel IN ({list})) \
                   ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 RETURNING id",
            ))
            .bind::<Text, _>(owner)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now_db)
            .bind::<BigInt, _>(limit)
            .bind::<diesel::sql_types::Bool, _>(webhooks)
            .load(c),
            // One writer at a time on SQLite: the immediate transaction is the lock.
            DbConn::Sqlite(c) => diesel::sql_query(format!(
                "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN ( \
                   SELECT id FROM outbox WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ? \
                   AND (lease_until IS NULL OR lease_until < ?) AND ((kind IN ('webhook', 'national_sync')) = ?) \
                   AND (kind IN ('webhook', 'national_sync') OR channel IN ({list})) \
                   ORDER BY id LIMIT ?) \
                 RETURNING id",
            ))
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
    mark_unsent(conn, row, owner, error, false, now, base_secs, max_attempts)
}

/// Records a failed attempt; `permanent` (the gateway refused the message itself: a 4xx, an
/// unknown number) gives up at once instead of retrying.
#[allow(clippy::too_many_arguments)]
pub fn mark_unsent(
    conn: &mut DbConn,
    row: &OutboxRow,
    owner: &str,
    error: &str,
    permanent: bool,
    now: DateTime<Utc>,
    base_secs: u64,
    max_attempts: u32,
) -> AppResult<()> {
    let attempts = row.attempts + 1;
    let give_up = permanent || attempts as u32 >= max_attempts;
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

/// Records that the message cannot go on its channel (no template for its kind…): `skipped`,
/// with the reason, and never tried again.
pub fn mark_skipped(
    conn: &mut DbConn,
    row: &OutboxRow,
    owner: &str,
    reason: &str,
) -> AppResult<()> {
    diesel::update(
        ob::table
            .filter(ob::id.eq(row.id))
            .filter(ob::lease_owner.eq(owner)),
    )
    .set((
        ob::status.eq("skipped"),
        ob::lease_owner.eq(None::<String>),
        ob::lease_until.eq(None::<NaiveDateTime>),
        ob::last_error.eq(reason),
    ))
    .execute(conn)?;
    Ok(())
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

/// The messages of one dossier, oldest first.
pub fn for_dossier(conn: &mut DbConn, dossier_id: i64) -> AppResult<Vec<OutboxRow>> {
    Ok(ob::table
        .filter(ob::dossier_id.eq(dossier_id))
        .order(ob::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)?)
}

#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub kind: Option<String>,
    pub office: Option<String>,
}

fn filtered<'a>(
    f: &'a MessageFilter,
    scope: &'a crate::authz::Scope,
) -> ob::BoxedQuery<'a, super::DbBackend> {
    // Webhook deliveries have their own log (`/api/v1/webhooks/{id}/deliveries`), and the
    // national portal's records show on the dossier (`national_sync`).
    let mut q = ob::table
        .filter(ob::kind.ne_all(["webhook", "national_sync"]))
        .into_boxed::<super::DbBackend>();
    if let crate::authz::Scope::Offices(list) = scope {
        q = q.filter(ob::office_code.eq_any(list));
    }
    if let Some(s) = &f.status {
        q = q.filter(ob::status.eq(s));
    }
    if let Some(c) = &f.channel {
        q = q.filter(ob::channel.eq(c));
    }
    if let Some(k) = &f.kind {
        q = q.filter(ob::kind.eq(k));
    }
    if let Some(o) = &f.office {
        q = q.filter(ob::office_code.eq(o));
    }
    q
}

/// Messages within scope (the office that tells the citizen, or the agency a digest is for),
/// newest first.
pub fn list(
    conn: &mut DbConn,
    f: &MessageFilter,
    scope: &crate::authz::Scope,
    page: super::PageRequest,
) -> AppResult<super::Page<OutboxRow>> {
    let total = filtered(f, scope).count().get_result(conn)?;
    let items = filtered(f, scope)
        .order(ob::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(OutboxRow::as_select())
        .load(conn)?;
    Ok(super::Page { items, total })
}
