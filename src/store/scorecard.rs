//! The counts behind Decision 766's scorecard (the formulas are `domain::scorecard`), and the
//! dossiers that cost points.
//!
//! A dossier counts for the office that received it. Everything is read off the dossier row,
//! whose flags the writes keep up to date — the supplement count, when the components and the
//! result were first digitised, the rating and when it was given, when the first complaint was
//! filed, when the national portal first accepted a record — so one pass over a period's
//! dossiers, through the same three index ranges as form 06, counts a year of a province. "By the
//! period's end" compares those instants with the end; the status at the end of a past period is
//! read from the history only for the few dossiers it can matter for (open then, past due).
//!
//! Each count's condition is written once below ([`Rule`]) and used both to count and to list.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::reports::{STATUS_AT_END, scope_sql, with_instants};
use crate::authz::Scope;
use crate::db::{self, DbConn};
use crate::domain::dossier::Status;
use crate::domain::scorecard::Counts;
use crate::error::AppResult;

/// The dossiers' conditions, over `d` with `:1` the period's start, `:2` its end and `:3` the
/// instant overdue is judged at (the end, or now for a period still running). Every dossier
/// considered was received before the end.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Received in the period.
    Received,
    ReceivedOnline,
    /// Received in the period and accepted by the national portal by its end.
    ReceivedSynced,
    /// Resolved in the period: a result, approved or refused.
    Resolved,
    /// Resolved in the period early or on time, with at most one supplement request.
    ResolvedOnTime,
    /// Resolved in the period; by its end, every required component and the result as files.
    ResolvedDigitised,
    /// Resolved in the period; by its end, rated `dissatisfied` or complained about.
    ResolvedDissatisfied,
    /// Open at the end, running (not paused) then, and past its deadline then.
    OpenOverdue,
}

/// `status IN (…)` for the statuses whose clock runs (open and not paused).
fn running_statuses() -> String {
    Status::ALL
        .iter()
        .filter(|s| s.is_open() && !s.is_paused())
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `status IN (…)` for the statuses of a dossier with a result.
fn resolved_statuses() -> &'static str {
    "'resolved', 'returned'"
}

impl Rule {
    fn sql(self, status_at_end: &str) -> String {
        let resolved = format!(
            "(d.closed_at >= :1 AND d.closed_at < :2 AND d.status IN ({}))",
            resolved_statuses()
        );
        match self {
            Rule::Received => "d.received_at >= :1".into(),
            Rule::ReceivedOnline => "(d.received_at >= :1 AND d.channel = 'online')".into(),
            Rule::ReceivedSynced => "(d.received_at >= :1 AND d.national_synced_at < :2)".into(),
            Rule::Resolved => resolved,
            Rule::ResolvedOnTime => format!(
                "({resolved} AND d.final_timeliness IN ('early', 'on_time') AND d.supplement_requests <= 1)"
            ),
            Rule::ResolvedDigitised => format!(
                "({resolved} AND d.components_digitised_at < :2 AND d.result_digitised_at < :2)"
            ),
            Rule::ResolvedDissatisfied => format!(
                "({resolved} AND ((d.rating = 'dissatisfied' AND d.rated_at < :2) OR d.first_complaint_at < :2))"
            ),
            Rule::OpenOverdue => format!(
                "((d.closed_at IS NULL OR d.closed_at >= :2) AND d.due_at < :3 AND {status_at_end} IN ({}))",
                running_statuses()
            ),
        }
    }
}

/// `cond` and not `other`, false where either is unknown (NULL).
fn and_not(cond: &str, other: &str) -> String {
    format!("({cond} AND (CASE WHEN {other} THEN 0 ELSE 1 END) = 1)")
}

fn status_at_end(to: DateTime<Utc>, now: DateTime<Utc>) -> &'static str {
    if to >= now { "d.status" } else { STATUS_AT_END }
}

/// The dossiers a period can count: received in it; received before it and closed in or after
/// it; received before it and still open — each range with its index.
fn period_dossiers(cols: &str, scope: &str) -> String {
    format!(
        "SELECT {cols} FROM dossiers d WHERE d.received_at >= :1 AND d.received_at < :2 AND {scope} \
         UNION ALL SELECT {cols} FROM dossiers d \
           WHERE d.received_at < :1 AND d.closed_at >= :1 AND {scope} \
         UNION ALL SELECT {cols} FROM dossiers d \
           WHERE d.received_at < :1 AND d.closed_at IS NULL AND {scope}"
    )
}

/// What the counts read: every one in the report indexes, so PostgreSQL counts from the
/// indexes alone (migration 500003).
const COUNT_COLUMNS: &str = "d.office_code, d.channel, d.status, d.final_timeliness, \
    d.received_at, d.closed_at, d.due_at, d.supplement_requests, d.components_digitised_at, \
    d.result_digitised_at, d.rating, d.rated_at, d.first_complaint_at, d.national_synced_at, d.id";

/// What the drill-down reads.
const COLUMNS: &str = "d.id, d.code, d.office_code, d.procedure_code, d.channel, d.status, \
    d.final_timeliness, d.received_at, d.closed_at, d.due_at, d.supplement_requests, \
    d.components_digitised_at, d.result_digitised_at, d.rating, d.rated_at, \
    d.first_complaint_at, d.national_synced_at";

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    grp: String,
    #[diesel(sql_type = Nullable<Text>)]
    grp_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    received: i64,
    #[diesel(sql_type = BigInt)]
    received_online: i64,
    #[diesel(sql_type = BigInt)]
    received_synced: i64,
    #[diesel(sql_type = BigInt)]
    resolved: i64,
    #[diesel(sql_type = BigInt)]
    resolved_on_time: i64,
    #[diesel(sql_type = BigInt)]
    resolved_digitised: i64,
    #[diesel(sql_type = BigInt)]
    resolved_dissatisfied: i64,
    #[diesel(sql_type = BigInt)]
    open_overdue: i64,
}

/// One office's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeCounts {
    pub office_code: String,
    pub office_name: Option<String>,
    pub counts: Counts,
}

/// The counts of [from, to) per receiving office in scope, in office-code order (offices
/// without a dossier to count have no row).
pub fn counts(
    conn: &mut DbConn,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Vec<OfficeCounts>> {
    let end = status_at_end(to, now);
    let sum = |r: Rule| {
        format!(
            "CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS BIGINT)",
            r.sql(end)
        )
    };
    let sql = format!(
        "WITH c AS (SELECT d.office_code, \
           {received} AS received, {online} AS received_online, {synced} AS received_synced, \
           {resolved} AS resolved, {on_time} AS resolved_on_time, \
           {digitised} AS resolved_digitised, {dissatisfied} AS resolved_dissatisfied, \
           {overdue} AS open_overdue \
         FROM ({dossiers}) d GROUP BY d.office_code) \
         SELECT c.office_code AS grp, o.name AS grp_name, c.received, c.received_online, \
           c.received_synced, c.resolved, c.resolved_on_time, c.resolved_digitised, \
           c.resolved_dissatisfied, c.open_overdue \
         FROM c LEFT JOIN offices o ON o.code = c.office_code ORDER BY c.office_code",
        received = sum(Rule::Received),
        online = sum(Rule::ReceivedOnline),
        synced = sum(Rule::ReceivedSynced),
        resolved = sum(Rule::Resolved),
        on_time = sum(Rule::ResolvedOnTime),
        digitised = sum(Rule::ResolvedDigitised),
        dissatisfied = sum(Rule::ResolvedDissatisfied),
        overdue = sum(Rule::OpenOverdue),
        dossiers = period_dossiers(COUNT_COLUMNS, &scope_sql(scope, &["d.office_code"])?),
    );
    let query = with_instants(
        conn,
        &sql,
        &[db::to_db(from), db::to_db(to), db::to_db(to.min(now))],
    )?;
    let rows = query.load::<Row>(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| OfficeCounts {
            office_code: r.grp,
            office_name: r.grp_name,
            counts: Counts {
                received: r.received,
                received_online: r.received_online,
                received_synced: r.received_synced,
                resolved: r.resolved,
                resolved_on_time: r.resolved_on_time,
                resolved_digitised: r.resolved_digitised,
                resolved_dissatisfied: r.resolved_dissatisfied,
                open_overdue: r.open_overdue,
            },
        })
        .collect())
}

/// The indicator whose lost points a drill-down lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    Progress,
    Online,
    Digitisation,
    Satisfaction,
    Sync,
}

/// Why a dossier costs points (several may hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Resolved in the period after its deadline.
    Late,
    /// Resolved in the period after more than one supplement request.
    RepeatedSupplement,
    /// Open at the period's end past its deadline.
    Overdue,
    /// Received in the period at a counter or by post.
    NotOnline,
    /// Resolved without a file for every required component by the period's end.
    ComponentsNotDigitised,
    /// Resolved without a result file by the period's end.
    ResultNotDigitised,
    /// Rated dissatisfied by the period's end.
    Dissatisfied,
    /// Complained about by the period's end.
    Complaint,
    /// Received in the period and not accepted by the national portal by its end.
    NotSynchronised,
}

/// One dossier that costs points.
#[derive(Debug, Clone)]
pub struct Costly {
    pub code: String,
    pub office_code: String,
    pub procedure_code: String,
    pub channel: String,
    pub status: String,
    pub received_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub supplement_requests: i32,
    pub reasons: Vec<Reason>,
}

#[derive(QueryableByName)]
struct CostlyRow {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    office_code: String,
    #[diesel(sql_type = Text)]
    procedure_code: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamp)]
    received_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    due_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    closed_at: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    supplement_requests: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    late: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    repeated: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    overdue: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    offline: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    no_components: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    no_result: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    dissatisfied: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    complaint: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    unsynced: i32,
}

/// The dossiers of [from, to) in scope that cost `indicator` points, in code order after
/// `after`, at most `limit`: for progress those counted in its denominator and not in its
/// numerator (late, more than one supplement request, overdue open); for online those received
/// other than online; for digitisation the resolved ones not digitised; for satisfaction the
/// resolved ones rated dissatisfied or complained about (its on-time part is progress's list);
/// for sync those received and not synchronised.
pub fn costly(
    conn: &mut DbConn,
    scope: &Scope,
    period: (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
    indicator: Indicator,
    after: Option<&str>,
    limit: i64,
) -> AppResult<Vec<Costly>> {
    let (from, to) = period;
    let end = status_at_end(to, now);
    let resolved = Rule::Resolved.sql(end);
    let which = match indicator {
        Indicator::Progress => format!(
            "({} OR {})",
            and_not(&resolved, &Rule::ResolvedOnTime.sql(end)),
            Rule::OpenOverdue.sql(end)
        ),
        Indicator::Online => and_not(&Rule::Received.sql(end), &Rule::ReceivedOnline.sql(end)),
        Indicator::Digitisation => and_not(&resolved, &Rule::ResolvedDigitised.sql(end)),
        Indicator::Satisfaction => Rule::ResolvedDissatisfied.sql(end),
        Indicator::Sync => and_not(&Rule::Received.sql(end), &Rule::ReceivedSynced.sql(end)),
    };
    let flag = |cond: String| format!("CAST(CASE WHEN {cond} THEN 1 ELSE 0 END AS INTEGER)");
    // Codes are digits, capitals, dots and dashes: checked by the caller before they get here.
    let after = match after {
        Some(code) => {
            if !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            {
                return Ok(Vec::new());
            }
            format!("d.code > '{code}'")
        }
        None => "1 = 1".into(),
    };
    let sql = format!(
        "SELECT d.code, d.office_code, d.procedure_code, d.channel, d.status, d.received_at, \
           d.due_at, d.closed_at, d.supplement_requests, \
           {late} AS late, {repeated} AS repeated, {overdue} AS overdue, {offline} AS offline, \
           {no_components} AS no_components, {no_result} AS no_result, \
           {dissatisfied} AS dissatisfied, {complaint} AS complaint, {unsynced} AS unsynced \
         FROM ({dossiers}) d WHERE {which} AND {after} ORDER BY d.code LIMIT {limit}",
        late = flag(format!("{resolved} AND d.final_timeliness = 'late'")),
        repeated = flag(format!("{resolved} AND d.supplement_requests > 1")),
        overdue = flag(Rule::OpenOverdue.sql(end)),
        offline = flag(and_not(
            &Rule::Received.sql(end),
            &Rule::ReceivedOnline.sql(end)
        )),
        no_components = flag(and_not(&resolved, "d.components_digitised_at < :2")),
        no_result = flag(and_not(&resolved, "d.result_digitised_at < :2")),
        dissatisfied = flag(format!(
            "{resolved} AND d.rating = 'dissatisfied' AND d.rated_at < :2"
        )),
        complaint = flag(format!("{resolved} AND d.first_complaint_at < :2")),
        unsynced = flag(and_not(
            &Rule::Received.sql(end),
            &Rule::ReceivedSynced.sql(end)
        )),
        dossiers = period_dossiers(COLUMNS, &scope_sql(scope, &["d.office_code"])?),
        limit = limit.clamp(1, 1000),
    );
    let query = with_instants(
        conn,
        &sql,
        &[db::to_db(from), db::to_db(to), db::to_db(to.min(now))],
    )?;
    let rows = query.load::<CostlyRow>(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let relevant: &[(bool, Reason)] = &[
                (r.late == 1, Reason::Late),
                (r.repeated == 1, Reason::RepeatedSupplement),
                (r.overdue == 1, Reason::Overdue),
                (r.offline == 1, Reason::NotOnline),
                (r.no_components == 1, Reason::ComponentsNotDigitised),
                (r.no_result == 1, Reason::ResultNotDigitised),
                (r.dissatisfied == 1, Reason::Dissatisfied),
                (r.complaint == 1, Reason::Complaint),
                (r.unsynced == 1, Reason::NotSynchronised),
            ];
            let reasons = relevant
                .iter()
                .filter(|(on, reason)| *on && reason.costs(indicator))
                .map(|(_, reason)| *reason)
                .collect();
            Costly {
                code: r.code,
                office_code: r.office_code,
                procedure_code: r.procedure_code,
                channel: r.channel,
                status: r.status,
                received_at: r.received_at,
                due_at: r.due_at,
                closed_at: r.closed_at,
                supplement_requests: r.supplement_requests,
                reasons,
            }
        })
        .collect())
}

impl Reason {
    /// Whether this reason costs the indicator's points.
    fn costs(self, indicator: Indicator) -> bool {
        use Reason::*;
        match indicator {
            Indicator::Progress => matches!(self, Late | RepeatedSupplement | Overdue),
            Indicator::Online => self == NotOnline,
            Indicator::Digitisation => {
                matches!(self, ComponentsNotDigitised | ResultNotDigitised)
            }
            Indicator::Satisfaction => matches!(self, Dissatisfied | Complaint),
            Indicator::Sync => self == NotSynchronised,
        }
    }
}
