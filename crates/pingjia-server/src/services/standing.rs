//! What an application meets of the resource pool's lifecycle, read from the records before it
//! is created or graded (003 三、1–2; 002 第十一条; DESIGN.md §3). The rules are
//! `pingjia_core::pool`'s:
//!
//! - `admit` — when an application is created: a bar in force refuses it with the first day the
//!   organisation may apply; an active member may apply only as a renewal (复评) or, from the
//!   same batch of the next year, as an upgrade, else it is refused naming the earliest batch.
//! - `record_facts` — the declaration's blacklist / revocation field filled from the bars
//!   (what the system records is not the applicant's word).
//!
//! The authority's commands that write these records are `services::lifecycle`'s.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::rounds;
use crate::storage as store;
use chrono::NaiveDate;
use pingjia_core::Scheme;
use pingjia_core::pool::{self as rules, Admission, Batch, Refusal, Standing};
use pingjia_core::scheme::Test;
use serde_json::Value as Json;

/// The bar's length where a scheme states none (003 三、1 「取消其3年内申报资格」; 002 第十一条
/// 「3年内不再受理」).
const DEFAULT_BAR_YEARS: u32 = 3;

/// The grounds of a bar: id, clause, label. `fraud` is 003 三、1 (Jiangsu) and the first of 002
/// 第十一条 (Shaoxing: 「在申请认定过程中提供虚假信息」); the other three are Shaoxing's only.
pub const GROUNDS: &[(&str, &str, &str)] = &[
    (
        "fraud",
        "三、1",
        "申报材料造假：列入“黑名单”，取消其3年内申报资格",
    ),
    (
        "article11_1",
        "第十一条（一）",
        "在申请认定过程中提供虚假信息",
    ),
    (
        "article11_2",
        "第十一条（二）",
        "在安全、质量、市场竞争行为、公司管理等方面有重大违法违规行为，受到有关部门处罚",
    ),
    ("article11_3", "第十一条（三）", "被列入信用黑名单"),
    ("article11_4", "第十一条（四）", "企业被依法终止"),
];

/// The scheme's bar: the declaration field it is read from and its years (the
/// `not_within_years` gate: `blacklisted_on` for 003 三、1, `recognition_revoked_on` for 002
/// 第十一条).
pub fn bar_of(scheme: &Scheme) -> Option<(&str, u32)> {
    scheme
        .criteria
        .iter()
        .find_map(|criterion| match criterion.test {
            Test::NotWithinYears { field, years } => {
                Some((scheme.fields[field].id.as_str(), years))
            }
            _ => None,
        })
}

/// The grounds a scheme knows: 第十一条（一）–（四） where the bar is a revocation, 三、1 where
/// it is a blacklisting; none for a scheme without a bar.
pub fn grounds_of(scheme: &Scheme) -> Vec<(&'static str, &'static str, &'static str)> {
    match bar_of(scheme) {
        Some(("recognition_revoked_on", _)) => GROUNDS
            .iter()
            .filter(|g| g.0.starts_with("article11"))
            .copied()
            .collect(),
        Some(_) => GROUNDS.iter().filter(|g| g.0 == "fraud").copied().collect(),
        None => Vec::new(),
    }
}

/// The criteria whose value the records decide (the scheme's bar gate), for the form to say so.
pub fn recorded_criteria(scheme: &Scheme) -> Vec<&str> {
    scheme
        .criteria
        .iter()
        .filter(|c| matches!(c.test, Test::NotWithinYears { .. }))
        .map(|c| c.id.as_str())
        .collect()
}

pub fn bar_years(scheme: &Scheme) -> u32 {
    bar_of(scheme).map_or(DEFAULT_BAR_YEARS, |(_, years)| years)
}

pub(crate) fn stored_date(text: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(AppError::internal)
}

// --- applying -----------------------------------------------------------------------------

/// The batch of a round: the one its name states (「2027年上半年」), else its opening date's
/// (half-years for a half-yearly scheme: 003 三、2 「每半年度组织开展1次」).
pub fn batch_of(round: &store::Round) -> AppResult<Batch> {
    if let Some(batch) = Batch::of_name(&round.name) {
        return Ok(batch);
    }
    let opens = round.opens_on.as_deref().map(stored_date).transpose()?;
    let day = opens.unwrap_or_else(|| {
        chrono::DateTime::from_timestamp(round.created_at, 0)
            .unwrap_or_default()
            .date_naive()
    });
    Ok(Batch::of_date(
        day,
        rounds::is_half_yearly(&round.scheme_id),
    ))
}

fn refusal_error(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::Barred { first_day } => AppError::conflict(
            "barred",
            format!(
                "本单位因造假或被取消认定资格，3年内不得申报（003 三、1「取消其3年内申报资格」/ 002 第十一条「3年内不再受理」），最早可于 {first_day} 起申报 / barred: you may apply from {first_day}"
            ),
        ),
        Refusal::TooEarly {
            earliest,
            renewal_from,
        } => {
            let renewal = renewal_from
                .map(|d| format!("；复评可自 {d} 起申报"))
                .unwrap_or_default();
            AppError::conflict(
                "upgrade_too_early",
                format!(
                    "本单位已在资源池中，定级后最早可在下一年度同一批次申请升级评估（003 三、2），最早为「{earliest}」批次{renewal} / an upgrade is possible from the batch {earliest}"
                ),
            )
        }
        Refusal::AtTop { renewal_from } => {
            let renewal = renewal_from
                .map(|d| format!("，可自 {d} 起申请复评"))
                .unwrap_or_default();
            AppError::conflict(
                "renewal_not_due",
                format!(
                    "本单位已在资源池中且已是最高等级，无需升级；每次定级有效期内到期前进行复评（003 三、2）{renewal} / already at the highest grade: renew in the months before the term ends"
                ),
            )
        }
    }
}

/// Whether `organization` may apply under `scheme` (type `provider_type`) in `round` today, and
/// as what: a bar in force refuses (`409 barred`, with the first day); an active member applies
/// as a renewal (today in the last `renewal_window_months` of its term) or an upgrade (a round
/// of the same batch of the next year or later), or is refused (`409 upgrade_too_early` naming
/// the earliest batch and the renewal window, `409 renewal_not_due`).
pub async fn admit(
    state: &AppState,
    organization: &store::Organization,
    scheme: &Scheme,
    provider_type: Option<&str>,
    round: &store::Round,
) -> AppResult<Admission> {
    let today = state.today();
    if let Some(first_day) = bar_in_force(state, organization.id, scheme).await? {
        return Err(refusal_error(Refusal::Barred { first_day }));
    }
    let member = store::active_member(
        &state.db,
        organization.id,
        &scheme.id,
        provider_type.unwrap_or_default(),
    )
    .await?;
    let standing = match &member {
        Some(member) => {
            let granted = store::round(&state.db, member.round_id)
                .await?
                .ok_or_else(AppError::not_found)?;
            Some(Standing {
                stars: member.stars.and_then(|s| u32::try_from(s).ok()),
                top_stars: scheme.levels.iter().map(|l| u32::from(l.stars)).max(),
                valid_until: member.valid_until.as_deref().map(stored_date).transpose()?,
                granted_in: batch_of(&granted)?,
            })
        }
        None => None,
    };
    rules::admission(
        standing.as_ref(),
        batch_of(round)?,
        today,
        state.config.renewal_window_months,
    )
    .map_err(refusal_error)
}

/// The first day an organisation barred today under `scheme` may apply again (the latest of
/// its bars in force); `None` when no bar is in force. The workflow's fact `barred` for
/// `submit` and `resubmit`.
pub async fn bar_in_force(
    state: &AppState,
    organization_id: i64,
    scheme: &Scheme,
) -> AppResult<Option<NaiveDate>> {
    let today = state.today();
    let years = bar_years(scheme);
    let mut first = None;
    for bar in store::bars_of(&state.db, organization_id, &scheme.id).await? {
        if let Err(Refusal::Barred { first_day }) =
            rules::barred(stored_date(&bar.found_on)?, years, today)
        {
            first = first.max(Some(first_day));
        }
    }
    Ok(first)
}

/// The refusal of an organisation barred through the day before `first_day`.
pub fn barred_error(first_day: NaiveDate) -> AppError {
    refusal_error(Refusal::Barred { first_day })
}

/// The declaration's values the system's records decide (DESIGN.md §3): the scheme's bar field
/// (`blacklisted_on`, `recognition_revoked_on`) is the latest finding's date, or 「无」 when the
/// records hold none. They are applied as confirmed values over whatever was declared.
pub async fn record_facts(
    state: &AppState,
    organization_id: i64,
    scheme: &Scheme,
) -> AppResult<Vec<(String, Json)>> {
    let Some((field, _)) = bar_of(scheme) else {
        return Ok(Vec::new());
    };
    let bars = store::bars_of(&state.db, organization_id, &scheme.id).await?;
    let value = bars.first().map_or_else(
        || Json::String("无".into()),
        |bar| Json::String(bar.found_on.clone()),
    );
    Ok(vec![(field.to_owned(), value)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_scheme_has_the_bar_and_grounds_of_its_document() {
        let catalog = pingjia_core::Catalog::builtin().unwrap();
        let scheme = |id: &str| catalog.schemes.iter().find(|s| s.id == id).unwrap();
        let ids =
            |scheme: &Scheme| -> Vec<&str> { grounds_of(scheme).iter().map(|g| g.0).collect() };
        // 003 三、1: a blacklisting for fraud.
        assert_eq!(
            bar_of(scheme("jiangsu-pool-2021")),
            Some(("blacklisted_on", 3))
        );
        assert_eq!(ids(scheme("jiangsu-pool-2021")), ["fraud"]);
        // 002 第十一条（一）–（四）.
        assert_eq!(
            bar_of(scheme("shaoxing-platform")),
            Some(("recognition_revoked_on", 3))
        );
        assert_eq!(
            ids(scheme("shaoxing-platform")),
            ["article11_1", "article11_2", "article11_3", "article11_4"]
        );
        // 001 sets no bar.
        assert_eq!(bar_of(scheme("miit-platform-2018")), None);
        assert!(ids(scheme("miit-platform-2018")).is_empty());
        assert_eq!(
            recorded_criteria(scheme("shaoxing-platform")),
            ["gate.not_barred"]
        );
    }
}
