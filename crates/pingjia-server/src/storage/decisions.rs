//! The authority's decisions on a round's applications (history kept, the latest in force) and
//! a round's optional quota.

use super::*;

/// An application of a round as the decisions page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RoundApplication {
    pub id: i64,
    pub organization_id: i64,
    pub organization: String,
    pub credit_code: String,
    pub provider_type: Option<String>,
    #[sqlx(try_from = "String")]
    pub state: State,
}

/// The applications of a round from the expert review on (expert_review, public_notice,
/// published, not_graded), in id order.
pub async fn round_applications(db: &Db, round_id: i64) -> Result<Vec<RoundApplication>> {
    sqlx::query_as(
        "SELECT a.id, a.organization_id, o.name AS organization, o.credit_code, a.provider_type, a.state \
         FROM applications a JOIN organizations o ON o.id = a.organization_id \
         WHERE a.round_id = $1 AND a.state IN ('expert_review', 'public_notice', 'published', 'not_graded') \
         ORDER BY a.id",
    )
    .bind(round_id)
    .fetch_all(&db.pool)
    .await
}

/// A decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DecisionRecord {
    pub id: i64,
    pub application_id: i64,
    pub round_id: i64,
    pub result: String,
    pub default_result: String,
    pub score: Option<String>,
    pub reason: String,
    pub decided_by: i64,
    pub decided_at: i64,
}

const DECISION_COLUMNS: &str =
    "id, application_id, round_id, result, default_result, score, reason, decided_by, decided_at";

#[derive(Debug)]
pub struct NewDecision<'a> {
    pub application_id: i64,
    pub round_id: i64,
    pub result: &'a str,
    pub default_result: &'a str,
    pub score: Option<&'a str>,
    pub reason: &'a str,
    pub decided_by: i64,
}

pub async fn insert_decision(tx: &mut Tx, decision: &NewDecision<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO decisions (application_id, round_id, result, default_result, score, reason, decided_by, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(decision.application_id)
    .bind(decision.round_id)
    .bind(decision.result)
    .bind(decision.default_result)
    .bind(decision.score)
    .bind(decision.reason)
    .bind(decision.decided_by)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// The decision in force on an application, read inside a command: the latest one taken since
/// the application last entered the expert review (a decision taken before it was returned, or
/// before an upheld objection reopened its review, is history).
pub async fn latest_decision_in(
    tx: &mut Tx,
    application_id: i64,
) -> Result<Option<DecisionRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DECISION_COLUMNS} FROM decisions WHERE application_id = $1 \
         AND decided_at >= COALESCE((SELECT MAX(at) FROM review_events WHERE application_id = $1 AND to_state = 'expert_review'), 0) \
         ORDER BY id DESC LIMIT 1"
    )))
    .bind(application_id)
    .fetch_optional(tx.conn())
    .await
}

/// Every decision on the applications of a round, oldest first.
pub async fn round_decisions(db: &Db, round_id: i64) -> Result<Vec<DecisionRecord>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DECISION_COLUMNS} FROM decisions WHERE round_id = $1 ORDER BY id"
    )))
    .bind(round_id)
    .fetch_all(&db.pool)
    .await
}

/// A round's quota of positive decisions, if set.
pub async fn decision_quota(db: &Db, round_id: i64) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT quota FROM decision_quotas WHERE round_id = $1")
            .bind(round_id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.and_then(|(quota,)| quota))
}

pub async fn set_decision_quota(
    tx: &mut Tx,
    round_id: i64,
    quota: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO decision_quotas (round_id, quota, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (round_id) DO UPDATE SET quota = excluded.quota, updated_at = excluded.updated_at",
    )
    .bind(round_id)
    .bind(quota)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// When each application of a round last entered the expert review: (application id, time).
pub async fn expert_review_entries(db: &Db, round_id: i64) -> Result<Vec<(i64, i64)>> {
    sqlx::query_as(
        "SELECT e.application_id, MAX(e.at) FROM review_events e JOIN applications a ON a.id = e.application_id \
         WHERE a.round_id = $1 AND e.to_state = 'expert_review' GROUP BY e.application_id",
    )
    .bind(round_id)
    .fetch_all(&db.pool)
    .await
}
