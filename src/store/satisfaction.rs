//! The per-agency satisfaction report: the citizens' ratings counted for the office that
//! received each dossier (rated in the period), and the complaints for the office that answers
//! them (filed, answered, answered late in the period; open and overdue at its end).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::authz::Scope;
use crate::db::schema::{complaints as c, dossiers as d};
use crate::db::{self, DbConn};
use crate::error::AppResult;

/// One office's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SatisfactionCounts {
    pub office_code: String,
    pub ratings: i64,
    pub satisfied: i64,
    pub neutral: i64,
    pub dissatisfied: i64,
    pub complaints_filed: i64,
    pub complaints_answered: i64,
    pub complaints_answered_late: i64,
    pub complaints_open_overdue: i64,
}

/// The counts of the offices in `scope` (or `office` alone) for [from, to), one row per office
/// that has any, by office code. Overdue is judged at the period's end, or now if that is
/// earlier.
pub fn report(
    conn: &mut DbConn,
    scope: &Scope,
    office: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Vec<SatisfactionCounts>> {
    let (from_db, to_db) = (db::to_db(from), db::to_db(to));
    let as_of = db::to_db(to.min(now));
    let offices: Option<Vec<String>> = match (office, scope) {
        (Some(o), _) => Some(vec![o.to_owned()]),
        (None, Scope::Offices(list)) => Some(list.clone()),
        (None, Scope::All) => None,
    };
    let mut rows: BTreeMap<String, SatisfactionCounts> = BTreeMap::new();
    let mut q = d::table
        .group_by((d::office_code, d::rating))
        .select((d::office_code, d::rating, count_star()))
        .into_boxed::<super::DbBackend>()
        .filter(d::rated_at.ge(from_db))
        .filter(d::rated_at.lt(to_db))
        .filter(d::rating.is_not_null());
    if let Some(list) = &offices {
        q = q.filter(d::office_code.eq_any(list.clone()));
    }
    let rated: Vec<(String, Option<String>, i64)> = q.load(conn)?;
    let ratings = rated;

    let complaints_in = |conn: &mut DbConn, which: u8| -> AppResult<Vec<(String, i64)>> {
        let mut q = c::table
            .group_by(c::office_code)
            .select((c::office_code, count_star()))
            .into_boxed::<super::DbBackend>();
        if let Some(list) = &offices {
            q = q.filter(c::office_code.eq_any(list.clone()));
        }
        q = match which {
            0 => q
                .filter(c::filed_at.ge(from_db))
                .filter(c::filed_at.lt(to_db)),
            1 => q
                .filter(c::answered_at.ge(from_db))
                .filter(c::answered_at.lt(to_db)),
            2 => q
                .filter(c::answered_at.ge(from_db))
                .filter(c::answered_at.lt(to_db))
                .filter(c::answered_late.eq(true)),
            _ => q
                .filter(c::filed_at.lt(as_of))
                .filter(c::due_at.lt(as_of))
                .filter(c::answered_at.is_null().or(c::answered_at.ge(as_of))),
        };
        Ok(q.load(conn)?)
    };
    let filed = complaints_in(conn, 0)?;
    let answered = complaints_in(conn, 1)?;
    let late = complaints_in(conn, 2)?;
    let overdue = complaints_in(conn, 3)?;

    fn at<'a>(
        rows: &'a mut BTreeMap<String, SatisfactionCounts>,
        code: &str,
    ) -> &'a mut SatisfactionCounts {
        rows.entry(code.to_owned())
            .or_insert_with(|| SatisfactionCounts {
                office_code: code.to_owned(),
                ..Default::default()
            })
    }
    for (office, rating, n) in ratings {
        let r = at(&mut rows, &office);
        r.ratings += n;
        match rating.as_deref() {
            Some("satisfied") => r.satisfied += n,
            Some("neutral") => r.neutral += n,
            Some("dissatisfied") => r.dissatisfied += n,
            _ => {}
        }
    }
    for (office, n) in filed {
        at(&mut rows, &office).complaints_filed = n;
    }
    for (office, n) in answered {
        at(&mut rows, &office).complaints_answered = n;
    }
    for (office, n) in late {
        at(&mut rows, &office).complaints_answered_late = n;
    }
    for (office, n) in overdue {
        at(&mut rows, &office).complaints_open_overdue = n;
    }
    Ok(rows.into_values().collect())
}
