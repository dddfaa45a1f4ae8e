//! The experts' records: the expert pool, relations, panels, assignments, conflicts of
//! interest, scores and site visits (migration 0010).

use super::*;

/// Whether the experts' review of an application is complete (the workflow's fact
/// `review_complete`): at least one expert declared no conflict, every such expert submitted
/// the review, and no assignment still waits for its conflict declaration.
pub async fn review_complete(tx: &mut Tx, application_id: i64) -> Result<bool> {
    let (accepted, submitted, pending): (i64, i64, i64) = sqlx::query_as(
        "SELECT \
           COALESCE(SUM(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END), 0), \
           COALESCE(SUM(CASE WHEN status = 'accepted' AND submitted_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
           COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) \
         FROM expert_assignments WHERE application_id = $1",
    )
    .bind(application_id)
    .fetch_one(tx.conn())
    .await?;
    Ok(accepted > 0 && submitted == accepted && pending == 0)
}
