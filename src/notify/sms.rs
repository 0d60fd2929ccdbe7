//! SMS through an HTTP gateway (Vietnamese brand-name SMS providers all take one HTTPS request):
//! `POST {sms.url}` with JSON `{to, text, reference}` and `Authorization: Bearer {sms.token}`.
//! The reference is the message's stable id, so a resend after a crash is recognisable.

use secrecy::ExposeSecret;

use super::{Outcome, by_status};
use crate::config::SmsSettings;

#[derive(Clone)]
pub struct SmsGateway {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl SmsGateway {
    /// `None` when `sms.url` is unset: SMS wait in the outbox.
    pub fn from_settings(s: &SmsSettings) -> Result<Option<Self>, String> {
        let Some(url) = &s.url else {
            return Ok(None);
        };
        Ok(Some(Self {
            client: super::http_client(s.timeout_secs)?,
            url: url.expose_secret().to_owned(),
            token: s.token.as_ref().map(|t| t.expose_secret().to_owned()),
        }))
    }

    pub async fn send(&self, to: &str, text: &str, reference: &str) -> Outcome {
        let mut req = self.client.post(&self.url).json(&serde_json::json!({
            "to": to,
            "text": text,
            "reference": reference,
        }));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                let body = resp.text().await.unwrap_or_default();
                by_status(status, &body)
            }
            // A timeout or a refused connection: the gateway may be down, try again later.
            Err(e) => Outcome::Retry(format!("SMS gateway unreachable: {}", without_url(&e))),
        }
    }
}

/// A reqwest error without the URL it names (the gateway's URL may carry a key).
pub(super) fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(s) => format!("{kind} ({s})"),
        None => kind.to_owned(),
    }
}
