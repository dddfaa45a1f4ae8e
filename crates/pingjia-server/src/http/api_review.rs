//! The JSON API of the review chain: decisions on one application or several, the timeline,
//! what changed between versions, confirmed values, and the reviewer's queue. Registered in the
//! OpenAPI document by `api::ApiDoc`.

use super::error::ErrorBody;
use crate::context::AppState;
use crate::error::AppResult;
use crate::services::actor::Actor;
use crate::services::assessment::Assessment;
use crate::services::recommendations;
use crate::services::review::{
    self, BulkResult, Changes, Confirmation, ConfirmedRecord, Decided, Decision, TimelineEntry,
};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/applications/{id}/decisions", post(decide))
        .route("/api/v1/decisions", post(decide_many))
        .route("/api/v1/applications/{id}/actions", get(actions))
        .route("/api/v1/applications/{id}/timeline", get(timeline))
        .route("/api/v1/applications/{id}/changes", get(changes))
        .route(
            "/api/v1/applications/{id}/confirmations",
            get(confirmations).post(confirm),
        )
        .route("/api/v1/review/queue", get(queue))
        .route("/api/v1/applications/{id}/rank", post(set_rank))
        .route(
            "/api/v1/rounds/{id}/recommendations.xlsx",
            get(recommendations_xlsx),
        )
        .route(
            "/api/v1/rounds/{id}/recommendations.csv",
            get(recommendations_csv),
        )
}

/// Take a decision on an application: `pass`, `recommend` (with `opinion`, `rank`), `return`
/// (with `comment`, `criterion_comments`, `respond_by`), `return_to_recommender`, `reject`
/// (with `comment`), or the applicant's `withdraw`. Refusals: 403 `forbidden` (not this
/// office's step), 409 with the workflow's code (`wrong_state`, `no_city_level`,
/// `city_level_required` …), 422 `comment_required` or `invalid`.
#[utoipa::path(post, path = "/api/v1/applications/{id}/decisions", tag = "review", params(("id" = i64, Path)),
    request_body = Decision,
    responses((status = 200, body = Decided), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(decision): Json<Decision>,
) -> AppResult<Json<Decided>> {
    Ok(Json(review::decide(&state, &actor, id, &decision).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkDecision {
    /// The applications (1 to 200).
    pub ids: Vec<i64>,
    pub decision: Decision,
}

/// The same decision for several applications (e.g. the city's bulk recommendation), each its
/// own command: the answer lists each application's new state or refusal.
#[utoipa::path(post, path = "/api/v1/decisions", tag = "review", request_body = BulkDecision,
    responses((status = 200, body = Vec<BulkResult>), (status = 422, body = ErrorBody)))]
pub async fn decide_many(
    State(state): State<AppState>,
    actor: Actor,
    Json(request): Json<BulkDecision>,
) -> AppResult<Json<Vec<BulkResult>>> {
    Ok(Json(
        review::decide_many(&state, &actor, &request.ids, &request.decision).await?,
    ))
}

/// The decisions the caller may take on the application now.
#[utoipa::path(get, path = "/api/v1/applications/{id}/actions", tag = "review", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<String>), (status = 404, body = ErrorBody)))]
pub async fn actions(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<&'static str>>> {
    let application = crate::services::applications::detail(&state, &actor, id)
        .await?
        .application;
    Ok(Json(
        review::actions(&state, &actor, &application)
            .await?
            .into_iter()
            .map(|a| a.as_str())
            .collect(),
    ))
}

/// Every step of the application's life: when, what, which office (never a reviewer's
/// personal name), the comment and the comments on criteria.
#[utoipa::path(get, path = "/api/v1/applications/{id}/timeline", tag = "review", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<TimelineEntry>), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<TimelineEntry>>> {
    Ok(Json(review::timeline(&state, &actor, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ChangesQuery {
    /// The earlier version.
    pub from: i64,
    /// The later version.
    pub to: i64,
}

/// What changed between two versions the caller may see: declared values and evidence.
#[utoipa::path(get, path = "/api/v1/applications/{id}/changes", tag = "review", params(("id" = i64, Path), ChangesQuery),
    responses((status = 200, body = Changes), (status = 404, body = ErrorBody)))]
pub async fn changes(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Query(query): Query<ChangesQuery>,
) -> AppResult<Json<Changes>> {
    Ok(Json(
        review::changes(&state, &actor, id, query.from, query.to).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ConfirmationsQuery {
    /// The version (default: the latest the caller may see).
    pub version: Option<i64>,
}

/// Every confirmation of a version's values, oldest first, with the one in force marked.
#[utoipa::path(get, path = "/api/v1/applications/{id}/confirmations", tag = "review", params(("id" = i64, Path), ConfirmationsQuery),
    responses((status = 200, body = Vec<ConfirmedRecord>), (status = 404, body = ErrorBody)))]
pub async fn confirmations(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Query(query): Query<ConfirmationsQuery>,
) -> AppResult<Json<Vec<ConfirmedRecord>>> {
    let version = match query.version {
        Some(version) => version,
        None => {
            crate::services::applications::detail(&state, &actor, id)
                .await?
                .version
                .number
        }
    };
    Ok(Json(
        review::confirmations(&state, &actor, id, version).await?,
    ))
}

/// Confirm or correct one declared value (the office reviewing the application now): the
/// grade is recomputed from the confirmed values at once.
#[utoipa::path(post, path = "/api/v1/applications/{id}/confirmations", tag = "review", params(("id" = i64, Path)),
    request_body = Confirmation,
    responses((status = 200, body = Assessment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(confirmation): Json<Confirmation>,
) -> AppResult<Json<Assessment>> {
    Ok(Json(
        review::confirm(&state, &actor, id, &confirmation).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueCount {
    pub state: &'static str,
    pub label: &'static str,
    pub count: i64,
}

/// How many applications the reviewer sees in each state (待初审 12 …).
#[utoipa::path(get, path = "/api/v1/review/queue", tag = "review",
    responses((status = 200, body = Vec<QueueCount>)))]
pub async fn queue(
    State(state): State<AppState>,
    actor: Actor,
) -> AppResult<Json<Vec<QueueCount>>> {
    Ok(Json(
        review::queue_counts(&state, &actor)
            .await?
            .into_iter()
            .map(|(s, count)| QueueCount {
                state: s.as_str(),
                label: s.label_zh(),
                count,
            })
            .collect(),
    ))
}

/// The 汇总推荐表 of a round: the recommendations made inside the caller's region (a city's,
/// a directly recommending county's, or every office's for the authority), in 推荐顺序, as
/// xlsx (sheet 「汇总推荐表」 and sheet 「指标明细」 with every value declared and confirmed).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/recommendations.xlsx", tag = "review", params(("id" = i64, Path)),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
pub async fn recommendations_xlsx(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<axum::response::Response> {
    download(recommendations::table(&state, &actor, id, recommendations::Format::Xlsx).await?)
}

/// The same list as CSV (UTF-8 with a byte-order mark).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/recommendations.csv", tag = "review", params(("id" = i64, Path)),
    responses((status = 200, description = "the list", content_type = "text/csv"), (status = 404, body = ErrorBody)))]
pub async fn recommendations_csv(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<axum::response::Response> {
    download(recommendations::table(&state, &actor, id, recommendations::Format::Csv).await?)
}

fn download(file: recommendations::Download) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse as _;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, file.media_type.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                super::extract::content_disposition(&file.filename),
            ),
        ],
        file.bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RankChange {
    /// The new place among the office's recommendations of the round (1 first).
    pub rank: i64,
}

/// Move a recommended application to another place among the recommending office's
/// recommendations (推荐顺序), while it is under expert review.
#[utoipa::path(post, path = "/api/v1/applications/{id}/rank", tag = "review", params(("id" = i64, Path)),
    request_body = RankChange,
    responses((status = 204, description = "reordered"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_rank(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(change): Json<RankChange>,
) -> AppResult<axum::http::StatusCode> {
    review::set_rank(&state, &actor, id, change.rank).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
