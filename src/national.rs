//! The national portal's transport of the delivery worker: each queued record is rendered from
//! the dossier as it stands when it is sent (`domain::national` maps it to the portal's fields)
//! and POSTed as JSON to `national_portal.url` with the configured bearer token. Any 2xx is
//! synchronised; anything else is retried with the outbox's backoff, like a webhook. The record
//! carries the dossier's version, so the portal can keep the latest and drop a repeat.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use crate::api::AppState;
use crate::config::NationalPortalSettings;
use crate::db::{self, from_db};
use crate::domain::dossier::Channel;
use crate::domain::national::{Mapping, SyncFacts};
use crate::error::AppError;
use crate::store::webhooks as store;

#[derive(Clone)]
pub struct NationalTransport {
    client: reqwest::Client,
    url: String,
    token: Option<SecretString>,
    mapping: Mapping,
}

impl NationalTransport {
    /// The transport, or None when synchronisation is off (no `national_portal.url`).
    pub fn new(settings: &NationalPortalSettings) -> Result<Option<Self>, String> {
        let Some(url) = settings.url.clone() else {
            return Ok(None);
        };
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "motcua/",
                env!("CARGO_PKG_VERSION"),
                " (national sync)"
            ))
            .timeout(Duration::from_secs(settings.timeout_secs))
            .build()
            .map_err(|e| format!("national portal client: {e}"))?;
        Ok(Some(Self {
            client,
            url,
            token: settings.token.clone(),
            mapping: settings.mapping()?,
        }))
    }

    /// Sends the record of one queued synchronisation; Err says why it was not accepted.
    pub async fn deliver(
        &self,
        state: &AppState,
        outbox_id: i64,
    ) -> Result<Result<(), String>, AppError> {
        let st = state.clone();
        let mapping = self.mapping.clone();
        let prepared = state
            .db(
                move |conn| -> Result<Option<(i64, String, i64, i32)>, AppError> {
                    let Some(d) = store::delivery(conn, outbox_id)? else {
                        return Ok(None);
                    };
                    let event_id = d.event_id.ok_or_else(|| {
                        AppError::Internal("a synchronisation record without its event".into())
                    })?;
                    let Some(event) = store::event(conn, event_id)? else {
                        return Ok(None);
                    };
                    let dossier =
                        crate::store::dossiers::find_by_id(conn, event.0)?.ok_or_else(|| {
                            AppError::Internal(format!("dossier {} no longer exists", event.0))
                        })?;
                    let local = |t| st.local(from_db(t));
                    let status = dossier.status()?;
                    let channel = Channel::parse(&dossier.channel)
                        .ok_or_else(|| AppError::Internal("unknown channel".into()))?;
                    let facts = SyncFacts {
                        dossier_code: &dossier.code,
                        status,
                        procedure_code: &dossier.procedure_code,
                        receiving_office: &dossier.office_code,
                        responsible_office: &dossier.responsible_office_code,
                        channel,
                        received_at: local(dossier.received_at),
                        due_at: local(dossier.due_at),
                        rescheduled_due_at: dossier.rescheduled_due_at.map(local),
                        resolved_at: dossier.resolved_at.map(local),
                        returned_at: dossier.returned_at.map(local),
                        supplement_requests: dossier.supplement_requests,
                        version: dossier.version,
                    };
                    let record = serde_json::Value::Object(mapping.record(&facts));
                    let body = serde_json::to_string(&record)
                        .map_err(|e| AppError::Internal(e.to_string()))?;
                    Ok(Some((d.webhook.id, body, dossier.id, dossier.version)))
                },
            )
            .await?;
        let Some((target, body, dossier_id, version)) = prepared else {
            return Ok(Err("the record's dossier or event no longer exists".into()));
        };
        let started = Instant::now();
        let mut request = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = &self.token {
            request = request.bearer_auth(t.expose_secret());
        }
        let (status, error) = match request.send().await {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("the portal answered {}", r.status().as_u16())),
            ),
            Err(e) => (None, Some(crate::webhooks::describe(&e))),
        };
        let ms = started.elapsed().as_millis().min(i32::MAX as u128) as u32;
        let err = error.clone();
        let accepted = error.is_none();
        state
            .db(move |conn| {
                if accepted {
                    store::mark_synced(conn, dossier_id, version, chrono::Utc::now())?;
                }
                // The portal is the operator's own link: a run of failures never turns it off.
                store::log_attempt(
                    conn,
                    outbox_id,
                    target,
                    store::Attempt {
                        status_code: status,
                        duration_ms: ms,
                        error: err.as_deref(),
                    },
                    0,
                    db::now(),
                )
            })
            .await?;
        Ok(match error {
            None => Ok(()),
            Some(e) => Err(e),
        })
    }
}
