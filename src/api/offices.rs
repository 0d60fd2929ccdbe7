//! Offices and agencies: created by admins, read by staff.

use actix_web::{HttpResponse, web};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AppState, ListResponse, PageQuery, Query, StrictJson};
use crate::authz::{Caller, Permission};
use crate::domain::codes::OfficeCode;
use crate::domain::validation::{Errors, NAME_MAX};
use crate::error::{AppError, AppResult};
use crate::openapi::{self as problem, OfficeCodeSchema};
use crate::store::offices::{self, NewOffice, Office};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOffice {
    #[schema(value_type = OfficeCodeSchema)]
    pub code: String,
    #[schema(example = "Bộ phận Một cửa UBND huyện Phú Vang")]
    pub name: String,
    #[schema(example = "Trần Văn Bình")]
    pub head_name: Option<String>,
    /// The office above this one (supervisors there see this one's dossiers).
    #[schema(value_type = Option<OfficeCodeSchema>)]
    pub parent_code: Option<String>,
}

/// An office or agency.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Office)]
pub struct OfficeView {
    pub code: String,
    pub name: String,
    pub head_name: Option<String>,
    pub parent_code: Option<String>,
    pub created_at: DateTime<chrono::FixedOffset>,
    /// When it closed (null: open). A closed office receives nothing new.
    pub closed_at: Option<DateTime<chrono::FixedOffset>>,
    /// The office it closed into.
    #[schema(value_type = Option<OfficeCodeSchema>)]
    pub successor_code: Option<String>,
}

impl OfficeView {
    fn from(state: &AppState, o: Office) -> Self {
        Self {
            code: o.code,
            name: o.name,
            head_name: o.head_name,
            parent_code: o.parent_code,
            created_at: state.local(crate::db::from_db(o.created_at)),
            closed_at: o.closed_at.map(|t| state.local(crate::db::from_db(t))),
            successor_code: o.successor_code,
        }
    }
}

/// `Some(None)` for an explicit `null` (clear the field), `None` when the field is absent.
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// What changes on an office; absent fields stay, `null` clears `head_name` or `parent_code`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOffice {
    #[schema(example = "Trung tâm Phục vụ hành chính công xã Phú Vang")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub head_name: Option<Option<String>>,
    /// The office above; one that is this office or below it is refused (422).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<OfficeCodeSchema>)]
    pub parent_code: Option<Option<String>>,
}

/// `PATCH /api/v1/offices/{code}` (admin).
#[utoipa::path(
    patch,
    path = "/api/v1/offices/{code}",
    operation_id = "update_office",
    tag = "offices",
    summary = "Rename an office, change its head or its parent (admin)",
    description = "Audited. A parent that would make a cycle in the office tree is 422 on         `parent_code`. Dossiers keep their codes.",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The office code", example = "000.00.24.H40")),
    request_body = UpdateOffice,
    responses(
        (status = 200, description = "The office as changed", body = OfficeView),
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
    code: web::Path<String>,
    body: StrictJson<UpdateOffice>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let code = code.into_inner();
    let req = body.value;
    let mut e = Errors::default();
    let name = req.name.as_deref().map(|n| e.line("name", n, NAME_MAX));
    let head_name = req
        .head_name
        .map(|h| h.and_then(|h| e.opt_line("head_name", Some(&h), NAME_MAX)));
    if let Some(Some(p)) = &req.parent_code
        && OfficeCode::parse(p).is_err()
    {
        e.add(
            "parent_code",
            "may contain only digits, capital letters and dots",
        );
    }
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    let change = offices::OfficeChange {
        name,
        head_name,
        parent_code: req.parent_code,
    };
    let actor = caller.username.clone();
    let office = state
        .db(move |conn| offices::update(conn, &code, change, &actor))
        .await?;
    state.catalog.forget();
    Ok(HttpResponse::Ok().json(OfficeView::from(&state, office)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseOffice {
    /// The open office that takes over.
    #[schema(value_type = OfficeCodeSchema)]
    pub successor_code: String,
    /// When it closed; now by default, never in the future.
    pub at: Option<DateTime<chrono::FixedOffset>>,
}

/// `POST /api/v1/offices/{code}/close` (admin).
#[utoipa::path(
    post,
    path = "/api/v1/offices/{code}/close",
    operation_id = "close_office",
    tag = "offices",
    summary = "Close an office into its successor (admin)",
    description = "From then on the office receives nothing (a receipt there is 422 on         `office_code`); every open dossier it is responsible for moves to the successor, each         with an `office_closed` event. Its history and its dossiers' codes stay its own;         `GET /api/v1/reports/summary?group_by=office&roll_up=true` counts it in its         successor's row. Closing an office already closed is 409.",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The office code", example = "000.00.24.H40")),
    request_body = CloseOffice,
    responses(
        (status = 200, description = "The office, closed", body = OfficeView),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 409, response = problem::Conflict),
        (status = 413, response = problem::PayloadTooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::ValidationFailed),
    )
)]
pub async fn close(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    body: StrictJson<CloseOffice>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let code = code.into_inner();
    let req = body.value;
    let mut e = Errors::default();
    if OfficeCode::parse(&req.successor_code).is_err() {
        e.add(
            "successor_code",
            "may contain only digits, capital letters and dots",
        );
    }
    let now = crate::db::now();
    let at = req.at.map_or(now, |t| t.with_timezone(&chrono::Utc));
    if at > now + chrono::Duration::seconds(5) {
        e.add("at", "must not be in the future");
    }
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    let at = at.min(now);
    let actor = caller.username.clone();
    let (office, moved) = state
        .db(move |conn| offices::close(conn, &code, &req.successor_code, at, &actor))
        .await?;
    state.catalog.forget();
    tracing::info!(office = %office.code, moved, "office closed");
    Ok(HttpResponse::Ok().json(OfficeView::from(&state, office)))
}

/// `POST /api/v1/offices` (admin).
#[utoipa::path(
    post,
    path = "/api/v1/offices",
    operation_id = "create_office",
    tag = "offices",
    summary = "Create an office or agency (admin)",
    security(("bearer" = [])),
    request_body = CreateOffice,
    responses(
        (status = 201, description = "Created", body = OfficeView,
            headers(("Location" = String, description = "The new office's URL"))),
        problem::StaffWriteErrors,
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: StrictJson<CreateOffice>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let req = body.value;
    let mut e = Errors::default();
    if let Err(m) = OfficeCode::parse(&req.code) {
        e.add("code", m);
    }
    let name = e.line("name", &req.name, NAME_MAX);
    let head_name = e.opt_line("head_name", req.head_name.as_deref(), NAME_MAX);
    if let Some(p) = &req.parent_code
        && OfficeCode::parse(p).is_err()
    {
        e.add(
            "parent_code",
            "may contain only digits, capital letters and dots",
        );
    }
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    let new = NewOffice {
        code: req.code,
        name,
        head_name,
        parent_code: req.parent_code,
    };
    let office = state.db(move |conn| offices::create(conn, new)).await?;
    state.catalog.forget();
    let location = format!("/api/v1/offices/{}", office.code);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .json(OfficeView::from(&state, office)))
}

/// `GET /api/v1/offices`.
#[utoipa::path(
    get,
    path = "/api/v1/offices",
    operation_id = "list_offices",
    tag = "offices",
    summary = "Every office, by code",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of offices", body = ListResponse<OfficeView>),
        problem::StaffQueryErrors,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let page = q.request()?;
    let result = state.db(move |conn| offices::list(conn, page)).await?;
    let items = result
        .items
        .into_iter()
        .map(|o| OfficeView::from(&state, o))
        .collect();
    Ok(HttpResponse::Ok().json(ListResponse::new(items, page, result.total)))
}

/// `GET /api/v1/offices/{code}`.
#[utoipa::path(
    get,
    path = "/api/v1/offices/{code}",
    operation_id = "get_office",
    tag = "offices",
    summary = "One office",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The office code", example = "000.00.24.H40")),
    responses(
        (status = 200, description = "The office", body = OfficeView),
        problem::StaffGetErrors,
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let code = code.into_inner();
    let office = state
        .db(move |conn| offices::find(conn, &code))
        .await?
        .ok_or_else(|| AppError::not_found("office"))?;
    Ok(HttpResponse::Ok().json(OfficeView::from(&state, office)))
}
