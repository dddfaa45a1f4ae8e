//! `pingjia audit`: `verify` checks an export of the audit log offline — no database — against
//! a signed checkpoint and the log's public key, and optionally that an older checkpoint is a
//! prefix of it; `checkpoint` signs a checkpoint of the database's log now; `export` writes the
//! public export of the database's log (docs/audit.md).

use crate::Failure;
use crate::serve::{config, runtime};
use clap::{Args, Subcommand};
use pingjia_server::services::audit;
use pingjia_server::{AppState, Db};
use std::path::{Path, PathBuf};

/// The export does not verify: tampered, incomplete or signed by another key.
pub const EXIT_NOT_VERIFIED: u8 = 6;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// 离线核验导出的审计日志 / verify an export offline against a signed checkpoint
    Verify {
        /// 导出的条目（JSON，分页依次保存亦可）/ the exported entries (JSON pages or lines)
        #[arg(long, value_name = "FILE")]
        entries: PathBuf,
        /// 签名检查点 / the signed checkpoint (note text)
        #[arg(long, value_name = "FILE")]
        checkpoint: PathBuf,
        /// 公钥（文件或文本 name+id+base64）/ the verifier key, a file or the text itself
        #[arg(long, value_name = "KEY")]
        key: String,
        /// 较早的检查点：核验只追加 / an older checkpoint: check the log only grew since
        #[arg(long, value_name = "FILE")]
        old_checkpoint: Option<PathBuf>,
    },
    /// 立即签署检查点 / sign a checkpoint of the database's log now
    Checkpoint {
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// 导出公开条目（JSON 分页）/ write the public export of the database's log
    Export {
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

pub fn run(args: AuditArgs) -> Result<(), Failure> {
    match args.command {
        AuditCommand::Verify {
            entries,
            checkpoint,
            key,
            old_checkpoint,
        } => verify(&entries, &checkpoint, &key, old_checkpoint.as_deref()),
        AuditCommand::Checkpoint {
            database_url,
            config: file,
        } => with_state(file, database_url, |state| async move {
            match audit::sign_checkpoint(&state)
                .await
                .map_err(|e| Failure::new(1, e.message))?
            {
                Ok(Some(row)) => {
                    print!("{}", row.note);
                    Ok(())
                }
                Ok(None) => {
                    println!("无新条目，未签署 / no new entries, nothing signed");
                    Ok(())
                }
                Err(problem) => Err(Failure::new(EXIT_NOT_VERIFIED, problem.to_string())),
            }
        }),
        AuditCommand::Export {
            database_url,
            config: file,
        } => with_state(file, database_url, |state| async move {
            let mut start = 0;
            loop {
                let page = audit::entries(&state, Some(start), None)
                    .await
                    .map_err(|e| Failure::new(1, e.message))?;
                let text =
                    serde_json::to_string(&page).map_err(|e| Failure::new(1, e.to_string()))?;
                println!("{text}");
                if page.end >= page.size || page.entries.is_empty() {
                    return Ok(());
                }
                start = page.end;
            }
        }),
    }
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::new(1, format!("无法读取 / cannot read {}: {e}", path.display())))
}

fn verify(
    entries: &Path,
    checkpoint: &Path,
    key: &str,
    old_checkpoint: Option<&Path>,
) -> Result<(), Failure> {
    let key = if Path::new(key).is_file() {
        read(Path::new(key))?
    } else {
        key.to_owned()
    };
    let exported = audit::read_export(&read(entries)?)
        .map_err(|e| Failure::new(EXIT_NOT_VERIFIED, format!("未通过 / FAILED: {e}")))?;
    let note = read(checkpoint)?;
    let old = old_checkpoint.map(read).transpose()?;
    match audit::verify_export(&exported, &note, key.trim(), old.as_deref()) {
        Ok(verified) => {
            println!(
                "通过 / OK: {} 的 {} 条与签名检查点一致 / {} entries of {} match the signed checkpoint",
                verified.origin, verified.size, verified.size, verified.origin
            );
            if let Some(old_size) = verified.old_size {
                println!(
                    "通过 / OK: 前 {old_size} 条未被改动（旧检查点）/ the first {old_size} entries are unchanged since the old checkpoint"
                );
            }
            Ok(())
        }
        Err(error) => Err(Failure::new(
            EXIT_NOT_VERIFIED,
            format!("未通过 / FAILED: {error}"),
        )),
    }
}

fn with_state<F, Fut>(
    file: Option<PathBuf>,
    database_url: Option<String>,
    body: F,
) -> Result<(), Failure>
where
    F: FnOnce(AppState) -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    let config = config(file.as_deref(), database_url, None)?;
    runtime()?.block_on(async move {
        let db = Db::open(&config.database_url)
            .await
            .map_err(|e| Failure::new(1, format!("{e:#}")))?;
        let state = AppState::new(db, config, pingjia_server::context::system_clock())
            .map_err(|e| Failure::new(1, format!("{e:#}")))?;
        body(state).await
    })
}
