//! The pool's lifecycle as the authority manages it (003 二（二）2、4, 三、1–2; 002 第十一条). What
//! applications meet (the bar, renewal and upgrade, the blacklist gate from the records) is
//! `services::standing`, which `services::applications` calls; this module holds:
//!
//! - The authority's view of its members (`members`, `member`, `bars`, `legacy_members`).
//! - The authority's commands, each one transaction with its event, audit entry and notice:
//!   `spot_check` (抽查: pass, downgrade, removal), `revoke` (三、1 / 第十一条, with a bar),
//!   `reject_for_fraud` (the workflow's reject of an application, with a bar), `import_legacy`
//!   (existing members and their 1-year deadline).
//! - The job `legacy_deadline`: existing members not graded by their deadline are removed.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::services::applications;
use crate::services::credit_code::CreditCode;
use crate::services::evidence::{self, Upload};
use crate::services::notifications::{self, Kind};
use crate::services::review;
use crate::services::standing::{bar_years, grounds_of};
use crate::services::{page, plain_text};
use crate::storage::{self as store, Page};
use chrono::NaiveDate;
use pingjia_core::Scheme;
use pingjia_core::pool as rules;
use pingjia_core::workflow::{Action, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const MAX_TEXT: usize = 5_000;
const MAX_NAME: usize = 500;
/// The most existing members one import takes.
pub const MAX_LEGACY_ROWS: usize = 2_000;

/// 003 二（二）2 「现有单位可在本文件发出后的1年内…申请评级」.
const LEGACY_YEARS: u32 = 1;

fn scheme<'s>(state: &'s AppState, id: &str) -> AppResult<&'s Scheme> {
    state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(AppError::not_found)
}

fn date(label: &str, text: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::invalid(format!(
            "{label}应为日期，如 2026-07-15 / {label} must be a date (YYYY-MM-DD)"
        ))
    })
}

// --- the authority's view -------------------------------------------------------------------

/// The caller's region when it is an authority; anyone else finds nothing (404).
fn authority(actor: &Actor) -> AppResult<i64> {
    actor
        .require(&[Role::AuthorityAdmin])
        .map_err(|_| AppError::not_found())?;
    actor.user.region_id.ok_or_else(AppError::not_found)
}

/// The list of members as asked for in a query string.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// active, expired, removed, revoked.
    pub status: Option<String>,
    pub scheme: Option<String>,
    /// 1 to 5.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 5)]
    pub stars: Option<String>,
    /// Part of the name or the credit code.
    pub q: Option<String>,
    /// 1-based page number (1–1,000,000).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (1–200, default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

pub const STATUSES: &[(&str, &str)] = &[
    ("active", "在池"),
    ("expired", "到期退出"),
    ("removed", "抽查除名"),
    ("revoked", "已取消资格"),
];

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    #[schema(value_type = Vec<Object>)]
    pub members: Vec<store::Member>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A page of the members the caller's authority granted (`422` for a filter out of range).
pub async fn members(
    state: &AppState,
    actor: &Actor,
    query: &MemberQuery,
) -> AppResult<MemberList> {
    let region = authority(actor)?;
    let page: Page = page(query.page.as_deref(), query.per_page.as_deref())?;
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let status = nonempty(&query.status);
    if let Some(status) = &status
        && !STATUSES.iter().any(|(s, _)| s == status)
    {
        return Err(AppError::invalid(
            "状态应为 active、expired、removed 或 revoked / unknown status",
        ));
    }
    let stars = match nonempty(&query.stars) {
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=5).contains(&n) => Some(n),
            _ => {
                return Err(AppError::invalid("星级应为 1 到 5 / stars must be 1 to 5"));
            }
        },
        None => None,
    };
    let scheme = nonempty(&query.scheme);
    let q = nonempty(&query.q);
    if let Some(q) = &q {
        plain_text("搜索", q, 100)?;
    }
    let (members, total) = store::authority_members(
        &state.db,
        region,
        &store::MemberFilter {
            status: status.as_deref(),
            scheme_id: scheme.as_deref(),
            stars,
            q: q.as_deref(),
        },
        page,
    )
    .await?;
    Ok(MemberList {
        members,
        total,
        page: page.number,
        per_page: page.size,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDetail {
    #[schema(value_type = Object)]
    pub member: store::Member,
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<store::MemberEvent>,
    #[schema(value_type = Vec<Object>)]
    pub spot_checks: Vec<store::SpotCheck>,
    #[schema(value_type = Vec<Object>)]
    pub files: Vec<store::SpotCheckFile>,
    #[schema(value_type = Vec<Object>)]
    pub bars: Vec<store::Bar>,
    /// The grounds of a revocation this member's scheme knows.
    pub grounds: Vec<Ground>,
    /// The grades a spot check may downgrade it to.
    pub lower_grades: Vec<Grade>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ground {
    pub id: String,
    pub clause: String,
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Grade {
    pub stars: i64,
    pub label: String,
}

/// A member of the caller's authority with its history, spot checks and bars; any other is
/// not found.
pub async fn member(state: &AppState, actor: &Actor, id: i64) -> AppResult<MemberDetail> {
    let region = authority(actor)?;
    let member = store::authority_member(&state.db, region, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let scheme = scheme(state, &member.scheme_id)?;
    let lower_grades = scheme
        .levels
        .iter()
        .filter(|l| member.stars.is_some_and(|s| i64::from(l.stars) < s))
        .map(|l| Grade {
            stars: i64::from(l.stars),
            label: l.label.clone(),
        })
        .collect();
    Ok(MemberDetail {
        events: store::member_events(&state.db, id).await?,
        spot_checks: store::spot_checks(&state.db, id).await?,
        files: store::spot_check_files(&state.db, id).await?,
        bars: store::member_bars(&state.db, id).await?,
        grounds: grounds_of(scheme)
            .into_iter()
            .map(|(id, clause, label)| Ground {
                id: id.to_owned(),
                clause: clause.to_owned(),
                label: label.to_owned(),
            })
            .collect(),
        lower_grades,
        member,
    })
}

/// A spot check's file, to the authority of its member.
pub async fn spot_check_file(
    state: &AppState,
    actor: &Actor,
    file_id: i64,
) -> AppResult<(String, Vec<u8>)> {
    let region = authority(actor)?;
    let (file, member) = store::spot_check_file(&state.db, file_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    store::authority_member(&state.db, region, member)
        .await?
        .ok_or_else(AppError::not_found)?;
    let bytes = evidence::read_content(state, &file.sha256).await?;
    Ok((file.filename, bytes))
}

// --- spot checks ----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SpotCheckInput {
    /// The day of the check (YYYY-MM-DD), not after today.
    #[serde(default)]
    pub checked_on: String,
    /// The experts, or the commissioned third party (003 二（二）4 「委托第三方组织专家」).
    #[serde(default)]
    pub inspectors: String,
    #[serde(default)]
    pub findings: String,
    /// pass, downgrade, remove.
    #[serde(default)]
    pub outcome: String,
    /// For a downgrade: the stars after it, below the member's.
    pub stars: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpotCheckDone {
    pub spot_check_id: i64,
    pub member_id: i64,
    /// The member's status after the check.
    pub status: String,
    pub result: String,
    pub stars: Option<i64>,
    pub files: usize,
}

fn not_active() -> AppError {
    AppError::conflict(
        "not_active",
        "该单位已不在资源池中 / the member is no longer in the pool",
    )
}

/// Records a spot check of a member (003 二（二）4 「抽查不合格、存在不良行为的单位的将降级或
/// 除名」): the check, its files (checked as every upload is), the member's new grade or its
/// removal, the event, the audit entry and a notice to the organisation, in one transaction.
pub async fn spot_check(
    state: &AppState,
    actor: &Actor,
    member_id: i64,
    input: &SpotCheckInput,
    files: Vec<Upload>,
) -> AppResult<SpotCheckDone> {
    let region = authority(actor)?;
    let visible = store::authority_member(&state.db, region, member_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let scheme = scheme(state, &visible.scheme_id)?;
    let today = state.today();
    let checked_on = date("抽查日期", &input.checked_on)?;
    if checked_on > today {
        return Err(AppError::invalid(
            "抽查日期不能晚于今天 / the check's date cannot be in the future",
        ));
    }
    let inspectors = input.inspectors.trim();
    let findings = input.findings.trim();
    if inspectors.is_empty() {
        return Err(AppError::invalid(
            "请填写抽查人员或受委托的第三方 / inspectors required",
        ));
    }
    if findings.is_empty() {
        return Err(AppError::invalid("请填写抽查发现 / findings required"));
    }
    plain_text("抽查人员", inspectors, MAX_NAME)?;
    plain_text("抽查发现", findings, MAX_TEXT)?;
    let outcome = input.outcome.trim();
    let (status, result, stars, kind) = match outcome {
        "pass" => (
            "active",
            visible.result.clone(),
            visible.stars,
            "spot_check_passed",
        ),
        "downgrade" => {
            let to = input.stars.ok_or_else(|| {
                AppError::invalid("降级须选择降至的星级 / a downgrade needs the stars after it")
            })?;
            let level = scheme
                .levels
                .iter()
                .find(|l| i64::from(l.stars) == to)
                .filter(|_| visible.stars.is_some_and(|s| to < s))
                .ok_or_else(|| {
                    AppError::invalid(format!(
                        "只能降至低于现有等级（{}）的星级 / the stars after a downgrade must be below the member's",
                        visible.result
                    ))
                })?;
            ("active", level.label.clone(), Some(to), "downgraded")
        }
        "remove" => ("removed", visible.result.clone(), visible.stars, "removed"),
        _ => {
            return Err(AppError::invalid(
                "请选择抽查结论：合格、降级或除名 / outcome must be pass, downgrade or remove",
            ));
        }
    };
    let mut checked = Vec::with_capacity(files.len());
    for file in files {
        let (filename, media_type, sha256) = evidence::check_file(state, &file)?;
        checked.push((filename, media_type, sha256, file.bytes));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let member = store::member_in(&mut tx, member_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if member.status != "active" {
        return Err(not_active());
    }
    let spot_check_id = store::insert_spot_check(
        &mut tx,
        &store::NewSpotCheck {
            member_id,
            checked_on: &checked_on.to_string(),
            inspectors,
            findings,
            outcome,
            stars,
            actor_id: actor.user.id,
        },
        now,
    )
    .await?;
    for (filename, media_type, sha256, bytes) in &checked {
        evidence::store_content(state, &mut tx, sha256, media_type, bytes, now).await?;
        store::insert_spot_check_file(&mut tx, spot_check_id, sha256, filename, now).await?;
    }
    if outcome != "pass"
        && !store::change_member(&mut tx, member_id, status, &result, stars, now).await?
    {
        return Err(not_active());
    }
    let (title, detail) = match outcome {
        "pass" => (
            format!("{}抽查合格", member.type_label),
            format!(
                "{checked_on} 抽查合格（003 二（二）4），保留{}",
                member.result
            ),
        ),
        "downgrade" => (
            format!("{}抽查后降级为{result}", member.type_label),
            format!(
                "{checked_on} 抽查不合格，由{}降为{result}（003 二（二）4「抽查不合格、存在不良行为的单位的将降级或除名」）",
                member.result
            ),
        ),
        _ => (
            format!("{}抽查后除名", member.type_label),
            format!(
                "{checked_on} 抽查不合格，{}予以除名（003 二（二）4「抽查不合格、存在不良行为的单位的将降级或除名」）",
                member.result
            ),
        ),
    };
    store::insert_member_event(
        &mut tx,
        &store::NewMemberEvent {
            member_id,
            kind,
            result: &result,
            stars,
            valid_until: member.valid_until.as_deref(),
            document_number: "",
            detail: &format!("{detail}；抽查人员：{inspectors}"),
            once_key: None,
            actor_id: Some(actor.user.id),
        },
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "pool_spot_check",
        &format!("pool_member:{member_id}"),
        &format!(
            "spot_check:{spot_check_id} outcome:{outcome} {} → {result} files:{}",
            member.result,
            checked.len()
        ),
        now,
    )
    .await?;
    notifications::notify_organization(
        &mut tx,
        member.organization_id,
        if outcome == "pass" {
            Kind::Deadline
        } else {
            Kind::Rejected
        },
        None,
        &title,
        &format!("{detail}。抽查发现：{findings}"),
        now,
    )
    .await?;
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(SpotCheckDone {
        spot_check_id,
        member_id,
        status: status.to_owned(),
        result,
        stars,
        files: checked.len(),
    })
}

// --- fraud and revocation -----------------------------------------------------------------

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RevocationInput {
    /// The ground: `fraud` (003 三、1) or `article11_1` … `article11_4` (002 第十一条（一）–（四）),
    /// as the member's scheme knows them.
    #[serde(default)]
    pub ground: String,
    /// The day of the finding (YYYY-MM-DD), not after today: the bar runs from the day after.
    #[serde(default)]
    pub found_on: String,
    /// What was found.
    #[serde(default)]
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Barred {
    pub bar_id: i64,
    pub organization_id: i64,
    pub clause: String,
    pub found_on: String,
    /// The first day the organisation may apply again.
    pub first_free_on: String,
}

struct Finding<'a> {
    ground: &'static str,
    clause: &'static str,
    label: &'static str,
    found_on: NaiveDate,
    first_free_on: NaiveDate,
    detail: &'a str,
}

fn finding<'a>(
    scheme: &Scheme,
    input: &'a RevocationInput,
    today: NaiveDate,
) -> AppResult<Finding<'a>> {
    let grounds = grounds_of(scheme);
    if grounds.is_empty() {
        return Err(AppError::conflict(
            "no_bar",
            "该方案没有取消资格的规定 / this scheme has no bar",
        ));
    }
    let (ground, clause, label) = grounds
        .iter()
        .find(|g| g.0 == input.ground.trim())
        .copied()
        .ok_or_else(|| {
            let names: Vec<String> = grounds
                .iter()
                .map(|g| format!("{}（{}）", g.0, g.1))
                .collect();
            AppError::invalid(format!(
                "请选择取消资格的依据：{} / ground must be one of these",
                names.join("、")
            ))
        })?;
    let found_on = date("认定日期", &input.found_on)?;
    if found_on > today {
        return Err(AppError::invalid(
            "认定日期不能晚于今天 / the finding's date cannot be in the future",
        ));
    }
    let detail = input.detail.trim();
    if detail.is_empty() {
        return Err(AppError::invalid("请填写查实的情况 / detail required"));
    }
    plain_text("情况说明", detail, MAX_TEXT)?;
    let first_free_on = rules::first_free_day(found_on, bar_years(scheme))
        .ok_or_else(|| AppError::invalid("日期超出范围 / date out of range"))?;
    Ok(Finding {
        ground,
        clause,
        label,
        found_on,
        first_free_on,
        detail,
    })
}

/// Revokes a member's recognition (003 三、1 「列入“黑名单”，取消其3年内申报资格」; 002 第十一条
/// 「取消其认定资格，并在3年内不再受理其认定申请」): the member leaves the pool (`revoked`), the
/// organisation is barred through the third anniversary of the finding; the event, the audit
/// entry and the notice, in one transaction.
pub async fn revoke(
    state: &AppState,
    actor: &Actor,
    member_id: i64,
    input: &RevocationInput,
) -> AppResult<Barred> {
    let region = authority(actor)?;
    let visible = store::authority_member(&state.db, region, member_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let scheme = scheme(state, &visible.scheme_id)?;
    let found = finding(scheme, input, state.today())?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let member = store::member_in(&mut tx, member_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if member.status != "active"
        || !store::change_member(
            &mut tx,
            member_id,
            "revoked",
            &member.result,
            member.stars,
            now,
        )
        .await?
    {
        return Err(not_active());
    }
    let barred = bar_in(
        &mut tx,
        actor,
        member.organization_id,
        scheme,
        region,
        &found,
        None,
        Some(member_id),
        now,
    )
    .await?;
    store::insert_member_event(
        &mut tx,
        &store::NewMemberEvent {
            member_id,
            kind: "revoked",
            result: &member.result,
            stars: member.stars,
            valid_until: member.valid_until.as_deref(),
            document_number: "",
            detail: &format!(
                "{}：{}；{} 起方可再申报",
                found.clause, found.label, found.first_free_on
            ),
            once_key: None,
            actor_id: Some(actor.user.id),
        },
        now,
    )
    .await?;
    notifications::notify_organization(
        &mut tx,
        member.organization_id,
        Kind::Rejected,
        None,
        &format!("{}的{}已被取消", member.type_label, member.result),
        &format!(
            "依据 {}（{}），取消资格并退出资源池；查实情况：{}。3年内不得申报，最早可于 {} 起申报。",
            found.clause, found.label, found.detail, found.first_free_on
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(barred)
}

#[allow(
    clippy::too_many_arguments,
    reason = "one bar's facts, written by two commands"
)]
async fn bar_in(
    tx: &mut store::Tx,
    actor: &Actor,
    organization_id: i64,
    scheme: &Scheme,
    region: i64,
    found: &Finding<'_>,
    application_id: Option<i64>,
    member_id: Option<i64>,
    now: i64,
) -> AppResult<Barred> {
    let found_on = found.found_on.to_string();
    let first_free_on = found.first_free_on.to_string();
    let bar_id = store::insert_bar(
        tx,
        &store::NewBar {
            organization_id,
            scheme_id: &scheme.id,
            region_id: region,
            ground: found.ground,
            clause: found.clause,
            found_on: &found_on,
            first_free_on: &first_free_on,
            application_id,
            member_id,
            detail: found.detail,
            actor_id: actor.user.id,
        },
        now,
    )
    .await?;
    let target = match (application_id, member_id) {
        (Some(application), _) => format!("application:{application}"),
        (_, Some(member)) => format!("pool_member:{member}"),
        _ => format!("organization:{organization_id}"),
    };
    store::audit(
        tx,
        Some(actor.user.id),
        "pool_bar",
        &target,
        &format!(
            "bar:{bar_id} organization:{organization_id} scheme:{} ground:{} found_on:{found_on} first_free_on:{first_free_on}",
            scheme.id, found.ground
        ),
        now,
    )
    .await?;
    Ok(Barred {
        bar_id,
        organization_id,
        clause: found.clause.to_owned(),
        found_on,
        first_free_on,
    })
}

/// The grounds an application may be rejected on for fraud (the form of the authority's
/// application page): those of its scheme (`standing::grounds_of`). The application must be one
/// the authority sees; any other is `404`, like a missing one.
pub async fn fraud_grounds(
    state: &AppState,
    actor: &Actor,
    application_id: i64,
) -> AppResult<Vec<Ground>> {
    authority(actor)?;
    let application = store::application(&state.db, &actor.scope(), application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (scheme, _) = applications::scheme_of(state, &application)?;
    Ok(grounds_of(scheme)
        .into_iter()
        .map(|(id, clause, label)| Ground {
            id: id.to_owned(),
            clause: clause.to_owned(),
            label: label.to_owned(),
        })
        .collect())
}

/// Rejects an application for fraud found during review or on notice (003 三、1 「在审核和专家
/// 评估过程中，如发现存在造假情况，申报主体将被列入“黑名单”，取消其3年内申报资格」; 002
/// 第十一条（一）): the workflow's `reject` by the authority (from expert review or 公示; an entry on
/// notice is withdrawn), and the bar, in one transaction.
pub async fn reject_for_fraud(
    state: &AppState,
    actor: &Actor,
    application_id: i64,
    input: &RevocationInput,
) -> AppResult<Barred> {
    let region = authority(actor)?;
    let application = store::application(&state.db, &actor.scope(), application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (scheme, _) = applications::scheme_of(state, &application)?;
    let found = finding(scheme, input, state.today())?;
    let route = review::route_of(state, &application).await?;
    let today = state.today();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let application = store::lock_application(&mut tx, application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let on_notice = application.state == State::PublicNotice;
    let comment = format!("{}：{}（{}）", found.clause, found.label, found.detail);
    review::transition_in(
        &mut tx,
        actor,
        &application,
        &route,
        Action::Reject,
        &comment,
        today,
        now,
    )
    .await?;
    if on_notice && let Some((entry, _)) = store::current_entry_in(&mut tx, application_id).await? {
        store::set_entry_status(&mut tx, entry.id, "withdrawn").await?;
    }
    let barred = bar_in(
        &mut tx,
        actor,
        application.organization_id,
        scheme,
        region,
        &found,
        Some(application_id),
        None,
        now,
    )
    .await?;
    notifications::notify_organization(
        &mut tx,
        application.organization_id,
        Kind::Rejected,
        Some(application_id),
        "申报因造假被驳回",
        &format!(
            "依据 {}（{}），申报被驳回；查实情况：{}。3年内不得申报，最早可于 {} 起申报。",
            found.clause, found.label, found.detail, found.first_free_on
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(barred)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BarQuery {
    /// `1` or `true`: only the bars in force today.
    pub in_force: Option<String>,
    /// 1-based page number (1–1,000,000).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000000)]
    pub page: Option<String>,
    /// Items per page (1–200, default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BarList {
    #[schema(value_type = Vec<Object>)]
    pub bars: Vec<store::Bar>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The bars the caller's authority recorded, the latest first.
pub async fn bars(state: &AppState, actor: &Actor, query: &BarQuery) -> AppResult<BarList> {
    let region = authority(actor)?;
    let page = page(query.page.as_deref(), query.per_page.as_deref())?;
    let today = state.today().to_string();
    let in_force = matches!(query.in_force.as_deref(), Some("1" | "true"));
    let (bars, total) =
        store::authority_bars(&state.db, region, in_force.then_some(today.as_str()), page).await?;
    Ok(BarList {
        bars,
        total,
        page: page.number,
        per_page: page.size,
    })
}

// --- existing members (二（二）2) ------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct LegacyRow {
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub credit_code: String,
    /// The provider type as the old pool recorded it.
    #[serde(default)]
    pub provider_type: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct LegacyImport {
    /// The scheme whose 1-year rule applies (`jiangsu-pool-2021`).
    #[serde(default)]
    pub scheme: String,
    /// The date the document was issued (003 二（二）2 「本文件发出后的1年内」).
    #[serde(default)]
    pub document_date: String,
    #[serde(default)]
    pub members: Vec<LegacyRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LegacyImported {
    pub imported: usize,
    /// Rows already imported before (same scheme, code and type).
    pub already: usize,
    /// The last day to be graded; removal follows the day after.
    pub deadline: String,
}

/// Reads `名称,统一社会信用代码,类型` lines (a CSV export of the old pool; a header line and
/// blank lines are skipped).
pub fn legacy_rows(text: &str) -> Vec<LegacyRow> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let mut parts = line.splitn(3, [',', '，', '\t']).map(str::trim);
            LegacyRow {
                organization: parts.next().unwrap_or_default().to_owned(),
                credit_code: parts.next().unwrap_or_default().to_owned(),
                provider_type: parts.next().unwrap_or_default().to_owned(),
            }
        })
        .filter(|row| !(row.credit_code.contains("信用代码") || row.organization == "名称"))
        .collect()
}

/// Imports existing members of the pool (003 二（二）2) with their deadline: the first
/// anniversary of the document's date. Every row is checked first (each wrong row named by its
/// number); the rows, and one audit entry, in one transaction. A row imported before is left
/// alone.
pub async fn import_legacy(
    state: &AppState,
    actor: &Actor,
    input: &LegacyImport,
) -> AppResult<LegacyImported> {
    let region = authority(actor)?;
    let scheme = state
        .catalog
        .schemes
        .iter()
        .find(|s| s.id == input.scheme.trim())
        .ok_or_else(|| AppError::invalid("请选择评价方案 / unknown scheme"))?;
    let document_date = date("文件发出日期", &input.document_date)?;
    let deadline = rules::legacy_deadline(document_date, LEGACY_YEARS)
        .ok_or_else(|| AppError::invalid("日期超出范围 / date out of range"))?
        .to_string();
    if input.members.is_empty() {
        return Err(AppError::invalid("没有可导入的单位 / no rows"));
    }
    if input.members.len() > MAX_LEGACY_ROWS {
        return Err(AppError::invalid(format!(
            "一次最多导入 {MAX_LEGACY_ROWS} 家 / at most {MAX_LEGACY_ROWS} rows"
        )));
    }
    let mut problems = Vec::new();
    let mut rows = Vec::with_capacity(input.members.len());
    for (i, row) in input.members.iter().enumerate() {
        let n = i + 1;
        let name = row.organization.trim();
        let kind = row.provider_type.trim();
        if name.is_empty() || plain_text("单位名称", name, MAX_NAME).is_err() {
            problems.push(format!("第 {n} 行：单位名称为空或无效"));
            continue;
        }
        let code = match CreditCode::parse(row.credit_code.trim()) {
            Ok(code) => code.as_str().to_owned(),
            Err(error) => {
                problems.push(format!("第 {n} 行：{error}"));
                continue;
            }
        };
        if kind.is_empty() || plain_text("类型", kind, MAX_NAME).is_err() {
            problems.push(format!("第 {n} 行：服务商类型为空或无效"));
            continue;
        }
        rows.push((name, code, kind));
    }
    if !problems.is_empty() {
        problems.truncate(20);
        return Err(AppError::invalid(problems.join("；")));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mut imported = 0;
    for (name, code, kind) in &rows {
        if store::insert_legacy_member(
            &mut tx,
            &store::NewLegacyMember {
                region_id: region,
                scheme_id: &scheme.id,
                organization: name,
                credit_code: code,
                type_label: kind,
                deadline: &deadline,
                actor_id: actor.user.id,
            },
            now,
        )
        .await?
        {
            imported += 1;
        }
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "pool_legacy_import",
        &format!("scheme:{}", scheme.id),
        &format!(
            "rows:{} imported:{imported} document_date:{document_date} deadline:{deadline}",
            rows.len()
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(LegacyImported {
        imported,
        already: rows.len() - imported,
        deadline,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LegacyList {
    #[schema(value_type = Vec<Object>)]
    pub members: Vec<store::LegacyMember>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The existing members the caller's authority imported.
pub async fn legacy_members(
    state: &AppState,
    actor: &Actor,
    page_number: Option<&str>,
    per_page: Option<&str>,
) -> AppResult<LegacyList> {
    let region = authority(actor)?;
    let page = page(page_number, per_page)?;
    let (members, total) = store::authority_legacy_members(&state.db, region, page).await?;
    Ok(LegacyList {
        members,
        total,
        page: page.number,
        per_page: page.size,
    })
}

/// The job `legacy_deadline` (003 二（二）2 「1年内未通过评估的池内单位将予以除名」): every existing
/// member still pending after its deadline is settled — `graded` when a grade of the scheme was
/// published for its credit code by the deadline, else `removed`, with the audit entry and a
/// notice to the organisation if it is registered. A settled member is left alone, so a
/// second run changes nothing.
pub async fn settle_legacy(state: &AppState, today: NaiveDate) -> AppResult<usize> {
    let mut removed = 0;
    for legacy in store::legacy_members_due(&state.db, &today.to_string()).await? {
        let organization =
            store::organization_by_credit_code(&state.db, &legacy.credit_code).await?;
        let now = state.now();
        let mut tx = state.db.begin().await?;
        let graded = store::graded_by(
            &mut tx,
            &legacy.scheme_id,
            &legacy.credit_code,
            &legacy.deadline,
        )
        .await?;
        let status = if graded { "graded" } else { "removed" };
        if !store::settle_legacy_member(&mut tx, legacy.id, status, now).await? {
            continue;
        }
        if !graded {
            store::audit(
                &mut tx,
                None,
                "pool_legacy_removed",
                &format!("legacy_member:{}", legacy.id),
                &format!(
                    "{} {} deadline:{}",
                    legacy.organization, legacy.credit_code, legacy.deadline
                ),
                now,
            )
            .await?;
            if let Some(organization) = &organization {
                notifications::notify_organization(
                    &mut tx,
                    organization.id,
                    Kind::Deadline,
                    None,
                    "未在期限内通过评估，已从资源池除名",
                    &format!(
                        "依据 003 二（二）2「1年内未通过评估的池内单位将予以除名」，现有单位须于 {} 前通过评级评估；期满未通过，已予除名。可在以后的批次中重新申报。",
                        legacy.deadline
                    ),
                    now,
                )
                .await?;
            }
            removed += 1;
        }
        tx.commit().await?;
    }
    if removed > 0 {
        notifications::spawn_delivery(state);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_lines_are_rows_without_their_header() {
        let rows = legacy_rows(
            "名称,统一社会信用代码,类型\n\n 甲公司 ，91320583MA1P7K2X0X，网络服务商\n乙公司\t91320115MA1Q3D8H1X\t解决方案, 咨询\n",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].organization, "甲公司");
        assert_eq!(rows[0].credit_code, "91320583MA1P7K2X0X");
        assert_eq!(rows[0].provider_type, "网络服务商");
        // The third column keeps what follows it, commas included.
        assert_eq!(rows[1].provider_type, "解决方案, 咨询");
    }
}
