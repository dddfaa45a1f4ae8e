//! The database: one SQL dialect over SQLite (default, embedded file) and PostgreSQL (by URL),
//! through sqlx's `Any` driver. Each backend has its own migrations, which are only ever added.

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::collections::HashMap;
use std::str::FromStr as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// Totals of region-wide lists, shared by the clones of this handle.
    pub totals: Arc<Totals>,
    /// SQLite has one writer at a time: writing transactions of this process queue here, in
    /// order, instead of polling the database lock (`BEGIN IMMEDIATE` still guards against
    /// other processes). Unused on PostgreSQL.
    writer: Arc<tokio::sync::Mutex<()>>,
}

/// One command's transaction: every change of the command and its audit entry commit
/// together or not at all. Storage functions that change what list totals count mark it
/// ([`Tx::changes_totals`]); the totals are forgotten when, and only when, it commits.
#[derive(Debug)]
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    pub(super) backend: Backend,
    totals: Arc<Totals>,
    changes_totals: bool,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    /// The connection to run the transaction's statements on.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }

    /// The transaction creates organisations or applications or changes an application's
    /// state: remembered list totals are stale once it commits.
    pub fn changes_totals(&mut self) {
        self.changes_totals = true;
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await?;
        if self.changes_totals {
            self.totals.invalidate();
        }
        Ok(())
    }
}

/// How long a region-wide list total is reused at most. Within one process a total is dropped
/// as soon as any application is created or changes state ([`Totals::invalidate`]); the
/// time limit bounds what another process sharing the database (PostgreSQL) may leave stale.
const TOTAL_LIFETIME: Duration = Duration::from_secs(10);
/// Distinct filters remembered at most before the memory is cleared.
const TOTAL_ENTRIES: usize = 4_096;

/// The memory of list totals. Counting the applications of a whole province reads every one
/// of them (70,000 index entries: milliseconds per request), while the page itself reads
/// twenty; reviewers page through the same lists again and again, so the count is kept until
/// the set of applications changes.
#[derive(Debug, Default)]
pub struct Totals {
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (u64, Instant, i64)>>,
    counting: tokio::sync::Mutex<()>,
}

impl Totals {
    /// Held while a total is counted (see `store::applications`).
    pub async fn counting(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.counting.lock().await
    }

    /// The remembered total of `key`, if no application changed since and it is fresh.
    pub fn get(&self, key: &str) -> Option<i64> {
        let generation = self.generation.load(Ordering::Acquire);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(g, at, _)| *g == generation && at.elapsed() < TOTAL_LIFETIME)
            .map(|(_, _, total)| *total)
    }

    /// The generation to pass to [`Totals::put`]: read it before counting, so that a change
    /// made while counting makes the count unusable rather than wrongly fresh.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn put(&self, key: String, generation: u64, total: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= TOTAL_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (generation, Instant::now(), total));
    }

    /// Forgets every total: an application was created or changed state.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    pub async fn open(url: &str) -> anyhow::Result<Db> {
        let db = Db::open_without_migrations(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens the database without touching its schema (administration, tests).
    pub async fn open_without_migrations(url: &str) -> anyhow::Result<Db> {
        install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!(
                "不支持的数据库地址 / unsupported database URL (use sqlite:// or postgres://)"
            );
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyPoolOptions::new().max_connections(match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        });
        let options = match backend {
            Backend::Sqlite => options.after_connect(|connection, _| {
                Box::pin(async move {
                    connection.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 15000; PRAGMA synchronous = NORMAL;").await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        let _ = sqlx::any::AnyConnectOptions::from_str(&url)?;
        let pool = options.connect(&url).await?;
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL;").await?;
        }
        Ok(Db {
            pool,
            backend,
            totals: Arc::default(),
            writer: Arc::default(),
        })
    }

    /// Begins a command's transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`, after this process's earlier writers): a transaction that read
    /// first and wrote later could otherwise fail with `database is locked` when another
    /// writer got in between, which no waiting can resolve.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let (inner, writer) = match self.backend {
            Backend::Sqlite => {
                let guard = self.writer.clone().lock_owned().await;
                (self.pool.begin_with("BEGIN IMMEDIATE").await?, Some(guard))
            }
            Backend::Postgres => (self.pool.begin().await?, None),
        };
        Ok(Tx {
            inner,
            backend: self.backend,
            totals: self.totals.clone(),
            changes_totals: false,
            _writer: writer,
        })
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }
}
