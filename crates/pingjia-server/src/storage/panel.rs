//! The scores a round's panel submitted, read for the panel's analytics.

use super::*;

/// One submitted score: whose, of which application's which item.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PanelScore {
    pub application_id: i64,
    pub organization: String,
    pub expert_id: i64,
    pub expert: String,
    pub criterion_id: String,
    pub score: String,
}

/// Every score of a submitted review (an assignment accepted and submitted) of the round's
/// applications, ordered by application, item and expert.
pub async fn panel_scores(db: &Db, round_id: i64) -> Result<Vec<PanelScore>> {
    sqlx::query_as(
        "SELECT p.id AS application_id, o.name AS organization, e.id AS expert_id, e.name AS expert, \
                s.criterion_id, s.score \
         FROM expert_scores s \
         JOIN expert_assignments a ON a.id = s.assignment_id \
         JOIN experts e ON e.id = a.expert_id \
         JOIN applications p ON p.id = a.application_id \
         JOIN organizations o ON o.id = p.organization_id \
         WHERE p.round_id = $1 AND a.status = 'accepted' AND a.submitted_at IS NOT NULL \
         ORDER BY p.id, s.criterion_id, e.id",
    )
    .bind(round_id)
    .fetch_all(&db.pool)
    .await
}
