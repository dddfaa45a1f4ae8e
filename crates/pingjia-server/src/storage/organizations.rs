//! Organisations: their profile and lists by name.

use super::*;

// --- organisations -------------------------------------------------------------------------

const ORGANIZATION_COLUMNS: &str = "id, name, credit_code, kind, region_id, region_path, address, contact, phone, created_at, updated_at";

pub async fn insert_organization(
    tx: &mut Tx,
    name: &str,
    credit_code: &str,
    kind: &str,
    region: &Region,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO organizations (name, credit_code, kind, region_id, region_path, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(name)
    .bind(credit_code)
    .bind(kind)
    .bind(region.id)
    .bind(&region.path)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    tx.changes_totals();
    Ok(id)
}

pub async fn organization(db: &Db, id: i64) -> Result<Option<Organization>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn organization_by_credit_code(db: &Db, code: &str) -> Result<Option<Organization>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE credit_code = $1"
    )))
    .bind(code)
    .fetch_optional(&db.pool)
    .await
}

/// An organisation by credit code, read inside a command's transaction.
pub async fn organization_by_credit_code_in(
    tx: &mut Tx,
    code: &str,
) -> Result<Option<Organization>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE credit_code = $1"
    )))
    .bind(code)
    .fetch_optional(tx.conn())
    .await
}

/// Organisations inside a region path (`/` for all) whose name contains `name` (if given),
/// by name; and how many there are in all.
pub async fn organizations_in(
    db: &Db,
    region_path: &str,
    name: Option<&str>,
    page: Page,
) -> Result<(Vec<Organization>, i64)> {
    let mut sql = Conditions::new();
    sql.push_path("region_path", region_path);
    if let Some(name) = name {
        sql.push_text("name LIKE ", contains_pattern(name), " ESCAPE '\\'");
    }
    let clause = sql.clause();
    let total = count(
        db,
        &sql,
        &format!("SELECT COUNT(*) FROM organizations WHERE {clause}"),
        name.is_none(),
    )
    .await?;
    if page.offset() >= total {
        return Ok((Vec::new(), total));
    }
    // As for applications: walk `organizations_name`, or sort the region's range of
    // `organizations_region_name`.
    let hint = index_hint(
        db,
        "organizations",
        page,
        total,
        ["organizations_name", "organizations_region_name"],
    )
    .await?;
    let (limit, offset) = (sql.next(), sql.next() + 1);
    let rows = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE id IN \
             (SELECT id FROM organizations{hint} WHERE {clause} ORDER BY name, id LIMIT ${limit} OFFSET ${offset}) \
             ORDER BY name, id"
        ))))
        .bind(page.size)
        .bind(page.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((rows, total))
}

#[derive(Debug)]
pub struct OrganizationUpdate<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub address: &'a str,
    pub contact: &'a str,
    pub phone: &'a str,
}

pub async fn update_organization(
    tx: &mut Tx,
    id: i64,
    update: &OrganizationUpdate<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE organizations SET name = $1, kind = $2, address = $3, contact = $4, phone = $5, updated_at = $6 WHERE id = $7")
        .bind(update.name)
        .bind(update.kind)
        .bind(update.address)
        .bind(update.contact)
        .bind(update.phone)
        .bind(now)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
