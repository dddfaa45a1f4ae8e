//! Building blocks of the list queries: region ranges, `WHERE` clauses with numbered
//! parameters, name patterns, SQLite's index choice and remembered totals.

use super::*;

/// The half-open range `[path, end)` of the paths that start with `path`: every path inside
/// a region sorts between the region's own path and the same path with its last byte raised
/// (paths are ASCII digits and `/`, compared bytewise: SQLite's BINARY collation and the
/// `C` collation the PostgreSQL migrations give the path columns). A range, unlike `LIKE`,
/// is read from an index on both databases.
pub fn path_range(path: &str) -> (String, String) {
    let mut end = path.to_owned();
    match end.pop() {
        Some(last) if last < '\u{7f}' => end.push(char::from(last as u8 + 1)),
        Some(last) => end.extend([last, '\u{7f}']),
        None => end.push('\u{7f}'),
    }
    (path.to_owned(), end)
}

/// A `WHERE` clause under construction, with its parameters numbered in order.
#[derive(Debug, Default)]
pub(super) struct Conditions {
    pub(super) parts: Vec<String>,
    pub(super) args: Vec<Arg>,
}

#[derive(Debug)]
pub(super) enum Arg {
    Int(i64),
    Text(String),
}

pub(super) type AnyQueryAs<'q, O> = sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>;

impl Conditions {
    pub(super) fn new() -> Conditions {
        Conditions::default()
    }

    pub(super) fn next(&self) -> usize {
        self.args.len() + 1
    }

    /// Adds `{prefix}$n` with an integer parameter.
    pub(super) fn push_int(&mut self, prefix: &str, value: i64) {
        self.parts.push(format!("{prefix}${}", self.next()));
        self.args.push(Arg::Int(value));
    }

    /// Adds `{prefix}$n{suffix}` with a text parameter.
    pub(super) fn push_text(&mut self, prefix: &str, value: String, suffix: &str) {
        self.parts.push(format!("{prefix}${}{suffix}", self.next()));
        self.args.push(Arg::Text(value));
    }

    /// Adds `column` within the paths under `path`.
    pub(super) fn push_path(&mut self, column: &str, path: &str) {
        let (start, end) = path_range(path);
        self.push_text(&format!("{column} >= "), start, "");
        self.push_text(&format!("{column} < "), end, "");
    }

    /// Adds the visibility condition of a scope on the applications table (aliased by
    /// `table`, e.g. `"a."`); false when the scope sees nothing.
    pub(super) fn push_scope(&mut self, scope: &Scope, table: &str) -> bool {
        match scope {
            Scope::Organization(id) => self.push_int(&format!("{table}organization_id = "), *id),
            Scope::Region(path, office) => {
                self.push_path(&format!("{table}region_path"), path);
                if let Some(office) = office {
                    // Applications created before routes were recorded carry none.
                    let n = self.next();
                    self.parts
                        .push(format!("({table}offices = '' OR {table}offices LIKE ${n})"));
                    self.args.push(Arg::Text(format!("%/{office}/%")));
                }
                self.parts.push(format!("{table}state <> 'draft'"));
            }
            Scope::Expert(user_id) => {
                let n = self.next();
                self.parts
                    .push(format!("{table}id IN ({})", expert_applications(n)));
                self.args.push(Arg::Int(*user_id));
                self.parts.push(format!("{table}{EXPERT_STATES}"));
            }
            Scope::Nothing => return false,
        }
        true
    }

    pub(super) fn clause(&self) -> String {
        if self.parts.is_empty() {
            "1 = 1".into()
        } else {
            self.parts.join(" AND ")
        }
    }

    pub(super) fn bind<'q, O>(&self, mut query: AnyQueryAs<'q, O>) -> AnyQueryAs<'q, O> {
        for arg in &self.args {
            query = match arg {
                Arg::Int(value) => query.bind(*value),
                Arg::Text(value) => query.bind(value.clone()),
            };
        }
        query
    }
}

/// `%part%` for `LIKE … ESCAPE '\'`, with the part's own wildcards escaped.
pub(super) fn contains_pattern(part: &str) -> String {
    let mut pattern = String::with_capacity(part.len() + 2);
    pattern.push('%');
    for c in part.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// How SQLite is to read one page of a region's list from `table`: ` INDEXED BY walk` (walk
/// the list's order and stop after the page, about (offset + size) × all / total entries of a
/// larger index) or ` INDEXED BY sort` (the region's range, `total` entries, sorted — about
/// four times the cost per entry, measured on 100,000 applications: docs/benchmarks-web.md).
/// SQLite keeps no statistics and would always sort (a province: 70,000 rows for the first
/// 20), so it is told, from the totals at hand; PostgreSQL's planner weighs the two itself.
pub(super) async fn index_hint(
    db: &Db,
    table: &str,
    page: Page,
    total: i64,
    [walk, sort]: [&str; 2],
) -> Result<String> {
    const SORT_COST: i64 = 4;
    if db.backend != Backend::Sqlite {
        return Ok(String::new());
    }
    let all = count(
        db,
        &Conditions::new(),
        &format!("SELECT COUNT(*) FROM {table}"),
        true,
    )
    .await?;
    let walked = (page.offset() + page.size).saturating_mul(all) / total.max(1);
    let index = if walked <= total.saturating_mul(SORT_COST) {
        walk
    } else {
        sort
    };
    Ok(format!(" INDEXED BY {index}"))
}

/// Runs a `COUNT(*)` query with the conditions' parameters; `remembered` keeps the result in
/// `db.totals` (keyed by the query and its parameters) until an application changes.
pub(super) async fn count(db: &Db, sql: &Conditions, query: &str, remembered: bool) -> Result<i64> {
    let key = format!("{query} {:?}", sql.args);
    if remembered && let Some(total) = db.totals.get(&key) {
        return Ok(total);
    }
    // One count at a time: when a total expires under load, the requests that find it
    // missing wait for the first one's count instead of all counting at once.
    let _counting = if remembered {
        let guard = db.totals.counting().await;
        if let Some(total) = db.totals.get(&key) {
            return Ok(total);
        }
        Some(guard)
    } else {
        None
    };
    let generation = db.totals.generation();
    let (total,): (i64,) = sql
        .bind(sqlx::query_as(sqlx::AssertSqlSafe(query.to_owned())))
        .fetch_one(&db.pool)
        .await?;
    if remembered {
        db.totals.put(key, generation, total);
    }
    Ok(total)
}

/// The applications an expert account sees (`Scope::Expert`): those of its accepted
/// assignments without a confirmed conflict, as a subquery selecting `s.application_id`, the
/// user bound as `$n`. With [`EXPERT_STATES`], the one rule of what an expert sees.
pub(super) fn expert_applications(n: usize) -> String {
    format!(
        "SELECT s.application_id FROM expert_assignments s JOIN experts x ON x.id = s.expert_id \
         WHERE x.user_id = ${n} AND s.status = 'accepted' \
         AND NOT EXISTS (SELECT 1 FROM conflicts c WHERE c.application_id = s.application_id \
                         AND c.expert_id = s.expert_id AND c.status = 'confirmed')"
    )
}

/// The states in which an expert sees the applications it was admitted to: from the expert
/// review on.
pub(super) const EXPERT_STATES: &str =
    "state IN ('expert_review', 'public_notice', 'published', 'not_graded')";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_range_holds_its_subtree_and_nothing_else() {
        let (start, end) = path_range("/32/3205/");
        assert_eq!((start.as_str(), end.as_str()), ("/32/3205/", "/32/32050"));
        let inside = |path: &str| start.as_str() <= path && path < end.as_str();
        assert!(inside("/32/3205/"));
        assert!(inside("/32/3205/320583/"));
        assert!(!inside("/32/3201/320115/"));
        assert!(!inside("/32/3206/"));
        assert!(!inside("/32/"));
        assert!(!inside("/33/3302/330602/"));
        assert_eq!(path_range("/"), ("/".to_owned(), "0".to_owned()));
    }

    #[test]
    fn name_searches_take_wildcards_literally() {
        assert_eq!(contains_pattern("甲公司"), "%甲公司%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
