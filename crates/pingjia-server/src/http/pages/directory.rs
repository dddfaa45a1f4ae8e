//! The public directory of the resource pool, signed in or not: `/directory` (search, filters,
//! sorts, pages, downloads), `/directory/{id}` (one member: grade, term, the round and document
//! that granted it, its public history) and `/directory/stats` (counts by type, grade and
//! region, grants per round, as charts and tables). Over `services::directory`, like the open
//! data under `/api/v1/public/directory…`.

use super::charts::{self, Stack};
use super::{PageActor, serde_value, tr};
use crate::context::AppState;
use crate::error::AppResult;
use crate::http::extract::MaybeActor;
use crate::services::directory::{self, DirectoryQuery, StatsQuery};
use crate::services::organizations;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minijinja::{Value, context};
use serde::Serialize;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/directory", get(list))
        .route("/directory/stats", get(stats))
        .route("/directory/{id}", get(member))
}

/// The results a member may hold, for the filter (the decisions' positive outcomes).
const RESULTS: &[&str] = &["五星", "四星", "三星", "认定", "入选"];

/// The layout's context (the signed-in user's, or the language alone) and the audit log's
/// checkpoint summary.
async fn base(
    state: &AppState,
    actor: Option<crate::services::actor::Actor>,
    headers: &HeaderMap,
) -> AppResult<(Value, &'static str)> {
    let lang = super::language(headers);
    let layout = match actor {
        Some(actor) => {
            let unread = crate::services::notifications::unread(state, &actor).await?;
            PageActor {
                actor,
                lang,
                unread,
            }
            .base("directory")
        }
        None => context! { lang => lang, nav => "directory" },
    };
    let audit_checkpoint = super::transparency::summary(state).await?;
    Ok((
        context! { audit_checkpoint => audit_checkpoint, ..layout },
        lang,
    ))
}

#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    label: String,
    group: Option<String>,
    selected: bool,
}

fn value(v: &Option<String>) -> String {
    v.as_deref().map(str::trim).unwrap_or_default().to_owned()
}

fn scheme_choices(state: &AppState, selected: &str) -> Vec<Choice> {
    state
        .catalog
        .schemes
        .iter()
        .map(|s| Choice {
            value: s.id.clone(),
            label: super::applications::short_title(s),
            group: None,
            selected: s.id == selected,
        })
        .collect()
}

/// Every region, indented by level (a select without a script: 省 → 市 → 县).
async fn region_choices(
    state: &AppState,
    selected: &str,
    counties: bool,
) -> AppResult<Vec<Choice>> {
    Ok(organizations::regions(state)
        .await?
        .into_iter()
        .filter(|r| counties || r.level != "county")
        .map(|r| Choice {
            selected: r.code == selected,
            label: match r.level.as_str() {
                "city" => format!("\u{3000}{}", r.name),
                "county" => format!("\u{3000}\u{3000}{}", r.name),
                _ => r.name,
            },
            value: r.code,
            group: None,
        })
        .collect())
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Query(query): Query<DirectoryQuery>,
) -> AppResult<Response> {
    let (layout, lang) = base(&state, actor, &headers).await?;
    let (f_q, f_scheme, f_type, f_result, f_region, f_status, f_sort, f_dir) = (
        value(&query.q),
        value(&query.scheme),
        value(&query.provider_type),
        value(&query.result),
        value(&query.region),
        value(&query.status),
        value(&query.sort),
        value(&query.dir),
    );
    let types: Vec<Choice> = state
        .catalog
        .schemes
        .iter()
        .flat_map(|s| {
            s.provider_types.iter().map(|t| Choice {
                value: t.id.clone(),
                label: t.title.clone(),
                group: Some(super::applications::short_title(s)),
                selected: t.id == f_type,
            })
        })
        .collect();
    let fixed = |list: &[(&str, &str)], selected: &str| -> Vec<Choice> {
        list.iter()
            .map(|(id, label)| Choice {
                value: (*id).to_owned(),
                label: tr(lang, label).to_owned(),
                group: None,
                selected: *id == selected,
            })
            .collect()
    };
    let results: Vec<Choice> = RESULTS
        .iter()
        .map(|r| Choice {
            value: (*r).to_owned(),
            label: tr(lang, r).to_owned(),
            group: None,
            selected: *r == f_result,
        })
        .collect();
    let mut statuses = fixed(directory::STATUSES, &f_status);
    statuses.push(Choice {
        value: "all".into(),
        label: tr(lang, "全部状态").to_owned(),
        group: None,
        selected: f_status == "all",
    });
    let filter = context! {
        q => f_q.clone(),
        schemes => serde_value(&scheme_choices(&state, &f_scheme)),
        types => serde_value(&types),
        results => serde_value(&results),
        regions => serde_value(&region_choices(&state, &f_region, true).await?),
        statuses => serde_value(&statuses),
        sorts => serde_value(&fixed(directory::SORTS, &f_sort)),
        dir => f_dir.clone(),
        active => [&f_q, &f_scheme, &f_type, &f_result, &f_region, &f_status, &f_sort, &f_dir]
            .iter()
            .any(|v| !v.is_empty()),
    };
    let (status, page, error, links) = match directory::parse(&state, &query).await {
        Ok(parsed) => {
            let page = directory::list(&state, &parsed).await?;
            let pairs: Vec<(&str, &str)> =
                parsed.pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let mut links = super::query_string(&pairs);
            if query.per_page.is_some() {
                links.push_str(&format!("&per_page={}", parsed.page.size));
            }
            (StatusCode::OK, Some(page), None, links)
        }
        Err(error) if super::refused_at_form(&error) => (
            super::refusal_status(&error),
            None,
            Some(super::message_in(lang, &error.message)),
            String::new(),
        ),
        Err(error) => return Err(error),
    };
    let downloads = links.strip_prefix('&').unwrap_or_default().to_owned();
    let html = super::render(
        "directory.html",
        context! {
            filter => filter,
            error => error,
            rows => page.as_ref().map(|p| serde_value(&p.items)),
            total => page.as_ref().map_or(0, |p| p.total),
            page_number => page.as_ref().map_or(1, |p| p.page),
            pages => page.as_ref().map_or(1, |p| p.pages),
            query => links,
            downloads => downloads,
            ..layout
        },
    )?;
    Ok((status, html).into_response())
}

async fn member(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let detail = directory::member(&state, id).await?;
    let (layout, _) = base(&state, actor, &headers).await?;
    let certificate_url = detail
        .certificate_number
        .as_ref()
        .map(|number| format!("/certificates/{number}"));
    let html = super::render(
        "directory_member.html",
        context! {
            m => serde_value(&detail),
            certificate_url => certificate_url,
            ..layout
        },
    )?;
    Ok(html.into_response())
}

/// The colours of the grades' series, most stars first.
const SERIES: &[&str] = &[
    "#1f4e79", "#2e6da4", "#6fa8dc", "#38761d", "#b45f06", "#7f6000",
];

fn stacks(rows: &[directory::CountRow]) -> Vec<Stack> {
    rows.iter()
        .map(|r| Stack {
            label: r.label.clone(),
            values: r.counts.iter().map(|&n| n as f64).collect(),
        })
        .collect()
}

async fn stats(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeActor(actor): MaybeActor,
    Query(query): Query<StatsQuery>,
) -> AppResult<Response> {
    let (layout, lang) = base(&state, actor, &headers).await?;
    let (f_scheme, f_region) = (value(&query.scheme), value(&query.region));
    let filter = context! {
        schemes => serde_value(&scheme_choices(&state, &f_scheme)),
        regions => serde_value(&region_choices(&state, &f_region, false).await?),
        active => !f_scheme.is_empty() || !f_region.is_empty(),
    };
    let (status, counts, error) = match directory::stats(&state, &query).await {
        Ok(counts) => (StatusCode::OK, Some(counts), None),
        Err(error) if super::refused_at_form(&error) => (
            super::refusal_status(&error),
            None,
            Some(super::message_in(lang, &error.message)),
        ),
        Err(error) => return Err(error),
    };
    let charts = counts.as_ref().map(|c| {
        let series: Vec<(String, &str)> = c
            .grades
            .iter()
            .zip(SERIES.iter().cycle())
            .map(|(g, colour)| (tr(lang, &g.result).to_owned(), *colour))
            .collect();
        let trend_series: Vec<(String, &str)> = c
            .trend_grades
            .iter()
            .zip(SERIES.iter().cycle())
            .map(|(g, colour)| (tr(lang, &g.result).to_owned(), *colour))
            .collect();
        context! {
            regions => Value::from_safe_string(charts::stacked(
                tr(lang, "各地区在库单位数"),
                tr(lang, "每行一个地区，按评定结果分段，右侧为合计"),
                &stacks(&c.by_region),
                &series,
            )),
            types => Value::from_safe_string(charts::stacked(
                tr(lang, "各服务商类型在库单位数"),
                tr(lang, "每行一个服务商类型，按评定结果分段，右侧为合计"),
                &stacks(&c.by_type),
                &series,
            )),
            trends => Value::from_safe_string(charts::stacked(
                tr(lang, "各批次公布结果"),
                tr(lang, "每行一个批次，按评定结果分段，右侧为合计"),
                &stacks(&c.trends),
                &trend_series,
            )),
        }
    });
    let query_string = super::query_string(&[("scheme", &f_scheme), ("region", &f_region)]);
    let html = super::render(
        "directory_stats.html",
        context! {
            filter => filter,
            error => error,
            s => counts.as_ref().map(serde_value),
            charts => charts,
            api_query => query_string.strip_prefix('&').unwrap_or_default().to_owned(),
            ..layout
        },
    )?;
    Ok((status, html).into_response())
}
