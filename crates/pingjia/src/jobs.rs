//! `pingjia jobs`: the server's named jobs run once, for cron or for several instances of the
//! server (each job is idempotent: a second run sends and changes nothing), with today's date
//! given or China's today.

use crate::Failure;
use clap::{Args, Subcommand};
use pingjia_server::{AppState, Db};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct JobsArgs {
    #[command(subcommand)]
    command: JobsCommand,
    /// 数据库 / database URL (default: the configuration's)
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// 配置文件 / configuration file
    #[arg(long, global = true)]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// 列出定时任务 / list the named jobs
    List,
    /// 运行定时任务（默认全部）/ run the named jobs once (all by default)
    Run {
        /// 任务名 / job names
        names: Vec<String>,
        /// 以该日期为今天（YYYY-MM-DD）/ the date taken as today
        #[arg(long)]
        today: Option<String>,
    },
}

/// Every named job, in the order they run.
fn all_jobs() -> Vec<&'static str> {
    let mut jobs = vec!["deadline_reminders"];
    jobs.extend_from_slice(pingjia_server::services::pool::JOBS);
    jobs
}

pub fn run(args: JobsArgs) -> Result<(), Failure> {
    let (names, today) = match args.command {
        JobsCommand::List => {
            for job in all_jobs() {
                println!("{job}");
            }
            return Ok(());
        }
        JobsCommand::Run { names, today } => (names, today),
    };
    let jobs = all_jobs();
    for name in &names {
        if !jobs.contains(&name.as_str()) {
            return Err(Failure::new(
                2,
                format!(
                    "未知任务「{name}」，可用：{} / unknown job",
                    jobs.join("、")
                ),
            ));
        }
    }
    let today = match today {
        Some(text) => Some(
            chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                Failure::new(
                    2,
                    format!("--today “{text}”：应为 YYYY-MM-DD / expected YYYY-MM-DD"),
                )
            })?,
        ),
        None => None,
    };
    let config = crate::serve::config(args.config.as_deref(), args.database_url, None)?;
    crate::serve::runtime()?.block_on(async move {
        let failed = |e: pingjia_server::error::AppError| Failure::new(1, e.message);
        let db = Db::open(&config.database_url).await.map_err(|e| {
            Failure::new(
                1,
                format!("无法打开数据库 / cannot open the database: {e:#}"),
            )
        })?;
        let state = AppState::new(db, config, pingjia_server::context::system_clock())
            .map_err(|e| Failure::new(1, format!("{e:#}")))?;
        let today = today.unwrap_or_else(|| state.today());
        let selected: Vec<&str> = if names.is_empty() {
            jobs
        } else {
            names.iter().map(String::as_str).collect()
        };
        for job in selected {
            let done = if job == "deadline_reminders" {
                pingjia_server::services::review::remind_deadlines(&state, today)
                    .await
                    .map_err(failed)?
            } else {
                pingjia_server::services::pool::run(&state, job, today)
                    .await
                    .map_err(failed)?
                    .map_or(0, |run| run.done)
            };
            println!("{job}\t{today}\t{done}");
        }
        Ok(())
    })
}
