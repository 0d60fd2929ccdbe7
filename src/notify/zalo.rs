//! Zalo ZNS (Zalo Notification Service): a template message to a phone number. `POST {zalo.url}`
//! with the `access_token` header and JSON `{phone: "84…", template_id, template_data,
//! tracking_id}`; Zalo answers `{error: 0, …}` when it took the message, another code when not.

use secrecy::ExposeSecret;

use super::{Outcome, by_status};
use crate::config::ZaloSettings;

#[derive(Clone)]
pub struct ZaloGateway {
    client: reqwest::Client,
    url: String,
    access_token: String,
}

/// Zalo's codes worth another try: an unknown error on its side (-100), an expired or invalid
/// access token (-124: the operator renews it, the message waits), and its request-rate limit
/// (-32). Every other code (an invalid phone or template, an account that cannot receive ZNS,
/// no quota) is the message's own problem and gives up.
const RETRIED: [i64; 3] = [-100, -124, -32];

impl ZaloGateway {
    /// `None` when `zalo.url` is unset: Zalo messages wait in the outbox.
    pub fn from_settings(s: &ZaloSettings) -> Result<Option<Self>, String> {
        let Some(url) = &s.url else {
            return Ok(None);
        };
        Ok(Some(Self {
            client: super::http_client(s.timeout_secs)?,
            url: url.expose_secret().to_owned(),
            access_token: s
                .access_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned())
                .unwrap_or_default(),
        }))
    }

    pub async fn send(
        &self,
        phone: &str,
        template_id: &str,
        template_data: &serde_json::Value,
        tracking_id: &str,
    ) -> Outcome {
        let body = serde_json::json!({
            "phone": phone.trim_start_matches('+'),
            "template_id": template_id,
            "template_data": template_data,
            "tracking_id": tracking_id,
        });
        let resp = self
            .client
            .post(&self.url)
            .header("access_token", &self.access_token)
            .json(&body)
            .send()
            .await;
        match resp {
            Ok(resp) => {
                let status = resp.status();
                let text = resp.text().await.unwrap_or_default();
                if !status.is_success() {
                    return by_status(status, &text);
                }
                answer(&text)
            }
            Err(e) => Outcome::Retry(format!("Zalo unreachable: {}", super::sms::without_url(&e))),
        }
    }
}

/// Reads Zalo's answer to a 2xx: `error` 0 is sent; a retried code waits; any other gives up.
pub fn answer(body: &str) -> Outcome {
    let v: serde_json::Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => {
            return Outcome::Retry(format!(
                "Zalo answered something that is not JSON: {}",
                body.chars().take(200).collect::<String>()
            ));
        }
    };
    let code = v
        .get("error")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(-100);
    let message = v
        .get("message")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default();
    match code {
        0 => Outcome::Sent,
        c if RETRIED.contains(&c) => Outcome::Retry(format!("Zalo error {c}: {message}")),
        c => Outcome::GiveUp(format!("Zalo error {c}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zalo_codes_map_to_sent_retry_or_give_up() {
        assert_eq!(
            answer(r#"{"error":0,"message":"Success","data":{"msg_id":"1"}}"#),
            Outcome::Sent
        );
        assert!(matches!(
            answer(r#"{"error":-124,"message":"Access token is invalid"}"#),
            Outcome::Retry(_)
        ));
        assert!(matches!(
            answer(r#"{"error":-100,"message":"Unknown error"}"#),
            Outcome::Retry(_)
        ));
        assert!(
            matches!(answer(r#"{"error":-108,"message":"Phone number invalid"}"#), Outcome::GiveUp(m) if m.contains("-108"))
        );
        assert!(matches!(answer("<html>"), Outcome::Retry(_)));
    }
}
