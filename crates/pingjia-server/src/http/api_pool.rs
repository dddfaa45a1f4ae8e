//! The authority's API of the resource pool's lifecycle (`/api/v1/pool/…`): its members with
//! their history, spot checks (抽查) with files, revocation (003 三、1; 002 第十一条), bars, the
//! import of existing members (003 二（二）2), and the rejection of an application for fraud
//! (`/api/v1/applications/{id}/fraud`). Each calls one `services::lifecycle` function, as the
//! pages do. Registered in `api::ApiDoc`.

use super::api::Paging;
use super::error::ErrorBody;
use super::extract;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::Actor;
use crate::services::evidence::{self, Upload};
use crate::services::lifecycle::{
    self, BarList, BarQuery, Barred, LegacyImport, LegacyImported, LegacyList, MemberDetail,
    MemberList, MemberQuery, RevocationInput, SpotCheckDone, SpotCheckInput,
};
use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest as _, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use utoipa::ToSchema;

/// The most files one spot check takes.
pub const MAX_SPOT_CHECK_FILES: usize = 10;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/pool/members", get(list_members))
        .route("/api/v1/pool/members/{id}", get(get_member))
        .route(
            "/api/v1/pool/members/{id}/spot-checks",
            post(spot_check).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/pool/members/{id}/revocation", post(revoke))
        .route("/api/v1/pool/spot-check-files/{id}", get(spot_check_file))
        .route("/api/v1/pool/bars", get(list_bars))
        .route(
            "/api/v1/pool/legacy-members",
            get(list_legacy).post(import_legacy),
        )
        .route("/api/v1/applications/{id}/fraud", post(reject_for_fraud))
}

/// The members whose grade the caller's authority granted, by name: filters `status`
/// (active, expired, removed, revoked), `scheme`, `stars`, `q` (name or credit code). 404 to
/// anyone but an authority.
#[utoipa::path(get, path = "/api/v1/pool/members", tag = "pool", params(MemberQuery),
    responses((status = 200, body = MemberList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<MemberQuery>,
) -> AppResult<Json<MemberList>> {
    Ok(Json(lifecycle::members(&state, &actor, &query).await?))
}

/// A member with its history, spot checks, their files and bars; another authority's member is
/// not found.
#[utoipa::path(get, path = "/api/v1/pool/members/{id}", tag = "pool", params(("id" = i64, Path)),
    responses((status = 200, body = MemberDetail), (status = 404, body = ErrorBody)))]
pub async fn get_member(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Json<MemberDetail>> {
    Ok(Json(lifecycle::member(&state, &actor, id).await?))
}

/// The multipart form of a spot check: `checked_on`, `inspectors`, `findings`, `outcome`,
/// `stars` and up to ten `file`s.
#[derive(Debug, ToSchema)]
#[allow(dead_code, reason = "documents the multipart form")]
pub struct SpotCheckForm {
    pub checked_on: String,
    pub inspectors: String,
    pub findings: String,
    pub outcome: String,
    pub stars: Option<i64>,
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// Reads a spot check's multipart form (text fields at most 16 KB, files at most the upload
/// limit each, counted as they arrive); the `csrf` field for the page.
pub async fn read_spot_check_form(
    mut multipart: Multipart,
    limit: u64,
) -> AppResult<(SpotCheckInput, Vec<Upload>, Option<String>)> {
    let mut input = SpotCheckInput::default();
    let mut files = Vec::new();
    let mut csrf = None;
    let broken = |e: axum::extract::multipart::MultipartError| {
        AppError::invalid(format!("上传格式错误 / malformed upload: {e}"))
    };
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                if (bytes.len() + chunk.len()) as u64 > limit {
                    return Err(evidence::too_large(limit));
                }
                bytes.extend_from_slice(&chunk);
            }
            // A file input left empty sends a part with no name and no bytes.
            if bytes.is_empty() && filename.is_empty() {
                continue;
            }
            if files.len() >= MAX_SPOT_CHECK_FILES {
                return Err(AppError::invalid(format!(
                    "最多附 {MAX_SPOT_CHECK_FILES} 个文件 / too many files"
                )));
            }
            files.push(Upload {
                filename: if filename.is_empty() {
                    "file".into()
                } else {
                    filename
                },
                bytes,
                criterion: None,
            });
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
            "checked_on" => input.checked_on = text,
            "inspectors" => input.inspectors = text,
            "findings" => input.findings = text,
            "outcome" => input.outcome = text,
            "stars" => {
                let text = text.trim();
                input.stars = if text.is_empty() {
                    None
                } else {
                    Some(text.parse().map_err(|_| {
                        AppError::invalid("星级应为整数 / stars must be an integer")
                    })?)
                };
            }
            "csrf" => csrf = Some(text),
            _ => {}
        }
    }
    Ok((input, files, csrf))
}

/// Record a spot check (003 二（二）4) of a member: JSON (`SpotCheckInput`) or a multipart form
/// with files (`SpotCheckForm`). `outcome`: `pass`, `downgrade` (with `stars` below the
/// member's) or `remove`. 409 `not_active` for a member no longer in the pool; 404 to anyone but
/// its authority.
#[utoipa::path(post, path = "/api/v1/pool/members/{id}/spot-checks", tag = "pool", params(("id" = i64, Path)),
    request_body(content = SpotCheckForm, content_type = "multipart/form-data"),
    responses((status = 201, body = SpotCheckDone), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn spot_check(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    request: axum::extract::Request,
) -> AppResult<(StatusCode, Json<SpotCheckDone>)> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (input, files) = if multipart {
        let form = Multipart::from_request(request, &state)
            .await
            .map_err(|e| AppError::invalid(format!("上传格式错误 / malformed upload: {e}")))?;
        let (input, files, _) = read_spot_check_form(form, state.config.max_upload_bytes).await?;
        (input, files)
    } else {
        let bytes = axum::body::to_bytes(request.into_body(), super::MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                AppError::new(
                    413,
                    "payload_too_large",
                    "请求内容过大 / request body too large",
                )
            })?;
        let input: SpotCheckInput = serde_json::from_slice(&bytes).map_err(|e| {
            AppError::invalid(format!(
                "请求内容无法识别 / the request body does not match: {e}"
            ))
        })?;
        (input, Vec::new())
    };
    let done = lifecycle::spot_check(&state, &actor, id, &input, files).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// Revoke a member's recognition (003 三、1 `fraud`; 002 第十一条 `article11_1` … `article11_4`)
/// and bar the organisation for 3 years from the finding: the answer names the first day it may
/// apply again. 409 `not_active`, `no_bar` (a scheme without one); 404 to anyone but its
/// authority.
#[utoipa::path(post, path = "/api/v1/pool/members/{id}/revocation", tag = "pool", params(("id" = i64, Path)),
    request_body = RevocationInput,
    responses((status = 200, body = Barred), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<RevocationInput>,
) -> AppResult<Json<Barred>> {
    Ok(Json(lifecycle::revoke(&state, &actor, id, &input).await?))
}

/// Reject an application for fraud found in review or on notice (003 三、1; 002 第十一条（一）):
/// the workflow's `reject` by the authority and a 3-year bar. 409 `wrong_state` where the
/// authority may not reject; 404 to anyone else.
#[utoipa::path(post, path = "/api/v1/applications/{id}/fraud", tag = "pool", params(("id" = i64, Path)),
    request_body = RevocationInput,
    responses((status = 200, body = Barred), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject_for_fraud(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Json(input): Json<RevocationInput>,
) -> AppResult<Json<Barred>> {
    Ok(Json(
        lifecycle::reject_for_fraud(&state, &actor, id, &input).await?,
    ))
}

/// A spot check's file, for the authority of its member.
#[utoipa::path(get, path = "/api/v1/pool/spot-check-files/{id}", tag = "pool", params(("id" = i64, Path)),
    responses((status = 200, description = "the file, with Content-Disposition"), (status = 404, body = ErrorBody)))]
pub async fn spot_check_file(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (filename, bytes) = lifecycle::spot_check_file(&state, &actor, id).await?;
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

/// The bars the caller's authority recorded, the latest first (`in_force=1`: those in force
/// today).
#[utoipa::path(get, path = "/api/v1/pool/bars", tag = "pool", params(BarQuery),
    responses((status = 200, body = BarList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_bars(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<BarQuery>,
) -> AppResult<Json<BarList>> {
    Ok(Json(lifecycle::bars(&state, &actor, &query).await?))
}

/// The existing members the caller's authority imported (003 二（二）2), with their deadline
/// and status (pending, graded, removed).
#[utoipa::path(get, path = "/api/v1/pool/legacy-members", tag = "pool", params(Paging),
    responses((status = 200, body = LegacyList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_legacy(
    State(state): State<AppState>,
    actor: Actor,
    Query(paging): Query<Paging>,
) -> AppResult<Json<LegacyList>> {
    Ok(Json(
        lifecycle::legacy_members(
            &state,
            &actor,
            paging.page.as_deref(),
            paging.per_page.as_deref(),
        )
        .await?,
    ))
}

/// Import existing members (003 二（二）2 「现有单位可在本文件发出后的1年内…申请评级」): the
/// deadline is the first anniversary of `document_date`; the job `legacy_deadline` removes those
/// not graded by then. Every row is checked first (422 names each wrong row).
#[utoipa::path(post, path = "/api/v1/pool/legacy-members", tag = "pool",
    request_body = LegacyImport,
    responses((status = 200, body = LegacyImported), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_legacy(
    State(state): State<AppState>,
    actor: Actor,
    Json(input): Json<LegacyImport>,
) -> AppResult<Json<LegacyImported>> {
    Ok(Json(
        lifecycle::import_legacy(&state, &actor, &input).await?,
    ))
}
