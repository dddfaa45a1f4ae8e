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

// --- the pool -------------------------------------------------------------------------------

const EXPERT_COLUMNS: &str = "x.id, x.region_id, x.user_id, u.username, x.name, x.employer, x.employer_code, \
     x.specialties, x.home_region_id, h.path AS home_region_path, h.name AS home_region_name, \
     x.phone, x.email, x.active, x.created_at, x.updated_at";
const EXPERT_FROM: &str = "experts x LEFT JOIN users u ON u.id = x.user_id LEFT JOIN regions h ON h.id = x.home_region_id";

/// An expert of an authority's pool, with the linked account's user name and the home
/// region's path and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Expert {
    pub id: i64,
    pub region_id: i64,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub name: String,
    pub employer: String,
    pub employer_code: Option<String>,
    /// JSON: a list of provider type ids and industries.
    pub specialties: String,
    pub home_region_id: Option<i64>,
    pub home_region_path: Option<String>,
    pub home_region_name: Option<String>,
    pub phone: String,
    pub email: String,
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What the authority writes of an expert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpertFields<'a> {
    pub user_id: Option<i64>,
    pub name: &'a str,
    pub employer: &'a str,
    pub employer_code: Option<&'a str>,
    pub specialties: &'a str,
    pub home_region_id: Option<i64>,
    pub phone: &'a str,
    pub email: &'a str,
    pub active: bool,
}

pub async fn insert_expert(
    tx: &mut Tx,
    region_id: i64,
    fields: &ExpertFields<'_>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO experts (region_id, user_id, name, employer, employer_code, specialties, home_region_id, phone, email, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(region_id)
    .bind(fields.user_id)
    .bind(fields.name)
    .bind(fields.employer)
    .bind(fields.employer_code)
    .bind(fields.specialties)
    .bind(fields.home_region_id)
    .bind(fields.phone)
    .bind(fields.email)
    .bind(i64::from(fields.active))
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

pub async fn update_expert(
    tx: &mut Tx,
    id: i64,
    fields: &ExpertFields<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE experts SET user_id = $1, name = $2, employer = $3, employer_code = $4, specialties = $5, \
         home_region_id = $6, phone = $7, email = $8, active = $9, updated_at = $10 WHERE id = $11",
    )
    .bind(fields.user_id)
    .bind(fields.name)
    .bind(fields.employer)
    .bind(fields.employer_code)
    .bind(fields.specialties)
    .bind(fields.home_region_id)
    .bind(fields.phone)
    .bind(fields.email)
    .bind(i64::from(fields.active))
    .bind(now)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// An expert of one authority's pool (another authority's: `None`).
pub async fn expert(db: &Db, region_id: i64, id: i64) -> Result<Option<Expert>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EXPERT_COLUMNS} FROM {EXPERT_FROM} WHERE x.id = $1 AND x.region_id = $2"
    )))
    .bind(id)
    .bind(region_id)
    .fetch_optional(&db.pool)
    .await
}

/// The expert record linked to an account.
pub async fn expert_of_user(db: &Db, user_id: i64) -> Result<Option<Expert>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EXPERT_COLUMNS} FROM {EXPERT_FROM} WHERE x.user_id = $1"
    )))
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await
}

/// Whether an account is already linked to an expert record other than `except`.
pub async fn user_linked(tx: &mut Tx, user_id: i64, except: i64) -> Result<bool> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM experts WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(except)
            .fetch_optional(tx.conn())
            .await?;
    Ok(found.is_some())
}

/// One page of an authority's pool, by name, narrowed by part of the name or employer and by
/// the active flag; and how many there are.
pub async fn experts(
    db: &Db,
    region_id: i64,
    q: Option<&str>,
    active: Option<bool>,
    page: Page,
) -> Result<(Vec<Expert>, i64)> {
    let mut sql = Conditions::new();
    sql.push_int("x.region_id = ", region_id);
    if let Some(q) = q {
        let n = sql.next();
        sql.parts.push(format!(
            "(x.name LIKE ${n} ESCAPE '\\' OR x.employer LIKE ${n} ESCAPE '\\')"
        ));
        sql.args.push(Arg::Text(contains_pattern(q)));
    }
    if let Some(active) = active {
        sql.push_int("x.active = ", i64::from(active));
    }
    let clause = sql.clause();
    let total = count(
        db,
        &sql,
        &format!("SELECT COUNT(*) FROM experts x WHERE {clause}"),
        false,
    )
    .await?;
    let (limit, offset) = (sql.next(), sql.next() + 1);
    let rows = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {EXPERT_COLUMNS} FROM {EXPERT_FROM} WHERE {clause} ORDER BY x.name, x.id LIMIT ${limit} OFFSET ${offset}"
        ))))
        .bind(page.size)
        .bind(page.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((rows, total))
}

/// Every active expert of a pool with an account (those who can be assigned), by id.
pub async fn assignable_experts(db: &Db, region_id: i64) -> Result<Vec<Expert>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EXPERT_COLUMNS} FROM {EXPERT_FROM} WHERE x.region_id = $1 AND x.active = 1 AND x.user_id IS NOT NULL ORDER BY x.id"
    )))
    .bind(region_id)
    .fetch_all(&db.pool)
    .await
}

// --- relations ------------------------------------------------------------------------------

/// A relation an expert declared: `former_employer` (with dates), `shareholding`, `relative`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Relation {
    pub id: i64,
    pub expert_id: i64,
    pub kind: String,
    pub credit_code: Option<String>,
    pub organization: String,
    pub from_on: Option<String>,
    pub until_on: Option<String>,
    pub note: String,
}

const RELATION_COLUMNS: &str =
    "id, expert_id, kind, credit_code, organization, from_on, until_on, note";

pub async fn relations(db: &Db, expert_id: i64) -> Result<Vec<Relation>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RELATION_COLUMNS} FROM expert_relations WHERE expert_id = $1 ORDER BY id"
    )))
    .bind(expert_id)
    .fetch_all(&db.pool)
    .await
}

/// The relations of every expert of a pool.
pub async fn relations_in_pool(db: &Db, region_id: i64) -> Result<Vec<Relation>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RELATION_COLUMNS} FROM expert_relations WHERE expert_id IN (SELECT id FROM experts WHERE region_id = $1) ORDER BY id"
    )))
    .bind(region_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn insert_relation(tx: &mut Tx, relation: &Relation) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO expert_relations (expert_id, kind, credit_code, organization, from_on, until_on, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(relation.expert_id)
    .bind(&relation.kind)
    .bind(&relation.credit_code)
    .bind(&relation.organization)
    .bind(&relation.from_on)
    .bind(&relation.until_on)
    .bind(&relation.note)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// Removes a relation of an expert; whether there was one.
pub async fn delete_relation(tx: &mut Tx, expert_id: i64, id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM expert_relations WHERE id = $1 AND expert_id = $2")
        .bind(id)
        .bind(expert_id)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

// --- panels ---------------------------------------------------------------------------------

/// A round's panel settings (the defaults when the authority set none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Panel {
    pub round_id: i64,
    pub size: i64,
    pub former_years: i64,
    pub exclude_same_county: i64,
    pub exclude_same_city: i64,
    pub updated_at: i64,
}

impl Panel {
    pub fn default_for(round_id: i64) -> Panel {
        Panel {
            round_id,
            size: 3,
            former_years: 3,
            exclude_same_county: 0,
            exclude_same_city: 0,
            updated_at: 0,
        }
    }
}

pub async fn panel(db: &Db, round_id: i64) -> Result<Panel> {
    let found: Option<Panel> = sqlx::query_as(
        "SELECT round_id, size, former_years, exclude_same_county, exclude_same_city, updated_at FROM panels WHERE round_id = $1",
    )
    .bind(round_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(found.unwrap_or_else(|| Panel::default_for(round_id)))
}

pub async fn save_panel(tx: &mut Tx, panel: &Panel, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO panels (round_id, size, former_years, exclude_same_county, exclude_same_city, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (round_id) DO UPDATE SET size = excluded.size, \
         former_years = excluded.former_years, exclude_same_county = excluded.exclude_same_county, \
         exclude_same_city = excluded.exclude_same_city, updated_at = excluded.updated_at",
    )
    .bind(panel.round_id)
    .bind(panel.size)
    .bind(panel.former_years)
    .bind(panel.exclude_same_county)
    .bind(panel.exclude_same_city)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

// --- assignments ----------------------------------------------------------------------------

/// An assignment with its expert's name, as the authority sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Assignment {
    pub id: i64,
    pub application_id: i64,
    pub expert_id: i64,
    pub expert_name: String,
    pub expert_user_id: Option<i64>,
    pub status: String,
    pub declared_at: Option<i64>,
    pub declaration: String,
    pub opinion: String,
    pub submitted_at: Option<i64>,
    pub assigned_at: i64,
    pub updated_at: i64,
}

const ASSIGNMENT_SELECT: &str = "SELECT s.id, s.application_id, s.expert_id, x.name AS expert_name, x.user_id AS expert_user_id, \
     s.status, s.declared_at, s.declaration, s.opinion, s.submitted_at, s.assigned_at, s.updated_at \
     FROM expert_assignments s JOIN experts x ON x.id = s.expert_id";

/// Every assignment of an application, in the order they were made.
pub async fn assignments_of(db: &Db, application_id: i64) -> Result<Vec<Assignment>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ASSIGNMENT_SELECT} WHERE s.application_id = $1 ORDER BY s.id"
    )))
    .bind(application_id)
    .fetch_all(&db.pool)
    .await
}

/// The same, inside a command.
pub async fn assignments_of_in(tx: &mut Tx, application_id: i64) -> Result<Vec<Assignment>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ASSIGNMENT_SELECT} WHERE s.application_id = $1 ORDER BY s.id"
    )))
    .bind(application_id)
    .fetch_all(tx.conn())
    .await
}

/// How many live (pending or accepted) assignments each expert has in a round.
pub async fn loads_in_round(tx: &mut Tx, round_id: i64) -> Result<Vec<(i64, i64)>> {
    sqlx::query_as(
        "SELECT s.expert_id, COUNT(*) FROM expert_assignments s JOIN applications a ON a.id = s.application_id \
         WHERE a.round_id = $1 AND s.status IN ('pending', 'accepted') GROUP BY s.expert_id",
    )
    .bind(round_id)
    .fetch_all(tx.conn())
    .await
}

/// Assigns an expert (a new row, or a removed one made pending again, its declaration and
/// review cleared); whether anything changed (an existing live or declined one is kept).
pub async fn assign(
    tx: &mut Tx,
    application_id: i64,
    expert_id: i64,
    by: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO expert_assignments (application_id, expert_id, status, assigned_by, assigned_at, updated_at) \
         VALUES ($1, $2, 'pending', $3, $4, $4) ON CONFLICT (application_id, expert_id) DO UPDATE \
         SET status = 'pending', declared_at = NULL, declaration = '', submitted_at = NULL, \
             assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at, updated_at = excluded.updated_at \
         WHERE expert_assignments.status = 'removed'",
    )
    .bind(application_id)
    .bind(expert_id)
    .bind(by)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets an assignment's status from one of `from`; whether it changed.
pub async fn set_assignment_status(
    tx: &mut Tx,
    application_id: i64,
    expert_id: i64,
    from: &[&str],
    to: &str,
    now: i64,
) -> Result<bool> {
    let list = from
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE expert_assignments SET status = $1, updated_at = $2 \
         WHERE application_id = $3 AND expert_id = $4 AND status IN ({list})"
    )))
    .bind(to)
    .bind(now)
    .bind(application_id)
    .bind(expert_id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// An assignment as its expert sees it: before the declaration only the organisation's name
/// and the provider type; the application id is handed out only once accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OwnAssignment {
    pub id: i64,
    pub application_id: i64,
    pub status: String,
    pub organization_name: String,
    pub scheme_id: String,
    pub provider_type: Option<String>,
    #[sqlx(try_from = "String")]
    pub state: State,
    pub opinion: String,
    pub submitted_at: Option<i64>,
    pub assigned_at: i64,
}

const OWN_SELECT: &str = "SELECT s.id, s.application_id, s.status, o.name AS organization_name, a.scheme_id, a.provider_type, \
     a.state, s.opinion, s.submitted_at, s.assigned_at \
     FROM expert_assignments s JOIN experts x ON x.id = s.expert_id \
     JOIN applications a ON a.id = s.application_id JOIN organizations o ON o.id = a.organization_id";

/// The live (pending or accepted) assignments of an expert account, newest first: nothing
/// else is counted or ordered in.
pub async fn own_assignments(db: &Db, user_id: i64) -> Result<Vec<OwnAssignment>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{OWN_SELECT} WHERE x.user_id = $1 AND s.status IN ('pending', 'accepted') ORDER BY s.id DESC"
    )))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}

/// One live assignment of an expert account (another's, a declined or a removed one: `None`).
pub async fn own_assignment(db: &Db, user_id: i64, id: i64) -> Result<Option<OwnAssignment>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{OWN_SELECT} WHERE x.user_id = $1 AND s.id = $2 AND s.status IN ('pending', 'accepted')"
    )))
    .bind(user_id)
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

/// The same, inside a command, locking nothing but reading the latest.
pub async fn own_assignment_in(
    tx: &mut Tx,
    user_id: i64,
    id: i64,
) -> Result<Option<OwnAssignment>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{OWN_SELECT} WHERE x.user_id = $1 AND s.id = $2 AND s.status IN ('pending', 'accepted')"
    )))
    .bind(user_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

/// Records an expert's declaration: `accepted` (no conflict) or `declined` (with the text);
/// only from `pending`. Whether it was pending.
pub async fn declare(tx: &mut Tx, id: i64, status: &str, text: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE expert_assignments SET status = $1, declaration = $2, declared_at = $3, updated_at = $3 \
         WHERE id = $4 AND status = 'pending'",
    )
    .bind(status)
    .bind(text)
    .bind(now)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Saves the overall opinion of an accepted, unsubmitted review; whether it was such.
pub async fn save_opinion(tx: &mut Tx, id: i64, opinion: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE expert_assignments SET opinion = $1, updated_at = $2 \
         WHERE id = $3 AND status = 'accepted' AND submitted_at IS NULL",
    )
    .bind(opinion)
    .bind(now)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Locks (submits) or reopens a review; whether it changed.
pub async fn set_submitted(tx: &mut Tx, id: i64, submitted: Option<i64>, now: i64) -> Result<bool> {
    let condition = if submitted.is_some() {
        "submitted_at IS NULL"
    } else {
        "submitted_at IS NOT NULL"
    };
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE expert_assignments SET submitted_at = $1, updated_at = $2 \
         WHERE id = $3 AND status = 'accepted' AND {condition}"
    )))
    .bind(submitted)
    .bind(now)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether an expert account has an accepted assignment on an application whose review it
/// has not submitted (it may then confirm values).
pub async fn open_review_of(tx: &mut Tx, user_id: i64, application_id: i64) -> Result<bool> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT s.id FROM expert_assignments s JOIN experts x ON x.id = s.expert_id \
         WHERE x.user_id = $1 AND s.application_id = $2 AND s.status = 'accepted' AND s.submitted_at IS NULL",
    )
    .bind(user_id)
    .bind(application_id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(found.is_some())
}

/// Whether an expert account submitted its review of an application.
pub async fn submitted_review_of(db: &Db, user_id: i64, application_id: i64) -> Result<bool> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT s.id FROM expert_assignments s JOIN experts x ON x.id = s.expert_id \
         WHERE x.user_id = $1 AND s.application_id = $2 AND s.status = 'accepted' AND s.submitted_at IS NOT NULL",
    )
    .bind(user_id)
    .bind(application_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(found.is_some())
}

// --- scores ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Score {
    pub assignment_id: i64,
    pub criterion_id: String,
    pub score: String,
    pub note: String,
    pub at: i64,
}

pub async fn scores(db: &Db, assignment_id: i64) -> Result<Vec<Score>> {
    sqlx::query_as(
        "SELECT assignment_id, criterion_id, score, note, at FROM expert_scores WHERE assignment_id = $1 ORDER BY criterion_id",
    )
    .bind(assignment_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn scores_in(tx: &mut Tx, assignment_id: i64) -> Result<Vec<Score>> {
    sqlx::query_as(
        "SELECT assignment_id, criterion_id, score, note, at FROM expert_scores WHERE assignment_id = $1 ORDER BY criterion_id",
    )
    .bind(assignment_id)
    .fetch_all(tx.conn())
    .await
}

pub async fn save_score(
    tx: &mut Tx,
    assignment_id: i64,
    criterion_id: &str,
    score: &str,
    note: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO expert_scores (assignment_id, criterion_id, score, note, at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (assignment_id, criterion_id) DO UPDATE SET score = excluded.score, note = excluded.note, at = excluded.at",
    )
    .bind(assignment_id)
    .bind(criterion_id)
    .bind(score)
    .bind(note)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Every score of the submitted reviews of an application, by assignment.
pub async fn submitted_scores(db: &Db, application_id: i64) -> Result<Vec<Score>> {
    sqlx::query_as(
        "SELECT c.assignment_id, c.criterion_id, c.score, c.note, c.at FROM expert_scores c \
         JOIN expert_assignments s ON s.id = c.assignment_id \
         WHERE s.application_id = $1 AND s.status = 'accepted' AND s.submitted_at IS NOT NULL \
         ORDER BY c.assignment_id, c.criterion_id",
    )
    .bind(application_id)
    .fetch_all(&db.pool)
    .await
}

// --- conflicts ------------------------------------------------------------------------------

/// A conflict of interest as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Conflict {
    pub id: i64,
    pub application_id: i64,
    pub expert_id: i64,
    pub kind: String,
    pub detail: String,
    pub status: String,
    pub reason: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub detected_at: i64,
}

const CONFLICT_COLUMNS: &str = "id, application_id, expert_id, kind, detail, status, reason, decided_by, decided_at, detected_at";

pub async fn conflicts_of(db: &Db, application_id: i64) -> Result<Vec<Conflict>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CONFLICT_COLUMNS} FROM conflicts WHERE application_id = $1 ORDER BY id"
    )))
    .bind(application_id)
    .fetch_all(&db.pool)
    .await
}

pub async fn conflicts_of_in(tx: &mut Tx, application_id: i64) -> Result<Vec<Conflict>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CONFLICT_COLUMNS} FROM conflicts WHERE application_id = $1 ORDER BY id"
    )))
    .bind(application_id)
    .fetch_all(tx.conn())
    .await
}

/// Records a detected conflict as potential unless it is already recorded; whether it was new.
pub async fn record_potential(
    tx: &mut Tx,
    application_id: i64,
    expert_id: i64,
    kind: &str,
    detail: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO conflicts (application_id, expert_id, kind, detail, status, detected_at) \
         VALUES ($1, $2, $3, $4, 'potential', $5) ON CONFLICT (application_id, expert_id, kind) DO NOTHING",
    )
    .bind(application_id)
    .bind(expert_id)
    .bind(kind)
    .bind(detail)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records a decided conflict (confirmed or dismissed, with the reason), whether or not it was
/// recorded as potential before.
#[expect(
    clippy::too_many_arguments,
    reason = "every argument a column of the decision"
)]
pub async fn decide_conflict(
    tx: &mut Tx,
    application_id: i64,
    expert_id: i64,
    kind: &str,
    detail: &str,
    status: &str,
    reason: &str,
    by: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO conflicts (application_id, expert_id, kind, detail, status, reason, decided_by, decided_at, detected_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (application_id, expert_id, kind) DO UPDATE \
         SET status = excluded.status, reason = excluded.reason, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
    )
    .bind(application_id)
    .bind(expert_id)
    .bind(kind)
    .bind(detail)
    .bind(status)
    .bind(reason)
    .bind(by)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

// --- site visits ----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SiteVisit {
    pub id: i64,
    pub application_id: i64,
    pub visited_on: String,
    pub members: String,
    pub findings: String,
    pub recorded_by: i64,
    pub at: i64,
}

pub async fn insert_site_visit(
    tx: &mut Tx,
    application_id: i64,
    visited_on: &str,
    members: &str,
    findings: &str,
    by: i64,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO site_visits (application_id, visited_on, members, findings, recorded_by, at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(application_id)
    .bind(visited_on)
    .bind(members)
    .bind(findings)
    .bind(by)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

pub async fn site_visits(db: &Db, application_id: i64) -> Result<Vec<SiteVisit>> {
    sqlx::query_as(
        "SELECT id, application_id, visited_on, members, findings, recorded_by, at FROM site_visits \
         WHERE application_id = $1 ORDER BY visited_on, id",
    )
    .bind(application_id)
    .fetch_all(&db.pool)
    .await
}

/// The applications of a round under expert review, oldest first.
pub async fn round_in_review(db: &Db, round_id: i64) -> Result<Vec<Application>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM applications WHERE round_id = $1 AND state = 'expert_review' ORDER BY id",
        super::applications::APPLICATION_COLUMNS
    )))
    .bind(round_id)
    .fetch_all(&db.pool)
    .await
}

/// A file attached to a site visit, with its content's type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SiteVisitFile {
    pub id: i64,
    pub site_visit_id: i64,
    pub sha256: String,
    pub filename: String,
    pub media_type: String,
    pub at: i64,
}

pub async fn insert_site_visit_file(
    tx: &mut Tx,
    site_visit_id: i64,
    sha256: &str,
    filename: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO site_visit_files (site_visit_id, sha256, filename, at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(site_visit_id)
    .bind(sha256)
    .bind(filename)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

const SITE_VISIT_FILE_SELECT: &str = "SELECT f.id, f.site_visit_id, f.sha256, f.filename, b.media_type, f.at \
     FROM site_visit_files f JOIN site_visits v ON v.id = f.site_visit_id JOIN evidence_blobs b ON b.sha256 = f.sha256";

/// The files of every site visit of an application.
pub async fn site_visit_files(db: &Db, application_id: i64) -> Result<Vec<SiteVisitFile>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SITE_VISIT_FILE_SELECT} WHERE v.application_id = $1 ORDER BY f.id"
    )))
    .bind(application_id)
    .fetch_all(&db.pool)
    .await
}

/// One file of a site visit of an application (another application's: `None`).
pub async fn site_visit_file(
    db: &Db,
    application_id: i64,
    id: i64,
) -> Result<Option<SiteVisitFile>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SITE_VISIT_FILE_SELECT} WHERE v.application_id = $1 AND f.id = $2"
    )))
    .bind(application_id)
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}
