//! What the delivery worker sends: each outbox row rendered for its channel from the facts it
//! names (the dossier's forms as text, HTML and PDF for email; a short plain text for SMS; a
//! template's data for Zalo), and the transports that carry them.

pub mod render;
pub mod sms;
pub mod zalo;

/// How one attempt ended, for the outbox: sent, worth another try, or refused for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    Retry(String),
    GiveUp(String),
    /// It cannot go on this channel at all (no Zalo template for its kind); the row is
    /// `skipped` with the reason.
    Skip(String),
}

/// The HTTP client the gateways share: rustls, a timeout per request, no redirects followed
/// (a gateway that redirects is misconfigured, and the token must not follow it elsewhere).
pub fn http_client(timeout_secs: u64) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(timeout_secs))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

/// How an HTTP gateway's answer counts: 2xx sent; 429, 5xx (and timeouts, connection errors,
/// handled by the caller) retried; any other status refused for good.
pub fn by_status(status: reqwest::StatusCode, body: &str) -> Outcome {
    let said: String = body.chars().take(200).collect();
    if status.is_success() {
        Outcome::Sent
    } else if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Outcome::Retry(format!("gateway answered {status}: {said}"))
    } else {
        Outcome::GiveUp(format!("gateway refused the message ({status}): {said}"))
    }
}
