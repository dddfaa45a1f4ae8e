//! The public directory of the pool (资源池名录): members filtered, sorted and paged on their
//! own table (one query for the page, one for the total), a member's public history, the
//! counts behind the statistics, and the pool's version for the open data's `ETag`.

use super::*;

/// What the directory is filtered by; `None` leaves a dimension open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryFilter {
    /// Part of the organisation's name, or its 统一社会信用代码 (an 18-character code is also
    /// matched exactly against the code).
    pub query: Option<String>,
    pub scheme_id: Option<String>,
    pub provider_type: Option<String>,
    pub stars: Option<i64>,
    /// The result's text (三星, 认定, 入选).
    pub result: Option<String>,
    /// The region's path: the region and everything inside it.
    pub region_path: Option<String>,
    /// `active`, `expired`, `removed`, `revoked`; `None`: every status.
    pub status: Option<String>,
}

/// The orders of the directory; each ends with the member's id, so the order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryOrder {
    Name,
    Stars,
    ValidUntil,
    Region,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectorySort {
    pub order: DirectoryOrder,
    pub descending: bool,
}

/// One member as the directory lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DirectoryRow {
    pub id: i64,
    pub organization: String,
    pub credit_code: String,
    pub scheme_id: String,
    pub provider_type: String,
    pub type_label: String,
    pub result: String,
    pub stars: Option<i64>,
    pub region_path: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub status: String,
    pub round_id: i64,
    pub grant_id: i64,
    pub document_number: String,
}

const DIRECTORY_COLUMNS: &str = "id, organization, credit_code, scheme_id, provider_type, type_label, result, stars, region_path, valid_from, valid_until, status, round_id, grant_id, document_number";

fn directory_conditions(filter: &DirectoryFilter) -> Conditions {
    let mut sql = Conditions::new();
    if let Some(status) = &filter.status {
        sql.push_text("status = ", status.clone(), "");
    }
    if let Some(query) = &filter.query {
        let code = query.to_ascii_uppercase();
        if code.len() == 18 && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            let n = sql.next();
            sql.parts.push(format!(
                "(credit_code = ${n} OR organization LIKE ${} ESCAPE '\\')",
                n + 1
            ));
            sql.args.push(Arg::Text(code));
            sql.args.push(Arg::Text(contains_pattern(query)));
        } else {
            sql.push_text(
                "organization LIKE ",
                contains_pattern(query),
                " ESCAPE '\\'",
            );
        }
    }
    if let Some(scheme) = &filter.scheme_id {
        sql.push_text("scheme_id = ", scheme.clone(), "");
    }
    if let Some(provider_type) = &filter.provider_type {
        sql.push_text("provider_type = ", provider_type.clone(), "");
    }
    if let Some(stars) = filter.stars {
        sql.push_int("stars = ", stars);
    }
    if let Some(result) = &filter.result {
        sql.push_text("result = ", result.clone(), "");
    }
    if let Some(path) = &filter.region_path {
        sql.push_path("region_path", path);
    }
    sql
}

/// `ORDER BY …` of a sort. NULL (no stars, no term) sorts first ascending and last descending
/// on both databases (SQLite's own order, which lets it walk its indexes).
fn order_by(backend: Backend, sort: DirectorySort) -> String {
    let dir = if sort.descending { "DESC" } else { "ASC" };
    let nulls = match (backend, sort.descending) {
        (Backend::Sqlite, _) => "",
        (_, false) => " NULLS FIRST",
        (_, true) => " NULLS LAST",
    };
    match sort.order {
        DirectoryOrder::Name => format!("organization {dir}, id {dir}"),
        DirectoryOrder::Stars => format!("stars {dir}{nulls}, id {dir}"),
        DirectoryOrder::ValidUntil => format!("valid_until {dir}{nulls}, id {dir}"),
        DirectoryOrder::Region => format!("region_path {dir}, id {dir}"),
    }
}

/// One page of the directory and the number of members the filter matches.
pub async fn directory(
    db: &Db,
    filter: &DirectoryFilter,
    sort: DirectorySort,
    page: Page,
) -> Result<(Vec<DirectoryRow>, i64)> {
    let sql = directory_conditions(filter);
    let total = count(
        db,
        &sql,
        &format!("SELECT COUNT(*) FROM pool_members WHERE {}", sql.clause()),
        false,
    )
    .await?;
    if total == 0 {
        return Ok((Vec::new(), 0));
    }
    let n = sql.next();
    let text = format!(
        "SELECT {DIRECTORY_COLUMNS} FROM pool_members WHERE {} ORDER BY {} LIMIT ${n} OFFSET ${}",
        sql.clause(),
        order_by(db.backend, sort),
        n + 1
    );
    let rows = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(text)))
        .bind(page.size)
        .bind(page.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((rows, total))
}

/// Every member the filter matches, in the sort's order (the downloads).
pub async fn directory_all(
    db: &Db,
    filter: &DirectoryFilter,
    sort: DirectorySort,
) -> Result<Vec<DirectoryRow>> {
    let sql = directory_conditions(filter);
    let text = format!(
        "SELECT {DIRECTORY_COLUMNS} FROM pool_members WHERE {} ORDER BY {}",
        sql.clause(),
        order_by(db.backend, sort)
    );
    sql.bind(sqlx::query_as(sqlx::AssertSqlSafe(text)))
        .fetch_all(&db.pool)
        .await
}

pub async fn directory_member(db: &Db, id: i64) -> Result<Option<DirectoryRow>> {
    let text = format!("SELECT {DIRECTORY_COLUMNS} FROM pool_members WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// A member's history of the given kinds, oldest first.
pub async fn member_events_of_kinds(
    db: &Db,
    member_id: i64,
    kinds: &[&str],
) -> Result<Vec<MemberEvent>> {
    let mut sql = Conditions::new();
    sql.push_int("member_id = ", member_id);
    let n = sql.next();
    let list = (0..kinds.len())
        .map(|i| format!("${}", n + i))
        .collect::<Vec<_>>()
        .join(", ");
    sql.parts.push(format!("kind IN ({list})"));
    for kind in kinds {
        sql.args.push(Arg::Text((*kind).to_owned()));
    }
    let text = format!(
        "SELECT id, member_id, at, kind, result, stars, valid_until, document_number, detail FROM pool_events WHERE {} ORDER BY id",
        sql.clause()
    );
    sql.bind(sqlx::query_as(sqlx::AssertSqlSafe(text)))
        .fetch_all(&db.pool)
        .await
}

/// The document's date of a publication's grant.
pub async fn grant_document_date(db: &Db, grant_id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT document_date FROM published_grades WHERE id = $1")
            .bind(grant_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|(date,)| date))
}

/// Every round's name by id (a handful: the directory names each member's round from it).
pub async fn round_names(db: &Db) -> Result<Vec<(i64, String)>> {
    sqlx::query_as("SELECT id, name FROM rounds ORDER BY id")
        .fetch_all(&db.pool)
        .await
}

/// Active members counted by scheme, type, result and region path.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberCount {
    pub scheme_id: String,
    pub provider_type: String,
    pub type_label: String,
    pub result: String,
    pub stars: Option<i64>,
    pub region_path: String,
    pub count: i64,
}

pub async fn member_counts(
    db: &Db,
    scheme_id: Option<&str>,
    region_path: Option<&str>,
) -> Result<Vec<MemberCount>> {
    let mut sql = Conditions::new();
    sql.push_text("status = ", "active".into(), "");
    if let Some(scheme) = scheme_id {
        sql.push_text("scheme_id = ", scheme.to_owned(), "");
    }
    if let Some(path) = region_path {
        sql.push_path("region_path", path);
    }
    let text = format!(
        "SELECT scheme_id, provider_type, type_label, result, stars, region_path, COUNT(*) AS count \
         FROM pool_members WHERE {} \
         GROUP BY scheme_id, provider_type, type_label, result, stars, region_path \
         ORDER BY scheme_id, provider_type, region_path, result",
        sql.clause()
    );
    sql.bind(sqlx::query_as(sqlx::AssertSqlSafe(text)))
        .fetch_all(&db.pool)
        .await
}

/// Grants per round and result, from the publications (every grant, renewals included).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoundGrantCount {
    pub round_id: i64,
    pub round_name: String,
    pub result: String,
    pub stars: Option<i64>,
    pub count: i64,
}

pub async fn grants_per_round(
    db: &Db,
    scheme_id: Option<&str>,
    region_path: Option<&str>,
) -> Result<Vec<RoundGrantCount>> {
    let mut sql = Conditions::new();
    if let Some(scheme) = scheme_id {
        sql.push_text("r.scheme_id = ", scheme.to_owned(), "");
    }
    if let Some(path) = region_path {
        sql.push_path("o.region_path", path);
    }
    let text = format!(
        "SELECT g.round_id, r.name AS round_name, g.result, g.stars, COUNT(*) AS count \
         FROM published_grades g JOIN rounds r ON r.id = g.round_id \
         JOIN organizations o ON o.id = g.organization_id WHERE {} \
         GROUP BY g.round_id, r.name, g.result, g.stars ORDER BY g.round_id, g.result",
        sql.clause()
    );
    sql.bind(sqlx::query_as(sqlx::AssertSqlSafe(text)))
        .fetch_all(&db.pool)
        .await
}

/// The pool's version: it changes with every grant, event and member change (the newest
/// member, event and publication and the latest change, each read from an index).
pub async fn pool_version(db: &Db) -> Result<(i64, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM pool_members), \
                (SELECT COALESCE(MAX(updated_at), 0) FROM pool_members), \
                (SELECT COALESCE(MAX(id), 0) FROM pool_events), \
                (SELECT COALESCE(MAX(id), 0) FROM published_grades)",
    )
    .fetch_one(&db.pool)
    .await
}
