//! Staff accounts over time: list, read and change them (admin), each change audited; change
//! one's own password.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::UserView;
use super::{AppState, ListResponse, PageQuery, Query, StrictJson};
use crate::authz::{Caller, Permission};
use crate::domain::dossier::Role;
use crate::domain::validation::{self, Errors};
use crate::error::{AppError, AppResult};
use crate::openapi::{self as problem, OfficeCodeSchema};
use crate::store::users::{self, User, UserChange, UserFilter};

/// `Some(None)` for an explicit `null` (clear the field), `None` when the field is absent.
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl UserView {
    pub fn from(state: &AppState, u: User) -> AppResult<Self> {
        Ok(Self {
            role: u.role()?,
            username: u.username,
            office_code: u.office_code,
            full_name: u.full_name,
            email: u.email,
            active: u.active,
            created_at: Some(state.local(crate::db::from_db(u.created_at))),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Only the users of this office.
    #[param(value_type = Option<String>, example = "000.00.24.H40")]
    pub office: Option<String>,
    /// Only the users of this role.
    #[param(inline)]
    pub role: Option<Role>,
    /// Only active (`true`) or deactivated (`false`) users.
    pub active: Option<bool>,
    /// The page, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
}

/// `GET /api/v1/users` (admin).
#[utoipa::path(
    get,
    path = "/api/v1/users",
    operation_id = "list_users",
    tag = "auth",
    summary = "Staff accounts, by username (admin)",
    security(("bearer" = [])),
    params(UsersQuery),
    responses(
        (status = 200, description = "A page of accounts", body = ListResponse<UserView>),
        problem::ReportQueryErrors,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<UsersQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let q = q.into_inner();
    let page = PageQuery::parse(q.page, q.per_page)?;
    if let Some(o) = &q.office
        && crate::domain::codes::OfficeCode::parse(o).is_err()
    {
        return Err(AppError::field(
            "office",
            "may contain only digits, capital letters and dots",
        ));
    }
    let filter = UserFilter {
        office_code: q.office,
        role: q.role,
        active: q.active,
    };
    let result = state
        .db(move |conn| users::list(conn, &filter, page))
        .await?;
    let items = result
        .items
        .into_iter()
        .map(|u| UserView::from(&state, u))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(ListResponse::new(items, page, result.total)))
}

fn username_path(username: &str) -> AppResult<()> {
    if validation::username(username) {
        Ok(())
    } else {
        Err(AppError::not_found("user"))
    }
}

/// `GET /api/v1/users/{username}` (admin).
#[utoipa::path(
    get,
    path = "/api/v1/users/{username}",
    operation_id = "get_user",
    tag = "auth",
    summary = "One staff account (admin)",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "The username", example = "clerk.h40")),
    responses(
        (status = 200, description = "The account", body = UserView),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    username: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let username = username.into_inner();
    username_path(&username)?;
    let user = state
        .db(move |conn| users::find(conn, &username))
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    Ok(HttpResponse::Ok().json(UserView::from(&state, user)?))
}

/// What an administrator changes on an account; absent fields stay as they are, `null` clears
/// `full_name` or `email`. A change of role, office or `active` ends every token issued before
/// it (401 at once on this server, within `auth.token_check_ttl_ms` on the others).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Option<Role>,
    /// Required (here or already) for every role but admin; `null` only for an admin.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OfficeCodeSchema>)]
    pub office_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub full_name: Option<Option<String>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Email)]
    pub email: Option<Option<String>>,
    /// `false` deactivates the account (it can no longer sign in, its tokens stop working),
    /// `true` reactivates it.
    pub active: Option<bool>,
}

/// `PATCH /api/v1/users/{username}` (admin).
#[utoipa::path(
    patch,
    path = "/api/v1/users/{username}",
    operation_id = "update_user",
    tag = "auth",
    summary = "Change, deactivate or reactivate a staff account (admin)",
    description = "Each change is audited (`GET /api/v1/users/{username}/changes`). A change of \
        role, office or `active` ends the tokens issued before it: 401 on the very next request \
        to the server that made the change, and within `auth.token_check_ttl_ms` (≤ 2 s) on the \
        other replicas. An administrator cannot deactivate or demote their own account.",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "The username", example = "clerk.h40")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "The account as changed", body = UserView),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 413, response = problem::PayloadTooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::ValidationFailed),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    username: web::Path<String>,
    body: StrictJson<UpdateUserRequest>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let username = username.into_inner();
    username_path(&username)?;
    let req = body.value;
    let mut e = Errors::default();
    let full_name = req
        .full_name
        .map(|n| n.and_then(|n| e.opt_line("full_name", Some(&n), validation::NAME_MAX)));
    let email = req.email.map(|m| {
        let m = m.map(|m| m.trim().to_owned());
        if let Some(m) = &m
            && !validation::email(m)
        {
            e.add("email", "is not an email address (null removes it)");
        }
        m
    });
    if let Some(Some(code)) = &req.office_code
        && crate::domain::codes::OfficeCode::parse(code).is_err()
    {
        e.add(
            "office_code",
            "may contain only digits, capital letters and dots",
        );
    }
    if username == caller.username {
        if req.active == Some(false) {
            e.add(
                "active",
                "an administrator cannot deactivate their own account",
            );
        }
        if req.role.is_some_and(|r| r != Role::Admin) {
            e.add("role", "an administrator cannot demote their own account");
        }
    }
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    let change = UserChange {
        role: req.role,
        office_code: req.office_code,
        full_name,
        email,
        active: req.active,
        password_hash: None,
    };
    let actor = caller.username.clone();
    let (user, _) = state
        .db(move |conn| users::update(conn, &username, change, &actor))
        .await?;
    // This replica refuses the old tokens from the next request on.
    state
        .token_versions
        .record(&user.username, user.token_version, user.active);
    Ok(HttpResponse::Ok().json(UserView::from(&state, user)?))
}

/// One audited change to an account.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UserChange)]
pub struct UserChangeView {
    pub username: String,
    /// Who made it (`motcua` for the command line).
    pub actor: String,
    pub at: DateTime<FixedOffset>,
    /// Field → `{from, to}`; `password` and `email` only say `changed`; `created` on creation.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

/// `GET /api/v1/users/{username}/changes` (admin).
#[utoipa::path(
    get,
    path = "/api/v1/users/{username}/changes",
    operation_id = "user_changes",
    tag = "auth",
    summary = "The audited changes to an account, newest first (admin)",
    security(("bearer" = [])),
    params(
        ("username" = String, Path, description = "The username", example = "clerk.h40"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of changes", body = ListResponse<UserChangeView>),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 422, response = problem::ValidationFailed),
    )
)]
pub async fn changes(
    state: web::Data<AppState>,
    caller: Caller,
    username: web::Path<String>,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let username = username.into_inner();
    username_path(&username)?;
    let page = q.request()?;
    let result = state
        .db(move |conn| {
            if users::find(conn, &username)?.is_none() {
                return Err(AppError::not_found("user"));
            }
            users::changes(conn, &username, page)
        })
        .await?;
    let items = result
        .items
        .into_iter()
        .map(|c| UserChangeView {
            username: c.username,
            actor: c.actor,
            at: state.local(crate::db::from_db(c.at)),
            changes: serde_json::from_str(&c.changes).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    Ok(HttpResponse::Ok().json(ListResponse::new(items, page, result.total)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(format = Password)]
    pub current_password: String,
    /// At least 12 characters, not one character repeated.
    #[schema(format = Password)]
    pub new_password: String,
}

/// `POST /api/v1/me/password`.
#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    operation_id = "change_password",
    tag = "auth",
    summary = "Change one's own password",
    description = "Needs the current password (a wrong one is 422 on `current_password` and \
        counts as a failed sign-in for the throttle). Every token issued before, this one \
        included, stops working: sign in again with the new password.",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed", body = UserView),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 413, response = problem::PayloadTooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::ValidationFailed),
        (status = 429, response = problem::TooManyRequests),
    )
)]
pub async fn change_password(
    state: web::Data<AppState>,
    http: HttpRequest,
    caller: Caller,
    body: StrictJson<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let req = body.value;
    if let Err(m) = validation::password(&req.new_password) {
        return Err(AppError::field("new_password", m));
    }
    let address = state.client_ip(&http);
    let attempt = state
        .sign_in_throttle
        .begin(Some(&caller.username), address)
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    let username = caller.username.clone();
    let user = state
        .db(move |conn| users::find(conn, &username))
        .await?
        .ok_or_else(|| AppError::Unauthorized("invalid token".into()))?;
    let (current, new) = (req.current_password, req.new_password);
    let stored = user.password_hash.clone();
    let hashed = web::block(move || {
        if !crate::auth::verify_password(Some(&stored), &current) {
            return Ok(None);
        }
        crate::auth::hash_password(&new).map(Some)
    })
    .await?
    .map_err(AppError::Internal)?;
    let Some(hash) = hashed else {
        return Err(AppError::field(
            "current_password",
            "is not the account's password",
        ));
    };
    state.sign_in_throttle.succeeded(attempt);
    let username = caller.username.clone();
    let change = UserChange {
        password_hash: Some(hash),
        ..UserChange::default()
    };
    let (user, _) = state
        .db(move |conn| users::update(conn, &username, change, &username.clone()))
        .await?;
    state
        .token_versions
        .record(&user.username, user.token_version, user.active);
    Ok(HttpResponse::Ok().json(UserView::from(&state, user)?))
}
