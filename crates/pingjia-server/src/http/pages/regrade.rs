//! The authority's impact analysis, `/regrade` 「影响分析」: two versions of one standard chosen
//! from the catalogue, the counts per grade before and after (a table and a chart), the
//! movers with the criteria that move them (filtered by direction, paged), and `/regrade.csv`,
//! the whole result. The service is the API's (`services::regrade`).

use super::charts::{self, Pair};
use super::{PageActor, message_in, paging, query_string, refusal_status, refused_at_form};
use super::{serde_value, tr};
use crate::context::AppState;
use crate::error::AppResult;
use crate::http::extract;
use crate::services::regrade::{self, Request};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minijinja::context;
use serde::Deserialize;

/// Movers per page.
const PER_PAGE: i64 = 20;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/regrade", get(impact_page))
        .route("/regrade.csv", get(impact_csv))
}

#[derive(Debug, Default, Deserialize)]
pub struct ImpactQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub direction: Option<String>,
    pub page: Option<String>,
}

async fn impact_page(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<ImpactQuery>,
) -> AppResult<Response> {
    let versions = regrade::choices(&state, &page.actor).await?;
    let from = query.from.as_deref().unwrap_or_default();
    let to = query.to.as_deref().unwrap_or_default();
    let direction = query.direction.as_deref().unwrap_or_default();
    let asked = query.from.is_some() || query.to.is_some();
    let (impact, error, status) = if asked {
        let result = match paging(query.page.as_deref(), PER_PAGE) {
            Ok(number) => {
                regrade::impact(
                    &state,
                    &page.actor,
                    &Request {
                        from,
                        to,
                        direction: Some(direction),
                        page: number,
                    },
                )
                .await
            }
            Err(error) => Err(error),
        };
        match result {
            Ok(impact) => (Some(impact), None, StatusCode::OK),
            Err(error) if refused_at_form(&error) => (
                None,
                Some(message_in(page.lang, &error.message)),
                refusal_status(&error),
            ),
            Err(error) => return Err(error),
        }
    } else {
        (None, None, StatusCode::OK)
    };
    let chart = impact.as_ref().filter(|i| i.members > 0).map(|impact| {
        let english = page.lang == "en";
        let rows: Vec<Pair> = impact
            .counts
            .iter()
            .map(|c| Pair {
                label: if english {
                    c.grade_en.clone()
                } else {
                    c.grade.clone()
                },
                before: c.before,
                after: c.after,
            })
            .collect();
        charts::pairs(
            tr(page.lang, "各等级成员数"),
            tr(
                page.lang,
                "每个等级两条横条：灰色为原方案版本下的成员数，蓝色为新方案版本下的成员数",
            ),
            &rows,
        )
    });
    let pages = impact.as_ref().map_or(1, |i| i.pages.max(1));
    page.render_with_status(
        status,
        "regrade.html",
        "regrade",
        context! {
            versions => serde_value(&versions),
            from => from,
            to => to,
            direction => direction,
            impact => impact.as_ref().map(serde_value),
            chart => chart,
            error => error,
            page_number => impact.as_ref().map_or(1, |i| i.page),
            pages => pages,
            query => query_string(&[("from", from), ("to", to), ("direction", direction)]),
            csv_query => query_string(&[("from", from), ("to", to)]),
        },
    )
}

async fn impact_csv(
    State(state): State<AppState>,
    page: PageActor,
    Query(query): Query<ImpactQuery>,
) -> AppResult<Response> {
    let file = regrade::csv(
        &state,
        &page.actor,
        query.from.as_deref().unwrap_or_default(),
        query.to.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.media_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                extract::content_disposition(&file.filename),
            ),
        ],
        file.bytes,
    )
        .into_response())
}
