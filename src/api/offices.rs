//! Offices and agencies: created by admins, read by staff.

use actix_web::{HttpResponse, web};
use chrono::DateTime;
use serde::{Deserialize, Serialize};

use super::{AppState, ListResponse, PageQuery, Query, StrictJson};
use crate::authz::{Caller, Permission};
use crate::domain::codes::OfficeCode;
use crate::domain::validation::{Errors, NAME_MAX};
use crate::error::{AppError, AppResult};
use crate::store::offices::{self, NewOffice, Office};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOffice {
    pub code: String,
    pub name: String,
    pub head_name: Option<String>,
    pub parent_code: Option<String>,
}

#[derive(Debug, Serialize)]
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
