//! The public audit log (no account needed; docs/audit.md): the last signed checkpoint, the
//! public key, the export of entries and the inclusion and consistency proofs, over
//! `services::audit`; in `ApiDoc`.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, ConsistencyProof, EntryPage, InclusionProof};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use serde::Deserialize;
use utoipa::IntoParams;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/public/audit/checkpoint", get(checkpoint))
        .route("/api/v1/public/audit/key", get(key))
        .route("/api/v1/public/audit/entries", get(entries))
        .route("/api/v1/public/audit/proof/inclusion", get(inclusion))
        .route("/api/v1/public/audit/proof/consistency", get(consistency))
}

fn plain_text(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// The last signed checkpoint of the audit log: a C2SP signed note (origin, size, base64 root,
/// a blank line, the Ed25519 signature line); 404 before the first.
#[utoipa::path(get, path = "/api/v1/public/audit/checkpoint", tag = "audit",
    responses((status = 200, description = "text/plain: the signed note"), (status = 404, body = super::error::ErrorBody)))]
pub async fn checkpoint(State(state): State<AppState>) -> AppResult<Response> {
    let latest = audit::latest_checkpoint(&state)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(plain_text(latest.note))
}

/// The key checkpoints are signed with, as a note verifier key `<name>+<id>+<base64>`.
#[utoipa::path(get, path = "/api/v1/public/audit/key", tag = "audit",
    responses((status = 200, description = "text/plain: the verifier key")))]
pub async fn key(State(state): State<AppState>) -> AppResult<Response> {
    Ok(plain_text(format!("{}\n", audit::verifier_key(&state)?)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RangeQuery {
    /// The first position (default 0).
    pub start: Option<i64>,
    /// The position after the last (default and at most `start` + 1000).
    pub end: Option<i64>,
}

/// Entries `start..end` of the log with their leaf hashes; details in clear only for the
/// public actions, otherwise their salted commitment.
#[utoipa::path(get, path = "/api/v1/public/audit/entries", tag = "audit", params(RangeQuery),
    responses((status = 200, body = EntryPage)))]
pub async fn entries(
    State(state): State<AppState>,
    Query(query): Query<RangeQuery>,
) -> AppResult<Json<EntryPage>> {
    Ok(Json(audit::entries(&state, query.start, query.end).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InclusionQuery {
    pub index: i64,
    /// The tree's size (default: the last checkpoint's).
    pub size: Option<i64>,
}

/// That entry `index` is in the tree of `size` entries (RFC 9162 §2.1.3).
#[utoipa::path(get, path = "/api/v1/public/audit/proof/inclusion", tag = "audit", params(InclusionQuery),
    responses((status = 200, body = InclusionProof), (status = 422, body = super::error::ErrorBody)))]
pub async fn inclusion(
    State(state): State<AppState>,
    Query(query): Query<InclusionQuery>,
) -> AppResult<Json<InclusionProof>> {
    Ok(Json(
        audit::inclusion(&state, query.index, query.size).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ConsistencyQuery {
    pub from: i64,
    /// The newer tree's size (default: the last checkpoint's).
    pub to: Option<i64>,
}

/// That the tree of `from` entries is a prefix of the tree of `to` entries (RFC 9162 §2.1.4).
#[utoipa::path(get, path = "/api/v1/public/audit/proof/consistency", tag = "audit", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 422, body = super::error::ErrorBody)))]
pub async fn consistency(
    State(state): State<AppState>,
    Query(query): Query<ConsistencyQuery>,
) -> AppResult<Json<ConsistencyProof>> {
    Ok(Json(
        audit::consistency(&state, query.from, query.to).await?,
    ))
}
