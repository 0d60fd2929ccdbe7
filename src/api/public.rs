//! The citizen's lookup (Decree 61 Art. 17.3): dossier code + the applicant's ID number.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::{IntoParams, ToSchema};

use super::{AppState, Query};
use crate::db::{self, from_db};
use crate::domain::dossier::Status;
use crate::domain::timeliness::Timeliness;
use crate::domain::validation;
use crate::error::{AppError, AppResult};
use crate::openapi as problem;
use crate::store::dossiers;

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
    #[schema(value_type = Status)]
    pub status: String,
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

/// An apology with its new appointment.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicApologyLetter)]
pub struct PublicLetterView {
    pub created_at: DateTime<FixedOffset>,
    pub reason: String,
    pub new_due_at: DateTime<FixedOffset>,
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
    pub history: Vec<HistoryEntry>,
    pub apology_letters: Vec<PublicLetterView>,
}

fn not_found() -> AppError {
    // One answer for a wrong code and a wrong ID number alike.
    AppError::NotFound("no dossier matches this code and ID number".into())
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
    if let Some(ip) = state.client_ip(&req)
        && let Err(not_until) = state.lookup_limiter.check_key(&ip)
    {
        use governor::clock::{Clock, DefaultClock};
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        return Err(AppError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let code = code.into_inner();
    let given = q
        .into_inner()
        .id_number
        .as_deref()
        .and_then(validation::id_number)
        .unwrap_or_default();
    let st = state.clone();
    let view = state
        .read(move |conn| {
            let found = if code.len() <= 80 {
                dossiers::find(conn, &code)?
            } else {
                None
            };
            // Compare even when there is no dossier, so both failures take the same path.
            let stored = found
                .as_ref()
                .map(|d| d.applicant_id_number.as_bytes())
                .unwrap_or(b"\0no-dossier\0");
            let matches: bool = stored.ct_eq(given.as_bytes()).into();
            let d = match found {
                Some(d) if matches && !given.is_empty() => d,
                _ => return Err(not_found()),
            };
            let (procedure_name, office_name, current_office_name) =
                st.catalog.names_for(conn, &d)?;
            let events = dossiers::all_events(conn, d.id)?;
            let cals = st.calendars();
            let cal = cals.for_office(&d.office_code);
            let timeliness = super::dossiers::current_timeliness(&st, cal, &d, db::now())?;
            let status = d.status()?;
            let history = events
                .iter()
                .filter(|e| e.from_status.as_deref() != Some(e.to_status.as_str()))
                .map(|e| HistoryEntry {
                    status: e.to_status.clone(),
                    at: st.local(from_db(e.at)),
                })
                .collect();
            let supplement_request = if status == Status::AwaitingSupplement {
                events
                    .iter()
                    .rev()
                    .find(|e| e.action == "request-supplement")
                    .map(|e| {
                        let data: serde_json::Value = e
                            .data
                            .as_deref()
                            .and_then(|s| serde_json::from_str(s).ok())
                            .unwrap_or_default();
                        SupplementRequestView {
                            items: data
                                .get("items")
                                .and_then(|v| serde_json::from_value(v.clone()).ok())
                                .unwrap_or_default(),
                            reason: data
                                .get("reason")
                                .and_then(|v| v.as_str())
                                .unwrap_or_default()
                                .to_owned(),
                            requested_at: st.local(from_db(e.at)),
                        }
                    })
            } else {
                None
            };
            let apology_letters = crate::store::letters::for_dossier(conn, &d)?
                .into_iter()
                .map(|(l, _)| PublicLetterView {
                    created_at: st.local(from_db(l.created_at)),
                    reason: l.reason,
                    new_due_at: st.local(from_db(l.new_due_at)),
                })
                .collect();
            Ok(PublicDossier {
                status,
                status_code: status.national_code(),
                procedure_name,
                office_name,
                current_office_name,
                received_at: st.local(from_db(d.received_at)),
                due_at: st.local(from_db(d.due_at)),
                rescheduled_due_at: d.rescheduled_due_at.map(|t| st.local(from_db(t))),
                timeliness,
                applicant_name_masked: validation::mask_name(&d.applicant_full_name),
                supplement_request,
                history,
                apology_letters,
                code: d.code,
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view))
}
