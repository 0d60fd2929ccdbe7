//! The per-agency satisfaction report (`GET /api/v1/reports/satisfaction`): the citizens'
//! ratings per receiving office and the complaints per answering office, JSON or CSV, scoped
//! like the other reports.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::reports::{Format, csv, csv_response, period, report_scope, wants_csv};
use super::{AppState, Query};
use crate::authz::Caller;
use crate::db;
use crate::error::AppResult;
use crate::openapi as problem;
use crate::store::satisfaction::{self, SatisfactionCounts};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SatisfactionQuery {
    /// The period's first day (office time).
    #[param(example = "2026-01-01")]
    pub from: NaiveDate,
    /// The period's last day, at most ten years after `from`.
    #[param(example = "2026-12-31")]
    pub to: NaiveDate,
    /// One office only (within the caller's scope).
    pub office: Option<String>,
    pub format: Option<Format>,
}

/// One office's row: ratings for the dossiers it received (rated in the period), complaints it
/// answers.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SatisfactionRow {
    /// The office code, or `total`.
    pub office_code: String,
    pub office_name: Option<String>,
    pub ratings: i64,
    pub satisfied: i64,
    pub neutral: i64,
    pub dissatisfied: i64,
    /// satisfied ÷ ratings × 100, rounded to two decimals; 0 without ratings.
    pub satisfied_pct: f64,
    /// Filed in the period.
    pub complaints_filed: i64,
    /// Answered in the period.
    pub complaints_answered: i64,
    /// Answered in the period after their due date.
    pub complaints_answered_late: i64,
    /// Open and past due at the period's end (or now, if earlier).
    pub complaints_open_overdue: i64,
}

impl SatisfactionRow {
    const COLUMNS: [&'static str; 11] = [
        "office_code",
        "office_name",
        "ratings",
        "satisfied",
        "neutral",
        "dissatisfied",
        "satisfied_pct",
        "complaints_filed",
        "complaints_answered",
        "complaints_answered_late",
        "complaints_open_overdue",
    ];

    fn from_counts(c: SatisfactionCounts, name: Option<String>) -> Self {
        let mut r = Self {
            office_code: c.office_code,
            office_name: name,
            ratings: c.ratings,
            satisfied: c.satisfied,
            neutral: c.neutral,
            dissatisfied: c.dissatisfied,
            satisfied_pct: 0.0,
            complaints_filed: c.complaints_filed,
            complaints_answered: c.complaints_answered,
            complaints_answered_late: c.complaints_answered_late,
            complaints_open_overdue: c.complaints_open_overdue,
        };
        r.derive();
        r
    }

    fn derive(&mut self) {
        self.satisfied_pct = if self.ratings == 0 {
            0.0
        } else {
            (self.satisfied as f64 * 10_000.0 / self.ratings as f64).round() / 100.0
        };
    }

    fn add(&mut self, o: &SatisfactionRow) {
        self.ratings += o.ratings;
        self.satisfied += o.satisfied;
        self.neutral += o.neutral;
        self.dissatisfied += o.dissatisfied;
        self.complaints_filed += o.complaints_filed;
        self.complaints_answered += o.complaints_answered;
        self.complaints_answered_late += o.complaints_answered_late;
        self.complaints_open_overdue += o.complaints_open_overdue;
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.office_code.clone(),
            self.office_name.clone().unwrap_or_default(),
            self.ratings.to_string(),
            self.satisfied.to_string(),
            self.neutral.to_string(),
            self.dissatisfied.to_string(),
            format!("{:.2}", self.satisfied_pct),
            self.complaints_filed.to_string(),
            self.complaints_answered.to_string(),
            self.complaints_answered_late.to_string(),
            self.complaints_open_overdue.to_string(),
        ]
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SatisfactionReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<SatisfactionRow>,
    /// The rows' counts pooled (the percentage of the pooled counts, not a mean).
    pub total: SatisfactionRow,
}

/// `GET /api/v1/reports/satisfaction?from=&to=&office=`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/satisfaction",
    operation_id = "report_satisfaction",
    tag = "reports",
    summary = "Citizens' satisfaction and complaints per office (supervisor, admin)",
    description = "Within the caller's office and the offices below it. Ratings count for the \
        office that received the dossier, by when they were given; complaints for the office \
        that answers them. One row per office with any, and a total. CSV with `?format=csv` or \
        `Accept: text/csv`.",
    security(("bearer" = [])),
    params(SatisfactionQuery),
    responses(
        (status = 200, description = "The report", content(
            (SatisfactionReport = "application/json"),
            (String = "text/csv", example = "office_code,office_name,ratings,…"),
        ), headers(("Content-Disposition" = String,
            description = "With CSV: `attachment; filename=\"satisfaction-FROM-TO.csv\"`"))),
        problem::ReportQueryErrors,
    )
)]
pub async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: Query<SatisfactionQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let scope = report_scope(&state, caller, q.office.clone()).await?;
    let (from, to) = period(&state, q.from, q.to)?;
    let office = q.office.clone();
    let st = state.clone();
    let rows = state
        .db(move |conn| {
            let counts =
                satisfaction::report(conn, &scope, office.as_deref(), from, to, db::now())?;
            counts
                .into_iter()
                .map(|c| {
                    let name = st
                        .catalog
                        .office_name(conn, &c.office_code)?
                        .map(|n| n.to_string());
                    Ok(SatisfactionRow::from_counts(c, name))
                })
                .collect::<AppResult<Vec<_>>>()
        })
        .await?;
    let mut total = SatisfactionRow {
        office_code: "total".into(),
        office_name: Some("Tổng số".into()),
        ..SatisfactionRow::default()
    };
    for r in &rows {
        total.add(r);
    }
    total.derive();
    if wants_csv(&req, q.format) {
        let mut cells: Vec<Vec<String>> = rows.iter().map(SatisfactionRow::cells).collect();
        cells.push(total.cells());
        return Ok(csv_response(
            &format!("satisfaction-{}-{}", q.from, q.to),
            csv(&SatisfactionRow::COLUMNS, &cells),
        ));
    }
    Ok(HttpResponse::Ok().json(SatisfactionReport {
        from: q.from,
        to: q.to,
        rows,
        total,
    }))
}
