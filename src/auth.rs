//! Credentials: argon2 password hashes and the HS256 access tokens staff sign in with.

use std::sync::OnceLock;

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
        let claims = Claims {
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
