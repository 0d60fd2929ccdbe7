//! Webhook subscriptions (admin): other systems told of every dossier event as it happens,
//! signed per Standard Webhooks, with a delivery log and manual retry.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AppState, ListResponse, PageQuery, Query, StrictJson};
use crate::authz::{Caller, Permission};
use crate::db::{self, from_db};
use crate::domain::validation::{Errors, NOTE_MAX};
use crate::domain::webhook::{self as rules, UrlRefusal};
use crate::error::{AppError, AppResult};
use crate::openapi as problem;
use crate::store::webhooks::{self as store, DeliveryRow, NewWebhook, Webhook};

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where deliveries are POSTed: http or https, no user name or password in it.
    #[schema(
        example = "https://tich-hop.example.gov.vn/motcua/webhook",
        max_length = 2000
    )]
    pub url: String,
    /// The event types to receive (`dossier.` + an event's action); absent: all of them.
    #[schema(example = json!(["dossier.received", "dossier.resolve"]), max_items = 32)]
    pub events: Option<Vec<String>>,
    #[schema(example = "The provincial integration platform", max_length = 2000)]
    pub description: Option<String>,
}

/// Turning a subscription off or on again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// `true` turns a subscription disabled by failures back on (the run of failures starts
    /// over); `false` turns it off (deliveries still waiting are given up).
    pub enabled: bool,
}

/// A subscription as admins read it (the secret is shown only when it is created).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Webhook)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    /// The event types it receives; null: all.
    pub events: Option<Vec<String>>,
    pub description: String,
    pub enabled: bool,
    /// Failed attempts in a row (a delivered one resets it).
    pub consecutive_failures: i32,
    pub disabled_at: Option<DateTime<FixedOffset>>,
    /// Why it was disabled (by an admin, or after `webhooks.disable_after_failures` failures).
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub created_by: String,
}

/// A new subscription, with its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    pub id: i64,
    pub url: String,
    pub events: Option<Vec<String>>,
    pub description: String,
    /// `whsec_` + base64 of the signing key: shown this once, keep it with the receiver.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
    pub enabled: bool,
    pub created_at: DateTime<FixedOffset>,
}

/// One delivery of an event to a subscription.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookDelivery)]
pub struct DeliveryView {
    pub id: i64,
    /// The `webhook-id` header: the same on every attempt.
    pub webhook_id: String,
    /// `dossier.` + the event's action.
    #[serde(rename = "type")]
    pub event_type: String,
    pub dossier_code: Option<String>,
    /// The event's place in its dossier's history.
    pub seq: Option<i32>,
    /// `pending`, `retrying`, `sent` (a 2xx answer) or `failed` (given up).
    pub status: String,
    pub attempts: i32,
    pub created_at: DateTime<FixedOffset>,
    pub sent_at: Option<DateTime<FixedOffset>>,
    /// When the next attempt is due (pending and retrying deliveries).
    pub next_attempt_at: Option<DateTime<FixedOffset>>,
    pub last_error: Option<String>,
    /// The HTTP status of the last attempt's answer (none: no answer — timeout, refused).
    pub last_status_code: Option<i32>,
    /// How long the last attempt took, in milliseconds.
    pub last_duration_ms: Option<i32>,
    pub last_attempt_at: Option<DateTime<FixedOffset>>,
}

fn view(state: &AppState, w: Webhook) -> WebhookView {
    let events = w.event_list();
    WebhookView {
        id: w.id,
        url: w.url,
        events,
        description: w.description,
        enabled: w.enabled,
        consecutive_failures: w.consecutive_failures,
        disabled_at: w.disabled_at.map(|t| state.local(from_db(t))),
        disabled_reason: w.disabled_reason,
        created_at: state.local(from_db(w.created_at)),
        created_by: w.created_by,
    }
}

fn refusal(field: &str, e: UrlRefusal) -> AppError {
    match e {
        UrlRefusal::Malformed(m) => AppError::field(field, format!("must be {m}")),
        other => AppError::field(field, other.to_string()),
    }
}

/// `POST /api/v1/webhooks` (admin).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    operation_id = "create_webhook",
    tag = "integration",
    summary = "Subscribe a system to dossier events (admin)",
    description = "Every dossier event of the requested types is POSTed to `url` as \
        `{type, timestamp, data}` and signed per Standard Webhooks (`webhook-id`, \
        `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>` over \
        `{id}.{timestamp}.{body}` with the secret's key). Any 2xx is delivered; anything else is \
        retried with backoff under the same `webhook-id`. Without \
        `webhooks.allow_private_networks`, a URL whose host is or resolves to a loopback, \
        private or link-local address is refused (422), here and at every delivery.",
    security(("bearer" = [])),
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Subscribed; the secret is shown this once", body = CreatedWebhook,
            headers(("Location" = String, description = "The subscription's URL"))),
        problem::StaffWriteErrors,
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: StrictJson<CreateWebhook>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let req = body.value;
    let mut e = Errors::default();
    if let Some(events) = &req.events {
        if events.is_empty() {
            e.add(
                "events",
                "must name at least one event type (or be left out for all)",
            );
        }
        if events.len() > rules::EVENT_TYPES.len() {
            e.add("events", "names more event types than there are");
        }
        for (i, ev) in events.iter().enumerate() {
            if !rules::EVENT_TYPES.contains(&ev.as_str()) {
                e.add(
                    format!("events[{i}]"),
                    format!("must be one of {}", rules::EVENT_TYPES.join(", ")),
                );
            } else if events[..i].contains(ev) {
                e.add(format!("events[{i}]"), "is named twice");
            }
        }
    }
    let description = e
        .opt_line("description", req.description.as_deref(), NOTE_MAX)
        .unwrap_or_default();
    if !e.is_empty() {
        return Err(AppError::Validation(e.0));
    }
    let allow_private = state.settings.webhooks.allow_private_networks;
    let url = crate::webhooks::check_target(&req.url, allow_private)
        .await
        .map_err(|e| refusal("url", e))?;
    let key: [u8; rules::SECRET_BYTES] = rand::random();
    let secret = rules::secret_text(&key);
    let actor = caller.username.clone();
    let events = req.events;
    let secret2 = secret.clone();
    let w = state
        .db(move |conn| {
            store::create(
                conn,
                NewWebhook {
                    url: url.as_str(),
                    events: events.as_deref(),
                    description: &description,
                    secret: &secret2,
                    actor: &actor,
                },
                db::now(),
            )
        })
        .await?;
    let location = format!("/api/v1/webhooks/{}", w.id);
    let events = w.event_list();
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .json(CreatedWebhook {
            id: w.id,
            url: w.url,
            events,
            description: w.description,
            secret,
            enabled: w.enabled,
            created_at: state.local(from_db(w.created_at)),
        }))
}

/// `GET /api/v1/webhooks` (admin).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    operation_id = "list_webhooks",
    tag = "integration",
    summary = "Every subscription (admin)",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The subscriptions, oldest first", body = ListResponse<WebhookView>),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
    )
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let all = state.db(store::list).await?;
    let total = all.len() as i64;
    let items: Vec<WebhookView> = all.into_iter().map(|w| view(&state, w)).collect();
    let page = crate::store::PageRequest {
        page: 1,
        per_page: total.max(1),
    };
    Ok(HttpResponse::Ok().json(ListResponse::new(items, page, total)))
}

async fn find(state: &AppState, id: i64) -> AppResult<Webhook> {
    state
        .db(move |conn| store::find(conn, id))
        .await?
        .ok_or_else(|| AppError::not_found("webhook"))
}

/// `GET /api/v1/webhooks/{id}` (admin).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    operation_id = "get_webhook",
    tag = "integration",
    summary = "One subscription (admin)",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The subscription's id", minimum = 1)),
    responses(
        (status = 200, description = "The subscription", body = WebhookView),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let w = find(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view(&state, w)))
}

/// `PATCH /api/v1/webhooks/{id}` (admin).
#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    operation_id = "update_webhook",
    tag = "integration",
    summary = "Turn a subscription off, or on again after failures (admin)",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The subscription's id", minimum = 1)),
    request_body = UpdateWebhook,
    responses(
        (status = 200, description = "The subscription", body = WebhookView),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 413, response = problem::PayloadTooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::ValidationFailed),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    body: StrictJson<UpdateWebhook>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let id = id.into_inner();
    let enabled = body.value.enabled;
    let reason = format!("turned off by {}", caller.username);
    let w = state
        .db(move |conn| store::set_enabled(conn, id, enabled, &reason, db::now()))
        .await?
        .ok_or_else(|| AppError::not_found("webhook"))?;
    Ok(HttpResponse::Ok().json(view(&state, w)))
}

/// `DELETE /api/v1/webhooks/{id}` (admin).
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    operation_id = "delete_webhook",
    tag = "integration",
    summary = "Unsubscribe (admin)",
    description = "Nothing more is queued for it; deliveries still waiting are given up.",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The subscription's id", minimum = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let id = id.into_inner();
    if !state
        .db(move |conn| store::delete(conn, id, db::now()))
        .await?
    {
        return Err(AppError::not_found("webhook"));
    }
    Ok(HttpResponse::NoContent().finish())
}

fn delivery_views(
    state: &AppState,
    conn: &mut db::DbConn,
    rows: Vec<DeliveryRow>,
) -> AppResult<Vec<DeliveryView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let events: Vec<i64> = rows.iter().filter_map(|r| r.event_id).collect();
    let attempts = store::last_attempts(conn, &ids)?;
    let refs = store::event_refs(conn, &events)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let last = attempts.iter().find(|a| a.0 == r.id);
            let event = r.event_id.and_then(|e| refs.iter().find(|x| x.0 == e));
            let waiting = matches!(r.status.as_str(), "pending" | "retrying");
            DeliveryView {
                id: r.id,
                webhook_id: r.message_id,
                event_type: r.subject,
                dossier_code: event.map(|e| e.1.clone()),
                seq: event.map(|e| e.2),
                status: r.status,
                attempts: r.attempts,
                created_at: state.local(from_db(r.created_at)),
                sent_at: r.sent_at.map(|t| state.local(from_db(t))),
                next_attempt_at: waiting.then(|| state.local(from_db(r.next_attempt_at))),
                last_error: r.last_error,
                last_status_code: last.and_then(|a| a.1),
                last_duration_ms: last.map(|a| a.2),
                last_attempt_at: last.map(|a| state.local(from_db(a.3))),
            }
        })
        .collect())
}

/// `GET /api/v1/webhooks/{id}/deliveries` (admin).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    operation_id = "list_webhook_deliveries",
    tag = "integration",
    summary = "The delivery log of a subscription, newest first (admin)",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The subscription's id", minimum = 1), PageQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = ListResponse<DeliveryView>),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 422, response = problem::ValidationFailed),
    )
)]
pub async fn deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i64>,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let id = id.into_inner();
    let page = q.request()?;
    find(&state, id).await?;
    let st = state.clone();
    let (items, total) = state
        .db(move |conn| {
            let p = store::deliveries(conn, id, page)?;
            Ok((delivery_views(&st, conn, p.items)?, p.total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListResponse::new(items, page, total)))
}

/// `POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/retry` (admin).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry",
    operation_id = "retry_webhook_delivery",
    tag = "integration",
    summary = "Send a delivery again now (admin)",
    description = "Queues it at once with its attempts counted from zero, under the same \
        `webhook-id` and body. A disabled subscription must be turned on first (409).",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "The subscription's id", minimum = 1),
        ("delivery_id" = i64, Path, description = "The delivery's id", minimum = 1),
    ),
    responses(
        (status = 202, description = "Queued", body = DeliveryView),
        (status = 400, response = problem::BadRequest),
        (status = 401, response = problem::Unauthorized),
        (status = 403, response = problem::Forbidden),
        (status = 404, response = problem::NotFound),
        (status = 409, response = problem::Conflict),
    )
)]
pub async fn retry(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Administer)?;
    let (id, delivery) = path.into_inner();
    let w = find(&state, id).await?;
    if !w.enabled {
        return Err(AppError::conflict(
            "the webhook is disabled: turn it on (PATCH enabled=true) before retrying",
        ));
    }
    let st = state.clone();
    let item = state
        .db(move |conn| {
            if !store::retry(conn, id, delivery, db::now())? {
                return Err(AppError::not_found("delivery"));
            }
            let row = store::delivery_row(conn, id, delivery)?
                .ok_or_else(|| AppError::not_found("delivery"))?;
            Ok(delivery_views(&st, conn, vec![row])?.pop())
        })
        .await?
        .ok_or_else(|| AppError::not_found("delivery"))?;
    Ok(HttpResponse::Accepted().json(item))
}
