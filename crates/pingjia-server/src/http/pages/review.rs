//! The review pages: the review sections of the application page (timeline, comments on
//! criteria, the reviewer's decision form, the applicant's withdrawal) and their POST handlers,
//! over the same review services as the API.

use super::applications::{Refused, flash_back, refused};
use super::{PageActor, form_value, parse_form, tr};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::Role;
use crate::services::applications::{self, ApplicationDetail};
use crate::services::review::{self, Decision};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use minijinja::{Value, context};
use pingjia_core::workflow::Action;
use std::collections::BTreeMap;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/applications/{id}/decide", post(decide))
}

/// The notices shown after a decision (`?notice=review_<action>`): 「已{操作}」.
pub const NOTICES: &[(&str, &str)] = &[
    ("review_pass", "已通过初审"),
    ("review_recommend", "已审核推荐"),
    ("review_return", "已退回修改"),
    ("review_return_to_recommender", "已退回推荐单位"),
    ("review_reject", "已驳回"),
    ("review_withdraw", "已撤回"),
];

/// The notice of a decision named in the query, if it is one.
pub fn notice_text(code: Option<&str>) -> Option<&'static str> {
    let code = code?;
    NOTICES.iter().find(|(c, _)| *c == code).map(|(_, t)| *t)
}

/// How many rows of comments on criteria the return form offers.
const COMMENT_ROWS: usize = 5;

fn action_label(lang: &str, action: Action) -> &'static str {
    if lang == "en" {
        action.label_en()
    } else {
        action.label_zh()
    }
}

/// What the application page shows of the review: the timeline, the open comments on
/// criteria (criterion id → comment), the decisions the actor may take with what their form
/// needs.
pub(super) async fn application_context(
    state: &AppState,
    page: &PageActor,
    detail: &ApplicationDetail,
    old_version: bool,
) -> AppResult<Value> {
    let application = &detail.application;
    let id = application.id;
    let lang = page.lang;
    let (scheme, provider_type) = applications::scheme_of(state, application)?;
    let criterion_label = |criterion: &str| {
        scheme
            .criteria
            .iter()
            .find(|c| c.id == criterion)
            .map_or_else(
                || criterion.to_owned(),
                |c| pingjia_core::Scheme::label_for(&c.label, scheme.round.reference_year),
            )
    };
    let timeline = review::timeline(state, &page.actor, id).await?;
    let comments = review::open_comments(&timeline, application.state);
    let entries: Vec<Value> = timeline
        .iter()
        .map(|e| {
            let action: Option<Action> = e.action.parse().ok();
            context! {
                at => e.at,
                action => e.action.clone(),
                action_label => action.map_or_else(|| e.action_label.clone(), |a| action_label(lang, a).to_owned()),
                to_state_label => tr(lang, super::applications::state_label(&e.to_state)),
                version => e.version,
                by => e.by.clone(),
                comment => e.comment.clone(),
                criteria => e.criterion_comments.iter().map(|(c, text)| context! {
                    id => c.clone(),
                    label => criterion_label(c),
                    comment => text.clone(),
                }).collect::<Vec<_>>(),
                respond_by => e.respond_by.clone(),
            }
        })
        .collect();
    let allowed = if old_version {
        Vec::new()
    } else {
        review::actions(state, &page.actor, application).await?
    };
    let reviewer = page.actor.role != Role::Applicant;
    let decisions: Vec<Value> = if reviewer {
        allowed
            .iter()
            .map(|a| {
                context! {
                    value => a.as_str(),
                    label => action_label(lang, *a),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let can_withdraw = !reviewer && allowed.contains(&Action::Withdraw);
    let criteria: Vec<Value> = if decisions.is_empty() {
        Vec::new()
    } else {
        scheme
            .criteria
            .iter()
            .filter(|c| scheme.applies_to(c, provider_type))
            .map(|c| {
                context! {
                    id => c.id.clone(),
                    label => format!(
                        "{} · {}",
                        tr(lang, c.section.label()),
                        pingjia_core::Scheme::label_for(&c.label, scheme.round.reference_year)
                    ),
                }
            })
            .collect()
    };
    Ok(context! {
        timeline => entries,
        comments => comments,
        decisions => decisions,
        can_return => allowed.contains(&Action::Return) && reviewer,
        can_recommend => allowed.contains(&Action::Recommend) && reviewer,
        can_withdraw => can_withdraw,
        comment_rows => (1..=COMMENT_ROWS).collect::<Vec<_>>(),
        criteria => criteria,
        default_opinion => review::DEFAULT_OPINION,
        default_respond_by => (state.today() + chrono::Duration::days(review::DEFAULT_RESPOND_DAYS)).to_string(),
    })
}

/// The decision form: builds a [`Decision`] from the posted fields and takes it; a refusal the
/// page can explain goes back to the page as a flash message.
async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let action = form_value(&pairs, "action").trim().to_owned();
    if action == Action::Withdraw.as_str() && form_value(&pairs, "confirm") != "1" {
        let message = tr(page.lang, "请勾选“确认撤回”后再撤回申报");
        return Ok(flash_back(&state, &headers, id, Refused::Review, message));
    }
    let values = |key: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let mut criterion_comments = BTreeMap::new();
    for (criterion, comment) in values("criterion")
        .into_iter()
        .zip(values("criterion_comment"))
    {
        let (criterion, comment) = (criterion.trim(), comment.trim());
        if !criterion.is_empty() && !comment.is_empty() {
            criterion_comments.insert(criterion.to_owned(), comment.to_owned());
        }
    }
    let optional =
        |key: &str| Some(form_value(&pairs, key).trim().to_owned()).filter(|text| !text.is_empty());
    let rank = match optional("rank") {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(rank) => Some(rank),
            Err(_) => {
                let error = AppError::invalid(
                    "推荐顺序应为 1 到 10000 之间的整数 / rank must be from 1 to 10000",
                );
                return Ok(refused(
                    &state,
                    &headers,
                    &page,
                    id,
                    Refused::Review,
                    &error,
                ));
            }
        },
    };
    let is_return = action == Action::Return.as_str();
    let is_recommend = action == Action::Recommend.as_str();
    let decision = Decision {
        comment: form_value(&pairs, "comment").to_owned(),
        criterion_comments: if is_return {
            criterion_comments
        } else {
            BTreeMap::new()
        },
        respond_by: if is_return {
            optional("respond_by")
        } else {
            None
        },
        opinion: if is_recommend {
            optional("opinion")
        } else {
            None
        },
        rank: if is_recommend { rank } else { None },
        action,
    };
    match review::decide(&state, &page.actor, id, &decision).await {
        Ok(done) => Ok(Redirect::to(&format!(
            "/applications/{id}?notice=review_{}",
            done.action.as_str()
        ))
        .into_response()),
        Err(error) if (400..500).contains(&error.status) && error.status != 404 => Ok(refused(
            &state,
            &headers,
            &page,
            id,
            Refused::Review,
            &error,
        )),
        Err(error) => Err(error),
    }
}
