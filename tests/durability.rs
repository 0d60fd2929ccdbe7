//! Data that lasts on the embedded default: every pooled SQLite connection runs with the
//! configured `PRAGMA synchronous`; `motcua backup` copies a database in use and the copy
//! serves every dossier; a server killed (SIGKILL) in the middle of a burst of receipts keeps
//! every dossier whose 201 reached the client, and never issues a code twice.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Backend, TestApp};
use diesel::prelude::*;
use motcua::config::SqliteSynchronous;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_motcua");
const SECRET: &str = "test-secret-test-secret-test-secret!";
const ADMIN_PASSWORD: &str = "an-admin-password-123";

#[derive(QueryableByName)]
struct Level {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    synchronous: i32,
}

/// Holds every connection of the server's pool at once and asks each for its setting.
async fn levels_of_every_pooled_connection(app: &TestApp) -> Vec<i32> {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let (max, _, _) = db.pool_state();
        let mut held = Vec::new();
        for _ in 0..max {
            held.push(db.conn().expect("a pooled connection"));
        }
        held.iter_mut()
            .map(|c| {
                let rows: Vec<Level> = diesel::sql_query("PRAGMA synchronous")
                    .load(&mut **c)
                    .expect("pragma");
                rows[0].synchronous
            })
            .collect()
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pooled_sqlite_connection_runs_with_the_configured_synchronous() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let levels = levels_of_every_pooled_connection(&app).await;
    assert_eq!(levels.len(), 8);
    assert!(
        levels.iter().all(|l| *l == 2),
        "FULL by default: {levels:?}"
    );
    for (setting, level) in [
        (SqliteSynchronous::Normal, 1),
        (SqliteSynchronous::Extra, 3),
    ] {
        let app = TestApp::spawn_with(Backend::Sqlite, |s| {
            s.database.sqlite_synchronous = setting;
        })
        .await;
        let levels = levels_of_every_pooled_connection(&app).await;
        assert!(
            levels.iter().all(|l| *l == level),
            "{setting:?}: {levels:?}"
        );
    }
}

/// `motcua` with only the given database and the test secret, in `cwd`.
fn motcua(cwd: &Path, database_url: &str) -> Command {
    let mut c = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("MOTCUA_") {
            c.env_remove(k);
        }
    }
    c.current_dir(cwd)
        .env("MOTCUA__DATABASE__URL", database_url)
        .env("MOTCUA__AUTH__JWT_SECRET", SECRET)
        .env("RUST_LOG", "info");
    c
}

/// A `motcua serve` process, killed when dropped.
type Server = common::serve::Serving;

fn serve(cwd: &Path, database_url: &str) -> Server {
    common::serve::serve(motcua(cwd, database_url), 2)
}

fn add_admin(cwd: &Path, database_url: &str) {
    let mut child = motcua(cwd, database_url)
        .args([
            "user",
            "add",
            "--username",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn user add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ADMIN_PASSWORD.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(u16, Value), reqwest::Error> {
    let mut rb = client.request(method, url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await?;
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

async fn sign_in(client: &reqwest::Client, base: &str, user: &str, password: &str) -> String {
    let (s, b) = call(
        client,
        reqwest::Method::POST,
        format!("{base}/api/v1/auth/token"),
        None,
        Some(json!({"username": user, "password": password})),
    )
    .await
    .expect("sign in");
    assert_eq!(s, 200, "{b}");
    b["access_token"].as_str().expect("token").to_owned()
}

/// An office, a procedure and a clerk, through the API; the clerk's token.
async fn world(client: &reqwest::Client, base: &str) -> String {
    let admin = sign_in(client, base, "admin", ADMIN_PASSWORD).await;
    for (path, body) in [
        (
            "/api/v1/offices",
            json!({"code": "H40", "name": "Bộ phận Một cửa"}),
        ),
        (
            "/api/v1/procedures",
            json!({"code": "1.001234", "name": "Cấp giấy phép xây dựng", "field": "Xây dựng",
                   "office_code": "H40", "processing_time": {"amount": 3, "unit": "working_days"}}),
        ),
        (
            "/api/v1/users",
            json!({"username": "clerk.h40", "password": "a-long-clerk-password", "role": "clerk",
                   "office_code": "H40"}),
        ),
    ] {
        let (s, b) = call(
            client,
            reqwest::Method::POST,
            format!("{base}{path}"),
            Some(&admin),
            Some(body),
        )
        .await
        .expect("setup");
        assert_eq!(s, 201, "{path}: {b}");
    }
    sign_in(client, base, "clerk.h40", "a-long-clerk-password").await
}

fn receipt(n: usize) -> Value {
    json!({"procedure_code": "1.001234", "channel": "counter",
           "applicant": {"full_name": format!("Nguyễn Văn {n}"), "id_number": "079123456789"}})
}

/// Receipts from `clients` loops until one of them fails to reach the server; the codes of
/// every 201.
async fn burst(
    base: &str,
    clerk: &str,
    clients: usize,
    stop_after: usize,
) -> Arc<Mutex<Vec<String>>> {
    let codes = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (base, clerk, codes) = (base.to_owned(), clerk.to_owned(), codes.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for i in 0.. {
                if codes.lock().unwrap().len() >= stop_after {
                    return;
                }
                match call(
                    &client,
                    reqwest::Method::POST,
                    format!("{base}/api/v1/dossiers"),
                    Some(&clerk),
                    Some(receipt(c * 100_000 + i)),
                )
                .await
                {
                    Ok((201, b)) => codes
                        .lock()
                        .unwrap()
                        .push(b["code"].as_str().expect("code").to_owned()),
                    Ok((s, b)) => panic!("receipt answered {s}: {b}"),
                    Err(_) => return,
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("client task");
    }
    codes
}

async fn every_code_is_found(client: &reqwest::Client, base: &str, clerk: &str, codes: &[String]) {
    for code in codes {
        let (s, b) = call(
            client,
            reqwest::Method::GET,
            format!("{base}/api/v1/dossiers/{code}"),
            Some(clerk),
            None,
        )
        .await
        .expect("read");
        assert_eq!(s, 200, "{code} was acknowledged but is gone: {b}");
        assert_eq!(b["code"], code.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_a_burst_keeps_every_acknowledged_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/motcua.db", dir.path().display());
    add_admin(dir.path(), &url);
    let mut server = serve(dir.path(), &url);
    let client = reqwest::Client::new();
    let clerk = world(&client, &server.base).await;

    let base = server.base.clone();
    let clerk_for_burst = clerk.clone();
    let receipts = tokio::spawn(async move { burst(&base, &clerk_for_burst, 8, usize::MAX).await });
    // Let the burst run, then kill the server without warning in the middle of it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    let acknowledged = receipts.await.unwrap().lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 20,
        "the burst ran: {}",
        acknowledged.len()
    );
    let distinct: BTreeSet<&String> = acknowledged.iter().collect();
    assert_eq!(
        distinct.len(),
        acknowledged.len(),
        "a code was issued twice"
    );

    let restarted = serve(dir.path(), &url);
    every_code_is_found(&client, &restarted.base, &clerk, &acknowledged).await;
    // The numbering goes on after the last receipt the dead process committed.
    let after = burst(&restarted.base, &clerk, 2, 20)
        .await
        .lock()
        .unwrap()
        .clone();
    for code in &after {
        assert!(
            !distinct.contains(code),
            "{code} issued again after the restart"
        );
    }
    eprintln!(
        "{} receipts acknowledged before the kill, all found; {} after the restart",
        acknowledged.len(),
        after.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_every_dossier() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/motcua.db", dir.path().display());
    add_admin(dir.path(), &url);
    let server = serve(dir.path(), &url);
    let client = reqwest::Client::new();
    let clerk = world(&client, &server.base).await;
    let before = burst(&server.base, &clerk, 4, 200)
        .await
        .lock()
        .unwrap()
        .clone();

    // Receipts keep coming while the copy is taken.
    let base = server.base.clone();
    let clerk_for_burst = clerk.clone();
    let during = tokio::spawn(async move { burst(&base, &clerk_for_burst, 4, 250).await });
    let copy = dir.path().join("backups/copy.db");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let (cwd, u, c) = (dir.path().to_owned(), url.clone(), copy.clone());
    let out = tokio::task::spawn_blocking(move || {
        motcua(&cwd, &u)
            .args(["backup", "--to"])
            .arg(&c)
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
    assert!(String::from_utf8_lossy(&out.stdout).contains("backed up"));
    let during = during.await.unwrap().lock().unwrap().clone();
    drop(server);

    // A second backup to the same file is refused rather than overwriting it.
    let (cwd, u, c) = (dir.path().to_owned(), url.clone(), copy.clone());
    let again = tokio::task::spawn_blocking(move || {
        motcua(&cwd, &u)
            .args(["backup", "--to"])
            .arg(&c)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!again.status.success());

    // Restore: serve the copy.
    let restored_dir = tempfile::tempdir().unwrap();
    std::fs::copy(&copy, restored_dir.path().join("restored.db")).unwrap();
    let restored_url = format!("sqlite://{}/restored.db", restored_dir.path().display());
    let restored = serve(restored_dir.path(), &restored_url);
    every_code_is_found(&client, &restored.base, &clerk, &before).await;
    // Of the receipts made during the copy, those it holds are whole (a consistent snapshot):
    // a prefix of the day's numbering.
    let (s, b) = call(
        &client,
        reqwest::Method::GET,
        format!("{}/api/v1/dossiers?per_page=500", restored.base),
        Some(&clerk),
        None,
    )
    .await
    .unwrap();
    assert_eq!(s, 200, "{b}");
    let total = b["total"].as_i64().unwrap() as usize;
    assert!(
        (before.len()..=before.len() + during.len()).contains(&total),
        "{total} dossiers in the copy, {} before and {} during",
        before.len(),
        during.len()
    );
    let mut seqs: Vec<u32> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["code"]
                .as_str()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    seqs.sort();
    assert_eq!(
        seqs,
        (1..=total as u32).collect::<Vec<_>>(),
        "no hole in the copy"
    );
}
