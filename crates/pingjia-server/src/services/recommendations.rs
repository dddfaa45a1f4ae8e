//! The 汇总推荐表 (002 第八条（一）; 003 二（二）1 「组织审核推荐」): a recommending office's
//! recommendations of one round, in its order, as xlsx (with every value declared and
//! confirmed on a second sheet) or CSV.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::Actor;
use crate::services::applications;
use crate::services::rounds;
use crate::services::spreadsheets::{self, GradeText, RecommendationRow, TableMeta, ValueRow};
use crate::storage::{self as store};
use serde_json::Value as Json;

/// The file formats of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

/// A file to download: its name, media type and bytes.
#[derive(Debug)]
pub struct Download {
    pub filename: String,
    pub media_type: &'static str,
    pub bytes: Vec<u8>,
}

/// The table of the recommendations made inside the actor's region in a round: a city's own,
/// a directly recommending county's own, or (for the authority) every office's. A round the
/// actor has nothing to do with answers like a missing one.
pub async fn table(
    state: &AppState,
    actor: &Actor,
    round_id: i64,
    format: Format,
) -> AppResult<Download> {
    let Some(path) = actor
        .region_path
        .as_deref()
        .filter(|_| actor.role.is_regional())
    else {
        return Err(AppError::not_found());
    };
    let round = store::round(&state.db, round_id)
        .await?
        .filter(|r| r.published_at.is_some())
        .filter(|r| path.starts_with(&r.region_path) || r.region_path.starts_with(path))
        .ok_or_else(AppError::not_found)?;
    let scheme = state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == round.scheme_id)
        .ok_or_else(|| AppError::internal(format!("round {} scheme", round.id)))?;
    let office = store::region_by_code(
        &state.db,
        rounds::path_codes(path).last().copied().unwrap_or_default(),
    )
    .await?
    .map_or_else(String::new, |r| r.name);
    let mut rows = Vec::new();
    let mut values = Vec::new();
    for (position, rec) in store::recommendations(&state.db, round.id, path)
        .await?
        .into_iter()
        .enumerate()
    {
        let detail = applications::detail(state, actor, rec.id).await?;
        let provider_type = rec
            .provider_type
            .as_deref()
            .and_then(|t| scheme.provider_types.iter().find(|p| p.id == t))
            .map_or_else(|| scheme.title.clone(), |p| p.title.clone());
        let grade = |stars: Option<i64>, text: Option<&str>| -> Option<GradeText> {
            match (scheme.levels.is_empty(), stars) {
                (false, Some(stars)) => u8::try_from(stars).ok().map(GradeText::Stars),
                _ => text.map(|t| GradeText::Text(t.to_owned())),
            }
        };
        let report = &detail.assessment.report;
        rows.push(RecommendationRow {
            order: u32::try_from(rec.recommend_rank.unwrap_or(position as i64 + 1)).unwrap_or(0),
            organization_name: detail.organization.name.clone(),
            credit_code: detail.organization.credit_code.clone(),
            region: rec.region_name.clone(),
            organization_kind: detail.organization.kind.label().to_owned(),
            provider_type: provider_type.clone(),
            self_grade: grade(detail.version.stars, detail.version.grade.as_deref()),
            confirmed_grade: grade(report.stars.map(i64::from), Some(report.grade.as_str())),
            contact: rec.contact.clone(),
            phone: rec.phone.clone(),
            opinion: rec.recommend_opinion.clone().unwrap_or_default(),
        });
        let body: Json = serde_json::from_str(&detail.version.body).map_err(AppError::internal)?;
        let confirmed = store::confirmed_values(&state.db, rec.id, detail.version.number).await?;
        let in_force = applications::confirmed_map(&confirmed);
        let declared = body.get("values").and_then(Json::as_object);
        for field in &scheme.fields {
            let given = declared.and_then(|v| v.get(&field.id));
            let confirmed_value = in_force.get(&field.id);
            if given.is_none() && confirmed_value.is_none() {
                continue;
            }
            let criterion = scheme
                .criteria
                .iter()
                .find(|c| {
                    scheme.applies_to(c, detail_type(scheme, rec.provider_type.as_deref()))
                        && (c.id == field.id || c.id.ends_with(&format!(".{}", field.id)))
                })
                .map_or_else(String::new, |c| format!("{}（{}）", c.label, c.clause));
            let note = confirmed
                .iter()
                .rev()
                .find(|c| c.field_id == field.id)
                .map_or_else(String::new, |c| c.note.clone());
            values.push(ValueRow {
                organization_name: detail.organization.name.clone(),
                provider_type: provider_type.clone(),
                criterion,
                field: field.label.clone(),
                declared: given.map(shown).unwrap_or_default(),
                confirmed: confirmed_value.map(shown).unwrap_or_default(),
                note,
            });
        }
    }
    let stem = format!("{}_{}_汇总推荐表", round.name, office);
    Ok(match format {
        Format::Xlsx => Download {
            filename: format!("{stem}.xlsx"),
            media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes: spreadsheets::recommendation_table(
                &TableMeta {
                    round_name: round.name.clone(),
                    scheme_title: scheme.title.clone(),
                    office,
                    date: state.today().to_string(),
                },
                &rows,
                &values,
            )?,
        },
        Format::Csv => Download {
            filename: format!("{stem}.csv"),
            media_type: "text/csv; charset=utf-8",
            bytes: spreadsheets::recommendation_csv(&rows).into_bytes(),
        },
    })
}

fn detail_type(scheme: &pingjia_core::Scheme, provider_type: Option<&str>) -> Option<usize> {
    provider_type.and_then(|t| scheme.provider_type(t))
}

/// A JSON value as a cell shows it: text as is, lists joined with 、.
fn shown(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join("、"),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}
