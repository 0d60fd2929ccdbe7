//! Sign-in throttling per username and per client address, the same answer for unknown users and
//! wrong passwords, and the client's address as told by trusted proxies only.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::common::{self, Backend, STAFF_PASSWORD, TestApp};
use crate::{assert_problem, assert_unauthorized};

async fn sign_in(
    app: &TestApp,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> common::Resp {
    let headers: Vec<(&str, &str)> = forwarded_for
        .map(|f| ("X-Forwarded-For", f))
        .into_iter()
        .collect();
    app.request_with(
        Method::POST,
        "/api/v1/auth/token",
        None,
        Some(json!({"username": username, "password": password})),
        &headers,
    )
    .await
}

async fn lookup(app: &TestApp, forwarded_for: &str) -> u16 {
    let path = "/api/v1/public/dossiers/H-270101-0001?id_number=079123456789";
    app.request_with(
        Method::GET,
        path,
        None,
        None,
        &[("X-Forwarded-For", forwarded_for)],
    )
    .await
    .status
    .as_u16()
}

fn assert_throttled(r: &common::Resp, window_secs: u64, what: &str) {
    assert_problem(r, 429, "rate_limited", what);
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: Retry-After missing: {:?}", r.headers));
    assert!(
        (1..=window_secs).contains(&retry),
        "{what}: Retry-After {retry}"
    );
    assert!(r.body["access_token"].is_null());
}

async fn failures_throttle_the_username_until_a_success_resets_it(backend: Backend) {
    let app = TestApp::spawn(backend).await; // the defaults: 5 per user, 20 per address, 15 min
    app.office("H", None).await;
    app.add_user("an.nguyen", "clerk", Some("H")).await;
    app.add_user("binh.tran", "clerk", Some("H")).await;

    // Four failures, then a success: the slate is clean again.
    for _ in 0..4 {
        assert_unauthorized(
            &sign_in(&app, "an.nguyen", "wrong-password-123", None).await,
            "wrong password",
        );
    }
    assert_eq!(
        sign_in(&app, "an.nguyen", STAFF_PASSWORD, None)
            .await
            .status,
        200
    );
    for i in 0..5 {
        assert_unauthorized(
            &sign_in(&app, "an.nguyen", "wrong-password-123", None).await,
            &format!("failure {i}"),
        );
    }
    // The sixth attempt is refused before the password is looked at: even the right one.
    let r = sign_in(&app, "an.nguyen", STAFF_PASSWORD, None).await;
    assert_throttled(&r, 900, "after five failures");
    assert_throttled(
        &sign_in(&app, "an.nguyen", "wrong-password-123", None).await,
        900,
        "still",
    );
    // Another user from the same address is not affected (9 failures < 20 per address).
    assert_eq!(
        sign_in(&app, "binh.tran", STAFF_PASSWORD, None)
            .await
            .status,
        200
    );
    // An unknown username is throttled exactly like a real one, so throttling tells nothing.
    for _ in 0..5 {
        assert_unauthorized(
            &sign_in(&app, "nobody", "wrong-password-123", None).await,
            "unknown user",
        );
    }
    assert_throttled(
        &sign_in(&app, "nobody", "wrong-password-123", None).await,
        900,
        "unknown user",
    );
}

async fn failures_throttle_the_client_address_across_usernames(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.auth.max_failures_per_user = 100;
        s.auth.max_failures_per_address = 6;
        s.auth.failure_window_secs = 60;
    })
    .await;
    app.office("H", None).await;
    app.add_user("an.nguyen", "clerk", Some("H")).await;
    // Successes never count against the address.
    for _ in 0..8 {
        assert_eq!(
            sign_in(&app, "an.nguyen", STAFF_PASSWORD, None)
                .await
                .status,
            200
        );
    }
    for i in 0..6 {
        assert_unauthorized(
            &sign_in(&app, &format!("guess{i}"), "wrong-password-123", None).await,
            "spraying",
        );
    }
    assert_throttled(
        &sign_in(&app, "an.nguyen", STAFF_PASSWORD, None).await,
        60,
        "the address has used up its failures",
    );
}

async fn unknown_users_and_wrong_passwords_look_and_take_alike(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.auth.max_failures_per_user = 1_000;
        s.auth.max_failures_per_address = 1_000;
    })
    .await;
    app.office("H", None).await;
    app.add_user("an.nguyen", "clerk", Some("H")).await;
    let wrong = sign_in(&app, "an.nguyen", "wrong-password-123", None).await;
    let unknown = sign_in(&app, "nobody.here", "wrong-password-123", None).await;
    assert_unauthorized(&wrong, "wrong password");
    assert_unauthorized(&unknown, "unknown user");
    assert_eq!(wrong.text, unknown.text, "one body for both");
    assert_eq!(
        wrong.header("www-authenticate"),
        unknown.header("www-authenticate")
    );
    // Both check one argon2 hash: the fastest of several tries is close (without the dummy hash
    // an unknown user answers tens of times faster). The bound is loose and the tries many so
    // that a busy machine cannot make an honest server fail it.
    let mut fastest = [Duration::MAX; 2];
    for _ in 0..15 {
        for (i, user) in ["an.nguyen", "nobody.here"].into_iter().enumerate() {
            let started = Instant::now();
            let r = sign_in(&app, user, "wrong-password-123", None).await;
            fastest[i] = fastest[i].min(started.elapsed());
            assert_eq!(r.status, 401);
        }
    }
    let [known, unknown] = fastest;
    assert!(
        unknown * 5 >= known && known * 5 >= unknown,
        "wrong password {known:?}, unknown user {unknown:?}"
    );
}

async fn forwarded_for_counts_only_from_a_trusted_proxy(backend: Backend) {
    // No proxy configured: the header is the client's own say and is ignored.
    let app = TestApp::spawn_with(backend, |s| s.public.lookup_per_minute = 3).await;
    for i in 0..3 {
        assert_eq!(lookup(&app, &format!("203.0.113.{i}")).await, 404);
    }
    assert_eq!(
        lookup(&app, "203.0.113.99").await,
        429,
        "a forged X-Forwarded-For does not escape the limit"
    );
    drop(app);

    // Behind a trusted proxy (the test client connects from 127.0.0.1): each forwarded client
    // has its own budget, and what a client writes left of the proxy's entry is not believed.
    let app = TestApp::spawn_with(backend, |s| {
        s.public.lookup_per_minute = 3;
        s.server.trusted_proxies = vec!["127.0.0.0/8".into(), "10.0.0.0/8".into()];
        s.auth.max_failures_per_user = 100;
        s.auth.max_failures_per_address = 3;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(lookup(&app, "203.0.113.1").await, 404);
    }
    assert_eq!(lookup(&app, "203.0.113.1").await, 429);
    assert_eq!(
        lookup(&app, "198.51.100.1, 203.0.113.1").await,
        429,
        "a forged left-hand entry"
    );
    assert_eq!(
        lookup(&app, "203.0.113.1, 10.1.2.3").await,
        429,
        "through two proxies"
    );
    assert_eq!(lookup(&app, "203.0.113.2").await, 404, "another client");
    assert_eq!(
        lookup(&app, "203.0.113.1, 203.0.113.3").await,
        404,
        "the right-most untrusted hop"
    );

    // The sign-in throttle keys on the same address.
    for i in 0..3 {
        let r = sign_in(
            &app,
            &format!("guess{i}"),
            "wrong-password-123",
            Some("198.51.100.7"),
        )
        .await;
        assert_unauthorized(&r, "spraying from one client");
    }
    assert_throttled(
        &sign_in(&app, "guess9", "wrong-password-123", Some("198.51.100.7")).await,
        900,
        "that client",
    );
    assert_unauthorized(
        &sign_in(&app, "guess9", "wrong-password-123", Some("198.51.100.8")).await,
        "another client behind the same proxy",
    );
}

crate::both_backends!(
    failures_throttle_the_username_until_a_success_resets_it,
    failures_throttle_the_client_address_across_usernames,
    unknown_users_and_wrong_passwords_look_and_take_alike,
    forwarded_for_counts_only_from_a_trusted_proxy,
);
