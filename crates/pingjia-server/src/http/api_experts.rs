//! The JSON API of experts: the authority's pool (`/api/v1/experts`), a round's panel and
//! automatic assignment, an application's experts, conflicts, reviews reopened and site
//! visits; and the expert's own assignments under `/api/v1/expert/assignments`. Registered in
//! `ApiDoc`.

use super::api::Paging;
use super::error::ErrorBody;
use crate::context::AppState;
use crate::error::AppResult;
use crate::services::actor::Actor;
use crate::services::experts::{
    self, ApplicationExperts, AssignRequest, AutoAssigned, ConflictDecision, Declaration,
    ExpertInput, ExpertListing, ExpertView, Imported, PanelSettings, RelationInput, Reopen, Review,
    ReviewInput, SiteVisitInput, Task,
};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::handler::Handler as _;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/experts", get(list_experts).post(create_expert))
        .route(
            "/api/v1/experts/import",
            post(import_experts.layer(DefaultBodyLimit::disable())),
        )
        .route("/api/v1/experts/template.csv", get(template_csv))
        .route("/api/v1/experts/template.xlsx", get(template_xlsx))
        .route("/api/v1/experts/{id}", get(get_expert).put(update_expert))
        .route("/api/v1/experts/{id}/relations", post(add_relation))
        .route(
            "/api/v1/experts/{id}/relations/{relation}",
            delete(remove_relation),
        )
        .route("/api/v1/rounds/{id}/panel", get(get_panel).put(set_panel))
        .route("/api/v1/rounds/{id}/assignments", post(auto_assign))
        .route(
            "/api/v1/applications/{id}/experts",
            get(application_experts).post(assign),
        )
        .route(
            "/api/v1/applications/{id}/experts/{expert}",
            delete(unassign),
        )
        .route(
            "/api/v1/applications/{id}/experts/{expert}/reopen",
            post(reopen),
        )
        .route("/api/v1/applications/{id}/conflicts", post(decide_conflict))
        .route("/api/v1/applications/{id}/site-visits", post(site_visit))
        .route(
            "/api/v1/applications/{id}/site-visits/{visit}/files",
            post(site_visit_file.layer(DefaultBodyLimit::disable())),
        )
        .route(
            "/api/v1/applications/{id}/site-visit-files/{file}",
            get(download_site_visit_file),
        )
        .route("/api/v1/expert/assignments", get(tasks))
        .route("/api/v1/expert/assignments/{id}", get(task))
        .route("/api/v1/expert/assignments/{id}/declaration", post(declare))
        .route(
            "/api/v1/expert/assignments/{id}/review",
            get(review).put(save_review),
        )
        .route(
            "/api/v1/expert/assignments/{id}/submit",
            post(submit_review),
        )
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExpertQuery {
    /// Part of the name or the employer.
    pub q: Option<String>,
    /// true: active only; false: inactive only.
    pub active: Option<bool>,
}

/// The caller's expert pool (authority admins), by name, paged.
#[utoipa::path(get, path = "/api/v1/experts", tag = "experts", params(Paging, ExpertQuery),
    responses((status = 200, body = ExpertListing), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_experts(
    State(state): State<AppState>,
    actor: Actor,
    Query(paging): Query<Paging>,
    Query(query): Query<ExpertQuery>,
) -> AppResult<Json<ExpertListing>> {
    let page = crate::services::page(paging.page.as_deref(), paging.per_page.as_deref())?;
    Ok(Json(
        experts::list(&state, &actor, query.q.as_deref(), query.active, page).await?,
    ))
}

/// Add an expert to the caller's pool (the employer's credit code is checked; `username`
/// links an expert account of the caller's region).
#[utoipa::path(post, path = "/api/v1/experts", tag = "experts", request_body = ExpertInput,
    responses((status = 201, body = ExpertView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_expert(
    State(state): State<AppState>,
    actor: Actor,
    Json(input): Json<ExpertInput>,
) -> AppResult<(StatusCode, Json<ExpertView>)> {
    let id = experts::create(&state, &actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(experts::get(&state, &actor, id).await?),
    ))
}

/// An expert of the caller's pool, with its relations.
#[utoipa::path(get, path = "/api/v1/experts/{id}", tag = "experts", params(("id" = i64, Path)),
    responses((status = 200, body = ExpertView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_expert(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<ExpertView>> {
    Ok(Json(experts::get(&state, &actor, id).await?))
}

/// Change an expert of the caller's pool (every field as given; `active: false` takes it out
/// of future assignments).
#[utoipa::path(put, path = "/api/v1/experts/{id}", tag = "experts", params(("id" = i64, Path)), request_body = ExpertInput,
    responses((status = 200, body = ExpertView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_expert(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<ExpertInput>,
) -> AppResult<Json<ExpertView>> {
    experts::update(&state, &actor, id, &input).await?;
    Ok(Json(experts::get(&state, &actor, id).await?))
}

/// Declare a relation of an expert: a former employer (with dates), a shareholding, a
/// relative at an organisation (by credit code).
#[utoipa::path(post, path = "/api/v1/experts/{id}/relations", tag = "experts", params(("id" = i64, Path)), request_body = RelationInput,
    responses((status = 201, body = ExpertView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_relation(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<RelationInput>,
) -> AppResult<(StatusCode, Json<ExpertView>)> {
    experts::add_relation(&state, &actor, id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(experts::get(&state, &actor, id).await?),
    ))
}

/// Remove a relation of an expert.
#[utoipa::path(delete, path = "/api/v1/experts/{id}/relations/{relation}", tag = "experts",
    params(("id" = i64, Path), ("relation" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_relation(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, relation)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    experts::remove_relation(&state, &actor, id, relation).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A round's panel (experts per application, former-employment window, same county / city).
#[utoipa::path(get, path = "/api/v1/rounds/{id}/panel", tag = "experts", params(("id" = i64, Path)),
    responses((status = 200, body = PanelSettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_panel(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<PanelSettings>> {
    Ok(Json(experts::panel(&state, &actor, id).await?))
}

/// Set a round's panel.
#[utoipa::path(put, path = "/api/v1/rounds/{id}/panel", tag = "experts", params(("id" = i64, Path)), request_body = PanelSettings,
    responses((status = 200, body = PanelSettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_panel(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(settings): Json<PanelSettings>,
) -> AppResult<Json<PanelSettings>> {
    Ok(Json(
        experts::set_panel(&state, &actor, id, &settings).await?,
    ))
}

/// Assign experts automatically to every application of the round under expert review, up to
/// the panel's size: conflicts excluded, matching specialties first, then the lightest load,
/// then the lowest id; each choice and exclusion explained.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/assignments", tag = "experts", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AutoAssigned>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn auto_assign(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<AutoAssigned>>> {
    Ok(Json(experts::auto_assign(&state, &actor, id).await?))
}

/// An application's experts: assignments, and every assignable expert of the pool with the
/// conflicts found, specialty match and load; site visits.
#[utoipa::path(get, path = "/api/v1/applications/{id}/experts", tag = "experts", params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationExperts), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn application_experts(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<ApplicationExperts>> {
    Ok(Json(experts::of_application(&state, &actor, id).await?))
}

/// Assign experts to an application under expert review (`409 conflict_unresolved` while a
/// potential conflict awaits a decision; `409 conflict_confirmed`; `409 not_in_expert_review`).
#[utoipa::path(post, path = "/api/v1/applications/{id}/experts", tag = "experts", params(("id" = i64, Path)), request_body = AssignRequest,
    responses((status = 200, body = ApplicationExperts), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(request): Json<AssignRequest>,
) -> AppResult<Json<ApplicationExperts>> {
    Ok(Json(experts::assign(&state, &actor, id, &request).await?))
}

/// Remove an expert from an application under expert review.
#[utoipa::path(delete, path = "/api/v1/applications/{id}/experts/{expert}", tag = "experts",
    params(("id" = i64, Path), ("expert" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unassign(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, expert)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    experts::unassign(&state, &actor, id, expert).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reopen an expert's submitted review, with a reason.
#[utoipa::path(post, path = "/api/v1/applications/{id}/experts/{expert}/reopen", tag = "experts",
    params(("id" = i64, Path), ("expert" = i64, Path)), request_body = Reopen,
    responses((status = 200, body = ApplicationExperts), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reopen(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, expert)): Path<(i64, i64)>,
    Json(body): Json<Reopen>,
) -> AppResult<Json<ApplicationExperts>> {
    Ok(Json(
        experts::reopen(&state, &actor, id, expert, &body).await?,
    ))
}

/// Confirm or dismiss a conflict of interest (detected or recorded) with a reason; a confirmed
/// one removes the expert's assignment.
#[utoipa::path(post, path = "/api/v1/applications/{id}/conflicts", tag = "experts", params(("id" = i64, Path)), request_body = ConflictDecision,
    responses((status = 200, body = ApplicationExperts), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_conflict(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(decision): Json<ConflictDecision>,
) -> AppResult<Json<ApplicationExperts>> {
    Ok(Json(
        experts::decide_conflict(&state, &actor, id, &decision).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Record a site visit (现场核查): date, members, findings.
#[utoipa::path(post, path = "/api/v1/applications/{id}/site-visits", tag = "experts", params(("id" = i64, Path)), request_body = SiteVisitInput,
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn site_visit(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<SiteVisitInput>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let id = experts::record_site_visit(&state, &actor, id, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// The caller's assignments (experts): pending ones show the organisation's name and the
/// provider type only.
#[utoipa::path(get, path = "/api/v1/expert/assignments", tag = "experts",
    responses((status = 200, body = Vec<Task>), (status = 403, body = ErrorBody)))]
pub async fn tasks(State(state): State<AppState>, actor: Actor) -> AppResult<Json<Vec<Task>>> {
    Ok(Json(experts::tasks(&state, &actor).await?))
}

/// One of the caller's assignments.
#[utoipa::path(get, path = "/api/v1/expert/assignments/{id}", tag = "experts", params(("id" = i64, Path)),
    responses((status = 200, body = Task), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn task(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<Task>> {
    Ok(Json(experts::task_of(&state, &actor, id).await?))
}

/// Declare 「无利益冲突」 (`no_conflict: true`) or a conflict with a text (the assignment is
/// declined); once.
#[utoipa::path(post, path = "/api/v1/expert/assignments/{id}/declaration", tag = "experts", params(("id" = i64, Path)), request_body = Declaration,
    responses((status = 200, body = Task), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn declare(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(declaration): Json<Declaration>,
) -> AppResult<Json<Task>> {
    Ok(Json(
        experts::declare(&state, &actor, id, &declaration).await?,
    ))
}

/// The caller's review: rubric items with maxima and step, its scores and opinions; the other
/// experts' reviews once its own is submitted.
#[utoipa::path(get, path = "/api/v1/expert/assignments/{id}/review", tag = "experts", params(("id" = i64, Path)),
    responses((status = 200, body = Review), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<Review>> {
    Ok(Json(experts::review(&state, &actor, id).await?))
}

/// Save scores (within each item's maximum, in the scheme's step), their opinions and the
/// overall opinion (`409 review_locked` once submitted).
#[utoipa::path(put, path = "/api/v1/expert/assignments/{id}/review", tag = "experts", params(("id" = i64, Path)), request_body = ReviewInput,
    responses((status = 200, body = Review), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_review(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<ReviewInput>,
) -> AppResult<Json<Review>> {
    Ok(Json(
        experts::save_review(&state, &actor, id, &input).await?,
    ))
}

/// Submit the review, which locks it.
#[utoipa::path(post, path = "/api/v1/expert/assignments/{id}/submit", tag = "experts", params(("id" = i64, Path)),
    responses((status = 200, body = Review), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_review(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<Review>> {
    Ok(Json(experts::submit_review(&state, &actor, id).await?))
}

/// The import file.
#[derive(Debug, ToSchema)]
#[allow(
    dead_code,
    reason = "documents the multipart form that `read_upload` reads"
)]
pub struct ImportForm {
    /// xlsx or CSV (UTF-8) with the template's columns (at most 2 MB).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The most bytes of an import file.
pub const MAX_IMPORT_BYTES: u64 = 2 * 1024 * 1024;

/// Import experts into the caller's pool from xlsx or CSV (the template's columns): each row
/// checked as the form is; `200` with the number added, or `422` with the problem of each
/// wrong row and nothing added.
#[utoipa::path(post, path = "/api/v1/experts/import", tag = "experts",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 200, body = Imported), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = Imported)))]
pub async fn import_experts(
    State(state): State<AppState>,
    actor: Actor,
    multipart: Multipart,
) -> AppResult<Response> {
    let (upload, _) = super::extract::read_upload(multipart, MAX_IMPORT_BYTES).await?;
    let upload = super::extract::require_file(upload)?;
    let imported = experts::import(&state, &actor, &upload.bytes).await?;
    let status = if imported.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(imported)).into_response())
}

/// The import template as CSV (UTF-8 with a byte order mark, so that spreadsheets read it).
#[utoipa::path(get, path = "/api/v1/experts/template.csv", tag = "experts",
    responses((status = 200, description = "the template", content_type = "text/csv"), (status = 403, body = ErrorBody)))]
pub async fn template_csv(actor: Actor) -> AppResult<Response> {
    actor.require(&[crate::services::actor::Role::AuthorityAdmin])?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                super::extract::content_disposition("专家导入模板.csv"),
            ),
        ],
        experts::template_csv(),
    )
        .into_response())
}

/// The import template as xlsx.
#[utoipa::path(get, path = "/api/v1/experts/template.xlsx", tag = "experts",
    responses((status = 200, description = "the template", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403, body = ErrorBody)))]
pub async fn template_xlsx(actor: Actor) -> AppResult<Response> {
    actor.require(&[crate::services::actor::Role::AuthorityAdmin])?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                crate::services::declaration_files::XLSX_MEDIA_TYPE.to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                super::extract::content_disposition("专家导入模板.xlsx"),
            ),
        ],
        experts::template_xlsx()?,
    )
        .into_response())
}

/// Attach a file to a site visit (the evidence rules: size, type by content).
#[utoipa::path(post, path = "/api/v1/applications/{id}/site-visits/{visit}/files", tag = "experts",
    params(("id" = i64, Path), ("visit" = i64, Path)),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Created), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn site_visit_file(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, visit)): Path<(i64, i64)>,
    multipart: Multipart,
) -> AppResult<(StatusCode, Json<Created>)> {
    let limit = state.config.max_upload_bytes;
    let (upload, _) = super::extract::read_upload(multipart, limit).await?;
    let upload = super::extract::require_file(upload)?;
    let file = experts::attach_site_visit_file(&state, &actor, id, visit, upload).await?;
    Ok((StatusCode::CREATED, Json(Created { id: file })))
}

/// Download a file of a site visit (the authority of the application's round).
#[utoipa::path(get, path = "/api/v1/applications/{id}/site-visit-files/{file}", tag = "experts",
    params(("id" = i64, Path), ("file" = i64, Path)),
    responses((status = 200, description = "the file, as an attachment"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_site_visit_file(
    State(state): State<AppState>,
    actor: Actor,
    Path((id, file)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (row, bytes) = experts::site_visit_file(&state, &actor, id, file).await?;
    Ok((
        [
            (header::CONTENT_TYPE, row.media_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                super::extract::content_disposition(&row.filename),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
