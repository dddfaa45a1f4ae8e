//! Notifications: written inside the command that causes them, read by their recipient only,
//! and mailed (claimed, then marked) after the command commits.

use super::*;

/// What a notification is about. Stored as its id, read once here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    Returned,
    Rejected,
    Passed,
    Recommended,
    Withdrawn,
    Comment,
    Deadline,
    Registration,
    Account,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 9] = [
        NotificationKind::Returned,
        NotificationKind::Rejected,
        NotificationKind::Passed,
        NotificationKind::Recommended,
        NotificationKind::Withdrawn,
        NotificationKind::Comment,
        NotificationKind::Deadline,
        NotificationKind::Registration,
        NotificationKind::Account,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Returned => "returned",
            NotificationKind::Rejected => "rejected",
            NotificationKind::Passed => "passed",
            NotificationKind::Recommended => "recommended",
            NotificationKind::Withdrawn => "withdrawn",
            NotificationKind::Comment => "comment",
            NotificationKind::Deadline => "deadline",
            NotificationKind::Registration => "registration",
            NotificationKind::Account => "account",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

impl TryFrom<String> for NotificationKind {
    type Error = UnknownKind;

    fn try_from(text: String) -> std::result::Result<NotificationKind, UnknownKind> {
        NotificationKind::parse(&text).ok_or(UnknownKind(text))
    }
}

impl Serialize for NotificationKind {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A stored notification kind that is not one of [`NotificationKind`]'s.
#[derive(Debug, thiserror::Error)]
#[error("unknown notification kind `{0}`")]
pub struct UnknownKind(String);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub user_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: NotificationKind,
    pub application_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub emailed_at: Option<i64>,
}

const NOTIFICATION_COLUMNS: &str =
    "id, user_id, kind, application_id, title, body, created_at, read_at, emailed_at";

/// What one notification says; written for many recipients at once.
#[derive(Debug, Clone, Copy)]
pub struct NewNotification<'a> {
    pub kind: NotificationKind,
    pub application_id: Option<i64>,
    pub title: &'a str,
    pub body: &'a str,
    pub now: i64,
}

/// Notifies every enabled account of an organisation. Returns how many were notified.
pub async fn notify_organization_users(
    tx: &mut Tx,
    organization_id: i64,
    notification: &NewNotification<'_>,
) -> Result<u64> {
    let result = sqlx::query(
        "INSERT INTO notifications (user_id, kind, application_id, title, body, created_at) \
         SELECT id, $1, $2, $3, $4, $5 FROM users WHERE organization_id = $6 AND disabled = 0",
    )
    .bind(notification.kind.as_str())
    .bind(notification.application_id)
    .bind(notification.title)
    .bind(notification.body)
    .bind(notification.now)
    .bind(organization_id)
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected())
}

/// Notifies every enabled account with `role` whose region is one of `region_paths` (the
/// ancestors of an organisation's region, itself included). Returns how many were notified.
pub async fn notify_role_in_regions(
    tx: &mut Tx,
    role: Role,
    region_paths: &[String],
    notification: &NewNotification<'_>,
) -> Result<u64> {
    if region_paths.is_empty() {
        return Ok(0);
    }
    let placeholders: Vec<String> = (0..region_paths.len())
        .map(|i| format!("${}", i + 7))
        .collect();
    let sql = format!(
        "INSERT INTO notifications (user_id, kind, application_id, title, body, created_at) \
         SELECT u.id, $1, $2, $3, $4, $5 FROM users u JOIN regions r ON r.id = u.region_id \
         WHERE u.role = $6 AND u.disabled = 0 AND r.path IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(notification.kind.as_str())
        .bind(notification.application_id)
        .bind(notification.title)
        .bind(notification.body)
        .bind(notification.now)
        .bind(role.as_str());
    for path in region_paths {
        query = query.bind(path.clone());
    }
    Ok(query.execute(tx.conn()).await?.rows_affected())
}

/// Notifies one user.
pub async fn notify_user(
    tx: &mut Tx,
    user_id: i64,
    notification: &NewNotification<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, application_id, title, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(notification.kind.as_str())
    .bind(notification.application_id)
    .bind(notification.title)
    .bind(notification.body)
    .bind(notification.now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One page of a user's notifications, unread first, newest first; the total and the unread.
pub async fn notifications_of(
    db: &Db,
    user_id: i64,
    page: Page,
) -> Result<(Vec<Notification>, i64, i64)> {
    let (total, unread): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END), 0) \
         FROM notifications WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_one(&db.pool)
    .await?;
    let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE user_id = $1 \
         ORDER BY CASE WHEN read_at IS NULL THEN 0 ELSE 1 END, id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(user_id)
    .bind(page.size)
    .bind(page.offset())
    .fetch_all(&db.pool)
    .await?;
    Ok((items, total, unread))
}

/// How many of a user's notifications are unread.
pub async fn unread_count(db: &Db, user_id: i64) -> Result<i64> {
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
            .bind(user_id)
            .fetch_one(&db.pool)
            .await?;
    Ok(count)
}

/// Marks one of the user's notifications read; false when the user has no such notification.
pub async fn mark_read(tx: &mut Tx, user_id: i64, id: i64, now: i64) -> Result<bool> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM notifications WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .fetch_optional(tx.conn())
            .await?;
    if found.is_none() {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    Ok(true)
}

/// Marks every unread notification of the user read; returns how many.
pub async fn mark_all_read(tx: &mut Tx, user_id: i64, now: i64) -> Result<u64> {
    let result =
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(now)
            .bind(user_id)
            .execute(tx.conn())
            .await?;
    Ok(result.rows_affected())
}

/// A notification waiting to be mailed, with its recipient's address.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingMail {
    pub id: i64,
    pub email: String,
    pub title: String,
    pub body: String,
    pub application_id: Option<i64>,
}

/// Notifications created since `since`, not yet mailed, of enabled users with an address.
pub async fn pending_mail(db: &Db, since: i64, limit: i64) -> Result<Vec<PendingMail>> {
    sqlx::query_as(
        "SELECT n.id, u.email, n.title, n.body, n.application_id FROM notifications n \
         JOIN users u ON u.id = n.user_id \
         WHERE n.emailed_at IS NULL AND n.created_at >= $1 AND u.email IS NOT NULL AND u.email <> '' \
         AND u.disabled = 0 ORDER BY n.id LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Claims a notification for mailing: false when another delivery claimed it first.
pub async fn claim_mail(tx: &mut Tx, id: i64, now: i64) -> Result<bool> {
    let result = sqlx::query(
        "UPDATE notifications SET emailed_at = $1 WHERE id = $2 AND emailed_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Gives a claim back after the SMTP server refused the message, so that a later delivery
/// tries again.
pub async fn release_mail(tx: &mut Tx, id: i64) -> Result<()> {
    sqlx::query("UPDATE notifications SET emailed_at = NULL WHERE id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
