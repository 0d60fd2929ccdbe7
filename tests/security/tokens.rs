//! Bearer tokens: anything forged, stale, meant for another service or signed otherwise than
//! with HS256 and a secret this service holds answers 401 with a Bearer challenge.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use motcua::auth::TokenKeys;
use motcua::config::AuthSettings;
use motcua::domain::dossier::Role;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::assert_unauthorized;
use crate::common::{self, Backend, TestApp};

fn secret() -> String {
    let s = common::test_settings("sqlite://unused");
    s.auth.jwt_secret.unwrap().expose_secret().to_owned()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// HMAC-SHA256 (RFC 2104), written out so the test can sign any header it likes.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x36)
        .chain(message.iter().copied())
        .collect();
    let inner = Sha256::digest(&inner);
    let outer: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(inner.iter().copied())
        .collect();
    Sha256::digest(&outer).to_vec()
}

/// The claims this service issues, for the admin, valid now; `edit` changes them.
fn claims(edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let t = now();
    let mut c = json!({"sub": "admin", "role": "admin", "office": null, "iss": "motcua",
                       "aud": "motcua-api", "iat": t, "nbf": t, "exp": t + 600});
    edit(c.as_object_mut().unwrap());
    c
}

/// `header.payload.` + an HMAC-SHA256 signature of them with `key` (none when `key` is None).
fn token(header: Value, claims: &Value, key: Option<&[u8]>) -> String {
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = key
        .map(|k| b64url(&hmac_sha256(k, signing_input.as_bytes())))
        .unwrap_or_default();
    format!("{signing_input}.{signature}")
}

fn hs256(claims: &Value, key: &str) -> String {
    token(
        json!({"alg": "HS256", "typ": "JWT"}),
        claims,
        Some(key.as_bytes()),
    )
}

fn jwt(alg: Algorithm, claims: &Value, key: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

async fn me(app: &TestApp, authorization: &str) -> common::Resp {
    app.request_with(
        Method::GET,
        "/api/v1/me",
        None,
        None,
        &[("Authorization", authorization)],
    )
    .await
}

async fn forged_and_stale_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.office("H", None).await;
    app.add_user("clerk.h", "clerk", Some("H")).await;
    let key = secret();
    let t = now();

    // The forging machinery is right: the same construction with HS256 and the secret passes.
    let genuine = hs256(&claims(|_| {}), &key);
    let r = me(&app, &format!("Bearer {genuine}")).await;
    assert_eq!(
        (r.status.as_u16(), r.body["username"].as_str()),
        (200, Some("admin")),
        "{}",
        r.text
    );
    let clerk = claims(|c| {
        c.insert("sub".into(), "clerk.h".into());
        c.insert("role".into(), "clerk".into());
        c.insert("office".into(), "H".into());
    });
    assert_eq!(
        me(&app, &format!("Bearer {}", hs256(&clerk, &key)))
            .await
            .status,
        200
    );

    let none_header = json!({"alg": "none", "typ": "JWT"});
    let mut cases: Vec<(&str, String)> = vec![
        (
            "alg none, no signature",
            token(none_header.clone(), &claims(|_| {}), None),
        ),
        (
            "alg None, no signature",
            token(json!({"alg": "None"}), &claims(|_| {}), None),
        ),
        (
            "alg none with an HMAC signature",
            token(none_header, &claims(|_| {}), Some(key.as_bytes())),
        ),
        (
            "HS384 with the right secret",
            jwt(Algorithm::HS384, &claims(|_| {}), &key),
        ),
        (
            "HS512 with the right secret",
            jwt(Algorithm::HS512, &claims(|_| {}), &key),
        ),
        (
            "RS256 label over an HMAC of the secret",
            token(
                json!({"alg": "RS256", "typ": "JWT"}),
                &claims(|_| {}),
                Some(key.as_bytes()),
            ),
        ),
        (
            "lower-case hs256",
            token(
                json!({"alg": "hs256"}),
                &claims(|_| {}),
                Some(key.as_bytes()),
            ),
        ),
        (
            "signed with another secret",
            hs256(&claims(|_| {}), "another-secret-another-secret-another"),
        ),
        (
            "expired",
            hs256(
                &claims(|c| {
                    c.insert("iat".into(), (t - 7200).into());
                    c.insert("nbf".into(), (t - 7200).into());
                    c.insert("exp".into(), (t - 120).into());
                }),
                &key,
            ),
        ),
        (
            "not yet valid",
            hs256(
                &claims(|c| {
                    c.insert("nbf".into(), (t + 3600).into());
                    c.insert("exp".into(), (t + 7200).into());
                }),
                &key,
            ),
        ),
        (
            "another issuer",
            hs256(
                &claims(|c| {
                    c.insert("iss".into(), "someone-else".into());
                }),
                &key,
            ),
        ),
        (
            "another audience",
            hs256(
                &claims(|c| {
                    c.insert("aud".into(), "other-api".into());
                }),
                &key,
            ),
        ),
        (
            "no expiry",
            hs256(
                &claims(|c| {
                    c.remove("exp");
                }),
                &key,
            ),
        ),
        (
            "no audience",
            hs256(
                &claims(|c| {
                    c.remove("aud");
                }),
                &key,
            ),
        ),
        (
            "no issuer",
            hs256(
                &claims(|c| {
                    c.remove("iss");
                }),
                &key,
            ),
        ),
        (
            "expiry as a string",
            hs256(
                &claims(|c| {
                    c.insert("exp".into(), "99999999999".into());
                }),
                &key,
            ),
        ),
        (
            "a clerk without an office",
            hs256(
                &claims(|c| {
                    c.insert("sub".into(), "clerk.h".into());
                    c.insert("role".into(), "clerk".into());
                }),
                &key,
            ),
        ),
        (
            "an unknown role",
            hs256(
                &claims(|c| {
                    c.insert("role".into(), "superadmin".into());
                }),
                &key,
            ),
        ),
        ("garbage", "garbage".into()),
        ("three empty parts", "..".into()),
        ("a number", "12345".into()),
        ("non-base64 parts", "%%%.***.!!!".into()),
        ("a very long token", "x".repeat(6000)),
    ];
    // A genuine token with its payload swapped for an admin's: the signature no longer fits.
    let clerk_token = hs256(&clerk, &key);
    let parts: Vec<&str> = clerk_token.split('.').collect();
    let admin_payload = b64url(claims(|_| {}).to_string().as_bytes());
    cases.push((
        "a clerk's token with an admin's payload",
        format!("{}.{admin_payload}.{}", parts[0], parts[2]),
    ));
    let mut flipped = genuine.clone().into_bytes();
    let middle = genuine.rfind('.').unwrap() + 10;
    flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
    cases.push((
        "one signature character changed",
        String::from_utf8(flipped).unwrap(),
    ));

    let before = app.snapshot().await;
    for (what, token) in &cases {
        assert_unauthorized(&me(&app, &format!("Bearer {token}")).await, what);
        // A write with the same token changes nothing.
        let r = app
            .request(
                Method::POST,
                "/api/v1/offices",
                Some(token),
                Some(json!({"code": "FORGED", "name": "Forged"})),
            )
            .await;
        assert_unauthorized(&r, what);
    }
    for (what, header) in [
        ("no scheme", genuine.clone()),
        (
            "Basic scheme",
            "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQtMTIzNA==".to_owned(),
        ),
        ("Token scheme", format!("Token {genuine}")),
        ("Bearer without a token", "Bearer".to_owned()),
        ("Bearer and spaces", "Bearer    ".to_owned()),
    ] {
        assert_unauthorized(&me(&app, &header).await, what);
    }
    let r = app.request(Method::GET, "/api/v1/me", None, None).await;
    assert_unauthorized(&r, "no Authorization header");
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused token changed something"
    );
}

async fn a_retired_secret_works_only_while_listed(backend: Backend) {
    const CURRENT: &str = "current-secret-current-secret-current!";
    const PREVIOUS: &str = "previous-secret-previous-secret-previous";
    const RETIRED: &str = "retired-secret-retired-secret-retired-se";
    let app = TestApp::spawn_with(backend, |s| {
        s.auth.jwt_secret = Some(SecretString::from(CURRENT));
        s.auth.previous_secrets = vec![SecretString::from(PREVIOUS)];
    })
    .await;
    let keys = |secret: &str| {
        TokenKeys::new(
            &AuthSettings {
                jwt_secret: Some(SecretString::from(secret.to_owned())),
                ..AuthSettings::default()
            },
            "unused",
        )
    };
    let issued_with = |secret: &str| {
        keys(secret)
            .issue("admin", Role::Admin, None, now())
            .unwrap()
    };

    let r = me(&app, &format!("Bearer {}", issued_with(PREVIOUS))).await;
    assert_eq!(
        r.status, 200,
        "a token of the listed previous secret: {}",
        r.text
    );
    let r = me(&app, &format!("Bearer {}", issued_with(CURRENT))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_unauthorized(
        &me(&app, &format!("Bearer {}", issued_with(RETIRED))).await,
        "an unlisted old secret",
    );
    // New tokens are signed with the current secret only.
    assert!(keys(CURRENT).verify(&app.admin_token).is_ok());
    assert!(keys(PREVIOUS).verify(&app.admin_token).is_err());
}

crate::both_backends!(
    forged_and_stale_tokens_are_refused,
    a_retired_secret_works_only_while_listed
);
