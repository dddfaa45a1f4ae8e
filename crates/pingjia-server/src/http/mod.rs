//! The HTTP layer: the router (API, pages, OpenAPI UI), security headers, body limits, the
//! `Actor` extractor, cookies and CSRF, and serving with graceful shutdown. Handlers parse the
//! request, call one service function and shape its answer; no rule lives here.

pub mod api;
pub mod api_accounts;
pub mod api_audit;
pub mod api_certificates;
pub mod api_decisions;
pub mod api_directory;
pub mod api_experts;
pub mod api_pool;
pub mod api_regrade;
pub mod api_review;
pub mod api_rounds;
pub mod api_spreadsheets;
pub mod error;
pub mod extract;
pub mod pages;

use crate::context::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi as _;

/// The whole application as one router.
/// The largest request body of any route but the uploads (JSON and forms): a declaration is
/// at most 1 MB of JSON (`services::applications::MAX_DECLARATION_BYTES`), with room for the
/// rest of a request. Upload routes lift it and count the file's bytes as they arrive
/// (`extract::read_upload`).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The Content-Security-Policy of every page: scripts and styles only from this origin (the
/// pages carry no inline script or style attribute), no framing, forms only to this origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn router(state: AppState) -> axum::Router {
    let swagger = utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", api::ApiDoc::openapi());
    axum::Router::new()
        .merge(api::routes())
        .merge(api_rounds::routes())
        .merge(api_regrade::routes())
        .merge(api_review::routes())
        .merge(api_spreadsheets::routes())
        .merge(api_accounts::routes())
        .merge(api_experts::routes())
        .merge(api_decisions::routes())
        .merge(api_directory::routes())
        .merge(api_pool::routes())
        .merge(api_audit::routes())
        .merge(api_certificates::routes())
        .merge(pages::routes())
        .with_state(state)
        .merge(swagger)
        .layer(axum::middleware::from_fn(api_errors))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// Headers that depend on the request: the Content-Security-Policy (the interactive API
/// documentation under `/api/docs` runs its own inline script and is left without one), and
/// `Cache-Control: no-store` on every answer to an authenticated request (a session cookie or
/// a bearer token), unless the handler chose its own.
async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let documentation = request.uri().path().starts_with("/api/docs");
    let authenticated = request.headers().contains_key(header::AUTHORIZATION)
        || extract::cookie(request.headers(), extract::SESSION_COOKIE).is_some();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !documentation {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    if authenticated && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Every error of the JSON API is `{"error": code, "message": …}`, including the answers that
/// the framework gives before a handler runs (a body that is not JSON, a path parameter that is
/// not a number, a query string that does not parse, an unknown method): those arrive as plain
/// text and are rewritten here, keeping their status.
async fn api_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let path = request.uri().path();
    let api = path.starts_with("/api/") && !path.starts_with("/api/docs");
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, message) = match status.as_u16() {
        400 => ("bad_request", "请求格式不正确 / malformed request"),
        405 => (
            "method_not_allowed",
            "不支持该请求方式 / method not allowed",
        ),
        413 => ("payload_too_large", "请求内容过大 / request body too large"),
        415 => (
            "unsupported_media_type",
            "请以 application/json 提交 / send application/json",
        ),
        422 => (
            "invalid_input",
            "请求内容无法识别 / the request body does not match",
        ),
        _ if status.is_server_error() => {
            ("internal", "服务器内部错误，请稍后再试 / internal error")
        }
        _ => ("bad_request", "请求无效 / invalid request"),
    };
    let error = match status.as_u16() {
        404 => crate::error::AppError::not_found(),
        other => crate::error::AppError::new(other, code, message),
    };
    let mut answer = error.into_response();
    // Keep what the framework said about the request (e.g. `Allow` on a 405).
    if let Some(allow) = response.headers().get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer
}

/// Serves until Ctrl-C or SIGTERM, finishing requests in flight.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    pages::Templates::new()?;
    tokio::spawn(run_jobs(state.clone()));
    tokio::spawn(run_checkpoints(state.clone()));
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

/// The named jobs, run once at start and then every hour, each with today's date passed in:
/// `deadline_reminders` (`services::review::remind_deadlines`) and the pool's
/// (`services::pool::JOBS`: `member_expiry`, `renewal_reminders`, `legacy_deadline`). Every job is idempotent,
/// so a restart, a second instance or `pingjia jobs run` from cron sends nothing twice.
async fn run_jobs(state: AppState) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        match crate::services::review::remind_deadlines(&state, state.today()).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "deadline_reminders"),
            Err(error) => tracing::warn!(?error, "deadline_reminders failed"),
        }
        for job in crate::services::pool::JOBS {
            match crate::services::pool::run(&state, job, state.today()).await {
                Ok(Some(run)) if run.done > 0 => tracing::info!(done = run.done, "{job}"),
                Ok(_) => {}
                Err(error) => tracing::warn!(?error, "{job} failed"),
            }
        }
    }
}

/// The job `audit_checkpoint` (`services::audit::checkpoint_job`): a signed checkpoint of the
/// audit log's new entries every `audit_checkpoint_seconds`.
async fn run_checkpoints(state: AppState) {
    let seconds = state.config.audit_checkpoint_seconds.max(1);
    let mut every = tokio::time::interval(std::time::Duration::from_secs(seconds));
    loop {
        every.tick().await;
        crate::services::audit::checkpoint_job(&state).await;
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
