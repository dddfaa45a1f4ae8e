//! What every layer shares: the database handle, the configuration, the catalogue of schemes
//! and the clock. Below `http`, `services` and `storage`'s callers; names none of them but the
//! storage handle it carries.

use crate::config::Config;
use crate::storage::Db;
use pingjia_core::Catalog;
use std::sync::Arc;

/// The time source: Unix seconds. Tests inject a fixed or moving clock.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

#[expect(
    missing_debug_implementations,
    reason = "the clock is a closure; AppState's Debug shows the configuration"
)]
pub struct Inner {
    pub db: Db,
    pub config: Config,
    pub catalog: Catalog,
    pub clock: Clock,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

impl AppState {
    pub fn new(db: Db, config: Config, clock: Clock) -> anyhow::Result<AppState> {
        let catalog = Catalog::builtin().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(AppState::with_catalog(db, config, clock, catalog))
    }

    /// A state over another catalogue: the embedded schemes and, say, a new year's version
    /// of one of them (the impact analysis compares versions the catalogue holds).
    pub fn with_catalog(db: Db, config: Config, clock: Clock, catalog: Catalog) -> AppState {
        AppState(Arc::new(Inner {
            db,
            config,
            catalog,
            clock,
        }))
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Today's date in China (UTC+8), the calendar the documents' dates are written in.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::DateTime::from_timestamp(self.now() + 8 * 3600, 0)
            .map_or(chrono::NaiveDate::MIN, |t| t.date_naive())
    }
}
