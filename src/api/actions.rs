//! `POST /api/v1/dossiers/{code}/{action}`: the lifecycle actions of API.md.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dossiers::{
    DossierCodePath, DossierView, IdempotencyKeyHeader, dossier_response, scope, view,
};
use super::procedures::{ProcessingTimeInput, processing_time};
use super::{AppState, RawBody, idempotency_key, parse_json};
use crate::authz::{Caller, Permission};
use crate::db;
use crate::domain::codes::OfficeCode;
use crate::domain::lifecycle::{Action, ActionInput, Outcome};
use crate::domain::validation::{Errors, NOTE_MAX};
use crate::error::{AppError, AppResult};
use crate::openapi::{self as problem, OfficeCodeSchema};
use crate::store::idempotency::{self, IdempotencyKey, StoredResponse};
use crate::store::lifecycle::{self, ActionContext};

const REASON_MAX: usize = 1000;
const ITEM_MAX: usize = 300;
const ITEMS_MAX: usize = 50;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransferBody {
    /// The agency that takes the next step.
    #[schema(value_type = OfficeCodeSchema)]
    to_office_code: String,
    /// The step's own deadline at that agency.
    deadline: Option<ProcessingTimeInput>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    note: Option<String>,
    /// When it happened, if earlier: not in the future, not before the previous event.
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SupplementRequestBody {
    /// Every missing item at once (1–50), each once.
    #[schema(min_items = 1, max_items = 50,
        value_type = Vec<SupplementItemSchema>, example = json!(["Bản sao sổ đỏ có chứng thực"]))]
    items: Vec<String>,
    #[schema(example = "Thiếu giấy tờ")]
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    reason: String,
    /// When it happened, if earlier: not in the future, not before the previous event.
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteBody {
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    note: Option<String>,
    /// When it happened, if earlier: not in the future, not before the previous event.
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PaymentBody {
    /// In đồng.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    amount: Option<i64>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    note: Option<String>,
    /// When it happened, if earlier: not in the future, not before the previous event.
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RescheduleBody {
    #[schema(example = "Cần xác minh thực địa")]
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    reason: String,
    /// The new appointment, after the current deadline.
    new_due_at: DateTime<FixedOffset>,
    /// When it happened, if earlier: not in the future, not before the previous event.
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResolveBody {
    #[schema(value_type = ResolveOutcome)]
    outcome: Outcome,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    note: Option<String>,
    /// When it happened, if earlier: not in the future, not before the previous event.
    at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReasonBody {
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    reason: String,
    /// When it happened, if earlier: not in the future, not before the previous event.
    at: Option<DateTime<FixedOffset>>,
}

/// One missing item of a supplement request: a line of at most 300 characters.
pub(crate) struct SupplementItemSchema;

impl utoipa::PartialSchema for SupplementItemSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(ITEM_MAX))
            .pattern(Some(crate::openapi::TEXT_LINE_PATTERN))
            .into()
    }
}

impl ToSchema for SupplementItemSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "SupplementItem".into()
    }
}

/// Resolve's outcome: the result, or a reasoned refusal after processing. (The domain's
/// `Outcome` carries no schema; `outcome_names_match_the_domain` keeps the two in step.)
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum ResolveOutcome {
    Approved,
    Refused,
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
            // Decree 61 Art. 19.4, kept by Decree 118: every missing item at once, so the list may not be empty.
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
            // One list of distinct items: a repeated line would be asked for twice.
            for (i, it) in items.iter().enumerate() {
                let key = it.to_lowercase();
                if let Some(first) = items[..i].iter().position(|o| o.to_lowercase() == key) {
                    e.add(
                        format!("items[{i}]"),
                        format!("repeats items[{first}]; list each missing item once"),
                    );
                }
            }
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

/// The `If-Match` header of the actions.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub(crate) struct IfMatchHeader {
    /// The `ETag` of the caller's last read (`"3"`, `W/"3"` or `*`): the action is refused with
    /// 412 if the dossier has changed since.
    #[serde(rename = "If-Match")]
    #[param(example = "\"3\"", nullable = false)]
    if_match: Option<String>,
}

/// The OpenAPI operations of `act`, one per action, so that each shows its own body.
macro_rules! documented_actions {
    ($($(#[doc = $doc:tt])* $name:ident: $path:tt, $body:ty;)*) => {$(
        $(#[doc = $doc])*
        #[utoipa::path(
            post,
            path = $path,
            operation_id = stringify!($name),
            tag = "lifecycle",
            security(("bearer" = [])),
            params(DossierCodePath, IdempotencyKeyHeader, IfMatchHeader),
            request_body = $body,
            responses(
                (status = 200, description = "The dossier after the action", body = DossierView,
                    headers(("ETag" = String, description = "The dossier's new version"))),
                (status = 400, response = problem::BadRequest),
                (status = 401, response = problem::Unauthorized),
                (status = 403, response = problem::Forbidden),
                (status = 404, response = problem::NotFound),
                (status = 409, response = problem::Conflict),
                (status = 412, response = problem::PreconditionFailed),
                (status = 413, response = problem::PayloadTooLarge),
                (status = 415, response = problem::UnsupportedMediaType),
                (status = 422, response = problem::ValidationFailed),
            )
        )]
        #[allow(dead_code)]
        pub(crate) fn $name() {}
    )*};
}

documented_actions! {
    /// Transfer to the next agency (→ `processing`)
    ///
    /// Closes the open step and opens one at `to_office_code` with its own step deadline.
    transfer: "/api/v1/dossiers/{code}/transfer", TransferBody;
    /// Ask the citizen for what is missing (→ `awaiting_supplement`)
    request_supplement: "/api/v1/dossiers/{code}/request-supplement", SupplementRequestBody;
    /// The citizen completed the dossier (back to where it was)
    ///
    /// The deadline restarts, or resumes, per `deadlines.supplement_policy`. The body may be
    /// omitted.
    supplement_received: "/api/v1/dossiers/{code}/supplement-received", Option<NoteBody>;
    /// Wait for the citizen's payment (→ `awaiting_payment`)
    ///
    /// The body may be omitted.
    request_payment: "/api/v1/dossiers/{code}/request-payment", Option<PaymentBody>;
    /// The citizen paid (back to where the dossier was)
    ///
    /// The body may be omitted.
    payment_received: "/api/v1/dossiers/{code}/payment-received", Option<PaymentBody>;
    /// Apologise and set a new appointment
    ///
    /// At most once per dossier, and only before its deadline has passed: creates the apology
    /// letter (Mẫu 04).
    reschedule: "/api/v1/dossiers/{code}/reschedule", RescheduleBody;
    /// Resolved: approved, or refused with reasons (→ `resolved`)
    ///
    /// Sets `resolved_at` and the final `timeliness`.
    resolve: "/api/v1/dossiers/{code}/resolve", ResolveBody;
    /// The result was handed to the citizen (→ `returned`)
    ///
    /// The body may be omitted.
    return_result: "/api/v1/dossiers/{code}/return-result", Option<NoteBody>;
    /// Not accepted (→ `rejected`)
    reject: "/api/v1/dossiers/{code}/reject", ReasonBody;
    /// Withdrawn at the citizen's request (→ `withdrawn`)
    withdraw: "/api/v1/dossiers/{code}/withdraw", ReasonBody;
    /// Processing stopped (→ `stopped`)
    stop: "/api/v1/dossiers/{code}/stop", ReasonBody;
}

/// `POST /api/v1/dossiers/{code}/{action}`: documented per action above.
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
                    catalog: &st.catalog,
                    now,
                };
                let d = lifecycle::apply(conn, &ctx, &code, input.clone(), at, if_match)?;
                let steps = crate::store::dossiers::steps(conn, d.id)?;
                let letters = crate::store::letters::for_dossier(conn, &d)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented outcomes are the domain's, and a new one there fails to compile here.
    #[test]
    fn outcome_names_match_the_domain() -> Result<(), Box<dyn std::error::Error>> {
        fn documented(o: Outcome) -> ResolveOutcome {
            match o {
                Outcome::Approved => ResolveOutcome::Approved,
                Outcome::Refused => ResolveOutcome::Refused,
            }
        }
        for o in [Outcome::Approved, Outcome::Refused] {
            assert_eq!(
                serde_json::to_value(o)?,
                serde_json::to_value(documented(o))?
            );
        }
        Ok(())
    }

    /// Every action of the lifecycle has its documented operation.
    #[test]
    fn every_action_is_documented() {
        let doc = crate::openapi::document();
        for a in Action::ALL {
            let path = format!("/api/v1/dossiers/{{code}}/{}", a.as_str());
            let item = doc.paths.paths.get(&path);
            assert!(
                item.is_some_and(|i| i.post.is_some()),
                "{path} is not in the OpenAPI document"
            );
        }
    }
}
