//! The audit log.

use super::*;

// --- audit log ------------------------------------------------------------------------------

/// Appends an entry to the hash chain: hash = SHA-256(previous hash, time, actor, action,
/// object, details). Anyone holding the table can recompute the chain.
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
    let previous: Option<(String,)> =
        sqlx::query_as("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(tx.conn())
            .await?;
    let previous = previous.map(|(hash,)| hash).unwrap_or_default();
    let hash = audit_hash(&previous, now, actor, action, object, details);
    sqlx::query("INSERT INTO audit_log (at, actor_id, action, object, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(now)
        .bind(actor)
        .bind(action)
        .bind(object)
        .bind(details)
        .bind(&previous)
        .bind(&hash)
        .execute(tx.conn())
        .await?;
    Ok(())
}

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

/// Recomputes the chain; returns the id of the first entry that does not verify.
pub async fn verify_audit(db: &Db) -> Result<Option<i64>> {
    type AuditRow = (
        i64,
        i64,
        Option<i64>,
        String,
        String,
        String,
        String,
        String,
    );
    let rows: Vec<AuditRow> =
        sqlx::query_as("SELECT id, at, actor_id, action, object, details, prev_hash, hash FROM audit_log ORDER BY id").fetch_all(&db.pool).await?;
    let mut previous = String::new();
    for (id, at, actor, action, object, details, prev_hash, hash) in rows {
        if prev_hash != previous
            || audit_hash(&previous, at, actor, &action, &object, &details) != hash
        {
            return Ok(Some(id));
        }
        previous = hash;
    }
    Ok(None)
}
