//! How long what leaves through the outbox takes: 10,000 receipts' messages delivered to loopback
//! sinks on each channel (the emails with their Mẫu 01 PDF attached) and their 10,000 events to
//! a webhook receiver on loopback (signed), and the receipt's own throughput with notices on
//! (email, SMS, Zalo queued in its transaction), with one webhook subscribed, and with neither.
//!
//!   cargo bench --bench notifications                 # PostgreSQL at MOTCUA_TEST_DATABASE_URL
//!   MOTCUA_BENCH_RECEIPTS=2000 cargo bench --bench notifications
//!
//! Targets (2 cores): under 120 s for all three channels' 10,000 messages each; receipts with
//! notices at least 80% as fast as without. Figures are printed, never asserted.

#[path = "../tests/common/gateway.rs"]
mod gateway;
#[allow(dead_code)]
#[path = "../tests/common/receiver.rs"]
mod receiver;
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
use motcua::domain::notice::NoticeChannel;
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

fn fresh_database(name: &str) -> String {
    let mut admin =
        PgConnection::establish(&admin_url()).expect("PostgreSQL (MOTCUA_TEST_DATABASE_URL)");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("drop");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create");
    with_db(&admin_url(), name)
}

fn drop_database(name: &str) {
    if let Ok(mut admin) = PgConnection::establish(&admin_url()) {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// Receives `n` dossiers through the store, each in its own transaction as at the counter,
/// telling the citizen on `notify` (and, with `webhook`, a subscription to every event);
/// returns the time the receipts took.
fn receive(url: &str, n: usize, notify: &[NoticeChannel], webhook: Option<&str>) -> Duration {
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
            actor: "bench".into(),
        },
    )
    .expect("procedure");
    if let Some(url) = webhook {
        motcua::store::webhooks::create(
            &mut conn,
            motcua::store::webhooks::NewWebhook {
                url,
                events: None,
                description: "Nền tảng tích hợp tỉnh",
                secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                actor: "bench",
            },
            motcua::db::now(),
        )
        .expect("webhook");
    }
    let cal = WorkingCalendar::new(CalendarSettings::default(), vec![]);
    let catalog = motcua::store::catalog::Catalog::default();
    let started = Instant::now();
    for i in 0..n {
        let new = dossiers::NewDossier {
            office_code: "H40".into(),
            procedure_code: "P3".into(),
            channel: Channel::Counter,
            full_name: format!("Công dân {i}"),
            id_number: format!("{:012}", 79_000_000_000u64 + i as u64),
            phone: Some(format!("0905{:06}", i)),
            email: Some(format!("c{i}@example.vn")),
            address: None,
            note: None,
            received_at: motcua::db::now(),
            actor: "bench".into(),
            notify: notify.to_vec(),
        };
        motcua::db::write_tx(&mut conn, |c| {
            dossiers::receive(c, &catalog, &cal, &new, motcua::db::now())
        })
        .expect("receipt");
    }
    started.elapsed()
}

async fn worker_for(url: &str, tweak: impl FnOnce(&mut Settings)) -> Worker {
    let mut settings = Settings::default();
    settings.database.url = SecretString::from(url.to_owned());
    settings.auth.jwt_secret = Some(SecretString::from("bench-secret-bench-secret-bench-secret"));
    settings
        .zalo
        .templates
        .insert("receipt".into(), "1001".into());
    // A connection for each message in flight (jobs::IN_FLIGHT) besides the sweep's.
    settings.database.max_connections = 20;
    tweak(&mut settings);
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

/// Delivers everything a worker with this one transport can send; returns (sent, time).
async fn deliver(worker: &Worker) -> (usize, Duration) {
    let (_stop, rx) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let r = worker.run_once(&rx).await.expect("delivery");
        sent += r.sent;
        if r.sent + r.failed_attempts == 0 {
            break;
        }
    }
    (sent, started.elapsed())
}

fn main() {
    // `cargo test --benches` runs this without --bench: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n: usize = std::env::var("MOTCUA_BENCH_RECEIPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // Receipt throughput, notices off and on, each on a fresh database.
        let k = n.min(2_000);
        let mut per_sec = Vec::new();
        for (name, notify, webhook, what) in [
            ("motcua_bench_notify_off", vec![], None, "notices off"),
            (
                "motcua_bench_notify_on",
                NoticeChannel::ALL.to_vec(),
                None,
                "notices on (email, SMS, Zalo)",
            ),
            (
                "motcua_bench_notify_webhook",
                vec![],
                Some("https://lgsp.example.vn/motcua"),
                "one webhook, notices off",
            ),
        ] {
            let url = fresh_database(name);
            let took =
                tokio::task::spawn_blocking(move || receive(&url, k, &notify, webhook))
                    .await
                    .expect("receipts");
            let rate = k as f64 / took.as_secs_f64();
            println!(
                "receipts with {what}: {k} in {:.1} s, {rate:.0} per second (one transaction each, one connection)",
                took.as_secs_f64()
            );
            per_sec.push(rate);
            drop_database(name);
        }
        println!(
            "receipt throughput with notices on: {:.0}% of off — target ≥ 80%",
            100.0 * per_sec[1] / per_sec[0]
        );
        println!(
            "receipt throughput with one webhook: {:.0}% of none",
            100.0 * per_sec[2] / per_sec[0]
        );

        // Delivery: n receipts' messages on each channel, one channel at a time.
        let name = "motcua_bench_notify_delivery";
        let url = fresh_database(name);
        let seed_url = url.clone();
        let took =
            tokio::task::spawn_blocking(move || receive(&seed_url, n, &NoticeChannel::ALL, None))
                .await
                .expect("seed");
        println!("{n} receipts queued {} messages in {:.1} s", 3 * n, took.as_secs_f64());
        let sink = smtp::SmtpSink::start().await;
        let gw = gateway::Gateway::start().await;
        let mut total = Duration::ZERO;
        for channel in ["email", "sms", "zalo"] {
            let (smtp, sms, zalo) = (sink.url(), gw.sms_url(), gw.zalo_url());
            let worker = worker_for(&url, |s| match channel {
                "email" => s.smtp.url = Some(SecretString::from(smtp)),
                "sms" => s.sms.url = Some(SecretString::from(sms)),
                _ => s.zalo.url = Some(SecretString::from(zalo)),
            })
            .await;
            let (sent, took) = deliver(&worker).await;
            total += took;
            let arrived = match channel {
                "email" => sink.wait_for(n, Duration::from_secs(5)).await.len(),
                "sms" => gw.accepted("/sms").len(),
                _ => gw.accepted("/zalo").len(),
            };
            println!(
                "{channel}: {sent} sent ({arrived} arrived) in {:.1} s, {:.0} per second{}",
                took.as_secs_f64(),
                sent as f64 / took.as_secs_f64(),
                if channel == "email" { ", each with its Mẫu 01 PDF" } else { "" }
            );
        }
        println!(
            "all three channels: {:.1} s for {n} receipts' messages — target < 120 s",
            total.as_secs_f64()
        );
        drop_database(name);

        // The webhook deliveries, on a database of their own: n receipts' events to one
        // subscription, sent by a worker with no citizens' channel.
        let name = "motcua_bench_webhook_delivery";
        let url = fresh_database(name);
        let seed_url = url.clone();
        let receiver = receiver::Receiver::start().await;
        let hook = format!("{}/lgsp", receiver.url);
        tokio::task::spawn_blocking(move || receive(&seed_url, n, &[], Some(&hook)))
            .await
            .expect("seed");
        let worker = worker_for(&url, |s| s.webhooks.allow_private_networks = true).await;
        let (sent, took) = deliver(&worker).await;
        println!(
            "webhook: {sent} signed deliveries ({} arrived) in {:.1} s, {:.0} per second",
            receiver.received().len(),
            took.as_secs_f64(),
            sent as f64 / took.as_secs_f64()
        );
        drop_database(name);
    });
}
