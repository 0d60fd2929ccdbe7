//! The working calendar: days, per-date overrides (admins), the audit of changes, and the
//! deadline calculator clerks use at the counter.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{AppState, ListResponse, PageQuery, Query, StrictJson};
use crate::authz::{Caller, Permission};
use crate::db::{self, from_db};
use crate::domain::calendar::{
    CalendarOverride, DayInfo, DayKind, OverrideKind, ProcessingTime, TimeUnit, WorkingCalendar,
};
use crate::domain::validation::{Errors, NAME_MAX, NOTE_MAX};
use crate::error::{AppError, AppResult};
use crate::openapi as problem;
use crate::store::calendar as store;

/// The longest range `GET /calendar/days` returns at once.
const MAX_DAYS: i64 = 732;

/// The calendar as stored now: an office's own hours when `office` names one, else the default.
async fn current(state: &web::Data<AppState>, office: Option<&str>) -> AppResult<WorkingCalendar> {
    let st = state.clone();
    let cals = state.db(move |conn| st.current_calendar(conn)).await?;
    Ok(match office {
        Some(o) => cals.for_office(o).clone(),
        None => cals.default_calendar().clone(),
    })
}

fn parse_date(s: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| AppError::field("date", "must be a date YYYY-MM-DD"))
}

/// Dates the calendar covers (its tables span 1900–2100; stay well inside).
fn check_range(field: &str, d: NaiveDate) -> AppResult<()> {
    let lo = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default();
    let hi = NaiveDate::from_ymd_opt(2090, 12, 31).unwrap_or_default();
    if d < lo || d > hi {
        return Err(AppError::field(
            field,
            "must be between 1950-01-01 and 2090-12-31",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// The first day (1950-01-01 to 2090-12-31).
    #[param(example = "2027-02-01")]
    pub from: NaiveDate,
    /// The last day, at most 731 days after `from`.
    #[param(example = "2027-02-15")]
    pub to: NaiveDate,
    /// An office with hours of its own (days are the same everywhere; sessions may differ).
    pub office: Option<String>,
}

/// `GET /api/v1/calendar/days?from=&to=`: each day, working or not, and why.
#[utoipa::path(
    get,
    path = "/api/v1/calendar/days",
    operation_id = "calendar_days",
    tag = "calendar",
    summary = "Each day of a range: working or not, and why",
    security(("bearer" = [])),
    params(DaysQuery),
    responses(
        (status = 200, description = "The days, in order", body = Vec<DayInfo>),
        problem::StaffQueryErrors,
    )
)]
pub async fn days(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<DaysQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    check_range("from", q.from)?;
    check_range("to", q.to)?;
    if q.to < q.from {
        return Err(AppError::field("to", "must not be before from"));
    }
    if (q.to - q.from).num_days() >= MAX_DAYS {
        return Err(AppError::field(
            "to",
            format!("at most {MAX_DAYS} days at once"),
        ));
    }
    let cal = current(&state, q.office.as_deref()).await?;
    Ok(HttpResponse::Ok().json(cal.days(q.from, q.to)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    pub kind: OverrideKind,
    #[schema(example = "Làm bù cho ngày 12/02/2027")]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// The document the change comes from (e.g. the Prime Minister's decision).
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub source: Option<String>,
}

/// The day after the change.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayChange {
    #[serde(flatten)]
    pub day: DayInfo,
    /// Open dossiers whose deadline moved because of this change.
    pub recomputed: usize,
}

/// `PUT /api/v1/calendar/days/{date}` (admin): make a date a holiday or a make-up working day.
#[utoipa::path(
    put,
    path = "/api/v1/calendar/days/{date}",
    operation_id = "override_calendar_day",
    tag = "calendar",
    summary = "Make a date a holiday or a make-up working day (admin)",
    description = "Overrides what the generated calendar says about the date, audits the change \
        and moves the deadlines of the open dossiers it affects.",
    security(("bearer" = [])),
    params(
        ("date" = NaiveDate, Path, description = "The date, `YYYY-MM-DD`", example = "2027-02-20")
    ),
    request_body = OverrideRequest,
    responses(
        (status = 200, description = "The day as it is now", body = DayChange),
        problem::StaffWriteErrors,
    )
)]
pub async fn put_day(
    state: web::Data<AppState>,
    caller: Caller,
    date: web::Path<String>,
    body: StrictJson<OverrideRequest>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let date = parse_date(&date)?;
    check_range("date", date)?;
    let req = body.value;
    let mut e = Errors::default();
    let name = e.line("name", &req.name, NAME_MAX);
    let source = e.opt_note("source", req.source.as_deref(), NOTE_MAX);
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    let st = state.clone();
    let (day, recomputed) = state
        .db(move |conn| {
            let cal = st.current_calendar(conn)?.default_calendar().clone();
            // A make-up day only makes sense on a day that is otherwise off.
            let without = cal.without_override(date).day(date);
            if req.kind == OverrideKind::MakeupWorkday && without.kind == DayKind::Workday {
                return Err(AppError::field(
                    "kind",
                    format!("{date} is a working day already"),
                ));
            }
            let o = CalendarOverride {
                date,
                kind: req.kind,
                name,
            };
            let change = db::write_tx(conn, |c| {
                store::set(
                    c,
                    &st.calendar_settings,
                    o,
                    source.as_deref(),
                    &caller.username,
                    db::now(),
                )
            })?;
            let cal = st.current_calendar(conn)?.default_calendar().clone();
            Ok((cal.day(date), change.recomputed))
        })
        .await?;
    Ok(HttpResponse::Ok().json(DayChange { day, recomputed }))
}

/// `DELETE /api/v1/calendar/days/{date}` (admin): back to the generated calendar.
#[utoipa::path(
    delete,
    path = "/api/v1/calendar/days/{date}",
    operation_id = "restore_calendar_day",
    tag = "calendar",
    summary = "Remove a date's override (admin)",
    security(("bearer" = [])),
    params(
        ("date" = NaiveDate, Path, description = "The date, `YYYY-MM-DD`", example = "2027-02-20")
    ),
    responses(
        (status = 200, description = "The day as it is now", body = DayChange),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 409, response = problem::Conflict),
        (status = 422, response = problem::ValidationFailed),
    )
)]
pub async fn delete_day(
    state: web::Data<AppState>,
    caller: Caller,
    date: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let date = parse_date(&date)?;
    let st = state.clone();
    let (day, recomputed) = state
        .db(move |conn| {
            let change = db::write_tx(conn, |c| {
                store::remove(c, &st.calendar_settings, date, &caller.username, db::now())
            })?;
            let cal = st.current_calendar(conn)?.default_calendar().clone();
            Ok((cal.day(date), change.recomputed))
        })
        .await?;
    Ok(HttpResponse::Ok().json(DayChange { day, recomputed }))
}

/// One audited calendar change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CalendarChange)]
pub struct ChangeView {
    pub date: NaiveDate,
    pub action: String,
    pub old_kind: Option<String>,
    pub old_name: Option<String>,
    pub new_kind: Option<String>,
    pub new_name: Option<String>,
    pub actor: String,
    pub at: DateTime<FixedOffset>,
}

/// `GET /api/v1/calendar/changes` (supervisor, admin): the audit history, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/calendar/changes",
    operation_id = "calendar_changes",
    tag = "calendar",
    summary = "The audit of calendar changes, newest first (supervisor, admin)",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of changes", body = ListResponse<ChangeView>),
        problem::ReportQueryErrors,
    )
)]
pub async fn changes(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Report)?;
    let page = q.request()?;
    let result = state.db(move |conn| store::history(conn, page)).await?;
    let items: Vec<ChangeView> = result
        .items
        .into_iter()
        .map(|a| ChangeView {
            date: a.date,
            action: a.action,
            old_kind: a.old_kind,
            old_name: a.old_name,
            new_kind: a.new_kind,
            new_name: a.new_name,
            actor: a.actor,
            at: state.local(from_db(a.at)),
        })
        .collect();
    Ok(HttpResponse::Ok().json(ListResponse::new(items, page, result.total)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// When the dossier is received; now by default.
    #[param(example = "2027-02-04T12:15:00+07:00")]
    pub start: Option<DateTime<FixedOffset>>,
    /// At most 2,000 working days, 16,000 working hours or 3,000 calendar days.
    #[param(minimum = 1, example = 2)]
    pub amount: i64,
    pub unit: TimeUnit,
    /// Count in this office's hours (`calendar.office_sessions`); the default hours otherwise.
    pub office: Option<String>,
}

/// The appointment a receipt at `start` gets, and how it was counted.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Deadline)]
pub struct DeadlineView {
    pub start: DateTime<FixedOffset>,
    pub clock_start: DateTime<FixedOffset>,
    pub amount: u32,
    pub unit: TimeUnit,
    pub due_at: DateTime<FixedOffset>,
    /// Which days and hours were counted or skipped, and why.
    #[schema(value_type = Object)]
    pub trace: serde_json::Value,
}

/// `GET /api/v1/calendar/deadline?start=&amount=&unit=`: the appointment a receipt now would get.
#[utoipa::path(
    get,
    path = "/api/v1/calendar/deadline",
    operation_id = "calendar_deadline",
    tag = "calendar",
    summary = "The deadline calculator clerks use at the counter",
    security(("bearer" = [])),
    params(DeadlineQuery),
    responses(
        (status = 200, description = "The deadline and its trace", body = DeadlineView),
        problem::StaffQueryErrors,
    )
)]
pub async fn deadline(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<DeadlineQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let mut e = Errors::default();
    let time = super::procedures::processing_time(
        "",
        &super::procedures::ProcessingTimeInput {
            amount: q.amount,
            unit: q.unit,
        },
        &mut e,
    );
    let start = q.start.map(|t| t.to_utc()).unwrap_or_else(db::now);
    check_range("start", start.date_naive())?;
    let Some(time) = time.filter(|_| e.is_empty()) else {
        return Err(AppError::field(
            "amount",
            e.0.first().map(|f| f.message.clone()).unwrap_or_default(),
        ));
    };
    let time: ProcessingTime = time;
    let cal = current(&state, q.office.as_deref()).await?;
    let d = cal.deadline(start, time);
    Ok(HttpResponse::Ok().json(DeadlineView {
        start: state.local(start),
        clock_start: state.local(cal.clock_start(start)),
        amount: time.amount,
        unit: time.unit,
        due_at: state.local(d.due_at),
        trace: serde_json::to_value(&d.trace).map_err(|e| AppError::Internal(e.to_string()))?,
    }))
}
