//! Calendar overrides (per-date holidays and make-up working days) as stored.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::calendar_overrides as co;
use crate::domain::calendar::{CalendarOverride, OverrideKind};
use crate::error::AppResult;

/// Every override, oldest date first.
pub fn overrides(conn: &mut DbConn) -> AppResult<Vec<CalendarOverride>> {
    let rows: Vec<(chrono::NaiveDate, String, String)> =
        co::table.order(co::date.asc()).select((co::date, co::kind, co::name)).load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(date, kind, name)| OverrideKind::parse(&kind).map(|kind| CalendarOverride { date, kind, name }))
        .collect())
}
