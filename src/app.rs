//! Startup: open and migrate the database, load the calendar, bind the listener, run the server
//! and its background jobs.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{App, HttpServer, web};
use secrecy::ExposeSecret;

use crate::api::{self, AppState};
use crate::auth::{TokenKeys, random_secret};
use crate::config::Settings;
use crate::db::{self, Db};
use crate::domain::calendars::Calendars;
use crate::jobs::Worker;
use crate::store;
use tokio::sync::watch;

/// Opens the database named by the settings and applies pending migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let url = settings.database.url.expose_secret().to_owned();
    let max = settings.database.pool_size();
    let calendar = settings.calendar_setup()?;
    let timeout = Duration::from_secs(settings.database.connect_timeout_secs.max(1));
    let synchronous = settings.database.sqlite_synchronous;
    tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
        let db = db::connect_with(&url, max, timeout, synchronous)?;
        let applied = db.migrate()?;
        if applied > 0 {
            tracing::info!(applied, database = %db.shown_url, "migrations applied");
        }
        let mut conn = db.conn()?;
        let arrangements =
            store::calendar::parse_arrangements(store::calendar::SHIPPED_ARRANGEMENTS)
                .map_err(|e| anyhow::anyhow!("calendar/vietnam.toml: {e}"))?;
        let imported = db::write_tx(&mut conn, |c| {
            store::calendar::import(c, &calendar, &arrangements, db::now())
        })
        .map_err(|e| anyhow::anyhow!("cannot load the calendar arrangements: {}", e.cause()))?;
        if imported > 0 {
            tracing::info!(imported, "calendar arrangements loaded");
        }
        drop(conn);
        Ok(db)
    })
    .await?
}

/// The working calendar: configured sessions and rest days, generated holidays, stored overrides.
pub async fn load_calendar(settings: &Settings, db: &Db) -> anyhow::Result<(i64, Calendars)> {
    let cal_settings = settings.calendar_setup()?;
    let db = db.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut conn = db.conn()?;
        store::calendar::load(&mut conn, &cal_settings)
            .map_err(|e| anyhow::anyhow!("cannot load the calendar: {}", e.cause()))
    })
    .await?
}

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    worker: Worker,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        let db = open_database(&settings).await?;
        let calendar = load_calendar(&settings, &db).await?;
        if settings.auth.jwt_secret.is_none() {
            tracing::warn!(
                "auth.jwt_secret is not set: using a random secret for this run (loopback only); \
                 tokens will not survive a restart"
            );
        }
        if let Err(e) = crate::files::FileStore::open(&settings.files) {
            anyhow::bail!("{e}");
        }
        let keys = TokenKeys::new(&settings.auth, &random_secret());
        let state = AppState::new(
            db,
            settings.clone(),
            calendar,
            settings.calendar_setup()?,
            keys,
        );
        {
            let st = state.clone();
            state
                .db(move |conn| st.refresh_revisions(conn))
                .await
                .map_err(|e| anyhow::anyhow!("cannot read the users: {}", e.cause()))?;
        }
        let worker = Worker::new(state.clone())
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        if !worker.mailer.is_configured() {
            tracing::warn!("smtp.url is not set: emails stay queued in the outbox until it is");
        }
        // Every process says whether the national portal is synchronised: each dossier event
        // then queues its record in the event's own transaction.
        let national_url = settings.national_portal.url.clone();
        state
            .db(move |conn| {
                crate::store::webhooks::configure_national(
                    conn,
                    national_url.as_deref(),
                    crate::db::now(),
                )
            })
            .await
            .map_err(|e| {
                anyhow::anyhow!("cannot record the national portal's setting: {}", e.cause())
            })?;
        let listener = TcpListener::bind(settings.bind_addr()?)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.server.bind))?;
        let port = listener.local_addr()?.port();
        let server = server(state.clone(), listener)?;
        Ok(Self {
            port,
            server,
            state,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn worker(&self) -> &Worker {
        &self.worker
    }

    /// Serves until SIGINT/SIGTERM with the background jobs beside it. Shutdown is graceful:
    /// the listener closes, in-flight requests finish, the job finishes the email in hand and
    /// gives back its outbox leases so another replica can take over at once.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let jobs = tokio::spawn(self.worker.run_forever(stop_rx));
        let housekeeping = tokio::spawn(maintenance(self.state.clone()));
        let feed = tokio::spawn(feed_positions(self.state.clone()));
        let revisions = tokio::spawn(refresh_revisions(self.state.clone()));
        let result = self.server.await;
        revisions.abort();
        let _ = stop_tx.send(true);
        if tokio::time::timeout(Duration::from_secs(30), jobs)
            .await
            .is_err()
        {
            tracing::warn!("background job did not stop within 30 s");
        }
        housekeeping.abort();
        feed.abort();
        tracing::info!("stopped");
        result
    }
}

fn server(state: AppState, listener: TcpListener) -> anyhow::Result<Server> {
    let workers = state.settings.server.workers;
    let pool_size = state.settings.database.pool_size();
    let max_body = state.settings.server.max_body_bytes;
    let cors_origins = state.settings.server.cors_origins.clone();
    let data = web::Data::new(state);
    let mut http = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .app_data(api::path_config())
            .wrap(actix_web::middleware::from_fn(problem_for_wrong_methods))
            .wrap(actix_web::middleware::from_fn(refuse_control_characters))
            .wrap(cors(&cors_origins))
            .wrap(actix_web::middleware::from_fn(access_log))
            .service(web::resource("/metrics").route(web::get().to(crate::metrics::metrics)))
            .configure(api::routes)
            .configure(crate::web::routes)
            .default_service(web::to(crate::web::fallback))
    })
    .shutdown_timeout(30);
    if workers > 0 {
        http = http.workers(workers);
    }
    // Database work runs on each worker's blocking threads, and no more of them can work at once
    // than the pool has connections: more threads would only wait on the pool (64 clients meant
    // 64 threads taking turns, their context switches and their memory). Requests beyond that
    // wait in the queue in front of the threads instead.
    let workers = if workers > 0 {
        workers
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    let per_worker = (pool_size as usize).div_ceil(workers).max(2);
    http = http.worker_max_blocking_threads(per_worker);
    Ok(http.listen(listener)?.run())
}

/// Cross-origin access for the configured browser origins only; none configured (the default):
/// the middleware is off and no response carries CORS headers.
fn cors(origins: &[String]) -> actix_web::middleware::Condition<actix_cors::Cors> {
    use actix_web::http::Method;
    let mut cors = actix_cors::Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            HeaderName::from_static("x-request-id"),
        ])
        .max_age(600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    actix_web::middleware::Condition::new(!origins.is_empty(), cors)
}

/// Refuses percent-encoded control characters (`%00`–`%1F`, `%7F`) in the path or the query with
/// 400: no code, date or filter of this API contains one, and PostgreSQL refuses NUL in text
/// outright, which would otherwise surface as a 500.
async fn refuse_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    fn has_control(s: &str) -> bool {
        s.as_bytes().windows(3).any(|w| {
            w[0] == b'%'
                && matches!(
                    (w[1].to_ascii_uppercase(), w[2].to_ascii_uppercase()),
                    (b'0' | b'1', b'0'..=b'9' | b'A'..=b'F') | (b'7', b'F')
                )
        })
    }
    let uri = req.uri();
    if has_control(uri.path()) || uri.query().is_some_and(has_control) {
        let refusal = crate::error::AppError::BadRequest(
            "the path or query contains control characters".into(),
        );
        // The pages' side answers with a page, the API with problem+json.
        let page = if crate::web::is_api_path(uri.path()) {
            None
        } else {
            crate::web::error_response(req.request(), &refusal)
        };
        let resp = page.unwrap_or_else(|| actix_web::ResponseError::error_response(&refusal));
        return Ok(req.into_response(resp).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// A method a route does not have answers 405 as problem+json with an `Allow` header (the
/// router itself answers with an empty body): the methods come from the OpenAPI document, which
/// lists every operation of every route.
async fn problem_for_wrong_methods(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let res = next.call(req).await?;
    if res.status() != actix_web::http::StatusCode::METHOD_NOT_ALLOWED
        || res.headers().contains_key(header::CONTENT_TYPE)
    {
        return Ok(res.map_into_left_body());
    }
    let method = res.request().method().to_string();
    let allow = res
        .request()
        .match_pattern()
        .map(|p| crate::openapi::allowed_methods(&p, res.request().path()))
        .unwrap_or_default();
    let refusal = crate::error::AppError::MethodNotAllowed { method, allow };
    let (req, _) = res.into_parts();
    let resp = actix_web::ResponseError::error_response(&refusal);
    Ok(ServiceResponse::new(req, resp).map_into_right_body())
}

/// One log line per request (method, path without query, status, duration, request id), the
/// `X-Request-Id` header and the security headers. Query strings are never logged: the public
/// lookup carries the citizen's ID number there.
async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = std::time::Instant::now();
    let request_id = req
        .headers()
        .get("X-Request-Id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().clone();
    let path = req.path().to_owned();
    let mut res = next.call(req).await?;
    // A personal rating link's token is a credential: those paths are logged as their route
    // pattern, never with the token.
    let path = if path.starts_with("/danh-gia/") {
        "/danh-gia/{token}".to_owned()
    } else if path.starts_with("/api/v1/public/ratings/") {
        "/api/v1/public/ratings/{token}".to_owned()
    } else {
        path
    };
    let status = res.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    crate::metrics::observe_request(
        method.as_str(),
        res.request().match_pattern().as_deref(),
        status,
        elapsed,
    );
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert(HeaderName::from_static("x-request-id"), v);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    let ms = elapsed * 1000.0;
    tracing::info!(%method, %path, status, ms = format_args!("{ms:.1}"), request_id = %request_id, "request");
    Ok(res)
}

/// Every `auth.token_check_ttl_ms`, notices the changes other replicas made to the users (their
/// tokens' versions) and to the catalog (`AppState::refresh_revisions`).
async fn refresh_revisions(state: AppState) {
    let every = Duration::from_millis(state.settings.auth.token_check_ttl_ms.clamp(1, 2000));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let st = state.clone();
        if let Err(e) = state.db(move |conn| st.refresh_revisions(conn)).await {
            tracing::warn!(error = %e, "reading the users' and catalog revisions failed");
        }
    }
}

/// Every second, positions the events committed since the last pass in the feed
/// (`store::feed`), so that the feed's readers find them without waiting on a pass of their own.
async fn feed_positions(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = state.db(store::feed::assign_positions).await {
            tracing::warn!(error = %e, "feed positions: retrying in a second");
        }
    }
}

/// Housekeeping inside `serve`: forget old idempotency keys, refresh the calendar (an admin's
/// change on another replica reaches this one within a minute), trim the rate limiters.
async fn maintenance(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        n += 1;
        state.lookup_limiter.retain_recent();
        state.sign_in_throttle.retain_recent();
        if let Ok(cal) = load_calendar(&state.settings, &state.db).await {
            state.set_calendar(cal);
        }
        if n % 60 == 1 {
            crate::api::files::sweep(&state).await;
            if state.db.backend == db::Backend::Sqlite {
                // SQLite plans with the statistics ANALYZE leaves; `optimize` refreshes those
                // that have drifted (PostgreSQL's autovacuum does this by itself).
                let optimized = state
                    .db(|conn| {
                        diesel::connection::SimpleConnection::batch_execute(conn, "PRAGMA optimize")
                            .map_err(crate::error::AppError::from)
                    })
                    .await;
                if let Err(e) = optimized {
                    tracing::warn!(error = %e, "PRAGMA optimize failed");
                }
            }
            let result = state
                .db(|conn| store::idempotency::purge(conn, db::now()))
                .await;
            match result {
                Ok(purged) if purged > 0 => tracing::info!(purged, "old idempotency keys removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
            }
        }
    }
}
