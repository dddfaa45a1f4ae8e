//! The public directory's speed on a pool of 100,000 members (a SQLite file): each typical
//! query through the whole application (router, service, storage, JSON/HTML/CSV; in process,
//! no network) beside its floor — the same page's queries as raw SQL through sqlx on the same
//! pool, with no HTTP and no shaping — measured in the same run, interleaved, and the ratio.
//!
//! `cargo run --release -p pingjia-loadtest --bin directory -- [MEMBERS] [ROUNDS] [DIR]`
//! (defaults 100000, 30, a temporary directory). Prints a Markdown table (docs/benchmarks.md).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use pingjia_server::context::AppState;
use pingjia_server::storage::Db;
use std::time::{Duration, Instant};
use tower::ServiceExt as _;

const WORDS: &[&str] = &[
    "智联", "云启", "数创", "工信", "精工", "华为", "蓝海", "星河", "远景", "天工", "博远", "中科",
];
const SUFFIXES: &[&str] = &[
    "科技有限公司",
    "信息技术有限公司",
    "网络科技股份有限公司",
    "软件有限公司",
];
const TYPES: &[(&str, &str)] = &[
    ("comprehensive_platform", "综合型平台"),
    ("cloud_platform", "云平台服务商"),
    ("data_collection", "数据采集服务商"),
    ("ics_security", "工控安全服务商"),
    ("network", "网络服务商"),
    ("supporting", "支撑服务商"),
    ("industrial_app", "工业 App 服务商"),
    ("solution", "解决方案服务商"),
];

/// One request and its floor: the page's count and rows as raw SQL.
struct Scenario {
    name: &'static str,
    path: &'static str,
    floor: &'static [&'static str],
    runs: usize,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "API first page (active, by name)",
        path: "/api/v1/public/directory",
        floor: &[
            "SELECT COUNT(*) FROM pool_members WHERE status = 'active'",
            "SELECT * FROM pool_members WHERE status = 'active' ORDER BY organization, id LIMIT 20 OFFSET 0",
        ],
        runs: 200,
    },
    Scenario {
        name: "page /directory first page (HTML)",
        path: "/directory",
        floor: &[
            "SELECT COUNT(*) FROM pool_members WHERE status = 'active'",
            "SELECT * FROM pool_members WHERE status = 'active' ORDER BY organization, id LIMIT 20 OFFSET 0",
        ],
        runs: 200,
    },
    Scenario {
        name: "API name search (q=星河)",
        path: "/api/v1/public/directory?q=%E6%98%9F%E6%B2%B3",
        floor: &[
            "SELECT COUNT(*) FROM pool_members WHERE status = 'active' AND organization LIKE '%星河%'",
            "SELECT * FROM pool_members WHERE status = 'active' AND organization LIKE '%星河%' ORDER BY organization, id LIMIT 20 OFFSET 0",
        ],
        runs: 50,
    },
    Scenario {
        name: "API 苏州 + 四星, by term",
        path: "/api/v1/public/directory?region=3205&result=%E5%9B%9B%E6%98%9F&sort=valid_until",
        floor: &[
            "SELECT COUNT(*) FROM pool_members WHERE status = 'active' AND result = '四星' AND region_path >= '/32/3205/' AND region_path < '/32/32050'",
            "SELECT * FROM pool_members WHERE status = 'active' AND result = '四星' AND region_path >= '/32/3205/' AND region_path < '/32/32050' ORDER BY valid_until, id LIMIT 20 OFFSET 0",
        ],
        runs: 100,
    },
    Scenario {
        name: "API stars, deep page (page 4000)",
        path: "/api/v1/public/directory?sort=stars&page=4000",
        floor: &[
            "SELECT COUNT(*) FROM pool_members WHERE status = 'active'",
            "SELECT * FROM pool_members WHERE status = 'active' ORDER BY stars DESC, id DESC LIMIT 20 OFFSET 79980",
        ],
        runs: 50,
    },
    Scenario {
        name: "CSV, 苏州 (every active member)",
        path: "/api/v1/public/directory.csv?region=3205",
        floor: &[
            "SELECT * FROM pool_members WHERE status = 'active' AND region_path >= '/32/3205/' AND region_path < '/32/32050' ORDER BY organization, id",
        ],
        runs: 10,
    },
    Scenario {
        name: "CSV, the whole directory",
        path: "/api/v1/public/directory.csv",
        floor: &["SELECT * FROM pool_members WHERE status = 'active' ORDER BY organization, id"],
        runs: 3,
    },
    Scenario {
        name: "API statistics (Jiangsu by city)",
        path: "/api/v1/public/directory/stats?region=32",
        floor: &[
            "SELECT scheme_id, provider_type, type_label, result, stars, region_path, COUNT(*) FROM pool_members WHERE status = 'active' AND region_path >= '/32/' AND region_path < '/320' GROUP BY scheme_id, provider_type, type_label, result, stars, region_path",
        ],
        runs: 20,
    },
];

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let members: i64 = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let rounds: i64 = args.next().map_or(Ok(30), |a| a.parse())?;
    let dir = match args.next() {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("pingjia-directory-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("directory.db");
    let _ = std::fs::remove_file(&file);
    let url = format!("sqlite://{}", file.display());
    let db = Db::open(&url).await?;
    pingjia_server::services::regions::seed(&db).await?;
    let started = Instant::now();
    seed(&db, members, rounds).await?;
    eprintln!(
        "seeded {members} members in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let config = pingjia_server::config::Config {
        evidence_dir: dir.join("evidence"),
        ..Default::default()
    };
    let state = AppState::new(db.clone(), config, pingjia_server::context::system_clock())?;
    let router = pingjia_server::router(state);

    println!(
        "| request | pingjia p50 ms | floor (raw SQL) p50 ms | pingjia / floor | rows / bytes |"
    );
    println!("|---|--:|--:|--:|--:|");
    for scenario in SCENARIOS {
        let mut app = Vec::with_capacity(scenario.runs);
        let mut floor = Vec::with_capacity(scenario.runs);
        let mut size = 0;
        let mut rows = 0;
        // One warm-up each, then interleaved runs.
        for run in 0..=scenario.runs {
            let started = Instant::now();
            let response = router
                .clone()
                .oneshot(Request::get(scenario.path).body(Body::empty())?)
                .await?;
            anyhow::ensure!(
                response.status() == StatusCode::OK,
                "{}: {}",
                scenario.path,
                response.status()
            );
            let body = response.into_body().collect().await?.to_bytes();
            let took = started.elapsed();
            size = body.len();
            let started = Instant::now();
            rows = 0;
            for sql in scenario.floor {
                rows += sqlx::query(sqlx::AssertSqlSafe(*sql))
                    .fetch_all(&db.pool)
                    .await?
                    .len();
            }
            let floor_took = started.elapsed();
            if run > 0 {
                app.push(took);
                floor.push(floor_took);
            }
        }
        let (app, floor) = (median(&mut app), median(&mut floor));
        println!(
            "| {} `{}` | {} | {} | {:.2} | {} / {} |",
            scenario.name,
            scenario.path,
            ms(app),
            ms(floor),
            app.as_secs_f64() / floor.as_secs_f64(),
            rows,
            size
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// `members` members over Jiangsu's counties, derived from the row number: stars 3/4/5 at
/// 6:3:1, 90% active (then expired, removed, revoked), terms over three years, one of
/// `rounds` rounds. Multi-row inserts on one connection without foreign-key checks (the
/// members name no real organisation, grant or round: the directory reads none of them).
async fn seed(db: &Db, members: i64, rounds: i64) -> anyhow::Result<()> {
    let counties: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, path FROM regions WHERE level = 'county' AND path >= '/32/' AND path < '/320' ORDER BY path",
    )
    .fetch_all(&db.pool)
    .await?;
    anyhow::ensure!(!counties.is_empty(), "the regions are seeded");
    let mut connection = db.pool.acquire().await?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *connection)
        .await?;
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    const PER_STATEMENT: i64 = 100;
    sqlx::query("BEGIN").execute(&mut *connection).await?;
    let mut i = 0;
    while i < members {
        let end = (i + PER_STATEMENT).min(members);
        let mut sql = String::from(
            "INSERT INTO pool_members (organization_id, scheme_id, provider_type, type_label, region_id, region_path, organization, credit_code, result, stars, valid_from, valid_until, status, grant_id, round_id, document_number, updated_at) VALUES ",
        );
        for n in i..end {
            if n > i {
                sql.push_str(", ");
            }
            let (region_id, path) = &counties[(n as usize * 7) % counties.len()];
            let (provider_type, label) = TYPES[n as usize % TYPES.len()];
            let stars = match n % 10 {
                0..=5 => 3,
                6..=8 => 4,
                _ => 5,
            };
            let result = ["三星", "四星", "五星"][stars as usize - 3];
            let status = match n % 100 {
                0..=89 => "active",
                90..=96 => "expired",
                97..=98 => "removed",
                _ => "revoked",
            };
            let name = format!(
                "{}{}{}{}",
                WORDS[n as usize % WORDS.len()],
                WORDS[(n as usize / WORDS.len()) % WORDS.len()],
                n,
                SUFFIXES[n as usize % SUFFIXES.len()]
            );
            let until = start + chrono::Duration::days((n * 7919) % 1100);
            let round = 1 + n % rounds.max(1);
            sql.push_str(&format!(
                "({}, 'jiangsu-pool-2021', '{provider_type}', '{label}', {region_id}, '{path}', '{name}', '91320000{:010}', '{result}', {stars}, '2025-01-01', '{until}', '{status}', {round}, {round}, '苏工信〔2025〕{round}号', {n})",
                n + 1,
                n
            ));
        }
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *connection)
            .await?;
        i = end;
    }
    sqlx::query("COMMIT").execute(&mut *connection).await?;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *connection)
        .await?;
    Ok(())
}
