//! The server's integration tests, one binary: a module per story (`api`, `authz`, `pages`, …)
//! over the shared harness `support`. One binary links once; `cargo test --test server api::`
//! runs one module. On PostgreSQL (`PINGJIA_TEST_DATABASE_URL`) `.ci/run` runs it again without
//! the SQLite-only modules (`pages`, `browser`, `tidy`).

mod support;

mod accounts_admin;
mod api;
mod audit_log;
mod authz;
mod browser;
mod certificates;
mod concurrency;
mod decisions;
mod directory;
mod experts;
mod notices;
mod pages;
mod panel;
mod pool;
mod regrade;
mod review;
mod rounds;
mod security;
mod spreadsheets;
mod tidy;
