//! Liveness and readiness.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::error::AppError;
use crate::openapi as problem;

/// The process answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process answers and its database too.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: &'static str,
    #[schema(example = "ok")]
    pub database: &'static str,
}

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "health",
    summary = "Liveness: the process answers",
    responses((status = 200, description = "The process is up", body = Health))
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "health",
    summary = "Readiness: the database answers",
    responses(
        (status = 200, description = "The database answers", body = Readiness),
        (status = 503, response = problem::ServiceUnavailable),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let result = state
        .db(|conn| conn.batch_execute("SELECT 1").map_err(AppError::from))
        .await;
    match result {
        Ok(()) => HttpResponse::Ok().json(Readiness {
            status: "ready",
            database: "ok",
        }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            actix_web::ResponseError::error_response(&AppError::Unavailable(
                "the database is not reachable".into(),
            ))
        }
    }
}
