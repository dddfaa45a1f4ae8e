//! Users, sessions, sign-in attempts and API tokens.

use super::*;

// --- users, sessions, sign-in attempts, tokens ----------------------------------------------

const USER_COLUMNS: &str = "id, username, display_name, password_hash, role, organization_id, region_id, must_change_password, disabled, created_at, email";

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

pub async fn insert_user(tx: &mut Tx, user: &NewUser<'_>, now: i64) -> Result<i64> {
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
    .fetch_one(tx.conn())
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

/// A user by name, read inside a command's transaction.
pub async fn user_by_username_in(tx: &mut Tx, username: &str) -> Result<Option<User>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
    )))
    .bind(username)
    .fetch_optional(tx.conn())
    .await
}

pub async fn count_users_in(tx: &mut Tx) -> Result<i64> {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(tx.conn())
        .await?;
    Ok(count)
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
    tx: &mut Tx,
    user_id: i64,
    password_hash: &str,
    must_change: bool,
) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(i64::from(must_change))
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn insert_session(
    tx: &mut Tx,
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
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The user of a live session and its CSRF token.
/// The users' columns as read through the alias `u`.
const USER_COLUMNS_U: &str = "u.id, u.username, u.display_name, u.password_hash, u.role, u.organization_id, u.region_id, u.must_change_password, u.disabled, u.created_at, u.email";

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

pub async fn delete_session(tx: &mut Tx, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Ends every session of a user except, optionally, one (after a password change).
pub async fn delete_sessions_of(tx: &mut Tx, user_id: i64, keep: Option<&str>) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Records a sign-in attempt as failed before the password is checked, so that parallel
/// guesses all count; [`login_succeeded`] turns it into a success. Returns its id.
pub async fn record_login_attempt(
    tx: &mut Tx,
    username: &str,
    address: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO login_attempts (username, address, succeeded, at) VALUES ($1, $2, 0, $3) RETURNING id",
    )
    .bind(username)
    .bind(address)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

pub async fn login_succeeded(tx: &mut Tx, attempt_id: i64) -> Result<()> {
    sqlx::query("UPDATE login_attempts SET succeeded = 1 WHERE id = $1")
        .bind(attempt_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Failed sign-ins since `since`: for the user name (since its last success), for the name
/// from this address (likewise), and from this address for any name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub name: i64,
    pub pair: i64,
    pub address: i64,
}

pub async fn recent_failures(
    tx: &mut Tx,
    username: &str,
    address: &str,
    since: i64,
) -> Result<Failures> {
    let (name, pair): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN address = $3 THEN 1 ELSE 0 END), 0) FROM login_attempts \
         WHERE username = $1 AND succeeded = 0 AND at >= $2 \
         AND at >= COALESCE((SELECT MAX(at) FROM login_attempts WHERE username = $1 AND succeeded = 1), 0)",
    )
    .bind(username)
    .bind(since)
    .bind(address)
    .fetch_one(tx.conn())
    .await?;
    let (by_address,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM login_attempts WHERE address = $1 AND succeeded = 0 AND at >= $2",
    )
    .bind(address)
    .bind(since)
    .fetch_one(tx.conn())
    .await?;
    Ok(Failures {
        name,
        pair,
        address: by_address,
    })
}

/// Serialises the sign-in attempts of one user name on PostgreSQL (SQLite has one writer):
/// the count and the new attempt are then one step.
pub async fn lock_username(tx: &mut Tx, username: &str) -> Result<()> {
    if tx.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(username)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

pub async fn insert_token(
    tx: &mut Tx,
    user_id: i64,
    name: &str,
    token_hash: &str,
    scopes: TokenScopes,
    expires_at: Option<i64>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as("INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(scopes.as_str())
        .bind(now)
        .bind(expires_at)
        .fetch_one(tx.conn())
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
    #[sqlx(try_from = "String")]
    pub scopes: TokenScopes,
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
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0 \
         AND (t.expires_at IS NULL OR t.expires_at > $2)"
    )))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    if let Some(token) = &found
        && token
            .last_used_at
            .is_none_or(|at| now - at >= TOKEN_USE_RESOLUTION)
    {
        // Best effort, outside any command: a busy database delays the mark, never the call.
        if let Err(error) = sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(token.token_id)
            .execute(&db.pool)
            .await
        {
            tracing::warn!(%error, "token use not recorded");
        }
    }
    Ok(found)
}

/// Revokes every live token of a user (after a password change).
pub async fn revoke_tokens_of(tx: &mut Tx, user_id: i64, now: i64) -> Result<u64> {
    let result = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected())
}

pub async fn tokens_of(db: &Db, user_id: i64) -> Result<Vec<ApiToken>> {
    sqlx::query_as("SELECT id, user_id, name, scopes, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id")
        .bind(user_id)
        .fetch_all(&db.pool)
        .await
}

/// Revokes a token of this user; false when there is no such token of theirs.
pub async fn revoke_token(tx: &mut Tx, user_id: i64, token_id: i64, now: i64) -> Result<bool> {
    let result = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(token_id)
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    Ok(result.rows_affected() == 1)
}

/// What an API token may do: exactly `read`, or `read write`. `write` alone is refused, so
/// that no scope implies one it does not name. Stored as its text, read once here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScopes {
    Read,
    ReadWrite,
}

impl TokenScopes {
    /// Reads scopes as typed or stored (any order, repeated words allowed).
    pub fn parse(text: &str) -> Option<TokenScopes> {
        let mut scopes: Vec<&str> = text.split_whitespace().collect();
        scopes.sort_unstable();
        scopes.dedup();
        match scopes.as_slice() {
            ["read"] => Some(TokenScopes::Read),
            ["read", "write"] => Some(TokenScopes::ReadWrite),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScopes::Read => "read",
            TokenScopes::ReadWrite => "read write",
        }
    }

    pub fn may_write(self) -> bool {
        self == TokenScopes::ReadWrite
    }
}

impl TryFrom<String> for TokenScopes {
    type Error = UnknownScopes;

    fn try_from(text: String) -> std::result::Result<TokenScopes, UnknownScopes> {
        TokenScopes::parse(&text).ok_or(UnknownScopes(text))
    }
}

impl Serialize for TokenScopes {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Stored scopes that are not `read` or `read write`.
#[derive(Debug, thiserror::Error)]
#[error("unknown token scopes `{0}`")]
pub struct UnknownScopes(String);
