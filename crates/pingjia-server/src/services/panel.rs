//! The analytics of a round's expert panel, for its authority: items where experts diverge,
//! each expert's systematic deviation from the others, and the panel's agreement
//! (Krippendorff's alpha, interval metric). Only submitted reviews count. The statistics are
//! `pingjia_core::panel`'s; this module reads the scores and names what they are about.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::Actor;
use crate::services::rounds;
use crate::storage as store;
use pingjia_core::panel::{self, Unit};
use pingjia_core::scheme::{Section, Test};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::collections::BTreeMap;

/// The formula the agreement statistic uses, as the page and the API name it.
pub const ALPHA_FORMULA: &str = "Krippendorff's α (interval): α = 1 − D_o / D_e, D_o = (1/n) Σ_u 1/(m_u − 1) Σ_{i≠j∈u} (v_i − v_j)², D_e = 1/(n(n − 1)) Σ_{i≠j} (v_i − v_j)², over scores as a share of each item's maximum";

/// The panel of one round, analysed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PanelAnalytics {
    pub round_id: i64,
    pub round_name: String,
    /// A spread above this share of an item's maximum diverges (the round's, or the scheme's).
    pub divergence_ratio: String,
    /// Applications with at least one submitted review.
    pub applications: usize,
    /// Experts with at least one submitted review.
    pub experts: usize,
    /// Every rubric item, over all applications: how many were scored by two or more experts,
    /// and how many of those diverge.
    pub items: Vec<ItemSummary>,
    /// Each (application, item) whose scores diverge.
    pub divergent: Vec<DivergentScore>,
    /// Each expert's deviation from the others, in points.
    pub deviations: Vec<ExpertDeviation>,
    /// The panel's agreement; `null` when it is undefined (fewer than two comparable scores,
    /// or no variation at all).
    pub alpha: Option<f64>,
    /// The scores the agreement statistic used (units with two or more scores).
    pub alpha_values: usize,
    pub alpha_formula: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemSummary {
    pub criterion_id: String,
    pub label: String,
    pub max: String,
    /// Applications where two or more experts scored the item.
    pub compared: usize,
    pub divergent: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DivergentScore {
    pub application_id: i64,
    pub organization: String,
    pub criterion_id: String,
    pub label: String,
    pub max: String,
    pub scores: Vec<ExpertScore>,
    /// Highest minus lowest.
    pub spread: String,
}

/// One expert's score of one item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExpertScore {
    pub expert: String,
    pub score: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExpertDeviation {
    pub expert_id: i64,
    pub name: String,
    /// Mean of (the expert's score − the others' mean), in points.
    pub mean_signed: f64,
    pub mean_absolute: f64,
    /// The (application, item) pairs compared.
    pub count: usize,
}

/// The analytics of a round of the caller's office (an authority's); any other round, and
/// any round for anyone else, is not found.
pub async fn of_round(state: &AppState, actor: &Actor, round_id: i64) -> AppResult<PanelAnalytics> {
    let round = rounds::authority_round(state, actor, round_id).await?;
    let scheme = state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == round.scheme_id)
        .ok_or_else(|| AppError::internal(format!("round {round_id} names unknown scheme")))?;
    let ratio: Decimal = round
        .divergence_ratio
        .as_deref()
        .and_then(|text| text.parse().ok())
        .unwrap_or(scheme.round.divergence_ratio);
    let items: Vec<(String, String, Decimal)> = scheme
        .criteria
        .iter()
        .filter(|c| c.section == Section::Rubric)
        .filter_map(|c| match &c.test {
            Test::Score { max, .. } => Some((c.id.clone(), c.label.clone(), *max)),
            _ => None,
        })
        .collect();
    let maximum: BTreeMap<&str, (&str, Decimal)> = items
        .iter()
        .map(|(id, label, max)| (id.as_str(), (label.as_str(), *max)))
        .collect();

    let rows = store::panel_scores(&state.db, round_id).await?;
    // (application, item) → the experts' scores, in points.
    let mut units: BTreeMap<(i64, &str), Vec<(i64, Decimal)>> = BTreeMap::new();
    let mut organizations: BTreeMap<i64, &str> = BTreeMap::new();
    let mut names: BTreeMap<i64, &str> = BTreeMap::new();
    for row in &rows {
        if !maximum.contains_key(row.criterion_id.as_str()) {
            continue;
        }
        let Ok(score) = row.score.parse::<Decimal>() else {
            continue;
        };
        organizations.insert(row.application_id, &row.organization);
        names.insert(row.expert_id, &row.expert);
        units
            .entry((row.application_id, row.criterion_id.as_str()))
            .or_default()
            .push((row.expert_id, score));
    }

    let mut summaries: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut divergent = Vec::new();
    for ((application, item), scores) in &units {
        let (label, max) = maximum[item];
        if scores.len() < 2 {
            continue;
        }
        let values: Vec<Decimal> = scores.iter().map(|(_, s)| *s).collect();
        let diverges = panel::diverges(&values, max, ratio);
        let entry = summaries.entry(*item).or_default();
        entry.0 += 1;
        if diverges {
            entry.1 += 1;
            let low = values.iter().min().copied().unwrap_or_default();
            let high = values.iter().max().copied().unwrap_or_default();
            divergent.push(DivergentScore {
                application_id: *application,
                organization: organizations[application].to_owned(),
                criterion_id: (*item).to_owned(),
                label: label.to_owned(),
                max: max.normalize().to_string(),
                scores: scores
                    .iter()
                    .map(|(expert, s)| ExpertScore {
                        expert: names[expert].to_owned(),
                        score: s.normalize().to_string(),
                    })
                    .collect(),
                spread: (high - low).normalize().to_string(),
            });
        }
    }

    let in_points: Vec<Unit<i64>> = units
        .values()
        .map(|scores| Unit {
            scores: scores.clone(),
        })
        .collect();
    let as_share: Vec<Unit<i64>> = units
        .iter()
        .map(|((_, item), scores)| {
            let max = maximum[item].1;
            Unit {
                scores: scores
                    .iter()
                    .map(|(expert, s)| (*expert, if max.is_zero() { *s } else { *s / max }))
                    .collect(),
            }
        })
        .collect();
    let deviations = panel::deviations(&in_points)
        .into_iter()
        .map(|d| ExpertDeviation {
            expert_id: d.expert,
            name: names[&d.expert].to_owned(),
            mean_signed: round2(d.mean_signed),
            mean_absolute: round2(d.mean_absolute),
            count: d.count,
        })
        .collect();

    Ok(PanelAnalytics {
        round_id,
        round_name: round.name.clone(),
        divergence_ratio: ratio.normalize().to_string(),
        applications: organizations.len(),
        experts: names.len(),
        items: items
            .iter()
            .map(|(id, label, max)| {
                let (compared, divergent) = summaries.get(id.as_str()).copied().unwrap_or_default();
                ItemSummary {
                    criterion_id: id.clone(),
                    label: label.clone(),
                    max: max.normalize().to_string(),
                    compared,
                    divergent,
                }
            })
            .collect(),
        divergent,
        deviations,
        alpha: panel::krippendorff_alpha_interval(&as_share).map(|a| (a * 1000.0).round() / 1000.0),
        alpha_values: as_share
            .iter()
            .filter(|u| u.scores.len() >= 2)
            .map(|u| u.scores.len())
            .sum(),
        alpha_formula: ALPHA_FORMULA,
    })
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A decimal as a plain number for charts.
pub fn as_f64(text: &str) -> f64 {
    text.parse::<Decimal>()
        .ok()
        .and_then(|d| d.to_f64())
        .unwrap_or(0.0)
}
