//! Credentials: argon2 password hashes and the HS256 access tokens staff sign in with.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::AuthSettings;
use crate::domain::dossier::Role;

pub const ISSUER: &str = "motcua";
pub const AUDIENCE: &str = "motcua-api";

/// Hashes a password with argon2id and a fresh salt. Slow by design: call it off the async threads.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash. A missing or unreadable hash still costs one
/// verification, so that unknown users and wrong passwords take similar time.
pub fn verify_password(stored: Option<&str>, password: &str) -> bool {
    let parsed = stored.and_then(|s| PasswordHash::new(s).ok());
    match parsed {
        Some(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        None => {
            if let Some(dummy) = dummy_hash() {
                let _ = Argon2::default().verify_password(password.as_bytes(), dummy);
            }
            false
        }
    }
}

fn dummy_hash() -> Option<&'static PasswordHash> {
    static DUMMY: OnceLock<Option<PasswordHash>> = OnceLock::new();
    DUMMY
        .get_or_init(|| {
            let h = hash_password("motcua-timing-equaliser").ok()?;
            PasswordHash::new(&h).ok()
        })
        .as_ref()
}

/// What a token says about its bearer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub office: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// The user's token version when the token was issued (`TokenVersions`); tokens of
    /// earlier releases have none and count as version 0.
    #[serde(default)]
    pub ver: i64,
}

/// Signing and verification keys: the current secret signs; it and the previous ones verify.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: Vec<DecodingKey>,
    ttl_secs: u64,
}

impl TokenKeys {
    /// `random_secret` is used when no secret is configured (loopback only; checked by the config).
    pub fn new(settings: &AuthSettings, random_secret: &str) -> Self {
        let current = settings
            .jwt_secret
            .as_ref()
            .map(|s| s.expose_secret().to_owned());
        let current = current.unwrap_or_else(|| random_secret.to_owned());
        let mut decoding = vec![DecodingKey::from_secret(current.as_bytes())];
        decoding.extend(
            settings
                .previous_secrets
                .iter()
                .map(|s| DecodingKey::from_secret(s.expose_secret().as_bytes())),
        );
        Self {
            encoding: EncodingKey::from_secret(current.as_bytes()),
            decoding,
            ttl_secs: settings.token_ttl_secs,
        }
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    pub fn issue(
        &self,
        username: &str,
        role: Role,
        office: Option<&str>,
        now: i64,
    ) -> Result<String, String> {
        self.issue_versioned(username, role, office, 0, now)
    }

    /// A token carrying the user's current token version.
    pub fn issue_versioned(
        &self,
        username: &str,
        role: Role,
        office: Option<&str>,
        version: i64,
        now: i64,
    ) -> Result<String, String> {
        let claims = Claims {
            ver: version,
            sub: username.to_owned(),
            role,
            office: office.map(str::to_owned),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs as i64,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| e.to_string())
    }

    /// Verifies signature (HS256 only), issuer, audience, expiry and not-before.
    pub fn verify(&self, token: &str) -> Result<Claims, &'static str> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "nbf", "sub", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        let mut last = "invalid token";
        for key in &self.decoding {
            match jsonwebtoken::decode::<Claims>(token, key, &validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) => {
                    use jsonwebtoken::errors::ErrorKind;
                    last = match e.kind() {
                        ErrorKind::ExpiredSignature => return Err("token expired"),
                        ErrorKind::ImmatureSignature => return Err("token not yet valid"),
                        ErrorKind::InvalidSignature => "invalid token signature",
                        ErrorKind::InvalidAlgorithm => return Err("token algorithm not accepted"),
                        _ => "invalid token",
                    };
                }
            }
        }
        Err(last)
    }
}

/// Each user's token version and whether the account is active, as this process last read
/// them: the check every request makes, from memory. A deactivation, a role or office change or
/// a new password bumps the user's version in the database; the process that makes the change
/// records it here at once, the others when they next read the versions (every
/// `auth.token_check_ttl_ms`, see `AppState::refresh_revisions`). A user this process has not
/// read yet (created a moment ago on another replica) passes: nothing can be known against them.
#[derive(Default)]
pub struct TokenVersions {
    users: RwLock<HashMap<String, (i64, bool)>>,
}

impl TokenVersions {
    /// Refuses a token issued before the user's latest change, or any token of an inactive user.
    pub fn check(&self, username: &str, version: i64) -> Result<(), &'static str> {
        let users = self
            .users
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match users.get(username) {
            Some((_, false)) => Err("the account is deactivated"),
            Some((current, true)) if *current != version => {
                Err("the token was issued before a change to the account: sign in again")
            }
            _ => Ok(()),
        }
    }

    /// Records what a user's row says now. Versions only grow, so a read that started before a
    /// change and ends after it cannot bring back the older state.
    pub fn record(&self, username: &str, version: i64, active: bool) {
        let mut users = self
            .users
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Self::merge(&mut users, username, version, active);
    }

    /// Records every user's row (a fresh read of the table).
    pub fn record_all(&self, rows: Vec<(String, i64, bool)>) {
        let mut users = self
            .users
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (username, version, active) in rows {
            Self::merge(&mut users, &username, version, active);
        }
    }

    fn merge(users: &mut HashMap<String, (i64, bool)>, username: &str, version: i64, active: bool) {
        match users.get_mut(username) {
            Some(known) if known.0 > version => {}
            Some(known) => *known = (version, active),
            None => {
                users.insert(username.to_owned(), (version, active));
            }
        }
    }
}

/// A random secret for a loopback-only server without a configured one.
pub fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn settings(secret: &str, previous: &[&str]) -> AuthSettings {
        AuthSettings {
            jwt_secret: Some(SecretString::from(secret)),
            previous_secrets: previous.iter().map(|s| SecretString::from(*s)).collect(),
            token_ttl_secs: 3600,
            ..AuthSettings::default()
        }
    }

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn passwords_verify_only_with_the_right_password() -> TestResult {
        let h = hash_password("correct horse battery")?;
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(Some(&h), "correct horse battery"));
        assert!(!verify_password(Some(&h), "correct horse batterY"));
        assert!(!verify_password(None, "correct horse battery"));
        assert!(!verify_password(Some("garbage"), "x"));
        Ok(())
    }

    #[test]
    fn tokens_round_trip_and_carry_role_and_office() -> TestResult {
        let keys = TokenKeys::new(&settings(&"s".repeat(32), &[]), "unused");
        let now = chrono::Utc::now().timestamp();
        let t = keys.issue("clerk1", Role::Clerk, Some("H40"), now)?;
        let c = keys.verify(&t)?;
        assert_eq!(
            (c.sub.as_str(), c.role, c.office.as_deref()),
            ("clerk1", Role::Clerk, Some("H40"))
        );
        assert_eq!(
            (c.iss.as_str(), c.aud.as_str(), c.exp - c.iat),
            (ISSUER, AUDIENCE, 3600)
        );
        Ok(())
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_while_listed() -> TestResult {
        let old = TokenKeys::new(&settings(&"o".repeat(32), &[]), "unused");
        let now = chrono::Utc::now().timestamp();
        let t = old.issue("u1", Role::Admin, None, now)?;
        let rotated = TokenKeys::new(&settings(&"n".repeat(32), &[&"o".repeat(32)]), "unused");
        assert!(rotated.verify(&t).is_ok());
        let dropped = TokenKeys::new(&settings(&"n".repeat(32), &[]), "unused");
        assert_eq!(dropped.verify(&t), Err("invalid token signature"));
        Ok(())
    }

    #[test]
    fn token_versions_refuse_older_tokens_and_inactive_users() {
        let v = TokenVersions::default();
        assert!(
            v.check("unknown", 0).is_ok(),
            "nothing is known against a new user"
        );
        v.record("u", 1, true);
        assert!(v.check("u", 1).is_ok());
        assert!(v.check("u", 0).is_err(), "issued before the change");
        v.record("u", 2, false);
        assert!(v.check("u", 2).is_err(), "deactivated");
        // A read that began before the change does not undo it.
        v.record_all(vec![("u".into(), 1, true)]);
        assert!(v.check("u", 1).is_err() && v.check("u", 2).is_err());
        v.record("u", 3, true);
        assert!(v.check("u", 3).is_ok());
    }

    #[test]
    fn expired_and_future_tokens_are_refused() -> TestResult {
        let keys = TokenKeys::new(&settings(&"s".repeat(32), &[]), "unused");
        let now = chrono::Utc::now().timestamp();
        let expired = keys.issue("u", Role::Clerk, Some("A"), now - 7200)?;
        assert_eq!(keys.verify(&expired), Err("token expired"));
        let future = keys.issue("u", Role::Clerk, Some("A"), now + 600)?;
        assert_eq!(keys.verify(&future), Err("token not yet valid"));
        Ok(())
    }
}
