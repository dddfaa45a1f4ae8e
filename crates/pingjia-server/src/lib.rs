//! The pingjia web application: storage on SQLite or PostgreSQL, accounts and roles over a
//! regions tree, declarations with live self-assessment, evidence files, the JSON API with
//! its OpenAPI document, and server-rendered pages in Simplified Chinese.
//!
//! Architecture invariant: grading happens only in `pingjia-core`; this crate stores, checks
//! permissions and presents.

pub mod account;
pub mod api;
pub mod app;
pub mod applications;
pub mod assess;
pub mod auth;
pub mod config;
pub mod credit_code;
pub mod db;
pub mod demo;
pub mod error;
pub mod evidence;
pub mod pages;
pub mod regions;
pub mod store;

pub use app::{AppState, router, serve};
pub use config::Config;
pub use db::Db;
