//! `pingjia serve` (the web application) and `pingjia admin` (accounts from the command line).

use crate::Failure;
use clap::{Args, Subcommand};
use pingjia_server::{AppState, Config, Db};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// 数据库地址 / database URL (sqlite://pingjia.db or postgres://…); also PINGJIA_DATABASE_URL
    #[arg(long)]
    database_url: Option<String>,
    /// 监听地址 / listen address; also PINGJIA_LISTEN
    #[arg(long)]
    listen: Option<String>,
    /// 配置文件 / configuration file (TOML); default ./pingjia.toml if present
    #[arg(long)]
    config: Option<PathBuf>,
    /// 载入演示数据 / load the demo data set
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[arg(long, global = true)]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// 创建系统管理员 / create a system administrator (prints a one-time password)
    Create { username: String },
}

pub(crate) fn config(
    file: Option<&std::path::Path>,
    database_url: Option<String>,
    listen: Option<String>,
) -> Result<Config, Failure> {
    let mut config = Config::load(file, std::env::vars())
        .map_err(|e| Failure::new(2, format!("配置错误 / configuration: {e:#}")))?;
    if let Some(url) = database_url {
        config.database_url = url;
    }
    if let Some(listen) = listen {
        config.listen = listen.parse().map_err(|_| {
            Failure::new(
                2,
                format!("--listen “{listen}”：应为 地址:端口 / expected host:port"),
            )
        })?;
    }
    Ok(config)
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(1, format!("{e}")))
}

/// Serves the web application over `catalog` (the embedded schemes and `--schemes-dir`'s: a
/// new year's version there can be compared with the one in force on the impact analysis).
pub fn serve(args: ServeArgs, catalog: pingjia_core::Catalog) -> Result<(), Failure> {
    let config = config(args.config.as_deref(), args.database_url, args.listen)?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PINGJIA_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    runtime()?.block_on(async move {
        let db = Db::open(&config.database_url).await.map_err(|e| Failure::new(1, format!("无法打开数据库 / cannot open the database {}: {e:#}", pingjia_server::config::redact(&config.database_url))))?;
        pingjia_server::services::regions::seed(&db).await.map_err(|e| Failure::new(1, format!("{e:#}")))?;
        let listen = config.listen;
        let state = AppState::with_catalog(db, config, pingjia_server::context::system_clock(), catalog);
        check_audit_log(&state).await?;
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| Failure::new(1, format!("无法监听 / cannot listen on {listen}: {e}")))?;
        println!("pingjia 已启动 / running at http://{listen}/  （数据库 {}）", pingjia_server::config::redact(&state.config.database_url));
        if let Some(password) = pingjia_server::services::accounts::bootstrap_admin(&state).await.map_err(|e| Failure::new(1, e.message))? {
            println!("首次启动：已创建系统管理员 admin，一次性密码 {password}（登录后须修改）");
            println!("first start: created system administrator `admin` with one-time password {password} (change it on first sign-in)");
        }
        if args.demo {
            // The accounts at every start, not only the first: a demo is found again later.
            let demo = pingjia_server::services::demo::load(&state).await.map_err(|e| Failure::new(1, format!("{e:#}")))?;
            if demo.created {
                println!("已载入演示数据 / demo data loaded.");
            }
            println!("演示账号，密码均为 {} / demo accounts, all with the password {}:", pingjia_server::services::demo::DEMO_PASSWORD, pingjia_server::services::demo::DEMO_PASSWORD);
            print!("{}", pingjia_server::services::demo::table(&demo.accounts));
        }
        pingjia_server::serve(state, listener).await.map_err(|e| Failure::new(1, format!("{e:#}")))
    })
}

/// The audit log against its last signed checkpoint, before the server listens: a log that no
/// longer matches stops the start (`audit_warn_only`: an error in the log instead). Creates the
/// signing key at the first start.
async fn check_audit_log(state: &AppState) -> Result<(), Failure> {
    let key = pingjia_server::services::audit::verifier_key(state)
        .map_err(|e| Failure::new(1, e.message))?;
    match pingjia_server::services::audit::check(state)
        .await
        .map_err(|e| Failure::new(1, e.message))?
    {
        Ok(status) => {
            if status.backfilled > 0 {
                println!(
                    "审计日志：已为 {} 条旧条目补算叶哈希 / audit log: sealed {} earlier entries",
                    status.backfilled, status.backfilled
                );
            }
            println!(
                "审计日志 {} 条，与检查点一致；公钥 / audit log of {} entries matches its checkpoint; key {key}",
                status.size, status.size
            );
            Ok(())
        }
        Err(problem) if state.config.audit_warn_only => {
            tracing::error!(%problem, "AUDIT LOG TAMPERED (audit_warn_only: starting anyway)");
            eprintln!(
                "！！！审计日志与签名检查点不符 / THE AUDIT LOG DOES NOT MATCH ITS SIGNED CHECKPOINT: {problem}"
            );
            Ok(())
        }
        Err(problem) => Err(Failure::new(
            1,
            format!(
                "拒绝启动 / refusing to start: {problem}\n（核查后如需继续运行，设 audit_warn_only = true / after investigating, set audit_warn_only = true to run anyway）"
            ),
        )),
    }
}

pub fn admin(args: AdminArgs) -> Result<(), Failure> {
    let config = config(args.config.as_deref(), args.database_url, None)?;
    runtime()?.block_on(async move {
        let db = Db::open(&config.database_url).await.map_err(|e| Failure::new(1, format!("{e:#}")))?;
        pingjia_server::services::regions::seed(&db).await.map_err(|e| Failure::new(1, format!("{e:#}")))?;
        let state = AppState::new(db, config, pingjia_server::context::system_clock()).map_err(|e| Failure::new(1, format!("{e:#}")))?;
        match args.command {
            AdminCommand::Create { username } => {
                // The password is shown once here; it must be changed at the first sign-in.
                let (_, password) = pingjia_server::services::accounts::create_system_admin(&state, &username).await.map_err(|e| Failure::new(1, e.message))?;
                println!("已创建系统管理员 {username}，一次性密码 {password}（登录后须修改）/ created; one-time password shown once");
                Ok(())
            }
        }
    })
}
