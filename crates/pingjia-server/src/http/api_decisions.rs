//! The JSON API of decisions, 公示, objections and publication: the authority's routes under
//! `/api/v1/rounds/{id}/…`, `/api/v1/notices/…`, `/api/v1/objections/…`, and the public's under
//! `/api/v1/public/notices…` and `/api/v1/public/published…`. Registered in `api::ApiDoc`.

use super::api::Paging;
use super::error::ErrorBody;
use super::extract::{self, ClientAddress};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::Actor;
use crate::services::decisions::{self, Board, BulkDecided, Decided, DecisionInput};
use crate::services::evidence::{self, Upload};
use crate::services::notices::{
    self, AdminNotice, Filed, ObjectionInput, OpenInput, Opened, PublicNotice, PublishInput,
    Published, PublishedEntry, Resolution, Resolved,
};
use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest as _, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/api/v1/rounds/{id}/decisions",
            get(decision_board).post(decide_many),
        )
        .route("/api/v1/rounds/{id}/quota", put(set_quota))
        .route("/api/v1/applications/{id}/decision", post(decide))
        .route(
            "/api/v1/rounds/{id}/notices",
            get(round_notices).post(open_notice),
        )
        .route("/api/v1/notices/{id}", get(manage_notice))
        .route("/api/v1/notices/{id}/publication", post(publish))
        .route("/api/v1/objections/{id}/resolution", post(resolve))
        .route("/api/v1/objection-files/{id}", get(objection_file))
        .route("/api/v1/public/notices", get(public_notices))
        .route("/api/v1/public/notices/{id}", get(public_notice))
        .route(
            "/api/v1/public/notices/{id}/objections",
            post(object).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/public/published", get(published))
        .route("/api/v1/public/published.csv", get(published_csv))
}

/// A round's decisions: its applications from the expert review on, ranked (by aggregated
/// total for rubric schemes), with the computed default, the decision in force and its history,
/// the quota and whether it is exceeded. The round's authority only; anyone else 404.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/decisions", tag = "decisions", params(("id" = i64, Path), Paging),
    responses((status = 200, body = Board), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decision_board(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Query(paging): Query<Paging>,
) -> AppResult<Json<Board>> {
    let page = paging.page()?;
    Ok(Json(decisions::board(&state, &actor, id, page).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkDecisionInput {
    /// The applications of the round (1 to 200).
    pub ids: Vec<i64>,
    /// The result for all (absent: each one's computed default).
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub reason: String,
}

/// The same decision (or each one's default) for a selection of the round's applications, each
/// its own command: the answer lists each one's result or refusal.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/decisions", tag = "decisions", params(("id" = i64, Path)),
    request_body = BulkDecisionInput,
    responses((status = 200, body = Vec<BulkDecided>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_many(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<BulkDecisionInput>,
) -> AppResult<Json<Vec<BulkDecided>>> {
    let decision = DecisionInput {
        result: input.result,
        reason: input.reason,
    };
    Ok(Json(
        decisions::decide_many(&state, &actor, id, &input.ids, &decision).await?,
    ))
}

/// Decide one application (its round's authority; in `expert_review` with the review complete).
/// A result other than the computed grade's needs a `reason` (422 `reason_required`); 409
/// `review_incomplete` or `wrong_state`; 404 to anyone else.
#[utoipa::path(post, path = "/api/v1/applications/{id}/decision", tag = "decisions", params(("id" = i64, Path)),
    request_body = DecisionInput,
    responses((status = 200, body = Decided), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<DecisionInput>,
) -> AppResult<Json<Decided>> {
    Ok(Json(decisions::decide(&state, &actor, id, &input).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct QuotaInput {
    /// Positive decisions the round means to make (择优); null clears it. Exceeding it warns.
    pub quota: Option<i64>,
}

/// Set or clear a round's quota.
#[utoipa::path(put, path = "/api/v1/rounds/{id}/quota", tag = "decisions", params(("id" = i64, Path)),
    request_body = QuotaInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_quota(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<QuotaInput>,
) -> AppResult<StatusCode> {
    decisions::set_quota(&state, &actor, id, input.quota).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Open the public notice of the round's decided applications: positive ones go on notice
/// (`decide`), negative ones are concluded (`decline`). 409 `nothing_decided`, or the
/// workflow's code naming the application refused.
#[utoipa::path(post, path = "/api/v1/rounds/{id}/notices", tag = "decisions", params(("id" = i64, Path)),
    request_body = OpenInput,
    responses((status = 200, body = Opened), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_notice(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<OpenInput>,
) -> AppResult<Json<Opened>> {
    Ok(Json(notices::open(&state, &actor, id, &input).await?))
}

/// The notices of a round, for its authority.
#[utoipa::path(get, path = "/api/v1/rounds/{id}/notices", tag = "decisions", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PublicNotice>), (status = 404, body = ErrorBody)))]
pub async fn round_notices(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<Vec<PublicNotice>>> {
    Ok(Json(notices::round_notices(&state, &actor, id).await?))
}

/// A notice with its entries and objections (the objectors' names and contacts included), for
/// the authority of its round; anyone else 404.
#[utoipa::path(get, path = "/api/v1/notices/{id}", tag = "decisions", params(("id" = i64, Path)),
    responses((status = 200, body = AdminNotice), (status = 404, body = ErrorBody)))]
pub async fn manage_notice(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<AdminNotice>> {
    Ok(Json(notices::manage(&state, &actor, id).await?))
}

/// Resolve an objection: `dismiss`, `revise` (back to expert review) or `withdraw` (rejected),
/// with the reasons. 409 `already_resolved`; 422 `comment_required`.
#[utoipa::path(post, path = "/api/v1/objections/{id}/resolution", tag = "decisions", params(("id" = i64, Path)),
    request_body = Resolution,
    responses((status = 200, body = Resolved), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<Resolution>,
) -> AppResult<Json<Resolved>> {
    Ok(Json(notices::resolve(&state, &actor, id, &input).await?))
}

/// Publish the notice's entries after its period (发文: number and date). Entries with an
/// unresolved objection are held and listed. 409 `notice_not_ended`, `unresolved_objections`
/// (every entry held), `nothing_to_publish`.
#[utoipa::path(post, path = "/api/v1/notices/{id}/publication", tag = "decisions", params(("id" = i64, Path)),
    request_body = PublishInput,
    responses((status = 200, body = Published), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<PublishInput>,
) -> AppResult<Json<Published>> {
    Ok(Json(notices::publish(&state, &actor, id, &input).await?))
}

/// An objection's attached file, for the authority of its notice.
#[utoipa::path(get, path = "/api/v1/objection-files/{id}", tag = "decisions", params(("id" = i64, Path)),
    responses((status = 200, description = "the file, with Content-Disposition"), (status = 404, body = ErrorBody)))]
pub async fn objection_file(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (filename, bytes) = notices::objection_file(&state, &actor, id).await?;
    let media_type = evidence::detect(&bytes).unwrap_or("application/octet-stream");
    Ok((
        [
            (header::CONTENT_TYPE, media_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                extract::content_disposition(&filename),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        axum::body::Body::from(bytes),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Only this round's published grades.
    pub round: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeListing {
    pub items: Vec<PublicNotice>,
    pub total: i64,
}

/// The public notices, newest first (no account needed).
#[utoipa::path(get, path = "/api/v1/public/notices", tag = "decisions", params(PageQuery),
    responses((status = 200, body = NoticeListing)))]
pub async fn public_notices(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> AppResult<Json<NoticeListing>> {
    let page = crate::services::page(query.page.as_deref(), query.per_page.as_deref())?;
    let (items, total) = notices::public_notices(&state, page).await?;
    Ok(Json(NoticeListing { items, total }))
}

/// A public notice: organisation, provider type and proposed result of each entry, the period,
/// the office, the contact and how to object (no account needed; never an objector).
#[utoipa::path(get, path = "/api/v1/public/notices/{id}", tag = "decisions", params(("id" = i64, Path)),
    responses((status = 200, body = PublicNotice), (status = 404, body = ErrorBody)))]
pub async fn public_notice(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<Json<PublicNotice>> {
    Ok(Json(notices::public_notice(&state, id).await?))
}

/// The multipart form of an objection: `entry_id`, `name`, `contact`, `text` and up to five
/// `file`s.
#[derive(Debug, ToSchema)]
#[allow(dead_code, reason = "documents the multipart form")]
pub struct ObjectionForm {
    pub entry_id: i64,
    pub name: String,
    pub contact: String,
    pub text: String,
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// Reads an objection's multipart form: its text fields (each at most 16 KB) and its files
/// (each at most the upload limit, counted as they arrive).
pub async fn read_objection_form(
    mut multipart: Multipart,
    limit: u64,
) -> AppResult<(ObjectionInput, Vec<Upload>, Option<String>)> {
    let mut input = ObjectionInput::default();
    let mut files = Vec::new();
    let mut csrf = None;
    let broken = |e: axum::extract::multipart::MultipartError| {
        AppError::invalid(format!("上传格式错误 / malformed upload: {e}"))
    };
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let filename = field.file_name().unwrap_or("file").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                if (bytes.len() + chunk.len()) as u64 > limit {
                    return Err(evidence::too_large(limit));
                }
                bytes.extend_from_slice(&chunk);
            }
            if files.len() >= notices::MAX_OBJECTION_FILES {
                return Err(AppError::invalid(format!(
                    "最多附 {} 个文件 / too many files",
                    notices::MAX_OBJECTION_FILES
                )));
            }
            // A file input left empty sends a part with no name and no bytes.
            if !bytes.is_empty() || !filename.is_empty() {
                files.push(Upload {
                    filename,
                    bytes,
                    criterion: None,
                });
            }
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            if bytes.len() + chunk.len() > 16 * 1024 {
                return Err(AppError::invalid("表单字段过长 / form field too long"));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| AppError::invalid("表单字段不是 UTF-8 / not UTF-8"))?;
        match name.as_str() {
            "entry_id" => {
                input.entry_id = text.trim().parse().map_err(|_| {
                    AppError::invalid("请选择异议针对的公示条目 / choose the entry objected to")
                })?;
            }
            "name" => input.name = text,
            "contact" => input.contact = text,
            "text" => input.text = text,
            "csrf" => csrf = Some(text),
            _ => {}
        }
    }
    files.retain(|f| !(f.bytes.is_empty() && f.filename == "file"));
    Ok((input, files, csrf))
}

/// File an objection, signed out, during the period: JSON (`ObjectionInput`) or a multipart
/// form with files (`ObjectionForm`). A real name and a contact are required (422
/// `anonymous_objection`); after the period 409 `notice_closed` with the closing date; 429
/// `too_many_attempts` past five an hour from one address. The answer names the entry, never
/// the objector.
#[utoipa::path(post, path = "/api/v1/public/notices/{id}/objections", tag = "decisions", params(("id" = i64, Path)),
    request_body(content = ObjectionForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Filed), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn object(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(id): Path<i64>,
    request: axum::extract::Request,
) -> AppResult<(StatusCode, Json<Filed>)> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (input, files) = if multipart {
        let form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| AppError::invalid(format!("上传格式错误 / malformed upload: {e}")))?;
        let (input, files, _) = read_objection_form(form, state.config.max_upload_bytes).await?;
        (input, files)
    } else {
        // The route lifts the body limit for files; a JSON body keeps the usual one.
        let bytes = axum::body::to_bytes(request.into_body(), super::MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                AppError::new(
                    413,
                    "payload_too_large",
                    "请求内容过大 / request body too large",
                )
            })?;
        let input: ObjectionInput = serde_json::from_slice(&bytes).map_err(|e| {
            AppError::invalid(format!(
                "请求内容无法识别 / the request body does not match: {e}"
            ))
        })?;
        (input, Vec::new())
    };
    let filed = notices::object(&state, id, &input, files, &address).await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedListing {
    pub items: Vec<PublishedEntry>,
    pub total: i64,
}

/// The published grades, newest document first, optionally of one round (no account needed).
#[utoipa::path(get, path = "/api/v1/public/published", tag = "decisions", params(PageQuery),
    responses((status = 200, body = PublishedListing)))]
pub async fn published(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> AppResult<Json<PublishedListing>> {
    let page = crate::services::page(query.page.as_deref(), query.per_page.as_deref())?;
    let (items, total) = notices::published(&state, query.round, page).await?;
    Ok(Json(PublishedListing { items, total }))
}

/// The published grades as CSV (UTF-8 with BOM), up to 200 per page as the JSON list.
#[utoipa::path(get, path = "/api/v1/public/published.csv", tag = "decisions", params(PageQuery),
    responses((status = 200, description = "text/csv")))]
pub async fn published_csv(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> AppResult<Response> {
    let page = crate::services::page(
        query.page.as_deref(),
        Some(query.per_page.as_deref().unwrap_or("200")),
    )?;
    let (items, _) = notices::published(&state, query.round, page).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                extract::content_disposition("published.csv"),
            ),
        ],
        notices::published_csv(&items),
    )
        .into_response())
}
