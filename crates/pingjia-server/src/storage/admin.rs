//! Administration: users filtered and scoped, account changes (disable, region, e-mail),
//! self-registered organisations, registration throttling, and reading the audit log.

use super::*;

/// A user as the account lists show it: with the region's name and path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UserRow {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub user: User,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub region_path: Option<String>,
}

/// Which users a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Only users whose region lies inside this path.
    pub region_path: Option<String>,
    /// Only these roles (empty: any).
    pub roles: Vec<Role>,
    pub disabled: Option<bool>,
    /// Part of the user name or the display name.
    pub name: Option<String>,
}

const USER_ROW_COLUMNS: &str = "u.id, u.username, u.display_name, u.password_hash, u.role, u.organization_id, u.region_id, u.must_change_password, u.disabled, u.created_at, u.email, r.code AS region_code, r.name AS region_name, r.path AS region_path";

/// One page of users matching the filter, by id, and how many match.
pub async fn users_filtered(
    db: &Db,
    filter: &UserFilter,
    page: Page,
) -> Result<(Vec<UserRow>, i64)> {
    let mut sql = Conditions::new();
    if let Some(path) = &filter.region_path {
        sql.push_path("r.path", path);
    }
    if !filter.roles.is_empty() {
        let mut parts = Vec::new();
        for role in &filter.roles {
            parts.push(format!("${}", sql.next()));
            sql.args.push(Arg::Text(role.as_str().to_owned()));
        }
        sql.parts.push(format!("u.role IN ({})", parts.join(", ")));
    }
    if let Some(disabled) = filter.disabled {
        sql.push_int("u.disabled = ", i64::from(disabled));
    }
    if let Some(name) = &filter.name {
        let pattern = contains_pattern(name);
        let first = sql.next();
        sql.args.push(Arg::Text(pattern.clone()));
        sql.args.push(Arg::Text(pattern));
        sql.parts.push(format!(
            "(u.username LIKE ${first} ESCAPE '\\' OR u.display_name LIKE ${} ESCAPE '\\')",
            first + 1
        ));
    }
    let clause = sql.clause();
    let from = "FROM users u LEFT JOIN regions r ON r.id = u.region_id";
    let total = count(
        db,
        &sql,
        &format!("SELECT COUNT(*) {from} WHERE {clause}"),
        false,
    )
    .await?;
    let (limit, offset) = (sql.next(), sql.next() + 1);
    let rows = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_ROW_COLUMNS} {from} WHERE {clause} ORDER BY u.id LIMIT ${limit} OFFSET ${offset}"
        ))))
        .bind(page.size)
        .bind(page.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((rows, total))
}

/// One user with its region.
pub async fn user_row(db: &Db, id: i64) -> Result<Option<UserRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_ROW_COLUMNS} FROM users u LEFT JOIN regions r ON r.id = u.region_id WHERE u.id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// One user with its region, read (and on PostgreSQL locked) inside a command.
pub async fn lock_user_row(tx: &mut Tx, id: i64) -> Result<Option<UserRow>> {
    let lock = if tx.backend == Backend::Postgres {
        " FOR UPDATE OF u"
    } else {
        ""
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_ROW_COLUMNS} FROM users u LEFT JOIN regions r ON r.id = u.region_id WHERE u.id = $1{lock}"
    )))
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

pub async fn set_disabled(tx: &mut Tx, user_id: i64, disabled: bool) -> Result<()> {
    sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(i64::from(disabled))
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn set_user_region(tx: &mut Tx, user_id: i64, region_id: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE users SET region_id = $1 WHERE id = $2")
        .bind(region_id)
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn set_user_email(tx: &mut Tx, user_id: i64, email: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
        .bind(email)
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Records a self-registration of an organisation: its contact, phone and the time.
pub async fn mark_registered(
    tx: &mut Tx,
    organization_id: i64,
    contact: &str,
    phone: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE organizations SET contact = $1, phone = $2, registered_at = $3 WHERE id = $4",
    )
    .bind(contact)
    .bind(phone)
    .bind(now)
    .bind(organization_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A self-registered organisation as the county's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Registration {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    #[sqlx(try_from = "String")]
    pub kind: OrgKind,
    pub region_name: String,
    pub contact: String,
    pub phone: String,
    pub registered_at: i64,
}

/// Self-registered organisations inside a region, newest first, and how many there are.
pub async fn registrations_in(
    db: &Db,
    region_path: &str,
    page: Page,
) -> Result<(Vec<Registration>, i64)> {
    let mut sql = Conditions::new();
    sql.push_path("o.region_path", region_path);
    sql.parts.push("o.registered_at IS NOT NULL".into());
    let clause = sql.clause();
    let total = count(
        db,
        &sql,
        &format!("SELECT COUNT(*) FROM organizations o WHERE {clause}"),
        false,
    )
    .await?;
    let (limit, offset) = (sql.next(), sql.next() + 1);
    let rows = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT o.id, o.name, o.credit_code, o.kind, r.name AS region_name, o.contact, o.phone, o.registered_at \
             FROM organizations o JOIN regions r ON r.id = o.region_id WHERE {clause} \
             ORDER BY o.registered_at DESC, o.id DESC LIMIT ${limit} OFFSET ${offset}"
        ))))
        .bind(page.size)
        .bind(page.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((rows, total))
}

/// Counts the registrations attempted from an address since `since` and records this one, in
/// one step (so that parallel attempts all count). Returns the count before this attempt.
pub async fn record_registration_attempt(
    tx: &mut Tx,
    address: &str,
    since: i64,
    now: i64,
) -> Result<i64> {
    if tx.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("registration:{address}"))
            .execute(tx.conn())
            .await?;
    }
    let (before,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM registration_attempts WHERE address = $1 AND at >= $2",
    )
    .bind(address)
    .bind(since)
    .fetch_one(tx.conn())
    .await?;
    sqlx::query("INSERT INTO registration_attempts (address, at) VALUES ($1, $2)")
        .bind(address)
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(before)
}

/// One entry of the audit log, with the actor's user name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: Option<String>,
    pub action: String,
    pub object: String,
    pub details: String,
}

/// Which audit entries a list shows; `from` and `to` are Unix seconds (to exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub object: Option<String>,
    pub action: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// One page of audit entries, newest first, and how many match.
pub async fn audit_entries(
    db: &Db,
    filter: &AuditFilter,
    page: Page,
) -> Result<(Vec<AuditEntry>, i64)> {
    let mut sql = Conditions::new();
    if let Some(actor) = &filter.actor {
        sql.push_text("u.username = ", actor.clone(), "");
    }
    if let Some(object) = &filter.object {
        sql.push_text("a.object = ", object.clone(), "");
    }
    if let Some(action) = &filter.action {
        sql.push_text("a.action = ", action.clone(), "");
    }
    if let Some(from) = filter.from {
        sql.push_int("a.at >= ", from);
    }
    if let Some(to) = filter.to {
        sql.push_int("a.at < ", to);
    }
    let clause = sql.clause();
    let from = "FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id";
    let total = count(
        db,
        &sql,
        &format!("SELECT COUNT(*) {from} WHERE {clause}"),
        false,
    )
    .await?;
    let (limit, offset) = (sql.next(), sql.next() + 1);
    let rows = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT a.id, a.at, a.actor_id, u.username AS actor, a.action, a.object, a.details {from} \
             WHERE {clause} ORDER BY a.id DESC LIMIT ${limit} OFFSET ${offset}"
        ))))
        .bind(page.size)
        .bind(page.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((rows, total))
}
