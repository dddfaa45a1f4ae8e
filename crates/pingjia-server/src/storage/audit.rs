//! The audit log: one row per change of state, appended inside the command's transaction, each
//! a leaf of a Merkle tree (RFC 6962 / RFC 9162 §2.1, `pingjia_core::merkle`) whose signed
//! checkpoints (`audit_checkpoints`) anchor it outside the database. The leaf's byte format is
//! [`leaf_bytes`], documented in `docs/audit.md`.

use super::*;
use rand::RngCore as _;

// --- audit log ------------------------------------------------------------------------------

/// The format version, the first byte of every leaf.
pub const LEAF_VERSION: u8 = 1;

/// Appends an entry: its position (`seq`, from 0), a fresh salt, the commitment to its details
/// and its leaf hash; also the older hash chain (hash = SHA-256(previous hash, time, actor,
/// action, object, details)), kept so that rows read the same before and after the tree.
pub async fn audit(
    tx: &mut Tx,
    actor: Option<i64>,
    action: &str,
    object: &str,
    details: &str,
    now: i64,
) -> Result<()> {
    if tx.backend == Backend::Postgres {
        sqlx::query("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
            .execute(tx.conn())
            .await?;
    }
    let previous: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT hash, seq FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(tx.conn())
            .await?;
    let seq = match &previous {
        None => 0,
        Some((_, Some(seq))) => seq + 1,
        // Rows from before the tree, not numbered yet: they come first.
        Some((_, None)) => {
            let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
                .fetch_one(tx.conn())
                .await?;
            count
        }
    };
    let previous = previous.map(|(hash, _)| hash).unwrap_or_default();
    let hash = audit_hash(&previous, now, actor, action, object, details);
    let salt = new_salt();
    let leaf = hex::encode(entry_leaf_hash(
        seq,
        now,
        actor,
        action,
        object,
        &commitment(&salt, details),
    ));
    sqlx::query("INSERT INTO audit_log (at, actor_id, action, object, details, prev_hash, hash, seq, salt, leaf_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(now)
        .bind(actor)
        .bind(action)
        .bind(object)
        .bind(details)
        .bind(&previous)
        .bind(&hash)
        .bind(seq)
        .bind(&salt)
        .bind(&leaf)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The older chain's hash: ambiguous (text can move across the newlines), kept for the rows'
/// continuity; the Merkle leaves are what is verified.
pub fn audit_hash(
    previous: &str,
    at: i64,
    actor: Option<i64>,
    action: &str,
    object: &str,
    details: &str,
) -> String {
    let actor = actor.map(|a| a.to_string()).unwrap_or_default();
    sha256_hex(format!("{previous}\n{at}\n{actor}\n{action}\n{object}\n{details}").as_bytes())
}

/// A fresh salt for a commitment: 16 random bytes, hex.
fn new_salt() -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    hex::encode(salt)
}

/// The commitment to an entry's details: hex SHA-256(salt bytes ‖ details in UTF-8). A salt
/// that is not hex commits as its UTF-8 bytes (never written so; keeps the function total).
pub fn commitment(salt_hex: &str, details: &str) -> String {
    let salt = hex::decode(salt_hex).unwrap_or_else(|_| salt_hex.as_bytes().to_vec());
    let mut hasher = Sha256::new();
    hasher.update(&salt);
    hasher.update(details.as_bytes());
    hex::encode(hasher.finalize())
}

/// The leaf of an entry, byte for byte: the version byte, then six fields, each a 4-byte
/// big-endian length and that many bytes of UTF-8: the position (decimal), the time (Unix
/// seconds, decimal), the actor's user id (decimal; empty for none), the action, the object and
/// the commitment to the details (64 hex digits).
pub fn leaf_bytes(
    seq: i64,
    at: i64,
    actor: Option<i64>,
    action: &str,
    object: &str,
    commitment: &str,
) -> Vec<u8> {
    let seq = seq.to_string();
    let at = at.to_string();
    let actor = actor.map(|a| a.to_string()).unwrap_or_default();
    let fields = [
        seq.as_str(),
        at.as_str(),
        actor.as_str(),
        action,
        object,
        commitment,
    ];
    let mut leaf = vec![LEAF_VERSION];
    for field in fields {
        let length = u32::try_from(field.len()).unwrap_or(u32::MAX);
        leaf.extend_from_slice(&length.to_be_bytes());
        leaf.extend_from_slice(field.as_bytes());
    }
    leaf
}

/// The leaf hash of an entry: SHA-256(0x00 ‖ leaf).
pub fn entry_leaf_hash(
    seq: i64,
    at: i64,
    actor: Option<i64>,
    action: &str,
    object: &str,
    commitment: &str,
) -> pingjia_core::merkle::Hash {
    pingjia_core::merkle::leaf_hash(&leaf_bytes(seq, at, actor, action, object, commitment))
}

/// One row of the log as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogRow {
    pub id: i64,
    pub seq: Option<i64>,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub object: String,
    pub details: String,
    pub salt: Option<String>,
    pub leaf_hash: Option<String>,
}

impl LogRow {
    /// The leaf hash its fields give (none before the row has a position and a salt).
    pub fn computed_leaf(&self) -> Option<String> {
        let (seq, salt) = (self.seq?, self.salt.as_deref()?);
        Some(hex::encode(entry_leaf_hash(
            seq,
            self.at,
            self.actor_id,
            &self.action,
            &self.object,
            &commitment(salt, &self.details),
        )))
    }
}

const LOG_COLUMNS: &str = "id, seq, at, actor_id, action, object, details, salt, leaf_hash";

/// Every row, in the order they were written.
pub async fn audit_rows(db: &Db) -> Result<Vec<LogRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOG_COLUMNS} FROM audit_log ORDER BY id"
    )))
    .fetch_all(&db.pool)
    .await
}

/// How many entries the log has.
pub async fn audit_count(db: &Db) -> Result<i64> {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&db.pool)
        .await?;
    Ok(count)
}

/// The rows at positions `start..end`, in order.
pub async fn audit_rows_between(db: &Db, start: i64, end: i64) -> Result<Vec<LogRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LOG_COLUMNS} FROM audit_log WHERE seq >= $1 AND seq < $2 ORDER BY seq"
    )))
    .bind(start)
    .bind(end)
    .fetch_all(&db.pool)
    .await
}

/// Gives rows written before the tree (no position or leaf yet) their position, salt and leaf
/// hash, in the order they were written; returns how many.
pub async fn backfill_audit(db: &Db) -> Result<u64> {
    let mut tx = db.begin().await?;
    if tx.backend == Backend::Postgres {
        sqlx::query("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
            .execute(tx.conn())
            .await?;
    }
    let ids: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM audit_log WHERE leaf_hash IS NULL ORDER BY id")
            .fetch_all(tx.conn())
            .await?;
    let mut filled = 0;
    for (id,) in ids {
        let mut row: LogRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {LOG_COLUMNS} FROM audit_log WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(tx.conn())
        .await?;
        let (before,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE id < $1")
            .bind(id)
            .fetch_one(tx.conn())
            .await?;
        row.seq = Some(before);
        row.salt = Some(row.salt.take().unwrap_or_else(new_salt));
        let leaf = row.computed_leaf();
        sqlx::query("UPDATE audit_log SET seq = $1, salt = $2, leaf_hash = $3 WHERE id = $4")
            .bind(row.seq)
            .bind(&row.salt)
            .bind(&leaf)
            .bind(id)
            .execute(tx.conn())
            .await?;
        filled += 1;
    }
    tx.commit().await?;
    Ok(filled)
}

/// Recomputes the log; returns the id of the first entry that does not verify: its position is
/// not the next one, or its leaf hash is not what its fields give, or the older chain breaks.
/// Rows from before the tree (no leaf hash yet) are checked by the chain only.
pub async fn verify_audit(db: &Db) -> Result<Option<i64>> {
    let chain: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, prev_hash, hash FROM audit_log ORDER BY id")
            .fetch_all(&db.pool)
            .await?;
    let rows = audit_rows(db).await?;
    let mut previous = String::new();
    for (position, (row, (_, prev_hash, hash))) in rows.iter().zip(chain).enumerate() {
        let chained = prev_hash == previous
            && audit_hash(
                &previous,
                row.at,
                row.actor_id,
                &row.action,
                &row.object,
                &row.details,
            ) == hash;
        let leaf_ok = match &row.leaf_hash {
            None => row.seq.is_none(),
            Some(leaf) => {
                row.seq == Some(position as i64) && row.computed_leaf().as_ref() == Some(leaf)
            }
        };
        if !chained || !leaf_ok {
            return Ok(Some(row.id));
        }
        previous = hash;
    }
    Ok(None)
}

// --- checkpoints ----------------------------------------------------------------------------

/// A signed checkpoint as stored: the tree's size, its root (hex), the signed note, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CheckpointRow {
    pub size: i64,
    pub root: String,
    pub note: String,
    pub at: i64,
}

pub async fn insert_checkpoint(db: &Db, checkpoint: &CheckpointRow) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO audit_checkpoints (size, root, note, at) VALUES ($1, $2, $3, $4)")
        .bind(checkpoint.size)
        .bind(&checkpoint.root)
        .bind(&checkpoint.note)
        .bind(checkpoint.at)
        .execute(tx.conn())
        .await?;
    tx.commit().await
}

/// The checkpoint of the largest tree.
pub async fn latest_checkpoint(db: &Db) -> Result<Option<CheckpointRow>> {
    sqlx::query_as("SELECT size, root, note, at FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(&db.pool)
        .await
}

/// The checkpoint of a tree of exactly `size` entries.
pub async fn checkpoint_of_size(db: &Db, size: i64) -> Result<Option<CheckpointRow>> {
    sqlx::query_as("SELECT size, root, note, at FROM audit_checkpoints WHERE size = $1")
        .bind(size)
        .fetch_optional(&db.pool)
        .await
}
