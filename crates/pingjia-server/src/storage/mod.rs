//! Every query of the application, as typed functions over [`Db`]. One SQL dialect serves
//! SQLite and PostgreSQL (`$1` placeholders, `RETURNING`, `ON CONFLICT`); timestamps are Unix
//! seconds. Visibility is part of the queries: callers pass a [`Scope`], never filter later.

mod accounts;
mod admin;
mod applications;
mod audit;
mod certificates;
mod db;
mod decisions;
mod directory;
mod evidence;
mod experts;
mod lifecycle;
mod notices;
mod notifications;
mod organizations;
mod panel;
mod pool;
mod query;
mod regions;
mod review;
mod rounds;

pub use accounts::*;
pub use admin::*;
pub use applications::*;
pub use audit::*;
pub use certificates::*;
pub use db::{Backend, Db, Totals, Tx};
pub use decisions::*;
pub use directory::*;
pub use evidence::*;
pub use experts::*;
pub use lifecycle::*;
pub use notices::*;
pub use notifications::*;
pub use organizations::*;
pub use panel::*;
pub use pool::*;
pub use query::path_range;
pub use regions::*;
pub use review::*;
pub use rounds::*;

use pingjia_core::scheme::OrgKind;
use pingjia_core::workflow::{Role, State};
use query::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Region {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_id: Option<i64>,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    #[sqlx(try_from = "String")]
    pub kind: OrgKind,
    pub region_id: i64,
    pub region_path: String,
    pub address: String,
    pub contact: String,
    pub phone: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    /// Read once here, at the storage edge; an unknown id in the database is an error.
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub organization_id: Option<i64>,
    pub region_id: Option<i64>,
    pub must_change_password: i64,
    pub disabled: i64,
    pub created_at: i64,
    /// Where notifications are mailed (optional).
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Application {
    pub id: i64,
    pub organization_id: i64,
    pub scheme_id: String,
    pub provider_type: Option<String>,
    pub round_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub state: State,
    pub region_path: String,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
}

/// An application with what a list shows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApplicationSummary {
    pub id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub scheme_id: String,
    pub provider_type: Option<String>,
    #[sqlx(try_from = "String")]
    pub state: State,
    pub updated_at: i64,
    pub version: i64,
    pub grade: Option<String>,
    pub stars: Option<i64>,
    pub score: Option<String>,
    pub round_id: Option<i64>,
    /// While returned: the date to resubmit by.
    pub respond_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Version {
    pub id: i64,
    pub application_id: i64,
    pub number: i64,
    pub body: String,
    pub stars: Option<i64>,
    pub score: Option<String>,
    pub grade: Option<String>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    /// The organisation's facts frozen at submission (JSON); shown through the application's
    /// organisation, not on its own.
    #[serde(skip)]
    pub organization: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Evidence {
    pub id: i64,
    pub version_id: i64,
    pub application_id: i64,
    pub organization_id: i64,
    pub criterion_id: Option<String>,
    pub sha256: String,
    pub filename: String,
    pub uploaded_by: i64,
    pub uploaded_at: i64,
    pub size: i64,
    pub media_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub scopes: TokenScopes,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Which applications a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// An applicant: its own organisation's applications, drafts included.
    Organization(i64),
    /// A reviewer or authority: submitted applications of organisations inside a region;
    /// for a reviewing office (county, city), only those whose route passes through an office
    /// of its level (`applications.offices`): 苏州's city office does not see what 昆山市
    /// recommends to the province itself, nor a county office an MIIT selection.
    Region(String, Option<&'static str>),
    /// An expert account (its user id): the applications it accepted to review (declared no
    /// conflict of interest), from `expert_review` on. A pending, declined or removed
    /// assignment shows nothing (`storage::experts`).
    Expert(i64),
    /// Nothing (deny by default).
    Nothing,
}

/// One page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: i64,
    pub size: i64,
}

impl Page {
    /// The highest page number: past it, an offset would approach the limits of the integers
    /// the databases count with.
    pub const MAX_NUMBER: i64 = 1_000_000;
    /// The most items per page.
    pub const MAX_SIZE: i64 = 200;

    pub fn new(number: Option<i64>, size: Option<i64>) -> Page {
        Page {
            number: number.unwrap_or(1).clamp(1, Page::MAX_NUMBER),
            size: size.unwrap_or(20).clamp(1, Page::MAX_SIZE),
        }
    }
    fn offset(self) -> i64 {
        (self.number - 1) * self.size
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

type Result<T> = std::result::Result<T, sqlx::Error>;
