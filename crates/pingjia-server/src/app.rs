//! The application: shared state, the router (API, pages, OpenAPI UI), security headers,
//! body limits, and serving with graceful shutdown.

use crate::config::Config;
use crate::db::Db;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use pingjia_core::Catalog;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi as _;

/// The time source: Unix seconds. Tests inject a fixed or moving clock.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

#[expect(
    missing_debug_implementations,
    reason = "the clock is a closure; AppState's Debug shows the configuration"
)]
pub struct Inner {
    pub db: Db,
    pub config: Config,
    pub catalog: Catalog,
    pub clock: Clock,
    pub pages: crate::pages::Templates,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

impl AppState {
    pub fn new(db: Db, config: Config, clock: Clock) -> anyhow::Result<AppState> {
        let catalog = Catalog::builtin().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(AppState(Arc::new(Inner {
            db,
            config,
            catalog,
            clock,
            pages: crate::pages::Templates::new()?,
        })))
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}

/// The whole application as one router.
pub fn router(state: AppState) -> axum::Router {
    let upload_limit = state.config.max_upload_bytes as usize + 1024 * 1024;
    let swagger = utoipa_swagger_ui::SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", crate::api::ApiDoc::openapi());
    axum::Router::new()
        .merge(crate::api::routes())
        .merge(crate::pages::routes())
        .with_state(state)
        .merge(swagger)
        .layer(DefaultBodyLimit::max(upload_limit))
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

/// Serves until Ctrl-C or SIGTERM, finishing requests in flight.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
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
