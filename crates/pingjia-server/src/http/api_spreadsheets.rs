//! The JSON API of the 申报书 workbook: download an application's declaration as xlsx, and
//! upload a filled one into the draft. Registered in the OpenAPI document by `api::ApiDoc`.

use super::error::ErrorBody;
use super::extract::{self, read_upload, require_file};
use crate::context::AppState;
use crate::error::AppResult;
use crate::services::actor::Actor;
use crate::services::declaration_files::{self, Imported, MAX_WORKBOOK_BYTES, XLSX_MEDIA_TYPE};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::handler::Handler as _;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/api/v1/applications/{id}/declaration.xlsx",
        get(download_declaration).post(upload_declaration.layer(DefaultBodyLimit::disable())),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VersionQuery {
    /// 版本号 / the version to download; the latest the caller may see when absent.
    #[param(value_type = Option<i64>, minimum = 1)]
    pub version: Option<i64>,
}

/// The declaration as an xlsx 申报书: a sheet 「说明」 on how to fill it in, a sheet 「申报书」
/// with one row per field the provider type asks for (unit, clause, how to write it, the
/// declared value, and a hidden field id), and a sheet per table of records. Applicants get
/// any version of their own applications, the draft included; reviewers submitted versions
/// inside their region only.
#[utoipa::path(get, path = "/api/v1/applications/{id}/declaration.xlsx", tag = "applications",
    params(("id" = i64, Path), VersionQuery),
    responses((status = 200, description = "the workbook, with Content-Disposition",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, body = ErrorBody)))]
pub async fn download_declaration(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    Query(query): Query<VersionQuery>,
) -> AppResult<Response> {
    let file = declaration_files::download(&state, &actor, id, query.version).await?;
    Ok((
        [
            (header::CONTENT_TYPE, XLSX_MEDIA_TYPE.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                extract::content_disposition(&file.filename),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        axum::body::Body::from(file.bytes),
    )
        .into_response())
}

/// A filled 申报书 upload.
#[derive(Debug, ToSchema)]
#[allow(
    dead_code,
    reason = "documents the multipart form that `read_upload` reads"
)]
pub struct WorkbookForm {
    /// The xlsx workbook downloaded from this application and filled in (at most 5 MB).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Import a filled 申报书 into the draft (the owner, while the application is editable): the
/// values it gives replace the draft's, blank cells keep them; saved like the form's autosave.
/// Answers the assessment with its field errors, and `cell_errors` placing each problem at
/// its sheet and row. A file that is not this application's xlsx 申报书 is `422` and changes
/// nothing.
#[utoipa::path(post, path = "/api/v1/applications/{id}/declaration.xlsx", tag = "applications",
    params(("id" = i64, Path)),
    request_body(content = WorkbookForm, content_type = "multipart/form-data"),
    responses((status = 200, body = Imported), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_declaration(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> AppResult<Json<Imported>> {
    let (upload, _) = read_upload(multipart, MAX_WORKBOOK_BYTES).await?;
    let upload = require_file(upload)?;
    Ok(Json(
        declaration_files::import(&state, &actor, id, &upload.bytes).await?,
    ))
}
