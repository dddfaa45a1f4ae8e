//! The one error type of the application: a stable machine code, a message for people (Chinese,
//! then ` / ` and English), and the HTTP status it answers with (a number, so that services
//! need not name the HTTP layer). Unexpected errors are logged with context and shown as a
//! generic 500.

#[derive(Debug)]
pub struct AppError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn unauthenticated() -> AppError {
        AppError::new(401, "unauthenticated", "请先登录 / please sign in")
    }
    /// Also used when an object exists but may not be seen: the answer does not reveal which.
    pub fn not_found() -> AppError {
        AppError::new(404, "not_found", "对象不存在或无权访问 / not found")
    }
    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(403, "forbidden", message)
    }
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(422, "invalid_input", message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(409, code, message)
    }
    pub fn internal(error: impl std::fmt::Display) -> AppError {
        tracing::error!(%error, "internal error");
        AppError::new(
            500,
            "internal",
            "服务器内部错误，请稍后再试 / internal error",
        )
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> AppError {
        if matches!(error, sqlx::Error::RowNotFound) {
            // A row that vanished between two reads (removed concurrently) is missing, not a
            // fault of the server.
            return AppError::not_found();
        }
        AppError::internal(format!("database: {error}"))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> AppError {
        AppError::internal(format!("{error:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_that_vanished_is_missing_not_a_fault() {
        let error = AppError::from(sqlx::Error::RowNotFound);
        assert_eq!((error.status, error.code), (404, "not_found"));
        let error = AppError::from(sqlx::Error::PoolTimedOut);
        assert_eq!((error.status, error.code), (500, "internal"));
    }
}
