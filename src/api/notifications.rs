//! The citizen's notifications (and staff digests) as the outbox holds them: per dossier for
//! whoever may read it, and the supervisors' list.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{AppState, ListResponse, PageQuery, Query};
use crate::authz::{Caller, Permission};
use crate::db::from_db;
use crate::domain::codes::OfficeCode;
use crate::domain::notice::{KINDS, NoticeChannel};
use crate::domain::validation::Errors;
use crate::error::{AppError, AppResult};
use crate::openapi::{self as problem, OfficeCodeSchema};
use crate::store::PageRequest;
use crate::store::outbox::{self, MessageFilter, OutboxRow};

/// What a notification is about (API.md "Notifications"): the citizen's kinds, then the staff's.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum NotificationKind {
    Receipt,
    SupplementRequest,
    ResultReady,
    ResultReturned,
    Apology,
    Refusal,
    StopNotice,
    ComplaintAnswer,
    DueSoonDigest,
    Escalation,
}

/// Where a message stands: `skipped` when it cannot go on its channel (no contact, a landline
/// for SMS or Zalo, no Zalo template for its kind), `last_error` saying why.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum NotificationStatus {
    Pending,
    Retrying,
    Sent,
    Failed,
    Skipped,
}

const STATUSES: [&str; 5] = ["pending", "retrying", "sent", "failed", "skipped"];

/// One message on one channel. The recipient (an email address or phone number) is not shown.
#[derive(Serialize, ToSchema)]
#[schema(as = Notification)]
pub struct NotificationView {
    pub id: i64,
    #[schema(value_type = NotificationKind)]
    pub kind: String,
    #[schema(value_type = NoticeChannel)]
    pub channel: String,
    #[schema(value_type = NotificationStatus)]
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    pub created_at: DateTime<FixedOffset>,
    pub sent_at: Option<DateTime<FixedOffset>>,
    /// Why it was not sent (yet), or why it was skipped.
    pub last_error: Option<String>,
    /// The dossier it is about (none for a staff digest).
    pub dossier_code: Option<String>,
}

fn view(state: &AppState, r: OutboxRow) -> NotificationView {
    NotificationView {
        id: r.id,
        kind: r.kind,
        channel: r.channel,
        status: r.status,
        attempts: r.attempts,
        created_at: state.local(from_db(r.created_at)),
        sent_at: r.sent_at.map(|t| state.local(from_db(t))),
        last_error: r.last_error,
        dossier_code: r.dossier_code,
    }
}

/// `GET /api/v1/dossiers/{code}/notifications`.
#[utoipa::path(
    get,
    path = "/api/v1/dossiers/{code}/notifications",
    operation_id = "dossier_notifications",
    tag = "notifications",
    summary = "What the citizen was told about the dossier, on which channel, and whether it arrived",
    description = "Every message about the dossier, oldest first: one per occurrence (the receipt, \
        each supplement request, the result, the apology, a refusal or stop) and channel.",
    security(("bearer" = [])),
    params(crate::api::dossiers::DossierCodePath),
    responses(
        (status = 200, description = "Every message of the dossier, on one page",
            body = ListResponse<NotificationView>),
        problem::StaffGetErrors,
    )
)]
pub async fn for_dossier(
    state: web::Data<AppState>,
    caller: Caller,
    code: web::Path<String>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::ReadStaff)?;
    let code = code.into_inner();
    let rows = state
        .db(move |conn| {
            let scope = crate::api::dossiers::scope(conn, &caller)?;
            let (d, _) = crate::store::dossiers::find_visible(conn, &code, &scope)?
                .ok_or_else(|| AppError::not_found("dossier"))?;
            outbox::for_dossier(conn, d.id)
        })
        .await?;
    let n = rows.len() as i64;
    let items: Vec<NotificationView> = rows.into_iter().map(|r| view(&state, r)).collect();
    Ok(HttpResponse::Ok().json(ListResponse::new(
        items,
        PageRequest {
            page: 1,
            per_page: n.max(1),
        },
        n,
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    #[param(value_type = Option<NotificationStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<NoticeChannel>)]
    pub channel: Option<String>,
    #[param(value_type = Option<NotificationKind>)]
    pub kind: Option<String>,
    /// The office that told the citizen (the receiving office), or the agency of a digest.
    #[param(value_type = Option<OfficeCodeSchema>)]
    pub office: Option<String>,
    /// The page, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<i64>,
    /// Items per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<i64>,
}

/// `GET /api/v1/notifications` (supervisors, admins): every message in scope, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    operation_id = "list_notifications",
    tag = "notifications",
    summary = "Every message in the caller's scope, newest first (supervisor, admin)",
    security(("bearer" = [])),
    params(NotificationsQuery),
    responses(
        (status = 200, description = "A page of messages", body = ListResponse<NotificationView>),
        problem::ReportQueryErrors,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<NotificationsQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Report)?;
    let q = q.into_inner();
    let page = PageQuery::parse(q.page, q.per_page)?;
    let mut e = Errors::default();
    if let Some(s) = &q.status
        && !STATUSES.contains(&s.as_str())
    {
        e.add(
            "status",
            "must be pending, retrying, sent, failed or skipped",
        );
    }
    if let Some(c) = &q.channel
        && NoticeChannel::parse(c).is_none()
    {
        e.add("channel", "must be email, sms or zalo");
    }
    if let Some(k) = &q.kind
        && !KINDS.contains(&k.as_str())
    {
        e.add("kind", format!("must be one of {}", KINDS.join(", ")));
    }
    if let Some(o) = &q.office
        && let Err(m) = OfficeCode::parse(o)
    {
        e.add("office", m);
    }
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    let filter = MessageFilter {
        status: q.status,
        channel: q.channel,
        kind: q.kind,
        office: q.office,
    };
    let result = state
        .db(move |conn| {
            let scope = crate::api::dossiers::scope(conn, &caller)?;
            outbox::list(conn, &filter, &scope, page)
        })
        .await?;
    let items: Vec<NotificationView> = result.items.into_iter().map(|r| view(&state, r)).collect();
    Ok(HttpResponse::Ok().json(ListResponse::new(items, page, result.total)))
}
