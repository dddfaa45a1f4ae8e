//! Organisations: their kinds, profiles, who may see which, and lists by name.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role};
use crate::services::credit_code::CreditCode;
use crate::storage as store;
use pingjia_core::scheme::OrgKind;
use serde::Deserialize;
use utoipa::ToSchema;

/// The organisation kinds' ids, from the core's one table ([`OrgKind::ALL`]).
pub const ORGANIZATION_KINDS: [&str; 3] = [
    OrgKind::ALL[0].as_str(),
    OrgKind::ALL[1].as_str(),
    OrgKind::ALL[2].as_str(),
];

/// Reads an organisation kind in English id or Chinese (企业 / 事业单位 / 社会团体).
pub fn organization_kind(text: &str) -> AppResult<&'static str> {
    OrgKind::parse(text).map(OrgKind::as_str).ok_or_else(|| {
        AppError::invalid(
            "单位性质应为 企业、事业单位 或 社会团体 / kind must be enterprise, public_institution or social_organization",
        )
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OrganizationUpdate {
    pub name: String,
    /// enterprise | public_institution | social_organization
    pub kind: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub phone: String,
}

pub async fn update_organization(
    state: &AppState,
    actor: &Actor,
    id: i64,
    update: &OrganizationUpdate,
) -> AppResult<()> {
    // Only the organisation's own applicants edit its profile; others get "not found".
    if actor.role != Role::Applicant || actor.user.organization_id != Some(id) {
        visible_organization(state, actor, id).await?;
        return Err(AppError::forbidden(
            "只有本单位申报用户可以修改单位信息 / only the organisation's own users may edit it",
        ));
    }
    let name = update.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid("单位名称不能为空 / name required"));
    }
    for (label, value) in [
        ("单位名称", &update.name),
        ("地址", &update.address),
        ("联系人", &update.contact),
        ("电话", &update.phone),
    ] {
        crate::services::plain_text(label, value, 200)?;
    }
    check_phone(update.phone.trim())?;
    let kind = organization_kind(&update.kind)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    store::update_organization(
        &mut tx,
        id,
        &store::OrganizationUpdate {
            name,
            kind,
            address: update.address.trim(),
            contact: update.contact.trim(),
            phone: update.phone.trim(),
        },
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "organization_updated",
        &format!("organization:{id}"),
        "",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A telephone number as people write them in China: a mobile (138 0013 8000), a fixed line
/// with its area code (0512-5788 1234, (0575)8512 3456), optionally with +86 and an extension
/// (转 801 or -801). Empty is allowed (the field is optional).
pub fn check_phone(phone: &str) -> AppResult<()> {
    if phone.is_empty() {
        return Ok(());
    }
    let main = phone.split_once('转').map_or(phone, |(number, extension)| {
        if extension.trim().chars().all(|c| c.is_ascii_digit()) {
            number
        } else {
            ""
        }
    });
    let allowed = main
        .chars()
        .all(|c| c.is_ascii_digit() || " -()（）+".contains(c));
    let digits = main.chars().filter(char::is_ascii_digit).count();
    if allowed && !main.is_empty() && (7..=20).contains(&digits) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "电话号码格式不正确，如 0512-57881234 或 13800138000 / malformed phone number",
        ))
    }
}

/// The organisations an actor may see, by name: its own (applicant), those inside its region
/// (reviewers, authority), all (system admin), none (experts); optionally only those whose
/// name contains `name`. Returns one page and the total.
pub async fn organizations(
    state: &AppState,
    actor: &Actor,
    name: Option<&str>,
    page: store::Page,
) -> AppResult<(Vec<store::Organization>, i64)> {
    let name = crate::services::applications::name_search(name)?;
    let path = match (actor.role, actor.user.organization_id, &actor.region_path) {
        (Role::Applicant, Some(id), _) => {
            let own = store::organization(&state.db, id).await?;
            let own: Vec<_> = own
                .into_iter()
                .filter(|o| name.is_none_or(|n| o.name.contains(n)))
                .collect();
            let total = own.len() as i64;
            let items = if page.number == 1 { own } else { Vec::new() };
            return Ok((items, total));
        }
        (role, _, Some(path)) if role.is_regional() => path.as_str(),
        (Role::SystemAdmin, _, _) => "/",
        _ => return Ok((Vec::new(), 0)),
    };
    Ok(store::organizations_in(&state.db, path, name, page).await?)
}

/// An organisation the actor may see; any other answers as missing.
pub async fn visible_organization(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<store::Organization> {
    let organization = store::organization(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let visible = match actor.role {
        Role::Applicant => actor.user.organization_id == Some(id),
        Role::SystemAdmin => true,
        role if role.is_regional() => actor
            .region_path
            .as_deref()
            .is_some_and(|p| organization.region_path.starts_with(p)),
        _ => false,
    };
    if visible {
        Ok(organization)
    } else {
        Err(AppError::not_found())
    }
}

/// Reads a credit code, as an API error when invalid.
pub fn credit_code(text: &str) -> AppResult<CreditCode> {
    CreditCode::parse(text).map_err(|e| AppError::invalid(e.to_string()))
}

/// The regions tree (省 → 设区市 → 县/市/区), in path order.
pub async fn regions(state: &AppState) -> AppResult<Vec<store::Region>> {
    Ok(store::regions(&state.db).await?)
}

/// One region by id.
pub async fn region(state: &AppState, id: i64) -> AppResult<Option<store::Region>> {
    Ok(store::region(&state.db, id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_as_written_in_china() {
        for good in [
            "",
            "13800138000",
            "138 0013 8000",
            "0512-57881234",
            "(0575)85123456",
            "（0575）8512 3456",
            "+86 512 5788 1234",
            "0512-57881234转801",
        ] {
            assert!(check_phone(good).is_ok(), "{good}");
        }
        for bad in [
            "abc",
            "12345",
            "0512-5788x1234",
            "电话",
            "0512-57881234转abc",
            "1".repeat(21).as_str(),
        ] {
            assert!(check_phone(bad).is_err(), "{bad}");
        }
    }
}
