//! The `motcua` binary as operators run it: configuration errors, migrate, user add, and
//! several server processes on one PostgreSQL.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, TestDatabase};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_motcua");
const SECRET: &str = "a-shared-secret-for-every-replica-0123";

/// A command with a clean motcua environment: only what the test sets.
fn motcua(cwd: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("MOTCUA_") {
            c.env_remove(k);
        }
    }
    c.env("RUST_LOG", "info");
    c
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> (i32, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn motcua");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn an_invalid_configuration_exits_non_zero_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(
        motcua(dir.path())
            .arg("migrate")
            .env("MOTCUA__SERVER__BIND", "nonsense"),
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("server.bind"), "{err}");
    let (code, _, err) = run(
        motcua(dir.path())
            .arg("serve")
            .env("MOTCUA__SERVER__BIND", "0.0.0.0:0"),
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("auth.jwt_secret"), "{err}");
    let (code, _, err) = run(
        motcua(dir.path())
            .arg("migrate")
            .env("MOTCUA__NO_SUCH__KEY", "1"),
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("no_such"),
        "an unknown key is a typo worth reporting: {err}"
    );
    let (code, _, err) = run(
        motcua(dir.path())
            .arg("migrate")
            .env("MOTCUA_CONFIG", "/nonexistent/motcua.toml"),
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("MOTCUA_CONFIG"), "{err}");
}

#[test]
fn an_unreachable_database_exits_non_zero_naming_the_url_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(
        motcua(dir.path()).arg("migrate").env(
            "MOTCUA__DATABASE__URL",
            "postgres://app:hunter2@127.0.0.1:1/motcua",
        ),
        None,
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("hunter2"), "password leaked: {err}");
}

#[test]
fn configuration_layers_from_the_working_directory_file_then_motcua_config_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/default.toml"),
        "[database]\nurl = \"sqlite://from-default/m.db\"\n",
    )
    .unwrap();
    let (code, out, err) = run(motcua(dir.path()).arg("migrate"), None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("from-default/m.db"), "{out}");
    assert!(dir.path().join("from-default/m.db").is_file());

    std::fs::write(
        dir.path().join("extra.toml"),
        "[database]\nurl = \"sqlite://from-extra/m.db\"\n",
    )
    .unwrap();
    let (code, _, err) = run(
        motcua(dir.path())
            .arg("migrate")
            .env("MOTCUA_CONFIG", "extra.toml"),
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(dir.path().join("from-extra/m.db").is_file());

    let (code, _, err) = run(
        motcua(dir.path())
            .arg("migrate")
            .env("MOTCUA_CONFIG", "extra.toml")
            .env("MOTCUA__DATABASE__URL", "sqlite://from-env/m.db"),
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(dir.path().join("from-env/m.db").is_file());
}

#[test]
fn user_add_reads_the_password_from_stdin_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(
        motcua(dir.path()).args([
            "user",
            "add",
            "--username",
            "root",
            "--role",
            "admin",
            "--password-stdin",
        ]),
        Some("short\n"),
    );
    assert_ne!(code, 0);
    assert!(err.contains("password"), "{err}");
    let (code, out, err) = run(
        motcua(dir.path()).args([
            "user",
            "add",
            "--username",
            "root",
            "--role",
            "admin",
            "--password-stdin",
        ]),
        Some("a-long-enough-password\n"),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created user root"), "{out}");
    assert!(
        dir.path().join("data/motcua.db").is_file(),
        "the embedded default database is created"
    );
    let (code, _, err) = run(
        motcua(dir.path()).args([
            "user",
            "add",
            "--username",
            "root",
            "--role",
            "admin",
            "--password-stdin",
        ]),
        Some("a-long-enough-password\n"),
    );
    assert_ne!(code, 0);
    assert!(err.contains("taken"), "{err}");
    let (code, _, err) = run(
        motcua(dir.path()).args([
            "user",
            "add",
            "--username",
            "clerk1",
            "--role",
            "clerk",
            "--office",
            "NOPE",
            "--password-stdin",
        ]),
        Some("a-long-enough-password\n"),
    );
    assert_ne!(code, 0);
    assert!(err.contains("office"), "{err}");
    let (code, _, err) = run(
        motcua(dir.path()).args([
            "user",
            "add",
            "--username",
            "x",
            "--role",
            "boss",
            "--password-stdin",
        ]),
        Some(""),
    );
    assert_ne!(code, 0);
    assert!(err.contains("boss"), "{err}");
}

/// A `motcua serve` process, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(cwd: &Path, database_url: &str) -> Server {
    serve_with(
        cwd,
        database_url,
        &[("MOTCUA__SERVER__WORKERS", "2".into())],
    )
}

/// `motcua serve` on a free port with the given extra settings; waits for its address.
fn serve_with(cwd: &Path, database_url: &str, env: &[(&str, String)]) -> Server {
    let mut cmd = motcua(cwd);
    cmd.arg("serve")
        .env("MOTCUA__DATABASE__URL", database_url)
        .env("MOTCUA__SERVER__BIND", "127.0.0.1:0")
        .env("MOTCUA__AUTH__JWT_SECRET", SECRET)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let _ = tx.send(rest.trim().to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server reported its address");
    Server { child, base }
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut rb = client.post(url).json(&body);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let r = rb.send().await.expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgres_never_collide() {
    if common::skip_postgres() {
        eprintln!("skipped: MOTCUA_TEST_SKIP_POSTGRES=1");
        return;
    }
    let database = tokio::task::spawn_blocking(|| TestDatabase::new(Backend::Postgres))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(
        motcua(dir.path())
            .args([
                "user",
                "add",
                "--username",
                "admin",
                "--role",
                "admin",
                "--password-stdin",
            ])
            .env("MOTCUA__DATABASE__URL", &database.url),
        Some("admin-password-1234"),
    );
    assert_eq!(code, 0, "{err}");
    let (a, b) = {
        let (url, cwd) = (database.url.clone(), dir.path().to_owned());
        let (url2, cwd2) = (url.clone(), cwd.clone());
        let ta = std::thread::spawn(move || serve(&cwd, &url));
        let tb = std::thread::spawn(move || serve(&cwd2, &url2));
        (ta.join().unwrap(), tb.join().unwrap())
    };
    let client = reqwest::Client::new();
    let (s, tok) = post(
        &client,
        format!("{}/api/v1/auth/token", a.base),
        None,
        json!({"username": "admin", "password": "admin-password-1234"}),
    )
    .await;
    assert_eq!(s, 200);
    let admin = tok["access_token"].as_str().unwrap().to_owned();
    let (s, _) = post(
        &client,
        format!("{}/api/v1/offices", a.base),
        Some(&admin),
        json!({"code": "H40", "name": "Một cửa"}),
    )
    .await;
    assert_eq!(s, 201);
    // Replica A has not seen P1 yet: the receipt is refused and nothing is remembered of it, so
    // A takes the procedure as soon as B has created it (replicas cache only what exists).
    let receipt = json!({"procedure_code": "P1", "channel": "online", "office_code": "H40",
                         "applicant": {"full_name": "Lê Thị Hoa", "id_number": "001234567"},
                         "received_at": "2026-11-16T08:00:00+07:00"});
    let (s, body) = post(
        &client,
        format!("{}/api/v1/dossiers", a.base),
        Some(&admin),
        receipt.clone(),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "procedure_code", "{body}");
    let (s, _) = post(
        &client,
        format!("{}/api/v1/procedures", b.base),
        Some(&admin),
        json!({"code": "P1", "name": "Thủ tục", "field": "Hộ tịch", "office_code": "H40", "processing_time": {"amount": 5, "unit": "working_days"}}),
    )
    .await;
    assert_eq!(s, 201, "a token from one replica works on the other");

    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let (client, admin, receipt) = (client.clone(), admin.clone(), receipt.clone());
        tasks.push(tokio::spawn(async move {
            post(
                &client,
                format!("{base}/api/v1/dossiers"),
                Some(&admin),
                receipt,
            )
            .await
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        let (s, body) = t.await.unwrap();
        assert_eq!(s, 201, "{body}");
        codes.push(body["code"].as_str().unwrap().to_owned());
    }
    codes.sort();
    let expected: Vec<String> = (1..=60).map(|n| format!("H40-261116-{n:04}")).collect();
    assert_eq!(
        codes, expected,
        "60 receipts over two processes: distinct, consecutive, no gaps"
    );
    eprintln!("60 receipts over two processes in {:?}", started.elapsed());
}

/// Seeds `n` overdue dossiers, each with its own applicant email, straight through the library.
fn seed_overdue(url: &str, n: usize) {
    use motcua::domain::calendar::{CalendarSettings, ProcessingTime, WorkingCalendar};
    use motcua::domain::dossier::Channel;
    use motcua::store::{dossiers, offices, procedures};
    let db = motcua::db::connect(url, 2, Duration::from_secs(10)).unwrap();
    db.migrate().unwrap();
    let mut conn = db.conn().unwrap();
    offices::create(
        &mut conn,
        offices::NewOffice {
            code: "H40".into(),
            name: "UBND huyện A".into(),
            head_name: Some("Trần Văn Bình".into()),
            parent_code: None,
        },
    )
    .unwrap();
    procedures::create(
        &mut conn,
        procedures::NewProcedure {
            code: "P3".into(),
            name: "Đăng ký hộ kinh doanh".into(),
            field: "Kinh tế".into(),
            office_code: "H40".into(),
            processing_time: ProcessingTime::working_days(3),
            components: Vec::new(),
            fees: Vec::new(),
            actor: "motcua".into(),
        },
    )
    .unwrap();
    let cal = WorkingCalendar::new(CalendarSettings::default(), vec![]);
    let received_at = chrono::DateTime::parse_from_rfc3339("2026-11-02T09:00:00+07:00")
        .unwrap()
        .to_utc();
    for i in 0..n {
        let new = dossiers::NewDossier {
            office_code: "H40".into(),
            procedure_code: "P3".into(),
            channel: Channel::Online,
            full_name: format!("Công dân {i}"),
            id_number: format!("{:012}", 79_000_000_000u64 + i as u64),
            phone: None,
            email: Some(format!("c{i}@example.vn")),
            address: None,
            note: None,
            received_at,
            actor: "seed".into(),
            notify: vec![motcua::domain::notice::NoticeChannel::Email],
        };
        motcua::db::write_tx(&mut conn, |c| {
            dossiers::receive(
                c,
                &motcua::store::catalog::Catalog::default(),
                &cal,
                &new,
                motcua::db::now(),
            )
        })
        .unwrap();
    }
    // Their receipts were told when they were received, weeks ago: only the letters are new.
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE outbox SET status = 'sent' WHERE kind = 'receipt'"),
        &mut conn,
    )
    .unwrap();
}

fn serve_with_mail(cwd: &Path, database_url: &str, smtp: &str, lease_secs: u64) -> Server {
    serve_with(
        cwd,
        database_url,
        &[
            ("MOTCUA__SERVER__WORKERS", "1".into()),
            ("MOTCUA__SMTP__URL", smtp.into()),
            ("MOTCUA__JOBS__SWEEP_INTERVAL_SECS", "1".into()),
            ("MOTCUA__OUTBOX__LEASE_SECS", lease_secs.to_string()),
        ],
    )
}

/// Every recipient's messages: one Message-ID per letter, however many copies.
fn by_recipient(
    mails: &[common::smtp::Received],
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut m: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for mail in mails {
        m.entry(mail.to[0].clone())
            .or_default()
            .insert(mail.header("Message-ID").unwrap());
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_send_five_hundred_letters_exactly_once() {
    if common::skip_postgres() {
        eprintln!("skipped: MOTCUA_TEST_SKIP_POSTGRES=1");
        return;
    }
    let database = tokio::task::spawn_blocking(|| TestDatabase::new(Backend::Postgres))
        .await
        .unwrap();
    let url = database.url.clone();
    tokio::task::spawn_blocking(move || seed_overdue(&url, 500))
        .await
        .unwrap();
    let sink = common::smtp::SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (_a, _b) = {
        let (url, cwd, smtp) = (database.url.clone(), dir.path().to_owned(), sink.url());
        let (url2, cwd2, smtp2) = (url.clone(), cwd.clone(), smtp.clone());
        let ta = std::thread::spawn(move || serve_with_mail(&cwd, &url, &smtp, 300));
        let tb = std::thread::spawn(move || serve_with_mail(&cwd2, &url2, &smtp2, 300));
        (ta.join().unwrap(), tb.join().unwrap())
    };
    let mails = sink.wait_for(500, Duration::from_secs(180)).await;
    eprintln!(
        "500 letters created and delivered by two processes in {:?}",
        started.elapsed()
    );
    // Let both keep sweeping a few more rounds: nothing more may arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = if sink.messages().len() > mails.len() {
        sink.messages()
    } else {
        mails
    };
    assert_eq!(mails.len(), 500, "exactly one email per late dossier");
    let ids: std::collections::BTreeSet<String> = mails
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), 500, "500 distinct Message-IDs");
    assert_eq!(by_recipient(&mails).len(), 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_batch_leaves_its_letters_to_another() {
    if common::skip_postgres() {
        eprintln!("skipped: MOTCUA_TEST_SKIP_POSTGRES=1");
        return;
    }
    let database = tokio::task::spawn_blocking(|| TestDatabase::new(Backend::Postgres))
        .await
        .unwrap();
    let url = database.url.clone();
    tokio::task::spawn_blocking(move || seed_overdue(&url, 100))
        .await
        .unwrap();
    let sink = common::smtp::SmtpSink::start().await;
    sink.set_delay(Duration::from_millis(40));
    let dir = tempfile::tempdir().unwrap();
    let mut first = serve_with_mail(dir.path(), &database.url, &sink.url(), 3);
    let before_kill = sink.wait_for(10, Duration::from_secs(60)).await.len();
    assert!(
        (10..100).contains(&before_kill),
        "the first process was mid-batch ({before_kill} sent)"
    );
    first.child.kill().unwrap(); // SIGKILL: no shutdown, its leases stay until they expire
    let _ = first.child.wait();
    sink.set_delay(Duration::ZERO);
    let _second = serve_with_mail(dir.path(), &database.url, &sink.url(), 3);
    let deadline = Instant::now() + Duration::from_secs(90);
    while by_recipient(&sink.messages()).len() < 100 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = sink.messages();
    let per = by_recipient(&mails);
    assert_eq!(per.len(), 100, "every letter delivered");
    for (to, ids) in &per {
        assert_eq!(
            ids.len(),
            1,
            "{to}: any duplicate carries the first copy's Message-ID"
        );
    }
    eprintln!(
        "{} messages for 100 letters ({} duplicates after the kill)",
        mails.len(),
        mails.len() - 100
    );
}
