//! Webhook subscriptions and their deliveries.
//!
//! A delivery is an outbox row (the one outbox: kind `webhook`, `webhook_id`, `event_id`)
//! written in the same transaction as the dossier event it announces, one per enabled
//! subscription that wants the event's type. The transaction writes only the reference: the
//! delivery worker renders the body at the first attempt and keeps it (`payload`), so every
//! retry sends the same body under the same `webhook-id`. Every attempt's answer (status, time,
//! error) is kept in `webhook_attempts`, the delivery log admins read.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{
    dossier_events as ev, outbox as ob, webhook_attempts as wa, webhooks as wh,
};
use crate::db::{self, DbConn};
use crate::domain::webhook as rules;
use crate::error::{AppError, AppResult};

/// The outbox kind of a webhook delivery.
pub const KIND: &str = "webhook";
/// The outbox kind of a national portal synchronisation record.
pub const NATIONAL_KIND: &str = "national_sync";
/// The target of admins' subscriptions, and of the national portal.
pub const WEBHOOK: &str = "webhook";
pub const NATIONAL: &str = "national_portal";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = wh)]
pub struct Webhook {
    pub id: i64,
    /// `webhook` (an admin's subscription) or `national_portal` (from the configuration).
    pub target: String,
    pub url: String,
    /// The event types asked for, as a JSON array; None: all.
    pub events: Option<String>,
    pub description: String,
    pub secret: String,
    pub enabled: bool,
    pub consecutive_failures: i32,
    pub disabled_at: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub deleted_at: Option<NaiveDateTime>,
}

impl Webhook {
    pub fn event_list(&self) -> Option<Vec<String>> {
        self.events
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok())
    }
}

pub struct NewWebhook<'a> {
    pub url: &'a str,
    pub events: Option<&'a [String]>,
    pub description: &'a str,
    pub secret: &'a str,
    pub actor: &'a str,
}

pub fn create(conn: &mut DbConn, w: NewWebhook<'_>, now: DateTime<Utc>) -> AppResult<Webhook> {
    let events = w
        .events
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let insert = diesel::insert_into(wh::table).values((
        wh::url.eq(w.url),
        wh::events.eq(events),
        wh::description.eq(w.description),
        wh::secret.eq(w.secret),
        wh::enabled.eq(true),
        wh::consecutive_failures.eq(0),
        wh::created_at.eq(db::to_db(now)),
        wh::created_by.eq(w.actor),
    ));
    Ok(on_backend!(conn, |c| insert
        .returning(Webhook::as_returning())
        .get_result(c))?)
}

/// The subscriptions not deleted, oldest first.
pub fn list(conn: &mut DbConn) -> AppResult<Vec<Webhook>> {
    Ok(wh::table
        .filter(wh::deleted_at.is_null())
        .filter(wh::target.eq(WEBHOOK))
        .order(wh::id.asc())
        .select(Webhook::as_select())
        .load(conn)?)
}

pub fn find(conn: &mut DbConn, id: i64) -> AppResult<Option<Webhook>> {
    Ok(wh::table
        .filter(wh::id.eq(id))
        .filter(wh::deleted_at.is_null())
        .filter(wh::target.eq(WEBHOOK))
        .select(Webhook::as_select())
        .first(conn)
        .optional()?)
}

/// Deletes a subscription: nothing more is queued for it, and its deliveries still waiting are
/// given up (the log keeps them). Returns false when there was none.
pub fn delete(conn: &mut DbConn, id: i64, now: DateTime<Utc>) -> AppResult<bool> {
    db::write_tx(conn, |c| {
        let n = diesel::update(
            wh::table
                .filter(wh::id.eq(id))
                .filter(wh::deleted_at.is_null())
                .filter(wh::target.eq(WEBHOOK)),
        )
        .set((wh::deleted_at.eq(db::to_db(now)), wh::enabled.eq(false)))
        .execute(c)?;
        if n > 0 {
            give_up_waiting(c, id, "the webhook was deleted")?;
        }
        Ok(n > 0)
    })
}

/// Turns a subscription on again (after it was disabled by failures) or off; turning it on
/// clears the run of failures. Deliveries given up while it was off are not re-sent: an admin
/// retries the ones that matter.
pub fn set_enabled(
    conn: &mut DbConn,
    id: i64,
    enabled: bool,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Webhook>> {
    db::write_tx(conn, |c| {
        let target = wh::table
            .filter(wh::id.eq(id))
            .filter(wh::deleted_at.is_null())
            .filter(wh::target.eq(WEBHOOK));
        if enabled {
            diesel::update(target)
                .set((
                    wh::enabled.eq(true),
                    wh::consecutive_failures.eq(0),
                    wh::disabled_at.eq(None::<NaiveDateTime>),
                    wh::disabled_reason.eq(None::<String>),
                ))
                .execute(c)?;
        } else {
            let n = diesel::update(target.filter(wh::enabled.eq(true)))
                .set((
                    wh::enabled.eq(false),
                    wh::disabled_at.eq(db::to_db(now)),
                    wh::disabled_reason.eq(reason),
                ))
                .execute(c)?;
            if n > 0 {
                give_up_waiting(c, id, reason)?;
            }
        }
        find(c, id)
    })
}

fn give_up_waiting(conn: &mut DbConn, webhook: i64, reason: &str) -> AppResult<usize> {
    Ok(diesel::update(
        ob::table
            .filter(ob::webhook_id.eq(webhook))
            .filter(ob::status.eq_any(["pending", "retrying"])),
    )
    .set((
        ob::status.eq("failed"),
        ob::last_error.eq(reason),
        ob::lease_owner.eq(None::<String>),
        ob::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?)
}

/// Queues one delivery per enabled subscription that wants an event of this action, inside the
/// transaction that recorded the event. A subscription list read per event is one short query
/// on a table of a handful of rows.
pub fn fan_out(
    conn: &mut DbConn,
    event_id: i64,
    action: &str,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let subs: Vec<(i64, String, Option<String>)> = wh::table
        .filter(wh::enabled.eq(true))
        .filter(wh::deleted_at.is_null())
        .select((wh::id, wh::target, wh::events))
        .load(conn)?;
    if subs.is_empty() {
        return Ok(0);
    }
    let kind = rules::event_type(action);
    let mut queued = 0;
    for (id, target, events) in subs {
        if target == NATIONAL {
            queue_national(conn, id, event_id, &format!("national:{event_id}"), now)?;
            queued += 1;
            continue;
        }
        let events: Option<Vec<String>> = events.and_then(|e| serde_json::from_str(&e).ok());
        if !rules::wants(events.as_deref(), &kind) {
            continue;
        }
        let message_id = format!("msg_{}", uuid::Uuid::now_v7().simple());
        diesel::insert_into(ob::table)
            .values((
                ob::kind.eq(KIND),
                ob::channel.eq(KIND),
                ob::dedupe_key.eq(format!("webhook:{id}:{event_id}")),
                ob::recipient.eq(format!("webhook:{id}")),
                ob::subject.eq(&kind),
                ob::body_text.eq(""),
                ob::body_html.eq(""),
                ob::message_id.eq(&message_id),
                ob::status.eq("pending"),
                ob::attempts.eq(0),
                ob::next_attempt_at.eq(db::to_db(now)),
                ob::created_at.eq(db::to_db(now)),
                ob::webhook_id.eq(id),
                ob::event_id.eq(event_id),
            ))
            .execute(conn)?;
        queued += 1;
    }
    Ok(queued)
}

/// Queues a synchronisation record for the dossier of this event (rendered at delivery from the
/// dossier as it then stands, so a late record never sends an older state than an earlier one).
fn queue_national(
    conn: &mut DbConn,
    target: i64,
    event_id: i64,
    dedupe_key: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let exists: i64 = ob::table
        .filter(ob::dedupe_key.eq(dedupe_key))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(ob::table)
        .values((
            ob::kind.eq(NATIONAL_KIND),
            ob::channel.eq("national"),
            ob::dedupe_key.eq(dedupe_key),
            ob::recipient.eq(NATIONAL),
            ob::subject.eq(NATIONAL_KIND),
            ob::body_text.eq(""),
            ob::body_html.eq(""),
            ob::message_id.eq(format!("sync_{}", uuid::Uuid::now_v7().simple())),
            ob::status.eq("pending"),
            ob::attempts.eq(0),
            ob::next_attempt_at.eq(db::to_db(now)),
            ob::created_at.eq(db::to_db(now)),
            ob::webhook_id.eq(target),
            ob::event_id.eq(event_id),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Turns synchronisation with the national portal on (with its URL) or off, as the
/// configuration says; run at start-up by every process (replicas share one configuration).
pub fn configure_national(
    conn: &mut DbConn,
    url: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    db::write_tx(conn, |c| {
        let existing: Option<i64> = wh::table
            .filter(wh::target.eq(NATIONAL))
            .select(wh::id)
            .first(c)
            .optional()?;
        match (existing, url) {
            (Some(id), Some(u)) => {
                diesel::update(wh::table.filter(wh::id.eq(id)))
                    .set((
                        wh::url.eq(u),
                        wh::enabled.eq(true),
                        wh::disabled_at.eq(None::<NaiveDateTime>),
                        wh::disabled_reason.eq(None::<String>),
                    ))
                    .execute(c)?;
            }
            (Some(id), None) => {
                diesel::update(wh::table.filter(wh::id.eq(id)).filter(wh::enabled.eq(true)))
                    .set((
                        wh::enabled.eq(false),
                        wh::disabled_at.eq(db::to_db(now)),
                        wh::disabled_reason.eq("national_portal.url is not set"),
                    ))
                    .execute(c)?;
            }
            (None, Some(u)) => {
                diesel::insert_into(wh::table)
                    .values((
                        wh::target.eq(NATIONAL),
                        wh::url.eq(u),
                        wh::secret.eq(""),
                        wh::enabled.eq(true),
                        wh::consecutive_failures.eq(0),
                        wh::created_at.eq(db::to_db(now)),
                        wh::created_by.eq("configuration"),
                    ))
                    .execute(c)?;
            }
            (None, None) => {}
        }
        Ok(())
    })
}

/// Queues a fresh record for every dossier with an event recorded at or after `since` (after a
/// portal outage, or when synchronisation is turned on for dossiers received before). Returns
/// how many were queued, or None when synchronisation is off.
pub fn resync_since(
    conn: &mut DbConn,
    since: NaiveDateTime,
    now: DateTime<Utc>,
) -> AppResult<Option<usize>> {
    let target: Option<i64> = wh::table
        .filter(wh::target.eq(NATIONAL))
        .filter(wh::enabled.eq(true))
        .select(wh::id)
        .first(conn)
        .optional()?;
    let Some(target) = target else {
        return Ok(None);
    };
    let latest: Vec<(i64, Option<i64>)> = ev::table
        .filter(ev::recorded_at.ge(since))
        .group_by(ev::dossier_id)
        .select((ev::dossier_id, diesel::dsl::max(ev::id)))
        .load(conn)?;
    let stamp = now.timestamp_micros();
    let mut n = 0;
    for chunk in latest.chunks(500) {
        db::write_tx(conn, |c| -> AppResult<()> {
            for (_, event) in chunk {
                if let Some(event) = event
                    && queue_national(
                        c,
                        target,
                        *event,
                        &format!("national:resync:{event}:{stamp}"),
                        now,
                    )?
                {
                    n += 1;
                }
            }
            Ok(())
        })?;
    }
    Ok(Some(n))
}

/// The dossier's synchronisation with the national portal: its latest record's delivery
/// (status, sent_at, last_error), None when none was ever queued.
#[allow(clippy::type_complexity)] // rows as the query selects them
pub fn national_state(
    conn: &mut DbConn,
    dossier_id: i64,
) -> AppResult<Option<(String, Option<NaiveDateTime>, Option<String>)>> {
    Ok(ob::table
        .inner_join(ev::table.on(ob::event_id.eq(ev::id.nullable())))
        .filter(ev::dossier_id.eq(dossier_id))
        .filter(ob::kind.eq(NATIONAL_KIND))
        .order(ob::id.desc())
        .select((ob::status, ob::sent_at, ob::last_error))
        .first(conn)
        .optional()?)
}

/// Records that the portal accepted this version of the dossier (never going back to an older
/// one when records are answered out of order).
pub fn mark_synced(
    conn: &mut DbConn,
    dossier_id: i64,
    version: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::db::schema::dossiers as d;
    diesel::update(
        d::table.filter(d::id.eq(dossier_id)).filter(
            d::national_synced_version
                .is_null()
                .or(d::national_synced_version.lt(version)),
        ),
    )
    .set(d::national_synced_version.eq(version))
    .execute(conn)?;
    // The first acceptance is what the scorecard's "synchronised by the period's end" reads.
    diesel::update(
        d::table
            .filter(d::id.eq(dossier_id))
            .filter(d::national_synced_at.is_null()),
    )
    .set(d::national_synced_at.eq(db::to_db(now)))
    .execute(conn)?;
    Ok(())
}

/// Whether synchronisation with the national portal is on.
pub fn national_on(conn: &mut DbConn) -> AppResult<bool> {
    let n: i64 = wh::table
        .filter(wh::target.eq(NATIONAL))
        .filter(wh::enabled.eq(true))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// What the worker needs to send one delivery.
pub struct Delivery {
    pub webhook: Webhook,
    pub message_id: String,
    pub event_type: String,
    /// The body, when an earlier attempt rendered it.
    pub payload: Option<String>,
    pub event_id: Option<i64>,
}

#[allow(clippy::type_complexity)] // rows as the query selects them
pub fn delivery(conn: &mut DbConn, outbox_id: i64) -> AppResult<Option<Delivery>> {
    let row: Option<(Option<i64>, String, String, Option<String>, Option<i64>)> = ob::table
        .filter(ob::id.eq(outbox_id))
        .select((
            ob::webhook_id,
            ob::message_id,
            ob::subject,
            ob::payload,
            ob::event_id,
        ))
        .first(conn)
        .optional()?;
    let Some((Some(webhook), message_id, event_type, payload, event_id)) = row else {
        return Ok(None);
    };
    let webhook: Webhook = wh::table
        .filter(wh::id.eq(webhook))
        .select(Webhook::as_select())
        .first(conn)?;
    Ok(Some(Delivery {
        webhook,
        message_id,
        event_type,
        payload,
        event_id,
    }))
}

/// The event a delivery announces: (dossier id, seq, action, from, to, at, recorded_at, data,
/// office_code).
pub type EventRow = (
    i64,
    i32,
    String,
    Option<String>,
    String,
    NaiveDateTime,
    NaiveDateTime,
    Option<String>,
    Option<String>,
);

pub fn event(conn: &mut DbConn, event_id: i64) -> AppResult<Option<EventRow>> {
    Ok(ev::table
        .filter(ev::id.eq(event_id))
        .select((
            ev::dossier_id,
            ev::seq,
            ev::action,
            ev::from_status,
            ev::to_status,
            ev::at,
            ev::recorded_at,
            ev::data,
            ev::office_code,
        ))
        .first(conn)
        .optional()?)
}

/// Keeps the body the first attempt rendered, so that retries send the same one.
pub fn keep_payload(conn: &mut DbConn, outbox_id: i64, payload: &str) -> AppResult<()> {
    diesel::update(
        ob::table
            .filter(ob::id.eq(outbox_id))
            .filter(ob::payload.is_null()),
    )
    .set(ob::payload.eq(payload))
    .execute(conn)?;
    Ok(())
}

/// One attempt's answer.
pub struct Attempt<'a> {
    pub status_code: Option<u16>,
    pub duration_ms: u32,
    pub error: Option<&'a str>,
}

/// Logs an attempt and keeps the subscription's run of failures: a delivered attempt ends it, a
/// failed one lengthens it and, at `disable_after`, disables the subscription (its waiting
/// deliveries are given up, the reason is kept on it). Returns true when this attempt disabled it.
pub fn log_attempt(
    conn: &mut DbConn,
    outbox_id: i64,
    webhook: i64,
    attempt: Attempt<'_>,
    disable_after: u32,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    db::write_tx(conn, |c| {
        diesel::insert_into(wa::table)
            .values((
                wa::outbox_id.eq(outbox_id),
                wa::webhook_id.eq(webhook),
                wa::attempted_at.eq(db::to_db(now)),
                wa::status_code.eq(attempt.status_code.map(i32::from)),
                wa::duration_ms.eq(attempt.duration_ms as i32),
                wa::error.eq(attempt
                    .error
                    .map(|e| e.chars().take(500).collect::<String>())),
            ))
            .execute(c)?;
        let delivered = attempt
            .status_code
            .is_some_and(|s| rules::answer(s) == rules::Answer::Delivered);
        if delivered {
            diesel::update(wh::table.filter(wh::id.eq(webhook)))
                .set(wh::consecutive_failures.eq(0))
                .execute(c)?;
            return Ok(false);
        }
        diesel::update(wh::table.filter(wh::id.eq(webhook)))
            .set(wh::consecutive_failures.eq(wh::consecutive_failures + 1))
            .execute(c)?;
        let failures: i32 = wh::table
            .filter(wh::id.eq(webhook))
            .select(wh::consecutive_failures)
            .first(c)?;
        if rules::disables(failures.max(0) as u32, disable_after) {
            let reason = format!("disabled after {failures} failed attempts in a row");
            let n = diesel::update(
                wh::table
                    .filter(wh::id.eq(webhook))
                    .filter(wh::enabled.eq(true)),
            )
            .set((
                wh::enabled.eq(false),
                wh::disabled_at.eq(db::to_db(now)),
                wh::disabled_reason.eq(&reason),
            ))
            .execute(c)?;
            if n > 0 {
                give_up_waiting(c, webhook, &reason)?;
                return Ok(true);
            }
        }
        Ok(false)
    })
}

/// One delivery as the log shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ob)]
pub struct DeliveryRow {
    pub id: i64,
    pub message_id: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub event_id: Option<i64>,
}

/// Deliveries of a subscription, newest first.
pub fn deliveries(
    conn: &mut DbConn,
    webhook: i64,
    page: super::PageRequest,
) -> AppResult<super::Page<DeliveryRow>> {
    let total: i64 = ob::table
        .filter(ob::webhook_id.eq(webhook))
        .count()
        .get_result(conn)?;
    let items = ob::table
        .filter(ob::webhook_id.eq(webhook))
        .select(DeliveryRow::as_select())
        .order(ob::id.desc())
        .offset(page.offset())
        .limit(page.per_page)
        .load(conn)?;
    Ok(super::Page { items, total })
}

pub fn delivery_row(conn: &mut DbConn, webhook: i64, id: i64) -> AppResult<Option<DeliveryRow>> {
    Ok(ob::table
        .filter(ob::id.eq(id))
        .filter(ob::webhook_id.eq(webhook))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()?)
}

/// The dossier code and seq of each of these events.
pub fn event_refs(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<(i64, String, i32)>> {
    use crate::db::schema::dossiers as d;
    Ok(ev::table
        .inner_join(d::table)
        .filter(ev::id.eq_any(ids))
        .select((ev::id, d::code, ev::seq))
        .load(conn)?)
}

/// The last attempt of each of these deliveries: (outbox id, status code, duration, when).
#[allow(clippy::type_complexity)] // rows as the query selects them
pub fn last_attempts(
    conn: &mut DbConn,
    ids: &[i64],
) -> AppResult<Vec<(i64, Option<i32>, i32, NaiveDateTime)>> {
    let rows: Vec<(i64, i64, Option<i32>, i32, NaiveDateTime)> = wa::table
        .filter(wa::outbox_id.eq_any(ids))
        .order((wa::outbox_id.asc(), wa::id.asc()))
        .select((
            wa::id,
            wa::outbox_id,
            wa::status_code,
            wa::duration_ms,
            wa::attempted_at,
        ))
        .load(conn)?;
    let mut last: Vec<(i64, Option<i32>, i32, NaiveDateTime)> = Vec::new();
    for (_, outbox, status, ms, at) in rows {
        match last.last_mut() {
            Some(l) if l.0 == outbox => *l = (outbox, status, ms, at),
            _ => last.push((outbox, status, ms, at)),
        }
    }
    Ok(last)
}

/// Queues a delivery again at once (an admin's retry): attempts start over. Returns false when
/// the delivery is not this subscription's.
pub fn retry(
    conn: &mut DbConn,
    webhook: i64,
    outbox_id: i64,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let n = diesel::update(
        ob::table
            .filter(ob::id.eq(outbox_id))
            .filter(ob::webhook_id.eq(webhook)),
    )
    .set((
        ob::status.eq("pending"),
        ob::attempts.eq(0),
        ob::next_attempt_at.eq(db::to_db(now)),
        ob::lease_owner.eq(None::<String>),
        ob::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n > 0)
}
