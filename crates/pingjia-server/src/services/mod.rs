//! The services: one module per capability, holding every rule and every command of the
//! application. They take parsed values (an upload's bytes, not a multipart stream) and an
//! [`actor::Actor`], check role, region, ownership and state, and call storage. They never
//! name the HTTP layer or the templates (`tests/server/tidy.rs`).

pub mod accounts;
pub mod actor;
pub mod admin;
pub mod applications;
pub mod assessment;
pub mod audit;
pub mod certificates;
pub mod credit_code;
pub mod decisions;
pub mod declaration_files;
pub mod demo;
pub mod directory;
pub mod documents;
pub mod evidence;
pub mod experts;
pub mod lifecycle;
pub mod notices;
pub mod notifications;
pub mod organizations;
pub mod panel;
pub mod pdf;
pub mod pool;
pub mod recommendations;
pub mod regions;
pub mod registration;
pub mod regrade;
pub mod review;
pub mod rounds;
pub mod spreadsheets;
pub mod standing;

use crate::error::{AppError, AppResult};
use crate::storage::Page;

/// A page of a list as asked for in a query string: the page number (1 to 1,000,000) and the
/// items per page (1 to 200), each optional; anything else is refused, never clamped silently.
pub fn page(number: Option<&str>, size: Option<&str>) -> AppResult<Page> {
    fn read(text: Option<&str>, name: &str, max: i64) -> AppResult<Option<i64>> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        match text.parse::<i64>() {
            Ok(value) if (1..=max).contains(&value) => Ok(Some(value)),
            _ => Err(AppError::invalid(format!(
                "{name} 应为 1 到 {max} 之间的整数 / {name} must be an integer from 1 to {max}"
            ))),
        }
    }
    Ok(Page::new(
        read(number, "page", Page::MAX_NUMBER)?,
        read(size, "per_page", Page::MAX_SIZE)?,
    ))
}

/// Refuses text that a person cannot have typed into a form field: control characters (NUL
/// above all, which PostgreSQL cannot store) and more than `max` characters.
pub fn plain_text(label: &str, text: &str, max: usize) -> AppResult<()> {
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::invalid(format!(
            "{label}不能包含控制字符 / {label}: no control characters"
        )));
    }
    if text.chars().count() > max {
        return Err(AppError::invalid(format!(
            "{label}最多 {max} 个字 / {label}: at most {max} characters"
        )));
    }
    Ok(())
}

/// The records services hand to their callers, as storage reads them.
pub mod records {
    pub use crate::storage::{
        ApiToken, Application, ApplicationSummary, Evidence, Organization, Page, Region, Scope,
        User, Version,
    };
    pub use crate::storage::{AuditEntry, Notification, Registration, UserRow};
}
