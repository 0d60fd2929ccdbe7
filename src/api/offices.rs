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
}

impl OfficeView {
    fn from(state: &AppState, o: Office) -> Self {
        Self {
            code: o.code,
            name: o.name,
            head_name: o.head_name,
            parent_code: o.parent_code,
            created_at: state.local(crate::db::from_db(o.created_at)),
        }
    }
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
