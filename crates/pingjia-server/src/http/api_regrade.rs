//! The API of the impact analysis (`/api/v1/regrade`): a new scheme version against the
//! caller's pool, as JSON (one page of the movers) or CSV (every member), in `ApiDoc`.

use super::error::ErrorBody;
use super::extract;
use crate::context::AppState;
use crate::error::AppResult;
use crate::services::actor::Actor;
use crate::services::regrade::{self, Impact, Request};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use utoipa::IntoParams;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/regrade", get(impact))
        .route("/api/v1/regrade.csv", get(impact_csv))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RegradeQuery {
    /// The scheme version the members were graded under (`jiangsu-pool-2021`).
    pub from: Option<String>,
    /// The version to re-grade them under: a version of the same standard.
    pub to: Option<String>,
    /// Only the members moving this way: `up`, `down`, `out` or `in`.
    pub direction: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// Impact analysis: every active pool member of the caller's region graded under `from`,
/// re-graded under `to` (a version of the same standard), with the counts per grade before
/// and after, how many move each way, and one page of the movers with the criteria that move
/// them. An authority only; anyone else 404. Unknown or unrelated versions, a bad direction or
/// page: 422.
#[utoipa::path(get, path = "/api/v1/regrade", tag = "pool", params(RegradeQuery),
    responses((status = 200, body = Impact), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn impact(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<RegradeQuery>,
) -> AppResult<Json<Impact>> {
    let page = crate::services::page(query.page.as_deref(), query.per_page.as_deref())?;
    Ok(Json(
        regrade::impact(
            &state,
            &actor,
            &Request {
                from: query.from.as_deref().unwrap_or_default(),
                to: query.to.as_deref().unwrap_or_default(),
                direction: query.direction.as_deref(),
                page,
            },
        )
        .await?,
    ))
}

/// The whole impact analysis as CSV (UTF-8 with BOM): every member, those who keep their
/// grade included. As `/api/v1/regrade` for who may and what is refused.
#[utoipa::path(get, path = "/api/v1/regrade.csv", tag = "pool", params(RegradeQuery),
    responses((status = 200, description = "text/csv"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn impact_csv(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<RegradeQuery>,
) -> AppResult<Response> {
    let file = regrade::csv(
        &state,
        &actor,
        query.from.as_deref().unwrap_or_default(),
        query.to.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.media_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                extract::content_disposition(&file.filename),
            ),
        ],
        file.bytes,
    )
        .into_response())
}
