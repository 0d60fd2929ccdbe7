//! Supervisors' reports (Circular 01/2020/TT-VPCP form 06, the overdue list, per-agency step
//! timeliness), aggregated in the database so they stay fast over millions of dossiers.
//!
//! Period bounds arrive as UTC instants (the office day boundaries are computed in Rust). A
//! dossier's state at an instant is what its history says: `closed_at` is the instant of its
//! terminal event, and the status at an instant is the last event's status before it.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::authz::Scope;
use crate::db::{self, DbConn};
use crate::domain::codes::OfficeCode;
use crate::error::{AppError, AppResult};

/// What the form-06 rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Office,
    Field,
    Procedure,
    Channel,
}

impl GroupBy {
    /// The group's key over the `cells` (c), their procedure (p) and their office (o).
    fn key(self) -> &'static str {
        match self {
            GroupBy::Office => "c.office_code",
            GroupBy::Field => "p.field",
            GroupBy::Procedure => "c.procedure_code",
            GroupBy::Channel => "c.channel",
        }
    }

    fn name(self) -> &'static str {
        match self {
            GroupBy::Office => "o.name",
            GroupBy::Field => "p.field",
            GroupBy::Procedure => "p.name",
            GroupBy::Channel => "c.channel",
        }
    }
}

/// The counts of one form-06 row.
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct SummaryCounts {
    #[diesel(sql_type = Text)]
    pub grp: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub grp_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub carried_over: i64,
    #[diesel(sql_type = BigInt)]
    pub received_online: i64,
    #[diesel(sql_type = BigInt)]
    pub received_offline: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved_total: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved_early: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved_on_time: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved_late: i64,
    #[diesel(sql_type = BigInt)]
    pub open_total: i64,
    #[diesel(sql_type = BigInt)]
    pub open_overdue: i64,
    #[diesel(sql_type = BigInt)]
    pub awaiting_supplement: i64,
    #[diesel(sql_type = BigInt)]
    pub withdrawn: i64,
    #[diesel(sql_type = BigInt)]
    pub rejected: i64,
    #[diesel(sql_type = BigInt)]
    pub stopped: i64,
    /// Dossiers of the row with more than one supplement request by the period's end.
    #[diesel(sql_type = BigInt)]
    pub supplement_repeated: i64,
    /// Dossiers of the row whose latest change the national portal has accepted (now).
    #[diesel(sql_type = BigInt)]
    pub national_synced: i64,
}

/// `?` placeholders as the backend wants them (`$1, $2, …` on PostgreSQL).
fn placeholders(conn: &DbConn, sql: &str) -> String {
    match conn {
        DbConn::Sqlite(_) => sql.to_owned(),
        DbConn::Postgres(_) => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

/// A query whose instants are numbered `:1`, `:2`, … in its text, so one instant may appear many
/// times and the planner sees it everywhere (a parameter CTE would hide the period from
/// PostgreSQL's row estimates). PostgreSQL gets them as parameters `$1`, `$2`, …; SQLite as
/// literals, because motcua's SQLite keeps one plan per statement whatever is bound to it (QPSG,
/// `.cargo/config.toml`, so that point reads are not planned anew at every execution) and a
/// literal is what lets its planner weigh the period against the ANALYZE statistics. The
/// literals are instants motcua formats as diesel stores them, never text from a client.
pub(super) fn with_instants(
    conn: &DbConn,
    sql: &str,
    instants: &[NaiveDateTime],
) -> AppResult<
    diesel::query_builder::BoxedSqlQuery<
        'static,
        super::DbBackend,
        diesel::query_builder::SqlQuery,
    >,
> {
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    let mut out = String::with_capacity(sql.len() + 32 * instants.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = 0usize;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n * 10 + d as usize;
                chars.next();
            }
            let instant = n
                .checked_sub(1)
                .and_then(|i| instants.get(i))
                .ok_or_else(|| AppError::Internal(format!("report query names :{n}")))?;
            if sqlite {
                out.push_str(&format!("'{}'", instant.format("%F %T%.f")));
            } else {
                out.push_str(&format!("${n}"));
            }
        } else {
            out.push(c);
        }
    }
    let mut q = diesel::sql_query(out).into_boxed();
    if !sqlite {
        for instant in instants {
            q = q.bind::<Timestamp, _>(*instant);
        }
    }
    Ok(q)
}

/// The scope as an SQL condition. Office codes are digits, capitals and dots only (checked
/// again here), so they can stand in the text as literals.
pub(super) fn scope_sql(scope: &Scope, columns: &[&str]) -> AppResult<String> {
    let Scope::Offices(list) = scope else {
        return Ok("1 = 1".into());
    };
    if list.is_empty() {
        return Ok("1 = 0".into());
    }
    let set = office_set(list)?;
    Ok(format!(
        "({})",
        columns
            .iter()
            .map(|c| format!("{c} IN ({set})"))
            .collect::<Vec<_>>()
            .join(" OR ")
    ))
}

/// Office codes as an SQL list of literals (`'A', 'B'`; `NULL` for none, which matches nothing).
/// Office codes are digits, capitals and dots only, checked again here.
pub fn office_set(list: &[String]) -> AppResult<String> {
    if list.is_empty() {
        return Ok("NULL".into());
    }
    let mut quoted = Vec::with_capacity(list.len());
    for code in list {
        let code = OfficeCode::parse(code)
            .map_err(|_| AppError::Internal(format!("bad office code in scope: {code}")))?;
        quoted.push(format!("'{}'", code.as_str()));
    }
    Ok(quoted.join(", "))
}

/// The status of dossier `d` just before the instant `prm.t` (the end of the period).
pub(super) const STATUS_AT_END: &str = "(SELECT e.to_status FROM dossier_events e WHERE e.dossier_id = d.id AND e.at < :2 ORDER BY e.at DESC, e.seq DESC LIMIT 1)";

/// The sum of the cells matching `cond`, as a BIGINT on both backends.
fn count_where(cond: &str) -> String {
    format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN n ELSE 0 END), 0) AS BIGINT)")
}

/// Form 06 for the period [from, to), grouped; rows in key order. A period that ends now or
/// later needs no history for the status at its end: it is the current one.
pub fn summary(
    conn: &mut DbConn,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    group: GroupBy,
    now: DateTime<Utc>,
) -> AppResult<Vec<SummaryCounts>> {
    // :1 the period's start, :2 its end, :3 the instant "overdue" is judged at.
    let status_at_end = if to >= now { "d.status" } else { STATUS_AT_END };
    // More than one supplement request by the period's end: the count on the dossier, checked
    // against the history only for the few dossiers that have had several.
    let repeated = if to >= now {
        "d.supplement_requests > 1"
    } else {
        "d.supplement_requests > 1 AND (SELECT COUNT(*) FROM dossier_events e \
           WHERE e.dossier_id = d.id AND e.action = 'request-supplement' AND e.at < :2) > 1"
    };
    let closed_within = "(d.closed_at >= :1 AND d.closed_at < :2)";
    // Each dossier falls in one receipt category and one end-of-period category. The database
    // counts the (procedure, office, channel, category, category) cells — a few thousand at
    // most, grouped in memory — then names and groups the cells and spreads them into columns:
    // two CASEs per dossier, and the joins run over cells, not over dossiers.
    let sql = format!(
        "WITH cells AS ( \
         SELECT d.procedure_code, d.office_code, d.channel, \
           CASE WHEN d.received_at < :1 THEN 'carried' WHEN d.channel = 'online' THEN 'online' ELSE 'offline' END AS rc, \
           CASE WHEN {closed_within} THEN \
                  CASE WHEN d.status IN ('resolved', 'returned') THEN 'r_' || COALESCE(d.final_timeliness, '') ELSE d.status END \
                WHEN {status_at_end} = 'awaiting_supplement' THEN 'awaiting' \
                WHEN d.due_at < :3 AND {status_at_end} IN ('received', 'processing') THEN 'overdue' \
                ELSE 'on_track' END AS ec, \
           CASE WHEN {repeated} THEN 1 ELSE 0 END AS rp, \
           CASE WHEN d.national_synced_version = d.version THEN 1 ELSE 0 END AS sy, \
           COUNT(*) AS n \
         FROM ( \
           SELECT {cols} FROM dossiers d \
             WHERE d.received_at >= :1 AND d.received_at < :2 AND {scope} \
           UNION ALL SELECT {cols} FROM dossiers d \
             WHERE d.received_at < :1 AND d.closed_at >= :1 AND {scope} \
           UNION ALL SELECT {cols} FROM dossiers d \
             WHERE d.received_at < :1 AND d.closed_at IS NULL \
               AND d.status IN ('received', 'processing', 'awaiting_supplement', 'awaiting_payment') AND {scope} \
         ) d \
         GROUP BY d.procedure_code, d.office_code, d.channel, rc, ec, rp, sy) \
         SELECT {key} AS grp, MAX({name}) AS grp_name, \
           {carried} AS carried_over, {online} AS received_online, {offline} AS received_offline, \
           {resolved} AS resolved_total, {early} AS resolved_early, {on_time} AS resolved_on_time, {late} AS resolved_late, \
           {open} AS open_total, {overdue} AS open_overdue, {awaiting} AS awaiting_supplement, \
           {withdrawn} AS withdrawn, {rejected} AS rejected, {stopped} AS stopped, \
           {supplement_repeated} AS supplement_repeated, {national_synced} AS national_synced \
         FROM cells c JOIN procedures p ON p.code = c.procedure_code JOIN offices o ON o.code = c.office_code \
         GROUP BY {key} ORDER BY {key}",
        carried = count_where("rc = 'carried'"),
        online = count_where("rc = 'online'"),
        offline = count_where("rc = 'offline'"),
        resolved = count_where("ec IN ('r_early', 'r_on_time', 'r_late')"),
        early = count_where("ec = 'r_early'"),
        on_time = count_where("ec = 'r_on_time'"),
        late = count_where("ec = 'r_late'"),
        open = count_where("ec IN ('awaiting', 'overdue', 'on_track')"),
        overdue = count_where("ec = 'overdue'"),
        awaiting = count_where("ec = 'awaiting'"),
        withdrawn = count_where("ec = 'withdrawn'"),
        rejected = count_where("ec = 'rejected'"),
        stopped = count_where("ec = 'stopped'"),
        supplement_repeated = count_where("rp = 1"),
        national_synced = count_where("sy = 1"),
        // Three ranges, each with its index: received within the period; received before
        // it and closed within or after it; received before it and still open.
        cols = "d.id, d.office_code, d.procedure_code, d.channel, d.status, d.final_timeliness, \
                d.received_at, d.closed_at, d.due_at, d.supplement_requests, d.version, \
                d.national_synced_version",
        key = group.key(),
        name = group.name(),
        // Form 06 counts what the offices in scope received.
        scope = scope_sql(scope, &["d.office_code"])?,
    );
    // Overdue "at the end" of a period still running means overdue now.
    let query = with_instants(
        conn,
        &sql,
        &[db::to_db(from), db::to_db(to), db::to_db(to.min(now))],
    )?;
    let postgres = matches!(conn, DbConn::Postgres(_));
    Ok(conn.transaction(|conn| {
        if postgres {
            // Room to count the cells in a hash table rather than sort a year of dossiers
            // through temporary files (the default work_mem is 4 MB); for this query only.
            diesel::sql_query("SET LOCAL work_mem = '64MB'").execute(conn)?;
        }
        query.load::<SummaryCounts>(conn)
    })?)
}

/// One open dossier past its deadline.
#[derive(Debug, Clone, QueryableByName)]
pub struct OverdueRow {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub procedure_code: String,
    #[diesel(sql_type = Text)]
    pub office_code: String,
    #[diesel(sql_type = Text)]
    pub responsible_office_code: String,
    #[diesel(sql_type = Timestamp)]
    pub received_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    pub due_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub rescheduled_due_at: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub reappointment_used: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub letter_status: Option<String>,
}

pub struct OverdueFilter {
    /// Received by or held by this office.
    pub office: Option<String>,
    pub procedure: Option<String>,
    pub as_of: DateTime<Utc>,
    /// Whether `as_of` is now: the current status then is the status at `as_of`.
    pub current: bool,
}

/// Open dossiers past their deadline as of `as_of`, most overdue first.
pub fn overdue(conn: &mut DbConn, scope: &Scope, f: &OverdueFilter) -> AppResult<Vec<OverdueRow>> {
    let status_cond = if f.current {
        "d.status IN ('received', 'processing')".to_owned()
    } else {
        "d.received_at <= prm.t AND (d.closed_at IS NULL OR d.closed_at > prm.t) AND \
             (SELECT e.to_status FROM dossier_events e WHERE e.dossier_id = d.id AND e.at <= prm.t \
              ORDER BY e.at DESC, e.seq DESC LIMIT 1) IN ('received', 'processing')"
            .to_owned()
    };
    let mut sql = format!(
        "WITH prm AS (SELECT ? AS t) \
         SELECT d.code, d.procedure_code, d.office_code, d.responsible_office_code, d.received_at, d.due_at, \
                d.rescheduled_due_at, d.reappointment_used, al.delivery_status AS letter_status \
         FROM prm CROSS JOIN dossiers d {hint} LEFT JOIN apology_letters al ON al.dossier_id = d.id \
         WHERE d.due_at < prm.t AND {status_cond} AND {scope}",
        // SQLite's planner, without fresh statistics, reads every received dossier through the
        // status index rather than the few past their deadline through this partial index
        // (whose condition the current-status query repeats word for word). `prm` comes first:
        // SQLite keeps the order of a CROSS JOIN, and the deadline range needs `prm.t` bound
        // before it reads the index.
        hint = if f.current && matches!(conn, DbConn::Sqlite(_)) {
            "INDEXED BY dossiers_running_due_idx"
        } else {
            ""
        },
        scope = scope_sql(scope, &["d.office_code", "d.responsible_office_code"])?,
    );
    if f.office.is_some() {
        sql.push_str(" AND (d.office_code = ? OR d.responsible_office_code = ?)");
    }
    if f.procedure.is_some() {
        sql.push_str(" AND d.procedure_code = ?");
    }
    sql.push_str(" ORDER BY d.due_at ASC, d.code ASC");
    let sql = placeholders(conn, &sql);
    let mut q = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamp, _>(db::to_db(f.as_of));
    if let Some(o) = &f.office {
        q = q.bind::<Text, _>(o.clone()).bind::<Text, _>(o.clone());
    }
    if let Some(p) = &f.procedure {
        q = q.bind::<Text, _>(p.clone());
    }
    Ok(q.load(conn)?)
}

/// Per agency: steps finished within the period by verdict, steps still open and overdue at its
/// end, and the supplement requests it made within the period (a repeated one is the agency's
/// breach of the single, complete request the law wants).
#[derive(Debug, Clone, Default, PartialEq, Eq, QueryableByName)]
pub struct StepCounts {
    #[diesel(sql_type = Text)]
    pub office_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub office_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub completed: i64,
    #[diesel(sql_type = BigInt)]
    pub early: i64,
    #[diesel(sql_type = BigInt)]
    pub on_time: i64,
    #[diesel(sql_type = BigInt)]
    pub late: i64,
    #[diesel(sql_type = BigInt)]
    pub open_overdue: i64,
    #[diesel(sql_type = BigInt)]
    pub supplement_requests: i64,
    #[diesel(sql_type = BigInt)]
    pub supplement_repeated: i64,
    #[diesel(sql_type = BigInt)]
    pub dossiers_with_repeated_requests: i64,
}

/// The supplement requests of one agency within the period.
#[derive(Debug, Clone, QueryableByName)]
struct RequestCounts {
    #[diesel(sql_type = Text)]
    office_code: String,
    #[diesel(sql_type = Nullable<Text>)]
    office_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    requests: i64,
    #[diesel(sql_type = BigInt)]
    repeated: i64,
    #[diesel(sql_type = BigInt)]
    dossiers: i64,
}

pub fn steps(
    conn: &mut DbConn,
    scope: &Scope,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<StepCounts>> {
    let done = "(s.completed_at >= :1 AND s.completed_at < :2 AND s.timeliness IS NOT NULL)";
    let sql = format!(
        "SELECT s.office_code, MAX(o.name) AS office_name, \
           COALESCE(SUM(CASE WHEN {done} THEN 1 ELSE 0 END), 0) AS completed, \
           COALESCE(SUM(CASE WHEN {done} AND s.timeliness = 'early' THEN 1 ELSE 0 END), 0) AS early, \
           COALESCE(SUM(CASE WHEN {done} AND s.timeliness = 'on_time' THEN 1 ELSE 0 END), 0) AS on_time, \
           COALESCE(SUM(CASE WHEN {done} AND s.timeliness = 'late' THEN 1 ELSE 0 END), 0) AS late, \
           COALESCE(SUM(CASE WHEN s.received_at < :2 AND (s.completed_at IS NULL OR s.completed_at >= :2) \
                             AND s.deadline_at < :2 THEN 1 ELSE 0 END), 0) AS open_overdue, \
           CAST(0 AS BIGINT) AS supplement_requests, CAST(0 AS BIGINT) AS supplement_repeated, \
           CAST(0 AS BIGINT) AS dossiers_with_repeated_requests \
         FROM dossier_steps s JOIN offices o ON o.code = s.office_code \
         WHERE s.received_at < :2 AND (s.completed_at IS NULL OR s.completed_at >= :1) AND {scope} \
         GROUP BY s.office_code ORDER BY s.office_code",
        scope = scope_sql(scope, &["s.office_code"])?,
    );
    let mut rows: Vec<StepCounts> =
        with_instants(conn, &sql, &[db::to_db(from), db::to_db(to)])?.load(conn)?;
    // Requests are attributed to the agency that made them (the event's office); a request is
    // repeated when the dossier had one before it.
    let sql = format!(
        "SELECT r.office_code, MAX(o.name) AS office_name, COUNT(*) AS requests, \
           CAST(COALESCE(SUM(r.rep), 0) AS BIGINT) AS repeated, \
           COUNT(DISTINCT CASE WHEN r.rep = 1 THEN r.dossier_id END) AS dossiers \
         FROM (SELECT e.office_code, e.dossier_id, \
                 CASE WHEN EXISTS (SELECT 1 FROM dossier_events p WHERE p.dossier_id = e.dossier_id \
                   AND p.action = 'request-supplement' AND p.seq < e.seq) THEN 1 ELSE 0 END AS rep \
               FROM dossier_events e \
               WHERE e.action = 'request-supplement' AND e.at >= :1 AND e.at < :2 AND {scope}) r \
         JOIN offices o ON o.code = r.office_code \
         GROUP BY r.office_code",
        scope = scope_sql(scope, &["e.office_code"])?,
    );
    let requests: Vec<RequestCounts> =
        with_instants(conn, &sql, &[db::to_db(from), db::to_db(to)])?.load(conn)?;
    for r in requests {
        let row = match rows.iter_mut().position(|s| s.office_code == r.office_code) {
            Some(i) => &mut rows[i],
            None => {
                rows.push(StepCounts {
                    office_code: r.office_code.clone(),
                    office_name: r.office_name.clone(),
                    ..StepCounts::default()
                });
                let last = rows.len() - 1;
                &mut rows[last]
            }
        };
        row.supplement_requests = r.requests;
        row.supplement_repeated = r.repeated;
        row.dossiers_with_repeated_requests = r.dossiers;
    }
    rows.sort_by(|a, b| a.office_code.cmp(&b.office_code));
    Ok(rows)
}
