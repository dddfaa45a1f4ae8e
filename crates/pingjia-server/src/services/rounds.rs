//! Rounds (批次): the rules the applications of a round follow — its submission window, the
//! grading round (cut-off, reference year, parameters) its declarations are assessed under,
//! and the review chain its applications pass through (the scheme's, or the round's own).

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::storage::{self as store};
use chrono::NaiveDate;
use pingjia_core::Scheme;
use pingjia_core::engine::Round as EngineRound;
use pingjia_core::scheme::Aggregation;
use pingjia_core::workflow::{Chain, Route};
use rust_decimal::Decimal;
use serde::Serialize;
use std::str::FromStr as _;

/// A round by id, whoever asks (the callers check what the actor may see of it).
pub async fn load(state: &AppState, id: i64) -> AppResult<store::Round> {
    store::round(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Where a round's submission window stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Window {
    /// A draft round: nobody applies to it.
    Unpublished,
    /// Published; the window opens on this day.
    NotYet { opens: NaiveDate },
    /// Open through this day (inclusive).
    Open { closes: NaiveDate },
    /// Closed after this day.
    Closed { closed: NaiveDate },
}

impl Window {
    pub fn is_open(self) -> bool {
        matches!(self, Window::Open { .. })
    }

    /// 「申报中（截止 2026-06-30）」 and the like.
    pub fn label_zh(self) -> String {
        match self {
            Window::Unpublished => "草稿".into(),
            Window::NotYet { opens } => format!("未开始（{opens} 开始申报）"),
            Window::Open { closes } => format!("申报中（{closes} 截止）"),
            Window::Closed { closed } => format!("已截止（{closed}）"),
        }
    }
}

/// A stored date; a malformed one is the server's error (rounds are checked when written).
pub fn date(text: Option<&str>) -> AppResult<Option<NaiveDate>> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|_| AppError::internal(format!("stored date `{t}` is not YYYY-MM-DD")))
    })
    .transpose()
}

/// The round's submission window on `today` (China time): open from `opens_on` through
/// `closes_on`, both inclusive.
pub fn window(round: &store::Round, today: NaiveDate) -> AppResult<Window> {
    if round.published_at.is_none() {
        return Ok(Window::Unpublished);
    }
    let (Some(opens), Some(closes)) = (
        date(round.opens_on.as_deref())?,
        date(round.closes_on.as_deref())?,
    ) else {
        return Err(AppError::internal(format!(
            "published round {} has no window",
            round.id
        )));
    };
    Ok(if today < opens {
        Window::NotYet { opens }
    } else if today > closes {
        Window::Closed { closed: closes }
    } else {
        Window::Open { closes }
    })
}

/// The grading round a round's declarations are assessed under: the scheme's defaults, then
/// the round's cut-off, reference year, parameters, aggregation, divergence ratio and requested
/// materials.
pub fn engine_round(scheme: &Scheme, round: &store::Round) -> AppResult<EngineRound> {
    let mut engine = EngineRound::from_scheme(scheme);
    if let Some(cutoff) = date(round.cutoff.as_deref())? {
        engine.cutoff = Some(cutoff);
    }
    if let Some(year) = round.reference_year {
        engine.reference_year = Some(i32::try_from(year).map_err(AppError::internal)?);
    }
    for (id, text) in params(round)? {
        engine
            .set_param(scheme, &id, &text)
            .map_err(AppError::internal)?;
    }
    engine.aggregation = Aggregation::parse(&round.aggregation).ok_or_else(|| {
        AppError::internal(format!(
            "round {} aggregation `{}`",
            round.id, round.aggregation
        ))
    })?;
    if let Some(ratio) = &round.divergence_ratio {
        engine.divergence_ratio = Decimal::from_str(ratio).map_err(AppError::internal)?;
    }
    engine.request_optional_materials = round.request_optional_materials != 0;
    Ok(engine)
}

/// A round's parameter values as stored: parameter id → value text, in id order.
pub fn params(round: &store::Round) -> AppResult<Vec<(String, String)>> {
    let map: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&round.params).map_err(AppError::internal)?;
    Ok(map
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect())
}

/// The review chain of a round's applications: the round's own, or else its scheme's.
pub fn chain_of(scheme: &Scheme, round: Option<&store::Round>) -> AppResult<Chain> {
    if let Some(text) = round.and_then(|r| r.chain.as_deref()) {
        let chain: Chain = serde_json::from_str(text).map_err(AppError::internal)?;
        return Ok(chain);
    }
    scheme.chain.clone().ok_or_else(|| {
        AppError::conflict(
            "no_chain",
            format!(
                "方案「{}」未规定审核流程，不能开展申报 / the scheme states no review chain",
                scheme.title
            ),
        )
    })
}

/// The codes of a region path and its ancestors: `/32/3205/320583/` → `32`, `3205`, `320583`.
pub fn path_codes(path: &str) -> Vec<&str> {
    path.split('/').filter(|code| !code.is_empty()).collect()
}

/// The offices an application from `region_path` passes through in this round.
pub fn route(scheme: &Scheme, round: Option<&store::Round>, region_path: &str) -> AppResult<Route> {
    Ok(chain_of(scheme, round)?.route(&path_codes(region_path)))
}

/// The published rounds of `scheme_id` whose window is open today and whose authority's
/// region contains `region_path` (an organisation's), newest first.
pub async fn open_rounds_for(
    state: &AppState,
    scheme_id: &str,
    region_path: &str,
) -> AppResult<Vec<store::Round>> {
    let today = state.today();
    let mut open = Vec::new();
    for round in store::published_rounds(&state.db).await? {
        if round.scheme_id == scheme_id
            && region_path.starts_with(&round.region_path)
            && window(&round, today)?.is_open()
        {
            open.push(round);
        }
    }
    Ok(open)
}

/// The scheme's example parameter values as a round stores them (id → text): for
/// demonstrations only, and always labelled as examples where shown.
pub fn example_params(scheme: &Scheme) -> String {
    let map: std::collections::BTreeMap<&str, String> = scheme
        .parameters
        .iter()
        .filter_map(|p| {
            p.example
                .map(|value| (p.id.as_str(), p.unit.display(value)))
        })
        .collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}
