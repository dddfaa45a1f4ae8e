//! The public pages of 公示 and publication, signed in or not: the list of notices, a notice
//! with its objection form, and the published grades; over `services::notices`, like the API.

use super::PageActor;
use crate::context::AppState;
use crate::error::AppResult;
use crate::http::extract::{ClientAddress, MaybeActor};
use crate::services::notices;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use serde::Deserialize;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/public-notices", get(list))
        .route("/public-notices/{id}", get(show))
        .route(
            "/public-notices/{id}/objections",
            post(object).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/published", get(published))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    page: Option<String>,
    per_page: Option<String>,
    round: Option<i64>,
    filed: Option<i64>,
}

/// The layout's context: the signed-in user's, or the language alone.
async fn base(
    state: &AppState,
    actor: Option<crate::services::actor::Actor>,
    headers: &HeaderMap,
) -> AppResult<Value> {
    let lang = super::language(headers);
    let layout = match actor {
        Some(actor) => {
            let unread = crate::services::notifications::unread(state, &actor).await?;
            PageActor {
                actor,
                lang,
                unread,
            }
            .base("public_notices")
        }
        None => context! { lang => lang },
    };
    let audit_checkpoint = super::transparency::summary(state).await?;
    Ok(context! { audit_checkpoint => audit_checkpoint, ..layout })
}

fn pages(total: i64, size: i64) -> i64 {
    ((total + size - 1) / size).max(1)
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    let page = crate::services::page(query.page.as_deref(), query.per_page.as_deref())?;
    let (rows, total) = notices::public_notices(&state, page).await?;
    let html = super::render(
        "public_notices.html",
        context! {
            rows => super::serde_value(&rows),
            total => total,
            page_number => page.number,
            pages => pages(total, page.size),
            ..base(&state, actor, &headers).await?
        },
    )?;
    Ok(html.into_response())
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Path(id): Path<i64>,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    let notice = notices::public_notice(&state, id).await?;
    let html = super::render(
        "public_notice.html",
        context! {
            n => super::serde_value(&notice),
            filed => query.filed,
            ..base(&state, actor, &headers).await?
        },
    )?;
    Ok(html.into_response())
}

/// The objection form (multipart, signed out; the session, if any, plays no part).
async fn object(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> AppResult<Response> {
    let (input, files, _) =
        crate::http::api_decisions::read_objection_form(multipart, state.config.max_upload_bytes)
            .await?;
    let filed = notices::object(&state, id, &input, files, &address).await?;
    Ok(Redirect::to(&format!(
        "/public-notices/{id}?filed={}",
        filed.objection_id
    ))
    .into_response())
}

async fn published(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    let page = crate::services::page(query.page.as_deref(), query.per_page.as_deref())?;
    let (rows, total) = notices::published(&state, query.round, page).await?;
    let html = super::render(
        "published.html",
        context! {
            rows => super::serde_value(&rows),
            total => total,
            page_number => page.number,
            pages => pages(total, page.size),
            round => query.round,
            ..base(&state, actor, &headers).await?
        },
    )?;
    Ok(html.into_response())
}
