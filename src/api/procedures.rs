//! The procedure catalogue: created by admins, read by staff.

use actix_web::{HttpResponse, web};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AppState, ListResponse, PageQuery, Query, StrictJson};
use crate::authz::{Caller, Permission};
use crate::domain::calendar::{ProcessingTime, TimeUnit};
use crate::domain::codes::OfficeCode;
use crate::domain::validation::{Errors, NAME_MAX};
use crate::error::{AppError, AppResult};
use crate::openapi::{self as problem, OfficeCodeSchema};
use crate::store::procedures::{self, NewProcedure, Procedure};

/// The longest processing time accepted, per unit: generous, but it keeps deadlines within the calendar's range.
fn max_amount(unit: TimeUnit) -> u32 {
    match unit {
        TimeUnit::WorkingDays => 2_000,
        TimeUnit::WorkingHours => 16_000,
        TimeUnit::CalendarDays => 3_000,
    }
}

/// A length of time in one unit; units are never converted into each other. The amount is at
/// most 2,000 working days, 16,000 working hours or 3,000 calendar days.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessingTimeInput {
    #[schema(minimum = 1, example = 3)]
    pub amount: i64,
    pub unit: TimeUnit,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProcedure {
    /// The procedure's code in the national catalogue.
    #[schema(example = "1.001234")]
    pub code: String,
    #[schema(example = "Cấp giấy phép xây dựng nhà ở riêng lẻ")]
    pub name: String,
    /// The field (lĩnh vực) reports group by.
    #[schema(example = "Xây dựng")]
    pub field: String,
    /// The office that receives it.
    #[schema(value_type = OfficeCodeSchema)]
    pub office_code: String,
    /// The statutory processing time.
    pub processing_time: ProcessingTimeInput,
}

/// A procedure of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Procedure)]
pub struct ProcedureView {
    pub code: String,
    pub name: String,
    pub field: String,
    pub office_code: String,
    pub processing_time: ProcessingTime,
    pub created_at: DateTime<chrono::FixedOffset>,
}

impl ProcedureView {
    fn from(state: &AppState, p: Procedure) -> AppResult<Self> {
        Ok(Self {
            processing_time: p.processing_time()?,
            code: p.code,
            name: p.name,
            field: p.field,
            office_code: p.office_code,
            created_at: state.local(crate::db::from_db(p.created_at)),
        })
    }
}

/// Validates a processing-time input: a positive amount within range.
pub fn processing_time(
    field: &str,
    t: &ProcessingTimeInput,
    e: &mut Errors,
) -> Option<ProcessingTime> {
    let max = max_amount(t.unit);
    if t.amount < 1 || t.amount > i64::from(max) {
        e.add(
            format!("{field}.amount"),
            format!("must be between 1 and {max}"),
        );
        return None;
    }
    Some(ProcessingTime {
        amount: t.amount as u32,
        unit: t.unit,
    })
}

/// `POST /api/v1/procedures` (admin).
#[utoipa::path(
    post,
    path = "/api/v1/procedures",
    operation_id = "create_procedure",
    tag = "procedures",
    summary = "Add a procedure to the catalogue (admin)",
    security(("bearer" = [])),
    request_body = CreateProcedure,
    responses(
        (status = 201, description = "Created", body = ProcedureView,
            headers(("Location" = String, description = "The new procedure's URL"))),
        problem::StaffWriteErrors,
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: StrictJson<CreateProcedure>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let req = body.value;
    let mut e = Errors::default();
    let code = e.line("code", &req.code, 50);
    if code.contains(char::is_whitespace) {
        e.add("code", "must not contain spaces");
    }
    let name = e.line("name", &req.name, 500);
    let field = e.line("field", &req.field, NAME_MAX);
    if OfficeCode::parse(&req.office_code).is_err() {
        e.add(
            "office_code",
            "may contain only digits, capital letters and dots",
        );
    }
    let time = processing_time("processing_time", &req.processing_time, &mut e);
    let (false, Some(time)) = (!e.is_empty(), time) else {
        return Err(AppError::Validation(e.0));
    };
    let new = NewProcedure {
        code,
        name,
        field,
        office_code: req.office_code,
        processing_time: time,
    };
    let p = state.db(move |conn| procedures::create(conn, new)).await?;
    let location = format!("/api/v1/procedures/{}", p.code);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .json(ProcedureView::from(&state, p)?))
}

/// `GET /api/v1/procedures`.
#[utoipa::path(
    get,
    path = "/api/v1/procedures",
    operation_id = "list_procedures",
    tag = "procedures",
    summary = "The catalogue, by code",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of procedures", body = ListResponse<ProcedureView>),
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
    let result = state.db(move |conn| procedures::list(conn, page)).await?;
    let items = result
        .items
        .into_iter()
        .map(|p| ProcedureView::from(&state, p))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(ListResponse::new(items, page, result.total)))
}

/// `GET /api/v1/procedures/{code}`.
#[utoipa::path(
    get,
    path = "/api/v1/procedures/{code}",
    operation_id = "get_procedure",
    tag = "procedures",
    summary = "One procedure",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The procedure code", example = "1.001234")),
    responses(
        (status = 200, description = "The procedure", body = ProcedureView),
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
    let p = state
        .db(move |conn| procedures::find(conn, &code))
        .await?
        .ok_or_else(|| AppError::not_found("procedure"))?;
    Ok(HttpResponse::Ok().json(ProcedureView::from(&state, p)?))
}
