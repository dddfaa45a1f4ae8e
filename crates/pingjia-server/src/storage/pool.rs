//! The resource pool: members (one per organisation, scheme and provider type) and their
//! history, written by publications and by the pool's jobs.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    pub organization_id: i64,
    pub scheme_id: String,
    pub provider_type: String,
    pub type_label: String,
    pub region_id: i64,
    pub organization: String,
    pub credit_code: String,
    pub result: String,
    pub stars: Option<i64>,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub status: String,
    pub grant_id: i64,
    pub round_id: i64,
    pub document_number: String,
    pub updated_at: i64,
}

pub(super) const MEMBER_COLUMNS: &str = "id, organization_id, scheme_id, provider_type, type_label, region_id, organization, credit_code, result, stars, valid_from, valid_until, status, grant_id, round_id, document_number, updated_at";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MemberEvent {
    pub id: i64,
    pub member_id: i64,
    pub at: i64,
    pub kind: String,
    pub result: String,
    pub stars: Option<i64>,
    pub valid_until: Option<String>,
    pub document_number: String,
    pub detail: String,
}

const EVENT_COLUMNS: &str =
    "id, member_id, at, kind, result, stars, valid_until, document_number, detail";

/// A member as a publication grants it.
#[derive(Debug)]
pub struct Grant<'a> {
    pub organization_id: i64,
    pub scheme_id: &'a str,
    pub provider_type: &'a str,
    pub type_label: &'a str,
    pub region_id: i64,
    pub organization: &'a str,
    pub credit_code: &'a str,
    pub result: &'a str,
    pub stars: Option<i64>,
    pub valid_from: &'a str,
    pub valid_until: Option<&'a str>,
    pub grant_id: i64,
    pub round_id: i64,
    pub document_number: &'a str,
}

/// The member of an organisation for a scheme and type, locked for the command.
pub async fn member_for_update(
    tx: &mut Tx,
    organization_id: i64,
    scheme_id: &str,
    provider_type: &str,
) -> Result<Option<Member>> {
    let lock = if tx.backend == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let text = format!(
        "SELECT {MEMBER_COLUMNS} FROM pool_members WHERE organization_id = $1 AND scheme_id = $2 AND provider_type = $3{lock}"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(organization_id)
        .bind(scheme_id)
        .bind(provider_type)
        .fetch_optional(tx.conn())
        .await
}

/// Writes a grant over the member (new, or replacing the grade and term in force); its id.
pub async fn save_grant(tx: &mut Tx, grant: &Grant<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO pool_members (organization_id, scheme_id, provider_type, type_label, region_id, organization, credit_code, result, stars, valid_from, valid_until, status, grant_id, round_id, document_number, updated_at, region_path) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12, $13, $14, $15, (SELECT path FROM regions WHERE id = $5)) \
         ON CONFLICT (organization_id, scheme_id, provider_type) DO UPDATE SET \
           type_label = excluded.type_label, region_id = excluded.region_id, region_path = excluded.region_path, organization = excluded.organization, \
           credit_code = excluded.credit_code, result = excluded.result, stars = excluded.stars, \
           valid_from = excluded.valid_from, valid_until = excluded.valid_until, status = 'active', \
           grant_id = excluded.grant_id, round_id = excluded.round_id, document_number = excluded.document_number, \
           updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(grant.organization_id)
    .bind(grant.scheme_id)
    .bind(grant.provider_type)
    .bind(grant.type_label)
    .bind(grant.region_id)
    .bind(grant.organization)
    .bind(grant.credit_code)
    .bind(grant.result)
    .bind(grant.stars)
    .bind(grant.valid_from)
    .bind(grant.valid_until)
    .bind(grant.grant_id)
    .bind(grant.round_id)
    .bind(grant.document_number)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// An event of a member's history.
#[derive(Debug)]
pub struct NewMemberEvent<'a> {
    pub member_id: i64,
    pub kind: &'a str,
    pub result: &'a str,
    pub stars: Option<i64>,
    pub valid_until: Option<&'a str>,
    pub document_number: &'a str,
    pub detail: &'a str,
    /// Set for an event that happens once (a reminder): a second insert with the same key
    /// writes nothing.
    pub once_key: Option<&'a str>,
    pub actor_id: Option<i64>,
}

/// Appends an event; false when its `once_key` was already used (nothing written).
pub async fn insert_member_event(
    tx: &mut Tx,
    event: &NewMemberEvent<'_>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO pool_events (member_id, at, kind, result, stars, valid_until, document_number, detail, once_key, actor_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (once_key) DO NOTHING",
    )
    .bind(event.member_id)
    .bind(now)
    .bind(event.kind)
    .bind(event.result)
    .bind(event.stars)
    .bind(event.valid_until)
    .bind(event.document_number)
    .bind(event.detail)
    .bind(event.once_key)
    .bind(event.actor_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Active members whose term ends on or before `until` (`YYYY-MM-DD`), earliest first.
pub async fn active_ending_by(db: &Db, until: &str) -> Result<Vec<Member>> {
    let text = format!(
        "SELECT {MEMBER_COLUMNS} FROM pool_members WHERE status = 'active' AND valid_until IS NOT NULL AND valid_until <= $1 ORDER BY valid_until, id"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(until)
        .fetch_all(&db.pool)
        .await
}

/// Marks an active member expired; false when it no longer is active (another run did it).
pub async fn expire_member(tx: &mut Tx, id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE pool_members SET status = 'expired', updated_at = $2 WHERE id = $1 AND status = 'active'",
    )
    .bind(id)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn member(db: &Db, id: i64) -> Result<Option<Member>> {
    let text = format!("SELECT {MEMBER_COLUMNS} FROM pool_members WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// A member's history, oldest first.
pub async fn member_events(db: &Db, member_id: i64) -> Result<Vec<MemberEvent>> {
    let text = format!("SELECT {EVENT_COLUMNS} FROM pool_events WHERE member_id = $1 ORDER BY id");
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(member_id)
        .fetch_all(&db.pool)
        .await
}

/// The members of an organisation, by scheme and type.
pub async fn members_of(db: &Db, organization_id: i64) -> Result<Vec<Member>> {
    let text = format!(
        "SELECT {MEMBER_COLUMNS} FROM pool_members WHERE organization_id = $1 ORDER BY scheme_id, provider_type"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(organization_id)
        .fetch_all(&db.pool)
        .await
}

/// An active member with the declaration its grade was decided on: the application's last
/// submitted version (the one the decision and the publication rest on).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberDeclaration {
    pub member_id: i64,
    pub organization_id: i64,
    pub organization: String,
    pub credit_code: String,
    pub provider_type: String,
    pub type_label: String,
    pub region: String,
    pub result: String,
    pub round_id: i64,
    pub application_id: i64,
    pub version: i64,
    pub body: String,
}

/// Every active member of a scheme whose region lies inside `path`, with its decided
/// declaration, by organisation name.
pub async fn member_declarations(
    db: &Db,
    scheme_id: &str,
    path: &str,
) -> Result<Vec<MemberDeclaration>> {
    let (from, to) = path_range(path);
    sqlx::query_as(
        "SELECT m.id AS member_id, m.organization_id, m.organization, m.credit_code, m.provider_type, \
                m.type_label, r.name AS region, m.result, m.round_id, g.application_id, v.number AS version, v.body \
         FROM pool_members m \
         JOIN regions r ON r.id = m.region_id \
         JOIN published_grades g ON g.id = m.grant_id \
         JOIN declaration_versions v ON v.application_id = g.application_id \
         WHERE m.status = 'active' AND m.scheme_id = $1 AND r.path >= $2 AND r.path < $3 \
           AND v.number = (SELECT MAX(w.number) FROM declaration_versions w \
                           WHERE w.application_id = g.application_id AND w.submitted_at IS NOT NULL) \
         ORDER BY m.organization, m.id",
    )
    .bind(scheme_id)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await
}

/// The members' filter of [`member_declarations`], for the queries that follow it.
const MEMBERS_IN: &str = "JOIN published_grades p ON p.application_id = {app} \
     JOIN pool_members m ON m.grant_id = p.id \
     JOIN regions r ON r.id = m.region_id \
     WHERE m.status = 'active' AND m.scheme_id = $1 AND r.path >= $2 AND r.path < $3";

/// A confirmation of one member's decided version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberConfirmation {
    pub application_id: i64,
    #[sqlx(flatten)]
    pub value: ConfirmedValue,
}

/// Every confirmation of the decided versions of [`member_declarations`]' members, oldest first.
pub async fn member_confirmations(
    db: &Db,
    scheme_id: &str,
    path: &str,
) -> Result<Vec<MemberConfirmation>> {
    let (from, to) = path_range(path);
    let text = format!(
        "SELECT c.application_id, c.id, c.field_id, c.value, c.declared, c.note, c.level, c.actor_role, \
                g.name AS actor_region_name, c.at \
         FROM confirmed_values c JOIN users u ON u.id = c.actor_id LEFT JOIN regions g ON g.id = u.region_id \
         {} \
           AND c.version_number = (SELECT MAX(w.number) FROM declaration_versions w \
                                   WHERE w.application_id = c.application_id AND w.submitted_at IS NOT NULL) \
         ORDER BY c.id",
        MEMBERS_IN.replace("{app}", "c.application_id")
    );
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(scheme_id)
        .bind(from)
        .bind(to)
        .fetch_all(&db.pool)
        .await
}

/// A submitted expert score of one member's application.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberScore {
    pub application_id: i64,
    #[sqlx(flatten)]
    pub score: Score,
}

/// Every submitted expert score of [`member_declarations`]' members' applications, by
/// assignment and criterion.
pub async fn member_scores(db: &Db, scheme_id: &str, path: &str) -> Result<Vec<MemberScore>> {
    let (from, to) = path_range(path);
    let text = format!(
        "SELECT s.application_id, c.assignment_id, c.criterion_id, c.score, c.note, c.at \
         FROM expert_scores c JOIN expert_assignments s ON s.id = c.assignment_id \
         {} AND s.status = 'accepted' AND s.submitted_at IS NOT NULL \
         ORDER BY c.assignment_id, c.criterion_id",
        MEMBERS_IN.replace("{app}", "s.application_id")
    );
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(scheme_id)
        .bind(from)
        .bind(to)
        .fetch_all(&db.pool)
        .await
}
