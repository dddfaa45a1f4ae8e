//! `pingjia-loadtest`: fills a pingjia database (SQLite or PostgreSQL, by URL) with the load
//! benchmark's data set — organisations spread over Jiangsu's counties, an applicant each,
//! one application each with a graded declaration, evidence metadata, and a few reviewer
//! accounts — using multi-row `INSERT`s inside transactions. See docs/benchmarks-web.md.

mod data;
mod sql;

use anyhow::Context as _;
use clap::Parser;
use data::{County, Generator, NextIds};
use pingjia_core::Catalog;
use pingjia_core::engine::Round;
use pingjia_server::Db;
use pingjia_server::storage as store;
use pingjia_server::storage::Backend;
use sql::{Insert, Value};
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Fill a pingjia database with the load benchmark's data set")]
struct Args {
    /// sqlite://bench.db or postgres://user@host/db (created and migrated if needed)
    #[arg(long)]
    database_url: String,
    /// How many organisations (each with one applicant and one application)
    #[arg(long, default_value_t = 100_000)]
    organizations: u64,
    /// Organisations per transaction
    #[arg(long, default_value_t = 1_000)]
    batch: u64,
    /// Seed of the variations (same seed, same data)
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// The password of every generated account (hashed once with argon2id)
    #[arg(long, default_value = "Bench-pass-2026")]
    password: String,
    /// Afterwards, run `VACUUM ANALYZE` (PostgreSQL: statistics and the visibility map that
    /// index-only scans need, which autovacuum provides by itself after a while) or `ANALYZE`
    /// (SQLite; the application never runs it there)
    #[arg(long)]
    analyze: bool,
    /// Parameters per multi-row INSERT statement at most (sqlx's SQLite driver slows down
    /// more than linearly with the statement's size: 200 is fastest here)
    #[arg(long, default_value_t = 200)]
    max_parameters: usize,
    /// Write a JSON summary (accounts, sample application ids) for the load scripts
    #[arg(long)]
    summary: Option<std::path::PathBuf>,
}

/// The reviewer accounts: (user name, display name, role, region code).
const REVIEWERS: &[(&str, &str, &str, &str)] = &[
    ("bench-js", "江苏省工信厅（压测）", "authority_admin", "32"),
    ("bench-sz", "苏州市工信局（压测）", "city_reviewer", "3205"),
    ("bench-nj", "南京市工信局（压测）", "city_reviewer", "3201"),
    (
        "bench-ks",
        "昆山市工信局（压测）",
        "county_reviewer",
        "320583",
    ),
];

/// Tables whose ids the loader assigns itself (PostgreSQL's identity sequences follow).
const TABLES: &[&str] = &[
    "organizations",
    "users",
    "applications",
    "declaration_versions",
    "evidence",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.batch > 0, "--batch must be positive");
    anyhow::ensure!(
        (20..=30_000).contains(&args.max_parameters),
        "--max-parameters must be within 20..=30000"
    );
    sql::MAX_PARAMETERS.store(args.max_parameters, std::sync::atomic::Ordering::Relaxed);
    let started = Instant::now();
    let db = Db::open(&args.database_url)
        .await
        .context("opening the database")?;
    let seeded = pingjia_server::services::regions::seed(&db).await?;
    println!(
        "database {} ({:?}), {seeded} regions seeded",
        pingjia_server::config::redact(&args.database_url),
        db.backend
    );
    if store::user_by_username(&db, REVIEWERS[0].0)
        .await?
        .is_some()
    {
        anyhow::bail!(
            "this database already holds a load-test data set (user {} exists); use a fresh one",
            REVIEWERS[0].0
        );
    }
    let regions = store::regions(&db).await?;
    let counties: Vec<County> = regions
        .iter()
        .filter(|r| r.level == "county" && r.path.starts_with("/32/"))
        .map(|r| County {
            id: r.id,
            code: r.code.clone(),
            name: r.name.clone(),
            path: r.path.clone(),
        })
        .collect();
    anyhow::ensure!(
        !counties.is_empty(),
        "no Jiangsu counties in the regions table"
    );

    let hashing = Instant::now();
    let password_hash = pingjia_server::services::accounts::hash_password(&args.password)
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    println!(
        "one argon2id hash for every account: {:.0} ms",
        hashing.elapsed().as_secs_f64() * 1e3
    );

    let mut next = NextIds {
        organization: max_id(&db, "organizations").await? + 1,
        user: max_id(&db, "users").await? + 1,
        application: max_id(&db, "applications").await? + 1,
        version: max_id(&db, "declaration_versions").await? + 1,
        evidence: max_id(&db, "evidence").await? + 1,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;

    // Reviewers and the blobs many organisations share.
    let mut setup = db.pool.begin().await?;
    let mut reviewers = Insert::new("users", data::USER_COLUMNS, "");
    for (username, display_name, role, region_code) in REVIEWERS {
        let region = regions
            .iter()
            .find(|r| r.code == *region_code)
            .with_context(|| format!("region {region_code}"))?;
        reviewers.push(vec![
            next.user.into(),
            (*username).into(),
            (*display_name).into(),
            password_hash.clone().into(),
            (*role).into(),
            Value::OptInt(None),
            Some(region.id).into(),
            0.into(),
            0.into(),
            now.into(),
        ]);
        next.user += 1;
    }
    reviewers.execute(&mut setup).await?;
    let mut blobs = Insert::new(
        "evidence_blobs",
        &["sha256", "size", "media_type", "created_at"],
        "ON CONFLICT (sha256) DO NOTHING",
    );
    for index in 0..data::COMMON_BLOBS {
        blobs.push(vec![
            data::common_blob(index).into(),
            (150_000 + index as i64 * 1_000).into(),
            "application/pdf".into(),
            now.into(),
        ]);
    }
    blobs.execute(&mut setup).await?;
    setup.commit().await?;

    // Generation (the engine grades every version) on its own thread, insertion here.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<anyhow::Result<data::Batch>>(2);
    let (total, batch_size, seed) = (args.organizations, args.batch, args.seed);
    let generator = std::thread::spawn(move || -> anyhow::Result<f64> {
        let catalog = Catalog::builtin().map_err(|e| anyhow::anyhow!("{e}"))?;
        let scheme = catalog
            .schemes
            .iter()
            .find(|s| s.id == data::SCHEME)
            .context("scheme jiangsu-pool-2021 is not built in")?;
        let mut generator = Generator {
            seed,
            now,
            password_hash,
            counties,
            templates: data::templates(&catalog)?,
            scheme,
            round: Round::from_scheme(scheme),
            next,
        };
        let mut busy = 0.0;
        let mut first = 0;
        while first < total {
            let count = batch_size.min(total - first);
            let started = Instant::now();
            let batch = generator.batch(first, count);
            busy += started.elapsed().as_secs_f64();
            if sender.blocking_send(batch).is_err() {
                break;
            }
            first += count;
        }
        Ok(busy)
    });

    let loading = Instant::now();
    let mut inserting = 0.0;
    let mut done = 0u64;
    let mut versions = 0usize;
    let mut evidence = 0usize;
    let mut with_errors = 0usize;
    let mut accounts = Vec::new();
    let mut reported = 0u64;
    while let Some(batch) = receiver.recv().await {
        let batch = batch?;
        let started = Instant::now();
        let organizations = batch.organizations.len() as u64;
        versions += batch.versions.len();
        evidence += batch.evidence.len();
        with_errors += batch.versions_with_errors;
        accounts.extend(
            batch
                .accounts
                .iter()
                .enumerate()
                .filter(|(index, _)| (done + *index as u64).is_multiple_of(97))
                .map(|(_, account)| account.clone()),
        );
        let mut tx = db.pool.begin().await?;
        for insert in [
            batch.organizations,
            batch.users,
            batch.applications,
            batch.versions,
            batch.blobs,
            batch.evidence,
        ] {
            insert.execute(&mut tx).await?;
        }
        tx.commit().await?;
        inserting += started.elapsed().as_secs_f64();
        done += organizations;
        if done - reported >= 10_000 || done == total {
            reported = done;
            let elapsed = loading.elapsed().as_secs_f64();
            println!(
                "{done:>7} / {total} organisations  {elapsed:6.1} s  {:6.0} organisations/s",
                done as f64 / elapsed
            );
        }
    }
    let generating = generator
        .join()
        .map_err(|_| anyhow::anyhow!("the generator panicked"))??;
    let load_seconds = loading.elapsed().as_secs_f64();

    if db.backend == Backend::Postgres {
        for table in TABLES {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )))
            .execute(&db.pool)
            .await?;
        }
    }
    let mut tx = db.begin().await?;
    store::audit(
        &mut tx,
        None,
        "loadtest_loaded",
        "database",
        &format!("{done} organisations (pingjia-loadtest, seed {seed})"),
        now,
    )
    .await?;
    tx.commit().await?;
    let mut analyze_seconds = 0.0;
    if args.analyze {
        let started = Instant::now();
        let statement = match db.backend {
            Backend::Postgres => "VACUUM ANALYZE",
            Backend::Sqlite => "ANALYZE",
        };
        sqlx::query(statement).execute(&db.pool).await?;
        analyze_seconds = started.elapsed().as_secs_f64();
    }
    println!(
        "loaded {done} organisations, {done} applicants, {done} applications, {versions} declaration versions \
         ({with_errors} of them with field errors), {evidence} evidence rows"
    );
    println!(
        "load {load_seconds:.1} s (generation and grading {generating:.1} s on its own thread, inserts {inserting:.1} s){}; total {:.1} s",
        if args.analyze {
            format!(", ANALYZE {analyze_seconds:.1} s")
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64()
    );

    if let Some(path) = &args.summary {
        // The live-assessment request of the load scripts: the first example as typed.
        let catalog = Catalog::builtin().map_err(|e| anyhow::anyhow!("{e}"))?;
        let example = data::templates(&catalog)?
            .into_iter()
            .next()
            .context("no example")?;
        let summary = serde_json::json!({
            "assess_request": {
                "scheme": data::SCHEME,
                "provider_type": example.provider_type,
                "declaration": example.body,
            },
            "database_url": pingjia_server::config::redact(&args.database_url),
            "password": args.password,
            "organizations": done,
            "load_seconds": load_seconds,
            "reviewers": REVIEWERS.iter().map(|(u, _, role, region)| serde_json::json!({"username": u, "role": role, "region": region})).collect::<Vec<_>>(),
            "applicants": accounts.iter().map(|(u, id, state)| serde_json::json!({"username": u, "application_id": id, "state": state})).collect::<Vec<_>>(),
        });
        std::fs::write(path, serde_json::to_string_pretty(&summary)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("summary written to {}", path.display());
    }
    Ok(())
}

async fn max_id(db: &Db, table: &str) -> anyhow::Result<i64> {
    let (max,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(MAX(id), 0) FROM {table}"
    )))
    .fetch_one(&db.pool)
    .await?;
    Ok(max)
}
