//! Accounts and organisations: creating users (and their organisation), changing passwords,
//! editing the organisation profile. Shared by the API, the pages and the CLI.

use crate::api::{NewUserRequest, OrganizationUpdate};
use crate::app::AppState;
use crate::auth::{self, Actor, Role};
use crate::error::{AppError, AppResult};
use crate::store::{self, NewUser};

pub const ORGANIZATION_KINDS: [&str; 3] =
    ["enterprise", "public_institution", "social_organization"];

/// Reads an organisation kind in English id or Chinese (企业 / 事业单位 / 社会团体).
pub fn organization_kind(text: &str) -> AppResult<&'static str> {
    match text.trim() {
        "enterprise" | "企业" => Ok("enterprise"),
        "public_institution" | "事业单位" => Ok("public_institution"),
        "social_organization" | "社会团体" => Ok("social_organization"),
        _ => Err(AppError::invalid(
            "单位性质应为 企业、事业单位 或 社会团体 / kind must be enterprise, public_institution or social_organization",
        )),
    }
}

pub async fn create_user(
    state: &AppState,
    created_by: Option<i64>,
    request: &NewUserRequest,
) -> AppResult<store::User> {
    let username = request.username.trim();
    if username.is_empty()
        || username.chars().count() > 64
        || username.chars().any(char::is_whitespace)
    {
        return Err(AppError::invalid(
            "用户名不能为空、不含空格、最长64字符 / invalid user name",
        ));
    }
    auth::check_password_strength(&request.password)?;
    if store::user_by_username(&state.db, username)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "username_taken",
            "用户名已存在 / user name taken",
        ));
    }
    let now = state.now();
    let region = match &request.region_code {
        Some(code) => Some(
            store::region_by_code(&state.db, code)
                .await?
                .ok_or_else(|| {
                    AppError::invalid(format!("未知区域代码 {code} / unknown region"))
                })?,
        ),
        None => None,
    };
    let (organization_id, region_id) = match request.role {
        Role::Applicant => {
            let code = crate::api::credit_code(request.credit_code.as_deref().unwrap_or_default())?;
            let organization =
                match store::organization_by_credit_code(&state.db, code.as_str()).await? {
                    Some(organization) => organization.id,
                    None => {
                        let name = request
                        .organization_name
                        .as_deref()
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .ok_or_else(|| {
                            AppError::invalid(
                                "新单位需要 organization_name / a new organisation needs a name",
                            )
                        })?;
                        let region = region.as_ref().ok_or_else(|| {
                            AppError::invalid(
                                "新单位需要 region_code / a new organisation needs a region",
                            )
                        })?;
                        store::insert_organization(
                            &state.db,
                            name,
                            code.as_str(),
                            "enterprise",
                            region,
                            now,
                        )
                        .await?
                    }
                };
            (Some(organization), None)
        }
        role if role.is_regional() => {
            let region = region.ok_or_else(|| {
                AppError::invalid("审核人员须绑定区域 region_code / reviewers need a region")
            })?;
            (None, Some(region.id))
        }
        _ => (None, None),
    };
    let hash = auth::hash_password(&request.password)?;
    let id = store::insert_user(
        &state.db,
        &NewUser {
            username,
            display_name: request.display_name.trim(),
            password_hash: &hash,
            role: request.role.as_str(),
            organization_id,
            region_id,
            must_change_password: created_by.is_some(),
        },
        now,
    )
    .await?;
    store::audit(
        &state.db,
        created_by,
        "user_created",
        &format!("user:{id}"),
        request.role.as_str(),
        now,
    )
    .await?;
    store::user(&state.db, id)
        .await?
        .ok_or_else(|| AppError::internal("user vanished after insert"))
}

pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    current: &str,
    new: &str,
) -> AppResult<()> {
    if !auth::verify_password(current, &actor.user.password_hash) {
        return Err(AppError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_password",
            "当前密码不正确 / current password is wrong",
        ));
    }
    auth::check_password_strength(new)?;
    if new == current {
        return Err(AppError::invalid(
            "新密码不能与当前密码相同 / choose a different password",
        ));
    }
    let hash = auth::hash_password(new)?;
    store::set_password(&state.db, actor.user.id, &hash, false).await?;
    store::delete_sessions_of(
        &state.db,
        actor.user.id,
        actor.session.as_ref().map(|s| s.token_hash.as_str()),
    )
    .await?;
    store::audit(
        &state.db,
        Some(actor.user.id),
        "password_changed",
        &format!("user:{}", actor.user.id),
        "",
        state.now(),
    )
    .await?;
    Ok(())
}

pub async fn update_organization(
    state: &AppState,
    actor: &Actor,
    id: i64,
    update: &OrganizationUpdate,
) -> AppResult<()> {
    // Only the organisation's own applicants edit its profile; others get "not found".
    if actor.role != Role::Applicant || actor.user.organization_id != Some(id) {
        crate::api::visible_organization(state, actor, id).await?;
        return Err(AppError::forbidden(
            "只有本单位申报用户可以修改单位信息 / only the organisation's own users may edit it",
        ));
    }
    let name = update.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid("单位名称不能为空 / name required"));
    }
    let kind = organization_kind(&update.kind)?;
    let now = state.now();
    store::update_organization(
        &state.db,
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
        &state.db,
        Some(actor.user.id),
        "organization_updated",
        &format!("organization:{id}"),
        "",
        now,
    )
    .await?;
    Ok(())
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
    let name = crate::applications::name_search(name)?;
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

/// Creates the first system administrator with a one-time password, if there is no user yet.
/// Returns the password to print.
pub async fn bootstrap_admin(state: &AppState) -> AppResult<Option<String>> {
    if store::count_users(&state.db).await? > 0 {
        return Ok(None);
    }
    let password = format!("Pj-{}", auth::random_token(8));
    let hash = auth::hash_password(&password)?;
    let now = state.now();
    let id = store::insert_user(
        &state.db,
        &NewUser {
            username: "admin",
            display_name: "系统管理员",
            password_hash: &hash,
            role: "system_admin",
            organization_id: None,
            region_id: None,
            must_change_password: true,
        },
        now,
    )
    .await?;
    store::audit(
        &state.db,
        None,
        "user_created",
        &format!("user:{id}"),
        "system_admin (first start)",
        now,
    )
    .await?;
    Ok(Some(password))
}

/// Creates an API token for the signed-in user (not for a token caller). Returns the id and the
/// token itself, which is shown once: only its hash is stored.
pub async fn create_api_token(
    state: &AppState,
    actor: &Actor,
    name: &str,
    scopes: &str,
) -> AppResult<(i64, String)> {
    if actor.token_scopes.is_some() {
        return Err(AppError::forbidden(
            "令牌不能创建令牌，请登录后操作 / tokens cannot create tokens",
        ));
    }
    let scopes: Vec<&str> = scopes.split_whitespace().collect();
    let name = name.trim();
    if scopes.is_empty()
        || scopes.iter().any(|s| !matches!(*s, "read" | "write"))
        || name.is_empty()
        || name.chars().count() > 100
    {
        return Err(AppError::invalid(
            "权限应为 read 或 read write，名称不能为空 / scopes must be read or write, name required",
        ));
    }
    let token = format!("pj_{}", auth::random_token(24));
    let now = state.now();
    let id = store::insert_token(
        &state.db,
        actor.user.id,
        name,
        &store::sha256_hex(token.as_bytes()),
        &scopes.join(" "),
        now,
    )
    .await?;
    store::audit(
        &state.db,
        Some(actor.user.id),
        "token_created",
        &format!("token:{id}"),
        &scopes.join(" "),
        now,
    )
    .await?;
    Ok((id, token))
}

/// Revokes one of the user's own tokens; "not found" for anyone else's.
pub async fn revoke_api_token(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    let now = state.now();
    if !store::revoke_token(&state.db, actor.user.id, id, now).await? {
        return Err(AppError::not_found());
    }
    store::audit(
        &state.db,
        Some(actor.user.id),
        "token_revoked",
        &format!("token:{id}"),
        "",
        now,
    )
    .await?;
    Ok(())
}
