//! The `pingjia` command: schemes, templates, validation and evaluation of declarations.
//!
//! Exit codes: 0 success · 1 unexpected error (file unreadable, …) · 2 command-line usage ·
//! 3 a declaration is invalid · 4 a scheme file is invalid · 5 unknown scheme or type id ·
//! 6 the audit log does not verify (`audit`).

mod audit;
mod evaluate;
mod jobs;
mod regrade;
mod schemes;
mod serve;
mod template;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use pingjia_core::Catalog;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc rather than the system allocator: rendering a declaration page allocates and
/// frees many small values, and glibc's malloc took about a sixth of the server's CPU time
/// under load (docs/benchmarks-web.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "pingjia",
    version,
    about = "工业互联网平台评价、认定与星级评估 / evaluation, recognition and star grading of industrial internet platforms"
)]
struct Cli {
    /// 额外方案目录：加载其中的 *.toml 方案文件 / add the scheme files (*.toml) in DIR
    #[arg(long, global = true, value_name = "DIR")]
    schemes_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 列出方案与服务商类型；show 查看指标表；check 校验方案文件 / list, show or check schemes
    Schemes(schemes::SchemesArgs),
    /// 生成空白申报模板 / print a blank declaration for a scheme or provider type
    Template {
        /// 方案或服务商类型编号 / scheme or provider type id
        id: String,
        /// 输出 JSON / print JSON
        #[arg(long)]
        json: bool,
    },
    /// 仅校验申报文件 / validate a declaration only
    Check {
        /// 申报文件（.json/.toml/.yaml）/ declaration file
        file: PathBuf,
        /// 方案或服务商类型编号（文件未写明时）/ scheme or type id, when the file does not name one
        #[arg(long)]
        scheme: Option<String>,
    },
    /// 评估申报：定级、逐项结果与差距分析 / grade a declaration, a directory or a .jsonl batch
    Evaluate(evaluate::EvaluateArgs),
    /// 按新版方案重新定级，列出升降与原因指标 / re-grade a pool under another scheme version
    Regrade(regrade::RegradeArgs),
    /// 启动网页应用（默认 ./pingjia.db，127.0.0.1:8080）/ run the web application
    Serve(serve::ServeArgs),
    /// 账号管理 / administer accounts
    Admin(serve::AdminArgs),
    /// 审计日志：离线核验、签署检查点、导出 / the audit log: verify offline, checkpoint, export
    Audit(audit::AuditArgs),
    /// 定时任务：提醒、资源池到期 / run the named jobs once (cron, several instances)
    Jobs(jobs::JobsArgs),
}

/// Options that set the round context, shared by commands that evaluate.
#[derive(Debug, Clone, Args)]
pub struct RoundArgs {
    /// 时间计算截止日期 / cut-off date for durations (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub cutoff: Option<String>,
    /// 参照年度（「2020年度」类指标）/ reference year of annual figures
    #[arg(long, value_name = "YEAR")]
    pub reference_year: Option<i32>,
    /// 批次参数 / round parameter, e.g. --param industry.min_devices=10000
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// 未设定的参数取方案示例值（仅供演示）/ fill unset parameters with the scheme's example values
    #[arg(long)]
    pub example_params: bool,
    /// 专家评分汇总方式 / expert score aggregation: mean or trimmed_mean
    #[arg(long, value_name = "RULE")]
    pub aggregation: Option<String>,
    /// 本批次要求提供可选材料（如绍兴第七条（八））/ the round asks for the optional materials
    #[arg(long)]
    pub request_optional_materials: bool,
}

/// A failure with its exit code and a message for the terminal.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure::new(1, format!("错误 / error: {error:#}"))
    }
}

pub const EXIT_INVALID_DECLARATION: u8 = 3;
pub const EXIT_INVALID_SCHEME: u8 = 4;
pub const EXIT_UNKNOWN_ID: u8 = 5;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let catalog = load_catalog(cli.schemes_dir.as_deref())?;
    match cli.command {
        Command::Schemes(args) => schemes::run(&catalog, args),
        Command::Template { id, json } => template::run(&catalog, &id, json),
        Command::Check { file, scheme } => evaluate::check(&catalog, &file, scheme.as_deref()),
        Command::Evaluate(args) => evaluate::run(&catalog, args),
        Command::Regrade(args) => regrade::run(&catalog, args),
        Command::Serve(args) => serve::serve(args, catalog),
        Command::Admin(args) => serve::admin(args),
        Command::Audit(args) => audit::run(args),
        Command::Jobs(args) => jobs::run(args),
    }
}

/// The embedded schemes plus those in `--schemes-dir`.
fn load_catalog(dir: Option<&Path>) -> Result<Catalog, Failure> {
    let mut catalog =
        Catalog::builtin().map_err(|e| Failure::new(EXIT_INVALID_SCHEME, e.to_string()))?;
    let Some(dir) = dir else { return Ok(catalog) };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "无法读取方案目录 / cannot read scheme directory {}",
                dir.display()
            )
        })?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    for file in files {
        let text = read_text(&file)?;
        catalog
            .add(&file.display().to_string(), &text)
            .map_err(|e| Failure::new(EXIT_INVALID_SCHEME, e.to_string()))?;
    }
    Ok(catalog)
}

pub fn read_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .with_context(|| format!("无法读取文件 / cannot read {}", path.display()))
        .map_err(Failure::from)
}

pub fn resolve(catalog: &Catalog, id: &str) -> Result<pingjia_core::Target, Failure> {
    catalog
        .resolve(id)
        .map_err(|e| Failure::new(EXIT_UNKNOWN_ID, e.to_string()))
}
