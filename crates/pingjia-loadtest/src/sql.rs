//! Multi-row `INSERT`s in one dialect (`$n` placeholders) for SQLite and PostgreSQL through
//! sqlx's `Any` driver, split so that no statement binds more parameters than either backend
//! accepts.

use sqlx::AnyConnection;

/// One bound value.
#[derive(Debug, Clone)]
pub enum Value {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Value {
        Value::OptInt(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(value.to_owned())
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Value {
        Value::OptText(value)
    }
}

/// At most this many parameters per statement by default (SQLite allows 32,766, PostgreSQL
/// 65,535; smaller statements are faster through sqlx's SQLite driver, see `--max-parameters`).
pub static MAX_PARAMETERS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(200);

/// Rows for one table, inserted with as few statements as the parameter limit allows.
#[derive(Debug)]
pub struct Insert {
    table: &'static str,
    columns: &'static [&'static str],
    suffix: &'static str,
    rows: Vec<Vec<Value>>,
}

impl Insert {
    /// `suffix` follows the `VALUES` list (e.g. `ON CONFLICT (sha256) DO NOTHING`).
    pub fn new(
        table: &'static str,
        columns: &'static [&'static str],
        suffix: &'static str,
    ) -> Insert {
        Insert {
            table,
            columns,
            suffix,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.table);
        self.rows.push(row);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }

    /// Runs the statements on `connection` (a transaction, normally).
    pub async fn execute(self, connection: &mut AnyConnection) -> anyhow::Result<()> {
        let width = self.columns.len();
        let per_statement =
            (MAX_PARAMETERS.load(std::sync::atomic::Ordering::Relaxed) / width).max(1);
        let mut rows = self.rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
            let mut sql = format!(
                "INSERT INTO {} ({}) VALUES ",
                self.table,
                self.columns.join(", ")
            );
            let mut position = 1;
            for (index, _) in chunk.iter().enumerate() {
                if index > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for column in 0..width {
                    if column > 0 {
                        sql.push_str(", ");
                    }
                    sql.push('$');
                    sql.push_str(&position.to_string());
                    position += 1;
                }
                sql.push(')');
            }
            if !self.suffix.is_empty() {
                sql.push(' ');
                sql.push_str(self.suffix);
            }
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for value in row {
                    query = match value {
                        Value::Int(v) => query.bind(v),
                        Value::OptInt(v) => query.bind(v),
                        Value::Text(v) => query.bind(v),
                        Value::OptText(v) => query.bind(v),
                    };
                }
            }
            query.execute(&mut *connection).await?;
        }
        Ok(())
    }
}
