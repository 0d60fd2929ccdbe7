//! `/metrics` in the Prometheus text format (version 0.0.4).
//!
//! Two kinds of figures: what this process counted since it started (requests per route and
//! status with their latency, sweeps, emails), kept in lock-free atomics; and what the database
//! says at scrape time (open dossiers by timeliness, the outbox backlog, letters by delivery
//! state), the same on every replica. Route labels are the routing patterns
//! (`/api/v1/dossiers/{code}`), never the paths themselves: codes and ID numbers stay out, and
//! the number of series stays bounded.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

use actix_web::{HttpResponse, web};

use crate::api::AppState;
use crate::db;
use crate::error::AppResult;
use crate::store;

/// Request latency buckets, in seconds.
const HTTP_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Sweep duration buckets, in seconds.
const SWEEP_BUCKETS: [f64; 10] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0];

/// A cumulative histogram. The sum is kept in microseconds so that it fits an atomic integer.
struct Histogram {
    bounds: &'static [f64],
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, secs: f64) {
        // Non-cumulative in memory (one increment per observation); cumulated when rendered.
        if let Some(i) = self.bounds.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((secs * 1e6).max(0.0) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                format!("{{{s}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {count}", braces(labels));
    }
}

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct RequestKey {
    method: String,
    route: String,
    status: u16,
}

/// What this process counted since it started.
pub struct Registry {
    requests: RwLock<HashMap<RequestKey, Arc<Histogram>>>,
    sweep: Histogram,
    sweep_failures: AtomicU64,
    letters_created: AtomicU64,
    emails_sent: AtomicU64,
    email_failures: AtomicU64,
    webhooks_delivered: AtomicU64,
    webhook_failures: AtomicU64,
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| Registry {
    requests: RwLock::new(HashMap::new()),
    sweep: Histogram::new(&SWEEP_BUCKETS),
    sweep_failures: AtomicU64::new(0),
    letters_created: AtomicU64::new(0),
    emails_sent: AtomicU64::new(0),
    email_failures: AtomicU64::new(0),
    webhooks_delivered: AtomicU64::new(0),
    webhook_failures: AtomicU64::new(0),
});

/// One request served. `route` is the matched pattern, or `None` for an unrouted path.
pub fn observe_request(method: &str, route: Option<&str>, status: u16, secs: f64) {
    let route = route.unwrap_or("unmatched");
    let found = REGISTRY.requests.read().ok().and_then(|map| {
        map.get(&RequestKey {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        })
        .cloned()
    });
    let hist = match found {
        Some(h) => h,
        None => {
            let key = RequestKey {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            };
            let mut map = match REGISTRY.requests.write() {
                Ok(m) => m,
                Err(poisoned) => poisoned.into_inner(),
            };
            map.entry(key)
                .or_insert_with(|| Arc::new(Histogram::new(&HTTP_BUCKETS)))
                .clone()
        }
    };
    hist.observe(secs);
}

/// One sweep run: how long it took, and how many letters it wrote (`None`: it failed).
pub fn observe_sweep(secs: f64, letters: Option<usize>) {
    REGISTRY.sweep.observe(secs);
    match letters {
        Some(n) => {
            REGISTRY
                .letters_created
                .fetch_add(n as u64, Ordering::Relaxed);
        }
        None => {
            REGISTRY.sweep_failures.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// One email handed to the SMTP server (`true`) or refused by it / unreachable (`false`).
pub fn observe_email(sent: bool) {
    let counter = if sent {
        &REGISTRY.emails_sent
    } else {
        &REGISTRY.email_failures
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A webhook delivery attempt: answered 2xx, or not.
pub fn observe_webhook(delivered: bool) {
    let counter = if delivered {
        &REGISTRY.webhooks_delivered
    } else {
        &REGISTRY.webhook_failures
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A label value as the text format wants it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn render_process(out: &mut String) {
    let requests: Vec<(RequestKey, Arc<Histogram>)> = {
        let map = match REGISTRY.requests.read() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut v: Vec<_> = map.iter().map(|(k, h)| (k.clone(), h.clone())).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let labels = |k: &RequestKey| {
        format!(
            "method=\"{}\",route=\"{}\",status=\"{}\"",
            escape(&k.method),
            escape(&k.route),
            k.status
        )
    };
    header(
        out,
        "motcua_http_requests_total",
        "counter",
        "HTTP requests served, by method, route pattern and status.",
    );
    for (k, h) in &requests {
        let _ = writeln!(
            out,
            "motcua_http_requests_total{{{}}} {}",
            labels(k),
            h.count.load(Ordering::Relaxed)
        );
    }
    header(
        out,
        "motcua_http_request_duration_seconds",
        "histogram",
        "Time from the request's arrival to its response, by method, route pattern and status.",
    );
    for (k, h) in &requests {
        h.render(out, "motcua_http_request_duration_seconds", &labels(k));
    }
    header(
        out,
        "motcua_sweep_duration_seconds",
        "histogram",
        "Duration of the deadline sweep (overdue detection, letters, warnings), per run.",
    );
    REGISTRY
        .sweep
        .render(out, "motcua_sweep_duration_seconds", "");
    for (name, help, counter) in [
        (
            "motcua_sweep_failures_total",
            "Sweep runs that failed (retried at the next interval).",
            &REGISTRY.sweep_failures,
        ),
        (
            "motcua_apology_letters_created_total",
            "Automatic apology letters written by this process's sweeps.",
            &REGISTRY.letters_created,
        ),
        (
            "motcua_emails_sent_total",
            "Emails (letters, warnings, escalations) accepted by the SMTP server.",
            &REGISTRY.emails_sent,
        ),
        (
            "motcua_email_failures_total",
            "Email attempts that failed (retried with backoff until outbox.max_attempts).",
            &REGISTRY.email_failures,
        ),
        (
            "motcua_webhooks_delivered_total",
            "Webhook deliveries a receiver answered with 2xx.",
            &REGISTRY.webhooks_delivered,
        ),
        (
            "motcua_webhook_failures_total",
            "Webhook attempts without a 2xx answer (retried with backoff).",
            &REGISTRY.webhook_failures,
        ),
    ] {
        header(out, name, "counter", help);
        let _ = writeln!(out, "{name} {}", counter.load(Ordering::Relaxed));
    }
}

/// What the database says right now.
fn render_database(out: &mut String, g: &store::gauges::Gauges, pool: (u32, u32, u32)) {
    let (max, connections, idle) = pool;
    header(
        out,
        "motcua_db_pool_connections",
        "gauge",
        "Database connections of this process's pool, by state.",
    );
    let _ = writeln!(
        out,
        "motcua_db_pool_connections{{state=\"in_use\"}} {}",
        connections.saturating_sub(idle)
    );
    let _ = writeln!(out, "motcua_db_pool_connections{{state=\"idle\"}} {idle}");
    header(
        out,
        "motcua_db_pool_max_connections",
        "gauge",
        "The pool's size limit (database.max_connections).",
    );
    let _ = writeln!(out, "motcua_db_pool_max_connections {max}");
    header(
        out,
        "motcua_dossiers_open",
        "gauge",
        "Open dossiers by timeliness (on_track, due_soon, overdue, paused).",
    );
    for (t, n) in [
        ("on_track", g.on_track),
        ("due_soon", g.due_soon),
        ("overdue", g.overdue),
        ("paused", g.paused),
    ] {
        let _ = writeln!(out, "motcua_dossiers_open{{timeliness=\"{t}\"}} {n}");
    }
    header(
        out,
        "motcua_outbox_backlog",
        "gauge",
        "Emails waiting to be sent (pending or retrying).",
    );
    let _ = writeln!(out, "motcua_outbox_backlog {}", g.outbox_backlog);
    header(
        out,
        "motcua_outbox_oldest_due_seconds",
        "gauge",
        "How long the oldest waiting email has been due (0 when none is).",
    );
    let _ = writeln!(
        out,
        "motcua_outbox_oldest_due_seconds {}",
        g.outbox_oldest_due_secs
    );
    header(
        out,
        "motcua_apology_letters",
        "gauge",
        "Apology letters by delivery state (pending, retrying, sent, failed, print).",
    );
    for (status, n) in &g.letters {
        let _ = writeln!(
            out,
            "motcua_apology_letters{{delivery_status=\"{}\"}} {n}",
            escape(status)
        );
    }
}

/// `GET /metrics`.
pub async fn metrics(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let now = db::now();
    let horizon = state
        .calendar()
        .due_at(now, state.settings.deadlines.due_soon);
    let gauges = state
        .db(move |conn| store::gauges::read(conn, now, horizon))
        .await?;
    let pool = state.db.pool_state();
    let mut out = String::with_capacity(16 * 1024);
    render_process(&mut out);
    render_database(&mut out, &gauges, pool);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_the_count() {
        let h = Histogram::new(&SWEEP_BUCKETS);
        for s in [0.005, 0.07, 0.07, 2.0, 1000.0] {
            h.observe(s);
        }
        let mut out = String::new();
        h.render(&mut out, "x", "a=\"b\"");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.01\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.1\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"5\"} 4\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"300\"} 4\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"+Inf\"} 5\n"), "{out}");
        assert!(out.contains("x_count{a=\"b\"} 5\n"), "{out}");
        assert!(out.contains("x_sum{a=\"b\"} 1002.145\n"), "{out}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
