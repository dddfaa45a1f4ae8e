//! Rounds (批次): a scheme's selection run by one authority in its region.

use super::*;

const ROUND_COLUMNS: &str = "r.id, r.scheme_id, r.name, r.region_id, g.path AS region_path, g.name AS region_name, \
     r.reference_year, r.cutoff, r.opens_on, r.closes_on, r.county_deadline, r.city_deadline, r.aggregation, \
     r.divergence_ratio, r.params, r.request_optional_materials, r.materials, r.chain, r.notice, \
     r.contact_office, r.contact_phone, r.show_reviewer_names, r.published_at, r.created_by, r.created_at, r.updated_at";

/// A round as stored. Dates are `YYYY-MM-DD` text; `params` is JSON (parameter id → value
/// text), `materials` JSON (a list of texts), `chain` JSON (a `workflow::Chain`) or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Round {
    pub id: i64,
    pub scheme_id: String,
    pub name: String,
    pub region_id: i64,
    /// The authority's region path (`/32/`).
    pub region_path: String,
    pub region_name: String,
    pub reference_year: Option<i64>,
    pub cutoff: Option<String>,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    pub county_deadline: Option<String>,
    pub city_deadline: Option<String>,
    pub aggregation: String,
    pub divergence_ratio: Option<String>,
    pub params: String,
    pub request_optional_materials: i64,
    pub materials: String,
    pub chain: Option<String>,
    pub notice: String,
    pub contact_office: String,
    pub contact_phone: String,
    /// 1: the applicant's timeline names the reviewer who acted, not only the office.
    pub show_reviewer_names: i64,
    pub published_at: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a round's author writes: every column but the ids, the region and the times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundFields {
    pub name: String,
    pub reference_year: Option<i64>,
    pub cutoff: Option<String>,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    pub county_deadline: Option<String>,
    pub city_deadline: Option<String>,
    pub aggregation: String,
    pub divergence_ratio: Option<String>,
    pub params: String,
    pub request_optional_materials: bool,
    pub materials: String,
    pub chain: Option<String>,
    pub notice: String,
    pub contact_office: String,
    pub contact_phone: String,
    pub show_reviewer_names: bool,
}

impl RoundFields {
    /// The fields as a round holds them now.
    pub fn of(round: &Round) -> RoundFields {
        RoundFields {
            name: round.name.clone(),
            reference_year: round.reference_year,
            cutoff: round.cutoff.clone(),
            opens_on: round.opens_on.clone(),
            closes_on: round.closes_on.clone(),
            county_deadline: round.county_deadline.clone(),
            city_deadline: round.city_deadline.clone(),
            aggregation: round.aggregation.clone(),
            divergence_ratio: round.divergence_ratio.clone(),
            params: round.params.clone(),
            request_optional_materials: round.request_optional_materials != 0,
            materials: round.materials.clone(),
            chain: round.chain.clone(),
            notice: round.notice.clone(),
            contact_office: round.contact_office.clone(),
            contact_phone: round.contact_phone.clone(),
            show_reviewer_names: round.show_reviewer_names != 0,
        }
    }
}

pub async fn insert_round(
    tx: &mut Tx,
    scheme_id: &str,
    region_id: i64,
    fields: &RoundFields,
    user_id: i64,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO rounds (scheme_id, name, region_id, reference_year, cutoff, opens_on, closes_on, county_deadline, city_deadline, \
         aggregation, divergence_ratio, params, request_optional_materials, materials, chain, notice, contact_office, contact_phone, \
         show_reviewer_names, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21) RETURNING id",
    )
    .bind(scheme_id)
    .bind(&fields.name)
    .bind(region_id)
    .bind(fields.reference_year)
    .bind(&fields.cutoff)
    .bind(&fields.opens_on)
    .bind(&fields.closes_on)
    .bind(&fields.county_deadline)
    .bind(&fields.city_deadline)
    .bind(&fields.aggregation)
    .bind(&fields.divergence_ratio)
    .bind(&fields.params)
    .bind(i64::from(fields.request_optional_materials))
    .bind(&fields.materials)
    .bind(&fields.chain)
    .bind(&fields.notice)
    .bind(&fields.contact_office)
    .bind(&fields.contact_phone)
    .bind(i64::from(fields.show_reviewer_names))
    .bind(user_id)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// Writes every field of a round (the caller decides which may change).
pub async fn update_round(tx: &mut Tx, id: i64, fields: &RoundFields, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE rounds SET name = $2, reference_year = $3, cutoff = $4, opens_on = $5, closes_on = $6, county_deadline = $7, \
         city_deadline = $8, aggregation = $9, divergence_ratio = $10, params = $11, request_optional_materials = $12, \
         materials = $13, chain = $14, notice = $15, contact_office = $16, contact_phone = $17, show_reviewer_names = $18, \
         updated_at = $19 WHERE id = $1",
    )
    .bind(id)
    .bind(&fields.name)
    .bind(fields.reference_year)
    .bind(&fields.cutoff)
    .bind(&fields.opens_on)
    .bind(&fields.closes_on)
    .bind(&fields.county_deadline)
    .bind(&fields.city_deadline)
    .bind(&fields.aggregation)
    .bind(&fields.divergence_ratio)
    .bind(&fields.params)
    .bind(i64::from(fields.request_optional_materials))
    .bind(&fields.materials)
    .bind(&fields.chain)
    .bind(&fields.notice)
    .bind(&fields.contact_office)
    .bind(&fields.contact_phone)
    .bind(i64::from(fields.show_reviewer_names))
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Publishes a draft round; false if it was already published.
pub async fn publish_round(tx: &mut Tx, id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE rounds SET published_at = $2, updated_at = $2 WHERE id = $1 AND published_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn round(db: &Db, id: i64) -> Result<Option<Round>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ROUND_COLUMNS} FROM rounds r JOIN regions g ON g.id = r.region_id WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// A round read inside a command, with its row locked for the rest of the transaction.
pub async fn lock_round(tx: &mut Tx, id: i64) -> Result<Option<Round>> {
    sqlx::query("UPDATE rounds SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ROUND_COLUMNS} FROM rounds r JOIN regions g ON g.id = r.region_id WHERE r.id = $1"
    )))
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

/// Every round whose authority's region lies inside `path` (an authority's own rounds and
/// those below it), newest first.
pub async fn rounds_within(db: &Db, path: &str) -> Result<Vec<Round>> {
    let (from, to) = path_range(path);
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ROUND_COLUMNS} FROM rounds r JOIN regions g ON g.id = r.region_id \
         WHERE g.path >= $1 AND g.path < $2 ORDER BY r.created_at DESC, r.id DESC"
    )))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await
}

/// Published rounds, newest first.
pub async fn published_rounds(db: &Db) -> Result<Vec<Round>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ROUND_COLUMNS} FROM rounds r JOIN regions g ON g.id = r.region_id \
         WHERE r.published_at IS NOT NULL ORDER BY r.published_at DESC, r.id DESC"
    )))
    .fetch_all(&db.pool)
    .await
}
