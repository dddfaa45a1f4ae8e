//! The pingjia web application: storage on SQLite or PostgreSQL, accounts and roles over a
//! regions tree, declarations with live self-assessment, evidence files, the JSON API with
//! its OpenAPI document, and server-rendered pages in Simplified Chinese.
//!
//! Three layers that point one way, over a floor:
//! [`http`] (router, extractors, API, pages) → [`services`] (one module per capability: every
//! rule, every command) → [`storage`] (the database, one file per aggregate, the audit log);
//! [`context`], [`config`] and [`error`] below all three. `tests/server/tidy.rs` enforces the
//! directions.
//!
//! Architecture invariant: grading happens only in `pingjia-core`; this crate stores, checks
//! permissions and presents.

pub mod config;
pub mod context;
pub mod error;
pub mod http;
pub mod services;
pub mod storage;

pub use config::Config;
pub use context::AppState;
pub use http::{router, serve};
pub use storage::Db;
