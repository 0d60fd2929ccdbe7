//! Events per second through the event feed: the demo's dossiers loaded into a fresh database,
//! their events positioned, then read by a client following `next_cursor` over HTTP (pages of
//! 1,000) from the real server on a loopback port, on SQLite and on PostgreSQL.
//!
//!   cargo bench --bench feed                       # 20,000 dossiers (about 90,000 events)
//!   MOTCUA_BENCH_DOSSIERS=100000 cargo bench --bench feed
//!   MOTCUA_BENCH_BACKENDS=sqlite cargo bench --bench feed
//!
//! Target: at least 20,000 events/s. Figures are printed, never asserted.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use motcua::app::Application;
use motcua::config::Settings;
use secrecy::SecretString;

fn admin_url() -> String {
    std::env::var("MOTCUA_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_db(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a database URL");
    format!("{base}/{name}?sslmode=disable")
}

const PASSWORD: &str = "bench-admin-password";

async fn run(backend: &str, url: String, dossiers: usize) {
    let mut settings = Settings::default();
    settings.database.url = SecretString::from(url.clone());
    settings.server.bind = "127.0.0.1:0".into();
    settings.auth.jwt_secret = Some(SecretString::from("bench-secret-bench-secret-bench-secret"));
    settings.jobs.sweep_interval_secs = 3600;

    let db = motcua::app::open_database(&settings)
        .await
        .expect("database");
    let (_, cals) = motcua::app::load_calendar(&settings, &db)
        .await
        .expect("calendar");
    let loaded = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.conn().expect("conn");
            let report = motcua::demo::load(&mut conn, &cals, dossiers, 3, motcua::db::now())
                .expect("demo data");
            let hash = motcua::auth::hash_password(PASSWORD).expect("hash");
            motcua::store::users::create(
                &mut conn,
                motcua::store::users::NewUser {
                    username: "bench.admin".into(),
                    password_hash: hash,
                    role: motcua::domain::dossier::Role::Admin,
                    office_code: None,
                    full_name: None,
                    email: None,
                },
            )
            .expect("admin");
            let started = Instant::now();
            let positioned = motcua::store::feed::assign_positions(&mut conn).expect("positions");
            (report.events, positioned, started.elapsed())
        })
        .await
        .expect("join")
    };
    let (events, positioned, assign) = loaded;
    println!(
        "{backend}: {dossiers} dossiers, {events} events; positions given to {positioned} in \
         {:.2} s ({:.0} events/s)",
        assign.as_secs_f64(),
        positioned as f64 / assign.as_secs_f64()
    );

    let app = Application::build(settings).await.expect("server");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let token: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"username": "bench.admin", "password": PASSWORD}))
        .send()
        .await
        .expect("sign in")
        .json()
        .await
        .expect("token");
    let token = token["access_token"].as_str().expect("a token").to_owned();
    for round in 1..=2 {
        let started = Instant::now();
        let (mut read, mut pages) = (0usize, 0usize);
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{base}/api/v1/events?limit=1000");
            if let Some(c) = &cursor {
                url.push_str(&format!("&after={c}"));
            }
            let page: serde_json::Value = client
                .get(url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("page")
                .json()
                .await
                .expect("json");
            let n = page["items"].as_array().map_or(0, Vec::len);
            if n == 0 {
                break;
            }
            read += n;
            pages += 1;
            cursor = page["next_cursor"].as_str().map(str::to_owned);
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{backend}: round {round}: {read} events in {pages} pages in {secs:.2} s = {:.0} events/s",
            read as f64 / secs
        );
    }
}

fn main() {
    let dossiers: usize = std::env::var("MOTCUA_BENCH_DOSSIERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let backends =
        std::env::var("MOTCUA_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for backend in backends.split(',') {
        match backend {
            "sqlite" => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/feed.db", dir.path().display());
                rt.block_on(run("sqlite", url, dossiers));
            }
            "postgres" => {
                let name = format!("motcua_bench_feed_{}", std::process::id());
                let mut admin = PgConnection::establish(&admin_url()).expect("PostgreSQL");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create database");
                rt.block_on(run("postgres", with_db(&admin_url(), &name), dossiers));
                std::thread::sleep(Duration::from_millis(200));
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
            other => eprintln!("unknown backend {other}"),
        }
    }
}
