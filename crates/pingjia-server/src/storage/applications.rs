//! Applications and their versions.

use super::*;

// --- applications and versions --------------------------------------------------------------

pub(super) const APPLICATION_COLUMNS: &str = "id, organization_id, scheme_id, provider_type, round_id, state, region_path, created_by, created_at, updated_at, submitted_at";
const VERSION_COLUMNS: &str = "id, application_id, number, body, stars, score, grade, created_by, created_at, updated_at, submitted_at, organization";

/// What a new application is declared under: scheme, provider type and round.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub scheme_id: &'a str,
    pub provider_type: Option<&'a str>,
    pub round_id: i64,
    /// The offices of its route, `/county/city/province/` (see `Scope::Region`).
    pub offices: &'a str,
}

/// Creates an application in `draft` with its first (empty) version.
pub async fn insert_application(
    tx: &mut Tx,
    organization: &Organization,
    target: Target<'_>,
    body: &str,
    user_id: i64,
    now: i64,
) -> Result<(i64, i64)> {
    let Target {
        scheme_id,
        provider_type,
        round_id,
        offices,
    } = target;
    let (application_id,): (i64,) = sqlx::query_as(
        "INSERT INTO applications (organization_id, scheme_id, provider_type, round_id, state, region_path, created_by, created_at, updated_at, offices) \
         VALUES ($1, $2, $3, $7, 'draft', $4, $5, $6, $6, $8) RETURNING id",
    )
    .bind(organization.id)
    .bind(scheme_id)
    .bind(provider_type)
    .bind(&organization.region_path)
    .bind(user_id)
    .bind(now)
    .bind(round_id)
    .bind(offices)
    .fetch_one(tx.conn())
    .await?;
    let (version_id,): (i64,) = sqlx::query_as(
        "INSERT INTO declaration_versions (application_id, number, body, created_by, created_at, updated_at) VALUES ($1, 1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(application_id)
    .bind(body)
    .bind(user_id)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    tx.changes_totals();
    Ok((application_id, version_id))
}

/// An application, if the scope may see it. A denied request and a missing one look the same.
/// The open application (not in a final state) of an organisation under a scheme, provider
/// type and round, if there is one.
pub async fn open_application_of(
    tx: &mut Tx,
    organization_id: i64,
    scheme_id: &str,
    provider_type: Option<&str>,
    round_id: Option<i64>,
) -> Result<Option<i64>> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM applications WHERE organization_id = $1 AND scheme_id = $2 \
         AND COALESCE(provider_type, '') = $3 AND COALESCE(round_id, 0) = $4 \
         AND state NOT IN ('published', 'rejected', 'revoked', 'removed', 'withdrawn', 'not_graded')",
    )
    .bind(organization_id)
    .bind(scheme_id)
    .bind(provider_type.unwrap_or(""))
    .bind(round_id.unwrap_or(0))
    .fetch_optional(tx.conn())
    .await?;
    Ok(found.map(|(id,)| id))
}

pub async fn application(db: &Db, scope: &Scope, id: i64) -> Result<Option<Application>> {
    // An expert's lookup starts from its own assignment of that id (one probe of the
    // assignments' index), and reads the application only when admitted: an application it
    // may not see costs what a missing id costs (`tests/server/experts.rs` measures both).
    if let Scope::Expert(user_id) = scope {
        let text = format!(
            "SELECT {APPLICATION_COLUMNS} FROM applications \
             WHERE id = ({} AND s.application_id = $2 LIMIT 1) AND {}",
            super::query::expert_applications(1),
            super::query::EXPERT_STATES
        );
        return sqlx::query_as(sqlx::AssertSqlSafe(text))
            .bind(user_id)
            .bind(id)
            .fetch_optional(&db.pool)
            .await;
    }
    let mut sql = Conditions::new();
    sql.push_int("id = ", id);
    if !sql.push_scope(scope, "") {
        return Ok(None);
    }
    let text = format!(
        "SELECT {APPLICATION_COLUMNS} FROM applications WHERE {}",
        sql.clause()
    );
    sql.bind(sqlx::query_as(sqlx::AssertSqlSafe(text)))
        .fetch_optional(&db.pool)
        .await
}

/// What a list of applications may be narrowed by, beyond what the caller may see. Every
/// field is optional; given ones are combined with AND. Values are checked by the caller
/// (`applications::ListFilter`); here they are only bound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationFilter {
    pub state: Option<String>,
    pub scheme_id: Option<String>,
    pub provider_type: Option<String>,
    /// A region's path: only organisations inside it (a narrowing: the scope still applies).
    pub region_path: Option<String>,
    /// Part of the organisation's name.
    pub organization_name: Option<String>,
    /// Least recently changed first (those waiting longest), instead of most recently.
    pub oldest_first: bool,
}

/// Applications the scope may see, narrowed by `filter`, most recently changed first, with
/// their latest version's grade; and how many there are in all.
pub async fn applications(
    db: &Db,
    scope: &Scope,
    filter: &ApplicationFilter,
    page: Page,
) -> Result<(Vec<ApplicationSummary>, i64)> {
    let mut sql = Conditions::new();
    if !sql.push_scope(scope, "a.") {
        return Ok((Vec::new(), 0));
    }
    if let Some(state) = &filter.state {
        sql.push_text("a.state = ", state.clone(), "");
    }
    if let Some(scheme) = &filter.scheme_id {
        sql.push_text("a.scheme_id = ", scheme.clone(), "");
    }
    if let Some(provider_type) = &filter.provider_type {
        sql.push_text("a.provider_type = ", provider_type.clone(), "");
    }
    if let Some(path) = &filter.region_path {
        sql.push_path("a.region_path", path);
    }
    let by_name = filter.organization_name.is_some();
    if let Some(name) = &filter.organization_name {
        sql.push_text("o.name LIKE ", contains_pattern(name), " ESCAPE '\\'");
    }
    let clause = sql.clause();
    let join = if by_name {
        " JOIN organizations o ON o.id = a.organization_id"
    } else {
        ""
    };
    // An applicant's own few applications, and name searches (a renamed organisation changes
    // them), are counted each time; a region's total is kept until an application or
    // organisation is created or an application changes state (db::Totals).
    let remembered = matches!(scope, Scope::Region(..)) && !by_name;
    let total = count(
        db,
        &sql,
        &format!("SELECT COUNT(*) FROM applications a{join} WHERE {clause}"),
        remembered,
    )
    .await?;
    if page.offset() >= total {
        return Ok((Vec::new(), total));
    }
    // Two ways to a region's page: walk `applications_updated` newest first and stop after
    // the page, or take the region's range of `applications_region_updated` and sort it. An
    // organisation's own list goes by `applications_org`, as the planner sees fit.
    let hint = match scope {
        Scope::Region(..) => {
            index_hint(
                db,
                "applications",
                page,
                total,
                ["applications_updated", "applications_region_updated"],
            )
            .await?
        }
        _ => String::new(),
    };
    let (limit, offset) = (sql.next(), sql.next() + 1);
    let order = if filter.oldest_first { "ASC" } else { "DESC" };
    // The page is chosen from the applications alone (with the organisation only when its
    // name is searched), so the rows skipped by OFFSET cost an index entry each; only the
    // page's own rows are then joined with their organisation and latest version (the one
    // with the highest number, read per row on the (application_id, number) key).
    // The owner sees its latest version, the open draft included, and when it last changed;
    // everyone else sees the latest submitted version and only changes made in the open
    // (a draft's autosaves never move `applications.updated_at`: see `save_draft`).
    let (shown_version, shown_updated) = match scope {
        Scope::Organization(_) => ("", "v.updated_at"),
        _ => (" AND submitted_at IS NOT NULL", "a.updated_at"),
    };
    let rows = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT a.id, a.organization_id, o.name AS organization_name, a.scheme_id, a.provider_type, a.state, {shown_updated} AS updated_at, \
                    v.number AS version, v.grade, v.stars, v.score, a.round_id, a.respond_by \
             FROM (SELECT a.id FROM applications a{hint}{join} \
                   WHERE {clause} ORDER BY a.updated_at {order}, a.id {order} LIMIT ${limit} OFFSET ${offset}) page \
             JOIN applications a ON a.id = page.id \
             JOIN organizations o ON o.id = a.organization_id \
             JOIN declaration_versions v ON v.id = \
                  (SELECT id FROM declaration_versions WHERE application_id = a.id{shown_version} ORDER BY number DESC LIMIT 1) \
             ORDER BY a.updated_at {order}, a.id {order}"
        ))))
        .bind(page.size)
        .bind(page.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((rows, total))
}

pub async fn versions(db: &Db, application_id: i64) -> Result<Vec<Version>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {VERSION_COLUMNS} FROM declaration_versions WHERE application_id = $1 ORDER BY number")))
        .bind(application_id)
        .fetch_all(&db.pool)
        .await
}

/// Takes the application's row lock for the rest of the transaction (a no-op update, which
/// both databases lock; SQLite's one writer already serialises) and reads it. Commands that
/// look at an application's state and then change it begin here, so two of them never both
/// act on the same state.
pub async fn lock_application(tx: &mut Tx, id: i64) -> Result<Option<Application>> {
    sqlx::query("UPDATE applications SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {APPLICATION_COLUMNS} FROM applications WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

/// The latest version, read inside a command's transaction.
pub async fn latest_version_in(tx: &mut Tx, application_id: i64) -> Result<Version> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {VERSION_COLUMNS} FROM declaration_versions WHERE application_id = $1 ORDER BY number DESC LIMIT 1")))
        .bind(application_id)
        .fetch_one(tx.conn())
        .await
}

pub async fn latest_version(db: &Db, application_id: i64) -> Result<Version> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {VERSION_COLUMNS} FROM declaration_versions WHERE application_id = $1 ORDER BY number DESC LIMIT 1")))
        .bind(application_id)
        .fetch_one(&db.pool)
        .await
}

/// The grade cached on a version, for lists.
#[derive(Debug)]
pub struct Grade<'a> {
    pub stars: Option<i64>,
    pub score: Option<String>,
    pub grade: &'a str,
}

/// Saves a draft's body; refuses (returns false, changing nothing) if the version is already
/// submitted. The application's `updated_at` does not move: it is what reviewers see and sort
/// by, and an applicant's typing in a returned application's new draft is not theirs to see.
pub async fn save_draft(
    tx: &mut Tx,
    version_id: i64,
    body: &str,
    grade: &Grade<'_>,
    now: i64,
) -> Result<bool> {
    let result = sqlx::query(
        "UPDATE declaration_versions SET body = $1, stars = $2, score = $3, grade = $4, updated_at = $5 WHERE id = $6 AND submitted_at IS NULL",
    )
    .bind(body)
    .bind(grade.stars)
    .bind(&grade.score)
    .bind(grade.grade)
    .bind(now)
    .bind(version_id)
    .execute(tx.conn())
    .await?;
    if result.rows_affected() != 1 {
        return Ok(false);
    }
    Ok(true)
}

/// Starts a new draft version from the latest submitted one, carrying its evidence along.
pub async fn new_draft_version(
    tx: &mut Tx,
    from: &Version,
    user_id: i64,
    now: i64,
) -> Result<Version> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO declaration_versions (application_id, number, body, stars, score, grade, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(from.application_id)
    .bind(from.number + 1)
    .bind(&from.body)
    .bind(from.stars)
    .bind(&from.score)
    .bind(&from.grade)
    .bind(user_id)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    sqlx::query(
        "INSERT INTO evidence (version_id, application_id, organization_id, criterion_id, sha256, filename, uploaded_by, uploaded_at) \
         SELECT $1, application_id, organization_id, criterion_id, sha256, filename, uploaded_by, uploaded_at FROM evidence \
         WHERE version_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(from.id)
    .execute(tx.conn())
    .await?;
    latest_version_in(tx, from.application_id).await
}

/// Freezes a draft version and moves the application to `to_state` (county review). False if the version
/// was not a draft any more (a concurrent submission).
pub async fn submit(
    tx: &mut Tx,
    application_id: i64,
    version_id: i64,
    to_state: &str,
    organization: &str,
    now: i64,
) -> Result<bool> {
    let frozen = sqlx::query(
        "UPDATE declaration_versions SET submitted_at = $1, organization = $3 WHERE id = $2 AND submitted_at IS NULL",
    )
    .bind(now)
    .bind(version_id)
    .bind(organization)
    .execute(tx.conn())
    .await?;
    if frozen.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE applications SET state = $3, submitted_at = $1, updated_at = $1, respond_by = NULL WHERE id = $2",
    )
    .bind(now)
    .bind(application_id)
    .bind(to_state)
    .execute(tx.conn())
    .await?;
    tx.changes_totals();
    Ok(true)
}
