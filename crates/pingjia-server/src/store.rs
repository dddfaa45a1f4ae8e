//! Every query of the application, as typed functions over [`Db`]. One SQL dialect serves
//! SQLite and PostgreSQL (`$1` placeholders, `RETURNING`, `ON CONFLICT`); timestamps are Unix
//! seconds. Visibility is part of the queries: callers pass a [`Scope`], never filter later.

use crate::db::{Backend, Db};
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Region {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_id: Option<i64>,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub kind: String,
    pub region_id: i64,
    pub region_path: String,
    pub address: String,
    pub contact: String,
    pub phone: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub organization_id: Option<i64>,
    pub region_id: Option<i64>,
    pub must_change_password: i64,
    pub disabled: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Application {
    pub id: i64,
    pub organization_id: i64,
    pub scheme_id: String,
    pub provider_type: Option<String>,
    pub round_id: Option<i64>,
    pub state: String,
    pub region_path: String,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
}

/// An application with what a list shows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApplicationSummary {
    pub id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub scheme_id: String,
    pub provider_type: Option<String>,
    pub state: String,
    pub updated_at: i64,
    pub version: i64,
    pub grade: Option<String>,
    pub stars: Option<i64>,
    pub score: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Version {
    pub id: i64,
    pub application_id: i64,
    pub number: i64,
    pub body: String,
    pub stars: Option<i64>,
    pub score: Option<String>,
    pub grade: Option<String>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Evidence {
    pub id: i64,
    pub version_id: i64,
    pub application_id: i64,
    pub organization_id: i64,
    pub criterion_id: Option<String>,
    pub sha256: String,
    pub filename: String,
    pub uploaded_by: i64,
    pub uploaded_at: i64,
    pub size: i64,
    pub media_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Which applications a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// An applicant: its own organisation's applications, drafts included.
    Organization(i64),
    /// A reviewer or authority: submitted applications of organisations inside a region.
    Region(String),
    /// Nothing (deny by default).
    Nothing,
}

/// One page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: i64,
    pub size: i64,
}

impl Page {
    pub fn new(number: Option<i64>, size: Option<i64>) -> Page {
        Page {
            number: number.unwrap_or(1).max(1),
            size: size.unwrap_or(20).clamp(1, 200),
        }
    }
    fn offset(self) -> i64 {
        (self.number - 1) * self.size
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

type Result<T> = std::result::Result<T, sqlx::Error>;

// --- regions -------------------------------------------------------------------------------

pub async fn insert_region(
    db: &Db,
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
        .execute(&db.pool)
        .await?;
    region_by_code(db, code)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
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

// --- organisations -------------------------------------------------------------------------

const ORGANIZATION_COLUMNS: &str = "id, name, credit_code, kind, region_id, region_path, address, contact, phone, created_at, updated_at";

pub async fn insert_organization(
    db: &Db,
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
    .fetch_one(&db.pool)
    .await?;
    db.totals.invalidate();
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
    db: &Db,
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
        .execute(&db.pool)
        .await?;
    Ok(())
}

// --- users, sessions, sign-in attempts, tokens ----------------------------------------------

const USER_COLUMNS: &str = "id, username, display_name, password_hash, role, organization_id, region_id, must_change_password, disabled, created_at";

#[derive(Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub organization_id: Option<i64>,
    pub region_id: Option<i64>,
    pub must_change_password: bool,
}

pub async fn insert_user(db: &Db, user: &NewUser<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (username, display_name, password_hash, role, organization_id, region_id, must_change_password, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(user.username)
    .bind(user.display_name)
    .bind(user.password_hash)
    .bind(user.role)
    .bind(user.organization_id)
    .bind(user.region_id)
    .bind(i64::from(user.must_change_password))
    .bind(now)
    .fetch_one(&db.pool)
    .await?;
    Ok(id)
}

pub async fn user_by_username(db: &Db, username: &str) -> Result<Option<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
    )))
    .bind(username)
    .fetch_optional(&db.pool)
    .await
}

pub async fn user(db: &Db, id: i64) -> Result<Option<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn count_users(db: &Db) -> Result<i64> {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&db.pool)
        .await?;
    Ok(count)
}

pub async fn users(db: &Db, page: Page) -> Result<Vec<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users ORDER BY id LIMIT $1 OFFSET $2"
    )))
    .bind(page.size)
    .bind(page.offset())
    .fetch_all(&db.pool)
    .await
}

pub async fn set_password(
    db: &Db,
    user_id: i64,
    password_hash: &str,
    must_change: bool,
) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(i64::from(must_change))
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The user of a live session and its CSRF token.
/// The users' columns as read through the alias `u`.
const USER_COLUMNS_U: &str = "u.id, u.username, u.display_name, u.password_hash, u.role, u.organization_id, u.region_id, u.must_change_password, u.disabled, u.created_at";

/// Who a session belongs to, with what every request needs of them, in one query.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionUser {
    #[sqlx(flatten)]
    pub user: User,
    pub csrf_token: String,
    /// The path of the user's region (reviewers, authorities).
    pub region_path: Option<String>,
}

/// The enabled user of a live session (one query: every authenticated request asks it).
pub async fn session_user(db: &Db, token_hash: &str, now: i64) -> Result<Option<SessionUser>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS_U}, s.csrf_token, r.path AS region_path \
         FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN regions r ON r.id = u.region_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0"
    )))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&db.pool)
    .await
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends every session of a user except, optionally, one (after a password change).
pub async fn delete_sessions_of(db: &Db, user_id: i64, keep: Option<&str>) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn record_login_attempt(
    db: &Db,
    username: &str,
    succeeded: bool,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO login_attempts (username, succeeded, at) VALUES ($1, $2, $3)")
        .bind(username)
        .bind(i64::from(succeeded))
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Failed sign-ins of a user name since `since`, not counting those before its last success.
pub async fn recent_failures(db: &Db, username: &str, since: i64) -> Result<i64> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM login_attempts WHERE username = $1 AND succeeded = 0 AND at >= $2 \
         AND at >= COALESCE((SELECT MAX(at) FROM login_attempts WHERE username = $1 AND succeeded = 1), 0)",
    )
    .bind(username)
    .bind(since)
    .fetch_one(&db.pool)
    .await?;
    Ok(count)
}

pub async fn insert_token(
    db: &Db,
    user_id: i64,
    name: &str,
    token_hash: &str,
    scopes: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as("INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(scopes)
        .bind(now)
        .fetch_one(&db.pool)
        .await?;
    Ok(id)
}

/// The user of an unrevoked token and the token's scopes; records the use.
/// Who an API token belongs to, with its scopes.
#[derive(Debug, sqlx::FromRow)]
pub struct TokenUser {
    #[sqlx(flatten)]
    pub user: User,
    pub token_id: i64,
    pub scopes: String,
    pub last_used_at: Option<i64>,
    pub region_path: Option<String>,
}

/// How stale a token's `last_used_at` may be: recording every use would make each API call a
/// write (and, on PostgreSQL, a flush of the log).
const TOKEN_USE_RESOLUTION: i64 = 60;

/// The enabled user of a live API token; records its use (to the minute).
pub async fn token_user(db: &Db, token_hash: &str, now: i64) -> Result<Option<TokenUser>> {
    let found: Option<TokenUser> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS_U}, t.id AS token_id, t.scopes, t.last_used_at, r.path AS region_path \
         FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN regions r ON r.id = u.region_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0"
    )))
    .bind(token_hash)
    .fetch_optional(&db.pool)
    .await?;
    if let Some(token) = &found
        && token
            .last_used_at
            .is_none_or(|at| now - at >= TOKEN_USE_RESOLUTION)
    {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(token.token_id)
            .execute(&db.pool)
            .await?;
    }
    Ok(found)
}

pub async fn tokens_of(db: &Db, user_id: i64) -> Result<Vec<ApiToken>> {
    sqlx::query_as("SELECT id, user_id, name, scopes, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id")
        .bind(user_id)
        .fetch_all(&db.pool)
        .await
}

/// Revokes a token of this user; false when there is no such token of theirs.
pub async fn revoke_token(db: &Db, user_id: i64, token_id: i64, now: i64) -> Result<bool> {
    let result = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(token_id)
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(result.rows_affected() == 1)
}

// --- applications and versions --------------------------------------------------------------

const APPLICATION_COLUMNS: &str = "id, organization_id, scheme_id, provider_type, round_id, state, region_path, created_by, created_at, updated_at, submitted_at";
const VERSION_COLUMNS: &str = "id, application_id, number, body, stars, score, grade, created_by, created_at, updated_at, submitted_at";

/// Creates an application in `draft` with its first (empty) version.
pub async fn insert_application(
    db: &Db,
    organization: &Organization,
    scheme_id: &str,
    provider_type: Option<&str>,
    body: &str,
    user_id: i64,
    now: i64,
) -> Result<(i64, i64)> {
    let mut tx = db.pool.begin().await?;
    let (application_id,): (i64,) = sqlx::query_as(
        "INSERT INTO applications (organization_id, scheme_id, provider_type, state, region_path, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $6) RETURNING id",
    )
    .bind(organization.id)
    .bind(scheme_id)
    .bind(provider_type)
    .bind(&organization.region_path)
    .bind(user_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let (version_id,): (i64,) = sqlx::query_as(
        "INSERT INTO declaration_versions (application_id, number, body, created_by, created_at, updated_at) VALUES ($1, 1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(application_id)
    .bind(body)
    .bind(user_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    db.totals.invalidate();
    Ok((application_id, version_id))
}

/// An application, if the scope may see it. A denied request and a missing one look the same.
pub async fn application(db: &Db, scope: &Scope, id: i64) -> Result<Option<Application>> {
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

/// The half-open range `[path, end)` of the paths that start with `path`: every path inside
/// a region sorts between the region's own path and the same path with its last byte raised
/// (paths are ASCII digits and `/`, compared bytewise: SQLite's BINARY collation and the
/// `C` collation the PostgreSQL migrations give the path columns). A range, unlike `LIKE`,
/// is read from an index on both databases.
pub fn path_range(path: &str) -> (String, String) {
    let mut end = path.to_owned();
    match end.pop() {
        Some(last) if last < '\u{7f}' => end.push(char::from(last as u8 + 1)),
        Some(last) => end.extend([last, '\u{7f}']),
        None => end.push('\u{7f}'),
    }
    (path.to_owned(), end)
}

/// A `WHERE` clause under construction, with its parameters numbered in order.
#[derive(Debug, Default)]
struct Conditions {
    parts: Vec<String>,
    args: Vec<Arg>,
}

#[derive(Debug)]
enum Arg {
    Int(i64),
    Text(String),
}

type AnyQueryAs<'q, O> = sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>;

impl Conditions {
    fn new() -> Conditions {
        Conditions::default()
    }

    fn next(&self) -> usize {
        self.args.len() + 1
    }

    /// Adds `{prefix}$n` with an integer parameter.
    fn push_int(&mut self, prefix: &str, value: i64) {
        self.parts.push(format!("{prefix}${}", self.next()));
        self.args.push(Arg::Int(value));
    }

    /// Adds `{prefix}$n{suffix}` with a text parameter.
    fn push_text(&mut self, prefix: &str, value: String, suffix: &str) {
        self.parts.push(format!("{prefix}${}{suffix}", self.next()));
        self.args.push(Arg::Text(value));
    }

    /// Adds `column` within the paths under `path`.
    fn push_path(&mut self, column: &str, path: &str) {
        let (start, end) = path_range(path);
        self.push_text(&format!("{column} >= "), start, "");
        self.push_text(&format!("{column} < "), end, "");
    }

    /// Adds the visibility condition of a scope on the applications table (aliased by
    /// `table`, e.g. `"a."`); false when the scope sees nothing.
    fn push_scope(&mut self, scope: &Scope, table: &str) -> bool {
        match scope {
            Scope::Organization(id) => self.push_int(&format!("{table}organization_id = "), *id),
            Scope::Region(path) => {
                self.push_path(&format!("{table}region_path"), path);
                self.parts.push(format!("{table}state <> 'draft'"));
            }
            Scope::Nothing => return false,
        }
        true
    }

    fn clause(&self) -> String {
        if self.parts.is_empty() {
            "1 = 1".into()
        } else {
            self.parts.join(" AND ")
        }
    }

    fn bind<'q, O>(&self, mut query: AnyQueryAs<'q, O>) -> AnyQueryAs<'q, O> {
        for arg in &self.args {
            query = match arg {
                Arg::Int(value) => query.bind(*value),
                Arg::Text(value) => query.bind(value.clone()),
            };
        }
        query
    }
}

/// `%part%` for `LIKE … ESCAPE '\'`, with the part's own wildcards escaped.
fn contains_pattern(part: &str) -> String {
    let mut pattern = String::with_capacity(part.len() + 2);
    pattern.push('%');
    for c in part.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
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
    let remembered = matches!(scope, Scope::Region(_)) && !by_name;
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
        Scope::Region(_) => {
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
    // The page is chosen from the applications alone (with the organisation only when its
    // name is searched), so the rows skipped by OFFSET cost an index entry each; only the
    // page's own rows are then joined with their organisation and latest version (the one
    // with the highest number, read per row on the (application_id, number) key).
    let rows = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT a.id, a.organization_id, o.name AS organization_name, a.scheme_id, a.provider_type, a.state, a.updated_at, \
                    v.number AS version, v.grade, v.stars, v.score \
             FROM (SELECT a.id FROM applications a{hint}{join} \
                   WHERE {clause} ORDER BY a.updated_at DESC, a.id DESC LIMIT ${limit} OFFSET ${offset}) page \
             JOIN applications a ON a.id = page.id \
             JOIN organizations o ON o.id = a.organization_id \
             JOIN declaration_versions v ON v.id = \
                  (SELECT id FROM declaration_versions WHERE application_id = a.id ORDER BY number DESC LIMIT 1) \
             ORDER BY a.updated_at DESC, a.id DESC"
        ))))
        .bind(page.size)
        .bind(page.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((rows, total))
}

/// How SQLite is to read one page of a region's list from `table`: ` INDEXED BY walk` (walk
/// the list's order and stop after the page, about (offset + size) × all / total entries of a
/// larger index) or ` INDEXED BY sort` (the region's range, `total` entries, sorted — about
/// four times the cost per entry, measured on 100,000 applications: docs/benchmarks-web.md).
/// SQLite keeps no statistics and would always sort (a province: 70,000 rows for the first
/// 20), so it is told, from the totals at hand; PostgreSQL's planner weighs the two itself.
async fn index_hint(
    db: &Db,
    table: &str,
    page: Page,
    total: i64,
    [walk, sort]: [&str; 2],
) -> Result<String> {
    const SORT_COST: i64 = 4;
    if db.backend != Backend::Sqlite {
        return Ok(String::new());
    }
    let all = count(
        db,
        &Conditions::new(),
        &format!("SELECT COUNT(*) FROM {table}"),
        true,
    )
    .await?;
    let walked = (page.offset() + page.size).saturating_mul(all) / total.max(1);
    let index = if walked <= total.saturating_mul(SORT_COST) {
        walk
    } else {
        sort
    };
    Ok(format!(" INDEXED BY {index}"))
}

/// Runs a `COUNT(*)` query with the conditions' parameters; `remembered` keeps the result in
/// `db.totals` (keyed by the query and its parameters) until an application changes.
async fn count(db: &Db, sql: &Conditions, query: &str, remembered: bool) -> Result<i64> {
    let key = format!("{query} {:?}", sql.args);
    if remembered && let Some(total) = db.totals.get(&key) {
        return Ok(total);
    }
    // One count at a time: when a total expires under load, the requests that find it
    // missing wait for the first one's count instead of all counting at once.
    let _counting = if remembered {
        let guard = db.totals.counting().await;
        if let Some(total) = db.totals.get(&key) {
            return Ok(total);
        }
        Some(guard)
    } else {
        None
    };
    let generation = db.totals.generation();
    let (total,): (i64,) = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(query.to_owned())))
        .fetch_one(&db.pool)
        .await?;
    if remembered {
        db.totals.put(key, generation, total);
    }
    Ok(total)
}

pub async fn versions(db: &Db, application_id: i64) -> Result<Vec<Version>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {VERSION_COLUMNS} FROM declaration_versions WHERE application_id = $1 ORDER BY number")))
        .bind(application_id)
        .fetch_all(&db.pool)
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

/// Saves a draft's body and marks its application changed, in one transaction (one commit,
/// so one flush of the log); refuses (returns false, changing nothing) if the version is
/// already submitted.
pub async fn save_draft(
    db: &Db,
    version_id: i64,
    body: &str,
    grade: &Grade<'_>,
    now: i64,
) -> Result<bool> {
    let mut tx = db.pool.begin().await?;
    let result = sqlx::query(
        "UPDATE declaration_versions SET body = $1, stars = $2, score = $3, grade = $4, updated_at = $5 WHERE id = $6 AND submitted_at IS NULL",
    )
    .bind(body)
    .bind(grade.stars)
    .bind(&grade.score)
    .bind(grade.grade)
    .bind(now)
    .bind(version_id)
    .execute(&mut *tx)
    .await?;
    if result.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE applications SET updated_at = $1 WHERE id = (SELECT application_id FROM declaration_versions WHERE id = $2)",
    )
    .bind(now)
    .bind(version_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Starts a new draft version from the latest submitted one, carrying its evidence along.
pub async fn new_draft_version(db: &Db, from: &Version, user_id: i64, now: i64) -> Result<Version> {
    let mut tx = db.pool.begin().await?;
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
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO evidence (version_id, application_id, organization_id, criterion_id, sha256, filename, uploaded_by, uploaded_at) \
         SELECT $1, application_id, organization_id, criterion_id, sha256, filename, uploaded_by, uploaded_at FROM evidence \
         WHERE version_id = $2 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(from.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    latest_version(db, from.application_id).await
}

/// Freezes a draft version and moves the application to county review. False if the version
/// was not a draft any more (a concurrent submission).
pub async fn submit(db: &Db, application_id: i64, version_id: i64, now: i64) -> Result<bool> {
    let mut tx = db.pool.begin().await?;
    let frozen = sqlx::query(
        "UPDATE declaration_versions SET submitted_at = $1 WHERE id = $2 AND submitted_at IS NULL",
    )
    .bind(now)
    .bind(version_id)
    .execute(&mut *tx)
    .await?;
    if frozen.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE applications SET state = 'county_review', submitted_at = $1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(application_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    db.totals.invalidate();
    Ok(true)
}

// --- evidence --------------------------------------------------------------------------------

const EVIDENCE_COLUMNS: &str = "e.id, e.version_id, e.application_id, e.organization_id, e.criterion_id, e.sha256, e.filename, e.uploaded_by, e.uploaded_at, b.size, b.media_type";

pub async fn insert_blob(
    db: &Db,
    sha256: &str,
    size: i64,
    media_type: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO evidence_blobs (sha256, size, media_type, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING")
        .bind(sha256)
        .bind(size)
        .bind(media_type)
        .bind(now)
        .execute(&db.pool)
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

pub async fn insert_evidence(db: &Db, evidence: &NewEvidence<'_>, now: i64) -> Result<i64> {
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
    .fetch_one(&db.pool)
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

pub async fn delete_evidence(db: &Db, id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE evidence SET deleted_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
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

/// Whether any live attachment still references the content.
pub async fn blob_referenced(db: &Db, sha256: &str) -> Result<bool> {
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM evidence WHERE sha256 = $1 AND deleted_at IS NULL")
            .bind(sha256)
            .fetch_one(&db.pool)
            .await?;
    Ok(count > 0)
}

// --- audit log ------------------------------------------------------------------------------

/// Appends an entry to the hash chain: hash = SHA-256(previous hash, time, actor, action,
/// object, details). Anyone holding the table can recompute the chain.
pub async fn audit(
    db: &Db,
    actor: Option<i64>,
    action: &str,
    object: &str,
    details: &str,
    now: i64,
) -> Result<()> {
    let mut tx = db.pool.begin().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
    }
    let previous: Option<(String,)> =
        sqlx::query_as("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *tx)
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
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_range_holds_its_subtree_and_nothing_else() {
        let (start, end) = path_range("/32/3205/");
        assert_eq!((start.as_str(), end.as_str()), ("/32/3205/", "/32/32050"));
        let inside = |path: &str| start.as_str() <= path && path < end.as_str();
        assert!(inside("/32/3205/"));
        assert!(inside("/32/3205/320583/"));
        assert!(!inside("/32/3201/320115/"));
        assert!(!inside("/32/3206/"));
        assert!(!inside("/32/"));
        assert!(!inside("/33/3302/330602/"));
        assert_eq!(path_range("/"), ("/".to_owned(), "0".to_owned()));
    }

    #[test]
    fn name_searches_take_wildcards_literally() {
        assert_eq!(contains_pattern("甲公司"), "%甲公司%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
