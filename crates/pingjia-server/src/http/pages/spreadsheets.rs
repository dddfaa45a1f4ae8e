//! The application page's 申报书 workbook form: a filled workbook imported into the draft,
//! then back to the page (redirect after post) with what was found, the first rows in error
//! named by sheet and row. The download is the API route, linked from the page like evidence.

use super::PageActor;
use super::applications::{Refused, explained, flash_back, refused};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::http::extract::{read_upload, require_file};
use crate::services::declaration_files::{self, Imported, MAX_WORKBOOK_BYTES};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::handler::Handler as _;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(
        "/applications/{id}/declaration",
        post(import.layer(DefaultBodyLimit::disable())),
    )
}

/// How many problems the message after an import names (the form lists every field error).
const NAMED_PROBLEMS: usize = 3;

/// The upload form of a filled 申报书. The CSRF token travels in the multipart body.
async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let multipart =
        multipart.map_err(|_| AppError::invalid("请选择要上传的文件 / choose a file to upload"))?;
    let back = |error: &AppError| refused(&state, &headers, &page, id, Refused::Import, error);
    let (upload, csrf) = match read_upload(multipart, MAX_WORKBOOK_BYTES).await {
        Ok(read) => read,
        Err(error) if explained(&error) => return Ok(back(&error)),
        Err(error) => return Err(error),
    };
    page.check_csrf(csrf.as_deref().unwrap_or_default())?;
    let result = match require_file(upload) {
        Ok(upload) => declaration_files::import(&state, &page.actor, id, &upload.bytes).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(imported) if imported.cell_errors.is_empty() => Ok(Redirect::to(&format!(
            "/applications/{id}?notice=imported#workbook"
        ))
        .into_response()),
        Ok(imported) => Ok(flash_back(
            &state,
            &headers,
            id,
            Refused::Import,
            &summary(page.lang, &imported),
        )),
        Err(error) if explained(&error) => Ok(back(&error)),
        Err(error) => Err(error),
    }
}

/// 「已导入 12 项。有 3 处需要修改：工作表“申报书”第 5 行：…；…」 in the page's language.
fn summary(lang: &str, imported: &Imported) -> String {
    let named: Vec<String> = imported
        .cell_errors
        .iter()
        .take(NAMED_PROBLEMS)
        .map(|error| error.describe(lang))
        .collect();
    let count = imported.cell_errors.len();
    let more = count > NAMED_PROBLEMS;
    if lang == "en" {
        format!(
            "{} values imported. {count} to correct: {}{}",
            imported.imported,
            named.join("; "),
            if more { "; …" } else { "" }
        )
    } else {
        format!(
            "已导入 {} 项。有 {count} 处需要修改：{}{}",
            imported.imported,
            named.join("；"),
            if more { "；……" } else { "" }
        )
    }
}
