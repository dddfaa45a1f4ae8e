//! The pool's lifecycle records (migration 0016): the authority's view of its members, spot
//! checks and their files, bars (三、1 blacklisting, 第十一条 revocation) and existing members
//! imported for the 1-year deadline (二（二）2).

use super::pool::MEMBER_COLUMNS;
use super::*;

/// The members granted by the rounds of the authority of `region_id`, filtered.
#[derive(Debug, Default)]
pub struct MemberFilter<'a> {
    pub status: Option<&'a str>,
    pub scheme_id: Option<&'a str>,
    pub stars: Option<i64>,
    /// Part of the name or the credit code.
    pub q: Option<&'a str>,
}

const AUTHORITY_ROUNDS: &str = "round_id IN (SELECT id FROM rounds WHERE region_id = ";

/// A page of the members whose grade the authority of `region_id` granted, by name.
pub async fn authority_members(
    db: &Db,
    region_id: i64,
    filter: &MemberFilter<'_>,
    page: Page,
) -> Result<(Vec<Member>, i64)> {
    let mut sql = Conditions::new();
    sql.push_int(AUTHORITY_ROUNDS, region_id);
    if let Some(last) = sql.parts.last_mut() {
        last.push(')');
    }
    if let Some(status) = filter.status {
        sql.push_text("status = ", status.to_owned(), "");
    }
    if let Some(scheme) = filter.scheme_id {
        sql.push_text("scheme_id = ", scheme.to_owned(), "");
    }
    if let Some(stars) = filter.stars {
        sql.push_int("stars = ", stars);
    }
    if let Some(q) = filter.q {
        let n = sql.next();
        sql.parts.push(format!(
            "(organization LIKE ${n} ESCAPE '\\' OR credit_code LIKE ${n} ESCAPE '\\')"
        ));
        sql.args.push(Arg::Text(contains_pattern(q)));
    }
    let clause = sql.clause();
    let total = count(
        db,
        &sql,
        &format!("SELECT COUNT(*) FROM pool_members WHERE {clause}"),
        false,
    )
    .await?;
    let (limit, offset) = (sql.next(), sql.next() + 1);
    let rows = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM pool_members WHERE {clause} ORDER BY organization, id LIMIT ${limit} OFFSET ${offset}"
        ))))
        .bind(page.size)
        .bind(page.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((rows, total))
}

/// A member whose grade the authority of `region_id` granted; any other is none.
pub async fn authority_member(db: &Db, region_id: i64, id: i64) -> Result<Option<Member>> {
    let text = format!(
        "SELECT {MEMBER_COLUMNS} FROM pool_members WHERE id = $1 AND {AUTHORITY_ROUNDS}$2)"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(id)
        .bind(region_id)
        .fetch_optional(&db.pool)
        .await
}

/// The member, locked for the command.
pub async fn member_in(tx: &mut Tx, id: i64) -> Result<Option<Member>> {
    let lock = if tx.backend == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let text = format!("SELECT {MEMBER_COLUMNS} FROM pool_members WHERE id = $1{lock}");
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

/// Changes an active member's status and grade; false when it is no longer active.
pub async fn change_member(
    tx: &mut Tx,
    id: i64,
    status: &str,
    result: &str,
    stars: Option<i64>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE pool_members SET status = $2, result = $3, stars = $4, updated_at = $5 WHERE id = $1 AND status = 'active'",
    )
    .bind(id)
    .bind(status)
    .bind(result)
    .bind(stars)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The active member of an organisation for a scheme and type (the pool's standing).
pub async fn active_member(
    db: &Db,
    organization_id: i64,
    scheme_id: &str,
    provider_type: &str,
) -> Result<Option<Member>> {
    let text = format!(
        "SELECT {MEMBER_COLUMNS} FROM pool_members WHERE organization_id = $1 AND scheme_id = $2 AND provider_type = $3 AND status = 'active'"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(text))
        .bind(organization_id)
        .bind(scheme_id)
        .bind(provider_type)
        .fetch_optional(&db.pool)
        .await
}

// --- spot checks ----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SpotCheck {
    pub id: i64,
    pub member_id: i64,
    pub checked_on: String,
    pub inspectors: String,
    pub findings: String,
    pub outcome: String,
    pub stars: Option<i64>,
    pub actor_id: i64,
    pub at: i64,
}

#[derive(Debug)]
pub struct NewSpotCheck<'a> {
    pub member_id: i64,
    pub checked_on: &'a str,
    pub inspectors: &'a str,
    pub findings: &'a str,
    pub outcome: &'a str,
    pub stars: Option<i64>,
    pub actor_id: i64,
}

pub async fn insert_spot_check(tx: &mut Tx, check: &NewSpotCheck<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO spot_checks (member_id, checked_on, inspectors, findings, outcome, stars, actor_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(check.member_id)
    .bind(check.checked_on)
    .bind(check.inspectors)
    .bind(check.findings)
    .bind(check.outcome)
    .bind(check.stars)
    .bind(check.actor_id)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

pub async fn insert_spot_check_file(
    tx: &mut Tx,
    spot_check_id: i64,
    sha256: &str,
    filename: &str,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO spot_check_files (spot_check_id, sha256, filename, at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(spot_check_id)
    .bind(sha256)
    .bind(filename)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// A member's spot checks, oldest first.
pub async fn spot_checks(db: &Db, member_id: i64) -> Result<Vec<SpotCheck>> {
    sqlx::query_as(
        "SELECT id, member_id, checked_on, inspectors, findings, outcome, stars, actor_id, at FROM spot_checks WHERE member_id = $1 ORDER BY id",
    )
    .bind(member_id)
    .fetch_all(&db.pool)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SpotCheckFile {
    pub id: i64,
    pub spot_check_id: i64,
    pub sha256: String,
    pub filename: String,
}

/// The files of a member's spot checks.
pub async fn spot_check_files(db: &Db, member_id: i64) -> Result<Vec<SpotCheckFile>> {
    sqlx::query_as(
        "SELECT f.id, f.spot_check_id, f.sha256, f.filename FROM spot_check_files f \
         JOIN spot_checks c ON c.id = f.spot_check_id WHERE c.member_id = $1 ORDER BY f.id",
    )
    .bind(member_id)
    .fetch_all(&db.pool)
    .await
}

/// One spot check's file with the member it belongs to.
pub async fn spot_check_file(db: &Db, id: i64) -> Result<Option<(SpotCheckFile, i64)>> {
    let row: Option<(i64, i64, String, String, i64)> = sqlx::query_as(
        "SELECT f.id, f.spot_check_id, f.sha256, f.filename, c.member_id FROM spot_check_files f \
         JOIN spot_checks c ON c.id = f.spot_check_id WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(id, spot_check_id, sha256, filename, member)| {
        (
            SpotCheckFile {
                id,
                spot_check_id,
                sha256,
                filename,
            },
            member,
        )
    }))
}

// --- bars -----------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Bar {
    pub id: i64,
    pub organization_id: i64,
    pub organization: String,
    pub credit_code: String,
    pub scheme_id: String,
    pub region_id: i64,
    pub ground: String,
    pub clause: String,
    pub found_on: String,
    pub first_free_on: String,
    pub application_id: Option<i64>,
    pub member_id: Option<i64>,
    pub detail: String,
    pub at: i64,
}

const BAR_SELECT: &str = "SELECT b.id, b.organization_id, o.name AS organization, o.credit_code, b.scheme_id, b.region_id, b.ground, b.clause, b.found_on, b.first_free_on, b.application_id, b.member_id, b.detail, b.at FROM bars b JOIN organizations o ON o.id = b.organization_id";

#[derive(Debug)]
pub struct NewBar<'a> {
    pub organization_id: i64,
    pub scheme_id: &'a str,
    pub region_id: i64,
    pub ground: &'a str,
    pub clause: &'a str,
    pub found_on: &'a str,
    pub first_free_on: &'a str,
    pub application_id: Option<i64>,
    pub member_id: Option<i64>,
    pub detail: &'a str,
    pub actor_id: i64,
}

pub async fn insert_bar(tx: &mut Tx, bar: &NewBar<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO bars (organization_id, scheme_id, region_id, ground, clause, found_on, first_free_on, application_id, member_id, detail, actor_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(bar.organization_id)
    .bind(bar.scheme_id)
    .bind(bar.region_id)
    .bind(bar.ground)
    .bind(bar.clause)
    .bind(bar.found_on)
    .bind(bar.first_free_on)
    .bind(bar.application_id)
    .bind(bar.member_id)
    .bind(bar.detail)
    .bind(bar.actor_id)
    .bind(now)
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// An organisation's bars under a scheme, the latest finding first.
pub async fn bars_of(db: &Db, organization_id: i64, scheme_id: &str) -> Result<Vec<Bar>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{BAR_SELECT} WHERE b.organization_id = $1 AND b.scheme_id = $2 ORDER BY b.found_on DESC, b.id DESC"
    )))
    .bind(organization_id)
    .bind(scheme_id)
    .fetch_all(&db.pool)
    .await
}

/// The bars an authority found, the latest first: those in force on `today` only when
/// `in_force`.
pub async fn authority_bars(
    db: &Db,
    region_id: i64,
    in_force_on: Option<&str>,
    page: Page,
) -> Result<(Vec<Bar>, i64)> {
    let mut sql = Conditions::new();
    sql.push_int("b.region_id = ", region_id);
    if let Some(today) = in_force_on {
        sql.push_text("b.first_free_on > ", today.to_owned(), "");
    }
    let clause = sql.clause();
    let total = count(
        db,
        &sql,
        &format!("SELECT COUNT(*) FROM bars b WHERE {clause}"),
        false,
    )
    .await?;
    let (limit, offset) = (sql.next(), sql.next() + 1);
    let rows = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{BAR_SELECT} WHERE {clause} ORDER BY b.id DESC LIMIT ${limit} OFFSET ${offset}"
        ))))
        .bind(page.size)
        .bind(page.offset())
        .fetch_all(&db.pool)
        .await?;
    Ok((rows, total))
}

/// The bars recorded against a member.
pub async fn member_bars(db: &Db, member_id: i64) -> Result<Vec<Bar>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{BAR_SELECT} WHERE b.member_id = $1 ORDER BY b.id"
    )))
    .bind(member_id)
    .fetch_all(&db.pool)
    .await
}

// --- existing members (二（二）2) --------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LegacyMember {
    pub id: i64,
    pub region_id: i64,
    pub scheme_id: String,
    pub organization: String,
    pub credit_code: String,
    pub type_label: String,
    pub deadline: String,
    pub status: String,
    pub at: i64,
    pub updated_at: i64,
}

const LEGACY_COLUMNS: &str = "id, region_id, scheme_id, organization, credit_code, type_label, deadline, status, at, updated_at";

#[derive(Debug)]
pub struct NewLegacyMember<'a> {
    pub region_id: i64,
    pub scheme_id: &'a str,
    pub organization: &'a str,
    pub credit_code: &'a str,
    pub type_label: &'a str,
    pub deadline: &'a str,
    pub actor_id: i64,
}

/// Records an existing member; false when the same (scheme, code, type) was already imported.
pub async fn insert_legacy_member(
    tx: &mut Tx,
    member: &NewLegacyMember<'_>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO legacy_members (region_id, scheme_id, organization, credit_code, type_label, deadline, actor_id, at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (scheme_id, credit_code, type_label) DO NOTHING",
    )
    .bind(member.region_id)
    .bind(member.scheme_id)
    .bind(member.organization)
    .bind(member.credit_code)
    .bind(member.type_label)
    .bind(member.deadline)
    .bind(member.actor_id)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The existing members an authority imported, by name.
pub async fn authority_legacy_members(
    db: &Db,
    region_id: i64,
    page: Page,
) -> Result<(Vec<LegacyMember>, i64)> {
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM legacy_members WHERE region_id = $1")
            .bind(region_id)
            .fetch_one(&db.pool)
            .await?;
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LEGACY_COLUMNS} FROM legacy_members WHERE region_id = $1 ORDER BY organization, id LIMIT $2 OFFSET $3"
    )))
    .bind(region_id)
    .bind(page.size)
    .bind(page.offset())
    .fetch_all(&db.pool)
    .await?;
    Ok((rows, total))
}

/// Existing members still pending whose deadline is before `today`.
pub async fn legacy_members_due(db: &Db, today: &str) -> Result<Vec<LegacyMember>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LEGACY_COLUMNS} FROM legacy_members WHERE status = 'pending' AND deadline < $1 ORDER BY deadline, id"
    )))
    .bind(today)
    .fetch_all(&db.pool)
    .await
}

/// Whether a grade of `scheme_id` was published for the credit code with a term starting on or
/// before `by` (the existing member passed the assessment in time).
pub async fn graded_by(tx: &mut Tx, scheme_id: &str, credit_code: &str, by: &str) -> Result<bool> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM pool_members WHERE scheme_id = $1 AND credit_code = $2 AND valid_from <= $3",
    )
    .bind(scheme_id)
    .bind(credit_code)
    .bind(by)
    .fetch_one(tx.conn())
    .await?;
    Ok(count > 0)
}

/// Moves a pending existing member to `status`; false when it is no longer pending.
pub async fn settle_legacy_member(tx: &mut Tx, id: i64, status: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE legacy_members SET status = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(status)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}
