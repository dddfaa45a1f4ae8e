//! Organisations register themselves: the organisation, its first applicant account, the
//! audit entry and the county's notification in one transaction. A credit code already
//! registered is refused with one message that says nothing about the other organisation;
//! attempts are throttled per client address.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::accounts::{self, MAX_USERNAME};
use crate::services::actor::Role;
use crate::services::admin::check_email;
use crate::services::notifications::{self, Kind};
use crate::services::organizations;
use crate::storage::{self as store, NewUser};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RegistrationRequest {
    /// 单位名称.
    pub organization_name: String,
    /// 统一社会信用代码 (18 characters, GB 32100 check character).
    pub credit_code: String,
    /// 所在区县: the code of a county-level region (县、县级市、区).
    pub region_code: String,
    /// 单位性质: enterprise, public_institution or social_organization (or 企业 / 事业单位 / 社会团体).
    pub kind: String,
    /// 联系人.
    pub contact: String,
    /// 电话.
    pub phone: String,
    /// 电子邮箱 (optional): notifications are mailed there when e-mail is configured.
    #[serde(default)]
    pub email: String,
    /// The first applicant account.
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub password_confirm: String,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Registered {
    pub organization_id: i64,
    pub user_id: i64,
}

/// The answer to a credit code already registered: the same whatever the other organisation
/// is and whether it has accounts.
pub fn credit_code_taken() -> AppError {
    AppError::conflict(
        "credit_code_taken",
        "该统一社会信用代码已注册。如需账号，请联系本单位已有账号的同事或所在区县主管部门 / this credit code is already registered; ask a colleague who has an account, or your county office",
    )
}

/// The answer to too many registrations from one address.
pub fn too_many_registrations(state: &AppState) -> AppError {
    AppError::new(
        429,
        "too_many_attempts",
        format!(
            "注册尝试过多，请 {} 分钟后再试 / too many registrations, try again later",
            state.config.registration_window_minutes
        ),
    )
}

/// Registers an organisation and its first applicant account.
pub async fn register(
    state: &AppState,
    request: &RegistrationRequest,
    address: &str,
) -> AppResult<Registered> {
    // Every check of the input first: nothing is counted or written for a form in error.
    let name = request.organization_name.trim();
    crate::services::plain_text("单位名称", name, 200)?;
    if name.is_empty() {
        return Err(AppError::invalid("单位名称不能为空 / name required"));
    }
    let code = organizations::credit_code(&request.credit_code)?;
    let region_code = request.region_code.trim();
    let region = if region_code.is_empty()
        || region_code.len() > 12
        || !region_code.chars().all(|c| c.is_ascii_digit())
    {
        None
    } else {
        store::region_by_code(&state.db, region_code).await?
    };
    let region = region
        .filter(|r| r.level == "county")
        .ok_or_else(|| {
            AppError::invalid(
                "所在区县应为区县级行政区（县、县级市、区），不能是省或设区市 / region must be a county-level division",
            )
        })?;
    let kind = organizations::organization_kind(request.kind.trim())?;
    let contact = request.contact.trim();
    crate::services::plain_text("联系人", contact, 100)?;
    if contact.is_empty() {
        return Err(AppError::invalid("联系人不能为空 / contact required"));
    }
    let phone = request.phone.trim();
    crate::services::plain_text("电话", phone, 40)?;
    if phone.is_empty() {
        return Err(AppError::invalid("电话不能为空 / phone required"));
    }
    organizations::check_phone(phone)?;
    let email = check_email(&request.email)?;
    let username = request.username.trim();
    if username.is_empty()
        || username.chars().count() > MAX_USERNAME
        || username
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(AppError::invalid(
            "用户名不能为空、不含空格、最长64字符 / invalid user name",
        ));
    }
    let display_name = request.display_name.trim();
    crate::services::plain_text("姓名", display_name, 100)?;
    if display_name.is_empty() {
        return Err(AppError::invalid("姓名不能为空 / display name required"));
    }
    if request.password != request.password_confirm {
        return Err(AppError::invalid(
            "两次输入的密码不一致 / the passwords differ",
        ));
    }
    accounts::check_password(&request.password, username)?;

    // Counted before the database is asked whether the code exists, so that the answer
    // cannot be used to test many codes.
    let now = state.now();
    let since = now - state.config.registration_window_minutes * 60;
    let mut tx = state.db.begin().await?;
    let before = store::record_registration_attempt(&mut tx, address, since, now).await?;
    tx.commit().await?;
    if before >= state.config.max_registrations_per_address {
        return Err(too_many_registrations(state));
    }

    // Hashing takes tens of milliseconds: before the transaction.
    let hash = accounts::hash_password(&request.password)?;
    let mut tx = state.db.begin().await?;
    // Parallel registrations of one code or one name wait for each other (PostgreSQL; SQLite
    // has one writer).
    store::lock_username(&mut tx, &format!("credit_code:{}", code.as_str())).await?;
    store::lock_username(&mut tx, username).await?;
    if store::organization_by_credit_code_in(&mut tx, code.as_str())
        .await?
        .is_some()
    {
        return Err(credit_code_taken());
    }
    if store::user_by_username_in(&mut tx, username)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "username_taken",
            "用户名已存在 / user name taken",
        ));
    }
    let organization_id =
        store::insert_organization(&mut tx, name, code.as_str(), kind, &region, now).await?;
    store::mark_registered(&mut tx, organization_id, contact, phone, now).await?;
    let user_id = store::insert_user(
        &mut tx,
        &NewUser {
            username,
            display_name,
            password_hash: &hash,
            role: Role::Applicant.as_str(),
            organization_id: Some(organization_id),
            region_id: None,
            must_change_password: false,
        },
        now,
    )
    .await?;
    if email.is_some() {
        store::set_user_email(&mut tx, user_id, email).await?;
    }
    store::audit(
        &mut tx,
        Some(user_id),
        "organization_registered",
        &format!("organization:{organization_id}"),
        &format!("user:{user_id} region:{}", region.code),
        now,
    )
    .await?;
    notifications::notify_reviewers(
        &mut tx,
        Role::CountyReviewer,
        &region.path,
        Kind::Registration,
        None,
        &format!("新单位注册：{name}"),
        &format!(
            "{name}（统一社会信用代码 {}）已在{}注册，联系人 {contact}，电话 {phone}。",
            code.as_str(),
            region.name
        ),
        now,
    )
    .await?;
    notifications::notify_user(
        &mut tx,
        user_id,
        Kind::Account,
        None,
        &format!("欢迎，{name} 已注册"),
        "单位注册成功。您可以在“申报”中创建申报；单位信息可在“单位信息”中修改。",
        now,
    )
    .await?;
    tx.commit().await?;
    notifications::spawn_delivery(state);
    Ok(Registered {
        organization_id,
        user_id,
    })
}
