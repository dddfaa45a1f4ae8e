//! The audit log anyone can verify (docs/audit.md): the signing key kept outside the database,
//! signed checkpoints of the log's Merkle tree, the check at start that the log still matches
//! its last checkpoint, the public export (details replaced by commitments but for the actions
//! in [`PUBLIC_ACTIONS`]), inclusion and consistency proofs, and the offline verification of an
//! export that `pingjia audit verify` runs.

use crate::config::Config;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::storage::{self as store, CheckpointRow, LogRow};
use pingjia_core::checkpoint::{Checkpoint, Signer, Verifier};
use pingjia_core::merkle::{self, Hash};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// The actions whose details are published in clear: acts the authority publishes anyway (a
/// round's 申报通知, the opening of a 公示 and the publication of its result). Every other
/// entry's details may name or contact a person (an objector, an account's e-mail, a reason
/// about an applicant) and are published only as a salted commitment (个人信息保护法 第六条:
/// no more personal information than the purpose needs; docs/audit.md).
pub const PUBLIC_ACTIONS: &[&str] = &["round_published", "notice_opened", "notice_published"];

/// The largest page of the public export.
pub const MAX_EXPORT_PAGE: i64 = 1000;

// --- the key ----------------------------------------------------------------------------------

/// The signing key from its file (`Config::audit_key_path`); created at the first call, with a
/// random seed, the configured origin as its name and mode 0600.
pub fn signer(config: &Config) -> AppResult<Signer> {
    let path = config.audit_key_path();
    match std::fs::read_to_string(&path) {
        Ok(text) => Signer::from_private_key(&text)
            .map_err(|e| AppError::internal(format!("audit key {}: {e}", path.display()))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => create_key(config, &path),
        Err(error) => Err(AppError::internal(format!(
            "audit key {}: {error}",
            path.display()
        ))),
    }
}

fn create_key(config: &Config, path: &Path) -> AppResult<Signer> {
    use rand::RngCore as _;
    use std::io::Write as _;
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let signer = Signer::from_seed(&config.audit_origin, seed).map_err(|e| {
        AppError::internal(format!(
            "audit_origin “{}”: {e} (no spaces or +)",
            config.audit_origin
        ))
    })?;
    if let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(directory)
            .map_err(|e| AppError::internal(format!("{}: {e}", directory.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", signer.private_key()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| AppError::internal(format!("{}: {e}", path.display())))?;
            tracing::info!(file = %path.display(), key = %signer.verifier_key(), "created the audit log's signing key");
            Ok(signer)
        }
        // Another process created it first: use that one.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| AppError::internal(format!("{}: {e}", path.display())))?;
            Signer::from_private_key(&text)
                .map_err(|e| AppError::internal(format!("audit key {}: {e}", path.display())))
        }
        Err(error) => Err(AppError::internal(format!("{}: {error}", path.display()))),
    }
}

/// The public verifier key, `<name>+<id>+<base64>`.
pub fn verifier_key(state: &AppState) -> AppResult<String> {
    Ok(signer(&state.config)?.verifier_key())
}

// --- the log's state --------------------------------------------------------------------------

/// Why the log does not match what was signed. Each names what a person should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// An entry's position or leaf hash is not what its fields give.
    Entry { id: i64, index: usize },
    /// An entry has no leaf hash although a checkpoint was already signed.
    Unsealed { id: i64 },
    /// The last checkpoint covers more entries than the log has.
    Truncated { checkpoint: u64, size: u64 },
    /// The first `size` entries do not give the root the checkpoint signed.
    RootMismatch { size: u64 },
    /// The stored checkpoint's signature does not verify with the key, or it is malformed.
    Signature { size: i64, reason: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Entry { id, index } => write!(
                f,
                "审计日志第 {index} 条（id {id}）与其哈希不符 / audit entry {index} (id {id}) does not match its hash"
            ),
            Problem::Unsealed { id } => write!(
                f,
                "审计日志条目 id {id} 没有叶哈希，但已签署过检查点 / audit entry id {id} has no leaf hash although a checkpoint was signed"
            ),
            Problem::Truncated { checkpoint, size } => write!(
                f,
                "最近的检查点包含 {checkpoint} 条，日志只有 {size} 条：条目被删除 / the last checkpoint covers {checkpoint} entries but the log has {size}: entries were removed"
            ),
            Problem::RootMismatch { size } => write!(
                f,
                "前 {size} 条的根哈希与已签署的检查点不符：日志被改动 / the root of the first {size} entries differs from the signed checkpoint: the log was changed"
            ),
            Problem::Signature { size, reason } => write!(
                f,
                "大小为 {size} 的检查点签名无效（{reason}）/ the checkpoint of size {size} does not verify: {reason}"
            ),
        }
    }
}

/// What the check found when the log matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogStatus {
    /// Entries in the log.
    pub size: u64,
    /// Entries covered by the last checkpoint (none signed yet: none).
    pub checkpoint: Option<u64>,
    /// Rows written before the tree that received their leaf now.
    pub backfilled: u64,
}

/// The log's leaves after checking every entry: positions 0, 1, … and leaf hashes as their
/// fields give; rows from before the tree are sealed first if no checkpoint exists yet.
async fn checked_leaves(
    state: &AppState,
    latest: Option<&CheckpointRow>,
) -> AppResult<(Result<Vec<Hash>, Problem>, u64)> {
    let mut rows = store::audit_rows(&state.db).await?;
    let mut backfilled = 0;
    if let Some(row) = rows.iter().find(|row| row.leaf_hash.is_none()) {
        if latest.is_some() {
            return Ok((Err(Problem::Unsealed { id: row.id }), 0));
        }
        backfilled = store::backfill_audit(&state.db).await?;
        rows = store::audit_rows(&state.db).await?;
    }
    Ok((leaves_of(&rows), backfilled))
}

fn leaves_of(rows: &[LogRow]) -> Result<Vec<Hash>, Problem> {
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let stored = row.leaf_hash.as_deref().and_then(parse_hash);
            match (stored, row.computed_leaf()) {
                (Some(stored), Some(computed))
                    if row.seq == Some(index as i64) && hex::encode(stored) == computed =>
                {
                    Ok(stored)
                }
                _ => Err(Problem::Entry { id: row.id, index }),
            }
        })
        .collect()
}

/// Checks a stored checkpoint against the key and the leaves.
fn check_against(
    verifier: &Verifier,
    checkpoint: &CheckpointRow,
    leaves: &[Hash],
) -> Result<(), Problem> {
    let opened = verifier
        .open(&checkpoint.note)
        .map_err(|e| Problem::Signature {
            size: checkpoint.size,
            reason: e.to_string(),
        })?;
    if opened.size != checkpoint.size as u64 || hex::encode(opened.root) != checkpoint.root {
        return Err(Problem::Signature {
            size: checkpoint.size,
            reason: "stored size or root differs from the signed note".into(),
        });
    }
    let size = opened.size;
    if size > leaves.len() as u64 {
        return Err(Problem::Truncated {
            checkpoint: size,
            size: leaves.len() as u64,
        });
    }
    if merkle::root(&leaves[..size as usize]) != opened.root {
        return Err(Problem::RootMismatch { size });
    }
    Ok(())
}

/// The check `serve` runs before it listens: every entry against its leaf hash, and the last
/// checkpoint's signature (with the key in the key file) and root. Rows from before the tree
/// are sealed here, before any checkpoint exists. `Ok(Err(problem))`: the log was tampered with.
pub async fn check(state: &AppState) -> AppResult<Result<LogStatus, Problem>> {
    let signer = signer(&state.config)?;
    Ok(checked(state, &signer).await?.map(|checked| LogStatus {
        size: checked.leaves.len() as u64,
        checkpoint: checked.latest.map(|c| c.size as u64),
        backfilled: checked.backfilled,
    }))
}

/// The log as checked: its leaves and the last checkpoint they match.
struct Checked {
    leaves: Vec<Hash>,
    latest: Option<CheckpointRow>,
    backfilled: u64,
}

async fn checked(state: &AppState, signer: &Signer) -> AppResult<Result<Checked, Problem>> {
    let latest = store::latest_checkpoint(&state.db).await?;
    let (leaves, backfilled) = checked_leaves(state, latest.as_ref()).await?;
    let leaves = match leaves {
        Ok(leaves) => leaves,
        Err(problem) => return Ok(Err(problem)),
    };
    if let Some(latest) = &latest {
        let verifier = Verifier::parse(&signer.verifier_key()).map_err(AppError::internal)?;
        if let Err(problem) = check_against(&verifier, latest, &leaves) {
            return Ok(Err(problem));
        }
    }
    Ok(Ok(Checked {
        leaves,
        latest,
        backfilled,
    }))
}

/// Signs a checkpoint of the whole log when it grew since the last one, after the same check as
/// at start (a log that no longer matches is never signed over). `Ok(Ok(None))`: nothing new.
pub async fn sign_checkpoint(
    state: &AppState,
) -> AppResult<Result<Option<CheckpointRow>, Problem>> {
    let signer = signer(&state.config)?;
    let Checked { leaves, latest, .. } = match checked(state, &signer).await? {
        Ok(checked) => checked,
        Err(problem) => return Ok(Err(problem)),
    };
    if latest.is_some_and(|latest| latest.size as usize >= leaves.len()) {
        return Ok(Ok(None));
    }
    if leaves.is_empty() {
        return Ok(Ok(None));
    }
    let checkpoint = Checkpoint {
        origin: signer_origin(&signer),
        size: leaves.len() as u64,
        root: merkle::root(&leaves),
    };
    let row = CheckpointRow {
        size: leaves.len() as i64,
        root: hex::encode(checkpoint.root),
        note: signer.sign(&checkpoint),
        at: state.now(),
    };
    if let Err(error) = store::insert_checkpoint(&state.db, &row).await {
        // Another instance signed the same size first.
        if store::checkpoint_of_size(&state.db, row.size)
            .await?
            .is_some()
        {
            return Ok(Ok(None));
        }
        return Err(error.into());
    }
    Ok(Ok(Some(row)))
}

/// The origin line is the key's name: one log, one key (docs/audit.md, "Key rotation").
fn signer_origin(signer: &Signer) -> String {
    let key = signer.verifier_key();
    key.split('+').next().unwrap_or_default().to_owned()
}

/// The job: a checkpoint of new entries; a log that does not match is reported loudly.
pub async fn checkpoint_job(state: &AppState) {
    match sign_checkpoint(state).await {
        Ok(Ok(Some(row))) => tracing::info!(size = row.size, root = %row.root, "audit_checkpoint"),
        Ok(Ok(None)) => {}
        Ok(Err(problem)) => tracing::error!(%problem, "AUDIT LOG TAMPERED: no checkpoint signed"),
        Err(error) => tracing::warn!(?error, "audit_checkpoint failed"),
    }
}

// --- what the public reads --------------------------------------------------------------------

/// The last signed checkpoint.
pub async fn latest_checkpoint(state: &AppState) -> AppResult<Option<CheckpointRow>> {
    Ok(store::latest_checkpoint(&state.db).await?)
}

/// One entry of the public export. `details` and `salt` only for [`PUBLIC_ACTIONS`]; the leaf
/// commits to `commitment` = SHA-256(salt ‖ details), so the export verifies without them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicEntry {
    /// The entry's position in the log, from 0.
    pub index: i64,
    /// Unix seconds.
    pub at: i64,
    /// The acting user's id; none for the system.
    pub actor: Option<i64>,
    pub action: String,
    pub object: String,
    /// Hex SHA-256(salt ‖ details).
    pub commitment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Hex; given with `details`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// Hex SHA-256(0x00 ‖ leaf).
    pub leaf_hash: String,
}

impl PublicEntry {
    fn of(row: LogRow) -> PublicEntry {
        let salt = row.salt.unwrap_or_default();
        let public = PUBLIC_ACTIONS.contains(&row.action.as_str());
        PublicEntry {
            index: row.seq.unwrap_or(-1),
            at: row.at,
            actor: row.actor_id,
            commitment: store::commitment(&salt, &row.details),
            details: public.then(|| row.details.clone()),
            salt: public.then_some(salt),
            action: row.action,
            object: row.object,
            leaf_hash: row.leaf_hash.unwrap_or_default(),
        }
    }

    /// The leaf hash its fields give.
    pub fn computed_leaf(&self) -> Hash {
        store::entry_leaf_hash(
            self.index,
            self.at,
            self.actor,
            &self.action,
            &self.object,
            &self.commitment,
        )
    }
}

/// A page of the public export.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntryPage {
    /// Entries in the log now.
    pub size: i64,
    pub start: i64,
    pub end: i64,
    pub entries: Vec<PublicEntry>,
}

/// Entries `start..end` (at most [`MAX_EXPORT_PAGE`]; end defaults to a full page).
pub async fn entries(
    state: &AppState,
    start: Option<i64>,
    end: Option<i64>,
) -> AppResult<EntryPage> {
    let start = start.unwrap_or(0);
    if start < 0 {
        return Err(AppError::invalid(
            "start 不能为负 / start must not be negative",
        ));
    }
    let end = end.unwrap_or(start.saturating_add(MAX_EXPORT_PAGE));
    if end < start {
        return Err(AppError::invalid(
            "end 应不小于 start / end must not be below start",
        ));
    }
    let end = end.min(start.saturating_add(MAX_EXPORT_PAGE));
    let size = store::audit_count(&state.db).await?;
    let end = end.min(size);
    let rows = store::audit_rows_between(&state.db, start, end).await?;
    Ok(EntryPage {
        size,
        start,
        end: end.max(start),
        entries: rows.into_iter().map(PublicEntry::of).collect(),
    })
}

/// That entry `index` is in the tree of `size` entries.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub index: i64,
    pub size: i64,
    /// Hex.
    pub leaf_hash: String,
    /// Hex: the root of the first `size` entries.
    pub root: String,
    /// Hex hashes, from the leaf up (RFC 9162 §2.1.3).
    pub proof: Vec<String>,
}

/// That the tree of `from` entries is a prefix of the tree of `to` entries.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsistencyProof {
    pub from: i64,
    pub to: i64,
    pub from_root: String,
    pub to_root: String,
    /// Hex hashes (RFC 9162 §2.1.4).
    pub proof: Vec<String>,
}

/// The stored leaf hashes in order (what was published; a verifier checks them against a
/// signed root).
async fn stored_leaves(state: &AppState) -> AppResult<Vec<Hash>> {
    let rows = store::audit_rows(&state.db).await?;
    rows.iter()
        .map(|row| {
            row.leaf_hash
                .as_deref()
                .and_then(parse_hash)
                .ok_or_else(|| {
                    AppError::internal(format!("audit entry {} has no leaf hash", row.id))
                })
        })
        .collect()
}

/// An inclusion proof; `size` defaults to the last checkpoint's.
pub async fn inclusion(
    state: &AppState,
    index: i64,
    size: Option<i64>,
) -> AppResult<InclusionProof> {
    let leaves = stored_leaves(state).await?;
    let size = match size {
        Some(size) => size,
        None => latest_checkpoint(state)
            .await?
            .map_or(leaves.len() as i64, |c| c.size),
    };
    if index < 0 || index >= size || size > leaves.len() as i64 {
        return Err(AppError::invalid(format!(
            "应 0 ≤ index < size ≤ {} / expected 0 ≤ index < size ≤ {}",
            leaves.len(),
            leaves.len()
        )));
    }
    let tree = &leaves[..size as usize];
    let proof = merkle::inclusion_proof(tree, index as usize).unwrap_or_default();
    Ok(InclusionProof {
        index,
        size,
        leaf_hash: hex::encode(tree[index as usize]),
        root: hex::encode(merkle::root(tree)),
        proof: proof.iter().map(hex::encode).collect(),
    })
}

/// A consistency proof; `to` defaults to the last checkpoint's size.
pub async fn consistency(
    state: &AppState,
    from: i64,
    to: Option<i64>,
) -> AppResult<ConsistencyProof> {
    let leaves = stored_leaves(state).await?;
    let to = match to {
        Some(to) => to,
        None => latest_checkpoint(state)
            .await?
            .map_or(leaves.len() as i64, |c| c.size),
    };
    if from < 1 || from > to || to > leaves.len() as i64 {
        return Err(AppError::invalid(format!(
            "应 1 ≤ from ≤ to ≤ {} / expected 1 ≤ from ≤ to ≤ {}",
            leaves.len(),
            leaves.len()
        )));
    }
    let tree = &leaves[..to as usize];
    let proof = merkle::consistency_proof(tree, from as usize).unwrap_or_default();
    Ok(ConsistencyProof {
        from,
        to,
        from_root: hex::encode(merkle::root(&tree[..from as usize])),
        to_root: hex::encode(merkle::root(tree)),
        proof: proof.iter().map(hex::encode).collect(),
    })
}

pub fn parse_hash(text: &str) -> Option<Hash> {
    hex::decode(text).ok()?.try_into().ok()
}

// --- offline verification ---------------------------------------------------------------------

/// What an export proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub origin: String,
    pub size: u64,
    /// The older checkpoint's size, when one was checked for consistency.
    pub old_size: Option<u64>,
}

/// Why an export does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The key text is not a verifier key.
    Key(String),
    /// A checkpoint is malformed or not signed by the key (`old`: the older one).
    Signature { old: bool, reason: String },
    /// The export is not JSON entries or pages of entries.
    Format(String),
    /// The entry at this position is out of place or does not match its own hashes.
    Entry { index: usize, reason: String },
    /// The export has a different number of entries than the checkpoint covers.
    Count { checkpoint: u64, entries: u64 },
    /// The entries do not give the signed root.
    Root { size: u64 },
    /// The two checkpoints name different logs, or the older is not a prefix of the newer.
    Inconsistent(String),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Key(reason) => write!(f, "公钥无效 / bad verifier key: {reason}"),
            VerifyError::Signature { old, reason } => write!(
                f,
                "{}检查点的签名无效 / the {}checkpoint does not verify: {reason}",
                if *old { "旧" } else { "" },
                if *old { "old " } else { "" }
            ),
            VerifyError::Format(reason) => {
                write!(f, "导出文件格式错误 / malformed export: {reason}")
            }
            VerifyError::Entry { index, reason } => {
                write!(f, "第 {index} 条不符 / entry {index}: {reason}")
            }
            VerifyError::Count {
                checkpoint,
                entries,
            } => write!(
                f,
                "检查点包含 {checkpoint} 条，导出文件有 {entries} 条 / the checkpoint covers {checkpoint} entries, the export has {entries}"
            ),
            VerifyError::Root { size } => write!(
                f,
                "前 {size} 条的根哈希与签名的检查点不符：日志被改动 / the root of the {size} entries differs from the signed checkpoint: the log was changed"
            ),
            VerifyError::Inconsistent(reason) => {
                write!(
                    f,
                    "两个检查点不一致 / the checkpoints are inconsistent: {reason}"
                )
            }
        }
    }
}

impl std::error::Error for VerifyError {}

/// Reads an export: JSON values one after another, each an entry or a page (`{"entries": […]}`)
/// as the public endpoint gives them, so that pages saved one after another read as one export.
pub fn read_export(text: &str) -> Result<Vec<PublicEntry>, VerifyError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Item {
        Page { entries: Vec<PublicEntry> },
        Entry(PublicEntry),
        Entries(Vec<PublicEntry>),
    }
    let mut entries = Vec::new();
    for item in serde_json::Deserializer::from_str(text).into_iter::<Item>() {
        match item.map_err(|e| VerifyError::Format(e.to_string()))? {
            Item::Page { entries: page } | Item::Entries(page) => entries.extend(page),
            Item::Entry(entry) => entries.push(entry),
        }
    }
    Ok(entries)
}

/// Verifies an export against a signed checkpoint and the log's public key, and, given an older
/// checkpoint, that it is a prefix of the newer: every entry in its place, its commitment (where
/// the details are given) and leaf hash recomputed, the root of exactly the checkpoint's
/// entries. Needs no database.
pub fn verify_export(
    entries: &[PublicEntry],
    checkpoint_note: &str,
    key: &str,
    old_checkpoint_note: Option<&str>,
) -> Result<Verified, VerifyError> {
    let verifier = Verifier::parse(key).map_err(|e| VerifyError::Key(e.to_string()))?;
    let checkpoint = verifier
        .open(checkpoint_note)
        .map_err(|e| VerifyError::Signature {
            old: false,
            reason: e.to_string(),
        })?;
    let mut leaves = Vec::with_capacity(entries.len());
    for (position, entry) in entries.iter().enumerate() {
        let fail = |reason: &str| VerifyError::Entry {
            index: position,
            reason: reason.to_owned(),
        };
        if entry.index != position as i64 {
            return Err(fail(&format!(
                "位置应为 {position}，实为 {} / out of place: index {}",
                entry.index, entry.index
            )));
        }
        if let Some(details) = &entry.details {
            let salt = entry
                .salt
                .as_deref()
                .ok_or_else(|| fail("有明文而无盐值 / details without a salt"))?;
            if store::commitment(salt, details) != entry.commitment {
                return Err(fail(
                    "明文与承诺值不符 / the details do not match the commitment",
                ));
            }
        }
        let leaf = entry.computed_leaf();
        if hex::encode(leaf) != entry.leaf_hash {
            return Err(fail(
                "字段与叶哈希不符 / the fields do not give the leaf hash",
            ));
        }
        leaves.push(leaf);
    }
    if checkpoint.size != leaves.len() as u64 {
        return Err(VerifyError::Count {
            checkpoint: checkpoint.size,
            entries: leaves.len() as u64,
        });
    }
    if merkle::root(&leaves) != checkpoint.root {
        return Err(VerifyError::Root {
            size: checkpoint.size,
        });
    }
    let old_size = match old_checkpoint_note {
        None => None,
        Some(note) => {
            let old = verifier.open(note).map_err(|e| VerifyError::Signature {
                old: true,
                reason: e.to_string(),
            })?;
            if old.origin != checkpoint.origin {
                return Err(VerifyError::Inconsistent(format!(
                    "{} ≠ {}",
                    old.origin, checkpoint.origin
                )));
            }
            // The proof the server would give, checked as a verifier holding only the two
            // checkpoints would check it.
            let proof = merkle::consistency_proof(&leaves, old.size as usize).ok_or_else(|| {
                VerifyError::Inconsistent(format!(
                    "旧检查点 {} 条，新检查点 {} 条 / old size {} is not within 1..={}",
                    old.size, checkpoint.size, old.size, checkpoint.size
                ))
            })?;
            if !merkle::verify_consistency(
                old.size,
                checkpoint.size,
                &old.root,
                &checkpoint.root,
                &proof,
            ) {
                return Err(VerifyError::Inconsistent(format!(
                    "前 {} 条已被改动 / the first {} entries were changed",
                    old.size, old.size
                )));
            }
            Some(old.size)
        }
    };
    Ok(Verified {
        origin: checkpoint.origin,
        size: checkpoint.size,
        old_size,
    })
}
