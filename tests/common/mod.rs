//! Test harness: the real server on port 0 over a real SQLite file or a fresh PostgreSQL
//! database (cloned from a migrated template), and an HTTP client that talks to it.
#![allow(dead_code)]

pub mod browser;
pub mod gateway;
pub mod pdf;
pub mod receiver;
pub mod serve;
pub mod smtp;

use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use motcua::app::Application;
use motcua::config::Settings;
use motcua::db::{self, Db};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

pub const ADMIN_PASSWORD: &str = "admin-password-1234";
pub const STAFF_PASSWORD: &str = "staff-password-1234";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `MOTCUA_TEST_SKIP_POSTGRES=1` is the one explicit way to run without PostgreSQL.
pub fn skip_postgres() -> bool {
    std::env::var("MOTCUA_TEST_SKIP_POSTGRES")
        .map(|v| v == "1")
        .unwrap_or(false)
}

pub fn admin_url() -> String {
    let url = std::env::var("MOTCUA_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = url::Url::parse(&url)
        .ok()
        .map(|u| u.path().trim_start_matches('/').to_owned())
        .unwrap_or_default();
    with_database(&url, if name.is_empty() { "postgres" } else { &name })
}

fn with_database(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).expect("MOTCUA_TEST_DATABASE_URL is a URL");
    u.set_path(&format!("/{name}"));
    // Loopback needs no TLS, and libpq's OpenSSL clean-up at process exit can race the server
    // threads a test leaves running (seen as "double free" aborts after a passing test).
    if !u.query_pairs().any(|(k, _)| k == "sslmode") {
        u.query_pairs_mut().append_pair("sslmode", "disable");
    }
    u.to_string()
}

/// A migrated template database, named after the migrations' content, made once per machine.
fn template() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
        let mut files: Vec<_> = walk(&dir);
        files.sort();
        let mut hasher = sha2_hex::Hasher::default();
        for f in &files {
            // Relative names: every checkout of the same migrations shares one template.
            hasher.update(f.strip_prefix(&dir).unwrap_or(f).to_string_lossy().as_bytes());
            hasher.update(&std::fs::read(f).expect("read migration"));
        }
        let name = format!("motcua_tpl_{}", &hasher.finish()[..16]);
        let admin = admin_url();
        let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {} ({e}).\n\
                 Start it (see README.md) or set MOTCUA_TEST_SKIP_POSTGRES=1 to run the SQLite half only.",
                motcua::config::redact_url(&admin)
            )
        });
        conn.batch_execute("SELECT pg_advisory_lock(7420002)").expect("lock");
        let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
        )))
        .get_result(&mut conn)
        .expect("query pg_database");
        if !exists {
            conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("create template");
            let db = db::connect(&with_database(&admin, &name), 1, std::time::Duration::from_secs(10))
                .expect("connect template");
            db.migrate().expect("migrate template");
            drop(db);
        }
        conn.batch_execute("SELECT pg_advisory_unlock(7420002)").expect("unlock");
        name
    })
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("read migrations dir")
        .flatten()
    {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

mod sha2_hex {
    use sha2::{Digest, Sha256};

    #[derive(Default)]
    pub struct Hasher(Sha256);

    impl Hasher {
        pub fn update(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }

        pub fn finish(self) -> String {
            hex::encode(self.0.finalize())
        }
    }
}

/// A fresh, empty database for one test; dropped with it.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/motcua.db", dir.path().display());
                Self {
                    url,
                    backend,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let tpl = template();
                let name = format!("motcua_t_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin_url()).expect("connect admin");
                conn.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {tpl}"))
                    .expect("create test database");
                Self {
                    url: with_database(&admin_url(), &name),
                    backend,
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Best effort; a leftover database only costs disk space.
            let _ = std::thread::spawn(move || {
                if let Ok(mut c) = PgConnection::establish(&admin_url()) {
                    let _ =
                        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            })
            .join();
        }
    }
}

/// Settings for a test server: loopback, port 0, the given database.
pub fn test_settings(url: &str) -> Settings {
    let mut s = Settings::default();
    s.database.url = SecretString::from(url.to_owned());
    s.database.max_connections = 8;
    s.server.bind = "127.0.0.1:0".into();
    s.server.workers = 2;
    s.auth.jwt_secret = Some(SecretString::from("test-secret-test-secret-test-secret!"));
    // Tests run the sweep themselves, when they mean to.
    s.jobs.sweep_interval_secs = 3600;
    s.jobs.delivery_interval_ms = 600_000;
    // Files go to a folder of the test's own, never the working directory's data/files.
    let files =
        std::env::temp_dir().join(format!("motcua-files-{}", uuid::Uuid::new_v4().simple()));
    s.files.store = format!("file://{}", files.display());
    s
}

pub struct TestApp {
    pub worker: motcua::jobs::Worker,
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub database: TestDatabase,
    pub admin_token: String,
}

/// A response as the tests inspect it.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Checks that this is the citizen's 429 page (HTML, `Retry-After` of 1–60 s, the page
    /// saying to wait that long) and returns the seconds it asks for.
    pub fn rate_limited_page(&self) -> u64 {
        assert_eq!(self.status, 429, "{}", self.text);
        assert!(
            self.header("content-type")
                .unwrap_or("")
                .starts_with("text/html"),
            "{:?}",
            self.header("content-type")
        );
        let retry: u64 = self
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!((1..=60).contains(&retry), "Retry-After {retry}");
        assert!(
            self.text.contains("Xin vui lòng chờ một lát")
                && self.text.contains(&format!("sau {retry} giây")),
            "{}",
            self.text
        );
        retry
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let database = tokio::task::spawn_blocking(move || TestDatabase::new(backend))
            .await
            .expect("database");
        let mut settings = test_settings(&database.url);
        tweak(&mut settings);
        let app = Application::build(settings)
            .await
            .expect("application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.state().db.clone();
        let worker = app.worker().clone();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut test = TestApp {
            worker,
            address,
            client,
            db,
            database,
            admin_token: String::new(),
        };
        test.add_user("admin", "admin", None).await;
        test.admin_token = test.token("admin", ADMIN_PASSWORD).await;
        test
    }

    /// Creates a user directly in storage (as `motcua user add` does).
    pub async fn add_user(&self, username: &str, role: &str, office: Option<&str>) {
        let db = self.db.clone();
        let (username, role, office) = (
            username.to_owned(),
            role.to_owned(),
            office.map(str::to_owned),
        );
        tokio::task::spawn_blocking(move || {
            let password = if role == "admin" {
                ADMIN_PASSWORD
            } else {
                STAFF_PASSWORD
            };
            let mut conn = db.conn().expect("conn");
            motcua::api::auth::create_user_blocking(
                &mut conn,
                motcua::api::auth::CreateUserRequest {
                    username,
                    password: password.into(),
                    role: motcua::domain::dossier::Role::parse(&role).expect("role"),
                    office_code: office,
                    full_name: None,
                    email: None,
                },
            )
            .expect("create user");
        })
        .await
        .expect("join");
    }

    pub async fn token(&self, username: &str, password: &str) -> String {
        let r = self
            .request(
                Method::POST,
                "/api/v1/auth/token",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(r.status, 200, "sign-in of {username} failed: {}", r.text);
        r.body["access_token"].as_str().expect("token").to_owned()
    }

    /// A user of the role at the office, signed in.
    pub async fn staff(&self, username: &str, role: &str, office: &str) -> String {
        self.add_user(username, role, Some(office)).await;
        self.token(username, STAFF_PASSWORD).await
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        self.request_with(method, path, token, body, &[]).await
    }

    pub async fn request_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut rb = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("request sent");
        Self::read(resp).await
    }

    /// Sends a raw body with a content type (for malformed JSON and the like).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Resp {
        let mut rb = self
            .client
            .request(method, format!("{}{}", self.address, path))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        Self::read(rb.send().await.expect("request sent")).await
    }

    async fn read(resp: reqwest::Response) -> Resp {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    /// The admin takes `action` on dossier `code` (`POST /api/v1/dossiers/{code}/{action}`); the
    /// test stops unless it succeeds.
    pub async fn act(&self, code: &str, action: &str, body: Value) {
        let r = self
            .post(
                &format!("/api/v1/dossiers/{code}/{action}"),
                &self.admin_token.clone(),
                body,
            )
            .await;
        assert_eq!(r.status, 200, "{action} {code}: {}", r.text);
    }

    /// An office created by the admin.
    pub async fn office(&self, code: &str, parent: Option<&str>) {
        let r = self
            .post(
                "/api/v1/offices",
                &self.admin_token.clone(),
                json!({"code": code, "name": format!("Văn phòng {code}"), "head_name": "Trần Văn Bình", "parent_code": parent}),
            )
            .await;
        assert_eq!(r.status, 201, "create office {code}: {}", r.text);
    }

    /// A procedure created by the admin.
    pub async fn procedure(&self, code: &str, office: &str, amount: u32, unit: &str) {
        let r = self
            .post(
                "/api/v1/procedures",
                &self.admin_token.clone(),
                json!({"code": code, "name": format!("Thủ tục {code}"), "field": "Đất đai", "office_code": office,
                       "processing_time": {"amount": amount, "unit": unit}}),
            )
            .await;
        assert_eq!(r.status, 201, "create procedure {code}: {}", r.text);
    }

    /// One run of the sweep and the outbox delivery, as `motcua sweep --once` does.
    pub async fn sweep(&self) -> motcua::jobs::RunReport {
        let (_tx, rx) = tokio::sync::watch::channel(false);
        self.worker.run_once(&rx).await.expect("sweep runs")
    }

    /// Rows in a table, read straight from the database.
    pub async fn count(&self, table: &str) -> i64 {
        let db = self.db.clone();
        let table = table.to_owned();
        tokio::task::spawn_blocking(move || {
            #[derive(QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let mut conn = db.conn().expect("conn");
            let rows: Vec<N> = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                .load(&mut *conn)
                .expect("count");
            rows[0].n
        })
        .await
        .expect("join")
    }

    /// Runs one statement straight on the database.
    pub async fn exec(&self, sql: &str) -> usize {
        let db = self.db.clone();
        let sql = sql.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.conn().expect("conn");
            diesel::sql_query(sql)
                .execute(&mut *conn)
                .expect("statement")
        })
        .await
        .expect("join")
    }

    /// Marks the receipts' messages as sent, for tests about what comes after (the letters):
    /// as if the citizen had been told of the receipt long ago.
    pub async fn receipts_told(&self) -> usize {
        self.exec("UPDATE outbox SET status = 'sent' WHERE kind = 'receipt'")
            .await
    }

    /// Counts of every table a write could touch, to show that a refused request changed nothing.
    pub async fn snapshot(&self) -> Vec<(&'static str, i64)> {
        let mut out = Vec::new();
        for t in [
            "offices",
            "users",
            "procedures",
            "dossiers",
            "dossier_events",
            "dossier_steps",
            "dossier_counters",
            "idempotency_keys",
        ] {
            out.push((t, self.count(t).await));
        }
        out
    }
}

/// Runs each named test on both backends: `mod sqlite { … }` and `mod postgres { … }`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::common::skip_postgres() {
                        eprintln!("skipped: MOTCUA_TEST_SKIP_POSTGRES=1");
                        return;
                    }
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
    };
}
