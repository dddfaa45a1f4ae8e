//! Who is acting: the roles of the application and an authenticated caller with what it may
//! see. The HTTP layer builds an [`Actor`] from a session cookie or an API token; services take
//! it and check role, region, ownership and state.

use crate::error::AppError;
use crate::storage::{Scope, User};

/// The roles of the application: the workflow's one table (`pingjia_core::workflow::Role`).
pub use pingjia_core::workflow::Role;

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
    pub token_scopes: Option<crate::storage::TokenScopes>,
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
            (role, _, Some(path)) if role.is_regional() => {
                let office = match role {
                    Role::CountyReviewer => Some("county"),
                    Role::CityReviewer => Some("city"),
                    _ => None,
                };
                Scope::Region(path.clone(), office)
            }
            (Role::Expert, _, _) => Scope::Expert(self.user.id),
            _ => Scope::Nothing,
        }
    }

    /// Checks a CSRF token submitted with a form (a session's forms carry it; an API token
    /// caller has none to carry).
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

pub fn csrf_failed() -> AppError {
    AppError::new(
        403,
        "csrf_failed",
        "请求校验失败，请刷新页面后重试 / CSRF check failed",
    )
}

/// Compares secrets (tokens) in time that depends only on their length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
