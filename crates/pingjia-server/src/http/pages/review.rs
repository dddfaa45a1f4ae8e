//! The review pages: the review sections of the application page (timeline, comments on
//! criteria, the reviewer's decision form, the applicant's withdrawal) and their POST handlers,
//! over the same review services as the API.

use super::applications::{Refused, flash_back, refused};
use super::{PageActor, form_value, parse_form, tr};
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::Role;
use crate::services::applications::ListFilter;
use crate::services::applications::{self, ApplicationDetail};
use crate::services::records::Page;
use crate::services::review::{self, Decision};
use axum::extract::Query;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use pingjia_core::workflow::Action;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/applications/{id}/decide", post(decide))
        .route("/applications/{id}/confirm", post(confirm))
        .route("/review", get(queue))
        .route("/review/bulk", post(bulk))
}

/// The notices shown after a decision (`?notice=review_<action>`): 「已{操作}」.
pub const NOTICES: &[(&str, &str)] = &[
    ("review_pass", "已通过初审"),
    ("review_recommend", "已审核推荐"),
    ("review_return", "已退回修改"),
    ("review_return_to_recommender", "已退回推荐单位"),
    ("review_reject", "已驳回"),
    ("review_withdraw", "已撤回"),
    ("review_confirmed", "已核定"),
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
    form_fields: &[String],
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
    let version = detail.version.number;
    let confirmations: Vec<Value> = review::confirmations(state, &page.actor, id, version)
        .await?
        .into_iter()
        .map(|c| {
            context! {
                label => c.label,
                declared => c.declared.as_ref().map(shown),
                value => shown(&c.value),
                note => c.note,
                by => c.by,
                at => c.at,
                in_force => c.in_force,
            }
        })
        .collect();
    let can_confirm = !old_version && review::may_confirm(state, &page.actor, application).await?;
    let fields: Vec<Value> = if can_confirm {
        scheme
            .fields
            .iter()
            .filter(|f| form_fields.contains(&f.id))
            .map(|f| context! { id => f.id.clone(), label => f.label.clone() })
            .collect()
    } else {
        Vec::new()
    };
    let changes = if reviewer && version > 1 {
        match review::changes(state, &page.actor, id, version - 1, version).await {
            Ok(changes) => Some(context! {
                from => changes.from,
                to => changes.to,
                values => changes.values.iter().map(|v| context! {
                    label => v.label.clone(),
                    before => v.before.as_ref().map(shown),
                    after => v.after.as_ref().map(shown),
                }).collect::<Vec<_>>(),
                added => changes.evidence_added,
                removed => changes.evidence_removed,
            }),
            Err(error) if error.status == 404 => None,
            Err(error) => return Err(error),
        }
    } else {
        None
    };
    Ok(context! {
        confirmations => confirmations,
        can_confirm => can_confirm && !fields.is_empty(),
        fields => fields,
        changes => changes,
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

/// A declared or confirmed value as the page shows it: text as written, anything else as JSON.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join("、"),
        other => other.to_string(),
    }
}

/// The 核定值 form: confirms or corrects one declared value of the latest submitted version.
async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: PageActor,
    Path(id): Path<i64>,
    body: String,
) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    let confirmation = review::Confirmation {
        field: form_value(&pairs, "field").trim().to_owned(),
        value: serde_json::Value::String(form_value(&pairs, "value").trim().to_owned()),
        note: form_value(&pairs, "note").to_owned(),
    };
    match review::confirm(&state, &page.actor, id, &confirmation).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/applications/{id}?notice=review_confirmed#confirmed"
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

#[derive(Debug, Deserialize)]
struct QueueQuery {
    state: Option<String>,
    /// `oldest` (waiting longest first) or `updated` (the default).
    sort: Option<String>,
    page: Option<i64>,
    recommended: Option<i64>,
    failed: Option<i64>,
}

const PER_PAGE: i64 = 20;

/// The reviewers' queue: how many applications wait in each state (tabs), and the list of
/// the chosen state with each one's deadline.
async fn queue(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<QueueQuery>,
) -> AppResult<Response> {
    if !page.actor.role.is_regional() {
        return Err(AppError::not_found());
    }
    let lang = page.lang;
    let counts = review::queue_counts(&state, &page.actor).await?;
    let wanted = query.state.as_deref().unwrap_or_default();
    let chosen = counts
        .iter()
        .map(|(s, _)| *s)
        .find(|s| s.as_str() == wanted)
        .or_else(|| {
            counts
                .iter()
                .find(|(s, n)| {
                    *n > 0
                        && matches!(
                            s,
                            pingjia_core::workflow::State::CountyReview
                                | pingjia_core::workflow::State::CityReview
                        )
                })
                .map(|(s, _)| *s)
        })
        .or_else(|| counts.iter().find(|(_, n)| *n > 0).map(|(s, _)| *s));
    let tabs: Vec<Value> = counts
        .iter()
        .filter(|(s, _)| *s != pingjia_core::workflow::State::Draft)
        .map(|(s, n)| {
            context! {
                state => s.as_str(),
                label => if lang == "en" { s.label_en() } else { s.label_zh() },
                count => *n,
                current => Some(*s) == chosen,
            }
        })
        .collect();
    let paging = Page::new(query.page, Some(PER_PAGE));
    let (rows, total) = match chosen {
        Some(chosen) => {
            let filter = ListFilter {
                state: Some(chosen.as_str().to_owned()),
                sort: query.sort.clone(),
                ..ListFilter::default()
            };
            let (queue, total) = review::queue(&state, &page.actor, &filter, paging).await?;
            let mut rows = Vec::with_capacity(queue.len());
            for review::QueueRow {
                item,
                deadline,
                overdue,
            } in queue
            {
                let scheme = state
                    .catalog
                    .schemes
                    .iter()
                    .find(|s| s.id == item.scheme_id);
                let kind = scheme.and_then(|s| {
                    item.provider_type
                        .as_deref()
                        .and_then(|t| s.provider_type(t))
                        .map(|t| s.provider_types[t].title.clone())
                });
                rows.push(context! {
                    id => item.id,
                    organization => item.organization_name,
                    title => kind.or_else(|| scheme.map(|s| s.title.clone())).unwrap_or(item.scheme_id),
                    grade => item.grade,
                    updated_at => item.updated_at,
                    deadline => deadline,
                    overdue => overdue,
                });
            }
            (rows, total)
        }
        None => (Vec::new(), 0),
    };
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let bulk = page.actor.role == Role::CityReviewer
        && chosen == Some(pingjia_core::workflow::State::CityReview)
        && !rows.is_empty();
    let summary = match (query.recommended, query.failed) {
        (Some(done), Some(failed)) => Some(
            tr(lang, "已推荐 {} 项，{} 项未能推荐")
                .replacen("{}", &done.to_string(), 1)
                .replacen("{}", &failed.to_string(), 1),
        ),
        _ => None,
    };
    let chosen_id = chosen.map(|s| s.as_str()).unwrap_or_default();
    page.render(
        "review_queue.html",
        "review",
        context! {
            tabs => tabs,
            rows => rows,
            total => total,
            page_number => paging.number,
            pages => pages,
            query => super::query_string(&[("state", chosen_id), ("sort", query.sort.as_deref().unwrap_or_default())]),
            state_id => chosen_id,
            oldest => query.sort.as_deref() == Some("oldest"),
            bulk => bulk,
            summary => summary,
        },
    )
}

/// 批量推荐: one recommendation per chosen application, each its own command.
async fn bulk(State(state): State<AppState>, page: PageActor, body: String) -> AppResult<Response> {
    let pairs = parse_form(&body);
    page.check_csrf(form_value(&pairs, "csrf"))?;
    if !page.actor.role.is_regional() {
        return Err(AppError::not_found());
    }
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
    let decision = Decision {
        action: Action::Recommend.as_str().to_owned(),
        ..Decision::default()
    };
    let results = review::decide_many(&state, &page.actor, &ids, &decision).await?;
    let done = results.iter().filter(|r| r.error.is_none()).count();
    Ok(Redirect::to(&format!(
        "/review?state=city_review&recommended={done}&failed={}",
        results.len() - done
    ))
    .into_response())
}
