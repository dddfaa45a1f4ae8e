//! Accounts: creating users (and an applicant's organisation), passwords, signing in with
//! throttling, sessions and API tokens, and who is behind a cookie or a token. Shared by the
//! API, the pages and the CLI.

use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::services::actor::{Actor, Role, SessionInfo};
use crate::storage::{self as store, NewUser, User};
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
    pub role: Role,
    /// For applicants: the organisation's 统一社会信用代码 (created if new, with `organization_name` and `region_code`).
    pub credit_code: Option<String>,
    pub organization_name: Option<String>,
    /// For applicants (the organisation's region) and regional roles (the region reviewed).
    pub region_code: Option<String>,
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
    check_password_strength(&request.password)?;
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
            let code = crate::services::organizations::credit_code(
                request.credit_code.as_deref().unwrap_or_default(),
            )?;
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
    let hash = hash_password(&request.password)?;
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
    if !verify_password(current, &actor.user.password_hash) {
        return Err(AppError::new(
            422,
            "wrong_password",
            "当前密码不正确 / current password is wrong",
        ));
    }
    check_password_strength(new)?;
    if new == current {
        return Err(AppError::invalid(
            "新密码不能与当前密码相同 / choose a different password",
        ));
    }
    let hash = hash_password(new)?;
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

/// Ends the caller's session. A caller signed in by API token has no session to end: that is
/// said, not pretended (revoke the token instead).
pub async fn sign_out(state: &AppState, actor: &Actor) -> AppResult<()> {
    let Some(session) = &actor.session else {
        return Err(AppError::conflict(
            "no_session",
            "以 API 令牌调用时没有会话可退出；如需停用请撤销令牌 / a token caller has no session; revoke the token instead",
        ));
    };
    store::delete_session(&state.db, &session.token_hash).await?;
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
    if store::count_users(&state.db).await? > 0 {
        return Ok(None);
    }
    let password = format!("Pj-{}", random_token(8));
    let hash = hash_password(&password)?;
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
    let token = format!("pj_{}", random_token(24));
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
    if unsafe_method && !found.scopes.split_whitespace().any(|s| s == "write") {
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
    token_scopes: Option<String>,
) -> AppResult<Actor> {
    let role = Role::parse(&user.role)
        .ok_or_else(|| AppError::internal(format!("unknown role {}", user.role)))?;
    Ok(Actor {
        user,
        role,
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

/// Password rules: at least 10 characters, not all of one kind.
pub fn check_password_strength(password: &str) -> Result<(), AppError> {
    let long_enough = password.chars().count() >= 10;
    let kinds = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|k| **k)
    .count();
    if long_enough && kinds >= 2 {
        Ok(())
    } else {
        Err(AppError::invalid(
            "密码至少10位，且包含字母、数字、符号中的两类 / at least 10 characters of two kinds",
        ))
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
pub async fn sign_in(state: &AppState, username: &str, password: &str) -> Result<SignIn, AppError> {
    let now = state.now();
    let config = &state.config;
    let since = now - config.throttle_minutes * 60;
    if store::recent_failures(&state.db, username, since).await? >= config.max_failed_logins {
        return Ok(SignIn::Throttled);
    }
    let user = store::user_by_username(&state.db, username).await?;
    let valid = match &user {
        Some(user) => verify_password(password, &user.password_hash) && user.disabled == 0,
        None => {
            verify_password(password, DUMMY_HASH);
            false
        }
    };
    store::record_login_attempt(&state.db, username, valid, now).await?;
    let (true, Some(user)) = (valid, user) else {
        return Ok(SignIn::Wrong);
    };
    let cookie_value = random_token(32);
    let csrf = random_token(16);
    store::insert_session(
        &state.db,
        &store::sha256_hex(cookie_value.as_bytes()),
        user.id,
        &csrf,
        now,
        now + config.session_hours * 3600,
    )
    .await?;
    store::audit(
        &state.db,
        Some(user.id),
        "sign_in",
        &format!("user:{}", user.id),
        "",
        now,
    )
    .await?;
    Ok(SignIn::Ok {
        user: Box::new(user),
        cookie_value,
        csrf,
    })
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
    fn password_strength() {
        assert!(check_password_strength("short1").is_err());
        assert!(check_password_strength("alllowercaseletters").is_err());
        assert!(check_password_strength("lowercase123").is_ok());
    }
}
