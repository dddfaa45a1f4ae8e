//! The services: one module per capability, holding every rule and every command of the
//! application. They take parsed values (an upload's bytes, not a multipart stream) and an
//! [`actor::Actor`], check role, region, ownership and state, and call storage. They never
//! name the HTTP layer or the templates (`tests/tidy.rs`).

pub mod accounts;
pub mod actor;
pub mod applications;
pub mod assessment;
pub mod credit_code;
pub mod demo;
pub mod evidence;
pub mod organizations;
pub mod regions;

/// The records services hand to their callers, as storage reads them.
pub mod records {
    pub use crate::storage::{
        ApiToken, Application, ApplicationSummary, Evidence, Organization, Page, Region, Scope,
        User, Version,
    };
}
