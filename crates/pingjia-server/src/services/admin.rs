//! Account management and the audit-log viewer. A system administrator manages every account;
//! an authority administrator only the reviewer (county, city) and expert accounts whose region
//! lies inside its own, and creates only those. Any other account answers like a missing one.
//! Every change is one transaction with its audit entry.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::accounts::{self, NewUserRequest};
use crate::services::actor::{Actor, Role};
use crate::services::notifications::{self, Kind};
use crate::storage::{self as store, AuditEntry, AuditFilter, UserFilter, UserRow};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The roles an authority administrator manages.
pub const AUTHORITY_MANAGES: [Role; 3] = [Role::CountyReviewer, Role::CityReviewer, Role::Expert];

/// The filters of the account list, as typed in a query string.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct UserQuery {
    /// A role id (`county_reviewer`, …).
    pub role: Option<String>,
    /// A region code: accounts bound to it or to a region inside it.
    pub region: Option<String>,
    /// `1` disabled accounts only, `0` enabled only.
    pub disabled: Option<String>,
    /// Part of the user name or the display name.
    pub q: Option<String>,
}

fn managing_region(actor: &Actor) -> AppResult<Option<&str>> {
    match actor.role {
        Role::SystemAdmin => Ok(None),
        Role::AuthorityAdmin => actor
            .region_path
            .as_deref()
            .map(Some)
            .ok_or_else(|| AppError::forbidden("无权管理账号 / not permitted")),
        _ => Err(AppError::forbidden("无权管理账号 / not permitted")),
    }
}

/// Whether the actor may manage this account.
fn may_manage(actor: &Actor, target: &UserRow) -> bool {
    match actor.role {
        Role::SystemAdmin => true,
        Role::AuthorityAdmin => {
            AUTHORITY_MANAGES.contains(&target.user.role)
                && match (&actor.region_path, &target.region_path) {
                    (Some(own), Some(theirs)) => theirs.starts_with(own.as_str()),
                    _ => false,
                }
        }
        _ => false,
    }
}

/// One page of the accounts the actor manages, filtered; and how many match.
pub async fn users(
    state: &AppState,
    actor: &Actor,
    query: &UserQuery,
    page: store::Page,
) -> AppResult<(Vec<UserRow>, i64)> {
    let own_region = managing_region(actor)?;
    let mut filter = UserFilter::default();
    let role = match query
        .role
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        Some(text) => Some(text.parse::<Role>().map_err(|_| {
            AppError::invalid(format!("role：未知角色 {text} / role: unknown role"))
        })?),
        None => None,
    };
    filter.roles = match (role, own_region) {
        (Some(role), Some(_)) if !AUTHORITY_MANAGES.contains(&role) => {
            return Ok((Vec::new(), 0));
        }
        (Some(role), _) => vec![role],
        (None, Some(_)) => AUTHORITY_MANAGES.to_vec(),
        (None, None) => Vec::new(),
    };
    filter.region_path = own_region.map(str::to_owned);
    if let Some(code) = query
        .region
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let region = region_by_code(state, code).await?;
        if own_region.is_some_and(|own| !region.path.starts_with(own)) {
            return Ok((Vec::new(), 0));
        }
        filter.region_path = Some(region.path);
    }
    filter.disabled = match query.disabled.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("1" | "true") => Some(true),
        Some("0" | "false") => Some(false),
        Some(_) => {
            return Err(AppError::invalid(
                "disabled 应为 0 或 1 / disabled must be 0 or 1",
            ));
        }
    };
    let name = crate::services::applications::name_search(query.q.as_deref())?;
    filter.name = name.map(str::to_owned);
    Ok(store::users_filtered(&state.db, &filter, page).await?)
}

async fn region_by_code(state: &AppState, code: &str) -> AppResult<store::Region> {
    if code.len() > 12 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::invalid(format!(
            "未知区域代码 {code} / unknown region"
        )));
    }
    store::region_by_code(&state.db, code)
        .await?
        .ok_or_else(|| AppError::invalid(format!("未知区域代码 {code} / unknown region")))
}

/// One account the actor manages; any other answers as missing.
pub async fn user(state: &AppState, actor: &Actor, id: i64) -> AppResult<UserRow> {
    let row = store::user_row(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if may_manage(actor, &row) {
        Ok(row)
    } else {
        Err(AppError::not_found())
    }
}

/// Creates an account: a system administrator any; an authority administrator a reviewer or
/// expert inside its region. The password is a one-time password (changed at first sign-in).
pub async fn create_user(
    state: &AppState,
    actor: &Actor,
    request: &NewUserRequest,
) -> AppResult<store::User> {
    if let Some(own) = managing_region(actor)? {
        let inside = match request.region_code.as_deref() {
            Some(code) => region_by_code(state, code).await?.path.starts_with(own),
            None => false,
        };
        if !AUTHORITY_MANAGES.contains(&request.role) || !inside {
            return Err(AppError::forbidden(
                "主管部门只能创建本辖区的审核人员和专家账号 / an authority creates reviewer and expert accounts inside its region only",
            ));
        }
    }
    accounts::create_user(state, Some(actor.user.id), request).await
}

/// A change of an account: enable or disable it, bind it to another region.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UserUpdate {
    /// Disable (true) or enable (false) the account. Disabling ends its sessions and revokes
    /// its API tokens.
    pub disabled: Option<bool>,
    /// The region code a reviewer, authority or expert is bound to.
    pub region_code: Option<String>,
}

/// Applies a change to an account the actor manages, as one command.
pub async fn update_user(
    state: &AppState,
    actor: &Actor,
    id: i64,
    update: &UserUpdate,
) -> AppResult<UserRow> {
    let region = match update.region_code.as_deref().map(str::trim) {
        Some(code) => Some(region_by_code(state, code).await?),
        None => None,
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let target = store::lock_user_row(&mut tx, id)
        .await?
        .filter(|row| may_manage(actor, row))
        .ok_or_else(AppError::not_found)?;
    if let Some(disabled) = update.disabled
        && disabled != (target.user.disabled != 0)
    {
        if disabled && target.user.id == actor.user.id {
            return Err(AppError::invalid(
                "不能停用自己的账号 / you cannot disable your own account",
            ));
        }
        store::set_disabled(&mut tx, id, disabled).await?;
        let details = if disabled {
            store::delete_sessions_of(&mut tx, id, None).await?;
            let revoked = store::revoke_tokens_of(&mut tx, id, now).await?;
            format!("sessions ended, {revoked} API tokens revoked")
        } else {
            String::new()
        };
        let action = if disabled {
            "user_disabled"
        } else {
            "user_enabled"
        };
        store::audit(
            &mut tx,
            Some(actor.user.id),
            action,
            &format!("user:{id}"),
            &details,
            now,
        )
        .await?;
    }
    if let Some(region) = &region
        && target.user.region_id != Some(region.id)
    {
        let role = target.user.role;
        if !(role.is_regional() || role == Role::Expert) {
            return Err(AppError::invalid(
                "只有审核人员、主管部门和专家账号绑定区域 / only reviewer, authority and expert accounts have a region",
            ));
        }
        if let Some(own) = managing_region(actor)?
            && !region.path.starts_with(own)
        {
            return Err(AppError::invalid(
                "该区域不在您的管辖范围内 / the region is outside your own",
            ));
        }
        store::set_user_region(&mut tx, id, Some(region.id)).await?;
        store::audit(
            &mut tx,
            Some(actor.user.id),
            "user_region_changed",
            &format!("user:{id}"),
            &format!(
                "{} -> {}",
                target.region_code.as_deref().unwrap_or("-"),
                region.code
            ),
            now,
        )
        .await?;
        notifications::notify_user(
            &mut tx,
            id,
            Kind::Account,
            None,
            &format!("账号所属区域已调整为{}", region.name),
            "您的账号所属区域已由管理员调整，可查看的申报随之变化。",
            now,
        )
        .await?;
    }
    tx.commit().await?;
    notifications::spawn_delivery(state);
    user(state, actor, id).await
}

/// Resets an account's password to a one-time password, returned to be shown once: the user
/// must change it at the next sign-in. The account's sessions end and its API tokens are
/// revoked (a password is reset because it is lost or known to someone else).
pub async fn reset_password(state: &AppState, actor: &Actor, id: i64) -> AppResult<String> {
    managing_region(actor).map_err(|_| AppError::not_found())?;
    let password = format!("Pj-{}", accounts::random_token(8));
    let hash = accounts::hash_password(&password)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    store::lock_user_row(&mut tx, id)
        .await?
        .filter(|row| may_manage(actor, row))
        .ok_or_else(AppError::not_found)?;
    store::set_password(&mut tx, id, &hash, true).await?;
    store::delete_sessions_of(&mut tx, id, None).await?;
    let revoked = store::revoke_tokens_of(&mut tx, id, now).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "password_reset",
        &format!("user:{id}"),
        &format!("one-time password set, sessions ended, {revoked} API tokens revoked"),
        now,
    )
    .await?;
    notifications::notify_user(
        &mut tx,
        id,
        Kind::Account,
        None,
        "您的密码已被管理员重置",
        "请使用管理员告知的一次性密码登录，并立即设置新密码。",
        now,
    )
    .await?;
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(password)
}

/// Sets or clears the caller's own e-mail address.
pub async fn set_own_email(state: &AppState, actor: &Actor, email: &str) -> AppResult<()> {
    let email = check_email(email)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    store::set_user_email(&mut tx, actor.user.id, email).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "email_changed",
        &format!("user:{}", actor.user.id),
        "",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An e-mail address as people type it (`name@example.cn`), trimmed; `None` when empty.
pub fn check_email(email: &str) -> AppResult<Option<&str>> {
    let email = email.trim();
    if email.is_empty() {
        return Ok(None);
    }
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && domain
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        })
        && email
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"\\".contains(c));
    if valid {
        Ok(Some(email))
    } else {
        Err(AppError::invalid(
            "电子邮箱格式不正确，如 name@example.cn / malformed e-mail address",
        ))
    }
}

/// The filters of the audit-log viewer, as typed in a query string.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// The actor's user name.
    pub actor: Option<String>,
    /// The object, e.g. `application:12`.
    pub object: Option<String>,
    /// The action, e.g. `user_created`.
    pub action: Option<String>,
    /// From this day (YYYY-MM-DD, China time), inclusive.
    pub from: Option<String>,
    /// To this day (YYYY-MM-DD, China time), inclusive.
    pub to: Option<String>,
}

/// One page of the audit log, newest first, and whether the whole hash chain verifies (the id
/// of the first entry that does not). System administrators only; anyone else: not found.
pub async fn audit_log(
    state: &AppState,
    actor: &Actor,
    query: &AuditQuery,
    page: store::Page,
) -> AppResult<AuditPage> {
    if actor.role != Role::SystemAdmin {
        return Err(AppError::not_found());
    }
    let text = |label: &str, value: &Option<String>| -> AppResult<Option<String>> {
        let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
        if let Some(value) = value {
            crate::services::plain_text(label, value, 200)?;
        }
        Ok(value.map(str::to_owned))
    };
    let filter = AuditFilter {
        actor: text("actor", &query.actor)?,
        object: text("object", &query.object)?,
        action: text("action", &query.action)?,
        from: day_start(query.from.as_deref(), "from")?,
        to: day_start(query.to.as_deref(), "to")?.map(|start| start + 86_400),
    };
    let (entries, total) = store::audit_entries(&state.db, &filter, page).await?;
    let broken_at = store::verify_audit(&state.db).await?;
    Ok(AuditPage {
        entries,
        total,
        broken_at,
    })
}

/// A page of the audit log.
#[derive(Debug)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
    /// The first entry whose hash does not verify; none: the chain is intact.
    pub broken_at: Option<i64>,
}

/// The Unix second a day begins in China (UTC+8).
fn day_start(text: Option<&str>, name: &str) -> AppResult<Option<i64>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        AppError::invalid(format!(
            "{name} 应为日期 YYYY-MM-DD / {name} must be a date YYYY-MM-DD"
        ))
    })?;
    let midnight = date
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp() - 8 * 3600)
        .ok_or_else(|| AppError::invalid(format!("{name}: invalid date")))?;
    Ok(Some(midnight))
}

/// Self-registered organisations inside the reviewer's region, newest first.
pub async fn registrations(
    state: &AppState,
    actor: &Actor,
    page: store::Page,
) -> AppResult<(Vec<store::Registration>, i64)> {
    actor.require(&[
        Role::CountyReviewer,
        Role::CityReviewer,
        Role::AuthorityAdmin,
    ])?;
    let path = actor
        .region_path
        .as_deref()
        .ok_or_else(|| AppError::forbidden("账号未绑定区域 / no region"))?;
    Ok(store::registrations_in(&state.db, path, page).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_as_people_type_them() {
        for good in [
            "wang@example.cn",
            " li.si+pj@mail.example.com.cn ",
            "a@b.cn",
        ] {
            assert!(check_email(good).unwrap().is_some(), "{good}");
        }
        assert_eq!(check_email("  ").unwrap(), None);
        for bad in [
            "wang",
            "wang@",
            "@example.cn",
            "wang@example",
            "wang@@example.cn",
            "wang @example.cn",
            "wang@example..cn",
            "<wang@example.cn>",
            "wang@exa\nmple.cn",
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn days_begin_at_midnight_in_china() {
        // 2026-01-05 00:00 +08:00 is 2026-01-04 16:00 UTC.
        assert_eq!(
            day_start(Some("2026-01-05"), "from").unwrap(),
            Some(1_767_542_400)
        );
        assert_eq!(day_start(Some(""), "from").unwrap(), None);
        assert!(day_start(Some("2026-13-01"), "from").is_err());
    }
}
