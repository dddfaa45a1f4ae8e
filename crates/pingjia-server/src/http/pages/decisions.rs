//! The authority's pages of a round's decisions and of its notices: the decisions page
//! (ranking, defaults, reasons, decisions for a selection, the quota, opening the notice) and a
//! notice's management page (entries, objections with the objectors, resolution, publication),
//! over `services::decisions` and `services::notices`, like the API.

use super::{PageActor, form_value, parse_form, serde_value, tr};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::decisions::{self, DecisionInput};
use crate::services::notices::{self, OpenInput, PublishInput, Resolution};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::Deserialize;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/rounds/{id}/decisions", get(board).post(decide))
        .route("/rounds/{id}/quota", post(quota))
        .route("/rounds/{id}/notices", post(open))
        .route("/public-notices/{id}/manage", get(manage))
        .route("/objections/{id}/resolve", post(resolve))
        .route("/public-notices/{id}/publish", post(publish))
}

/// The notices these pages show after a form (`?notice=`).
pub const NOTICES: &[(&str, &str)] = &[
    ("decided", "评定结果已保存"),
    ("quota", "名额已保存"),
    ("opened", "公示已发布"),
    ("resolved", "异议已处理"),
    ("published", "已发文公布"),
];

fn notice_text(code: Option<&str>) -> Option<&'static str> {
    let code = code?;
    NOTICES.iter().find(|(c, _)| *c == code).map(|(_, t)| *t)
}

#[derive(Debug, Deserialize)]
struct NoticeQuery {
    notice: Option<String>,
    done: Option<i64>,
    failed: Option<i64>,
    page: Option<String>,
}

/// Rows per page of the decisions board.
const PER_PAGE: i64 = 50;

async fn board(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let paging = super::paging(query.page.as_deref(), PER_PAGE)?;
    let board = decisions::board(&state, &page.actor, id, paging).await?;
    let notices = notices::round_notices(&state, &page.actor, id).await?;
    let message = notice_text(query.notice.as_deref()).map(|text| tr(page.lang, text).to_owned());
    page.render(
        "decisions.html",
        "rounds",
        context! {
            board => serde_value(&board),
            notices => serde_value(&notices),
            message => message,
            done => query.done,
            failed => query.failed,
            default_days => notices::DEFAULT_DAYS,
            pages => super::page_count(board.total, PER_PAGE),
        },
    )
}

async fn decide(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let mut ids = Vec::new();
    for (key, value) in &pairs {
        if key == "id" {
            ids.push(
                value
                    .parse::<i64>()
                    .map_err(|_| AppError::invalid("申报编号无效 / invalid application id"))?,
            );
        }
    }
    let result = form_value(&pairs, "result").trim();
    let input = DecisionInput {
        result: (!result.is_empty()).then(|| result.to_owned()),
        reason: form_value(&pairs, "reason").to_owned(),
    };
    let results = decisions::decide_many(&state, &page.actor, id, &ids, &input).await?;
    let done = results.iter().filter(|r| r.error.is_none()).count();
    Ok(Redirect::to(&format!(
        "/rounds/{id}/decisions?notice=decided&done={done}&failed={}",
        results.len() - done
    ))
    .into_response())
}

async fn quota(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let text = form_value(&pairs, "quota").trim();
    let quota = if text.is_empty() {
        None
    } else {
        Some(text.parse::<i64>().map_err(|_| {
            AppError::invalid("名额应为 1 到 10000 之间的整数 / the quota must be from 1 to 10000")
        })?)
    };
    decisions::set_quota(&state, &page.actor, id, quota).await?;
    Ok(Redirect::to(&format!("/rounds/{id}/decisions?notice=quota")).into_response())
}

async fn open(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let days = form_value(&pairs, "days").trim();
    let input = OpenInput {
        days: if days.is_empty() {
            None
        } else {
            Some(days.parse::<i64>().map_err(|_| {
                AppError::invalid("公示期应为整数天 / the period is a number of days")
            })?)
        },
        title: Some(form_value(&pairs, "title").to_owned()),
        office: Some(form_value(&pairs, "office").to_owned()),
        contact: Some(form_value(&pairs, "contact").to_owned()),
        how_to_object: Some(form_value(&pairs, "how_to_object").to_owned()),
    };
    let opened = notices::open(&state, &page.actor, id, &input).await?;
    Ok(match opened.notice_id {
        Some(notice) => Redirect::to(&format!("/public-notices/{notice}/manage?notice=opened")),
        None => Redirect::to(&format!("/rounds/{id}/decisions?notice=decided")),
    }
    .into_response())
}

async fn manage(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> AppResult<Response> {
    let message = notice_text(query.notice.as_deref()).map(|text| tr(page.lang, text).to_owned());
    render_manage(&state, &page, id, &query, message, None).await
}

/// The management page of a notice, with a notice after a form or a refusal beside it.
async fn render_manage(
    state: &AppState,
    page: &PageActor,
    id: i64,
    query: &NoticeQuery,
    message: Option<String>,
    refused: Option<&AppError>,
) -> AppResult<Response> {
    let notice = notices::manage(state, &page.actor, id).await?;
    let status = refused.map_or(axum::http::StatusCode::OK, super::refusal_status);
    page.render_with_status(
        status,
        "notice_manage.html",
        "rounds",
        context! {
            n => serde_value(&notice),
            message => message,
            error => refused.map(|error| super::message_in(page.lang, &error.message)),
            done => query.done,
            failed => query.failed,
            today => state.today().to_string(),
        },
    )
}

async fn resolve(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let notice: i64 = form_value(&pairs, "notice")
        .parse()
        .map_err(|_| AppError::invalid("公示编号无效 / invalid notice id"))?;
    notices::resolve(
        &state,
        &page.actor,
        id,
        &Resolution {
            outcome: form_value(&pairs, "outcome").to_owned(),
            reason: form_value(&pairs, "reason").to_owned(),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/public-notices/{notice}/manage?notice=resolved")).into_response())
}

async fn publish(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let published = match notices::publish(
        &state,
        &page.actor,
        id,
        &PublishInput {
            document_number: form_value(&pairs, "document_number").to_owned(),
            document_date: form_value(&pairs, "document_date").to_owned(),
        },
    )
    .await
    {
        Ok(published) => published,
        // The period not over, a date before its end, a missing number: said beside the form.
        Err(error) if super::refused_at_form(&error) => {
            let query = NoticeQuery {
                notice: None,
                done: None,
                failed: None,
                page: None,
            };
            return render_manage(&state, &page, id, &query, None, Some(&error)).await;
        }
        Err(error) => return Err(error),
    };
    Ok(Redirect::to(&format!(
        "/public-notices/{id}/manage?notice=published&done={}&failed={}",
        published.published.len(),
        published.held.len()
    ))
    .into_response())
}
