//! `POST /api/v1/dossiers/{code}/{action}`: the lifecycle actions of API.md.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::dossiers::{dossier_response, scope, view};
use super::procedures::{ProcessingTimeInput, processing_time};
use super::{AppState, RawBody, idempotency_key, parse_json};
use crate::authz::{Caller, Permission};
use crate::db;
use crate::domain::codes::OfficeCode;
use crate::domain::lifecycle::Action;
use crate::domain::validation::{Errors, NOTE_MAX};
use crate::error::{AppError, AppResult};
use crate::store::idempotency::{self, IdempotencyKey, StoredResponse};
use crate::store::lifecycle::{self, ActionContext, ActionInput, Outcome};

const REASON_MAX: usize = 1000;
const ITEM_MAX: usize = 300;
const ITEMS_MAX: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    to_office_code: String,
    deadline: Option<ProcessingTimeInput>,
    note: Option<String>,
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SupplementRequestBody {
    items: Vec<String>,
    reason: String,
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    note: Option<String>,
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentBody {
    amount: Option<i64>,
    note: Option<String>,
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RescheduleBody {
    reason: String,
    new_due_at: DateTime<FixedOffset>,
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    outcome: Outcome,
    note: Option<String>,
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
    at: Option<DateTime<FixedOffset>>,
}

fn body<T: DeserializeOwned>(bytes: &[u8]) -> AppResult<(T, String)> {
    // Actions whose fields are all optional may come with no body at all.
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let parsed = parse_json::<T>(bytes)?;
    Ok((parsed.value, parsed.hash))
}

fn utc(t: Option<DateTime<FixedOffset>>) -> Option<DateTime<Utc>> {
    t.map(|t| db::to_db(t.to_utc()).and_utc())
}

/// Parses and validates the body for `action`; returns the input, its `at` and the body's hash.
fn parse(action: Action, bytes: &[u8]) -> AppResult<(ActionInput, Option<DateTime<Utc>>, String)> {
    let mut e = Errors::default();
    let (input, at, hash) = match action {
        Action::Transfer => {
            let (b, h): (TransferBody, _) = body(bytes)?;
            if OfficeCode::parse(&b.to_office_code).is_err() {
                e.add(
                    "to_office_code",
                    "may contain only digits, capital letters and dots",
                );
            }
            let deadline = b
                .deadline
                .as_ref()
                .and_then(|t| processing_time("deadline", t, &mut e));
            let note = e.opt_note("note", b.note.as_deref(), NOTE_MAX);
            (
                ActionInput::Transfer {
                    to_office_code: b.to_office_code,
                    deadline,
                    note,
                },
                b.at,
                h,
            )
        }
        Action::RequestSupplement => {
            let (b, h): (SupplementRequestBody, _) = body(bytes)?;
            // Decree 61 Art. 19.4: every missing item at once, so the list may not be empty.
            if b.items.is_empty() || b.items.len() > ITEMS_MAX {
                e.add(
                    "items",
                    format!("must list between 1 and {ITEMS_MAX} missing items"),
                );
            }
            let items: Vec<String> = b
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| e.line(&format!("items[{i}]"), it, ITEM_MAX))
                .collect();
            let reason = e.line("reason", &b.reason, REASON_MAX);
            (ActionInput::RequestSupplement { items, reason }, b.at, h)
        }
        Action::SupplementReceived | Action::ReturnResult => {
            let (b, h): (NoteBody, _) = body(bytes)?;
            let note = e.opt_note("note", b.note.as_deref(), NOTE_MAX);
            let input = if action == Action::ReturnResult {
                ActionInput::ReturnResult { note }
            } else {
                ActionInput::SupplementReceived { note }
            };
            (input, b.at, h)
        }
        Action::RequestPayment | Action::PaymentReceived => {
            let (b, h): (PaymentBody, _) = body(bytes)?;
            if b.amount
                .is_some_and(|a| !(0..=1_000_000_000_000).contains(&a))
            {
                e.add("amount", "must be a non-negative amount in đồng");
            }
            let note = e.opt_note("note", b.note.as_deref(), NOTE_MAX);
            let input = if action == Action::RequestPayment {
                ActionInput::RequestPayment {
                    amount: b.amount,
                    note,
                }
            } else {
                ActionInput::PaymentReceived {
                    amount: b.amount,
                    note,
                }
            };
            (input, b.at, h)
        }
        Action::Reschedule => {
            let (b, h): (RescheduleBody, _) = body(bytes)?;
            let reason = e.line("reason", &b.reason, REASON_MAX);
            let new_due_at = db::to_db(b.new_due_at.to_utc()).and_utc();
            (ActionInput::Reschedule { reason, new_due_at }, b.at, h)
        }
        Action::Resolve => {
            let (b, h): (ResolveBody, _) = body(bytes)?;
            let note = e.opt_note("note", b.note.as_deref(), NOTE_MAX);
            (
                ActionInput::Resolve {
                    outcome: b.outcome,
                    note,
                },
                b.at,
                h,
            )
        }
        Action::Reject | Action::Withdraw | Action::Stop => {
            let (b, h): (ReasonBody, _) = body(bytes)?;
            let reason = e.line("reason", &b.reason, REASON_MAX);
            let input = match action {
                Action::Reject => ActionInput::Reject { reason },
                Action::Withdraw => ActionInput::Withdraw { reason },
                _ => ActionInput::Stop { reason },
            };
            (input, b.at, h)
        }
    };
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    Ok((input, utc(at), hash))
}

/// `If-Match: "N"` (or `W/"N"`); `*` matches any version.
fn if_match(req: &HttpRequest) -> AppResult<Option<i32>> {
    let Some(v) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .map_err(|_| AppError::BadRequest("If-Match must be an ETag such as \"3\"".into()))?
        .trim();
    if s == "*" {
        return Ok(None);
    }
    s.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i32>()
        .map(Some)
        .map_err(|_| AppError::BadRequest("If-Match must be an ETag such as \"3\"".into()))
}

/// `POST /api/v1/dossiers/{code}/{action}`.
pub async fn act(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    RawBody(bytes): RawBody,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let (code, action_name) = path.into_inner();
    let action = Action::parse(&action_name)
        .ok_or_else(|| AppError::NotFound(format!("no action {action_name:?}")))?;
    let content_type_ok = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
    if !content_type_ok && !bytes.is_empty() {
        return Err(AppError::UnsupportedMediaType);
    }
    let (input, at, hash) = parse(action, &bytes)?;
    let if_match = if_match(&req)?;
    let key = idempotency_key(&req)?.map(|key| IdempotencyKey {
        username: caller.username.clone(),
        scope: format!("POST /api/v1/dossiers/{code}/{}", action.as_str()),
        key,
        request_hash: hash,
    });
    let st = state.clone();
    let stored = state
        .db(move |conn| {
            // Deadlines count in the receiving office's hours (its code opens the dossier code).
            let office =
                crate::domain::codes::DossierCode::parse(&code).map(|c| c.office.to_string());
            let cals = st.current_calendar(conn)?;
            let cal = match &office {
                Some(o) => cals.for_office(o).clone(),
                None => cals.default_calendar().clone(),
            };
            let scope = scope(conn, &caller)?;
            idempotency::run_once(conn, key.as_ref(), |conn| {
                let now = db::now();
                let ctx = ActionContext {
                    calendar: &cal,
                    supplement_policy: st.settings.deadlines.supplement_policy,
                    caller: &caller,
                    scope: &scope,
                    now,
                };
                let d = lifecycle::apply(conn, &ctx, &code, input.clone(), at, if_match)?;
                let steps = crate::store::dossiers::steps(conn, d.id)?;
                let letters = crate::store::letters::for_dossier(conn, d.id)?;
                let v = view(&st, &cal, d, steps, letters, now)?;
                let body =
                    serde_json::to_string(&v).map_err(|e| AppError::Internal(e.to_string()))?;
                Ok(StoredResponse {
                    status: 200,
                    body,
                    location: None,
                })
            })
        })
        .await?;
    Ok(dossier_response(stored))
}
