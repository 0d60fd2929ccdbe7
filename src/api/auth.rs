//! Sign-in, the bearer-token extractor, the caller's own record, and user creation.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::{Ready, ready};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AppState, StrictJson};
use crate::authz::{Caller, Permission};
use crate::domain::dossier::Role;
use crate::domain::validation::{self, Errors};
use crate::error::{AppError, AppResult};
// The reusable problem+json responses of the OpenAPI document.
use crate::openapi::{self as problem, OfficeCodeSchema};
use crate::store::users::{self, NewUser};

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(caller_from(req))
    }
}

fn caller_from(req: &HttpRequest) -> AppResult<Caller> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal("application state missing".into()))?;
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        AppError::Unauthorized("authentication required: send Authorization: Bearer <token>".into())
    })?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::Unauthorized("the Authorization header must be Bearer <token>".into())
        })?;
    let claims = state
        .keys
        .verify(token)
        .map_err(|why| AppError::Unauthorized(why.into()))?;
    if claims.role != Role::Admin && claims.office.is_none() {
        return Err(AppError::Unauthorized("invalid token".into()));
    }
    // From memory: deactivated users and tokens older than the account's last change.
    state
        .token_versions
        .check(&claims.sub, claims.ver)
        .map_err(|why| AppError::Unauthorized(why.into()))?;
    Ok(Caller {
        username: claims.sub,
        role: claims.role,
        office_code: claims.office,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(example = "clerk.phuvang")]
    pub username: String,
    #[schema(example = "a-long-clerk-password", format = Password)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: u64,
}

/// `POST /api/v1/auth/token`: the same 401 for an unknown user and a wrong password, at the same
/// cost; 429 once the username or the client address has used up its failures (see
/// `throttle`), before any password is looked at.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    operation_id = "sign_in",
    tag = "auth",
    summary = "Sign in: a username and password for a bearer token",
    description = "The same 401 for an unknown user and a wrong password. After \
        `auth.max_failures_per_user` failures for a username, or `auth.max_failures_per_address` \
        from one client address, within `auth.failure_window_secs`, sign-in answers 429 with \
        `Retry-After`.",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 413, response = problem::PayloadTooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::ValidationFailed),
        (status = 429, response = problem::TooManyRequests),
    )
)]
pub async fn token(
    state: web::Data<AppState>,
    http: HttpRequest,
    body: StrictJson<TokenRequest>,
) -> AppResult<HttpResponse> {
    let req = body.value;
    let plausible = req.username.len() <= 64 && req.password.len() <= validation::PASSWORD_MAX * 4;
    let address = state.client_ip(&http);
    let attempt = state
        .sign_in_throttle
        .begin(plausible.then_some(req.username.as_str()), address)
        .map_err(|retry_after_secs| {
            // The address only: a username may be a password typed in the wrong field.
            tracing::warn!(client = ?address, retry_after_secs, "sign-in throttled");
            AppError::RateLimited { retry_after_secs }
        })?;
    if !plausible {
        return Err(AppError::Unauthorized(
            "invalid username or password".into(),
        ));
    }
    // A name no account can have is an unknown user without asking the database (which may
    // refuse what it contains, such as NUL); it still costs one hash below.
    let username = req.username.clone();
    let user = if validation::username(&username) {
        state.db(move |conn| users::find(conn, &username)).await?
    } else {
        None
    };
    let password = req.password;
    // argon2 is slow by design: it runs on the blocking pool, never on an async worker.
    let (ok, user) = web::block(move || {
        let stored = user
            .as_ref()
            .filter(|u| u.active)
            .map(|u| u.password_hash.clone());
        (
            crate::auth::verify_password(stored.as_deref(), &password),
            user,
        )
    })
    .await?;
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => {
            return Err(AppError::Unauthorized(
                "invalid username or password".into(),
            ));
        }
    };
    state.sign_in_throttle.succeeded(attempt);
    let role = user.role()?;
    state
        .token_versions
        .record(&user.username, user.token_version, user.active);
    let token = state
        .keys
        .issue_versioned(
            &user.username,
            role,
            user.office_code.as_deref(),
            user.token_version,
            chrono::Utc::now().timestamp(),
        )
        .map_err(AppError::Internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: token,
            token_type: "Bearer",
            expires_in: state.keys.ttl_secs(),
        }))
}

/// The signed-in caller.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Me)]
pub struct MeResponse {
    pub username: String,
    pub role: Role,
    pub office_code: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
}

/// `GET /api/v1/me`.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "me",
    tag = "auth",
    summary = "The caller: username, role, office",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        (status = 401, response = problem::Unauthorized),
    )
)]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    let username = caller.username.clone();
    let user = state.db(move |conn| users::find(conn, &username)).await?;
    let (full_name, email) = user.map(|u| (u.full_name, u.email)).unwrap_or_default();
    Ok(HttpResponse::Ok().json(MeResponse {
        username: caller.username,
        role: caller.role,
        office_code: caller.office_code,
        full_name,
        email,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// 3–64 lower-case letters, digits, `.`, `_` or `-`.
    #[schema(pattern = r"^[a-z0-9._-]{3,64}$", example = "clerk.h40")]
    pub username: String,
    /// At least 12 characters, not one character repeated.
    #[schema(format = Password, example = "a-long-clerk-password")]
    pub password: String,
    pub role: Role,
    /// Required for every role but admin.
    #[schema(value_type = Option<OfficeCodeSchema>)]
    pub office_code: Option<String>,
    pub full_name: Option<String>,
    /// Where due-soon warnings and escalations reach the user.
    pub email: Option<String>,
}

/// A staff account (never its password).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub username: String,
    pub role: Role,
    pub office_code: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    /// A deactivated account can neither sign in nor use its tokens.
    pub active: bool,
    pub created_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// Checks a new user's fields; shared by the API and `motcua user add`.
pub fn validate_new_user(req: CreateUserRequest) -> AppResult<CreateUserRequest> {
    let mut e = Errors::default();
    if !validation::username(&req.username) {
        e.add(
            "username",
            "must be 3–64 lower-case letters, digits, '.', '_' or '-'",
        );
    }
    if let Err(m) = validation::password(&req.password) {
        e.add("password", m);
    }
    let full_name = e.opt_line("full_name", req.full_name.as_deref(), validation::NAME_MAX);
    let email = req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if let Some(m) = &email
        && !validation::email(m)
    {
        e.add("email", "is not an email address");
    }
    if let Some(code) = &req.office_code
        && crate::domain::codes::OfficeCode::parse(code).is_err()
    {
        e.add(
            "office_code",
            "may contain only digits, capital letters and dots",
        );
    }
    if req.role != Role::Admin && req.office_code.is_none() {
        e.add("office_code", "is required for every role but admin");
    }
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    Ok(CreateUserRequest {
        full_name,
        email,
        ..req
    })
}

/// Hashes the password and stores the user (blocking).
pub fn create_user_blocking(
    conn: &mut crate::db::DbConn,
    req: CreateUserRequest,
) -> AppResult<users::User> {
    let hash = crate::auth::hash_password(&req.password).map_err(AppError::Internal)?;
    users::create(
        conn,
        NewUser {
            username: req.username,
            password_hash: hash,
            role: req.role,
            office_code: req.office_code,
            full_name: req.full_name,
            email: req.email,
        },
    )
}

/// `POST /api/v1/users` (admin).
#[utoipa::path(
    post,
    path = "/api/v1/users",
    operation_id = "create_user",
    tag = "auth",
    summary = "Create a staff account (admin)",
    security(("bearer" = [])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = UserView),
        problem::StaffWriteErrors,
    )
)]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: StrictJson<CreateUserRequest>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let req = validate_new_user(body.value)?;
    let user = state
        .db(move |conn| create_user_blocking(conn, req))
        .await?;
    state
        .token_versions
        .record(&user.username, user.token_version, user.active);
    let view = UserView::from(&state, user)?;
    Ok(HttpResponse::Created().json(view))
}
