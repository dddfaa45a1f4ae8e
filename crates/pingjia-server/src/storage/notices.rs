//! 公示: a round's public notices, their entries, objections with their files, the throttle of
//! objections per address, and the published grades (the pool).

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Notice {
    pub id: i64,
    pub round_id: i64,
    pub title: String,
    pub opens_on: String,
    pub closes_on: String,
    pub office: String,
    pub contact: String,
    pub how_to_object: String,
    pub opened_by: i64,
    pub opened_at: i64,
}

const NOTICE_COLUMNS: &str = "id, round_id, title, opens_on, closes_on, office, contact, how_to_object, opened_by, opened_at";

#[derive(Debug)]
pub struct NewNotice<'a> {
    pub round_id: i64,
    pub title: &'a str,
    pub opens_on: &'a str,
    pub closes_on: &'a str,
    pub office: &'a str,
    pub contact: &'a str,
    pub how_to_object: &'a str,
    pub opened_by: i64,
}

pub async fn insert_notice(tx: &mut Tx, notice: &NewNotice<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO notices (round_id, title, opens_on, closes_on, office, contact, how_to_object, opened_by, opened_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(notice.round_id)
    .bind(notice.title)
    .bind(notice.opens_on)
    .bind(notice.closes_on)
    .bind(notice.office)
    .bind(notice.contact)
    .bind(notice.how_to_object)
    .bind(notice.opened_by)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

pub async fn notice(db: &Db, id: i64) -> Result<Option<Notice>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTICE_COLUMNS} FROM notices WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn notice_in(tx: &mut Tx, id: i64) -> Result<Option<Notice>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTICE_COLUMNS} FROM notices WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

/// Every notice, newest first, one page, with the total.
pub async fn notices_page(db: &Db, page: Page) -> Result<(Vec<Notice>, i64)> {
    let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notices")
        .fetch_one(&db.pool)
        .await?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTICE_COLUMNS} FROM notices ORDER BY id DESC LIMIT $1 OFFSET $2"
    )))
    .bind(page.size)
    .bind(page.offset())
    .fetch_all(&db.pool)
    .await?;
    Ok((rows, total))
}

/// The notices of a round, oldest first.
pub async fn round_notices(db: &Db, round_id: i64) -> Result<Vec<Notice>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTICE_COLUMNS} FROM notices WHERE round_id = $1 ORDER BY id"
    )))
    .bind(round_id)
    .fetch_all(&db.pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct NoticeEntry {
    pub id: i64,
    pub notice_id: i64,
    pub application_id: i64,
    pub decision_id: i64,
    pub organization: String,
    pub provider_type: String,
    pub result: String,
    pub status: String,
}

const ENTRY_COLUMNS: &str =
    "id, notice_id, application_id, decision_id, organization, provider_type, result, status";

#[derive(Debug)]
pub struct NewEntry<'a> {
    pub notice_id: i64,
    pub application_id: i64,
    pub decision_id: i64,
    pub organization: &'a str,
    pub provider_type: &'a str,
    pub result: &'a str,
}

pub async fn insert_entry(tx: &mut Tx, entry: &NewEntry<'_>) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO notice_entries (notice_id, application_id, decision_id, organization, provider_type, result) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(entry.notice_id)
    .bind(entry.application_id)
    .bind(entry.decision_id)
    .bind(entry.organization)
    .bind(entry.provider_type)
    .bind(entry.result)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// A notice's entries, in the order they were listed.
pub async fn notice_entries(db: &Db, notice_id: i64) -> Result<Vec<NoticeEntry>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM notice_entries WHERE notice_id = $1 ORDER BY id"
    )))
    .bind(notice_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn notice_entries_in(tx: &mut Tx, notice_id: i64) -> Result<Vec<NoticeEntry>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM notice_entries WHERE notice_id = $1 ORDER BY id"
    )))
    .bind(notice_id)
    .fetch_all(tx.conn())
    .await
}

pub async fn entry_in(tx: &mut Tx, id: i64) -> Result<Option<NoticeEntry>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM notice_entries WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

/// An entry with its notice's last day.
#[derive(Debug, sqlx::FromRow)]
struct CurrentEntry {
    #[sqlx(flatten)]
    entry: NoticeEntry,
    closes_on: String,
}

/// The entry an application is on now (status `on_notice`), with its notice's closing date.
pub async fn current_entry_in(
    tx: &mut Tx,
    application_id: i64,
) -> Result<Option<(NoticeEntry, String)>> {
    let row: Option<CurrentEntry> = sqlx::query_as(
        "SELECT e.id, e.notice_id, e.application_id, e.decision_id, e.organization, e.provider_type, e.result, e.status, n.closes_on \
         FROM notice_entries e JOIN notices n ON n.id = e.notice_id \
         WHERE e.application_id = $1 AND e.status = 'on_notice' ORDER BY e.id DESC LIMIT 1",
    )
    .bind(application_id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|row| (row.entry, row.closes_on)))
}

pub async fn set_entry_status(tx: &mut Tx, id: i64, status: &str) -> Result<()> {
    sqlx::query("UPDATE notice_entries SET status = $2 WHERE id = $1")
        .bind(id)
        .bind(status)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Whether an entry has an objection not yet resolved.
pub async fn open_objections_in(tx: &mut Tx, entry_id: i64) -> Result<i64> {
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM objections WHERE entry_id = $1 AND status = 'open'")
            .bind(entry_id)
            .fetch_one(tx.conn())
            .await?;
    Ok(count)
}

/// Counts the objections filed from an address since `since` and records this one, in one
/// step (parallel attempts all count). Returns the count before this attempt.
pub async fn record_objection_attempt(
    tx: &mut Tx,
    address: &str,
    since: i64,
    now: i64,
) -> Result<i64> {
    if tx.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("objection:{address}"))
            .execute(tx.conn())
            .await?;
    }
    let (before,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM objection_attempts WHERE address = $1 AND at >= $2")
            .bind(address)
            .bind(since)
            .fetch_one(tx.conn())
            .await?;
    sqlx::query("INSERT INTO objection_attempts (address, at) VALUES ($1, $2)")
        .bind(address)
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(before)
}

/// An objection as the authority sees it (the objector's name and contact included: never
/// hand this to the public).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Objection {
    pub id: i64,
    pub notice_id: i64,
    pub entry_id: i64,
    pub name: String,
    pub contact: String,
    pub text: String,
    pub address: String,
    pub filed_at: i64,
    pub status: String,
    pub outcome: Option<String>,
    pub resolution: String,
    pub resolved_by: Option<i64>,
    pub resolved_at: Option<i64>,
}

const OBJECTION_COLUMNS: &str = "id, notice_id, entry_id, name, contact, text, address, filed_at, status, outcome, resolution, resolved_by, resolved_at";

#[derive(Debug)]
pub struct NewObjection<'a> {
    pub notice_id: i64,
    pub entry_id: i64,
    pub name: &'a str,
    pub contact: &'a str,
    pub text: &'a str,
    pub address: &'a str,
}

pub async fn insert_objection(tx: &mut Tx, objection: &NewObjection<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO objections (notice_id, entry_id, name, contact, text, address, filed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(objection.notice_id)
    .bind(objection.entry_id)
    .bind(objection.name)
    .bind(objection.contact)
    .bind(objection.text)
    .bind(objection.address)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

pub async fn insert_objection_file(
    tx: &mut Tx,
    objection_id: i64,
    sha256: &str,
    filename: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO objection_files (objection_id, sha256, filename, at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(objection_id)
    .bind(sha256)
    .bind(filename)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// A notice's objections, oldest first.
pub async fn notice_objections(db: &Db, notice_id: i64) -> Result<Vec<Objection>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {OBJECTION_COLUMNS} FROM objections WHERE notice_id = $1 ORDER BY id"
    )))
    .bind(notice_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn objection(db: &Db, id: i64) -> Result<Option<Objection>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {OBJECTION_COLUMNS} FROM objections WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// Locks an objection for its resolution and reads it.
pub async fn lock_objection(tx: &mut Tx, id: i64) -> Result<Option<Objection>> {
    sqlx::query("UPDATE objections SET status = status WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {OBJECTION_COLUMNS} FROM objections WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

pub async fn resolve_objection(
    tx: &mut Tx,
    id: i64,
    status: &str,
    outcome: Option<&str>,
    resolution: &str,
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE objections SET status = $2, outcome = $3, resolution = $4, resolved_by = $5, resolved_at = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(outcome)
    .bind(resolution)
    .bind(by)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ObjectionFile {
    pub id: i64,
    pub objection_id: i64,
    pub sha256: String,
    pub filename: String,
    pub at: i64,
}

pub async fn objection_files(db: &Db, notice_id: i64) -> Result<Vec<ObjectionFile>> {
    sqlx::query_as(
        "SELECT f.id, f.objection_id, f.sha256, f.filename, f.at FROM objection_files f \
         JOIN objections o ON o.id = f.objection_id WHERE o.notice_id = $1 ORDER BY f.id",
    )
    .bind(notice_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn objection_file(db: &Db, id: i64) -> Result<Option<(ObjectionFile, i64)>> {
    let row: Option<(i64, i64, String, String, i64, i64)> = sqlx::query_as(
        "SELECT f.id, f.objection_id, f.sha256, f.filename, f.at, o.notice_id FROM objection_files f \
         JOIN objections o ON o.id = f.objection_id WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(
        row.map(|(id, objection_id, sha256, filename, at, notice_id)| {
            (
                ObjectionFile {
                    id,
                    objection_id,
                    sha256,
                    filename,
                    at,
                },
                notice_id,
            )
        }),
    )
}

/// A published grade: one record per published entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PublishedGrade {
    pub id: i64,
    pub application_id: i64,
    pub organization_id: i64,
    pub round_id: i64,
    pub notice_id: i64,
    pub organization: String,
    pub credit_code: String,
    pub provider_type: String,
    pub result: String,
    pub stars: Option<i64>,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub document_number: String,
    pub document_date: String,
    pub published_by: i64,
    pub published_at: i64,
}

const GRADE_COLUMNS: &str = "id, application_id, organization_id, round_id, notice_id, organization, credit_code, provider_type, result, stars, valid_from, valid_until, document_number, document_date, published_by, published_at";

#[derive(Debug)]
pub struct NewGrade<'a> {
    pub application_id: i64,
    pub organization_id: i64,
    pub round_id: i64,
    pub notice_id: i64,
    pub organization: &'a str,
    pub credit_code: &'a str,
    pub provider_type: &'a str,
    pub result: &'a str,
    pub stars: Option<i64>,
    pub valid_from: &'a str,
    pub valid_until: Option<&'a str>,
    pub document_number: &'a str,
    pub document_date: &'a str,
    pub published_by: i64,
}

pub async fn insert_published_grade(tx: &mut Tx, grade: &NewGrade<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO published_grades (application_id, organization_id, round_id, notice_id, organization, credit_code, provider_type, result, stars, valid_from, valid_until, document_number, document_date, published_by, published_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(grade.application_id)
    .bind(grade.organization_id)
    .bind(grade.round_id)
    .bind(grade.notice_id)
    .bind(grade.organization)
    .bind(grade.credit_code)
    .bind(grade.provider_type)
    .bind(grade.result)
    .bind(grade.stars)
    .bind(grade.valid_from)
    .bind(grade.valid_until)
    .bind(grade.document_number)
    .bind(grade.document_date)
    .bind(grade.published_by)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// Published grades, newest document first, optionally of one round; one page and the total.
pub async fn published_grades(
    db: &Db,
    round_id: Option<i64>,
    page: Page,
) -> Result<(Vec<PublishedGrade>, i64)> {
    let filter = if round_id.is_some() {
        "WHERE round_id = $1"
    } else {
        "WHERE $1 IS NULL"
    };
    let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM published_grades {filter}"
    )))
    .bind(round_id)
    .fetch_one(&db.pool)
    .await?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {GRADE_COLUMNS} FROM published_grades {filter} ORDER BY document_date DESC, id LIMIT $2 OFFSET $3"
    )))
    .bind(round_id)
    .bind(page.size)
    .bind(page.offset())
    .fetch_all(&db.pool)
    .await?;
    Ok((rows, total))
}

/// The published grade of an application, if any.
pub async fn published_grade_of(db: &Db, application_id: i64) -> Result<Option<PublishedGrade>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {GRADE_COLUMNS} FROM published_grades WHERE application_id = $1"
    )))
    .bind(application_id)
    .fetch_optional(&db.pool)
    .await
}

/// The open objections of an entry (their ids).
pub async fn notice_objections_in_entry(tx: &mut Tx, entry_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM objections WHERE entry_id = $1 AND status = 'open'")
            .bind(entry_id)
            .fetch_all(tx.conn())
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub async fn entry(db: &Db, id: i64) -> Result<Option<NoticeEntry>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM notice_entries WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}
