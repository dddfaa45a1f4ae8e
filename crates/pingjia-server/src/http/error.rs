//! How an [`AppError`] answers over HTTP: its status and `{"error": code, "message": …}`.

use crate::error::AppError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The body of every error answer of the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `not_found`, `invalid_input`, `csrf_failed`.
    pub error: String,
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = status_of(&self);
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
        };
        (status, axum::Json(body)).into_response()
    }
}

/// The HTTP status of an error.
pub fn status_of(error: &AppError) -> StatusCode {
    StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
