//! Evidence rows and their content (blobs).

use super::*;

// --- evidence --------------------------------------------------------------------------------

const EVIDENCE_COLUMNS: &str = "e.id, e.version_id, e.application_id, e.organization_id, e.criterion_id, e.sha256, e.filename, e.uploaded_by, e.uploaded_at, b.size, b.media_type";

/// Records a content, or takes the lock of its existing row: an upload holds it until it
/// commits, so that a removal's clean-up ([`delete_blob_if_unreferenced`]) cannot delete the
/// file between the upload's check that it is on disk and its commit.
pub async fn insert_blob(
    tx: &mut Tx,
    sha256: &str,
    size: i64,
    media_type: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO evidence_blobs (sha256, size, media_type, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO UPDATE SET size = excluded.size")
        .bind(sha256)
        .bind(size)
        .bind(media_type)
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[derive(Debug)]
pub struct NewEvidence<'a> {
    pub version_id: i64,
    pub application_id: i64,
    pub organization_id: i64,
    pub criterion_id: Option<&'a str>,
    pub sha256: &'a str,
    pub filename: &'a str,
    pub uploaded_by: i64,
}

pub async fn insert_evidence(tx: &mut Tx, evidence: &NewEvidence<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO evidence (version_id, application_id, organization_id, criterion_id, sha256, filename, uploaded_by, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(evidence.version_id)
    .bind(evidence.application_id)
    .bind(evidence.organization_id)
    .bind(evidence.criterion_id)
    .bind(evidence.sha256)
    .bind(evidence.filename)
    .bind(evidence.uploaded_by)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

pub async fn evidence_of_version(db: &Db, version_id: i64) -> Result<Vec<Evidence>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EVIDENCE_COLUMNS} FROM evidence e JOIN evidence_blobs b ON b.sha256 = e.sha256 WHERE e.version_id = $1 AND e.deleted_at IS NULL ORDER BY e.id"
    )))
    .bind(version_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn evidence(db: &Db, id: i64) -> Result<Option<Evidence>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {EVIDENCE_COLUMNS} FROM evidence e JOIN evidence_blobs b ON b.sha256 = e.sha256 WHERE e.id = $1 AND e.deleted_at IS NULL")))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// Removes an attachment of a draft version; false (changing nothing) if the row is gone
/// or its version was submitted meanwhile.
pub async fn delete_evidence(tx: &mut Tx, id: i64, now: i64) -> Result<bool> {
    let result = sqlx::query(
        "UPDATE evidence SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL \
         AND version_id IN (SELECT id FROM declaration_versions WHERE submitted_at IS NULL)",
    )
    .bind(now)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Other organisations that attached the same content (to be flagged to reviewers).
/// Up to `limit` other organisations that attached the same content, by id.
pub async fn other_organizations_with_blob(
    db: &Db,
    sha256: &str,
    organization_id: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT DISTINCT organization_id FROM evidence WHERE sha256 = $1 AND organization_id <> $2 ORDER BY organization_id LIMIT $3")
        .bind(sha256)
        .bind(organization_id)
        .bind(limit)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Which of these contents another organisation attached too, in one query. Each content is
/// looked up on `evidence_sha256` until the first other organisation: a template that
/// thousands attach costs no more than a file that one other attached.
pub async fn contents_shared_with_others<'a>(
    db: &Db,
    sha256s: impl Iterator<Item = &'a str>,
    organization_id: i64,
) -> Result<std::collections::HashSet<String>> {
    let mut sql = Conditions::new();
    let mut placeholders = Vec::new();
    for sha256 in sha256s {
        placeholders.push(format!("${}", sql.next()));
        sql.args.push(Arg::Text(sha256.to_owned()));
    }
    if placeholders.is_empty() {
        return Ok(Default::default());
    }
    let organization = sql.next();
    let rows: Vec<(String,)> = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT b.sha256 FROM evidence_blobs b WHERE b.sha256 IN ({}) AND EXISTS \
             (SELECT 1 FROM evidence e WHERE e.sha256 = b.sha256 AND e.organization_id <> ${organization})",
            placeholders.join(", ")
        ))))
        .bind(organization_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(rows.into_iter().map(|(sha256,)| sha256).collect())
}

/// How many live attachments name a content: evidence, site visits' files and objections' files.
const BLOB_REFERENCES: &str = "SELECT (SELECT COUNT(*) FROM evidence WHERE sha256 = $1 AND deleted_at IS NULL) \
     + (SELECT COUNT(*) FROM site_visit_files WHERE sha256 = $1) \
     + (SELECT COUNT(*) FROM objection_files WHERE sha256 = $1) \
     + (SELECT COUNT(*) FROM spot_check_files WHERE sha256 = $1)";

/// Whether any live attachment still references the content.
pub async fn blob_referenced(db: &Db, sha256: &str) -> Result<bool> {
    let (count,): (i64,) = sqlx::query_as(BLOB_REFERENCES)
        .bind(sha256)
        .fetch_one(&db.pool)
        .await?;
    Ok(count > 0)
}

/// Whether no live attachment references the content, holding the content row's lock (taken
/// first, in its own statement, so that the count below sees every upload that held the lock
/// before). While the caller holds it, no upload can attach the content: the caller may
/// remove the file, then commit. The row stays (removed attachments still name it); an upload
/// that comes later finds the file missing and writes it again.
pub async fn lock_unreferenced_blob(tx: &mut Tx, sha256: &str) -> Result<bool> {
    let locked = sqlx::query("UPDATE evidence_blobs SET size = size WHERE sha256 = $1")
        .bind(sha256)
        .execute(tx.conn())
        .await?;
    if locked.rows_affected() == 0 {
        return Ok(false);
    }
    let (count,): (i64,) = sqlx::query_as(BLOB_REFERENCES)
        .bind(sha256)
        .fetch_one(tx.conn())
        .await?;
    Ok(count == 0)
}

/// An evidence row with the submission time of its version.
#[derive(Debug, sqlx::FromRow)]
pub struct VisibleEvidence {
    #[sqlx(flatten)]
    pub evidence: Evidence,
    pub version_submitted_at: Option<i64>,
}

/// An evidence row if the scope may see it, in one query whatever the answer, so that an
/// existing but forbidden row costs what a missing one does. Others than the owner see only
/// rows of submitted versions (`services::applications::version_visible` in SQL).
pub async fn evidence_visible(db: &Db, scope: &Scope, id: i64) -> Result<Option<VisibleEvidence>> {
    let mut sql = Conditions::new();
    sql.push_int("e.id = ", id);
    sql.parts.push("e.deleted_at IS NULL".to_owned());
    if !sql.push_scope(scope, "a.") {
        // Nothing may be seen: still one query of the same shape, answering nothing.
        sql.parts.push("1 = 0".to_owned());
    }
    if !matches!(scope, Scope::Organization(_)) {
        sql.parts.push("v.submitted_at IS NOT NULL".to_owned());
    }
    let text = format!(
        "SELECT {EVIDENCE_COLUMNS}, v.submitted_at AS version_submitted_at FROM evidence e \
         JOIN evidence_blobs b ON b.sha256 = e.sha256 JOIN applications a ON a.id = e.application_id \
         JOIN declaration_versions v ON v.id = e.version_id WHERE {}",
        sql.clause()
    );
    sql.bind(sqlx::query_as(sqlx::AssertSqlSafe(text)))
        .fetch_optional(&db.pool)
        .await
}
