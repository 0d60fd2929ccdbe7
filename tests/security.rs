//! Access control and hostile input as clients see them, on both backends: forged and stale
//! tokens, sign-in throttling, the client's address behind proxies, CORS, the role × endpoint ×
//! office matrix, random and malformed bodies on every write, and secrets kept out of the logs.

mod common;

#[path = "security/cors.rs"]
mod cors;
#[path = "security/hostile.rs"]
mod hostile;
#[path = "security/logs.rs"]
mod logs;
#[path = "security/matrix.rs"]
mod matrix;
#[path = "security/throttling.rs"]
mod throttling;
#[path = "security/tokens.rs"]
mod tokens;

use common::Resp;

/// A problem+json answer with this status and code.
pub fn assert_problem(r: &Resp, status: u16, code: &str, what: &str) {
    assert_eq!(r.status.as_u16(), status, "{what}: {}", r.text);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{what}: {}",
        r.text
    );
    assert_eq!(r.body["code"], code, "{what}: {}", r.text);
    assert_eq!(r.body["status"], status, "{what}: {}", r.text);
}

/// 401 with a Bearer challenge and code `unauthorized`.
pub fn assert_unauthorized(r: &Resp, what: &str) {
    assert_problem(r, 401, "unauthorized", what);
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer")),
        "{what}: WWW-Authenticate is {:?}",
        r.header("www-authenticate")
    );
}
