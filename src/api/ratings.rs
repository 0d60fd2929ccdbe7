//! The citizen's rating through the personal link, for other front-ends than the pages:
//! `GET` and `POST /api/v1/public/ratings/{token}`. No account: the token is the credential,
//! single use, and never logged (the access log prints the route pattern).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AppState, StrictJson};
use crate::domain::satisfaction::{self, Rating};
use crate::error::{AppError, AppResult};
use crate::openapi as problem;

/// `{rating, comment?}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateRequest {
    pub rating: Rating,
    /// At most 1000 characters.
    #[schema(max_length = 1000, example = "Cán bộ hướng dẫn tận tình.")]
    pub comment: Option<String>,
}

/// The rating as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingView {
    pub rating: Rating,
    pub comment: Option<String>,
    pub rated_at: DateTime<FixedOffset>,
}

/// What a personal link leads to.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingLinkView {
    #[schema(example = "000.00.24.H40-261125-0001")]
    pub dossier_code: String,
    pub procedure_name: String,
    pub returned_at: Option<DateTime<FixedOffset>>,
    /// Until when the link works (`rating.valid_days` after the return).
    pub expires_at: DateTime<FixedOffset>,
    /// Whether the dossier has been rated (a second rating is refused).
    pub rated: bool,
}

/// A rating's comment as stored, or the 422 naming `comment`.
pub fn checked_comment(comment: Option<&str>) -> AppResult<Option<String>> {
    satisfaction::comment(comment).map_err(|m| AppError::field("comment", m))
}

/// `GET /api/v1/public/ratings/{token}`.
#[utoipa::path(
    get,
    path = "/api/v1/public/ratings/{token}",
    operation_id = "public_rating_link",
    tag = "public",
    summary = "What a citizen's personal rating link leads to",
    description = "No account needed: the token from the link sent with the returned result \
        (`{public.base_url}/danh-gia/{token}`). An unknown and an expired link answer the same \
        404. Counts against `public.lookup_per_minute`, like the lookup.",
    params(("token" = String, Path, description = "The token of the personal link")),
    responses(
        (status = 200, description = "The dossier the link rates", body = RatingLinkView,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = problem::BadRequest),
        (status = 404, response = problem::NotFound),
        (status = 429, response = problem::TooManyRequests),
    )
)]
pub async fn link(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    state.public_budget(&req)?;
    let st = state.clone();
    let token = token.into_inner();
    let v = state
        .read(move |conn| crate::store::ratings::link(conn, &st.catalog, &token, crate::db::now()))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RatingLinkView {
            dossier_code: v.dossier_code,
            procedure_name: v.procedure_name,
            returned_at: v.returned_at.map(|t| state.local(t)),
            expires_at: state.local(v.expires_at),
            rated: v.rated,
        }))
}

/// `POST /api/v1/public/ratings/{token}`.
#[utoipa::path(
    post,
    path = "/api/v1/public/ratings/{token}",
    operation_id = "public_rate",
    tag = "public",
    summary = "The citizen rates the service through the personal link, once",
    description = "A dossier takes one rating: a second answers 409 `already_rated`. An unknown \
        and an expired link answer the same 404. Counts against `public.lookup_per_minute`.",
    params(("token" = String, Path, description = "The token of the personal link")),
    request_body = RateRequest,
    responses(
        (status = 201, description = "The rating as recorded", body = RatingView),
        (status = 400, response = problem::BadRequest),
        (status = 404, response = problem::NotFound),
        (status = 409, response = problem::Conflict),
        (status = 413, response = problem::PayloadTooLarge),
        (status = 415, response = problem::UnsupportedMediaType),
        (status = 422, response = problem::ValidationFailed),
        (status = 429, response = problem::TooManyRequests),
    )
)]
pub async fn rate(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    body: StrictJson<RateRequest>,
) -> AppResult<HttpResponse> {
    state.public_budget(&req)?;
    let body = body.value;
    let comment = checked_comment(body.comment.as_deref())?;
    let token = token.into_inner();
    let rating = body.rating;
    let r = state
        .db(move |conn| {
            crate::store::ratings::rate(conn, &token, rating, comment, crate::db::now())
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(RatingView {
            rating: r.rating,
            comment: r.comment,
            rated_at: state.local(r.rated_at),
        }))
}
