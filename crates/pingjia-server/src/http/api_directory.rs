//! The directory's open data (`/api/v1/public/directory…`, no account needed): a page of
//! members as JSON, one member with its public history, the whole filtered directory as CSV
//! and xlsx, and the statistics. Every answer carries a strong `ETag` (the pool's version, the
//! representation and the query) and answers `If-None-Match` with 304; the schema's version
//! is in the JSON (`schema`) and in the `Pingjia-Schema` header. Over `services::directory`,
//! like the pages; registered in `api::ApiDoc`. See `docs/open-data.md`.

use super::error::ErrorBody;
use super::extract;
use crate::context::AppState;
use crate::error::AppResult;
use crate::services::directory::{
    self, DirectoryPage, DirectoryQuery, MemberDetail, SCHEMA, STATS_SCHEMA, Stats, StatsQuery,
};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/v1/public/directory", get(list))
        .route("/api/v1/public/directory.csv", get(csv))
        .route("/api/v1/public/directory.xlsx", get(xlsx))
        .route("/api/v1/public/directory/stats", get(stats))
        .route("/api/v1/public/directory/{id}", get(member))
}

/// The header naming the schema's version of an answer.
pub const SCHEMA_HEADER: HeaderName = HeaderName::from_static("pingjia-schema");

/// How long a client may reuse an answer before asking again (with `If-None-Match`).
const CACHE_CONTROL: &str = "public, max-age=60";

/// The caching headers of an answer.
fn cache_headers(etag: &str, schema: &'static str) -> [(HeaderName, String); 3] {
    [
        (header::ETAG, etag.to_owned()),
        (header::CACHE_CONTROL, CACHE_CONTROL.to_owned()),
        (SCHEMA_HEADER, schema.to_owned()),
    ]
}

/// 304 when `If-None-Match` names the current `ETag` (weak comparison, RFC 9110 §13.1.2).
fn not_modified(headers: &HeaderMap, etag: &str, schema: &'static str) -> Option<Response> {
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag);
    matches.then(|| (StatusCode::NOT_MODIFIED, cache_headers(etag, schema)).into_response())
}

/// One page of the pool's directory: filters, sort and paging as the page `/directory` takes
/// them; active members by default; ties broken by the member's id (a stable order).
#[utoipa::path(get, path = "/api/v1/public/directory", tag = "directory", params(DirectoryQuery),
    responses((status = 200, body = DirectoryPage, description = "A page; headers ETag, Cache-Control, Pingjia-Schema"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<DirectoryQuery>,
) -> AppResult<Response> {
    let parsed = directory::parse(&state, &query).await?;
    let etag = directory::etag(&state, "json", &directory::canonical(&parsed)).await?;
    if let Some(answer) = not_modified(&headers, &etag, SCHEMA) {
        return Ok(answer);
    }
    let page = directory::list(&state, &parsed).await?;
    Ok((cache_headers(&etag, SCHEMA), Json(page)).into_response())
}

/// One member of the pool with the document that granted its grade and its public history
/// (never the organisation's private reminders). Any member, whatever its status.
#[utoipa::path(get, path = "/api/v1/public/directory/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = MemberDetail, description = "The member; headers ETag, Cache-Control, Pingjia-Schema"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, body = ErrorBody)))]
pub async fn member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let detail = directory::member(&state, id).await?;
    let etag = directory::etag(&state, "member", &id.to_string()).await?;
    if let Some(answer) = not_modified(&headers, &etag, SCHEMA) {
        return Ok(answer);
    }
    Ok((cache_headers(&etag, SCHEMA), Json(detail)).into_response())
}

/// The whole filtered directory as CSV (UTF-8 with BOM, CRLF), in the sort's order;
/// `page`/`per_page` do not apply.
#[utoipa::path(get, path = "/api/v1/public/directory.csv", tag = "directory", params(DirectoryQuery),
    responses((status = 200, description = "text/csv; headers ETag, Cache-Control, Pingjia-Schema", content_type = "text/csv"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 422, body = ErrorBody)))]
pub async fn csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<DirectoryQuery>,
) -> AppResult<Response> {
    let parsed = directory::parse(&state, &query).await?;
    let etag = directory::etag(&state, "csv", &filters(&parsed)).await?;
    if let Some(answer) = not_modified(&headers, &etag, SCHEMA) {
        return Ok(answer);
    }
    let entries = directory::all(&state, &parsed).await?;
    Ok((
        cache_headers(&etag, SCHEMA),
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                extract::content_disposition("directory.csv"),
            ),
        ],
        directory::csv(&entries),
    )
        .into_response())
}

/// The whole filtered directory as an xlsx workbook (sheets 资源池名录 and 说明).
#[utoipa::path(get, path = "/api/v1/public/directory.xlsx", tag = "directory", params(DirectoryQuery),
    responses((status = 200, description = "The workbook; headers ETag, Cache-Control, Pingjia-Schema",
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 422, body = ErrorBody)))]
pub async fn xlsx(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<DirectoryQuery>,
) -> AppResult<Response> {
    let parsed = directory::parse(&state, &query).await?;
    let etag = directory::etag(&state, "xlsx", &filters(&parsed)).await?;
    if let Some(answer) = not_modified(&headers, &etag, SCHEMA) {
        return Ok(answer);
    }
    let bytes = directory::xlsx(&state, &parsed).await?;
    Ok((
        cache_headers(&etag, SCHEMA),
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                extract::content_disposition("directory.xlsx"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The filters and sort of a download (the page does not apply).
fn filters(parsed: &directory::Parsed) -> String {
    parsed
        .pairs
        .iter()
        .map(|(key, value)| format!("&{key}={value}"))
        .collect()
}

/// The pool's statistics: active members by provider type × grade × region (the cities of a
/// province, the counties of a city), and grants per round by grade.
#[utoipa::path(get, path = "/api/v1/public/directory/stats", tag = "directory", params(StatsQuery),
    responses((status = 200, body = Stats, description = "The counts; headers ETag, Cache-Control, Pingjia-Schema"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 422, body = ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<StatsQuery>,
) -> AppResult<Response> {
    let counts = directory::stats(&state, &query).await?;
    let etag = directory::etag(&state, "stats", &directory::stats_canonical(&query)).await?;
    if let Some(answer) = not_modified(&headers, &etag, STATS_SCHEMA) {
        return Ok(answer);
    }
    Ok((cache_headers(&etag, STATS_SCHEMA), Json(counts)).into_response())
}
