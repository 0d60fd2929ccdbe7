//! CORS: off unless origins are configured; then exactly those origins, methods and headers.

use reqwest::Method;

use crate::common::{Backend, Resp, TestApp};

const ALLOWED: &str = "https://motcua.example.vn";

fn cors_headers(r: &Resp) -> Vec<String> {
    r.headers
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

async fn preflight(app: &TestApp, origin: &str, method: &str, headers: &str) -> Resp {
    app.request_with(
        Method::OPTIONS,
        "/api/v1/dossiers",
        None,
        None,
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", method),
            ("Access-Control-Request-Headers", headers),
        ],
    )
    .await
}

fn list(r: &Resp, name: &str) -> Vec<String> {
    r.header(name)
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

async fn cors_is_off_unless_configured(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = preflight(&app, ALLOWED, "POST", "authorization, content-type").await;
    assert!(cors_headers(&r).is_empty(), "preflight: {:?}", r.headers);
    assert!(
        !r.status.is_success(),
        "no preflight is answered: {}",
        r.status
    );
    let token = app.admin_token.clone();
    let r = app
        .request_with(
            Method::GET,
            "/api/v1/me",
            Some(&token),
            None,
            &[("Origin", ALLOWED)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(
        cors_headers(&r).is_empty(),
        "simple request: {:?}",
        r.headers
    );
}

async fn cors_allows_exactly_the_configured_origins(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.server.cors_origins = vec![ALLOWED.into(), "http://localhost:5173".into()];
    })
    .await;
    let r = preflight(
        &app,
        ALLOWED,
        "POST",
        "authorization, content-type, idempotency-key, if-match",
    )
    .await;
    assert!(r.status.is_success(), "{} {:?}", r.status, r.headers);
    assert_eq!(r.header("access-control-allow-origin"), Some(ALLOWED));
    let mut methods = list(&r, "access-control-allow-methods");
    methods.sort();
    assert_eq!(methods, ["delete", "get", "patch", "post", "put"]);
    let mut headers = list(&r, "access-control-allow-headers");
    headers.sort();
    assert_eq!(
        headers,
        [
            "authorization",
            "content-type",
            "idempotency-key",
            "if-match"
        ]
    );
    assert_eq!(
        r.header("access-control-allow-credentials"),
        None,
        "bearer tokens, not cookies"
    );
    assert!(
        list(&r, "vary").iter().any(|v| v == "origin"),
        "{:?}",
        r.headers
    );
    let r = preflight(&app, "http://localhost:5173", "PUT", "authorization").await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );

    // Anything else: no permission granted.
    for (origin, method, headers, what) in [
        (
            "https://evil.example",
            "POST",
            "authorization",
            "another origin",
        ),
        (
            "https://motcua.example.vn.evil.example",
            "POST",
            "authorization",
            "a look-alike origin",
        ),
        (
            "http://motcua.example.vn",
            "POST",
            "authorization",
            "the same host over http",
        ),
        ("null", "POST", "authorization", "an opaque origin"),
        (ALLOWED, "PROPFIND", "authorization", "a method not allowed"),
        (ALLOWED, "POST", "x-secret-header", "a header not allowed"),
    ] {
        let r = preflight(&app, origin, method, headers).await;
        assert_eq!(
            r.header("access-control-allow-origin"),
            None,
            "{what}: {:?}",
            r.headers
        );
    }

    // Actual requests: the allowed origin may read the response and its headers.
    let token = app.admin_token.clone();
    let r = app
        .request_with(
            Method::GET,
            "/api/v1/me",
            Some(&token),
            None,
            &[("Origin", ALLOWED)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some(ALLOWED));
    let mut exposed = list(&r, "access-control-expose-headers");
    exposed.sort();
    assert_eq!(exposed, ["etag", "location", "retry-after", "x-request-id"]);
    // Errors too, so that a browser client can read the problem.
    let r = app
        .request_with(
            Method::GET,
            "/api/v1/me",
            None,
            None,
            &[("Origin", ALLOWED)],
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.header("access-control-allow-origin")),
        (401, Some(ALLOWED))
    );
    // Another origin is served (CORS is not access control) but its page cannot read the answer.
    let r = app
        .request_with(
            Method::GET,
            "/api/v1/me",
            Some(&token),
            None,
            &[("Origin", "https://evil.example")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    // Without an Origin header (curl, servers): no origin is granted anything.
    let r = app.get("/api/v1/me", &token).await;
    assert_eq!(
        (r.status.as_u16(), r.header("access-control-allow-origin")),
        (200, None)
    );
}

crate::both_backends!(
    cors_is_off_unless_configured,
    cors_allows_exactly_the_configured_origins
);
