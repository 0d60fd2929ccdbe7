//! Staff accounts over time: tokens that stop working when an account is deactivated or its role
//! or office changes (at once on the replica that made the change, within 2 s on another one),
//! passwords, the audit of every change, and the command line, on both backends.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, STAFF_PASSWORD, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_motcua");
/// The secret `common::test_settings` gives the in-process server.
const SECRET: &str = "test-secret-test-secret-test-secret!";

async fn patch(app: &TestApp, path: &str, token: &str, body: Value) -> common::Resp {
    app.request(Method::PATCH, path, Some(token), Some(body))
        .await
}

async fn me(app: &TestApp, token: &str) -> u16 {
    app.get("/api/v1/me", token).await.status.as_u16()
}

async fn setup(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    app.office("000.00.24.H40", None).await;
    app.office("000.00.25.H40", None).await;
    app
}

/// `motcua` with only the given database and the test secret.
fn motcua(database_url: &str) -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("MOTCUA_") {
            c.env_remove(k);
        }
    }
    let dir = std::env::temp_dir();
    c.current_dir(dir)
        .env("MOTCUA__DATABASE__URL", database_url)
        .env("MOTCUA__AUTH__JWT_SECRET", SECRET)
        .env("RUST_LOG", "info");
    c
}

/// A second replica: `motcua serve` on the same database, killed when dropped.
type Replica = common::serve::Serving;

fn replica(database_url: &str) -> Replica {
    common::serve::serve(motcua(database_url), 1)
}

async fn status_at(client: &reqwest::Client, base: &str, token: &str) -> u16 {
    client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}

/// Polls `base` until `token` is refused; returns how long that took.
async fn refused_within(client: &reqwest::Client, base: &str, token: &str) -> Duration {
    let started = Instant::now();
    loop {
        let s = status_at(client, base, token).await;
        if s == 401 {
            return started.elapsed();
        }
        assert_eq!(s, 200, "only 200 until refused");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still accepted after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_deactivated_clerk_is_refused_at_once_and_can_come_back(backend: Backend) {
    let app = setup(backend).await;
    let admin = app.admin_token.clone();
    let clerk = app.staff("clerk.h40", "clerk", "000.00.24.H40").await;
    assert_eq!(me(&app, &clerk).await, 200);

    let r = patch(
        &app,
        "/api/v1/users/clerk.h40",
        &admin,
        json!({"active": false}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["role"], "clerk");
    // The very next request, on the server that made the change.
    let r = app.get("/api/v1/me", &clerk).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(r.body["code"], "unauthorized");
    let r = app
        .request(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "clerk.h40", "password": STAFF_PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 401, "a deactivated account cannot sign in");

    let r = patch(
        &app,
        "/api/v1/users/clerk.h40",
        &admin,
        json!({"active": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(me(&app, &clerk).await, 401, "the old token stays dead");
    let fresh = app.token("clerk.h40", STAFF_PASSWORD).await;
    assert_eq!(me(&app, &fresh).await, 200);

    // Who did what, when.
    let r = app.get("/api/v1/users/clerk.h40/changes", &admin).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(
        r.body["total"], 3,
        "created, deactivated, reactivated: {}",
        r.text
    );
    assert_eq!(items[0]["actor"], "admin");
    assert_eq!(
        items[0]["changes"]["active"],
        json!({"from": false, "to": true})
    );
    assert_eq!(
        items[1]["changes"]["active"],
        json!({"from": true, "to": false})
    );
    assert!(items[0]["at"].as_str().unwrap().ends_with("+07:00"));
}

async fn a_role_or_office_change_ends_the_tokens_issued_before(backend: Backend) {
    let app = setup(backend).await;
    let admin = app.admin_token.clone();
    let token = app.staff("nv.h40", "clerk", "000.00.24.H40").await;
    let r = patch(
        &app,
        "/api/v1/users/nv.h40",
        &admin,
        json!({"role": "officer"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["role"], "officer");
    assert_eq!(me(&app, &token).await, 401, "issued to a clerk");
    let officer = app.token("nv.h40", STAFF_PASSWORD).await;
    let r = app.get("/api/v1/me", &officer).await;
    assert_eq!(
        (r.status.as_u16(), &r.body["role"]),
        (200, &json!("officer"))
    );

    let r = patch(
        &app,
        "/api/v1/users/nv.h40",
        &admin,
        json!({"office_code": "000.00.25.H40"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(me(&app, &officer).await, 401, "issued for the old office");

    // A name or an address is no reason to sign in again.
    let token = app.token("nv.h40", STAFF_PASSWORD).await;
    let r = patch(
        &app,
        "/api/v1/users/nv.h40",
        &admin,
        json!({"full_name": "Lê Thị Hoa", "email": "hoa@example.vn"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["full_name"], "Lê Thị Hoa");
    assert_eq!(me(&app, &token).await, 200);
    let r = patch(&app, "/api/v1/users/nv.h40", &admin, json!({"email": null})).await;
    assert_eq!((r.status.as_u16(), &r.body["email"]), (200, &Value::Null));
    let r = app.get("/api/v1/users/nv.h40", &admin).await;
    assert_eq!(r.body["office_code"], "000.00.25.H40");
    assert_eq!(r.body["full_name"], "Lê Thị Hoa");
    let changes = app.get("/api/v1/users/nv.h40/changes", &admin).await;
    assert_eq!(changes.body["items"][0]["changes"]["email"], "changed");
    assert!(
        !changes.text.contains("hoa@example.vn"),
        "addresses stay out of the audit"
    );
}

async fn bad_changes_are_refused_naming_the_field_and_change_nothing(backend: Backend) {
    let app = setup(backend).await;
    let admin = app.admin_token.clone();
    let clerk = app.staff("clerk.h40", "clerk", "000.00.24.H40").await;
    let before = app.snapshot().await;
    for (body, field) in [
        (json!({"office_code": "NO.SUCH"}), "office_code"),
        (json!({"office_code": "bad code"}), "office_code"),
        (json!({"office_code": null}), "office_code"),
        (json!({"email": "not-an-address"}), "email"),
        (json!({"email": ""}), "email"),
        (json!({"role": "boss"}), "role"),
        (json!({"active": "no"}), "active"),
        (json!({"password": "x"}), "password"),
    ] {
        let r = patch(&app, "/api/v1/users/clerk.h40", &admin, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.text);
    }
    let r = patch(
        &app,
        "/api/v1/users/admin",
        &admin,
        json!({"active": false}),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["errors"][0]["field"]),
        (422, &json!("active"))
    );
    let r = patch(
        &app,
        "/api/v1/users/nobody.here",
        &admin,
        json!({"active": false}),
    )
    .await;
    assert_eq!(r.status, 404);
    // Only administrators.
    let r = patch(
        &app,
        "/api/v1/users/clerk.h40",
        &clerk,
        json!({"role": "admin"}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(app.get("/api/v1/users", &clerk).await.status, 403);
    assert_eq!(app.get("/api/v1/users/clerk.h40", &clerk).await.status, 403);
    assert_eq!(app.snapshot().await, before);
    assert_eq!(
        me(&app, &clerk).await,
        200,
        "nothing changed, the token lives"
    );

    let r = app
        .get("/api/v1/users?role=clerk&active=true", &admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["username"], "clerk.h40");
    let r = app.get("/api/v1/users", &admin).await;
    assert_eq!(r.body["total"], 2);
    let r = app.get("/api/v1/users?role=nobody", &admin).await;
    assert_eq!(r.status, 422, "{}", r.text);
}

async fn one_changes_ones_own_password_with_the_current_one(backend: Backend) {
    let app = setup(backend).await;
    let clerk = app.staff("clerk.h40", "clerk", "000.00.24.H40").await;
    let before = app.snapshot().await;
    let r = app
        .post(
            "/api/v1/me/password",
            &clerk,
            json!({"current_password": "not-the-password", "new_password": "a-brand-new-password"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.body["errors"][0]["field"], "current_password");
    let r = app
        .post(
            "/api/v1/me/password",
            &clerk,
            json!({"current_password": STAFF_PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["errors"][0]["field"]),
        (422, &json!("new_password"))
    );
    assert_eq!(app.snapshot().await, before);
    assert!(!r.text.contains(STAFF_PASSWORD));

    let r = app
        .post(
            "/api/v1/me/password",
            &clerk,
            json!({"current_password": STAFF_PASSWORD, "new_password": "a-brand-new-password"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["username"], "clerk.h40");
    assert_eq!(
        me(&app, &clerk).await,
        401,
        "sign in again with the new password"
    );
    let r = app
        .request(
            Method::POST,
            "/api/v1/auth/token",
            None,
            Some(json!({"username": "clerk.h40", "password": STAFF_PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 401, "the old password is gone");
    let t = app.token("clerk.h40", "a-brand-new-password").await;
    assert_eq!(me(&app, &t).await, 200);
    let changes = app
        .get("/api/v1/users/clerk.h40/changes", &app.admin_token)
        .await;
    assert_eq!(changes.body["items"][0]["changes"]["password"], "changed");
    assert_eq!(changes.body["items"][0]["actor"], "clerk.h40");
}

/// Another replica on the same database notices within 2 s, without asking on every request.
async fn another_replica_refuses_the_old_token_within_two_seconds(backend: Backend) {
    let app = setup(backend).await;
    let admin = app.admin_token.clone();
    let clerk = app.staff("clerk.h40", "clerk", "000.00.24.H40").await;
    let officer = app.staff("officer.h40", "officer", "000.00.24.H40").await;
    let url = app.database.url.clone();
    let other = tokio::task::spawn_blocking(move || replica(&url))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    assert_eq!(status_at(&client, &other.base, &clerk).await, 200);
    assert_eq!(status_at(&client, &other.base, &officer).await, 200);

    let r = patch(
        &app,
        "/api/v1/users/clerk.h40",
        &admin,
        json!({"active": false}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(me(&app, &clerk).await, 401, "at once where it was made");
    let took = refused_within(&client, &other.base, &clerk).await;
    eprintln!("deactivation reached the other replica in {took:?}");
    assert!(took <= Duration::from_secs(2), "{took:?}");

    let r = patch(
        &app,
        "/api/v1/users/officer.h40",
        &admin,
        json!({"role": "supervisor"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let took = refused_within(&client, &other.base, &officer).await;
    assert!(took <= Duration::from_secs(2), "role change: {took:?}");
    // A token issued after the change works on both.
    let fresh = app.token("officer.h40", STAFF_PASSWORD).await;
    assert_eq!(status_at(&client, &other.base, &fresh).await, 200);
}

/// `motcua user disable` and `motcua user passwd` from the console reach a running server
/// within 2 s.
async fn the_command_line_disables_and_sets_passwords(backend: Backend) {
    let app = setup(backend).await;
    let clerk = app.staff("clerk.h40", "clerk", "000.00.24.H40").await;
    let url = app.database.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        let mut c = motcua(&url);
        c.args([
            "user",
            "passwd",
            "--username",
            "clerk.h40",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"a-console-password-1\n")
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client = reqwest::Client::new();
    let took = refused_within(&client, &app.address, &clerk).await;
    assert!(took <= Duration::from_secs(2), "{took:?}");
    let fresh = app.token("clerk.h40", "a-console-password-1").await;

    let url = app.database.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        motcua(&url)
            .args(["user", "disable", "--username", "clerk.h40"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let took = refused_within(&client, &app.address, &fresh).await;
    assert!(took <= Duration::from_secs(2), "{took:?}");
    let r = app
        .get("/api/v1/users/clerk.h40/changes", &app.admin_token)
        .await;
    assert_eq!(r.body["items"][0]["actor"], "motcua");
    assert_eq!(
        r.body["items"][0]["changes"]["active"],
        json!({"from": true, "to": false})
    );

    // A user nobody has, and a password too short, are refused with a message.
    let url = app.database.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        motcua(&url)
            .args(["user", "disable", "--username", "no.such.user"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no.such.user"));
}

crate::both_backends!(
    a_deactivated_clerk_is_refused_at_once_and_can_come_back,
    a_role_or_office_change_ends_the_tokens_issued_before,
    bad_changes_are_refused_naming_the_field_and_change_nothing,
    one_changes_ones_own_password_with_the_current_one,
    another_replica_refuses_the_old_token_within_two_seconds,
    the_command_line_disables_and_sets_passwords,
);
