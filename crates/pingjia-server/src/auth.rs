//! Who is calling: argon2id passwords, session cookies (HttpOnly, SameSite=Lax, Secure behind
//! TLS) with a per-session CSRF token, hashed API tokens with scopes, and sign-in throttling.
//!
//! Deny by default: a handler that takes an [`Actor`] cannot run for an anonymous caller, and
//! an unsafe method (POST, PUT, DELETE) with a session cookie needs the session's CSRF token.

use crate::app::AppState;
use crate::error::AppError;
use crate::store::{self, Scope, User};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use rand::RngCore as _;

pub const SESSION_COOKIE: &str = "pingjia_session";
pub const LOGIN_CSRF_COOKIE: &str = "pingjia_login_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The roles of DESIGN.md §2.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Applicant,
    CountyReviewer,
    CityReviewer,
    AuthorityAdmin,
    Expert,
    SystemAdmin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Applicant,
        Role::CountyReviewer,
        Role::CityReviewer,
        Role::AuthorityAdmin,
        Role::Expert,
        Role::SystemAdmin,
    ];

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::CountyReviewer => "county_reviewer",
            Role::CityReviewer => "city_reviewer",
            Role::AuthorityAdmin => "authority_admin",
            Role::Expert => "expert",
            Role::SystemAdmin => "system_admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Applicant => "申报单位",
            Role::CountyReviewer => "区县审核",
            Role::CityReviewer => "设区市审核",
            Role::AuthorityAdmin => "主管部门",
            Role::Expert => "评审专家",
            Role::SystemAdmin => "系统管理员",
        }
    }

    /// Roles bound to a region (they see applications inside it).
    pub fn is_regional(self) -> bool {
        matches!(
            self,
            Role::CountyReviewer | Role::CityReviewer | Role::AuthorityAdmin
        )
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub role: Role,
    /// The region path of a regional role (`/32/3205/`).
    pub region_path: Option<String>,
    /// Set when authenticated by session cookie.
    pub session: Option<SessionInfo>,
    /// Set when authenticated by API token: its scopes.
    pub token_scopes: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub token_hash: String,
    pub csrf: String,
}

impl Actor {
    /// The applications this caller may see.
    pub fn scope(&self) -> Scope {
        match (self.role, self.user.organization_id, &self.region_path) {
            (Role::Applicant, Some(organization), _) => Scope::Organization(organization),
            (role, _, Some(path)) if role.is_regional() => Scope::Region(path.clone()),
            _ => Scope::Nothing,
        }
    }

    /// Checks a CSRF token submitted with a form.
    pub fn check_form_csrf(&self, submitted: &str) -> Result<(), AppError> {
        match &self.session {
            Some(session) if constant_time_eq(session.csrf.as_bytes(), submitted.as_bytes()) => {
                Ok(())
            }
            Some(_) => Err(csrf_failed()),
            None => Ok(()),
        }
    }

    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf.as_str())
    }

    pub fn require(&self, allowed: &[Role]) -> Result<(), AppError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::forbidden("无权执行此操作 / not permitted"))
        }
    }
}

fn csrf_failed() -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        "csrf_failed",
        "请求校验失败，请刷新页面后重试 / CSRF check failed",
    )
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Actor, AppError> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(actor.clone());
        }
        let actor = authenticate(&parts.headers, &parts.method, parts.uri.path(), state)
            .await?
            .ok_or_else(AppError::unauthenticated)?;
        parts.extensions.insert(actor.clone());
        Ok(actor)
    }
}

/// An optional caller, for pages that work signed in or not.
#[derive(Debug, Clone)]
pub struct MaybeActor(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeActor {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<MaybeActor, AppError> {
        match Actor::from_request_parts(parts, state).await {
            Ok(actor) => Ok(MaybeActor(Some(actor))),
            Err(error) if error.code == "unauthenticated" => Ok(MaybeActor(None)),
            Err(error) => Err(error),
        }
    }
}

async fn authenticate(
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    state: &AppState,
) -> Result<Option<Actor>, AppError> {
    let unsafe_method = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let now = state.now();
    if let Some(token) = bearer(headers) {
        let Some(found) =
            store::token_user(&state.db, &store::sha256_hex(token.as_bytes()), now).await?
        else {
            return Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "API 令牌无效或已撤销 / invalid or revoked token",
            ));
        };
        if unsafe_method && !found.scopes.split_whitespace().any(|s| s == "write") {
            return Err(AppError::forbidden(
                "该令牌只有读取权限 / the token is read-only",
            ));
        }
        return Ok(Some(actor_for(
            found.user,
            found.region_path,
            None,
            Some(found.scopes),
        )?));
    }
    let Some(cookie) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let token_hash = store::sha256_hex(cookie.as_bytes());
    let Some(store::SessionUser {
        user,
        csrf_token: csrf,
        region_path,
    }) = store::session_user(&state.db, &token_hash, now).await?
    else {
        return Ok(None);
    };
    // JSON API calls carry the CSRF token in a header; page forms carry it in a field that
    // the page handler checks (`check_form_csrf`).
    if unsafe_method && path.starts_with("/api/") {
        let sent = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
            return Err(csrf_failed());
        }
    }
    Ok(Some(actor_for(
        user,
        region_path,
        Some(SessionInfo { token_hash, csrf }),
        None,
    )?))
}

fn actor_for(
    user: User,
    region_path: Option<String>,
    session: Option<SessionInfo>,
    token_scopes: Option<String>,
) -> Result<Actor, AppError> {
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

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value. `Secure` when configured or when the request came over TLS.
pub fn set_cookie(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: i64,
) -> String {
    let behind_tls = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        == Some("https");
    let secure = if state.config.secure_cookies || behind_tls {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
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

    #[test]
    fn cookies_are_found_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; pingjia_session=abc; lang=en".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "lang"), Some("en"));
        assert_eq!(cookie(&headers, "missing"), None);
    }
}
