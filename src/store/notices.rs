//! The citizen's notices queued in the outbox, inside the transaction of the change that calls
//! for them: one row per channel the dossier's notices go to, unique per occurrence and channel,
//! `skipped` (saying why) where the dossier has no contact for the channel. The rows hold facts;
//! the delivery worker renders the texts and forms.

use chrono::{DateTime, Utc};

use super::dossiers::Dossier;
use super::outbox::{self, NewMessage};
use crate::db::DbConn;
use crate::domain::notice::{self, Notice, NoticeChannel, Recipient};
use crate::error::AppResult;

/// The channels a dossier's notices go to, as fixed at its receipt; dossiers received before
/// channels were recorded were told by email.
pub fn channels(d: &Dossier) -> Vec<NoticeChannel> {
    match &d.notify_channels {
        None => vec![NoticeChannel::Email],
        Some(list) => list
            .split(',')
            .filter_map(|c| NoticeChannel::parse(c.trim()))
            .collect(),
    }
}

/// The stored form of a list of channels.
pub fn stored_channels(list: &[NoticeChannel]) -> String {
    list.iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Each of the dossier's channels with its recipient, or why it has none.
pub fn reach(d: &Dossier) -> Vec<(NoticeChannel, Recipient)> {
    channels(d)
        .into_iter()
        .map(|c| {
            (
                c,
                notice::recipient(
                    c,
                    d.applicant_email.as_deref(),
                    d.applicant_phone.as_deref(),
                ),
            )
        })
        .collect()
}

/// The stable id a message carries to its transport (Message-ID for email; the SMS reference
/// and Zalo tracking_id otherwise): stored with the row, so every attempt sends the same one.
fn message_id(kind: &str, channel: NoticeChannel) -> String {
    let id = uuid::Uuid::now_v7().simple();
    match channel {
        NoticeChannel::Email => format!("<{kind}.{id}@motcua>"),
        _ => id.to_string(),
    }
}

/// Queues what a lifecycle change calls for. The apology is queued with its letter
/// (`queue_apology`). The returned result's messages carry the instant of the return: the
/// worker mints each one's personal rating link from it when it renders the message.
pub fn queue(conn: &mut DbConn, d: &Dossier, n: Notice, now: DateTime<Utc>) -> AppResult<usize> {
    let (occurrence, data) = match n {
        Notice::Receipt | Notice::Refusal | Notice::StopNotice => {
            (d.code.clone(), serde_json::json!({}))
        }
        Notice::SupplementRequest { number } => (
            format!("{}#{number}", d.code),
            serde_json::json!({ "n": number }),
        ),
        Notice::ResultReady { early } => (d.code.clone(), serde_json::json!({ "early": early })),
        Notice::ResultReturned => (
            d.code.clone(),
            serde_json::json!({ "returned_at": d.returned_at.map(crate::db::from_db).unwrap_or(now) }),
        ),
        Notice::Apology => return Ok(0),
    };
    queue_kind(
        conn,
        d,
        n.kind(),
        &occurrence,
        &data,
        n == Notice::Receipt,
        now,
    )
}

/// The kind of the messages that carry a complaint's answer.
pub const COMPLAINT_ANSWER: &str = "complaint_answer";

/// Queues the answer to a complaint on the dossier's channels, in the answer's transaction;
/// the occurrence is the complaint, and the worker renders the answer from it.
pub fn queue_complaint_answer(
    conn: &mut DbConn,
    d: &Dossier,
    complaint_id: i64,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let data = serde_json::json!({ "complaint_id": complaint_id });
    queue_kind(
        conn,
        d,
        COMPLAINT_ANSWER,
        &format!("complaint{complaint_id}"),
        &data,
        false,
        now,
    )
}

/// One message per channel of the dossier for one occurrence of `kind`, each once (`first`:
/// the occurrence was created in this transaction, nothing to look for).
fn queue_kind(
    conn: &mut DbConn,
    d: &Dossier,
    kind: &str,
    occurrence: &str,
    data: &serde_json::Value,
    first: bool,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let reach = reach(d);
    let keys: Vec<(String, String)> = reach
        .iter()
        .map(|(channel, _)| {
            (
                format!("{kind}:{occurrence}:{}", channel.as_str()),
                message_id(kind, *channel),
            )
        })
        .collect();
    let messages: Vec<NewMessage<'_>> = reach
        .iter()
        .zip(&keys)
        .map(|((channel, to), (key, id))| {
            let (recipient, skipped) = match to {
                Recipient::To(r) => (r.as_str(), None),
                Recipient::Skipped(why) => ("", Some(*why)),
            };
            NewMessage {
                kind,
                channel: channel.as_str(),
                dedupe_key: key,
                letter_id: None,
                dossier: Some((d.id, &d.code)),
                office_code: Some(&d.office_code),
                recipient,
                message_id: id,
                data: Some(data),
                skipped,
            }
        })
        .collect();
    if first {
        outbox::insert_all(conn, &messages, now)?;
        return Ok(messages.len());
    }
    let mut queued = 0;
    for m in messages {
        if outbox::enqueue(conn, m, now)? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Queues the apology letter's messages. The letter's `delivery_status` follows one of them:
/// the email when there is an address, else the first channel that reaches the citizen; that
/// row names the letter, the others carry its id in their facts. `email_message_id` is the
/// letter's own Message-ID.
pub fn queue_apology(
    conn: &mut DbConn,
    d: &Dossier,
    letter_id: i64,
    email_message_id: &str,
    reach: &[(NoticeChannel, Recipient)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let tracked = reach
        .iter()
        .find(|(c, r)| *c == NoticeChannel::Email && matches!(r, Recipient::To(_)))
        .or_else(|| reach.iter().find(|(_, r)| matches!(r, Recipient::To(_))))
        .map(|(c, _)| *c);
    let data = serde_json::json!({ "letter_id": letter_id });
    for (channel, to) in reach {
        let key = format!("{}:letter{letter_id}:{}", outbox::APOLOGY, channel.as_str());
        let (recipient, skipped) = match to {
            Recipient::To(r) => (r.as_str(), None),
            Recipient::Skipped(why) => ("", Some(*why)),
        };
        let id = match channel {
            NoticeChannel::Email => email_message_id.to_owned(),
            _ => message_id(outbox::APOLOGY, *channel),
        };
        outbox::enqueue(
            conn,
            NewMessage {
                kind: outbox::APOLOGY,
                channel: channel.as_str(),
                dedupe_key: &key,
                letter_id: (tracked == Some(*channel)).then_some(letter_id),
                dossier: Some((d.id, &d.code)),
                office_code: Some(&d.office_code),
                recipient,
                message_id: &id,
                data: Some(&data),
                skipped,
            },
            now,
        )?;
    }
    Ok(())
}
