//! The webhook transport of the delivery worker: renders a delivery's body once, signs it per
//! Standard Webhooks, POSTs it and records the answer.
//!
//! Outbound requests go through one HTTP client with timeouts and no redirects (a redirect is an
//! answer like any other non-2xx: retried, and shown in the delivery log). Unless
//! `webhooks.allow_private_networks` is on, the client's resolver refuses a host that resolves to
//! an address that is not public, and an address written in the URL is checked the same way, so
//! a name that changes where it points after the subscription was made cannot reach the
//! service's own network.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::api::AppState;
use crate::config::WebhookSettings;
use crate::db::{self, from_db};
use crate::domain::webhook::{self as rules, UrlRefusal};
use crate::error::AppError;
use crate::store::webhooks as store;

/// A resolver that only hands out public addresses (unless private ones are allowed).
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
            rules::check_addresses(&ips, allow_private)
                .map_err(|e| Box::new(RefusedAddress(e.to_string())) as Box<_>)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[derive(Debug)]
struct RefusedAddress(String);

impl std::fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RefusedAddress {}

/// Checks a URL as it is created: its shape, and where its host points now.
pub async fn check_target(raw: &str, allow_private: bool) -> Result<url::Url, UrlRefusal> {
    let url = rules::check_url(raw)?;
    if allow_private {
        return Ok(url);
    }
    let ips: Vec<IpAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(url::Host::Domain(name)) => {
            let port = url.port_or_known_default().unwrap_or(443);
            let lookup = tokio::net::lookup_host((name, port));
            match tokio::time::timeout(Duration::from_secs(5), lookup).await {
                Ok(Ok(a)) => a.map(|s| s.ip()).collect(),
                // A name that does not resolve now may later; it is checked at every delivery.
                _ => Vec::new(),
            }
        }
        None => return Err(UrlRefusal::Malformed("a URL with a host")),
    };
    rules::check_addresses(&ips, false)?;
    Ok(url)
}

/// The transport: one client for every delivery of this process.
#[derive(Clone)]
pub struct WebhookTransport {
    client: reqwest::Client,
    settings: WebhookSettings,
}

/// How one attempt went.
pub struct Outcome {
    pub delivered: bool,
    pub disabled: bool,
    pub error: Option<String>,
}

impl WebhookTransport {
    pub fn new(settings: &WebhookSettings) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("motcua/", env!("CARGO_PKG_VERSION"), " (webhooks)"))
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .timeout(Duration::from_secs(settings.timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: settings.allow_private_networks,
            }))
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Self {
            client,
            settings: settings.clone(),
        })
    }

    /// Sends one delivery (an outbox row of kind `webhook`) and records the attempt; the caller
    /// marks the row sent or failed from `Outcome::delivered`.
    pub async fn deliver(&self, state: &AppState, outbox_id: i64) -> Result<Outcome, AppError> {
        let st = state.clone();
        let prepared = state
            .db(
                move |conn| -> Result<Option<(store::Delivery, String)>, AppError> {
                    let Some(d) = store::delivery(conn, outbox_id)? else {
                        return Ok(None);
                    };
                    let body = match &d.payload {
                        Some(p) => p.clone(),
                        None => {
                            let body = render(conn, &st, &d)?;
                            store::keep_payload(conn, outbox_id, &body)?;
                            body
                        }
                    };
                    Ok(Some((d, body)))
                },
            )
            .await?;
        let Some((d, body)) = prepared else {
            return Ok(Outcome {
                delivered: false,
                disabled: false,
                error: Some("the delivery is not a webhook's".into()),
            });
        };
        if !d.webhook.enabled {
            return Ok(Outcome {
                delivered: false,
                disabled: false,
                error: Some(
                    d.webhook
                        .disabled_reason
                        .clone()
                        .unwrap_or_else(|| "the webhook is disabled".into()),
                ),
            });
        }
        let started = Instant::now();
        let (status, error) = match self.post(&d, &body).await {
            Ok(status) if rules::answer(status) == rules::Answer::Delivered => (Some(status), None),
            Ok(status) => (
                Some(status),
                Some(format!("the receiver answered {status}")),
            ),
            Err(e) => (None, Some(e)),
        };
        let ms = started.elapsed().as_millis().min(i32::MAX as u128) as u32;
        let webhook = d.webhook.id;
        let disable_after = self.settings.disable_after_failures;
        let err = error.clone();
        let disabled = state
            .db(move |conn| {
                store::log_attempt(
                    conn,
                    outbox_id,
                    webhook,
                    store::Attempt {
                        status_code: status,
                        duration_ms: ms,
                        error: err.as_deref(),
                    },
                    disable_after,
                    db::now(),
                )
            })
            .await?;
        if disabled {
            tracing::warn!(webhook, "webhook disabled after a run of failed deliveries");
        }
        Ok(Outcome {
            delivered: error.is_none(),
            disabled,
            error,
        })
    }

    async fn post(&self, d: &store::Delivery, body: &str) -> Result<u16, String> {
        let url = rules::check_url(&d.webhook.url).map_err(|e| e.to_string())?;
        if !self.settings.allow_private_networks {
            let literal = match url.host() {
                Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
                _ => None,
            };
            if let Some(ip) = literal {
                rules::check_addresses(&[ip], false).map_err(|e| e.to_string())?;
            }
        }
        let key = rules::secret_key(&d.webhook.secret)
            .ok_or_else(|| "the webhook's secret is not a whsec_ secret".to_owned())?;
        let timestamp = Utc::now().timestamp();
        let signature = rules::signature(&key, &d.message_id, timestamp, body.as_bytes());
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &d.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok(response.status().as_u16())
    }
}

/// An outbound request's error without the URL (its query may carry a receiver's token): what
/// kind of failure, and the innermost cause. Used by every HTTP transport of the worker.
pub fn describe(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut deepest = None;
    while let Some(s) = source {
        deepest = Some(s.to_string());
        source = s.source();
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    match deepest {
        Some(d) => format!("{kind}: {d}"),
        None => kind.to_owned(),
    }
}

/// The body of a delivery: the event and the dossier as it stands now.
fn render(
    conn: &mut db::DbConn,
    state: &AppState,
    d: &store::Delivery,
) -> Result<String, AppError> {
    let event_id = d
        .event_id
        .ok_or_else(|| AppError::Internal("a webhook delivery without its event".into()))?;
    let (dossier_id, seq, action, from, to, at, recorded_at, data, office) =
        store::event(conn, event_id)?
            .ok_or_else(|| AppError::Internal(format!("event {event_id} no longer exists")))?;
    let dossier = crate::store::dossiers::find_by_id(conn, dossier_id)?
        .ok_or_else(|| AppError::Internal(format!("dossier {dossier_id} no longer exists")))?;
    let cals = state.current_calendar(conn)?;
    let cal = cals.for_office(&dossier.office_code);
    let now: DateTime<Utc> = db::now();
    let timeliness = crate::store::dossiers::timeliness_now(
        cal,
        &dossier,
        now,
        state.settings.deadlines.due_soon,
    )?;
    let status = dossier.status()?;
    let local = |t| state.local(from_db(t));
    let data: Option<serde_json::Value> = data.and_then(|d| serde_json::from_str(&d).ok());
    let body = json!({
        "type": d.event_type,
        "timestamp": local(recorded_at),
        "data": {
            "dossier_code": dossier.code,
            "seq": seq,
            "action": action,
            "from_status": from,
            "to_status": to,
            "at": local(at),
            "recorded_at": local(recorded_at),
            "data": data,
            "office_code": office,
            "dossier": {
                "code": dossier.code,
                "status": status,
                "status_code": status.national_code(),
                "office_code": dossier.office_code,
                "responsible_office_code": dossier.responsible_office_code,
                "due_at": local(dossier.due_at),
                "rescheduled_due_at": dossier.rescheduled_due_at.map(local),
                "timeliness": timeliness,
            }
        }
    });
    serde_json::to_string(&body).map_err(|e| AppError::Internal(e.to_string()))
}
