//! The one error type of the service and its one mapping to RFC 9457 problem+json.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::validation::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method; `allow` lists the methods it has.
    #[error("{method} is not allowed here; allowed: {allow}")]
    MethodNotAllowed { method: String, allow: String },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("this Idempotency-Key was used before with a different request")]
    IdempotencyMismatch,
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// An uploaded file over a limit (`files.max_bytes`, the dossier's total).
    #[error("{0}")]
    FileTooLarge(String),
    /// An uploaded file whose content is not of an accepted media type.
    #[error("{0}")]
    FileTypeRefused(String),
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    /// `Accept` or `?format=` asks for a representation the resource does not have.
    #[error("{0}")]
    NotAcceptable(String),
    #[error("too many requests; retry after {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the database is unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        AppError::Conflict {
            code: "conflict",
            detail: detail.into(),
        }
    }

    /// The full cause, for operators (logs, the command line); clients get `to_string()`.
    pub fn cause(&self) -> String {
        match self {
            AppError::Internal(cause) | AppError::Unavailable(cause) => cause.clone(),
            other => other.to_string(),
        }
    }

    /// The stable snake_case code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::MalformedJson(_) => "malformed_json",
            AppError::Validation(_) => "validation_failed",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed { .. } => "method_not_allowed",
            AppError::Conflict { code, .. } => code,
            AppError::PreconditionFailed(_) => "precondition_failed",
            AppError::IdempotencyMismatch => "idempotency_key_reused",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::FileTooLarge(_) => "payload_too_large",
            AppError::FileTypeRefused(_) => "unsupported_media_type",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::NotAcceptable(_) => "not_acceptable",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable(_) => "service_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::MalformedJson(_) => "Malformed JSON",
            AppError::Validation(_) => "Validation failed",
            AppError::BadRequest(_) => "Bad request",
            AppError::Unauthorized(_) => "Unauthorized",
            AppError::Forbidden(_) => "Forbidden",
            AppError::NotFound(_) => "Not found",
            AppError::MethodNotAllowed { .. } => "Method not allowed",
            AppError::Conflict { .. } => "Conflict",
            AppError::PreconditionFailed(_) => "Precondition failed",
            AppError::IdempotencyMismatch => "Idempotency key reused",
            AppError::PayloadTooLarge(_) => "Payload too large",
            AppError::FileTooLarge(_) => "Payload too large",
            AppError::FileTypeRefused(_) => "Unsupported media type",
            AppError::UnsupportedMediaType => "Unsupported media type",
            AppError::NotAcceptable(_) => "Not acceptable",
            AppError::RateLimited { .. } => "Too many requests",
            AppError::Unavailable(_) => "Service unavailable",
            AppError::Internal(_) => "Internal server error",
        }
    }
}

/// The problem+json body (RFC 9457) with motcua's `code` and, for validation, `errors`.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::MalformedJson(_) | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) | AppError::IdempotencyMismatch => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::FileTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::FileTypeRefused(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            // The cause is logged, never shown: it may name tables, hosts or data.
            AppError::Internal(cause) | AppError::Unavailable(cause) => {
                tracing::error!(code = self.code(), cause = %cause, "request failed");
                self.to_string()
            }
            AppError::Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("invalid fields: {}", fields.join(", "))
            }
            other => other.to_string(),
        };
        let body = Problem {
            type_: format!("urn:motcua:problem:{}", self.code()),
            title: self.title().into(),
            status: status.as_u16(),
            detail,
            code: self.code().into(),
            errors: match self {
                AppError::Validation(e) => Some(e.clone()),
                _ => None,
            },
        };
        let mut resp = HttpResponse::build(status);
        resp.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            AppError::Unauthorized(_) => {
                resp.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"motcua\""),
                ));
            }
            AppError::RateLimited { retry_after_secs } => {
                resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::MethodNotAllowed { allow, .. } if !allow.is_empty() => {
                if let Ok(v) = HeaderValue::from_str(allow) {
                    resp.insert_header((header::ALLOW, v));
                }
            }
            _ => {}
        }
        resp.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            Error::NotFound => AppError::not_found("resource"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::conflict("a resource with the same identifier already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => AppError::conflict(
                "the request refers to something that does not exist or is still in use",
            ),
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::conflict("a concurrent change interfered; retry the request")
            }
            _ => AppError::Internal(e.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
