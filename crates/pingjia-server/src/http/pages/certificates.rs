//! Certificates and printable records: the public `/certificates` (a number to verify) and
//! `/certificates/{number}` (its state, what it certifies, the member's directory page, the
//! PDF, and the certificate ready to print), and the authority's
//! `/applications/{id}/decision-record` (print-ready). Over `services::certificates` and
//! `services::decisions::record`, like the API.

use super::PageActor;
use crate::context::AppState;
use crate::error::AppResult;
use crate::http::extract::MaybeActor;
use crate::services::{certificates, decisions};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::{Value, context};
use serde::Deserialize;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/certificates", get(lookup))
        .route("/certificates/{number}", get(show))
        .route("/applications/{id}/decision-record", get(decision_record))
}

/// The layout's context: the signed-in user's, or the language alone.
async fn base(
    state: &AppState,
    actor: Option<crate::services::actor::Actor>,
    headers: &HeaderMap,
) -> AppResult<Value> {
    let lang = super::language(headers);
    Ok(match actor {
        Some(actor) => {
            let unread = crate::services::notifications::unread(state, &actor).await?;
            PageActor {
                actor,
                lang,
                unread,
            }
            .base("certificates")
        }
        None => context! { lang => lang },
    })
}

#[derive(Debug, Deserialize)]
struct LookupQuery {
    number: Option<String>,
}

/// The form; with a number, the certificate's page, or the form again with the reason beside
/// it (`404` when no certificate has that number).
async fn lookup(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Query(query): Query<LookupQuery>,
) -> AppResult<Response> {
    let typed = query.number.unwrap_or_default();
    let mut error = None;
    let mut status = StatusCode::OK;
    if !typed.trim().is_empty() {
        match certificates::normalize(&typed) {
            None => {
                error = Some("证书编号只含字母、数字和连字符，如 ZS-2026-000001");
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
            Some(number) => match certificates::verify(&state, &number).await {
                Ok(found) => {
                    return Ok(
                        Redirect::to(&format!("/certificates/{}", found.number)).into_response()
                    );
                }
                Err(e) if e.status == 404 => {
                    error = Some("未找到该编号的证书，请核对后重新输入");
                    status = StatusCode::NOT_FOUND;
                }
                Err(e) => return Err(e),
            },
        }
    }
    let html = super::render(
        "certificates.html",
        context! {
            number => typed.trim(),
            error => error,
            ..base(&state, actor, &headers).await?
        },
    )?;
    Ok((status, html).into_response())
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Path(number): Path<String>,
) -> AppResult<Response> {
    let certificate = certificates::verify(&state, &number).await?;
    let html = super::render(
        "certificate.html",
        context! {
            c => super::serde_value(&certificate),
            stars => certificate.stars.map(|n| "★".repeat(usize::try_from(n).unwrap_or(0))),
            ..base(&state, actor, &headers).await?
        },
    )?;
    Ok(html.into_response())
}

async fn decision_record(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let record = decisions::record(&state, &page.actor, id).await?;
    page.render(
        "decision_record.html",
        "rounds",
        context! {
            r => super::serde_value(&record),
            generated_at => state.now(),
        },
    )
}
