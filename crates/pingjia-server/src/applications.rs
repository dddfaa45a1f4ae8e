//! Applications and their versions: create, read with the live assessment, autosave drafts,
//! submit (freeze) — with ownership and state checked on every call.

use crate::api::{ApplicationDetail, EvidenceItem, VersionSummary};
use crate::app::AppState;
use crate::assess::{self, Assessment};
use crate::auth::{Actor, Role};
use crate::error::{AppError, AppResult};
use crate::store::{self, Scope};
use pingjia_core::engine::Round;
use serde_json::{Value as Json, json};

/// States in which the applicant may submit the open draft.
const SUBMITTABLE: &[&str] = &["draft", "returned"];

pub async fn create(
    state: &AppState,
    actor: &Actor,
    scheme_id: &str,
    provider_type: Option<&str>,
) -> AppResult<i64> {
    actor.require(&[Role::Applicant])?;
    let organization_id = actor
        .user
        .organization_id
        .ok_or_else(|| AppError::forbidden("账号未关联单位 / no organisation"))?;
    let (scheme, type_index) = assess::target(&state.catalog, scheme_id, provider_type)
        .ok_or_else(|| {
            AppError::new(
                axum::http::StatusCode::NOT_FOUND,
                "unknown_scheme",
                "未知的方案或服务商类型 / unknown scheme or provider type",
            )
        })?;
    let organization = store::organization(&state.db, organization_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let body =
        json!({ "organization": { "kind": organization.kind }, "values": {}, "confirmed": {} });
    let assessment = assess::assess(scheme, type_index, &body, &Round::from_scheme(scheme));
    let now = state.now();
    let provider_type = type_index.map(|t| scheme.provider_types[t].id.as_str());
    let (id, version_id) = store::insert_application(
        &state.db,
        &organization,
        &scheme.id,
        provider_type,
        &body.to_string(),
        actor.user.id,
        now,
    )
    .await?;
    store::save_draft(
        &state.db,
        version_id,
        &body.to_string(),
        &grade_of(&assessment),
        now,
    )
    .await?;
    store::audit(
        &state.db,
        Some(actor.user.id),
        "application_created",
        &format!("application:{id}"),
        &format!("{}/{}", scheme.id, provider_type.unwrap_or("")),
        now,
    )
    .await?;
    Ok(id)
}

pub fn grade_of(assessment: &Assessment) -> store::Grade<'_> {
    store::Grade {
        stars: assessment.report.stars.map(i64::from),
        score: assessment.report.score.map(|s| s.to_string()),
        grade: &assessment.report.grade,
    }
}

pub async fn detail(state: &AppState, actor: &Actor, id: i64) -> AppResult<ApplicationDetail> {
    let scope = actor.scope();
    let application = store::application(&state.db, &scope, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let organization = store::organization(&state.db, application.organization_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let all = store::versions(&state.db, id).await?;
    let is_owner = matches!(scope, Scope::Organization(_));
    // Reviewers see the latest submitted version; the owner sees the open draft too.
    let version = all
        .iter()
        .rev()
        .find(|v| is_owner || v.submitted_at.is_some())
        .cloned()
        .ok_or_else(AppError::not_found)?;
    let assessment = assess_version(state, &application, &version.body)?;
    let evidence = evidence_items(
        state,
        &store::evidence_of_version(&state.db, version.id).await?,
        organization.id,
    )
    .await?;
    Ok(ApplicationDetail {
        editable: is_owner && actor.role == Role::Applicant,
        versions: all
            .iter()
            .filter(|v| is_owner || v.submitted_at.is_some())
            .map(|v| VersionSummary {
                number: v.number,
                submitted_at: v.submitted_at,
                grade: v.grade.clone(),
            })
            .collect(),
        application,
        organization,
        version,
        evidence,
        assessment,
    })
}

pub async fn evidence_items(
    state: &AppState,
    rows: &[store::Evidence],
    organization_id: i64,
) -> AppResult<Vec<EvidenceItem>> {
    let shared_contents = store::contents_shared_with_others(
        &state.db,
        rows.iter().map(|row| row.sha256.as_str()),
        organization_id,
    )
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let shared = shared_contents.contains(&row.sha256);
        items.push(EvidenceItem {
            id: row.id,
            filename: row.filename.clone(),
            criterion_id: row.criterion_id.clone(),
            sha256: row.sha256.clone(),
            size: row.size,
            media_type: row.media_type.clone(),
            uploaded_at: row.uploaded_at,
            shared_with_other_organizations: shared,
        });
    }
    Ok(items)
}

fn assess_version(
    state: &AppState,
    application: &store::Application,
    body: &str,
) -> AppResult<Assessment> {
    let (scheme, provider_type) = assess::target(
        &state.catalog,
        &application.scheme_id,
        application.provider_type.as_deref(),
    )
    .ok_or_else(|| {
        AppError::internal(format!(
            "application {} names unknown scheme {}",
            application.id, application.scheme_id
        ))
    })?;
    let body: Json = serde_json::from_str(body).map_err(AppError::internal)?;
    Ok(assess::assess(
        scheme,
        provider_type,
        &body,
        &Round::from_scheme(scheme),
    ))
}

/// The open draft of an application the actor owns, opening a new one after a submission.
pub async fn open_draft(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<(store::Application, store::Version)> {
    actor.require(&[Role::Applicant])?;
    let application = store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let latest = store::latest_version(&state.db, id).await?;
    if latest.submitted_at.is_none() {
        return Ok((application, latest));
    }
    let draft = store::new_draft_version(&state.db, &latest, actor.user.id, state.now()).await?;
    store::audit(
        &state.db,
        Some(actor.user.id),
        "draft_opened",
        &format!("application:{id}"),
        &format!("version {}", draft.number),
        state.now(),
    )
    .await?;
    Ok((application, draft))
}

/// Autosave: keeps the body as typed, returns the assessment and field errors.
pub async fn save_draft(
    state: &AppState,
    actor: &Actor,
    id: i64,
    body: Json,
) -> AppResult<(i64, Assessment)> {
    if !body.is_object() {
        return Err(AppError::invalid(
            "申报内容应为 JSON 对象 / the body must be an object",
        ));
    }
    let text = body.to_string();
    if text.len() > 1_000_000 {
        return Err(AppError::invalid("申报内容过大 / declaration too large"));
    }
    let (application, draft) = open_draft(state, actor, id).await?;
    let assessment = assess_version(state, &application, &text)?;
    let now = state.now();
    if !store::save_draft(&state.db, draft.id, &text, &grade_of(&assessment), now).await? {
        return Err(AppError::conflict(
            "version_frozen",
            "该版本已提交，不能修改 / this version was submitted",
        ));
    }
    Ok((draft.number, assessment))
}

pub async fn submit(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require(&[Role::Applicant])?;
    let application = store::application(&state.db, &actor.scope(), id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let latest = store::latest_version(&state.db, id).await?;
    if latest.submitted_at.is_some() || !SUBMITTABLE.contains(&application.state.as_str()) {
        return Err(AppError::conflict(
            "not_submittable",
            "当前状态不能提交（已提交或审核中）/ nothing to submit in this state",
        ));
    }
    let assessment = assess_version(state, &application, &latest.body)?;
    if !assessment.field_errors.is_empty() {
        return Err(AppError::invalid(format!(
            "有 {} 个字段填写有误，请修改后提交 / fix the fields in error first",
            assessment.field_errors.len()
        )));
    }
    let now = state.now();
    if !store::submit(&state.db, id, latest.id, now).await? {
        return Err(AppError::conflict(
            "not_submittable",
            "该版本已提交 / already submitted",
        ));
    }
    store::audit(
        &state.db,
        Some(actor.user.id),
        "submitted",
        &format!("application:{id}"),
        &format!("version {} · {}", latest.number, assessment.report.grade),
        now,
    )
    .await?;
    Ok(())
}

/// Every state of an application's life (DESIGN.md §4), with its Chinese label.
pub const STATES: &[(&str, &str)] = &[
    ("draft", "草稿"),
    ("county_review", "区县初审"),
    ("city_review", "设区市审核"),
    ("expert_review", "专家评审"),
    ("public_notice", "公示"),
    ("published", "已发布"),
    ("returned", "退回修改"),
    ("rejected", "未通过"),
    ("revoked", "已撤销"),
    ("removed", "已除名"),
];

/// The longest organisation-name fragment a list may be searched by.
const MAX_NAME_QUERY: usize = 100;

/// A list's organisation-name search as typed: `None` when empty, refused when too long.
pub fn name_search(q: Option<&str>) -> AppResult<Option<&str>> {
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > MAX_NAME_QUERY) {
        return Err(AppError::invalid(format!(
            "单位名称检索词不能超过 {MAX_NAME_QUERY} 个字 / name query too long"
        )));
    }
    Ok(q)
}

/// How a list of applications may be narrowed, as typed in the list page's form or in the
/// API's query string. Empty values mean "any" (an HTML form sends every field).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::IntoParams)]
pub struct ListFilter {
    /// 状态 / state: draft, county_review, city_review, expert_review, public_notice, published,
    /// returned, rejected, revoked, removed.
    pub state: Option<String>,
    /// 评价方案 / scheme id, e.g. `jiangsu-pool-2021`.
    pub scheme: Option<String>,
    /// 服务商类型 / provider type id within `scheme`, e.g. `network`.
    pub provider_type: Option<String>,
    /// 行政区划代码 / region code, e.g. `3205`: only organisations inside that region (and
    /// still only what the caller may see).
    pub region: Option<String>,
    /// 单位名称包含 / part of the organisation's name.
    pub q: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl ListFilter {
    /// Checks the filter against the catalogue and the regions table; an unknown value is an
    /// error that names the field, never an empty list that looks like "nothing there".
    pub async fn resolve(&self, state: &AppState) -> AppResult<store::ApplicationFilter> {
        let status = given(&self.state)
            .map(|s| {
                STATES
                    .iter()
                    .find(|(id, _)| *id == s)
                    .map(|(id, _)| (*id).to_owned())
                    .ok_or_else(|| AppError::invalid(format!("未知的状态「{s}」 / unknown state")))
            })
            .transpose()?;
        let scheme = given(&self.scheme)
            .map(|id| {
                state
                    .catalog
                    .schemes
                    .iter()
                    .find(|s| s.id == id)
                    .ok_or_else(|| {
                        AppError::invalid(format!("未知的评价方案「{id}」 / unknown scheme"))
                    })
            })
            .transpose()?;
        let provider_type = match (given(&self.provider_type), scheme) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(AppError::invalid(
                    "按服务商类型筛选时须同时指定评价方案 / provider_type needs scheme",
                ));
            }
            (Some(id), Some(scheme)) => match scheme.provider_type(id) {
                Some(index) => Some(scheme.provider_types[index].id.clone()),
                None => {
                    return Err(AppError::invalid(format!(
                        "方案「{}」没有服务商类型「{id}」 / unknown provider type",
                        scheme.title
                    )));
                }
            },
        };
        let region_path = match given(&self.region) {
            None => None,
            Some(code) => Some(
                store::region_by_code(&state.db, code)
                    .await?
                    .ok_or_else(|| {
                        AppError::invalid(format!("未知的行政区划代码「{code}」 / unknown region"))
                    })?
                    .path,
            ),
        };
        let organization_name = name_search(self.q.as_deref())?.map(str::to_owned);
        Ok(store::ApplicationFilter {
            state: status,
            scheme_id: scheme.map(|s| s.id.clone()),
            provider_type,
            region_path,
            organization_name,
        })
    }
}
