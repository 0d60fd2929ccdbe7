//! Offices and agencies (cơ quan, đơn vị), with their hierarchy.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::{Page, PageRequest};
use crate::db::schema::{dossiers, office_changes, offices};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = offices)]
pub struct Office {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub head_name: Option<String>,
    pub parent_code: Option<String>,
    pub created_at: NaiveDateTime,
    /// When it closed into `successor_code` (it receives nothing since).
    pub closed_at: Option<NaiveDateTime>,
    pub successor_code: Option<String>,
}

pub struct NewOffice {
    pub code: String,
    pub name: String,
    pub head_name: Option<String>,
    pub parent_code: Option<String>,
}

pub fn create(conn: &mut DbConn, new: NewOffice) -> AppResult<Office> {
    db::write_tx(conn, |conn| {
        if let Some(parent) = &new.parent_code
            && find(conn, parent)?.is_none()
        {
            return Err(AppError::field(
                "parent_code",
                format!("no office has the code {parent}"),
            ));
        }
        if find(conn, &new.code)?.is_some() {
            return Err(AppError::conflict(format!(
                "an office with the code {} already exists",
                new.code
            )));
        }
        diesel::insert_into(offices::table)
            .values((
                offices::code.eq(&new.code),
                offices::name.eq(&new.name),
                offices::head_name.eq(&new.head_name),
                offices::parent_code.eq(&new.parent_code),
                offices::created_at.eq(db::to_db(db::now())),
            ))
            .execute(conn)
            .map_err(|e| {
                if db::is_unique_violation(&e) {
                    AppError::conflict(format!(
                        "an office with the code {} already exists",
                        new.code
                    ))
                } else {
                    e.into()
                }
            })?;
        crate::store::catalog::bump(conn, crate::store::catalog::CATALOG)?;
        find(conn, &new.code)?
            .ok_or_else(|| AppError::Internal("office vanished after insert".into()))
    })
}

pub fn find(conn: &mut DbConn, code: &str) -> AppResult<Option<Office>> {
    Ok(offices::table
        .filter(offices::code.eq(code))
        .select(Office::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(conn: &mut DbConn, page: PageRequest) -> AppResult<Page<Office>> {
    let total = offices::table.count().get_result(conn)?;
    let items = offices::table
        .order(offices::code.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(Office::as_select())
        .load(conn)?;
    Ok(Page { items, total })
}

/// The office and every office below it (through `parent_code`), for supervisors' scope.
pub fn with_descendants(conn: &mut DbConn, code: &str) -> AppResult<Vec<String>> {
    let edges: Vec<(String, Option<String>)> = offices::table
        .select((offices::code, offices::parent_code))
        .load(conn)?;
    let mut children: HashMap<String, Vec<String>> = HashMap::new();
    for (child, parent) in edges {
        if let Some(p) = parent {
            children.entry(p).or_default().push(child);
        }
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut stack = vec![code.to_owned()];
    let mut out = Vec::new();
    while let Some(c) = stack.pop() {
        if seen.insert(c.clone()) {
            if let Some(kids) = children.get(&c) {
                stack.extend(kids.iter().cloned());
            }
            out.push(c);
        }
    }
    out.sort();
    Ok(out)
}

/// What an administrator changes on an office; `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct OfficeChange {
    pub name: Option<String>,
    pub head_name: Option<Option<String>>,
    pub parent_code: Option<Option<String>>,
}

fn audit(
    conn: &mut DbConn,
    code: &str,
    actor: &str,
    at: DateTime<Utc>,
    changes: serde_json::Map<String, serde_json::Value>,
) -> AppResult<()> {
    diesel::insert_into(office_changes::table)
        .values((
            office_changes::office_code.eq(code),
            office_changes::actor.eq(actor),
            office_changes::at.eq(db::to_db(at)),
            office_changes::changes.eq(serde_json::Value::Object(changes).to_string()),
        ))
        .execute(conn)?;
    crate::store::catalog::bump(conn, crate::store::catalog::CATALOG)
}

/// Renames an office, changes its head or moves it in the tree, audited, in one transaction. A
/// parent that is the office itself or one below it would make a cycle: 422.
pub fn update(
    conn: &mut DbConn,
    code: &str,
    change: OfficeChange,
    actor: &str,
) -> AppResult<Office> {
    db::write_tx(conn, |conn| {
        // One tree change at a time across replicas: two moves that are each acyclic could
        // together make a cycle.
        db::exclusive(conn, db::locks::OFFICE_TREE)?;
        let office = find(conn, code)?.ok_or_else(|| AppError::not_found("office"))?;
        if let Some(Some(parent)) = &change.parent_code {
            if find(conn, parent)?.is_none() {
                return Err(AppError::field(
                    "parent_code",
                    format!("no office has the code {parent}"),
                ));
            }
            if with_descendants(conn, code)?.iter().any(|c| c == parent) {
                return Err(AppError::field(
                    "parent_code",
                    format!("{parent} is {code} or below it: the tree would have a cycle"),
                ));
            }
        }
        let name = change.name.clone().unwrap_or_else(|| office.name.clone());
        let head_name = change
            .head_name
            .clone()
            .unwrap_or_else(|| office.head_name.clone());
        let parent_code = change
            .parent_code
            .clone()
            .unwrap_or_else(|| office.parent_code.clone());
        let mut changes = serde_json::Map::new();
        let mut note = |field: &str, from: serde_json::Value, to: serde_json::Value| {
            if from != to {
                changes.insert(field.into(), serde_json::json!({"from": from, "to": to}));
            }
        };
        note("name", office.name.clone().into(), name.clone().into());
        note(
            "head_name",
            office.head_name.clone().into(),
            head_name.clone().into(),
        );
        note(
            "parent_code",
            office.parent_code.clone().into(),
            parent_code.clone().into(),
        );
        if changes.is_empty() {
            return Ok(office);
        }
        diesel::update(offices::table.filter(offices::id.eq(office.id)))
            .set((
                offices::name.eq(&name),
                offices::head_name.eq(&head_name),
                offices::parent_code.eq(&parent_code),
            ))
            .execute(conn)?;
        audit(conn, code, actor, db::now(), changes)?;
        find(conn, code)?.ok_or_else(|| AppError::Internal("office vanished".into()))
    })
}

/// Closes an office into its successor: it receives nothing from then on, and every open
/// dossier it is responsible for moves to the successor with an `office_closed` event. Its
/// history and its dossiers' codes stay its own. Returns the office and how many moved.
pub fn close(
    conn: &mut DbConn,
    code: &str,
    successor: &str,
    at: DateTime<Utc>,
    actor: &str,
) -> AppResult<(Office, usize)> {
    use crate::store::dossiers::{self as store_dossiers, Dossier, EventInput};
    db::write_tx(conn, |conn| {
        db::exclusive(conn, db::locks::OFFICE_TREE)?;
        let office = find(conn, code)?.ok_or_else(|| AppError::not_found("office"))?;
        if office.closed_at.is_some() {
            return Err(AppError::conflict(format!(
                "the office {code} is already closed"
            )));
        }
        if successor == code {
            return Err(AppError::field("successor_code", "must be another office"));
        }
        let next = find(conn, successor)?.ok_or_else(|| {
            AppError::field(
                "successor_code",
                format!("no office has the code {successor}"),
            )
        })?;
        if next.closed_at.is_some() {
            return Err(AppError::field(
                "successor_code",
                format!("the office {successor} is closed itself"),
            ));
        }
        diesel::update(offices::table.filter(offices::id.eq(office.id)))
            .set((
                offices::closed_at.eq(Some(db::to_db(at))),
                offices::successor_code.eq(Some(successor)),
            ))
            .execute(conn)?;
        let mut changes = serde_json::Map::new();
        changes.insert(
            "closed".into(),
            serde_json::json!({"at": at, "successor_code": successor}),
        );
        audit(conn, code, actor, at, changes)?;
        let open: Vec<Dossier> = dossiers::table
            .filter(dossiers::responsible_office_code.eq(code))
            .filter(dossiers::status.eq_any(store_dossiers::OPEN))
            .order(dossiers::id.asc())
            .select(Dossier::as_select())
            .load(conn)?;
        let now = db::now();
        let note = format!("{} đã giải thể, hồ sơ chuyển về {}", office.name, next.name);
        for d in &open {
            diesel::update(dossiers::table.filter(dossiers::id.eq(d.id)))
                .set((
                    dossiers::responsible_office_code.eq(successor),
                    dossiers::version.eq(dossiers::version + 1),
                ))
                .execute(conn)?;
            let status = d.status()?;
            store_dossiers::append_event(
                conn,
                d.id,
                EventInput {
                    action: "office_closed",
                    from_status: Some(status),
                    to_status: status,
                    actor,
                    at: now,
                    recorded_at: now,
                    note: Some(&note),
                    data: Some(serde_json::json!({
                        "from_office_code": code,
                        "to_office_code": successor,
                        "closed_at": at,
                    })),
                    office_code: successor,
                },
            )?;
        }
        let office =
            find(conn, code)?.ok_or_else(|| AppError::Internal("office vanished".into()))?;
        Ok((office, open.len()))
    })
}

/// Closed offices → the open office their dossiers roll up into (following successors that
/// closed in turn).
pub fn successors(conn: &mut DbConn) -> AppResult<HashMap<String, (String, String)>> {
    let rows: Vec<(String, String, Option<String>)> = offices::table
        .select((offices::code, offices::name, offices::successor_code))
        .load(conn)?;
    let next: HashMap<&str, &str> = rows
        .iter()
        .filter_map(|(c, _, s)| s.as_deref().map(|s| (c.as_str(), s)))
        .collect();
    let names: HashMap<&str, &str> = rows
        .iter()
        .map(|(c, n, _)| (c.as_str(), n.as_str()))
        .collect();
    let mut out = HashMap::new();
    for (code, _, _) in rows.iter().filter(|(_, _, s)| s.is_some()) {
        let mut at = code.as_str();
        // A chain is at most as long as there are offices; closing keeps it acyclic.
        for _ in 0..rows.len() {
            match next.get(at) {
                Some(s) => at = s,
                None => break,
            }
        }
        out.insert(
            code.clone(),
            (
                at.to_owned(),
                names.get(at).copied().unwrap_or(at).to_owned(),
            ),
        );
    }
    Ok(out)
}
