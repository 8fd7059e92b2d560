//! Multi-row inserts: many rows of one table in one statement, for the writes that add thousands of rows in one
//! transaction (seed lists, large imports). One statement per row costs a round trip to the database each; on the
//! 10,821 administrative units that was most of the first start.
use sqlx::{Any, Transaction};

/// A value bound into a [`Rows`] insert.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Text, or NULL.
    Text(Option<String>),
    /// An integer.
    Int(i64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(Some(s.to_owned()))
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(Some(s))
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Self {
        Cell::Text(s)
    }
}

impl From<Option<&str>> for Cell {
    fn from(s: Option<&str>) -> Self {
        Cell::Text(s.map(str::to_owned))
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

/// Rows waiting to be inserted into one table, written many to a statement by [`Rows::insert`].
#[derive(Debug)]
pub struct Rows {
    table: &'static str,
    columns: &'static [&'static str],
    cells: Vec<Cell>,
}

/// Bound parameters per statement: well under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMS: usize = 2_000;

impl Rows {
    /// No rows yet for `table` with these columns.
    pub fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            table,
            columns,
            cells: Vec::new(),
        }
    }

    /// Adds one row: exactly one cell per column, in the columns' order.
    ///
    /// # Panics
    /// When the row has another number of cells than the table has columns (a programming error).
    pub fn push<const N: usize>(&mut self, row: [Cell; N]) {
        assert_eq!(
            N,
            self.columns.len(),
            "a row of {} needs {} cells",
            self.table,
            self.columns.len()
        );
        self.cells.extend(row);
    }

    /// How many rows wait.
    pub fn len(&self) -> usize {
        self.cells.len() / self.columns.len()
    }

    /// Whether no row waits.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Inserts every waiting row, in the order pushed, and leaves none waiting.
    pub async fn insert(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), sqlx::Error> {
        let width = self.columns.len();
        let per_statement = (MAX_PARAMS / width).max(1);
        let cells = std::mem::take(&mut self.cells);
        // SQLite's driver looks each numbered or named parameter up among all of the statement's (quadratic in a
        // statement of thousands): plain `?` binds in order. PostgreSQL needs `$1`.
        let numbered = tx.backend_name() != "SQLite";
        for chunk in cells.chunks(per_statement * width) {
            let sql = self.statement(chunk.len() / width, numbered);
            let mut query = sqlx::query(&sql);
            for cell in chunk {
                query = match cell {
                    Cell::Text(t) => query.bind(t.clone()),
                    Cell::Int(n) => query.bind(*n),
                };
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// `INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ...` for `rows` rows (`(?, ?), (?, ?)` unless `numbered`).
    fn statement(&self, rows: usize, numbered: bool) -> String {
        let width = self.columns.len();
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            self.table,
            self.columns.join(", ")
        );
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                if numbered {
                    sql.push('$');
                    sql.push_str(&(r * width + c + 1).to_string());
                } else {
                    sql.push('?');
                }
            }
            sql.push(')');
        }
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_every_parameter_in_row_order() {
        let rows = Rows::new("t", &["a", "b"]);
        assert_eq!(
            rows.statement(2, true),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            rows.statement(2, false),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
    }

    #[test]
    fn counts_rows_not_cells() {
        let mut rows = Rows::new("t", &["a", "b"]);
        rows.push(["x".into(), 1.into()]);
        rows.push([Cell::Text(None), 2.into()]);
        assert_eq!(rows.len(), 2);
    }
}
