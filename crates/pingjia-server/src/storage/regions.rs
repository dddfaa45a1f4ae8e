//! The regions tree (省 → 设区市 → 县/市/区).

use super::*;

// --- regions -------------------------------------------------------------------------------

pub async fn insert_region(
    tx: &mut Tx,
    code: &str,
    name: &str,
    level: &str,
    parent: Option<&Region>,
) -> Result<Region> {
    let path = match parent {
        Some(parent) => format!("{}{code}/", parent.path),
        None => format!("/{code}/"),
    };
    sqlx::query("INSERT INTO regions (code, name, level, parent_id, path) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING")
        .bind(code)
        .bind(name)
        .bind(level)
        .bind(parent.map(|p| p.id))
        .bind(&path)
        .execute(tx.conn())
        .await?;
    sqlx::query_as("SELECT id, code, name, level, parent_id, path FROM regions WHERE code = $1")
        .bind(code)
        .fetch_one(tx.conn())
        .await
}

pub async fn region_by_code(db: &Db, code: &str) -> Result<Option<Region>> {
    sqlx::query_as("SELECT id, code, name, level, parent_id, path FROM regions WHERE code = $1")
        .bind(code)
        .fetch_optional(&db.pool)
        .await
}

pub async fn region(db: &Db, id: i64) -> Result<Option<Region>> {
    sqlx::query_as("SELECT id, code, name, level, parent_id, path FROM regions WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn regions(db: &Db) -> Result<Vec<Region>> {
    sqlx::query_as("SELECT id, code, name, level, parent_id, path FROM regions ORDER BY path")
        .fetch_all(&db.pool)
        .await
}
