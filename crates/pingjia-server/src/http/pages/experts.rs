//! The expert's pages: the assignments (`/expert`) with the conflict declaration, and the
//! review sheet (`/expert/{assignment}`: scores, opinions, submission; the other experts'
//! reviews once submitted), over the same services as the API (`services::experts`).

use super::{PageActor, form_value, message_in, parse_form, serde_value};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::experts::{self, Declaration, ItemScore, ReviewInput};
use crate::services::lifecycle::{self, RevocationInput};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/expert", get(tasks))
        .route("/expert/{id}", get(sheet).post(save))
        .route("/expert/{id}/declare", post(declare))
        .route("/expert/{id}/submit", post(submit))
}

use super::{refusal_status as status, refused_at_form as shown};

async fn render_tasks(
    state: &AppState,
    page: &PageActor,
    code: StatusCode,
    error: Option<String>,
) -> AppResult<Response> {
    let tasks = experts::tasks(state, &page.actor).await?;
    page.render_with_status(
        code,
        "expert_tasks.html",
        "expert",
        context! { tasks => serde_value(&tasks), error => error },
    )
}

async fn tasks(State(state): State<AppState>, page: PageActor) -> AppResult<Response> {
    render_tasks(&state, &page, StatusCode::OK, None).await
}

async fn declare(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let declaration = Declaration {
        no_conflict: form_value(&pairs, "no_conflict") == "1",
        text: form_value(&pairs, "text").to_owned(),
    };
    match experts::declare(&state, &page.actor, id, &declaration).await {
        Ok(task) if task.status == "accepted" => {
            Ok(Redirect::to(&format!("/expert/{id}")).into_response())
        }
        Ok(_) => Ok(Redirect::to("/expert").into_response()),
        Err(error) if shown(&error) => {
            let message = message_in(page.lang, &error.message);
            render_tasks(&state, &page, status(&error), Some(message)).await
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Default, Deserialize)]
struct SheetQuery {
    notice: Option<String>,
}

fn notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "saved" => Some("已保存"),
        "submitted" => Some("评审意见已提交。"),
        _ => None,
    }
}

async fn render_sheet(
    state: &AppState,
    page: &PageActor,
    id: i64,
    code: StatusCode,
    error: Option<String>,
    notice: Option<&'static str>,
) -> AppResult<Response> {
    let review = experts::review(state, &page.actor, id).await?;
    page.render_with_status(
        code,
        "expert_review.html",
        "expert",
        context! { review => serde_value(&review), error => error, notice => notice },
    )
}

async fn sheet(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Query(query): Query<SheetQuery>,
) -> AppResult<Response> {
    render_sheet(
        &state,
        &page,
        id,
        StatusCode::OK,
        None,
        notice(query.notice.as_deref()),
    )
    .await
}

async fn save(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let mut scores = BTreeMap::new();
    for (key, value) in &pairs {
        if let Some(item) = key.strip_prefix("score:")
            && !value.trim().is_empty()
        {
            scores.insert(
                item.to_owned(),
                ItemScore {
                    score: serde_json::Value::String(value.trim().to_owned()),
                    note: form_value(&pairs, &format!("note:{item}")).to_owned(),
                },
            );
        }
    }
    let input = ReviewInput {
        scores,
        opinion: Some(form_value(&pairs, "opinion").to_owned()),
    };
    match experts::save_review(&state, &page.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/expert/{id}?notice=saved")).into_response()),
        Err(error) if shown(&error) => {
            let message = message_in(page.lang, &error.message);
            render_sheet(&state, &page, id, status(&error), Some(message), None).await
        }
        Err(error) => Err(error),
    }
}

async fn submit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    match experts::submit_review(&state, &page.actor, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/expert/{id}?notice=submitted")).into_response()),
        Err(error) if shown(&error) => {
            let message = message_in(page.lang, &error.message);
            render_sheet(&state, &page, id, status(&error), Some(message), None).await
        }
        Err(error) => Err(error),
    }
}

/// The authority's page of an application's experts: assignments, candidates with the
/// conflicts found (shown before anyone is assigned), assignment and conflict decisions.
pub fn authority_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/applications/{id}/experts",
            get(application_experts).post(assign),
        )
        .route("/applications/{id}/conflicts", post(decide_conflict))
        .route("/applications/{id}/experts/{expert}/remove", post(unassign))
        .route("/applications/{id}/experts/{expert}/reopen", post(reopen))
        .route("/applications/{id}/site-visits", post(site_visit))
        .route("/applications/{id}/fraud", post(fraud))
        .route(
            "/applications/{id}/site-visits/{visit}/files",
            post(site_visit_file).layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

async fn render_application(
    state: &AppState,
    page: &PageActor,
    id: i64,
    code: StatusCode,
    error: Option<String>,
) -> AppResult<Response> {
    render_application_with(state, page, id, code, error, None).await
}

async fn render_application_with(
    state: &AppState,
    page: &PageActor,
    id: i64,
    code: StatusCode,
    error: Option<String>,
    notice: Option<&'static str>,
) -> AppResult<Response> {
    let view = experts::of_application(state, &page.actor, id).await?;
    let grounds = lifecycle::fraud_grounds(state, &page.actor, id).await?;
    page.render_with_status(
        code,
        "application_experts.html",
        "review",
        context! {
            view => serde_value(&view),
            grounds => serde_value(&grounds),
            error => error,
            notice => notice.map(|text| super::tr(page.lang, text)),
            today => state.today().to_string(),
            max_upload_mb => state.config.max_upload_bytes / 1024 / 1024,
        },
    )
}

/// The notices of the authority's page after a form (`?notice=`).
fn application_notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "assigned" => Some("专家已分配"),
        "removed" => Some("已撤销该专家的分配"),
        "reopened" => Some("已退回专家重新评审"),
        "visit" => Some("现场核查已记录"),
        "visit_file" => Some("核查材料已上传"),
        "conflict" => Some("利益冲突已认定"),
        "fraud" => Some("已认定造假：申报已驳回，并记入禁入期"),
        _ => None,
    }
}

async fn application_experts(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    Query(query): Query<SheetQuery>,
) -> AppResult<Response> {
    let notice = application_notice(query.notice.as_deref());
    render_application_with(&state, &page, id, StatusCode::OK, None, notice).await
}

async fn assign(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let expert_ids = pairs
        .iter()
        .filter(|(key, _)| key == "expert")
        .filter_map(|(_, value)| value.parse().ok())
        .collect();
    let request = experts::AssignRequest { expert_ids };
    match experts::assign(&state, &page.actor, id, &request).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/applications/{id}/experts?notice=assigned")).into_response(),
        ),
        Err(error) if shown(&error) => {
            let message = message_in(page.lang, &error.message);
            render_application(&state, &page, id, status(&error), Some(message)).await
        }
        Err(error) => Err(error),
    }
}

/// Rejects the application for fraud found in review or on notice (`lifecycle::reject_for_fraud`,
/// the API's `POST /api/v1/applications/{id}/fraud`); a refusal is said beside the form.
async fn fraud(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let input = RevocationInput {
        ground: form_value(&pairs, "ground").trim().to_owned(),
        found_on: form_value(&pairs, "found_on").trim().to_owned(),
        detail: form_value(&pairs, "detail").trim().to_owned(),
    };
    match lifecycle::reject_for_fraud(&state, &page.actor, id, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/applications/{id}/experts?notice=fraud")).into_response())
        }
        Err(error) if shown(&error) => {
            let message = message_in(page.lang, &error.message);
            render_application(&state, &page, id, status(&error), Some(message)).await
        }
        Err(error) => Err(error),
    }
}

async fn decide_conflict(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let decision = experts::ConflictDecision {
        expert_id: form_value(&pairs, "expert_id").parse().unwrap_or(0),
        kind: form_value(&pairs, "kind").to_owned(),
        decision: form_value(&pairs, "decision").to_owned(),
        reason: form_value(&pairs, "reason").to_owned(),
    };
    match experts::decide_conflict(&state, &page.actor, id, &decision).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/applications/{id}/experts?notice=conflict")).into_response(),
        ),
        Err(error) if shown(&error) => {
            let message = message_in(page.lang, &error.message);
            render_application(&state, &page, id, status(&error), Some(message)).await
        }
        Err(error) => Err(error),
    }
}

/// A form of the authority's page: CSRF first, then the service; a refusal goes back to the
/// page with its message, a success to the page with its notice.
async fn authority_form<F, T>(
    state: &AppState,
    page: &PageActor,
    id: i64,
    pairs: &[(String, String)],
    notice: &str,
    command: F,
) -> AppResult<Response>
where
    F: std::future::Future<Output = AppResult<T>>,
{
    page.check_csrf(form_value(pairs, "csrf"))?;
    match command.await {
        Ok(_) => Ok(
            Redirect::to(&format!("/applications/{id}/experts?notice={notice}")).into_response(),
        ),
        Err(error) if shown(&error) => {
            let message = message_in(page.lang, &error.message);
            render_application(state, page, id, status(&error), Some(message)).await
        }
        Err(error) => Err(error),
    }
}

async fn unassign(
    State(state): State<AppState>,
    page: PageActor,
    Path((id, expert)): Path<(i64, i64)>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    let command = experts::unassign(&state, &page.actor, id, expert);
    authority_form(&state, &page, id, &pairs, "removed", command).await
}

async fn reopen(
    State(state): State<AppState>,
    page: PageActor,
    Path((id, expert)): Path<(i64, i64)>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    let reopen = experts::Reopen {
        reason: form_value(&pairs, "reason").to_owned(),
    };
    let command = experts::reopen(&state, &page.actor, id, expert, &reopen);
    authority_form(&state, &page, id, &pairs, "reopened", command).await
}

async fn site_visit(
    State(state): State<AppState>,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    let input = experts::SiteVisitInput {
        visited_on: form_value(&pairs, "visited_on").to_owned(),
        members: form_value(&pairs, "members").to_owned(),
        findings: form_value(&pairs, "findings").to_owned(),
    };
    let command = experts::record_site_visit(&state, &page.actor, id, &input);
    authority_form(&state, &page, id, &pairs, "visit", command).await
}

/// A file of a site visit: the CSRF token travels in the multipart body, checked before
/// anything is stored.
async fn site_visit_file(
    State(state): State<AppState>,
    page: PageActor,
    Path((id, visit)): Path<(i64, i64)>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    let (state, page) = (&state, &page);
    let refused = |error: AppError| async move {
        let message = message_in(page.lang, &error.message);
        render_application(state, page, id, status(&error), Some(message)).await
    };
    let Ok(multipart) = multipart else {
        return refused(AppError::invalid(
            "请选择要上传的文件 / choose a file to upload",
        ))
        .await;
    };
    let (upload, csrf) =
        match crate::http::extract::read_upload(multipart, state.config.max_upload_bytes).await {
            Ok(read) => read,
            Err(error) if shown(&error) || error.status == 413 => return refused(error).await,
            Err(error) => return Err(error),
        };
    page.check_csrf(csrf.as_deref().unwrap_or_default())?;
    let result = match crate::http::extract::require_file(upload) {
        Ok(upload) => experts::attach_site_visit_file(state, &page.actor, id, visit, upload).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/applications/{id}/experts?notice=visit_file#visits"
        ))
        .into_response()),
        Err(error) if shown(&error) || error.status == 413 => refused(error).await,
        Err(error) => Err(error),
    }
}
