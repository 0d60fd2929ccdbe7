//! Complaints and recommendations (phản ánh, kiến nghị): the citizen files them with the
//! dossier code and ID number (`POST /api/v1/public/dossiers/{code}/complaints`, or the status
//! page's form); staff list them (`GET /api/v1/complaints`, the overdue list among them, and
//! `GET /api/v1/dossiers/{code}/complaints`) and answer them (`POST …/answer`), which tells
//! the citizen through the outbox.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dossiers::{DossierCodePath, scope};
use super::public::LookupQuery;
use super::reports::{Format, csv, csv_response, wants_csv};
use super::{AppState, Query, StrictJson};
use crate::authz::{Caller, Permission};
use crate::db::{self, from_db};
use crate::domain::satisfaction::{self, ComplaintKind};
use crate::error::{AppError, AppResult};
use crate::openapi as problem;
use crate::store::complaints::{self, Complaint, ComplaintFilter, Cursor};

/// `{kind, text}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileComplaintRequest {
    pub kind: ComplaintKind,
    /// 1–2000 characters.
    #[schema(
        min_length = 1,
        max_length = 2000,
        example = "Cán bộ hẹn nhiều lần nhưng chưa trả kết quả."
    )]
    pub text: String,
}

/// A complaint as the citizen who filed it sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicComplaint {
    pub id: i64,
    pub kind: ComplaintKind,
    pub text: String,
    pub filed_at: DateTime<FixedOffset>,
    /// When the agency must have answered (`complaints.deadline` in working time).
    pub due_at: DateTime<FixedOffset>,
    /// `open` or `answered`.
    #[schema(example = "open")]
    pub status: String,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<FixedOffset>>,
}

impl PublicComplaint {
    pub fn new(state: &AppState, c: crate::store::public::CitizenComplaint) -> Self {
        Self {
            id: c.id,
            kind: ComplaintKind::parse(&c.kind).unwrap_or(ComplaintKind::Complaint),
            text: c.text,
            filed_at: state.local(c.filed_at),
            due_at: state.local(c.due_at),
            status: satisfaction::complaint_status(c.answered_at).into(),
            answer: c.answer,
            answered_at: c.answered_at.map(|t| state.local(t)),
        }
    }
}

/// A complaint as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintView {
    pub id: i64,
    pub dossier_code: String,
    /// The agency that answers it (responsible for the dossier when it was filed).
    pub office_code: String,
    pub kind: ComplaintKind,
    pub text: String,
    pub filed_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    /// `open` or `answered`.
    #[schema(example = "open")]
    pub status: String,
    /// Open and past `due_at` now.
    pub overdue: bool,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<FixedOffset>>,
    pub answered_by: Option<String>,
    /// Answered after `due_at` (null while open).
    pub answered_late: Option<bool>,
}

impl ComplaintView {
    pub fn new(state: &AppState, c: Complaint, now: DateTime<Utc>) -> Self {
        let local = |t| state.local(from_db(t));
        Self {
            id: c.id,
            overdue: c.overdue(now),
            status: c.status().into(),
            kind: ComplaintKind::parse(&c.kind).unwrap_or(ComplaintKind::Complaint),
            filed_at: local(c.filed_at),
            due_at: local(c.due_at),
            answered_at: c.answered_at.map(local),
            dossier_code: c.dossier_code,
            office_code: c.office_code,
            text: c.text,
            answer: c.answer,
            answered_by: c.answered_by,
            answered_late: c.answered_late,
        }
    }

    const COLUMNS: [&'static str; 11] = [
        "id",
        "dossier_code",
        "office_code",
        "kind",
        "filed_at",
        "due_at",
        "status",
        "overdue",
        "answered_at",
        "answered_late",
        "text",
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.dossier_code.clone(),
            self.office_code.clone(),
            self.kind_str().into(),
            self.filed_at.to_rfc3339(),
            self.due_at.to_rfc3339(),
            self.status.clone(),
            self.overdue.to_string(),
            self.answered_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            self.answered_late
                .map(|b| b.to_string())
                .unwrap_or_default(),
            self.text.clone(),
        ]
    }

    fn kind_str(&self) -> &'static str {
        self.kind.as_str()
    }
}

/// The complaint's text as stored, or the 422 naming `text`.
pub fn checked_text(text: &str) -> AppResult<String> {
    satisfaction::text(text, satisfaction::COMPLAINT_MAX).map_err(|m| AppError::field("text", m))
}

/// Files a complaint about the dossier the citizen found (one 404 for a wrong code or ID
/// number alike), from the JSON endpoint and the page alike.
pub async fn file_for_citizen(
    state: &AppState,
    code: String,
    id_number: String,
    kind: ComplaintKind,
    text: String,
) -> AppResult<Complaint> {
    let st = state.clone();
    state
        .db(move |conn| {
            let (d, _) = crate::store::public::matching(conn, &code, &id_number)?;
            let cals = st.current_calendar(conn)?;
            let cal = cals.for_office(&d.responsible_office_code).clone();
            complaints::file(
                conn,
                &cal,
                st.settings.complaints.deadline,
                &d,
                kind,
                &text,
                db::now(),
            )
        })
        .await
}

/// `POST /api/v1/public/dossiers/{code}/complaints?id_number=`.
#[utoipa::path(
    post,
    path = "/api/v1/public/dossiers/{code}/complaints",
    operation_id = "public_file_complaint",
    tag = "public",
    summary = "The citizen files a complaint or recommendation about a dossier",
    description = "No account: the dossier code and the applicant's ID number, as for the \
        lookup (a wrong code and a wrong ID number answer the same 404, and both count against \
        `public.lookup_per_minute`). The agency responsible for the dossier answers within \
        `complaints.deadline` (15 working days by default), counted in its working calendar.",
    params(
        ("code" = String, Path, description = "The code on the receipt",
            example = "000.00.24.H40-261125-0001"),
        LookupQuery,
    ),
    request_body = FileComplaintRequest,
    responses(
        (status = 201, description = "The complaint as filed", body = PublicComplaint),
        (status = 400, response = problem::BadRequest),
        (status = 404, response = problem::NotFound),
        (status = 413, response = problem::PayloadTooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::ValidationFailed),
        (status = 429, response = problem::TooManyRequests),
    )
)]
pub async fn file(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    q: Query<LookupQuery>,
    body: StrictJson<FileComplaintRequest>,
) -> AppResult<HttpResponse> {
    let body = body.value;
    let text = checked_text(&body.text)?;
    state.public_budget(&req)?;
    let id_number = q.into_inner().id_number.unwrap_or_default();
    let c = file_for_citizen(&state, code.into_inner(), id_number, body.kind, text).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PublicComplaint::new(&state, c.into())))
}

/// `GET /api/v1/dossiers/{code}/complaints`.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}/complaints",
    operation_id = "dossier_complaints",
    tag = "complaints",
    summary = "The complaints and recommendations about a dossier",
    description = "Staff who may read the dossier; oldest first.",
    security(("bearer" = [])),
    params(DossierCodePath),
    responses(
        (status = 200, description = "The dossier's complaints", body = Vec<ComplaintView>),
        problem::StaffGetErrors,
    )
)]
pub async fn for_dossier(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let code = code.into_inner();
    let list = state
        .read(move |conn| {
            let (d, _) = crate::api::dossiers::visible(conn, &caller, &code)?;
            complaints::for_dossier(conn, d.id)
        })
        .await?;
    let now = db::now();
    let items: Vec<ComplaintView> = list
        .into_iter()
        .map(|c| ComplaintView::new(&state, c, now))
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    Open,
    Answered,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplaintListQuery {
    pub status: Option<ComplaintStatus>,
    /// `true`: the overdue list — open and past due now, most overdue first.
    pub overdue: Option<bool>,
    /// Complaints this office answers (within the caller's scope).
    pub office: Option<String>,
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    pub format: Option<Format>,
}

/// A page of complaints.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintPage {
    pub items: Vec<ComplaintView>,
    /// Pass as `after` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// `GET /api/v1/complaints`.
#[utoipa::path(
    get,
    path = "/api/v1/complaints",
    operation_id = "list_complaints",
    tag = "complaints",
    summary = "Complaints and recommendations to answer, the overdue list among them",
    description = "Officers see the complaints their office answers; supervisors, their office's \
        and those below; admins, all. Earliest due first, so `overdue=true` lists the most \
        overdue first. CSV (UTF-8 with BOM) with `?format=csv` or `Accept: text/csv`.",
    security(("bearer" = [])),
    params(ComplaintListQuery),
    responses(
        (status = 200, description = "The complaints", content(
            (ComplaintPage = "application/json"),
            (String = "text/csv", example = "id,dossier_code,office_code,…"),
        )),
        problem::ReportQueryErrors,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: Query<ComplaintListQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::field("limit", "must be between 1 and 500"));
    }
    let after = match &q.after {
        None => None,
        Some(a) => Some(
            Cursor::parse(a)
                .ok_or_else(|| AppError::field("after", "is not a cursor this list gave"))?,
        ),
    };
    let filter = ComplaintFilter {
        answered: q.status.map(|s| s == ComplaintStatus::Answered),
        overdue: q.overdue == Some(true),
        office: q.office.clone(),
    };
    let now = db::now();
    let rows = state
        .db(move |conn| {
            let scope = scope(conn, &caller)?;
            if let Some(o) = &filter.office
                && !scope.contains(o)
            {
                return Err(AppError::Forbidden(format!(
                    "office {o} is outside your scope"
                )));
            }
            complaints::list(conn, &filter, &scope, after, limit, now)
        })
        .await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| {
            rows.last().map(|c| {
                Cursor {
                    due_at: c.due_at,
                    id: c.id,
                }
                .encode()
            })
        })
        .flatten();
    let items: Vec<ComplaintView> = rows
        .into_iter()
        .map(|c| ComplaintView::new(&state, c, now))
        .collect();
    if wants_csv(&req, q.format) {
        let cells: Vec<Vec<String>> = items.iter().map(ComplaintView::cells).collect();
        let name = if q.overdue == Some(true) {
            "complaints-overdue"
        } else {
            "complaints"
        };
        return Ok(csv_response(name, csv(&ComplaintView::COLUMNS, &cells)));
    }
    Ok(HttpResponse::Ok().json(ComplaintPage { items, next_cursor }))
}

/// `{answer}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// 1–4000 characters; sent to the citizen.
    #[schema(min_length = 1, max_length = 4000)]
    pub answer: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ComplaintIdPath {
    /// The complaint's id.
    pub id: i64,
}

/// `POST /api/v1/complaints/{id}/answer`.
#[utoipa::path(
    post,
    path = "/api/v1/complaints/{id}/answer",
    operation_id = "answer_complaint",
    tag = "complaints",
    summary = "Answers a complaint or recommendation; the citizen is told on every channel",
    description = "An officer of the office that answers it, a supervisor over that office, or \
        an admin. A complaint about a dossier the caller may not read answers 404; one the \
        caller may read but not answer, 403. `answered_late` says whether it came after \
        `due_at`. A second answer is 409 `already_answered`.",
    security(("bearer" = [])),
    params(ComplaintIdPath),
    request_body = AnswerRequest,
    responses(
        (status = 200, description = "The complaint, answered", body = ComplaintView),
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
pub async fn answer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: StrictJson<AnswerRequest>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let answer = satisfaction::text(&body.value.answer, satisfaction::ANSWER_MAX)
        .map_err(|m| AppError::field("answer", m))?;
    let id = id.into_inner();
    let now = db::now();
    let c = state
        .db(move |conn| {
            let scope = scope(conn, &caller)?;
            let found =
                complaints::find(conn, id)?.ok_or_else(|| AppError::not_found("complaint"))?;
            // The dossier's rules: a complaint about a dossier out of sight does not exist.
            let visible =
                crate::store::dossiers::find_visible(conn, &found.dossier_code, &scope)?.is_some();
            if !visible && !scope.contains(&found.office_code) {
                return Err(AppError::not_found("complaint"));
            }
            if !caller.may_answer_complaint(&found.office_code, &scope) {
                return Err(AppError::Forbidden(format!(
                    "the complaint is answered by office {}",
                    found.office_code
                )));
            }
            complaints::answer(conn, id, &answer, &caller.username, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ComplaintView::new(&state, c, now)))
}
