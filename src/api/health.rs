//! Liveness and readiness.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;
use serde_json::json;

use super::AppState;
use crate::error::AppError;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let result = state
        .db(|conn| conn.batch_execute("SELECT 1").map_err(AppError::from))
        .await;
    match result {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready", "database": "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            actix_web::ResponseError::error_response(&AppError::Unavailable(
                "the database is not reachable".into(),
            ))
        }
    }
}
