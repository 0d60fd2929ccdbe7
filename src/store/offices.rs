//! Offices and agencies (cơ quan, đơn vị), with their hierarchy.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Page, PageRequest};
use crate::db::schema::offices;
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
