//! The HTTP API: shared state, extractors, and the routes of API.md.

pub mod actions;
pub mod auth;
pub mod calendar;
pub mod complaints;
pub mod dossiers;
pub mod events;
pub mod files;
pub mod forms;
pub mod health;
pub mod notifications;
pub mod offices;
pub mod procedures;
pub mod public;
pub mod ratings;
pub mod reports;
pub mod satisfaction;
pub mod scorecard;
pub mod users;
pub mod webhooks;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset, Utc};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::TokenKeys;
use crate::config::Settings;
use crate::db::{Db, DbConn};
use crate::domain::calendar::WorkingCalendar;
use crate::domain::calendars::{CalendarSetup, Calendars};
use crate::error::{AppError, AppResult};
use crate::store::PageRequest;

pub type LookupLimiter = governor::DefaultKeyedRateLimiter<IpAddr>;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub calendar_settings: Arc<CalendarSetup>,
    /// The calendar and the revision (newest calendar change) it was built at.
    calendar: Arc<RwLock<(i64, Calendars)>>,
    pub keys: TokenKeys,
    pub lookup_limiter: Arc<LookupLimiter>,
    /// Failed sign-ins per user and per client address.
    pub sign_in_throttle: Arc<crate::throttle::SignInThrottle>,
    /// Whose `X-Forwarded-For` is believed when telling the client's address.
    pub trusted_proxies: Arc<crate::net::TrustedProxies>,
    /// Offices and procedures, as this process last read them (`store::catalog`).
    pub catalog: Arc<crate::store::catalog::Catalog>,
    /// Each user's token version, checked on every request from memory (`auth::TokenVersions`).
    pub token_versions: Arc<crate::auth::TokenVersions>,
    /// The `users` and `catalog` revisions this process last read.
    revisions_seen: Arc<std::sync::Mutex<Option<(i64, i64)>>>,
    /// Where the dossiers' files are stored, or why it could not be opened.
    pub files: Arc<Result<crate::files::FileStore, String>>,
}

impl AppState {
    pub fn new(
        db: Db,
        settings: Arc<Settings>,
        calendar: (i64, Calendars),
        setup: CalendarSetup,
        keys: TokenKeys,
    ) -> Self {
        let per_minute =
            NonZeroU32::new(settings.public.lookup_per_minute).unwrap_or(NonZeroU32::MIN);
        let limiter = governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute));
        let calendar_settings = Arc::new(setup);
        let sign_in_throttle = Arc::new(crate::throttle::SignInThrottle::new(&settings.auth));
        let trusted_proxies = Arc::new(crate::net::TrustedProxies::new(
            &settings.server.trusted_proxies,
        ));
        let files =
            Arc::new(crate::files::FileStore::open(&settings.files).map_err(|e| e.to_string()));
        Self {
            files,
            db,
            settings,
            calendar_settings,
            calendar: Arc::new(RwLock::new(calendar)),
            keys,
            lookup_limiter: Arc::new(limiter),
            sign_in_throttle,
            trusted_proxies,
            catalog: Arc::default(),
            token_versions: Arc::default(),
            revisions_seen: Arc::default(),
        }
    }

    /// Reads the `users` and `catalog` revisions (one small query) and, where one moved since
    /// the last read, the users' token versions again or forgets the cached catalog. `serve`
    /// runs it every `auth.token_check_ttl_ms`, so a change made on another replica takes
    /// effect here within that time.
    pub fn refresh_revisions(&self, conn: &mut DbConn) -> AppResult<()> {
        let (users, catalog) = crate::store::catalog::revisions(conn)?;
        let seen = *self
            .revisions_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.is_none_or(|(u, _)| u != users) {
            let rows = crate::store::users::token_versions(conn)?;
            self.token_versions.record_all(rows);
        }
        if seen.is_some_and(|(_, c)| c != catalog) {
            self.catalog.forget();
        }
        *self
            .revisions_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((users, catalog));
        Ok(())
    }

    /// Every office's calendar as this process last loaded it (a cheap clone): for reads,
    /// where a change made on another replica a moment ago may show a moment later.
    pub fn calendars(&self) -> Calendars {
        match self.calendar.read() {
            Ok(c) => c.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    /// The deployment-wide calendar (time zone, holidays, default hours).
    pub fn calendar(&self) -> WorkingCalendar {
        self.calendars().default_calendar().clone()
    }

    /// The calendars as stored right now: for writes that compute deadlines. One indexed read
    /// tells whether anything changed since this process loaded them.
    pub fn current_calendar(&self, conn: &mut DbConn) -> AppResult<Calendars> {
        let cached = match self.calendar.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        if crate::store::calendar::revision(conn)? == cached.0 {
            return Ok(cached.1);
        }
        let fresh = crate::store::calendar::load(conn, &self.calendar_settings)?;
        self.set_calendar(fresh.clone());
        Ok(fresh.1)
    }

    pub fn set_calendar(&self, calendar: (i64, Calendars)) {
        match self.calendar.write() {
            Ok(mut c) => {
                if calendar.0 >= c.0 {
                    *c = calendar;
                }
            }
            Err(poisoned) => *poisoned.into_inner() = calendar,
        }
    }

    /// Runs blocking database work on the blocking pool with one pooled connection.
    pub async fn db<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    {
        let db = self.db.clone();
        web::block(move || {
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs a short read by key (a dossier and its steps, the citizen lookup). On SQLite, when a
    /// connection is idle, it runs right here on the request's thread: such a read takes tens of
    /// microseconds, less than handing the work to another thread and back, which under load
    /// cost a fifth of the CPU in context switches. Otherwise, and always on PostgreSQL (a
    /// round trip over the network), it goes to the blocking pool like `db`.
    pub async fn read<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    {
        if self.db.backend == crate::db::Backend::Sqlite
            && let Some(mut conn) = self.db.pool.try_get()
        {
            return f(&mut conn);
        }
        self.db(f).await
    }

    /// The citizen's lookup as the JSON endpoint and the citizen's pages both make it: one
    /// budget of `public.lookup_per_minute` per client address for the two together, then the
    /// view `store::public::lookup` computes (one 404 for a wrong code or ID number alike).
    pub async fn citizen_lookup(
        &self,
        req: &HttpRequest,
        code: String,
        id_number: String,
    ) -> AppResult<crate::store::public::CitizenView> {
        if let Some(ip) = self.client_ip(req)
            && let Err(not_until) = self.lookup_limiter.check_key(&ip)
        {
            use governor::clock::{Clock, DefaultClock};
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Round up: a client that waits this long finds a cell free again.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(AppError::RateLimited {
                retry_after_secs: secs.max(1),
            });
        }
        let st = self.clone();
        self.read(move |conn| {
            crate::store::public::lookup(
                conn,
                &st.catalog,
                &st.calendars(),
                st.settings.deadlines.due_soon,
                &code,
                &id_number,
                crate::db::now(),
            )
        })
        .await
    }

    /// The file store (503 when it could not be opened; `serve` refuses to start then).
    pub fn file_store(&self) -> AppResult<&crate::files::FileStore> {
        self.files
            .as_ref()
            .as_ref()
            .map_err(|e| AppError::Unavailable(e.clone()))
    }

    /// Takes one request from the client's `public.lookup_per_minute` budget, which the lookup
    /// and the citizen's result download share; 429 when it is spent.
    pub fn public_budget(&self, req: &HttpRequest) -> AppResult<()> {
        if let Some(ip) = self.client_ip(req)
            && let Err(not_until) = self.lookup_limiter.check_key(&ip)
        {
            use governor::clock::{Clock, DefaultClock};
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Err(AppError::RateLimited {
                retry_after_secs: secs.max(1),
            });
        }
        Ok(())
    }

    /// The client's address: the peer's, or behind a trusted proxy the one it forwarded.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        self.trusted_proxies.client_of(req)
    }

    /// An instant in the office time zone, as responses show it.
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        t.with_timezone(&self.calendar().timezone()).fixed_offset()
    }
}

/// A JSON body parsed strictly: content type checked, size limited, unknown fields refused,
/// errors naming the field's path. Keeps a hash of the canonical body for idempotency.
pub struct StrictJson<T> {
    pub value: T,
    pub hash: String,
}

impl<T: DeserializeOwned + 'static> FromRequest for StrictJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        let bytes = RawBody::from_request(req, payload);
        Box::pin(async move {
            if !content_type_ok {
                return Err(AppError::UnsupportedMediaType);
            }
            let RawBody(body) = bytes.await?;
            parse_json(&body)
        })
    }
}

/// The request body as bytes, size-limited like every body, its errors as problem+json
/// (`web::Bytes` answers a plain-text 413).
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.server.max_body_bytes)
            .unwrap_or(64 * 1024);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = bytes.await.map_err(|e| {
                if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                {
                    AppError::PayloadTooLarge(limit)
                } else {
                    AppError::BadRequest(format!("cannot read the request body: {e}"))
                }
            })?;
            Ok(RawBody(body))
        })
    }
}

/// The parsing behind `StrictJson`, usable on bytes directly.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> AppResult<StrictJson<T>> {
    let UniqueKeys(value) =
        serde_json::from_slice(body).map_err(|e| AppError::MalformedJson(e.to_string()))?;
    // Every body is an object; serde would also fill a struct from an array of its fields.
    if !value.is_object() {
        return Err(AppError::field("body", "must be a JSON object"));
    }
    // serde_json's Map keeps keys sorted, so this is canonical: key order and spacing don't matter.
    let hash = hex::encode(Sha256::digest(value.to_string().as_bytes()));
    let value = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = without_values(&e.into_inner().to_string());
        // The path ends at the unknown field, but at the parent of a missing one.
        let field = match missing_field(&inner) {
            Some(f) if path == "." || path.is_empty() => f.to_owned(),
            Some(f) => format!("{path}.{f}"),
            None if path == "." || path.is_empty() => "body".into(),
            None => path,
        };
        AppError::field(field, inner)
    })?;
    Ok(StrictJson { value, hash })
}

/// A JSON value in which no object repeats a key. serde_json would keep the last copy silently,
/// so a proxy or filter that reads the first could see a different request than this service.
struct UniqueKeys(serde_json::Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueKeysVisitor).map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!(
                    "the key {key:?} appears twice in one object"
                )));
            }
            let UniqueKeys(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(serde_json::Value::Object(out))
    }
}

/// serde names the value it refused ("invalid type: integer `79123456789`, expected a string");
/// that value may be a password or an ID number, so messages keep only its kind.
fn without_values(msg: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: ", "unknown variant "] {
        let Some(rest) = msg.strip_prefix(prefix) else {
            continue;
        };
        // What was expected comes last; the refused value, first, may contain anything.
        let (refused, expected) = match rest.rfind(", expected") {
            Some(i) => (&rest[..i], Some(&rest[i + 2..])),
            None => (rest, None),
        };
        let kind = refused
            .split_once(" `")
            .or_else(|| refused.split_once(" \""))
            .map_or(refused, |(k, _)| k);
        let shown = if prefix == "unknown variant " {
            "unknown variant".to_owned()
        } else {
            format!("{prefix}{kind}")
        };
        return match expected {
            Some(e) => format!("{shown}, {e}"),
            None => shown,
        };
    }
    msg.to_owned()
}

fn missing_field(msg: &str) -> Option<&str> {
    msg.strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

fn unknown_field(msg: &str) -> Option<&str> {
    msg.strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
}

/// Query parameters parsed strictly, errors naming the parameter (`web::Query` does not).
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = futures_util::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        futures_util::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string into `T`, naming the parameter at fault.
pub fn parse_query<T: DeserializeOwned>(qs: &str) -> AppResult<T> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(qs.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = without_values(&e.into_inner().to_string());
        let field = missing_field(&inner)
            .or_else(|| unknown_field(&inner))
            .map(str::to_owned)
            .unwrap_or_else(|| {
                if path == "." || path.is_empty() {
                    "query".into()
                } else {
                    path
                }
            });
        AppError::field(field, inner)
    })
}

/// `?page=&per_page=` as API.md defines them.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
}

impl PageQuery {
    pub fn parse(page: Option<i64>, per_page: Option<i64>) -> AppResult<PageRequest> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(50);
        if !(1..=1_000_000).contains(&page) {
            return Err(AppError::field("page", "must be at least 1"));
        }
        if !(1..=PageRequest::MAX_PER_PAGE).contains(&per_page) {
            return Err(AppError::field("per_page", "must be between 1 and 500"));
        }
        Ok(PageRequest { page, per_page })
    }

    pub fn request(&self) -> AppResult<PageRequest> {
        Self::parse(self.page, self.per_page)
    }
}

/// A page as every list returns it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListResponse<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

impl<T> ListResponse<T> {
    pub fn new(items: Vec<T>, page: PageRequest, total: i64) -> Self {
        Self {
            items,
            page: page.page,
            per_page: page.per_page,
            total,
        }
    }
}

/// The `Idempotency-Key` header, if sent: 1–255 visible ASCII characters.
pub fn idempotency_key(req: &HttpRequest) -> AppResult<Option<String>> {
    let Some(v) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .map_err(|_| AppError::BadRequest("Idempotency-Key must be visible ASCII".into()))?;
    if s.is_empty() || s.len() > 255 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::BadRequest(
            "Idempotency-Key must be 1–255 visible ASCII characters".into(),
        ));
    }
    Ok(Some(s.to_owned()))
}

/// A JSON response from a stored status and body (fresh or replayed).
pub fn stored_json(status: u16, body: String, location: Option<String>) -> HttpResponse {
    let status =
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    let mut resp = HttpResponse::build(status);
    resp.content_type("application/json");
    if let Some(loc) = location {
        resp.insert_header((header::LOCATION, loc));
    }
    resp.body(body)
}

/// Registers every route. Each is described in the OpenAPI document (`crate::openapi`), which
/// `tests/openapi.rs` checks against this list.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(crate::openapi::routes)
        .service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        .service(
            web::scope("/api/v1")
                .service(web::resource("/auth/token").route(web::post().to(auth::token)))
                .service(web::resource("/me").route(web::get().to(auth::me)))
                .service(
                    web::resource("/me/password").route(web::post().to(users::change_password)),
                )
                .service(
                    web::resource("/users")
                        .route(web::get().to(users::list))
                        .route(web::post().to(auth::create_user)),
                )
                .service(
                    web::resource("/users/{username}")
                        .route(web::get().to(users::get))
                        .route(web::patch().to(users::update)),
                )
                .service(
                    web::resource("/users/{username}/changes").route(web::get().to(users::changes)),
                )
                .service(
                    web::resource("/offices")
                        .route(web::get().to(offices::list))
                        .route(web::post().to(offices::create)),
                )
                .service(
                    web::resource("/offices/{code}")
                        .route(web::get().to(offices::get))
                        .route(web::patch().to(offices::update)),
                )
                .service(
                    web::resource("/offices/{code}/close").route(web::post().to(offices::close)),
                )
                .service(
                    web::resource("/procedures")
                        .route(web::get().to(procedures::list))
                        .route(web::post().to(procedures::create)),
                )
                .service(
                    web::resource("/procedures/{code}")
                        .route(web::get().to(procedures::get))
                        .route(web::patch().to(procedures::update)),
                )
                .service(
                    web::resource("/procedures/{code}/versions")
                        .route(web::get().to(procedures::versions)),
                )
                .service(web::resource("/calendar/days").route(web::get().to(calendar::days)))
                .service(
                    web::resource("/calendar/days/{date}")
                        .route(web::put().to(calendar::put_day))
                        .route(web::delete().to(calendar::delete_day)),
                )
                .service(web::resource("/calendar/changes").route(web::get().to(calendar::changes)))
                .service(
                    web::resource("/calendar/deadline").route(web::get().to(calendar::deadline)),
                )
                .service(
                    web::resource("/dossiers")
                        .route(web::get().to(dossiers::list))
                        .route(web::post().to(dossiers::receive)),
                )
                .service(web::resource("/dossiers/{code}").route(web::get().to(dossiers::get)))
                .service(
                    web::resource("/dossiers/{code}/events").route(web::get().to(dossiers::events)),
                )
                .service(
                    web::resource("/dossiers/{code}/apology-letters")
                        .route(web::get().to(dossiers::dossier_letters)),
                )
                .service(
                    web::resource("/dossiers/{code}/notifications")
                        .route(web::get().to(notifications::for_dossier)),
                )
                .service(web::resource("/notifications").route(web::get().to(notifications::list)))
                .service(
                    web::resource("/dossiers/{code}/forms/{form}")
                        .route(web::get().to(forms::dossier_form)),
                )
                .service(
                    web::resource("/dossiers/{code}/files")
                        .route(web::get().to(files::list))
                        .route(web::post().to(files::upload)),
                )
                .service(
                    web::resource("/dossiers/{code}/files/{id}")
                        .route(web::get().to(files::download)),
                )
                .service(
                    web::resource("/dossiers/{code}/complaints")
                        .route(web::get().to(complaints::for_dossier)),
                )
                .service(web::resource("/complaints").route(web::get().to(complaints::list)))
                .service(
                    web::resource("/complaints/{id}/answer")
                        .route(web::post().to(complaints::answer)),
                )
                .service(
                    web::resource("/dossiers/{code}/{action}").route(web::post().to(actions::act)),
                )
                .service(
                    web::resource("/apology-letters").route(web::get().to(dossiers::all_letters)),
                )
                .service(web::resource("/reports/overdue").route(web::get().to(reports::overdue)))
                .service(web::resource("/reports/summary").route(web::get().to(reports::summary)))
                .service(web::resource("/reports/steps").route(web::get().to(reports::steps)))
                .service(web::resource("/reports/fees").route(web::get().to(reports::fees)))
                .service(
                    web::resource("/reports/satisfaction")
                        .route(web::get().to(satisfaction::report)),
                )
                .service(
                    web::resource("/reports/scorecard").route(web::get().to(scorecard::scorecard)),
                )
                .service(
                    web::resource("/reports/scorecard/dossiers")
                        .route(web::get().to(scorecard::dossiers)),
                )
                .service(web::resource("/events").route(web::get().to(events::feed)))
                .service(
                    web::resource("/webhooks")
                        .route(web::get().to(webhooks::list))
                        .route(web::post().to(webhooks::create)),
                )
                .service(
                    web::resource("/webhooks/{id}")
                        .route(web::get().to(webhooks::get))
                        .route(web::patch().to(webhooks::update))
                        .route(web::delete().to(webhooks::delete)),
                )
                .service(
                    web::resource("/webhooks/{id}/deliveries")
                        .route(web::get().to(webhooks::deliveries)),
                )
                .service(
                    web::resource("/webhooks/{id}/deliveries/{delivery_id}/retry")
                        .route(web::post().to(webhooks::retry)),
                )
                .service(web::resource("/reports/register").route(web::get().to(forms::register)))
                .service(
                    web::resource("/apology-letters/{id}/document")
                        .route(web::get().to(forms::letter_document)),
                )
                .service(
                    web::resource("/public/dossiers/{code}").route(web::get().to(public::lookup)),
                )
                .service(
                    web::resource("/public/dossiers/{code}/result")
                        .route(web::get().to(files::public_result)),
                )
                .service(
                    web::resource("/public/dossiers/{code}/complaints")
                        .route(web::post().to(complaints::file)),
                )
                .service(
                    web::resource("/public/ratings/{token}")
                        .route(web::get().to(ratings::link))
                        .route(web::post().to(ratings::rate)),
                ),
        );
}

/// Path errors as problem+json.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err, _req| AppError::BadRequest(err.to_string()).into())
}

/// Anything unrouted: a problem+json 404.
pub async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&AppError::NotFound("no such endpoint".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        amount: Option<i64>,
        kind: Option<crate::domain::calendar::TimeUnit>,
    }

    fn refusal(json: &str) -> AppError {
        match parse_json::<Body>(json.as_bytes()) {
            Ok(b) => panic!("{json} accepted as {:?}", b.value),
            Err(e) => e,
        }
    }

    #[test]
    fn a_body_is_an_object_never_an_array_of_its_fields() {
        for json in [r#"["a", 1, null]"#, "[null, null]", "null", "\"a\"", "1"] {
            let e = refusal(json);
            assert_eq!(e.code(), "validation_failed", "{json}");
            let AppError::Validation(fields) = e else {
                unreachable!()
            };
            assert_eq!(fields[0].field, "body", "{json}");
        }
    }

    #[test]
    fn a_key_given_twice_is_refused_at_any_depth() {
        assert!(parse_json::<Body>(br#"{"name": "a", "amount": 1}"#).is_ok());
        for json in [
            r#"{"name": "a", "name": "b"}"#,
            r#"{"name": "a", "x": {"k": 1, "k": 1}}"#,
        ] {
            let e = refusal(json);
            assert_eq!(e.code(), "malformed_json", "{json}");
            assert!(e.to_string().contains("twice"), "{e}");
        }
    }

    #[test]
    fn refusals_do_not_repeat_the_refused_value() {
        for (json, field, shown) in [
            (
                r#"{"name": 79123456789}"#,
                "name",
                "invalid type: integer, expected a string",
            ),
            (
                r#"{"name": "a", "amount": "secret-value"}"#,
                "amount",
                "invalid type: string, expected i64",
            ),
            (
                r#"{"name": "a", "kind": "secret-value"}"#,
                "kind",
                "unknown variant, expected one of",
            ),
            (
                r#"{"name": "a", "kind": "secret, value, expected"}"#,
                "kind",
                "unknown variant, expected one of",
            ),
            (
                r#"{"name": "a", "amount": "secret, value"}"#,
                "amount",
                "invalid type: string, expected i64",
            ),
        ] {
            let AppError::Validation(errors) = refusal(json) else {
                panic!("{json}")
            };
            assert_eq!(errors[0].field, field);
            assert!(
                errors[0].message.starts_with(shown),
                "{json}: {}",
                errors[0].message
            );
            assert!(!errors[0].message.contains("secret") && !errors[0].message.contains("7912"));
        }
        assert_eq!(
            without_values("missing field `name`"),
            "missing field `name`"
        );
    }
}
