//! The JSON API of rounds (批次): the authority's drafts, edits and publication under
//! `/api/v1/rounds`, and the published rounds anyone may read under `/api/v1/public/rounds`.

use super::error::ErrorBody;
use crate::context::AppState;
use crate::error::AppResult;
use crate::services::actor::Actor;
use crate::services::panel::{self, PanelAnalytics};
use crate::services::rounds::{self, RoundInput, RoundView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/rounds", get(list_rounds).post(create_round))
        .route("/api/v1/rounds/{id}", get(get_round).patch(update_round))
        .route("/api/v1/rounds/{id}/publish", post(publish_round))
        .route("/api/v1/rounds/{id}/analytics", get(panel_analytics))
        .route("/api/v1/public/rounds", get(list_public_rounds))
        .route("/api/v1/public/rounds/{id}", get(get_public_round))
}

/// The rounds of the caller's office (authority admins; anyone else finds none: 404), drafts
/// included, newest first.
#[utoipa::path(get, path = "/api/v1/rounds", tag = "rounds",
    responses((status = 200, body = Vec<RoundView>), (status = 404, body = ErrorBody)))]
pub async fn list_rounds(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Vec<RoundView>>> {
    Ok(Json(rounds::authority_rounds(&state, &actor).await?))
}

/// Draft a round of a scheme the caller's office runs (`scheme` required); a name is suggested
/// after the batch when none is given.
#[utoipa::path(post, path = "/api/v1/rounds", tag = "rounds", request_body = RoundInput,
    responses((status = 201, body = RoundView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_round(
    State(state): State<AppState>,
    actor: Actor,
    Json(input): Json<RoundInput>,
) -> AppResult<(StatusCode, Json<RoundView>)> {
    let id = rounds::create(&state, &actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(rounds::authority_round(&state, &actor, id).await?),
    ))
}

/// A round of the caller's office, with what a draft still lacks (`missing`).
#[utoipa::path(get, path = "/api/v1/rounds/{id}", tag = "rounds", params(("id" = i64, Path)),
    responses((status = 200, body = RoundView), (status = 404, body = ErrorBody)))]
pub async fn get_round(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<RoundView>> {
    Ok(Json(rounds::authority_round(&state, &actor, id).await?))
}

/// Change a round: a draft freely; a published round only in its deadlines, a later closing
/// date, its notice and contact (`409 round_locked` names the field otherwise). Fields left
/// out keep their values.
#[utoipa::path(patch, path = "/api/v1/rounds/{id}", tag = "rounds", params(("id" = i64, Path)), request_body = RoundInput,
    responses((status = 200, body = RoundView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_round(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<RoundInput>,
) -> AppResult<Json<RoundView>> {
    rounds::update(&state, &actor, id, &input).await?;
    Ok(Json(rounds::authority_round(&state, &actor, id).await?))
}

/// Publish a complete draft: its 申报通知 becomes public (`422 round_incomplete` lists what
/// is missing; `409 already_published`).
#[utoipa::path(post, path = "/api/v1/rounds/{id}/publish", tag = "rounds", params(("id" = i64, Path)),
    responses((status = 200, body = RoundView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish_round(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<RoundView>> {
    rounds::publish(&state, &actor, id).await?;
    Ok(Json(rounds::authority_round(&state, &actor, id).await?))
}

/// Published rounds, newest first (no account needed).
#[utoipa::path(get, path = "/api/v1/public/rounds", tag = "rounds",
    responses((status = 200, body = Vec<RoundView>)))]
pub async fn list_public_rounds(State(state): State<AppState>) -> AppResult<Json<Vec<RoundView>>> {
    Ok(Json(rounds::public_rounds(&state).await?))
}

/// A published round's notice (a draft is not found).
#[utoipa::path(get, path = "/api/v1/public/rounds/{id}", tag = "rounds", params(("id" = i64, Path)),
    responses((status = 200, body = RoundView), (status = 404, body = ErrorBody)))]
pub async fn get_public_round(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<RoundView>> {
    Ok(Json(rounds::public_round(&state, id).await?))
}

/// The analytics of a round's expert panel (its authority only): items whose submitted scores
/// diverge beyond the round's threshold, each expert's mean deviation from the others, and the
/// panel's agreement (Krippendorff's alpha, interval metric, formula in `alpha_formula`).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/analytics", tag = "rounds", params(("id" = i64, Path)),
    responses((status = 200, body = PanelAnalytics), (status = 404, body = ErrorBody)))]
pub async fn panel_analytics(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<PanelAnalytics>> {
    Ok(Json(panel::of_round(&state, &actor, id).await?))
}
