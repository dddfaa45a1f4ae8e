//! Certificates: one per published grade, numbered when the publication grants it.

use super::*;

/// A certificate with what it certifies: the published grade, and the member it belongs to as
/// it stands now (its status and the grade in force).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CertificateRow {
    pub number: String,
    pub issued_at: i64,
    pub grant_id: i64,
    pub application_id: i64,
    pub round_id: i64,
    pub organization_id: i64,
    pub organization: String,
    pub credit_code: String,
    pub provider_type: String,
    pub result: String,
    pub stars: Option<i64>,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub document_number: String,
    pub document_date: String,
    pub member_id: i64,
    pub member_status: String,
    /// The grant in force for the member (another one: this certificate was superseded).
    pub member_grant_id: i64,
    pub scheme_id: String,
}

const COLUMNS: &str = "c.number, c.issued_at, g.id AS grant_id, g.application_id, g.round_id, g.organization_id, g.organization, g.credit_code, g.provider_type, g.result, g.stars, g.valid_from, g.valid_until, g.document_number, g.document_date, m.id AS member_id, m.status AS member_status, m.grant_id AS member_grant_id, m.scheme_id";

const FROM: &str = "FROM certificates c JOIN published_grades g ON g.id = c.grant_id JOIN pool_members m ON m.id = c.member_id";

/// Records the certificate of a grant, inside the publication's transaction.
pub async fn insert_certificate(
    tx: &mut Tx,
    number: &str,
    grant_id: i64,
    member_id: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO certificates (number, grant_id, member_id, issued_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(number)
    .bind(grant_id)
    .bind(member_id)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A certificate by its number.
pub async fn certificate(db: &Db, number: &str) -> Result<Option<CertificateRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} {FROM} WHERE c.number = $1"
    )))
    .bind(number)
    .fetch_optional(&db.pool)
    .await
}

/// The certificate of an application's published grade, if it has one.
pub async fn certificate_of_application(
    db: &Db,
    application_id: i64,
) -> Result<Option<CertificateRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} {FROM} WHERE g.application_id = $1"
    )))
    .bind(application_id)
    .fetch_optional(&db.pool)
    .await
}

/// The certificates of an organisation, newest first.
pub async fn certificates_of_organization(
    db: &Db,
    organization_id: i64,
) -> Result<Vec<CertificateRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} {FROM} WHERE g.organization_id = $1 ORDER BY g.id DESC"
    )))
    .bind(organization_id)
    .fetch_all(&db.pool)
    .await
}

/// The number of a grant's certificate, if it has one.
pub async fn certificate_number_of_grant(db: &Db, grant_id: i64) -> Result<Option<String>> {
    sqlx::query_scalar("SELECT number FROM certificates WHERE grant_id = $1")
        .bind(grant_id)
        .fetch_optional(&db.pool)
        .await
}
