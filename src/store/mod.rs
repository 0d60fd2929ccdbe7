//! Queries per aggregate: sync functions over `&mut DbConn`, called inside one blocking task.

/// Runs a query on the concrete connection, `$c` bound to it in each arm. Through the
/// multi-backend connection diesel builds every query's SQL text anew to find its prepared
/// statement; on the concrete connection a query of fixed shape is found by its type, so the hot
/// point reads go this way. Diesel also builds `RETURNING` only for a concrete backend.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            crate::db::DbConn::Postgres($c) => $body,
            crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

/// Runs an insert or update with `RETURNING` the whole dossier row.
macro_rules! returning_dossier {
    ($conn:expr, $stmt:expr) => {
        on_backend!($conn, |c| $stmt
            .returning(crate::store::dossiers::Dossier::as_returning())
            .get_result::<crate::store::dossiers::Dossier>(c))
    };
}

pub mod calendar;
pub mod catalog;
pub mod complaints;
pub mod counters;
pub mod dossiers;
pub mod feed;
pub mod files;
pub mod forms;
pub mod gauges;
pub mod idempotency;
pub mod letters;
pub mod lifecycle;
pub mod notices;
pub mod offices;
pub mod outbox;
pub mod procedures;
pub mod public;
pub mod ratings;
pub mod reports;
pub mod satisfaction;
pub mod scorecard;
pub mod sweep;
pub mod users;
pub mod webhooks;

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
