//! The one error type of the web layer: a stable machine code, a Chinese message for people,
//! and an HTTP status. Unexpected errors are logged with context and shown as a generic 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `not_found`, `invalid_input`, `csrf_failed`.
    pub error: String,
    pub message: String,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn unauthenticated() -> AppError {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "请先登录 / please sign in",
        )
    }
    /// Also used when an object exists but may not be seen: the answer does not reveal which.
    pub fn not_found() -> AppError {
        AppError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "对象不存在或无权访问 / not found",
        )
    }
    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::CONFLICT, code, message)
    }
    pub fn internal(error: impl std::fmt::Display) -> AppError {
        tracing::error!(%error, "internal error");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，请稍后再试 / internal error",
        )
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> AppError {
        AppError::internal(format!("database: {error}"))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> AppError {
        AppError::internal(format!("{error:#}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
        };
        (self.status, axum::Json(body)).into_response()
    }
}
