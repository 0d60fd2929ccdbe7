//! Supervisors' reports: the overdue list, form 06 statistics, per-agency step timeliness; JSON
//! or CSV (`Accept: text/csv` or `?format=csv`, UTF-8 with BOM so Excel reads Vietnamese).

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dossiers::scope;
use super::{AppState, Query};
use crate::authz::{Caller, Permission, Scope};
use crate::db::{self, from_db};
use crate::error::{AppError, AppResult};
use crate::openapi as problem;
use crate::store::reports::{self, GroupBy, OverdueFilter, SummaryCounts};

/// `csv` answers `text/csv` whatever `Accept` says; `json` answers JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Json,
    Csv,
}

pub(crate) fn wants_csv(req: &HttpRequest, format: Option<Format>) -> bool {
    match format {
        Some(f) => f == Format::Csv,
        None => req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|m| m.trim().starts_with("text/csv"))),
    }
}

/// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled; CRLF lines;
/// a byte-order mark first so that Excel opens it as UTF-8.
pub fn csv(header_row: &[&str], rows: &[Vec<String>]) -> String {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    }
    let mut out = String::from("\u{feff}");
    out.push_str(
        &header_row
            .iter()
            .map(|h| field(h))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.iter().map(|v| field(v)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

pub(crate) fn csv_response(name: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body)
}

/// The caller's scope, refusing an `office` filter outside it.
pub(crate) async fn report_scope(
    state: &web::Data<AppState>,
    caller: Caller,
    office: Option<String>,
) -> AppResult<Scope> {
    caller.require(Permission::Report)?;
    let scope = state.db(move |conn| scope(conn, &caller)).await?;
    if let Some(o) = office
        && !scope.contains(&o)
    {
        return Err(AppError::Forbidden(format!(
            "office {o} is outside your reporting scope"
        )));
    }
    Ok(scope)
}

/// Local calendar dates [from, to] as UTC instants [start of from, start of the day after to).
pub(crate) fn period(
    state: &AppState,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    if to < from {
        return Err(AppError::field("to", "must not be before from"));
    }
    if (to - from).num_days() > 3700 {
        return Err(AppError::field(
            "to",
            "the period may span at most ten years",
        ));
    }
    let tz = state.calendar().timezone();
    let midnight = |d: NaiveDate, field: &str| -> AppResult<DateTime<Utc>> {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(tz).earliest())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| AppError::field(field, "is out of range"))
    };
    let end = to
        .succ_opt()
        .ok_or_else(|| AppError::field("to", "is out of range"))?;
    Ok((midnight(from, "from")?, midnight(end, "to")?))
}

fn pct(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 10_000.0 / whole as f64).round() / 100.0
    }
}

// ---- overdue ----

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Only this office's dossiers (within the caller's scope; 403 outside it).
    #[param(example = "000.00.24.H40")]
    pub office: Option<String>,
    /// Only this procedure's.
    pub procedure: Option<String>,
    /// The list as it stood then (now by default; not in the future).
    pub as_of: Option<DateTime<FixedOffset>>,
    pub format: Option<Format>,
}

/// An open dossier past its deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueItem {
    pub code: String,
    pub procedure_code: String,
    pub office_code: String,
    pub responsible_office_code: String,
    pub received_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    pub rescheduled_due_at: Option<DateTime<FixedOffset>>,
    pub overdue_working_days: u32,
    /// The delivery of the dossier's latest apology letter, if any.
    #[schema(value_type = Option<super::dossiers::DeliveryStatus>)]
    pub apology_letter_status: Option<String>,
    pub reappointment_used: bool,
}

/// How many overdue dossiers an agency holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgencyTotal {
    pub office_code: String,
    pub total: usize,
}

/// The overdue open dossiers, most overdue first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueReport {
    pub as_of: DateTime<FixedOffset>,
    pub total: usize,
    pub items: Vec<OverdueItem>,
    pub by_agency: Vec<AgencyTotal>,
}

/// `GET /api/v1/reports/overdue`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/overdue",
    operation_id = "report_overdue",
    tag = "reports",
    summary = "Overdue open dossiers, most overdue first (supervisor, admin)",
    description = "Within the caller's office and the offices below it. CSV (UTF-8 with a \
        byte-order mark, for Excel) with `?format=csv` or `Accept: text/csv`.",
    security(("bearer" = [])),
    params(OverdueQuery),
    responses(
        (status = 200, description = "The report", content(
            (OverdueReport = "application/json"),
            (String = "text/csv", example = "code,procedure_code,office_code,…"),
        ), headers(("Content-Disposition" = String,
            description = "With CSV: `attachment; filename=\"overdue.csv\"`"))),
        problem::ReportQueryErrors,
    )
)]
pub async fn overdue(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: Query<OverdueQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let scope = report_scope(&state, caller, q.office.clone()).await?;
    let now = db::now();
    let as_of = q.as_of.map(|t| t.to_utc()).unwrap_or(now);
    if as_of > now + chrono::Duration::seconds(5) {
        return Err(AppError::field("as_of", "must not be in the future"));
    }
    let filter = OverdueFilter {
        office: q.office,
        procedure: q.procedure,
        as_of,
        current: now - as_of < chrono::Duration::seconds(60),
    };
    let rows = state
        .db(move |conn| reports::overdue(conn, &scope, &filter))
        .await?;
    let cals = state.calendars();
    let mut items: Vec<OverdueItem> = rows
        .into_iter()
        .map(|r| OverdueItem {
            overdue_working_days: cals
                .for_office(&r.office_code)
                .working_days_overdue(from_db(r.due_at), as_of),
            code: r.code,
            procedure_code: r.procedure_code,
            office_code: r.office_code,
            responsible_office_code: r.responsible_office_code,
            received_at: state.local(from_db(r.received_at)),
            due_at: state.local(from_db(r.due_at)),
            rescheduled_due_at: r.rescheduled_due_at.map(|t| state.local(from_db(t))),
            apology_letter_status: r.letter_status,
            reappointment_used: r.reappointment_used,
        })
        .collect();
    // Most overdue first; the database ordered by deadline, which working days follow.
    items.sort_by(|a, b| {
        b.overdue_working_days
            .cmp(&a.overdue_working_days)
            .then(a.due_at.cmp(&b.due_at))
            .then(a.code.cmp(&b.code))
    });
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for i in &items {
        *per.entry(i.responsible_office_code.clone()).or_default() += 1;
    }
    let report = OverdueReport {
        as_of: state.local(as_of),
        total: items.len(),
        by_agency: per
            .into_iter()
            .map(|(office_code, total)| AgencyTotal { office_code, total })
            .collect(),
        items,
    };
    if wants_csv(&req, q.format) {
        let rows: Vec<Vec<String>> = report
            .items
            .iter()
            .map(|i| {
                vec![
                    i.code.clone(),
                    i.procedure_code.clone(),
                    i.office_code.clone(),
                    i.responsible_office_code.clone(),
                    i.received_at.to_rfc3339(),
                    i.due_at.to_rfc3339(),
                    i.rescheduled_due_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default(),
                    i.overdue_working_days.to_string(),
                    i.apology_letter_status.clone().unwrap_or_default(),
                    i.reappointment_used.to_string(),
                ]
            })
            .collect();
        let head = [
            "code",
            "procedure_code",
            "office_code",
            "responsible_office_code",
            "received_at",
            "due_at",
            "rescheduled_due_at",
            "overdue_working_days",
            "apology_letter_status",
            "reappointment_used",
        ];
        return Ok(csv_response("overdue", csv(&head, &rows)));
    }
    Ok(HttpResponse::Ok().json(report))
}

// ---- summary (form 06) ----

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// The period's first day (office time).
    #[param(example = "2026-01-01")]
    pub from: NaiveDate,
    /// The period's last day, at most ten years after `from`.
    #[param(example = "2026-12-31")]
    pub to: NaiveDate,
    /// `office` by default.
    #[param(value_type = Option<SummaryGroupBy>)]
    pub group_by: Option<GroupBy>,
    pub format: Option<Format>,
    /// With `group_by=office`: count each closed office in the row of the office it closed into
    /// (following successors that closed in turn). Default false: every office its own row.
    pub roll_up: Option<bool>,
}

/// What the form-06 rows are grouped by. (The store's `GroupBy` carries no schema;
/// `group_by_names_match_the_store` keeps the two in step.)
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum SummaryGroupBy {
    Office,
    Field,
    Procedure,
    Channel,
}

/// One row of form 06: `received_total` = `carried_over` + `received_online` +
/// `received_offline` = `resolved_total` + `open_total` + `withdrawn` + `rejected` + `stopped`;
/// percentages are of `resolved_total`, to two decimals.
#[derive(Debug, Clone, Default, Serialize, PartialEq, ToSchema)]
pub struct SummaryRow {
    pub group: String,
    pub group_name: Option<String>,
    pub carried_over: i64,
    pub received_online: i64,
    pub received_offline: i64,
    pub received_total: i64,
    pub resolved_total: i64,
    pub resolved_early: i64,
    pub resolved_on_time: i64,
    pub resolved_late: i64,
    pub early_pct: f64,
    pub on_time_pct: f64,
    pub late_pct: f64,
    pub open_total: i64,
    pub open_on_track: i64,
    pub open_overdue: i64,
    pub awaiting_supplement: i64,
    pub withdrawn: i64,
    pub rejected: i64,
    pub stopped: i64,
    /// Dossiers of the row with more than one supplement request by the period's end (the
    /// agency's breach of the single, complete request; Decision 766 scores them not on time).
    pub supplement_repeated: i64,
    /// Dossiers of the row whose latest change the national portal has accepted, as of now
    /// (0 while synchronisation is off).
    pub national_synced: i64,
    /// `national_synced` as a share of `received_total`, in percent.
    pub national_synced_pct: f64,
}

impl SummaryRow {
    fn from_counts(c: SummaryCounts) -> Self {
        let mut r = SummaryRow {
            group: c.grp,
            group_name: c.grp_name,
            carried_over: c.carried_over,
            received_online: c.received_online,
            received_offline: c.received_offline,
            resolved_total: c.resolved_total,
            resolved_early: c.resolved_early,
            resolved_on_time: c.resolved_on_time,
            resolved_late: c.resolved_late,
            open_total: c.open_total,
            open_overdue: c.open_overdue,
            awaiting_supplement: c.awaiting_supplement,
            withdrawn: c.withdrawn,
            rejected: c.rejected,
            stopped: c.stopped,
            supplement_repeated: c.supplement_repeated,
            national_synced: c.national_synced,
            ..SummaryRow::default()
        };
        r.derive();
        r
    }

    /// The totals and percentages that follow from the counts.
    fn derive(&mut self) {
        self.received_total = self.carried_over + self.received_online + self.received_offline;
        self.open_on_track = self.open_total - self.open_overdue;
        self.early_pct = pct(self.resolved_early, self.resolved_total);
        self.on_time_pct = pct(self.resolved_on_time, self.resolved_total);
        self.late_pct = pct(self.resolved_late, self.resolved_total);
        self.national_synced_pct = pct(self.national_synced, self.received_total);
    }

    fn add(&mut self, o: &SummaryRow) {
        self.carried_over += o.carried_over;
        self.received_online += o.received_online;
        self.received_offline += o.received_offline;
        self.resolved_total += o.resolved_total;
        self.resolved_early += o.resolved_early;
        self.resolved_on_time += o.resolved_on_time;
        self.resolved_late += o.resolved_late;
        self.open_total += o.open_total;
        self.open_overdue += o.open_overdue;
        self.awaiting_supplement += o.awaiting_supplement;
        self.withdrawn += o.withdrawn;
        self.rejected += o.rejected;
        self.stopped += o.stopped;
        self.supplement_repeated += o.supplement_repeated;
        self.national_synced += o.national_synced;
    }

    const COLUMNS: [&'static str; 23] = [
        "group",
        "group_name",
        "carried_over",
        "received_online",
        "received_offline",
        "received_total",
        "resolved_total",
        "resolved_early",
        "resolved_on_time",
        "resolved_late",
        "early_pct",
        "on_time_pct",
        "late_pct",
        "open_total",
        "open_on_track",
        "open_overdue",
        "awaiting_supplement",
        "withdrawn",
        "rejected",
        "stopped",
        "supplement_repeated",
        "national_synced",
        "national_synced_pct",
    ];

    fn cells(&self) -> Vec<String> {
        let n = |v: i64| v.to_string();
        let p = |v: f64| format!("{v:.2}");
        vec![
            self.group.clone(),
            self.group_name.clone().unwrap_or_default(),
            n(self.carried_over),
            n(self.received_online),
            n(self.received_offline),
            n(self.received_total),
            n(self.resolved_total),
            n(self.resolved_early),
            n(self.resolved_on_time),
            n(self.resolved_late),
            p(self.early_pct),
            p(self.on_time_pct),
            p(self.late_pct),
            n(self.open_total),
            n(self.open_on_track),
            n(self.open_overdue),
            n(self.awaiting_supplement),
            n(self.withdrawn),
            n(self.rejected),
            n(self.stopped),
            n(self.supplement_repeated),
            n(self.national_synced),
            p(self.national_synced_pct),
        ]
    }
}

/// Form 06 (Circular 01/2020/TT-VPCP) for a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(value_type = SummaryGroupBy)]
    pub group_by: GroupBy,
    pub rows: Vec<SummaryRow>,
    pub total: SummaryRow,
}

/// `GET /api/v1/reports/summary?from=&to=&group_by=`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/summary",
    operation_id = "report_summary",
    tag = "reports",
    summary = "Form-06 statistics for a period (supervisor, admin)",
    description = "Within the caller's office and the offices below it; one row per group and \
        a total. CSV with `?format=csv` or `Accept: text/csv`.",
    security(("bearer" = [])),
    params(SummaryQuery),
    responses(
        (status = 200, description = "The statistics", content(
            (SummaryReport = "application/json"),
            (String = "text/csv", example = "group,group_name,carried_over,…"),
        ), headers(("Content-Disposition" = String,
            description = "With CSV: `attachment; filename=\"form06-FROM-TO.csv\"`"))),
        problem::ReportQueryErrors,
    )
)]
pub async fn summary(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: Query<SummaryQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let scope = report_scope(&state, caller, None).await?;
    let (from, to) = period(&state, q.from, q.to)?;
    let group = q.group_by.unwrap_or(GroupBy::Office);
    let counts = state
        .db(move |conn| reports::summary(conn, &scope, from, to, group, db::now()))
        .await?;
    let mut rows: Vec<SummaryRow> = counts.into_iter().map(SummaryRow::from_counts).collect();
    if q.roll_up == Some(true) {
        if group != GroupBy::Office {
            return Err(AppError::field(
                "roll_up",
                "applies to group_by=office only",
            ));
        }
        let successors = state.db(crate::store::offices::successors).await?;
        rows = roll_up(rows, &successors);
    }
    let mut total = SummaryRow {
        group: "total".into(),
        group_name: Some("Tổng số".into()),
        ..SummaryRow::default()
    };
    for r in &rows {
        total.add(r);
    }
    total.derive();
    if wants_csv(&req, q.format) {
        let mut cells: Vec<Vec<String>> = rows.iter().map(SummaryRow::cells).collect();
        cells.push(total.cells());
        return Ok(csv_response(
            &format!("form06-{}-{}", q.from, q.to),
            csv(&SummaryRow::COLUMNS, &cells),
        ));
    }
    Ok(HttpResponse::Ok().json(SummaryReport {
        from: q.from,
        to: q.to,
        group_by: group,
        rows,
        total,
    }))
}

/// Merges the rows of closed offices into their successors' rows (the counts add up; the
/// percentages are derived again), ordered by office code as the report is.
fn roll_up(
    rows: Vec<SummaryRow>,
    successors: &std::collections::HashMap<String, (String, String)>,
) -> Vec<SummaryRow> {
    let mut merged: std::collections::BTreeMap<String, SummaryRow> = Default::default();
    for row in rows {
        let (code, name) = match successors.get(&row.group) {
            Some((code, name)) => (code.clone(), Some(name.clone())),
            None => (row.group.clone(), row.group_name.clone()),
        };
        let into = merged.entry(code.clone()).or_insert_with(|| SummaryRow {
            group: code,
            group_name: name,
            ..SummaryRow::default()
        });
        into.add(&row);
    }
    merged
        .into_values()
        .map(|mut r| {
            r.derive();
            r
        })
        .collect()
}

// ---- fees (payments that differ from the procedure's fees) ----

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeesQuery {
    /// The period's first day (office time).
    #[param(example = "2026-10-01")]
    pub from: NaiveDate,
    /// The period's last day, at most ten years after `from`.
    #[param(example = "2026-10-31")]
    pub to: NaiveDate,
    pub format: Option<Format>,
}

/// A payment requested that is not what the procedure's fees say.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeDeviationRow {
    pub code: String,
    pub procedure_code: String,
    /// The procedure version the dossier was received under, whose fees apply.
    pub procedure_version: i32,
    pub office_code: String,
    pub responsible_office_code: String,
    pub requested_at: DateTime<chrono::FixedOffset>,
    pub requested_by: String,
    /// What `request-payment` asked, in đồng.
    pub amount: i64,
    /// The sum of the version's phí and lệ phí, in đồng.
    pub expected: i64,
    /// `amount - expected`.
    pub difference: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeesReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: usize,
    pub items: Vec<FeeDeviationRow>,
}

/// `GET /api/v1/reports/fees`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/fees",
    operation_id = "report_fees",
    tag = "reports",
    summary = "Payments requested that differ from the procedure's fees",
    description = "Every `request-payment` in the period (by its `at`) on a dossier in the \
        caller's scope whose `amount` is not the sum of the fees (phí and lệ phí) of the \
        procedure version the dossier was received under: fees not per regulation. A request \
        without an amount is not listed.",
    security(("bearer" = [])),
    params(FeesQuery),
    responses(
        (status = 200, description = "The deviations, oldest first", content(
            (FeesReport = "application/json"),
            (String = "text/csv"),
        )),
        problem::ReportQueryErrors,
    )
)]
pub async fn fees(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: Query<FeesQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let scope = report_scope(&state, caller, None).await?;
    let (from, to) = period(&state, q.from, q.to)?;
    let found = state
        .db(move |conn| crate::store::procedures::fee_deviations(conn, &scope, from, to))
        .await?;
    let items: Vec<FeeDeviationRow> = found
        .into_iter()
        .map(|f| FeeDeviationRow {
            difference: f.amount - f.expected,
            code: f.dossier_code,
            procedure_code: f.procedure_code,
            procedure_version: f.procedure_version,
            office_code: f.office_code,
            responsible_office_code: f.responsible_office_code,
            requested_at: state.local(db::from_db(f.requested_at)),
            requested_by: f.requested_by,
            amount: f.amount,
            expected: f.expected,
        })
        .collect();
    if wants_csv(&req, q.format) {
        let columns = [
            "code",
            "procedure_code",
            "procedure_version",
            "office_code",
            "responsible_office_code",
            "requested_at",
            "requested_by",
            "amount",
            "expected",
            "difference",
        ];
        let cells: Vec<Vec<String>> = items
            .iter()
            .map(|i| {
                vec![
                    i.code.clone(),
                    i.procedure_code.clone(),
                    i.procedure_version.to_string(),
                    i.office_code.clone(),
                    i.responsible_office_code.clone(),
                    i.requested_at.to_rfc3339(),
                    i.requested_by.clone(),
                    i.amount.to_string(),
                    i.expected.to_string(),
                    i.difference.to_string(),
                ]
            })
            .collect();
        return Ok(csv_response(
            &format!("fees-{}-{}", q.from, q.to),
            csv(&columns, &cells),
        ));
    }
    Ok(HttpResponse::Ok().json(FeesReport {
        from: q.from,
        to: q.to,
        total: items.len(),
        items,
    }))
}

// ---- steps (per-agency timeliness) ----

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StepsQuery {
    /// The period's first day (office time).
    #[param(example = "2026-10-01")]
    pub from: NaiveDate,
    /// The period's last day, at most ten years after `from`.
    #[param(example = "2026-10-31")]
    pub to: NaiveDate,
    pub format: Option<Format>,
}

/// One agency's steps completed in the period, by verdict (percentages of `completed`), and
/// the supplement requests it made in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepRow {
    pub office_code: String,
    pub office_name: Option<String>,
    pub completed: i64,
    pub early: i64,
    pub on_time: i64,
    pub late: i64,
    pub early_pct: f64,
    pub on_time_pct: f64,
    pub late_pct: f64,
    pub open_overdue: i64,
    /// Supplement requests the agency made in the period.
    pub supplement_requests: i64,
    /// Of those, the ones made to a dossier that had had a request already (the breach).
    pub supplement_repeated: i64,
    /// The dossiers those repeated requests went to.
    pub dossiers_with_repeated_requests: i64,
}

/// Each agency's step timeliness for a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepsReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<StepRow>,
}

/// `GET /api/v1/reports/steps?from=&to=`: each agency's handled steps by verdict.
#[utoipa::path(
    get,
    path = "/api/v1/reports/steps",
    operation_id = "report_steps",
    tag = "reports",
    summary = "Each agency's steps by verdict for a period (supervisor, admin)",
    description = "Within the caller's office and the offices below it. CSV with \
        `?format=csv` or `Accept: text/csv`.",
    security(("bearer" = [])),
    params(StepsQuery),
    responses(
        (status = 200, description = "The report", content(
            (StepsReport = "application/json"),
            (String = "text/csv", example = "office_code,office_name,completed,…"),
        ), headers(("Content-Disposition" = String,
            description = "With CSV: `attachment; filename=\"steps-FROM-TO.csv\"`"))),
        problem::ReportQueryErrors,
    )
)]
pub async fn steps(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: Query<StepsQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let scope = report_scope(&state, caller, None).await?;
    let (from, to) = period(&state, q.from, q.to)?;
    let counts = state
        .db(move |conn| reports::steps(conn, &scope, from, to))
        .await?;
    let rows: Vec<StepRow> = counts
        .into_iter()
        .map(|c| StepRow {
            early_pct: pct(c.early, c.completed),
            on_time_pct: pct(c.on_time, c.completed),
            late_pct: pct(c.late, c.completed),
            office_code: c.office_code,
            office_name: c.office_name,
            completed: c.completed,
            early: c.early,
            on_time: c.on_time,
            late: c.late,
            open_overdue: c.open_overdue,
            supplement_requests: c.supplement_requests,
            supplement_repeated: c.supplement_repeated,
            dossiers_with_repeated_requests: c.dossiers_with_repeated_requests,
        })
        .collect();
    if wants_csv(&req, q.format) {
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.office_code.clone(),
                    r.office_name.clone().unwrap_or_default(),
                    r.completed.to_string(),
                    r.early.to_string(),
                    r.on_time.to_string(),
                    r.late.to_string(),
                    format!("{:.2}", r.early_pct),
                    format!("{:.2}", r.on_time_pct),
                    format!("{:.2}", r.late_pct),
                    r.open_overdue.to_string(),
                    r.supplement_requests.to_string(),
                    r.supplement_repeated.to_string(),
                    r.dossiers_with_repeated_requests.to_string(),
                ]
            })
            .collect();
        let head = [
            "office_code",
            "office_name",
            "completed",
            "early",
            "on_time",
            "late",
            "early_pct",
            "on_time_pct",
            "late_pct",
            "open_overdue",
            "supplement_requests",
            "supplement_repeated",
            "dossiers_with_repeated_requests",
        ];
        return Ok(csv_response(
            &format!("steps-{}-{}", q.from, q.to),
            csv(&head, &cells),
        ));
    }
    Ok(HttpResponse::Ok().json(StepsReport {
        from: q.from,
        to: q.to,
        rows,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_as_rfc_4180_says_with_a_bom() {
        let out = csv(
            &["a", "b"],
            &[
                vec!["x,y".into(), "say \"hi\"".into()],
                vec!["Hồ sơ\nmới".into(), "".into()],
            ],
        );
        assert_eq!(
            out,
            "\u{feff}a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n\"Hồ sơ\nmới\",\r\n"
        );
    }

    /// The documented groupings are the store's, and a new one in the store fails to compile here.
    #[test]
    fn group_by_names_match_the_store() -> Result<(), Box<dyn std::error::Error>> {
        fn documented(g: GroupBy) -> SummaryGroupBy {
            match g {
                GroupBy::Office => SummaryGroupBy::Office,
                GroupBy::Field => SummaryGroupBy::Field,
                GroupBy::Procedure => SummaryGroupBy::Procedure,
                GroupBy::Channel => SummaryGroupBy::Channel,
            }
        }
        for g in [
            GroupBy::Office,
            GroupBy::Field,
            GroupBy::Procedure,
            GroupBy::Channel,
        ] {
            assert_eq!(
                serde_json::to_value(g)?,
                serde_json::to_value(documented(g))?
            );
        }
        Ok(())
    }

    #[test]
    fn percentages_are_of_resolved_to_two_decimals() {
        assert_eq!(pct(1, 3), 33.33);
        assert_eq!(pct(2, 3), 66.67);
        assert_eq!(pct(0, 0), 0.0);
        assert_eq!(pct(5519, 10000), 55.19);
    }
}
