//! `GET /api/v1/events`: the event feed for other systems (dashboards, the e-office system, the
//! provincial integration platform), in commit order behind an opaque cursor.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dossiers::scope;
use super::{AppState, Query};
use crate::authz::{Caller, Permission};
use crate::db::from_db;
use crate::error::{AppError, AppResult};
use crate::openapi as problem;
use crate::store::feed;

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next_cursor` of the previous page; absent: from the first event.
    #[param(max_length = 20, pattern = r"^1-[0-9a-f]{1,16}$", example = "1-2a")]
    pub after: Option<String>,
    /// Events per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// One event of a dossier's history, as the feed gives it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FeedEvent)]
pub struct FeedEventView {
    /// Where this event stands in the feed: `after=` this cursor continues behind it.
    pub cursor: String,
    pub dossier_code: String,
    /// The event's place in its dossier's history (1 = the receipt).
    pub seq: i32,
    /// `received`, a lifecycle action, or what the service did (`apology_letter`, …).
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// When it happened.
    pub at: DateTime<FixedOffset>,
    /// When it was recorded.
    pub recorded_at: DateTime<FixedOffset>,
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    /// The agency on whose behalf it was recorded.
    pub office_code: Option<String>,
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    pub items: Vec<FeedEventView>,
    /// Where to continue: after the last item, or the `after` given when the page is empty.
    pub next_cursor: String,
}

/// `GET /api/v1/events?after=&limit=`.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "event_feed",
    tag = "integration",
    summary = "Every dossier event in commit order (admin; supervisor: their offices)",
    description = "Follow `next_cursor` page after page: every committed event comes exactly \
        once, in the order its dossier's history has it, also while writers commit out of \
        order. An empty page keeps the cursor: ask again later. Supervisors see the events of \
        the dossiers their office and the offices below it received, hold or held a step of.",
    security(("bearer" = [])),
    params(FeedQuery),
    responses(
        (status = 200, description = "A page of events", body = FeedPage),
        problem::ReportQueryErrors,
    )
)]
pub async fn feed(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<FeedQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Report)?;
    let q = q.into_inner();
    let after = match q.after.as_deref() {
        None => 0,
        Some(c) => feed::parse_cursor(c).ok_or_else(|| {
            AppError::field("after", "is not a cursor this feed gave (use next_cursor)")
        })?,
    };
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let st = state.clone();
    let events = state
        .db(move |conn| {
            let scope = scope(conn, &caller)?;
            feed::assign_positions(conn)?;
            feed::page(conn, &scope, after, limit)
        })
        .await?;
    let next = events.last().map_or(after, |e| e.feed_position);
    let items = events
        .into_iter()
        .map(|e| FeedEventView {
            cursor: feed::cursor(e.feed_position),
            dossier_code: e.dossier_code,
            seq: e.seq,
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            at: st.local(from_db(e.at)),
            recorded_at: st.local(from_db(e.recorded_at)),
            data: e.data.and_then(|d| serde_json::from_str(&d).ok()),
            office_code: e.office_code,
        })
        .collect();
    Ok(HttpResponse::Ok().json(FeedPage {
        items,
        next_cursor: match q.after {
            Some(given) if next == after => given,
            _ => feed::cursor(next),
        },
    }))
}
