//! Queries per aggregate: sync functions over `&mut DbConn`, called inside one blocking task.

pub mod calendar;
pub mod counters;
pub mod dossiers;
pub mod gauges;
pub mod idempotency;
pub mod letters;
pub mod lifecycle;
pub mod names;
pub mod offices;
pub mod outbox;
pub mod procedures;
pub mod reports;
pub mod sweep;
pub mod users;

use crate::db::DbConn;

/// The backend type of queries built for either database.
pub type DbBackend = <DbConn as diesel::Connection>::Backend;

/// A page request as the API accepts it (`?page=1&per_page=50`, at most 500 per page).
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

impl PageRequest {
    pub const MAX_PER_PAGE: i64 = 500;

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

/// One page of results and how many there are in all.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}
