//! Accounts: creating users (and an applicant's organisation), passwords, signing in with
//! throttling, sessions and API tokens, and who is behind a cookie or a token. Shared by the
//! API, the pages and the CLI.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
pub use crate::services::actor::constant_time_eq;
use crate::services::actor::{Actor, Role, SessionInfo};
use crate::storage::{self as store, NewUser, TokenScopes, User};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore as _;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// applicant, county_reviewer, city_reviewer, authority_admin, expert or system_admin.
    #[schema(value_type = String, example = "county_reviewer")]
    pub role: Role,
    /// For applicants: the organisation's 统一社会信用代码 (created if new, with `organization_name` and `region_code`).
    pub credit_code: Option<String>,
    pub organization_name: Option<String>,
    /// For applicants (the organisation's region) and regional roles (the region reviewed).
    pub region_code: Option<String>,
}

/// Creates a user (and an applicant's organisation when new). A user created by someone else
/// must change the password at the first sign-in.
pub async fn create_user(
    state: &AppState,
    created_by: Option<i64>,
    request: &NewUserRequest,
) -> AppResult<store::User> {
    create_user_with(state, created_by, request, created_by.is_some()).await
}

/// Creates a system administrator from the command line, with a one-time password that must
/// be changed at the first sign-in. Returns the user and the password, to be shown once.
pub async fn create_system_admin(
    state: &AppState,
    username: &str,
) -> AppResult<(store::User, String)> {
    let password = format!("Pj-{}", random_token(8));
    let request = NewUserRequest {
        username: username.to_owned(),
        display_name: "系统管理员".into(),
        password: password.clone(),
        role: Role::SystemAdmin,
        credit_code: None,
        organization_name: None,
        region_code: None,
    };
    let user = create_user_with(state, None, &request, true).await?;
    Ok((user, password))
}

async fn create_user_with(
    state: &AppState,
    created_by: Option<i64>,
    request: &NewUserRequest,
    must_change_password: bool,
) -> AppResult<store::User> {
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
    check_password(&request.password, username)?;
    if !request.role.is_account() {
        return Err(AppError::invalid(
            "该角色不能用于账号 / not a role an account can have",
        ));
    }
    crate::services::plain_text("姓名", &request.display_name, 100)?;
    crate::services::plain_text(
        "单位名称",
        request.organization_name.as_deref().unwrap_or_default(),
        200,
    )?;
    if let Some(code) = &request.region_code
        && (code.is_empty() || code.len() > 12 || !code.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(AppError::invalid(format!(
            "未知区域代码 {code} / unknown region"
        )));
    }
    // Hashing takes tens of milliseconds: done before the transaction, not inside it.
    let hash = hash_password(&request.password)?;
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
    let mut tx = state.db.begin().await?;
    if store::user_by_username_in(&mut tx, username)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "username_taken",
            "用户名已存在 / user name taken",
        ));
    }
    let (organization_id, region_id) = match request.role {
        Role::Applicant => {
            let code = crate::services::organizations::credit_code(
                request.credit_code.as_deref().unwrap_or_default(),
            )?;
            let organization =
                match store::organization_by_credit_code_in(&mut tx, code.as_str()).await? {
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
                            &mut tx,
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
        // An expert may be bound to a region (the authority that manages the account).
        Role::Expert => (None, region.map(|r| r.id)),
        _ => (None, None),
    };
    let id = store::insert_user(
        &mut tx,
        &NewUser {
            username,
            display_name: request.display_name.trim(),
            password_hash: &hash,
            role: request.role.as_str(),
            organization_id,
            region_id,
            must_change_password,
        },
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        created_by,
        "user_created",
        &format!("user:{id}"),
        request.role.as_str(),
        now,
    )
    .await?;
    tx.commit().await?;
    store::user(&state.db, id)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Changes the caller's password. Wrong current passwords count as failed sign-ins (the form
/// is a password oracle too). Every other session and every API token of the user ends: a
/// password is changed because it may be known to someone else.
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    current: &str,
    new: &str,
    address: &str,
) -> AppResult<()> {
    let username = actor.user.username.as_str();
    let attempt = reserve_attempt(state, username, address).await?;
    if !verify_password(current, &actor.user.password_hash) {
        return Err(AppError::new(
            422,
            "wrong_password",
            "当前密码不正确 / current password is wrong",
        ));
    }
    check_password(new, username)?;
    if new == current {
        return Err(AppError::invalid(
            "新密码不能与当前密码相同 / choose a different password",
        ));
    }
    let hash = hash_password(new)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    store::login_succeeded(&mut tx, attempt).await?;
    store::set_password(&mut tx, actor.user.id, &hash, false).await?;
    store::delete_sessions_of(
        &mut tx,
        actor.user.id,
        actor.session.as_ref().map(|s| s.token_hash.as_str()),
    )
    .await?;
    let revoked = store::revoke_tokens_of(&mut tx, actor.user.id, now).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "password_changed",
        &format!("user:{}", actor.user.id),
        &format!("other sessions ended, {revoked} API tokens revoked"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the caller's session. A caller signed in by API token has no session to end: that is
/// said, not pretended (revoke the token instead).
pub async fn sign_out(state: &AppState, actor: &Actor) -> AppResult<()> {
    let Some(session) = &actor.session else {
        return Err(AppError::conflict(
            "no_session",
            "以 API 令牌调用时没有会话可退出；如需停用请撤销令牌 / a token caller has no session; revoke the token instead",
        ));
    };
    let mut tx = state.db.begin().await?;
    store::delete_session(&mut tx, &session.token_hash).await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "sign_out",
        &format!("user:{}", actor.user.id),
        "",
        state.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The caller's API tokens (never the tokens themselves).
pub async fn tokens(state: &AppState, actor: &Actor) -> AppResult<Vec<store::ApiToken>> {
    Ok(store::tokens_of(&state.db, actor.user.id).await?)
}

/// One page of users and their number (system administrators only).
pub async fn users(
    state: &AppState,
    actor: &Actor,
    page: store::Page,
) -> AppResult<(Vec<User>, i64)> {
    actor.require(&[Role::SystemAdmin])?;
    let items = store::users(&state.db, page).await?;
    let total = store::count_users(&state.db).await?;
    Ok((items, total))
}

/// Creates the first system administrator with a one-time password, if there is no user yet.
/// Returns the password to print.
pub async fn bootstrap_admin(state: &AppState) -> AppResult<Option<String>> {
    let password = format!("Pj-{}", random_token(8));
    let hash = hash_password(&password)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if store::count_users_in(&mut tx).await? > 0 {
        return Ok(None);
    }
    let id = store::insert_user(
        &mut tx,
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
        &mut tx,
        None,
        "user_created",
        &format!("user:{id}"),
        "system_admin (first start)",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(password))
}

/// Creates an API token for the signed-in user (not for a token caller). Returns the id and the
/// token itself, which is shown once: only its hash is stored.
pub async fn create_api_token(
    state: &AppState,
    actor: &Actor,
    request: &TokenRequest,
) -> AppResult<(i64, String)> {
    if actor.token_scopes.is_some() {
        return Err(AppError::forbidden(
            "令牌不能创建令牌，请登录后操作 / tokens cannot create tokens",
        ));
    }
    let scopes = TokenScopes::parse(&request.scopes).ok_or_else(|| {
        AppError::invalid("权限应为 read 或 read write / scopes must be `read` or `read write`")
    })?;
    let name = request.name.trim();
    crate::services::plain_text("令牌名称", name, MAX_TOKEN_NAME)?;
    if name.is_empty() {
        return Err(AppError::invalid(format!(
            "令牌名称不能为空，最长 {MAX_TOKEN_NAME} 字 / name required, at most {MAX_TOKEN_NAME} characters"
        )));
    }
    let now = state.now();
    let expires_at = match request.expires_in_days {
        None => None,
        Some(days) if (1..=MAX_TOKEN_DAYS).contains(&days) => Some(now + days * 86_400),
        Some(_) => {
            return Err(AppError::invalid(format!(
                "有效期应为 1–{MAX_TOKEN_DAYS} 天 / expiry must be 1–{MAX_TOKEN_DAYS} days"
            )));
        }
    };
    let token = format!("pj_{}", random_token(24));
    let mut tx = state.db.begin().await?;
    let id = store::insert_token(
        &mut tx,
        actor.user.id,
        name,
        &store::sha256_hex(token.as_bytes()),
        scopes,
        expires_at,
        now,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "token_created",
        &format!("token:{id}"),
        scopes.as_str(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// Revokes one of the user's own tokens; "not found" for anyone else's.
pub async fn revoke_api_token(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !store::revoke_token(&mut tx, actor.user.id, id, now).await? {
        return Err(AppError::not_found());
    }
    store::audit(
        &mut tx,
        Some(actor.user.id),
        "token_revoked",
        &format!("token:{id}"),
        "",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The longest user name.
pub const MAX_USERNAME: usize = 64;
/// The longest API token name (the API and the form alike).
pub const MAX_TOKEN_NAME: usize = 100;
/// The longest validity of an API token, in days.
pub const MAX_TOKEN_DAYS: i64 = 3650;

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// 1–100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `read`, or `read write`: a token with `write` may also change what its user may change.
    #[schema(example = "read write")]
    pub scopes: String,
    /// Days until the token expires (1–3650); none: until revoked.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

/// The caller behind an API token; a token that may only read is refused an unsafe method.
pub async fn actor_by_token(
    state: &AppState,
    token: &str,
    unsafe_method: bool,
) -> AppResult<Actor> {
    let Some(found) =
        store::token_user(&state.db, &store::sha256_hex(token.as_bytes()), state.now()).await?
    else {
        return Err(AppError::new(
            401,
            "invalid_token",
            "API 令牌无效或已撤销 / invalid or revoked token",
        ));
    };
    if unsafe_method && !found.scopes.may_write() {
        return Err(AppError::forbidden(
            "该令牌只有读取权限 / the token is read-only",
        ));
    }
    actor_for(found.user, found.region_path, None, Some(found.scopes))
}

/// The caller behind a session cookie, if the session is live.
pub async fn actor_by_session(state: &AppState, cookie: &str) -> AppResult<Option<Actor>> {
    let token_hash = store::sha256_hex(cookie.as_bytes());
    let Some(store::SessionUser {
        user,
        csrf_token: csrf,
        region_path,
    }) = store::session_user(&state.db, &token_hash, state.now()).await?
    else {
        return Ok(None);
    };
    actor_for(
        user,
        region_path,
        Some(SessionInfo { token_hash, csrf }),
        None,
    )
    .map(Some)
}

fn actor_for(
    user: User,
    region_path: Option<String>,
    session: Option<SessionInfo>,
    token_scopes: Option<TokenScopes>,
) -> AppResult<Actor> {
    Ok(Actor {
        role: user.role,
        user,
        region_path,
        session,
        token_scopes,
    })
}

pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let hash: PasswordHash = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(AppError::internal)?;
    Ok(hash.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The shortest password accepted (OWASP ASVS 5.0 V6.2.1).
pub const MIN_PASSWORD: usize = 8;
/// The longest password accepted: long passphrases are welcome (ASVS asks for at least 64).
pub const MAX_PASSWORD: usize = 128;

const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

/// Whether a password is among the 3,000 most common (compared without case).
fn is_common(password: &str) -> bool {
    static SET: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| {
            COMMON_PASSWORDS
                .lines()
                .filter(|line| !line.starts_with('#') && !line.is_empty())
                .collect()
        });
    SET.contains(password.to_lowercase().as_str())
}

/// The password rules of OWASP ASVS 5.0 V6.2: 8 to 128 characters of any kind, no
/// composition rules, not one of the 3,000 most common passwords, not the user name. The hint
/// beside the password field (`templates/password.html`) says the same.
pub fn check_password(password: &str, username: &str) -> Result<(), AppError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Err(AppError::invalid(
            "密码至少8个字符 / the password needs at least 8 characters",
        ));
    }
    if length > MAX_PASSWORD {
        return Err(AppError::invalid(
            "密码最长128个字符 / the password may have at most 128 characters",
        ));
    }
    if password.contains('\0') {
        return Err(AppError::invalid(
            "密码不能包含空字符 / the password may not contain NUL",
        ));
    }
    if is_common(password) {
        return Err(AppError::invalid(
            "该密码过于常见，请换一个 / this password is among the most common ones; choose another",
        ));
    }
    if !username.is_empty() && password.to_lowercase() == username.to_lowercase() {
        return Err(AppError::invalid(
            "密码不能与用户名相同 / the password may not be the user name",
        ));
    }
    Ok(())
}

/// The answer to a throttled sign-in.
pub fn too_many_attempts(state: &AppState) -> AppError {
    AppError::new(
        429,
        "too_many_attempts",
        format!(
            "登录失败次数过多，请 {} 分钟后再试 / too many failed sign-ins, try again later",
            state.config.throttle_minutes
        ),
    )
}

/// Outcome of a sign-in attempt.
#[derive(Debug)]
pub enum SignIn {
    Ok {
        user: Box<User>,
        cookie_value: String,
        csrf: String,
    },
    Wrong,
    Throttled,
}

/// Checks credentials with throttling, and opens a session on success. The same work is done
/// for unknown user names, so timing does not reveal which names exist.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    address: &str,
) -> Result<SignIn, AppError> {
    // No name can be longer or hold a control character, no password longer: such input is
    // refused before any attempt is recorded or any hash computed.
    crate::services::plain_text("用户名", username, MAX_USERNAME)?;
    crate::services::plain_text("密码", password, MAX_PASSWORD)?;
    let attempt = match reserve_attempt(state, username, address).await {
        Ok(attempt) => attempt,
        Err(error) if error.code == "too_many_attempts" => return Ok(SignIn::Throttled),
        Err(error) => return Err(error),
    };
    let user = store::user_by_username(&state.db, username).await?;
    let valid = match &user {
        Some(user) => verify_password(password, &user.password_hash) && user.disabled == 0,
        None => {
            verify_password(password, DUMMY_HASH);
            false
        }
    };
    let (true, Some(user)) = (valid, user) else {
        return Ok(SignIn::Wrong);
    };
    let now = state.now();
    let cookie_value = random_token(32);
    let csrf = random_token(16);
    let mut tx = state.db.begin().await?;
    store::login_succeeded(&mut tx, attempt).await?;
    store::insert_session(
        &mut tx,
        &store::sha256_hex(cookie_value.as_bytes()),
        user.id,
        &csrf,
        now,
        now + state.config.session_hours * 3600,
    )
    .await?;
    store::audit(
        &mut tx,
        Some(user.id),
        "sign_in",
        &format!("user:{}", user.id),
        "",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(SignIn::Ok {
        user: Box::new(user),
        cookie_value,
        csrf,
    })
}

/// Counts a password check before it is made: refuses it when the name, the name from this
/// address, or this address has failed too often within the window, and otherwise records it
/// as a failure (turned into a success by the caller when the password is right). The count
/// and the record are one step, so parallel guesses cannot slip past the limit.
async fn reserve_attempt(state: &AppState, username: &str, address: &str) -> AppResult<i64> {
    let config = &state.config;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    store::lock_username(&mut tx, username).await?;
    let failures = store::recent_failures(
        &mut tx,
        username,
        address,
        now - config.throttle_minutes * 60,
    )
    .await?;
    if failures.pair >= config.max_failed_logins
        || failures.name >= config.max_failed_logins_per_name
        || failures.address >= config.max_failed_logins_per_address
    {
        return Err(too_many_attempts(state));
    }
    let attempt = store::record_login_attempt(&mut tx, username, address, now).await?;
    tx.commit().await?;
    Ok(attempt)
}

/// An argon2id hash of a random password, verified against for unknown user names.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1yEaPZuD9IrqRv6ifGcUXZLAJCVDlAPmhc3HyLwfBHE";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip_as_argon2id() {
        let hash = hash_password("Correct horse 1").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("Correct horse 1", &hash));
        assert!(!verify_password("correct horse 1", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn passwords_follow_asvs_v6() {
        // Length: 8 characters is enough, 7 is not; a long passphrase of one kind is fine.
        assert!(check_password("k3#Lq9z", "wang").is_err());
        assert!(check_password("k3#Lq9zx", "wang").is_ok());
        assert!(check_password("correct horse battery staple", "wang").is_ok());
        assert!(check_password("运营和财务状况良好的平台", "wang").is_ok());
        assert!(check_password(&"a".repeat(128), "wang").is_ok());
        assert!(check_password(&"a".repeat(129), "wang").is_err());
        // Common passwords, whatever their case: "password" is the 2nd of the list,
        // "trustno1" and "qwertyuiop" are in its first thousand.
        for common in ["password", "PassWord", "12345678", "trustno1", "qwertyuiop"] {
            let error = check_password(common, "wang").unwrap_err();
            assert!(
                error.message.contains("常见"),
                "{common}: {}",
                error.message
            );
        }
        // The user name.
        assert!(check_password("zhang.san.2026", "Zhang.San.2026").is_err());
        assert!(check_password("zhang.san.2026", "wang").is_ok());
        assert!(check_password("abc\0defgh", "wang").is_err());
    }

    #[test]
    fn the_list_holds_three_thousand_passwords() {
        let entries = COMMON_PASSWORDS
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .count();
        assert_eq!(entries, 3000);
    }

    #[test]
    fn token_scopes_imply_nothing_unsaid() {
        assert_eq!(TokenScopes::parse("read").unwrap(), TokenScopes::Read);
        assert_eq!(
            TokenScopes::parse("write read").unwrap(),
            TokenScopes::ReadWrite
        );
        assert!(TokenScopes::parse("write").is_none());
        assert!(TokenScopes::parse("read admin").is_none());
        assert!(TokenScopes::parse("").is_none());
        assert!(!TokenScopes::Read.may_write());
    }
}
