//! How long the deadline sweep takes: creating and delivering apology letters for 10,000 newly
//! overdue dossiers to an SMTP server on loopback, and a sweep with nothing to do.
//!
//!   cargo bench --bench sweep                      # PostgreSQL at MOTCUA_TEST_DATABASE_URL
//!   MOTCUA_BENCH_DOSSIERS=1000 cargo bench --bench sweep
//!   MOTCUA_BENCH_IDLE_URL=postgres://…/motcua_bench_reports cargo bench --bench sweep
//!       (also times an idle sweep over an existing database, e.g. the one bench/reports.sh
//!        loaded with a million dossiers)
//!
//! Targets (on a 2-core machine): under one minute for the 10,000 letters, under 100 ms for a
//! sweep with nothing to do. Figures are printed, never asserted.

#[path = "../tests/common/smtp.rs"]
mod smtp;

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use motcua::api::AppState;
use motcua::auth::{TokenKeys, random_secret};
use motcua::config::Settings;
use motcua::domain::calendar::{CalendarSettings, ProcessingTime, WorkingCalendar};
use motcua::domain::dossier::Channel;
use motcua::jobs::Worker;
use motcua::store::{dossiers, offices, procedures};
use secrecy::SecretString;

fn admin_url() -> String {
    std::env::var("MOTCUA_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_db(url: &str, name: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a database URL");
    format!("{base}/{name}?sslmode=disable")
}

fn seed(url: &str, n: usize) {
    let db = motcua::db::connect(url, 2, Duration::from_secs(10)).expect("connect");
    db.migrate().expect("migrate");
    let mut conn = db.conn().expect("conn");
    offices::create(
        &mut conn,
        offices::NewOffice {
            code: "H40".into(),
            name: "UBND huyện A".into(),
            head_name: Some("Trần Văn Bình".into()),
            parent_code: None,
        },
    )
    .expect("office");
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
    .expect("procedure");
    let cal = WorkingCalendar::new(CalendarSettings::default(), vec![]);
    let received_at = motcua::db::now() - chrono::Duration::days(30);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        motcua::db::write_tx(&mut conn, |c| -> Result<(), motcua::error::AppError> {
            for i in chunk {
                let new = dossiers::NewDossier {
                    office_code: "H40".into(),
                    procedure_code: "P3".into(),
                    channel: Channel::Online,
                    full_name: format!("Công dân {i}"),
                    id_number: format!("{:012}", 79_000_000_000u64 + *i as u64),
                    phone: None,
                    email: Some(format!("c{i}@example.vn")),
                    address: None,
                    note: None,
                    received_at,
                    actor: "bench".into(),
                    notify: vec![motcua::domain::notice::NoticeChannel::Email],
                };
                dossiers::receive(
                    c,
                    &motcua::store::catalog::Catalog::default(),
                    &cal,
                    &new,
                    motcua::db::now(),
                )?;
            }
            Ok(())
        })
        .expect("seed");
    }
    // Their receipts were told when they were received: the bench measures the letters.
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE outbox SET status = 'sent' WHERE kind = 'receipt'"),
        &mut conn,
    )
    .expect("receipts told");
}

async fn worker_for(url: &str, smtp: Option<String>) -> Worker {
    let mut settings = Settings::default();
    settings.database.url = SecretString::from(url.to_owned());
    settings.smtp.url = smtp.map(SecretString::from);
    settings.auth.jwt_secret = Some(SecretString::from("bench-secret-bench-secret-bench-secret"));
    let settings = Arc::new(settings);
    let db = motcua::app::open_database(&settings)
        .await
        .expect("database");
    let cals = motcua::app::load_calendar(&settings, &db)
        .await
        .expect("calendar");
    let keys = TokenKeys::new(&settings.auth, &random_secret());
    let state = AppState::new(
        db,
        settings.clone(),
        cals,
        settings.calendar_setup().expect("setup"),
        keys,
    );
    Worker::new(state).expect("worker")
}

fn main() {
    // `cargo test --benches` runs this without --bench: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = std::env::var("MOTCUA_BENCH_DOSSIERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let name = "motcua_bench_sweep";
        let mut admin = PgConnection::establish(&admin_url()).expect("PostgreSQL (MOTCUA_TEST_DATABASE_URL)");
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).expect("drop");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create");
        let url = with_db(&admin_url(), name);
        let started = Instant::now();
        let seed_url = url.clone();
        tokio::task::spawn_blocking(move || seed(&seed_url, n)).await.expect("seed");
        println!("seeded {n} overdue dossiers in {:.1} s", started.elapsed().as_secs_f64());

        let sink = smtp::SmtpSink::start().await;
        let (_stop, rx) = tokio::sync::watch::channel(false);
        // First the letters (and their queued emails), then the delivery, timed apart.
        let creator = worker_for(&url, None).await;
        let started = Instant::now();
        let created = creator.run_once(&rx).await.expect("sweep");
        let creating = started.elapsed();
        let worker = worker_for(&url, Some(sink.url())).await;
        let started = Instant::now();
        let delivered = worker.run_once(&rx).await.expect("delivery");
        let delivering = started.elapsed();
        let received = sink.wait_for(n, Duration::from_secs(5)).await.len();
        println!(
            "sweep: {} letters created in {:.1} s, {} emails sent ({} received by the SMTP server) in {:.1} s; \
             {:.1} s in all — target < 60 s",
            created.sweep.letters,
            creating.as_secs_f64(),
            delivered.sent,
            received,
            delivering.as_secs_f64(),
            (creating + delivering).as_secs_f64()
        );
        let mut idle = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            worker.run_once(&rx).await.expect("sweep");
            idle.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        idle.sort_by(|a, b| a.total_cmp(b));
        println!("idle sweep over {n} dossiers: median {:.1} ms (10 runs) — target < 100 ms", idle[5]);

        if let Ok(big) = std::env::var("MOTCUA_BENCH_IDLE_URL") {
            let worker = worker_for(&big, None).await;
            worker.run_once(&rx).await.expect("first sweep over the big database");
            let mut idle = Vec::new();
            for _ in 0..10 {
                let t = Instant::now();
                worker.run_once(&rx).await.expect("sweep");
                idle.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            idle.sort_by(|a, b| a.total_cmp(b));
            println!("idle sweep over {big}: median {:.1} ms (10 runs) — target < 100 ms", idle[5]);
        }
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    });
}
