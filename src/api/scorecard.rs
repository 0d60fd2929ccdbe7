//! Decision 766's scorecard for a period, per receiving office and in total, and the dossiers
//! that cost each indicator's points (DOMAIN.md "The Decision 766 scorecard").

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::reports::{Format, csv, csv_response, period, report_scope, wants_csv};
use super::{AppState, Query};
use crate::authz::{Caller, Scope};
use crate::db::{self, from_db};
use crate::domain::scorecard::{self as rules, Counts};
use crate::error::{AppError, AppResult};
use crate::openapi as problem;
use crate::store::scorecard::{self as store, Indicator as Which, Reason};

/// What the rows are grouped by: the receiving office (the decision ranks agencies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScorecardGroupBy {
    Office,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScorecardQuery {
    /// The period's first day (office time).
    #[param(example = "2026-01-01")]
    pub from: NaiveDate,
    /// The period's last day (the period ends at 24:00 of it), at most ten years after `from`.
    #[param(example = "2026-12-31")]
    pub to: NaiveDate,
    /// `office` (the default and only grouping).
    pub group_by: Option<ScorecardGroupBy>,
    /// Only this office and the offices below it (within the caller's scope; 403 outside it).
    #[param(example = "000.00.24.H40")]
    pub office: Option<String>,
    /// Count each closed office in the row of the office it closed into (default false).
    pub roll_up: Option<bool>,
    pub format: Option<Format>,
}

/// One indicator: `value` the unrounded share in [0, 1] (for satisfaction the score
/// 1 − (1 − on-time ratio) − dissatisfied share), `points` rounded to two decimals from it, and
/// the counts behind the share (for satisfaction: its dissatisfied share's, the dossiers
/// resolved in the period whose citizen rated `dissatisfied` or complained by its end, over the
/// dossiers resolved in the period). `empty`: the denominator is empty and the share counts as 1.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreIndicator {
    pub value: f64,
    pub points: f64,
    pub max_points: f64,
    pub numerator: i64,
    pub denominator: i64,
    pub empty: bool,
    /// Why the points are not what the value gives (the national portal is not configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl From<rules::Indicator> for ScoreIndicator {
    fn from(i: rules::Indicator) -> Self {
        ScoreIndicator {
            value: i.value,
            points: i.points,
            max_points: i.max_points,
            numerator: i.numerator,
            denominator: i.denominator,
            empty: i.empty,
            note: i.note,
        }
    }
}

/// The card of one office (or of the total, which pools the rows' counts).
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreCard {
    /// The office code, or `total`.
    pub group: String,
    pub group_name: Option<String>,
    /// Progress: resolved early or on time with at most one supplement request ÷ (resolved +
    /// open and overdue at the period's end).
    pub progress: ScoreIndicator,
    /// Received online ÷ received.
    pub online: ScoreIndicator,
    /// Resolved with every required component and the result as files ÷ resolved.
    pub digitisation: ScoreIndicator,
    pub satisfaction: ScoreIndicator,
    /// Received and synchronised with the national portal by the period's end ÷ received.
    pub sync: ScoreIndicator,
    /// The sum of the indicators' points as shown.
    pub total_points: f64,
    pub max_points: f64,
}

fn score_card(
    group: String,
    name: Option<String>,
    c: &Counts,
    state: &AppState,
    sync: bool,
) -> ScoreCard {
    let card = rules::card(c, &state.settings.scorecard, sync);
    ScoreCard {
        group,
        group_name: name,
        progress: card.progress.into(),
        online: card.online.into(),
        digitisation: card.digitisation.into(),
        satisfaction: card.satisfaction.into(),
        sync: card.sync.into(),
        total_points: card.total_points,
        max_points: card.max_points,
    }
}

/// The scorecard of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct Scorecard {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: ScorecardGroupBy,
    /// Whether synchronisation with the national portal is configured (without it the sync
    /// indicator earns nothing).
    pub sync_configured: bool,
    /// One card per receiving office that has a dossier in the period, in office-code order.
    pub rows: Vec<ScoreCard>,
    pub total: ScoreCard,
}

const CSV_INDICATORS: [&str; 5] = ["progress", "online", "digitisation", "satisfaction", "sync"];

fn csv_header() -> Vec<String> {
    let mut h = vec!["group".to_owned(), "group_name".to_owned()];
    for i in CSV_INDICATORS {
        for part in [
            "value",
            "points",
            "max_points",
            "numerator",
            "denominator",
            "empty",
        ] {
            h.push(format!("{i}_{part}"));
        }
    }
    h.extend(["total_points".to_owned(), "max_points".to_owned()]);
    h
}

fn csv_cells(c: &ScoreCard) -> Vec<String> {
    let mut out = vec![c.group.clone(), c.group_name.clone().unwrap_or_default()];
    for i in [
        &c.progress,
        &c.online,
        &c.digitisation,
        &c.satisfaction,
        &c.sync,
    ] {
        out.extend([
            format!("{:.4}", i.value),
            format!("{:.2}", i.points),
            format!("{:.2}", i.max_points),
            i.numerator.to_string(),
            i.denominator.to_string(),
            i.empty.to_string(),
        ]);
    }
    out.extend([
        format!("{:.2}", c.total_points),
        format!("{:.2}", c.max_points),
    ]);
    out
}

/// The scope of the report: the caller's, narrowed to `office` and the offices below it.
async fn narrowed(
    state: &web::Data<AppState>,
    caller: Caller,
    office: Option<String>,
) -> AppResult<Scope> {
    if let Some(o) = &office
        && crate::domain::codes::OfficeCode::parse(o).is_err()
    {
        return Err(AppError::field("office", "is not an office code"));
    }
    let scope = report_scope(state, caller, office.clone()).await?;
    match office {
        None => Ok(scope),
        Some(o) => {
            let below = state
                .db(move |conn| crate::store::offices::with_descendants(conn, &o))
                .await?;
            Ok(Scope::Offices(below))
        }
    }
}

/// `GET /api/v1/reports/scorecard?from=&to=&group_by=office`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/scorecard",
    operation_id = "report_scorecard",
    tag = "reports",
    summary = "The Decision 766 scorecard for a period (supervisor, admin)",
    description = "Per receiving office (a row does not include the offices below it) and in \
        total (the total pools the rows' counts, it is not a mean), within the caller's office \
        and the offices below it: progress (20 points), online (12), digitisation (22), \
        satisfaction (18) and synchronisation with the national portal (6) — the 78 points \
        computed from dossiers; weights and thresholds are configuration (`[scorecard]`). Every \
        indicator carries the counts behind it. CSV with `?format=csv` or `Accept: text/csv`. \
        `GET /api/v1/reports/scorecard/dossiers` lists the dossiers that cost the points.",
    security(("bearer" = [])),
    params(ScorecardQuery),
    responses(
        (status = 200, description = "The scorecard", content(
            (Scorecard = "application/json"),
            (String = "text/csv", example = "group,group_name,progress_value,…"),
        ), headers(("Content-Disposition" = String,
            description = "With CSV: `attachment; filename=\"scorecard-FROM-TO.csv\"`"))),
        problem::ReportQueryErrors,
    )
)]
pub async fn scorecard(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: Query<ScorecardQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let (from, to) = period(&state, q.from, q.to)?;
    let scope = narrowed(&state, caller, q.office.clone()).await?;
    let (mut rows, sync) = state
        .db(move |conn| {
            let rows = store::counts(conn, &scope, from, to, db::now())?;
            let on = crate::store::webhooks::national_on(conn)?;
            Ok((rows, on))
        })
        .await?;
    if q.roll_up == Some(true) {
        let successors = state.db(crate::store::offices::successors).await?;
        let mut merged: std::collections::BTreeMap<String, store::OfficeCounts> =
            Default::default();
        for r in rows {
            let (code, name) = match successors.get(&r.office_code) {
                Some((code, name)) => (code.clone(), Some(name.clone())),
                None => (r.office_code.clone(), r.office_name.clone()),
            };
            let into = merged
                .entry(code.clone())
                .or_insert_with(|| store::OfficeCounts {
                    office_code: code,
                    office_name: name,
                    counts: Counts::default(),
                });
            into.counts += r.counts;
        }
        rows = merged.into_values().collect();
    }
    let mut pooled = Counts::default();
    for r in &rows {
        pooled += r.counts;
    }
    let cards: Vec<ScoreCard> = rows
        .into_iter()
        .map(|r| score_card(r.office_code, r.office_name, &r.counts, &state, sync))
        .collect();
    let total = score_card(
        "total".into(),
        Some("Tổng số".into()),
        &pooled,
        &state,
        sync,
    );
    if wants_csv(&req, q.format) {
        let header = csv_header();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut cells: Vec<Vec<String>> = cards.iter().map(csv_cells).collect();
        cells.push(csv_cells(&total));
        return Ok(csv_response(
            &format!("scorecard-{}-{}", q.from, q.to),
            csv(&header, &cells),
        ));
    }
    Ok(HttpResponse::Ok().json(Scorecard {
        from: q.from,
        to: q.to,
        group_by: ScorecardGroupBy::Office,
        sync_configured: sync,
        rows: cards,
        total,
    }))
}

/// The indicator whose lost points to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ScoreIndicatorName {
    Progress,
    Online,
    Digitisation,
    Satisfaction,
    Sync,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CostlyQuery {
    /// The period's first day (office time).
    #[param(example = "2026-01-01")]
    pub from: NaiveDate,
    /// The period's last day.
    #[param(example = "2026-12-31")]
    pub to: NaiveDate,
    /// The indicator.
    #[param(value_type = ScoreIndicatorName)]
    pub indicator: Which,
    /// Only this office and the offices below it (within the caller's scope; 403 outside it).
    pub office: Option<String>,
    /// The `next_after` of the previous page (a dossier code).
    #[param(pattern = r"^[0-9A-Z.\-]{1,64}$")]
    pub after: Option<String>,
    /// Dossiers per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    pub format: Option<Format>,
}

/// Why a dossier costs the indicator's points.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum CostReason {
    Late,
    RepeatedSupplement,
    Overdue,
    NotOnline,
    ComponentsNotDigitised,
    ResultNotDigitised,
    Dissatisfied,
    Complaint,
    NotSynchronised,
}

/// A dossier that costs points.
#[derive(Debug, Serialize, ToSchema)]
pub struct CostlyDossier {
    pub code: String,
    pub office_code: String,
    pub procedure_code: String,
    pub channel: String,
    pub status: String,
    pub received_at: DateTime<FixedOffset>,
    pub due_at: DateTime<FixedOffset>,
    /// When it was resolved (or otherwise closed), if it is.
    pub closed_at: Option<DateTime<FixedOffset>>,
    pub supplement_requests: i32,
    #[schema(value_type = Vec<CostReason>)]
    pub reasons: Vec<Reason>,
}

/// A page of the dossiers that cost an indicator's points.
#[derive(Debug, Serialize, ToSchema)]
pub struct CostlyPage {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(value_type = ScoreIndicatorName)]
    pub indicator: Which,
    pub items: Vec<CostlyDossier>,
    /// The `after` of the next page; null on the last.
    pub next_after: Option<String>,
}

/// `GET /api/v1/reports/scorecard/dossiers?from=&to=&indicator=`.
#[utoipa::path(
    get,
    path = "/api/v1/reports/scorecard/dossiers",
    operation_id = "report_scorecard_dossiers",
    tag = "reports",
    summary = "The dossiers that cost an indicator's points (supervisor, admin)",
    description = "For the scorecard's period and scope, in dossier-code order: progress — \
        resolved late or after more than one supplement request, or open and overdue at the \
        period's end; online — received at a counter or by post; digitisation — resolved \
        without every required component or the result as files by the period's end; \
        satisfaction — resolved and rated dissatisfied or complained about by its end (the \
        score's on-time part is progress's list); sync — received and not accepted by the \
        national portal by its end. Each with the reasons that hold. CSV with `?format=csv`.",
    security(("bearer" = [])),
    params(CostlyQuery),
    responses(
        (status = 200, description = "A page of dossiers", content(
            (CostlyPage = "application/json"),
            (String = "text/csv", example = "code,office_code,procedure_code,…"),
        ), headers(("Content-Disposition" = String,
            description = "With CSV: `attachment; filename=\"scorecard-INDICATOR-FROM-TO.csv\"`"))),
        problem::ReportQueryErrors,
    )
)]
pub async fn dossiers(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: Query<CostlyQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let (from, to) = period(&state, q.from, q.to)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::field("limit", "must be between 1 and 1000"));
    }
    if let Some(a) = &q.after
        && (a.is_empty()
            || a.len() > 64
            || !a
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'.' || b == b'-'))
    {
        return Err(AppError::field("after", "is not a dossier code"));
    }
    let scope = narrowed(&state, caller, q.office.clone()).await?;
    let (indicator, after) = (q.indicator, q.after.clone());
    let rows = state
        .db(move |conn| {
            store::costly(
                conn,
                &scope,
                (from, to),
                db::now(),
                indicator,
                after.as_deref(),
                limit,
            )
        })
        .await?;
    let next_after = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.code.clone()))
        .flatten();
    let items: Vec<CostlyDossier> = rows
        .into_iter()
        .map(|r| CostlyDossier {
            code: r.code,
            office_code: r.office_code,
            procedure_code: r.procedure_code,
            channel: r.channel,
            status: r.status,
            received_at: state.local(from_db(r.received_at)),
            due_at: state.local(from_db(r.due_at)),
            closed_at: r.closed_at.map(|t| state.local(from_db(t))),
            supplement_requests: r.supplement_requests,
            reasons: r.reasons,
        })
        .collect();
    if wants_csv(&req, q.format) {
        let reason = |r: &Reason| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        let cells: Vec<Vec<String>> = items
            .iter()
            .map(|d| {
                vec![
                    d.code.clone(),
                    d.office_code.clone(),
                    d.procedure_code.clone(),
                    d.channel.clone(),
                    d.status.clone(),
                    d.received_at.to_rfc3339(),
                    d.due_at.to_rfc3339(),
                    d.closed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    d.supplement_requests.to_string(),
                    d.reasons.iter().map(reason).collect::<Vec<_>>().join(" "),
                ]
            })
            .collect();
        let name = serde_json::to_value(indicator)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        return Ok(csv_response(
            &format!("scorecard-{name}-{}-{}", q.from, q.to),
            csv(
                &[
                    "code",
                    "office_code",
                    "procedure_code",
                    "channel",
                    "status",
                    "received_at",
                    "due_at",
                    "closed_at",
                    "supplement_requests",
                    "reasons",
                ],
                &cells,
            ),
        ));
    }
    Ok(HttpResponse::Ok().json(CostlyPage {
        from: q.from,
        to: q.to,
        indicator,
        items,
        next_after,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_names_match_the_store() -> Result<(), Box<dyn std::error::Error>> {
        for (doc, store) in [
            (ScoreIndicatorName::Progress, Which::Progress),
            (ScoreIndicatorName::Online, Which::Online),
            (ScoreIndicatorName::Digitisation, Which::Digitisation),
            (ScoreIndicatorName::Satisfaction, Which::Satisfaction),
            (ScoreIndicatorName::Sync, Which::Sync),
        ] {
            assert_eq!(serde_json::to_value(doc)?, serde_json::to_value(store)?);
        }
        for (doc, store) in [
            (CostReason::Late, Reason::Late),
            (CostReason::RepeatedSupplement, Reason::RepeatedSupplement),
            (CostReason::Overdue, Reason::Overdue),
            (CostReason::NotOnline, Reason::NotOnline),
            (
                CostReason::ComponentsNotDigitised,
                Reason::ComponentsNotDigitised,
            ),
            (CostReason::ResultNotDigitised, Reason::ResultNotDigitised),
            (CostReason::Dissatisfied, Reason::Dissatisfied),
            (CostReason::Complaint, Reason::Complaint),
            (CostReason::NotSynchronised, Reason::NotSynchronised),
        ] {
            assert_eq!(serde_json::to_value(doc)?, serde_json::to_value(store)?);
        }
        Ok(())
    }

    #[test]
    fn the_csv_header_names_every_cell() {
        let c = Counts::default();
        let card = rules::card(&c, &rules::Weights::default(), true);
        let sc = ScoreCard {
            group: "total".into(),
            group_name: None,
            progress: card.progress.into(),
            online: card.online.into(),
            digitisation: card.digitisation.into(),
            satisfaction: card.satisfaction.into(),
            sync: card.sync.into(),
            total_points: card.total_points,
            max_points: card.max_points,
        };
        assert_eq!(csv_cells(&sc).len(), csv_header().len());
    }
}
