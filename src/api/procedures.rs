//! The procedure catalogue: created by admins, read by staff.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Datelike};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AppState, ListResponse, PageQuery, Query, StrictJson};
use crate::authz::{Caller, Permission};
use crate::domain::calendar::{ProcessingTime, TimeUnit};
use crate::domain::codes::OfficeCode;
use crate::domain::procedure::{Component, Fee};
use crate::domain::validation::{Errors, NAME_MAX};
use crate::error::{AppError, AppResult};
use crate::openapi::{self as problem, OfficeCodeSchema};
use crate::store::procedures::{self, NewProcedure, Procedure, ProcedureChange, ProcedureVersion};

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
    /// The documents a dossier is made of (thành phần hồ sơ); none by default.
    #[schema(max_items = 100)]
    pub components: Option<Vec<Component>>,
    /// Phí and lệ phí with their amounts; none by default.
    #[schema(max_items = 20)]
    pub fees: Option<Vec<Fee>>,
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
    /// The version in effect today (`GET /api/v1/procedures/{code}/versions` lists them all);
    /// `name`, `processing_time`, `components`, `fees` and `active` are that version's.
    pub version: i32,
    /// The local date that version took effect (null: since the procedure was created).
    pub effective_from: Option<chrono::NaiveDate>,
    /// False: retired, receipts are refused.
    pub active: bool,
    pub components: Vec<Component>,
    pub fees: Vec<Fee>,
    /// The sum of `fees`, in đồng: what `request-payment` is expected to ask.
    pub fees_total: i64,
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
            version: 1,
            effective_from: None,
            active: true,
            components: Vec::new(),
            fees: Vec::new(),
            fees_total: 0,
        })
    }

    /// The procedure as its version in effect today says.
    fn with_versions(
        state: &AppState,
        p: Procedure,
        versions: &[ProcedureVersion],
    ) -> AppResult<Self> {
        let today = state.calendar().local_date(crate::db::now());
        let current = procedures::version_on(versions, today).or_else(|| versions.first());
        let mut view = Self::from(state, p)?;
        if let Some(v) = current {
            let fees = v.fees()?;
            view.name = v.name.clone();
            view.processing_time = v.processing_time()?;
            view.version = v.version;
            view.effective_from = v.effective_from;
            view.active = v.active;
            view.components = v.components()?;
            view.fees_total = crate::domain::procedure::fees_total(&fees);
            view.fees = fees;
        }
        Ok(view)
    }
}

/// One version of a procedure.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProcedureVersion)]
pub struct ProcedureVersionView {
    pub procedure_code: String,
    pub version: i32,
    /// The local date from which receipts fall under it (null: since the procedure was created).
    pub effective_from: Option<chrono::NaiveDate>,
    pub name: String,
    pub processing_time: ProcessingTime,
    pub components: Vec<Component>,
    pub fees: Vec<Fee>,
    pub fees_total: i64,
    /// False: retired from `effective_from` on.
    pub active: bool,
    pub created_at: DateTime<chrono::FixedOffset>,
    /// Who made it.
    pub created_by: String,
}

impl ProcedureVersionView {
    fn from(state: &AppState, v: ProcedureVersion) -> AppResult<Self> {
        let fees = v.fees()?;
        Ok(Self {
            processing_time: v.processing_time()?,
            components: v.components()?,
            fees_total: crate::domain::procedure::fees_total(&fees),
            fees,
            procedure_code: v.procedure_code,
            version: v.version,
            effective_from: v.effective_from,
            name: v.name,
            active: v.active,
            created_at: state.local(crate::db::from_db(v.created_at)),
            created_by: v.created_by,
        })
    }
}

/// Checks components: codes unique and short, names given.
fn components(field: &str, items: &[Component], e: &mut Errors) -> Vec<Component> {
    if items.len() > 100 {
        e.add(field, "at most 100 components");
    }
    let mut seen = std::collections::HashSet::new();
    items
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let code = e.line(&format!("{field}[{i}].code"), &c.code, 20);
            if !code.is_empty() && !seen.insert(code.clone()) {
                e.add(format!("{field}[{i}].code"), "appears twice");
            }
            let name = e.line(&format!("{field}[{i}].name"), &c.name, 500);
            Component {
                code,
                name,
                required: c.required,
            }
        })
        .collect()
}

/// Checks fees: names given, amounts from 0 to 10¹² đồng.
fn fees(field: &str, items: &[Fee], e: &mut Errors) -> Vec<Fee> {
    if items.len() > 20 {
        e.add(field, "at most 20 fees");
    }
    items
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = e.line(&format!("{field}[{i}].name"), &f.name, 500);
            if !(0..=1_000_000_000_000).contains(&f.amount) {
                e.add(
                    format!("{field}[{i}].amount"),
                    "must be between 0 and 1000000000000 đồng",
                );
            }
            Fee {
                kind: f.kind,
                name,
                amount: f.amount,
            }
        })
        .collect()
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
    let components = components(
        "components",
        req.components.as_deref().unwrap_or(&[]),
        &mut e,
    );
    let fees = fees("fees", req.fees.as_deref().unwrap_or(&[]), &mut e);
    let (false, Some(time)) = (!e.is_empty(), time) else {
        return Err(AppError::Validation(e.0));
    };
    let new = NewProcedure {
        code,
        name,
        field,
        office_code: req.office_code,
        processing_time: time,
        components,
        fees,
        actor: caller.username.clone(),
    };
    let (p, versions) = state
        .db(move |conn| {
            let p = procedures::create(conn, new)?;
            let v = procedures::versions(conn, &p.code)?;
            Ok((p, v))
        })
        .await?;
    state.catalog.forget();
    let location = format!("/api/v1/procedures/{}", p.code);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .json(ProcedureView::with_versions(&state, p, &versions)?))
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
    let (result, mut versions) = state
        .db(move |conn| {
            let page = procedures::list(conn, page)?;
            let codes: Vec<String> = page.items.iter().map(|p| p.code.clone()).collect();
            let versions = procedures::versions_of(conn, &codes)?;
            Ok((page, versions))
        })
        .await?;
    let items = result
        .items
        .into_iter()
        .map(|p| {
            let v = versions.remove(&p.code).unwrap_or_default();
            ProcedureView::with_versions(&state, p, &v)
        })
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
    let (p, versions) = state
        .db(move |conn| {
            let p =
                procedures::find(conn, &code)?.ok_or_else(|| AppError::not_found("procedure"))?;
            let v = procedures::versions(conn, &code)?;
            Ok((p, v))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ProcedureView::with_versions(&state, p, &versions)?))
}

/// A new version of a procedure: what changes, from when. Absent fields stay as in the version
/// in effect on `effective_from`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProcedure {
    pub name: Option<String>,
    pub processing_time: Option<ProcessingTimeInput>,
    /// The whole new list of components.
    #[schema(max_items = 100)]
    pub components: Option<Vec<Component>>,
    /// The whole new list of fees.
    #[schema(max_items = 20)]
    pub fees: Option<Vec<Fee>>,
    /// `false` retires the procedure: receipts from `effective_from` on are refused (422).
    pub active: Option<bool>,
    /// The local date from which receipts (by their `received_at`) fall under the new version;
    /// today by default, may lie in the past. Dossiers already recorded keep their version.
    pub effective_from: Option<chrono::NaiveDate>,
}

/// `PATCH /api/v1/procedures/{code}` (admin).
#[utoipa::path(
    patch,
    path = "/api/v1/procedures/{code}",
    operation_id = "update_procedure",
    tag = "procedures",
    summary = "A new version of a procedure from an effective date (admin)",
    description = "Makes a new version from `effective_from` (default today): receipts whose         `received_at` falls on or after that local date use it, earlier ones the version then in         effect; dossiers already recorded keep the version they were received under. Other         replicas see it within `auth.token_check_ttl_ms`.",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The procedure code", example = "1.001234")),
    request_body = UpdateProcedure,
    responses(
        (status = 200, description = "The procedure as it stands today", body = ProcedureView),
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
    body: StrictJson<UpdateProcedure>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let code = code.into_inner();
    let req = body.value;
    let mut e = Errors::default();
    let name = req.name.as_deref().map(|n| e.line("name", n, 500));
    let time = req
        .processing_time
        .as_ref()
        .map(|t| processing_time("processing_time", t, &mut e));
    let components = req
        .components
        .as_deref()
        .map(|c| components("components", c, &mut e));
    let fees = req.fees.as_deref().map(|f| fees("fees", f, &mut e));
    let today = state.calendar().local_date(crate::db::now());
    let effective_from = req.effective_from.unwrap_or(today);
    if effective_from.year() < 1990 || effective_from > today + chrono::Days::new(3660) {
        e.add(
            "effective_from",
            "must be a date from 1990 to ten years ahead",
        );
    }
    if name.is_none()
        && time.is_none()
        && components.is_none()
        && fees.is_none()
        && req.active.is_none()
    {
        e.add(
            "body",
            "name at least one of name, processing_time, components, fees, active",
        );
    }
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    let change = ProcedureChange {
        name,
        processing_time: time.flatten(),
        components,
        fees,
        active: req.active,
        effective_from,
    };
    let actor = caller.username.clone();
    let (p, versions) = state
        .db(move |conn| {
            let (p, _) = procedures::add_version(conn, &code, change, today, &actor)?;
            let v = procedures::versions(conn, &code)?;
            Ok((p, v))
        })
        .await?;
    state.catalog.forget();
    Ok(HttpResponse::Ok().json(ProcedureView::with_versions(&state, p, &versions)?))
}

/// `GET /api/v1/procedures/{code}/versions`.
#[utoipa::path(
    get,
    path = "/api/v1/procedures/{code}/versions",
    operation_id = "procedure_versions",
    tag = "procedures",
    summary = "Every version of a procedure, oldest first",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The procedure code", example = "1.001234")),
    responses(
        (status = 200, description = "The versions", body = [ProcedureVersionView]),
        problem::StaffGetErrors,
    )
)]
pub async fn versions(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let code = code.into_inner();
    let versions = state
        .db(move |conn| {
            procedures::find(conn, &code)?.ok_or_else(|| AppError::not_found("procedure"))?;
            procedures::versions(conn, &code)
        })
        .await?;
    let items = versions
        .into_iter()
        .map(|v| ProcedureVersionView::from(&state, v))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(items))
}
