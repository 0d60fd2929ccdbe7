//! Dossiers for staff: receive, read, list, history.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{AppState, ListResponse, PageQuery, Query, StrictJson, idempotency_key, stored_json};
use crate::authz::{Caller, Permission, Scope};
use crate::db::{self, DbConn, from_db};
use crate::domain::calendar::WorkingCalendar;
use crate::domain::codes::OfficeCode;
use crate::domain::dossier::{Channel, Role, Status};
use crate::domain::timeliness::{self, Timeliness};
use crate::domain::validation::{self, ADDRESS_MAX, Errors, NAME_MAX, NOTE_MAX};
use crate::error::{AppError, AppResult};
use crate::openapi::{self as problem, OfficeCodeSchema};
use crate::store::dossiers::{
    self, Dossier, DossierFilter, Event, NewDossier, Step, TimelinessFilter,
};
use crate::store::idempotency::{self, IdempotencyKey, StoredResponse};
use crate::store::letters::{self, Letter, LetterFilter};
use crate::store::{PageRequest, offices};

/// The citizen who files the dossier.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantInput {
    #[schema(example = "Nguyễn Văn An")]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub full_name: String,
    /// 9 or 12 digits, or a passport number of 6–12 letters and digits: what the citizen gives,
    /// with the dossier code, to look the dossier up.
    #[schema(example = "079123456789", pattern = r"^[0-9A-Za-z]{6,12}$")]
    pub id_number: String,
    /// A Vietnamese number (a mobile of 10 digits 03…/05…/07…/08…/09…, or a landline of 11
    /// digits 02…), nationally or as +84 without the 0, in groups separated by a space, dot or
    /// dash; SMS and Zalo notices go to mobiles only.
    #[schema(
        example = "0901234567",
        max_length = 20,
        pattern = r"^\+?[0-9](?:[ .-]?[0-9]){7,14}$"
    )]
    pub phone: Option<String>,
    #[schema(
        example = "an@example.vn",
        max_length = 254,
        pattern = r"^[^\s@<>,;]+@[^\s@<>,;.][^\s@<>,;]*\.[^\s@<>,;]*[^\s@<>,;.]$"
    )]
    pub email: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub address: Option<String>,
    /// The channels the citizen wants to be told on, among the deployment's
    /// (`notifications.channels`); absent: all of them.
    #[schema(max_items = 3)]
    pub notify: Option<Vec<crate::domain::notice::NoticeChannel>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveRequest {
    #[schema(example = "1.001234")]
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub procedure_code: String,
    pub channel: Channel,
    pub applicant: ApplicantInput,
    /// The receiving office: the clerk's own by default; required for an admin.
    #[schema(value_type = Option<OfficeCodeSchema>)]
    pub office_code: Option<String>,
    /// When it was received, if earlier (paper backlog, outage); now by default, never in the
    /// future.
    pub received_at: Option<DateTime<FixedOffset>>,
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Applicant)]
pub struct ApplicantView {
    pub full_name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// A processing step at one agency, with its own deadline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Step)]
pub struct StepView {
    pub seq: i32,
    pub office_code: String,
    pub received_at: DateTime<FixedOffset>,
    pub deadline_at: DateTime<FixedOffset>,
    pub completed_at: Option<DateTime<FixedOffset>>,
    pub timeliness: Option<Timeliness>,
}

/// The whole dossier as staff see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Dossier)]
pub struct DossierView {
    /// `<office>-<YYMMDD>-<NNNN>`, as printed on the receipt.
    #[schema(example = "000.00.24.H40-261125-0001")]
    pub code: String,
    pub status: Status,
    /// The status's number in the national synchronisation set.
    pub status_code: i32,
    pub procedure_code: String,
    pub office_code: String,
    pub channel: Channel,
    pub applicant: ApplicantView,
    pub note: Option<String>,
    pub received_at: DateTime<FixedOffset>,
    pub clock_started_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    pub rescheduled_due_at: Option<DateTime<FixedOffset>>,
    pub resolved_at: Option<DateTime<FixedOffset>>,
    pub returned_at: Option<DateTime<FixedOffset>>,
    pub outcome: Option<String>,
    pub timeliness: Option<Timeliness>,
    pub responsible_office_code: String,
    pub reappointment_used: bool,
    /// How many supplement requests were made; more than one is the agency's breach of the
    /// single, complete request the law wants (Decision 766 scores such a dossier not on time).
    pub supplement_requests: i32,
    pub steps: Vec<StepView>,
    pub apology_letters: Vec<LetterView>,
    /// How `due_at` was counted: the days and hours counted or skipped, and why.
    #[schema(value_type = Object, nullable)]
    pub deadline_trace: Option<Box<serde_json::value::RawValue>>,
    /// Increases with every change; the `ETag` is this number in quotes.
    pub version: i32,
    /// Whether the components and the result are on file (`GET …/files`).
    pub digitised: super::files::Digitised,
    /// The version of the procedure it was received under
    /// (`GET /api/v1/procedures/{code}/versions`): its processing time, components and fees.
    pub procedure_version: i32,
    /// The processing time it was received under.
    pub processing_time: crate::domain::calendar::ProcessingTime,
    /// The citizen's rating through the personal link sent with the returned result; null
    /// until rated.
    pub rating: Option<super::ratings::RatingView>,
    /// Synchronisation with the national portal (on the read of one dossier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_sync: Option<NationalSyncView>,
}

/// Where the dossier stands with the national portal.
#[derive(Debug, Serialize, ToSchema)]
pub struct NationalSyncView {
    /// `pending` (its latest change waits to be sent, or is being retried), `synced` (the
    /// portal accepted it), `failed` (given up after outbox.max_attempts; `motcua sync --since`
    /// sends again), `off` (synchronisation is off, or never included this dossier).
    #[schema(example = "synced")]
    pub status: String,
    pub synced_at: Option<DateTime<FixedOffset>>,
    pub last_error: Option<String>,
}

/// The dossier's synchronisation, read from its latest record on the outbox.
pub fn national_sync(
    state: &AppState,
    conn: &mut db::DbConn,
    dossier_id: i64,
) -> AppResult<NationalSyncView> {
    let off = NationalSyncView {
        status: "off".into(),
        synced_at: None,
        last_error: None,
    };
    if !crate::store::webhooks::national_on(conn)? {
        return Ok(off);
    }
    Ok(
        match crate::store::webhooks::national_state(conn, dossier_id)? {
            None => off,
            Some((status, sent_at, last_error)) => NationalSyncView {
                status: match status.as_str() {
                    "sent" => "synced",
                    "failed" => "failed",
                    _ => "pending",
                }
                .into(),
                synced_at: sent_at.map(|t| state.local(from_db(t))),
                last_error,
            },
        },
    )
}

/// The timeliness a client sees now: the final verdict once finished, the standing while open,
/// nothing for dossiers closed without a result.
pub fn current_timeliness(
    state: &AppState,
    cal: &WorkingCalendar,
    d: &Dossier,
    now: DateTime<Utc>,
) -> AppResult<Option<Timeliness>> {
    dossiers::timeliness_now(cal, d, now, state.settings.deadlines.due_soon)
}

pub fn view(
    state: &AppState,
    cal: &WorkingCalendar,
    mut d: Dossier,
    steps: Vec<Step>,
    letters: Vec<(Letter, String)>,
    now: DateTime<Utc>,
) -> AppResult<DossierView> {
    let local = |t| state.local(from_db(t));
    let status = d.status()?;
    let timeliness = current_timeliness(state, cal, &d, now)?;
    let processing_time = d.deadline_basis()?.time;
    let channel =
        Channel::parse(&d.channel).ok_or_else(|| AppError::Internal("unknown channel".into()))?;
    // Stored as the JSON it is sent as: checked, then passed through without building a tree.
    let deadline_trace =
        serde_json::value::RawValue::from_string(std::mem::take(&mut d.deadline_trace)).ok();
    Ok(DossierView {
        status,
        status_code: status.national_code(),
        procedure_code: d.procedure_code,
        office_code: d.office_code,
        channel,
        applicant: ApplicantView {
            full_name: d.applicant_full_name,
            id_number: d.applicant_id_number,
            phone: d.applicant_phone,
            email: d.applicant_email,
            address: d.applicant_address,
        },
        note: d.note,
        received_at: local(d.received_at),
        clock_started_at: state.local(cal.clock_start(from_db(d.clock_started_at))),
        due_at: local(d.due_at),
        rescheduled_due_at: d.rescheduled_due_at.map(local),
        resolved_at: d.resolved_at.map(local),
        returned_at: d.returned_at.map(local),
        outcome: d.outcome,
        timeliness,
        responsible_office_code: d.responsible_office_code,
        reappointment_used: d.reappointment_used,
        supplement_requests: d.supplement_requests,
        national_sync: None,
        rating: match (
            d.rating
                .as_deref()
                .and_then(crate::domain::satisfaction::Rating::parse),
            d.rated_at,
        ) {
            (Some(rating), Some(at)) => Some(super::ratings::RatingView {
                rating,
                comment: d.rating_comment,
                rated_at: local(at),
            }),
            _ => None,
        },
        procedure_version: d.procedure_version,
        processing_time,
        digitised: super::files::Digitised {
            components: d.components_digitised_at.is_some(),
            result: d.result_digitised_at.is_some(),
        },
        steps: steps
            .into_iter()
            .map(|s| StepView {
                seq: s.seq,
                office_code: s.office_code,
                received_at: local(s.received_at),
                deadline_at: local(s.deadline_at),
                completed_at: s.completed_at.map(local),
                timeliness: match s.completed_at {
                    Some(_) => s.timeliness.as_deref().and_then(Timeliness::parse),
                    None => Some(timeliness::open(
                        cal,
                        from_db(s.deadline_at),
                        now,
                        status.is_paused(),
                        state.settings.deadlines.due_soon,
                    )),
                },
            })
            .collect(),
        apology_letters: letters
            .into_iter()
            .map(|(l, code)| letter_view(state, l, code))
            .collect(),
        deadline_trace,
        version: d.version,
        code: d.code,
    })
}

/// The offices whose dossiers the caller sees (admins: all; supervisors: their office and below).
pub fn scope(conn: &mut DbConn, caller: &Caller) -> AppResult<Scope> {
    match (caller.role, &caller.office_code) {
        (Role::Admin, _) => Ok(Scope::All),
        (Role::Supervisor, Some(office)) => {
            Ok(Scope::Offices(offices::with_descendants(conn, office)?))
        }
        (_, Some(office)) => Ok(Scope::Offices(vec![office.clone()])),
        (_, None) => Ok(Scope::Offices(Vec::new())),
    }
}

fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// Checks a receipt and turns it into what the store records.
fn validate_receipt(
    req: ReceiveRequest,
    caller: &Caller,
    configured: &[crate::domain::notice::NoticeChannel],
    now: DateTime<Utc>,
) -> AppResult<NewDossier> {
    let mut e = Errors::default();
    let office_code = match (&req.office_code, &caller.office_code, caller.role) {
        (Some(o), _, Role::Admin) => o.clone(),
        (Some(o), Some(own), _) if o == own => o.clone(),
        (Some(_), _, _) => {
            return Err(AppError::Forbidden(
                "clerks receive dossiers at their own office only".into(),
            ));
        }
        (None, Some(own), _) => own.clone(),
        (None, None, _) => {
            e.add(
                "office_code",
                "is required for an admin, who belongs to no office",
            );
            String::new()
        }
    };
    if !office_code.is_empty()
        && let Err(m) = OfficeCode::parse(&office_code)
    {
        e.add("office_code", m);
    }
    let procedure_code = e.line("procedure_code", &req.procedure_code, 50);
    let a = req.applicant;
    let full_name = e.line("applicant.full_name", &a.full_name, NAME_MAX);
    let id_number = validation::id_number(&a.id_number).unwrap_or_else(|| {
        e.add(
            "applicant.id_number",
            "must be 9 or 12 digits, or a passport number of 6–12 letters and digits",
        );
        String::new()
    });
    let phone = e.opt_line("applicant.phone", a.phone.as_deref(), 20);
    if let Some(p) = &phone
        && crate::domain::phone::normalise(p).is_none()
    {
        e.add("applicant.phone", crate::domain::phone::NOT_VIETNAMESE);
    }
    let notify = crate::domain::notice::channels_for(configured, a.notify.as_deref());
    let email = e.opt_line("applicant.email", a.email.as_deref(), 254);
    if let Some(m) = &email
        && !validation::email(m)
    {
        e.add("applicant.email", "is not an email address");
    }
    let address = e.opt_line("applicant.address", a.address.as_deref(), ADDRESS_MAX);
    let note = e.opt_note("note", req.note.as_deref(), NOTE_MAX);
    let received_at = match req.received_at.map(|t| t.with_timezone(&Utc)) {
        None => now,
        Some(t)
            if t > now + chrono::Duration::seconds(crate::domain::lifecycle::CLOCK_SKEW_SECS) =>
        {
            e.add("received_at", "must not be in the future");
            now
        }
        // Within the tolerated clock skew: the receipt happens now.
        Some(t) if t > now => now,
        Some(t) if t < earliest_receipt() => {
            e.add("received_at", "must be in the year 2000 or later");
            now
        }
        Some(t) => db::to_db(t).and_utc(),
    };
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    Ok(NewDossier {
        office_code,
        procedure_code,
        channel: req.channel,
        full_name,
        id_number,
        phone,
        email,
        address,
        note,
        received_at,
        actor: caller.username.clone(),
        notify,
    })
}

fn earliest_receipt() -> DateTime<Utc> {
    DateTime::<Utc>::from_naive_utc_and_offset(
        NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default(),
        Utc,
    )
}

/// `POST /api/v1/dossiers`: receive a dossier (clerk at their office, or admin).
#[utoipa::path(
    post,
    path = "/api/v1/dossiers",
    operation_id = "receive_dossier",
    tag = "dossiers",
    summary = "Receive a dossier (clerk at their own office, admin)",
    description = "Gives the dossier its code and its statutory deadline. A retry with the same \
        `Idempotency-Key` and body answers the first response again.",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = ReceiveRequest,
    responses(
        (status = 201, description = "Received", body = DossierView, headers(
            ("Location" = String, description = "The dossier's URL"),
            ("ETag" = String, description = "The dossier's version, e.g. `\"1\"`"),
        )),
        problem::StaffWriteErrors,
    )
)]
pub async fn receive(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: StrictJson<ReceiveRequest>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Receive)?;
    let key = idempotency_key(&req)?.map(|key| IdempotencyKey {
        username: caller.username.clone(),
        scope: "POST /api/v1/dossiers".into(),
        key,
        request_hash: body.hash.clone(),
    });
    let now = db::now();
    let new = validate_receipt(
        body.value,
        &caller,
        &state.settings.notifications.channels,
        now,
    )?;
    let st = state.clone();
    let stored = state
        .db(move |conn| {
            let cal = st
                .current_calendar(conn)?
                .for_office(&new.office_code)
                .clone();
            idempotency::run_once(conn, key.as_ref(), |conn| {
                let d = dossiers::receive(conn, &st.catalog, &cal, &new, now)?;
                let location = format!("/api/v1/dossiers/{}", d.code);
                let view = view(&st, &cal, d, Vec::new(), Vec::new(), now)?;
                let body =
                    serde_json::to_string(&view).map_err(|e| AppError::Internal(e.to_string()))?;
                Ok(StoredResponse {
                    status: 201,
                    body,
                    location: Some(location),
                })
            })
        })
        .await?;
    Ok(dossier_response(stored))
}

/// A dossier response (fresh or replayed) with its `ETag`.
pub fn dossier_response(stored: StoredResponse) -> HttpResponse {
    let version = serde_json::from_str::<serde_json::Value>(&stored.body)
        .ok()
        .and_then(|v| v.get("version").and_then(serde_json::Value::as_i64));
    let mut resp = stored_json(stored.status, stored.body, stored.location);
    if let Some(v) = version.and_then(|v| header::HeaderValue::from_str(&etag(v as i32)).ok()) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// The dossier the caller may see, with its steps, or 404 as if it did not exist (codes cannot
/// be probed).
pub(crate) fn visible(
    conn: &mut DbConn,
    caller: &Caller,
    code: &str,
) -> AppResult<(Dossier, Vec<Step>)> {
    let scope = scope(conn, caller)?;
    dossiers::find_visible(conn, code, &scope)?.ok_or_else(|| AppError::not_found("dossier"))
}

/// `GET /api/v1/dossiers/{code}`.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}",
    operation_id = "get_dossier",
    tag = "dossiers",
    summary = "The whole dossier, with its steps, apology letters and deadline trace",
    security(("bearer" = [])),
    params(DossierCodePath),
    responses(
        (status = 200, description = "The dossier", body = DossierView, headers(
            ("ETag" = String, description = "The dossier's version, for `If-Match`"),
        )),
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
    let st = state.clone();
    let v = state
        .read(move |conn| {
            let (d, steps) = visible(conn, &caller, &code)?;
            let letters = letters::for_dossier(conn, &d)?;
            let cals = st.calendars();
            let sync = national_sync(&st, conn, d.id)?;
            let mut v = view(
                &st,
                cals.for_office(&d.office_code),
                d,
                steps,
                letters,
                db::now(),
            )?;
            v.national_sync = Some(sync);
            Ok(v)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(v.version)))
        .json(v))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub status: Option<Status>,
    pub timeliness: Option<Timeliness>,
    /// Received by this office (an office code).
    #[param(value_type = Option<OfficeCodeSchema>)]
    pub office: Option<String>,
    /// Of this procedure (a procedure code).
    #[param(max_length = 50)]
    pub procedure: Option<String>,
    pub channel: Option<Channel>,
    /// Received on or after this day (office time).
    pub received_from: Option<NaiveDate>,
    /// Received on or before this day (office time).
    pub received_to: Option<NaiveDate>,
    /// Text in the code or the applicant's name or ID number.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// The page, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
}

/// The `{code}` of the dossier paths.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct DossierCodePath {
    /// The dossier code, `<office>-<YYMMDD>-<NNNN>`.
    #[param(
        example = "000.00.24.H40-261125-0001",
        max_length = 64,
        pattern = r"^[0-9A-Z]+(\.[0-9A-Z]+)*-[0-9]{6}-[0-9]{4,}$"
    )]
    code: String,
}

/// The `Idempotency-Key` header of the writes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKeyHeader {
    /// 1–255 visible ASCII characters. A retry with the same key and body returns the first
    /// response and changes nothing; the same key with another body answers 422.
    #[serde(rename = "Idempotency-Key")]
    #[param(example = "receipt-0001", nullable = false)]
    idempotency_key: Option<String>,
}

/// An `office` filter must be an office code (it may name an office that does not exist).
fn office_filter(field: &str, value: Option<&str>, e: &mut Errors) {
    if let Some(code) = value
        && let Err(m) = OfficeCode::parse(code)
    {
        e.add(field, m);
    }
}

/// `GET /api/v1/dossiers`: the dossiers in the caller's scope, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers",
    operation_id = "list_dossiers",
    tag = "dossiers",
    summary = "The dossiers the caller may see, newest first",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page of dossiers", body = ListResponse<DossierView>),
        problem::StaffQueryErrors,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<ListQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let q = q.into_inner();
    let page = PageQuery::parse(q.page, q.per_page)?;
    let cals = state.calendars();
    let cal = cals.default_calendar().clone();
    let tz = cal.timezone();
    let now = db::now();
    let local_midnight = |d: NaiveDate| -> AppResult<DateTime<Utc>> {
        let naive = d
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| AppError::Internal("midnight".into()))?;
        naive
            .and_local_timezone(tz)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| {
                AppError::field("received_from", "is not a date in the office time zone")
            })
    };
    let received_from = q.received_from.map(local_midnight).transpose()?;
    let received_before = q
        .received_to
        .map(|d| {
            d.succ_opt()
                .ok_or_else(|| AppError::field("received_to", "is out of range"))
                .and_then(local_midnight)
        })
        .transpose()?;
    if let (Some(a), Some(b)) = (q.received_from, q.received_to)
        && a > b
    {
        return Err(AppError::field(
            "received_to",
            "must not be before received_from",
        ));
    }
    let mut e = Errors::default();
    let text = e.opt_line("q", q.q.as_deref(), 100);
    office_filter("office", q.office.as_deref(), &mut e);
    e.opt_line("procedure", q.procedure.as_deref(), 50);
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    let timeliness = q.timeliness.map(|t| match t {
        Timeliness::Early | Timeliness::OnTime | Timeliness::Late => TimelinessFilter::Finished(t),
        Timeliness::Paused => TimelinessFilter::Paused,
        Timeliness::Overdue => TimelinessFilter::Overdue { now },
        Timeliness::DueSoon => TimelinessFilter::DueSoon {
            now,
            horizon: cal.due_at(now, state.settings.deadlines.due_soon),
        },
        Timeliness::OnTrack => TimelinessFilter::OnTrack {
            horizon: cal.due_at(now, state.settings.deadlines.due_soon),
        },
    });
    let filter = DossierFilter {
        status: q.status,
        timeliness,
        office: q.office,
        procedure: q.procedure,
        channel: q.channel,
        received_from,
        received_before,
        q: text,
    };
    let st = state.clone();
    let result = state
        .db(move |conn| {
            let scope = scope(conn, &caller)?;
            let page_of = dossiers::list(conn, &filter, &scope, page)?;
            let items = page_of
                .items
                .into_iter()
                .map(|d| {
                    let steps = dossiers::steps(conn, d.id)?;
                    let letters = letters::for_dossier(conn, &d)?;
                    view(&st, cals.for_office(&d.office_code), d, steps, letters, now)
                })
                .collect::<AppResult<Vec<_>>>()?;
            Ok(ListResponse::new(items, page, page_of.total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// One entry of a dossier's append-only history.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DossierEvent)]
pub struct EventView {
    pub seq: i32,
    /// `receive`, a lifecycle action, or what the system did (deadline moves, letters, …).
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// Who: a username, or the system.
    pub actor: String,
    /// When it happened.
    pub at: DateTime<FixedOffset>,
    /// When it was recorded (later than `at` for events recorded late).
    pub recorded_at: DateTime<FixedOffset>,
    pub note: Option<String>,
    /// What the action carried (items, reasons, deadlines, …).
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    /// The agency on whose behalf it was recorded: the one responsible for the dossier when it
    /// happened (absent on events recorded before this was kept).
    pub office_code: Option<String>,
}

pub fn event_view(state: &AppState, e: Event) -> EventView {
    EventView {
        seq: e.seq,
        action: e.action,
        from_status: e.from_status,
        to_status: e.to_status,
        actor: e.actor,
        at: state.local(from_db(e.at)),
        recorded_at: state.local(from_db(e.recorded_at)),
        note: e.note,
        data: e.data.and_then(|d| serde_json::from_str(&d).ok()),
        office_code: e.office_code,
    }
}

/// `GET /api/v1/dossiers/{code}/events`: the append-only history, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}/events",
    operation_id = "dossier_events",
    tag = "dossiers",
    summary = "The dossier's history, oldest first",
    security(("bearer" = [])),
    params(DossierCodePath, PageQuery),
    responses(
        (status = 200, description = "A page of events", body = ListResponse<EventView>),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 404, response = problem::NotFound),
        (status = 422, response = problem::ValidationFailed),
    )
)]
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let page: PageRequest = q.request()?;
    let code = code.into_inner();
    let result = state
        .db(move |conn| {
            let (d, _) = visible(conn, &caller, &code)?;
            dossiers::events(conn, d.id, page)
        })
        .await?;
    let items = result
        .items
        .into_iter()
        .map(|e| event_view(&state, e))
        .collect();
    Ok(HttpResponse::Ok().json(ListResponse::new(items, page, result.total)))
}

/// An apology letter and its delivery, as staff see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApologyLetter)]
pub struct LetterView {
    pub id: i64,
    pub number: String,
    pub dossier_code: String,
    pub reason: String,
    pub original_due_at: DateTime<FixedOffset>,
    pub new_due_at: DateTime<FixedOffset>,
    pub created_at: DateTime<FixedOffset>,
    pub automatic: bool,
    /// The agency filed no apology in time (Decree 61 Art. 19.9, kept by Decree 118): recorded against it.
    pub missed_duty: bool,
    pub responsible_office_code: String,
    pub signer_name: Option<String>,
    #[schema(value_type = DeliveryStatus)]
    pub delivery_status: String,
    pub attempts: i32,
    pub sent_at: Option<DateTime<FixedOffset>>,
    pub last_error: Option<String>,
}

pub fn letter_view(state: &AppState, l: Letter, dossier_code: String) -> LetterView {
    LetterView {
        id: l.id,
        number: l.number,
        dossier_code,
        reason: l.reason,
        original_due_at: state.local(from_db(l.original_due_at)),
        new_due_at: state.local(from_db(l.new_due_at)),
        created_at: state.local(from_db(l.created_at)),
        automatic: l.automatic,
        missed_duty: l.missed_duty,
        responsible_office_code: l.responsible_office_code,
        signer_name: l.signer_name,
        delivery_status: l.delivery_status,
        attempts: l.attempts,
        sent_at: l.sent_at.map(|t| state.local(from_db(t))),
        last_error: l.last_error,
    }
}

/// `GET /api/v1/dossiers/{code}/apology-letters`.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}/apology-letters",
    operation_id = "dossier_apology_letters",
    tag = "apology letters",
    summary = "The dossier's apology letters with their delivery",
    security(("bearer" = [])),
    params(DossierCodePath),
    responses(
        (status = 200, description = "Every letter of the dossier, on one page",
            body = ListResponse<LetterView>),
        problem::StaffGetErrors,
    )
)]
pub async fn dossier_letters(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let code = code.into_inner();
    let items = state
        .db(move |conn| {
            let (d, _) = visible(conn, &caller, &code)?;
            letters::for_dossier(conn, &d)
        })
        .await?;
    let n = items.len() as i64;
    let items: Vec<LetterView> = items
        .into_iter()
        .map(|(l, c)| letter_view(&state, l, c))
        .collect();
    Ok(HttpResponse::Ok().json(ListResponse::new(
        items,
        PageRequest {
            page: 1,
            per_page: n.max(1),
        },
        n,
    )))
}

/// Where a letter's email stands; `print` when there is no address and the counter prints it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DeliveryStatus {
    Pending,
    Retrying,
    Sent,
    Failed,
    Print,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LettersQuery {
    #[param(value_type = Option<DeliveryStatus>)]
    pub delivery_status: Option<String>,
    /// The responsible agency (an office code).
    #[param(value_type = Option<OfficeCodeSchema>)]
    pub office: Option<String>,
    /// The page, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
}

/// `GET /api/v1/apology-letters` (supervisors, admins): every letter in scope, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/apology-letters",
    operation_id = "list_apology_letters",
    tag = "apology letters",
    summary = "Every letter in the caller's scope, newest first (supervisor, admin)",
    security(("bearer" = [])),
    params(LettersQuery),
    responses(
        (status = 200, description = "A page of letters", body = ListResponse<LetterView>),
        problem::ReportQueryErrors,
    )
)]
pub async fn all_letters(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<LettersQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Report)?;
    let q = q.into_inner();
    let page = PageQuery::parse(q.page, q.per_page)?;
    if let Some(s) = &q.delivery_status
        && !["pending", "retrying", "sent", "failed", "print"].contains(&s.as_str())
    {
        return Err(AppError::field(
            "delivery_status",
            "must be pending, retrying, sent, failed or print",
        ));
    }
    let mut e = Errors::default();
    office_filter("office", q.office.as_deref(), &mut e);
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    let filter = LetterFilter {
        delivery_status: q.delivery_status,
        office: q.office,
    };
    let result = state
        .db(move |conn| {
            let scope = scope(conn, &caller)?;
            letters::list(conn, &filter, &scope, page)
        })
        .await?;
    let items: Vec<LetterView> = result
        .items
        .into_iter()
        .map(|(l, c)| letter_view(&state, l, c))
        .collect();
    Ok(HttpResponse::Ok().json(ListResponse::new(items, page, result.total)))
}
