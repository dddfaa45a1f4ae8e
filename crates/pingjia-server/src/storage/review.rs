//! The review chain's records: decisions (review events), confirmed values, recommendations,
//! and the counts of a reviewer's queue.

use super::*;

/// A state change of an application by a review decision (or a withdrawal).
#[derive(Debug)]
pub struct Move<'a> {
    pub id: i64,
    pub to: State,
    /// A return: the date to resubmit by.
    pub respond_by: Option<String>,
    /// A recommendation: its opinion and rank.
    pub recommend: Option<(&'a str, i64)>,
}

/// Moves an application to its new state, with the return's date or the recommendation.
pub async fn move_application(tx: &mut Tx, change: &Move<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE applications SET state = $2, updated_at = $3, respond_by = $4 WHERE id = $1",
    )
    .bind(change.id)
    .bind(change.to.as_str())
    .bind(now)
    .bind(&change.respond_by)
    .execute(tx.conn())
    .await?;
    if let Some((opinion, rank)) = change.recommend {
        sqlx::query(
            "UPDATE applications SET recommend_opinion = $2, recommend_rank = $3, recommended_at = $4 WHERE id = $1",
        )
        .bind(change.id)
        .bind(opinion)
        .bind(rank)
        .bind(now)
        .execute(tx.conn())
        .await?;
    }
    tx.changes_totals();
    Ok(())
}

/// The next rank among the recommendations of the same round by offices of the same region
/// branch: one more than the highest so far among the applications recommended from the same
/// city (or directly recommending county).
pub async fn next_recommend_rank(tx: &mut Tx, application: &Application) -> Result<i64> {
    // The recommending office's region: the city (two codes) of the application's path.
    let codes: Vec<&str> = application
        .region_path
        .split('/')
        .filter(|c| !c.is_empty())
        .collect();
    let office_path = format!(
        "/{}/",
        codes.iter().take(2).copied().collect::<Vec<_>>().join("/")
    );
    let (from, to) = path_range(&office_path);
    let (max,): (Option<i64>,) = sqlx::query_as(
        "SELECT MAX(recommend_rank) FROM applications WHERE COALESCE(round_id, 0) = $1 \
         AND region_path >= $2 AND region_path < $3 AND recommend_rank IS NOT NULL",
    )
    .bind(application.round_id.unwrap_or(0))
    .bind(from)
    .bind(to)
    .fetch_one(tx.conn())
    .await?;
    Ok(max.unwrap_or(0) + 1)
}

/// The latest submitted version, read inside a command.
pub async fn latest_submitted_version_in(
    tx: &mut Tx,
    application_id: i64,
) -> Result<Option<Version>> {
    sqlx::query_as(
        "SELECT id, application_id, number, body, stars, score, grade, created_by, created_at, updated_at, submitted_at, organization \
         FROM declaration_versions WHERE application_id = $1 AND submitted_at IS NOT NULL ORDER BY number DESC LIMIT 1",
    )
    .bind(application_id)
    .fetch_optional(tx.conn())
    .await
}

#[derive(Debug)]
pub struct NewReviewEvent<'a> {
    pub application_id: i64,
    pub version_number: i64,
    pub action: &'a str,
    pub from_state: &'a str,
    pub to_state: &'a str,
    pub actor_id: i64,
    pub actor_role: &'a str,
    pub comment: &'a str,
    pub criterion_comments: &'a str,
    pub respond_by: Option<&'a str>,
}

pub async fn insert_review_event(tx: &mut Tx, event: &NewReviewEvent<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO review_events (application_id, version_number, action, from_state, to_state, actor_id, actor_role, comment, criterion_comments, respond_by, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(event.application_id)
    .bind(event.version_number)
    .bind(event.action)
    .bind(event.from_state)
    .bind(event.to_state)
    .bind(event.actor_id)
    .bind(event.actor_role)
    .bind(event.comment)
    .bind(event.criterion_comments)
    .bind(event.respond_by)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A decision as recorded, with the name of the acting account's region and the account's
/// display name (shown only where the round's authority chooses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReviewEvent {
    pub id: i64,
    pub application_id: i64,
    pub version_number: i64,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub actor_role: String,
    pub actor_region_name: Option<String>,
    pub actor_name: String,
    pub comment: String,
    pub criterion_comments: String,
    pub respond_by: Option<String>,
    pub at: i64,
}

pub async fn review_events(db: &Db, application_id: i64) -> Result<Vec<ReviewEvent>> {
    sqlx::query_as(
        "SELECT e.id, e.application_id, e.version_number, e.action, e.from_state, e.to_state, e.actor_role, \
                g.name AS actor_region_name, u.display_name AS actor_name, e.comment, e.criterion_comments, e.respond_by, e.at \
         FROM review_events e JOIN users u ON u.id = e.actor_id LEFT JOIN regions g ON g.id = u.region_id \
         WHERE e.application_id = $1 ORDER BY e.id",
    )
    .bind(application_id)
    .fetch_all(&db.pool)
    .await
}

#[derive(Debug)]
pub struct NewConfirmedValue<'a> {
    pub application_id: i64,
    pub version_number: i64,
    pub field_id: &'a str,
    pub value: &'a str,
    pub declared: Option<&'a str>,
    pub note: &'a str,
    pub level: i64,
    pub actor_id: i64,
    pub actor_role: &'a str,
}

pub async fn insert_confirmed_value(
    tx: &mut Tx,
    value: &NewConfirmedValue<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO confirmed_values (application_id, version_number, field_id, value, declared, note, level, actor_id, actor_role, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(value.application_id)
    .bind(value.version_number)
    .bind(value.field_id)
    .bind(value.value)
    .bind(value.declared)
    .bind(value.note)
    .bind(value.level)
    .bind(value.actor_id)
    .bind(value.actor_role)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A confirmation as recorded, with the acting account's region name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ConfirmedValue {
    pub id: i64,
    pub field_id: String,
    pub value: String,
    pub declared: Option<String>,
    pub note: String,
    pub level: i64,
    pub actor_role: String,
    pub actor_region_name: Option<String>,
    pub at: i64,
}

impl ConfirmedValue {
    pub fn actor_role_label(&self) -> &'static str {
        self.actor_role
            .parse::<Role>()
            .map_or("审核部门", Role::label_zh)
    }
}

const CONFIRMED_SELECT: &str = "SELECT c.id, c.field_id, c.value, c.declared, c.note, c.level, c.actor_role, g.name AS actor_region_name, c.at \
     FROM confirmed_values c JOIN users u ON u.id = c.actor_id LEFT JOIN regions g ON g.id = u.region_id \
     WHERE c.application_id = $1 AND c.version_number = $2 ORDER BY c.id";

/// Every confirmation of one version, oldest first.
pub async fn confirmed_values(
    db: &Db,
    application_id: i64,
    version: i64,
) -> Result<Vec<ConfirmedValue>> {
    sqlx::query_as(CONFIRMED_SELECT)
        .bind(application_id)
        .bind(version)
        .fetch_all(&db.pool)
        .await
}

/// The same, inside a command.
pub async fn confirmed_values_in(
    tx: &mut Tx,
    application_id: i64,
    version: i64,
) -> Result<Vec<ConfirmedValue>> {
    sqlx::query_as(CONFIRMED_SELECT)
        .bind(application_id)
        .bind(version)
        .fetch_all(tx.conn())
        .await
}

/// How many applications the scope sees in each state (drafts are never a reviewer's).
pub async fn state_counts(db: &Db, scope: &Scope) -> Result<Vec<(State, i64)>> {
    let mut sql = Conditions::new();
    if !sql.push_scope(scope, "") {
        return Ok(Vec::new());
    }
    let rows: Vec<(String, i64)> = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT state, COUNT(*) FROM applications WHERE {} GROUP BY state",
            sql.clause()
        ))))
        .fetch_all(&db.pool)
        .await?;
    let mut counts = Vec::new();
    for (state, count) in rows {
        counts.push((
            State::try_from(state).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            count,
        ));
    }
    counts.sort();
    Ok(counts)
}

/// Recommendations of a round from the offices inside `path` (a city's or a directly
/// recommending county's region), in rank order.
pub async fn recommendations(db: &Db, round_id: i64, path: &str) -> Result<Vec<Recommendation>> {
    let (from, to) = path_range(path);
    sqlx::query_as(
        "SELECT a.id, a.organization_id, o.name AS organization_name, o.credit_code, o.kind, g.name AS region_name, \
                a.scheme_id, a.provider_type, a.state, a.recommend_opinion, a.recommend_rank, a.recommended_at, o.contact, o.phone \
         FROM applications a JOIN organizations o ON o.id = a.organization_id JOIN regions g ON g.id = o.region_id \
         WHERE a.round_id = $1 AND a.region_path >= $2 AND a.region_path < $3 AND a.recommend_rank IS NOT NULL \
         ORDER BY a.recommend_rank, a.id",
    )
    .bind(round_id)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await
}

/// One recommended application with what the 汇总推荐表 lists of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Recommendation {
    pub id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub credit_code: String,
    pub kind: String,
    pub region_name: String,
    pub scheme_id: String,
    pub provider_type: Option<String>,
    pub state: String,
    pub recommend_opinion: Option<String>,
    pub recommend_rank: Option<i64>,
    pub recommended_at: Option<i64>,
    pub contact: String,
    pub phone: String,
}

/// An application waiting on someone with a date: in a review state or returned.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Waiting {
    pub id: i64,
    pub scheme_id: String,
    pub organization_id: i64,
    #[sqlx(try_from = "String")]
    pub state: State,
    pub region_path: String,
    pub round_id: Option<i64>,
    pub respond_by: Option<String>,
}

/// Every application in `county_review`, `city_review` or `returned`.
pub async fn waiting_applications(db: &Db) -> Result<Vec<Waiting>> {
    sqlx::query_as(
        "SELECT id, scheme_id, organization_id, state, region_path, round_id, respond_by FROM applications \
         WHERE state IN ('county_review', 'city_review', 'returned') ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
}

/// Whether a deadline notification with this title was already written for the application.
pub async fn deadline_noticed(tx: &mut Tx, application_id: i64, title: &str) -> Result<bool> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM notifications WHERE kind = 'deadline' AND application_id = $1 AND title = $2 LIMIT 1",
    )
    .bind(application_id)
    .bind(title)
    .fetch_optional(tx.conn())
    .await?;
    Ok(found.is_some())
}

/// Sets an application's place among its office's recommendations.
pub async fn set_recommend_rank(tx: &mut Tx, id: i64, rank: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE applications SET recommend_rank = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(rank)
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// An application's recommendation: its opinion and rank, if recommended.
pub async fn recommendation_of(
    tx: &mut Tx,
    id: i64,
) -> Result<Option<(Option<String>, Option<i64>)>> {
    sqlx::query_as("SELECT recommend_opinion, recommend_rank FROM applications WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}
