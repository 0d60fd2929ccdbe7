//! The citizen's lookup (Decree 61 Art. 17.3, kept by Decree 118): dossier code + the applicant's ID number.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{AppState, Query};
use crate::domain::dossier::Status;
use crate::domain::timeliness::Timeliness;
use crate::error::AppResult;
use crate::openapi as problem;
use crate::store::public::CitizenView;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// The applicant's ID number as given at the counter.
    #[param(example = "079123456789")]
    pub id_number: Option<String>,
}

/// A change of status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicHistoryEntry)]
pub struct HistoryEntry {
    pub status: Status,
    pub at: DateTime<FixedOffset>,
}

/// What the office asked the citizen to bring.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicSupplementRequest)]
pub struct SupplementRequestView {
    pub items: Vec<String>,
    pub reason: String,
    pub requested_at: DateTime<FixedOffset>,
}

/// One processing step: the agency, when it took the dossier, its deadline, when it finished.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicStep {
    pub office_name: String,
    pub received_at: DateTime<FixedOffset>,
    pub deadline_at: DateTime<FixedOffset>,
    pub completed_at: Option<DateTime<FixedOffset>>,
}

/// An apology (Mẫu 04) with its new appointment, the agency that apologised and who signed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicApologyLetter)]
pub struct PublicLetterView {
    pub created_at: DateTime<FixedOffset>,
    pub reason: String,
    pub new_due_at: DateTime<FixedOffset>,
    pub original_due_at: DateTime<FixedOffset>,
    pub agency_name: String,
    pub signer_name: Option<String>,
}

/// What a citizen sees: no personal data beyond a masked name, no internal notes.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicDossier {
    pub code: String,
    pub status: Status,
    pub status_code: i32,
    pub procedure_name: String,
    pub office_name: String,
    pub current_office_name: String,
    pub received_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    pub rescheduled_due_at: Option<DateTime<FixedOffset>>,
    pub timeliness: Option<Timeliness>,
    pub applicant_name_masked: String,
    pub supplement_request: Option<SupplementRequestView>,
    /// The processing steps so far, in order.
    pub steps: Vec<PublicStep>,
    pub history: Vec<HistoryEntry>,
    pub apology_letters: Vec<PublicLetterView>,
    /// The complaints and recommendations filed about it, with their answers.
    pub complaints: Vec<super::complaints::PublicComplaint>,
    /// The result is digitised and can be downloaded with
    /// `GET /api/v1/public/dossiers/{code}/result?id_number=` (or from the status page).
    pub result_available: bool,
}

impl PublicDossier {
    /// The view with its instants in the office time zone.
    pub fn new(state: &AppState, v: CitizenView) -> Self {
        let local = |t| state.local(t);
        Self {
            status: v.status,
            status_code: v.status.national_code(),
            procedure_name: v.procedure_name,
            office_name: v.office_name,
            current_office_name: v.current_office_name,
            received_at: local(v.received_at),
            due_at: local(v.due_at),
            rescheduled_due_at: v.rescheduled_due_at.map(local),
            timeliness: v.timeliness,
            applicant_name_masked: v.applicant_name_masked,
            supplement_request: v.supplement_request.map(|r| SupplementRequestView {
                items: r.items,
                reason: r.reason,
                requested_at: local(r.requested_at),
            }),
            steps: v
                .steps
                .into_iter()
                .map(|s| PublicStep {
                    office_name: s.office_name,
                    received_at: local(s.received_at),
                    deadline_at: local(s.deadline_at),
                    completed_at: s.completed_at.map(local),
                })
                .collect(),
            history: v
                .history
                .into_iter()
                .map(|(status, at)| HistoryEntry {
                    status,
                    at: local(at),
                })
                .collect(),
            apology_letters: v
                .apology_letters
                .into_iter()
                .map(|l| PublicLetterView {
                    created_at: local(l.created_at),
                    reason: l.reason,
                    new_due_at: local(l.new_due_at),
                    original_due_at: local(l.original_due_at),
                    agency_name: l.agency_name,
                    signer_name: l.signer_name,
                })
                .collect(),
            complaints: v
                .complaints
                .into_iter()
                .map(|c| super::complaints::PublicComplaint::new(state, c))
                .collect(),
            result_available: v.result_available,
            code: v.code,
        }
    }
}

/// `GET /api/v1/public/dossiers/{code}?id_number=`.
#[utoipa::path(
    get,
    path = "/api/v1/public/dossiers/{code}",
    operation_id = "public_lookup",
    tag = "public",
    summary = "The citizen's view of a dossier: its code and the applicant's ID number",
    description = "No account needed. A wrong code and a wrong ID number answer the same 404. \
        At most `public.lookup_per_minute` lookups per client address and minute.",
    params(
        ("code" = String, Path, description = "The code on the receipt",
            example = "000.00.24.H40-261125-0001"),
        LookupQuery,
    ),
    responses(
        (status = 200, description = "The dossier", body = PublicDossier,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = problem::BadRequest),
        (status = 404, response = problem::NotFound),
        (status = 422, response = problem::ValidationFailed),
        (status = 429, response = problem::TooManyRequests),
    )
)]
pub async fn lookup(
    state: web::Data<AppState>,
    req: HttpRequest,
    code: web::Path<String>,
    q: Query<LookupQuery>,
) -> AppResult<HttpResponse> {
    let id_number = q.into_inner().id_number.unwrap_or_default();
    let view = state
        .citizen_lookup(&req, code.into_inner(), id_number)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PublicDossier::new(&state, view)))
}
