//! The tabular data API's store: every CSV file of a distribution is ingested into a typed SQL table in the same
//! database (one table per file content hash, so releases keep theirs), and queried with filters, sorting, field
//! selection and keyset paging, page by page so a million rows never sit in memory.
//!
//! Types are inferred from the whole file (integer, number, boolean, date, text; empty cells are NULL), or declared by
//! the publisher per column (a distribution's `columnTypes`, checked against every value). Ingestion is one
//! transaction: a ragged row, a bad encoding or a value that does not fit its declared type is reported with its line
//! and nothing is created. A table is keyed by the file's hash plus the declared types, so the same file declared two
//! ways is two tables, and a release keeps the table it was published with.
use std::collections::BTreeMap;
use std::path::Path;

use registry::InputProblem;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::error::CatalogError;
use crate::store::Catalog;

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Whole numbers.
    Integer,
    /// Decimal numbers.
    Number,
    /// true / false.
    Boolean,
    /// YYYY-MM-DD.
    Date,
    /// Anything else.
    Text,
}

/// A column of an ingested table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Column {
    /// The header in the file.
    pub name: String,
    /// The inferred (or overridden) type.
    #[serde(rename = "type")]
    pub kind: ColumnType,
}

/// An ingested table.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableInfo {
    /// The file's sha256.
    pub sha256: String,
    /// Columns in file order.
    pub columns: Vec<Column>,
    /// Rows.
    pub row_count: i64,
    #[serde(skip)]
    table: String,
}

/// A filter on one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `col=value`.
    Eq(String, String),
    /// `col.gt=`, `col.gte=`, `col.lt=`, `col.lte=`.
    Compare(String, &'static str, String),
    /// `col.in=a,b,c`.
    In(String, Vec<String>),
}

/// A query.
#[derive(Debug, Clone, Default)]
pub struct DataQuery {
    /// Filters, AND-ed.
    pub filters: Vec<Filter>,
    /// Text contained in any text column (case-insensitive).
    pub q: Option<String>,
    /// Sort by this column (`-` prefix for descending); default file order.
    pub sort: Option<String>,
    /// Only these columns.
    pub fields: Vec<String>,
    /// Continue after this row (file order) or, when sorted, skip this many rows.
    pub cursor: Option<i64>,
    /// Rows wanted (None = all, streamed).
    pub limit: Option<i64>,
    /// Also count all matching rows.
    pub with_total: bool,
    /// Skip this many matching rows (CKAN's `offset`); replaces the cursor.
    pub offset: Option<i64>,
    /// Only distinct rows of the selected columns (CKAN's `distinct`), paged by offset.
    pub distinct: bool,
}

/// Columns indexed at most per table (the first ones, in file order): each index costs ingestion time and space.
pub const INDEXED_COLUMNS: usize = 16;

/// The statements that index a table's columns for filters: one index per column on `(column, _row)`, so an equality
/// filter reads its rows in file order straight from the index (the keyset cursor continues in it) and a range filter
/// reads only its range.
fn index_statements(table: &str, columns: usize) -> Vec<String> {
    (0..columns.min(INDEXED_COLUMNS))
        .map(|i| format!("CREATE INDEX IF NOT EXISTS {table}_c{i} ON {table} (c{i}, _row)"))
        .collect()
}

/// One page of rows.
#[derive(Debug, Clone)]
pub struct RowsPage {
    /// Rows as JSON objects keyed by column name.
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    /// The cursor of the next page.
    pub next: Option<i64>,
    /// All matching rows, when asked.
    pub total: Option<i64>,
}

/// Column types a publisher declares, by column name; the others are inferred.
pub type ColumnTypes = BTreeMap<String, ColumnType>;

impl ColumnType {
    fn name(self) -> &'static str {
        match self {
            Self::Integer => "an integer",
            Self::Number => "a number",
            Self::Boolean => "a boolean (true or false)",
            Self::Date => "a date (YYYY-MM-DD)",
            Self::Text => "text",
        }
    }

    /// Whether a non-empty cell can be stored as this type.
    fn fits(self, v: &str) -> bool {
        match self {
            Self::Integer => v.parse::<i64>().is_ok(),
            Self::Number => v.parse::<f64>().is_ok_and(f64::is_finite),
            Self::Boolean => matches!(v, "true" | "false" | "TRUE" | "FALSE"),
            Self::Date => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok(),
            Self::Text => true,
        }
    }
}

/// The key of the table of a file ingested with `declared` types: the file's hash alone when nothing is declared.
pub fn table_key(sha256: &str, declared: &ColumnTypes) -> String {
    if declared.is_empty() {
        sha256.to_owned()
    } else {
        let canonical = serde_json::to_string(declared).expect("column types serialize");
        format!(
            "{sha256}+{}",
            &registry::changelog::sha256_hex(canonical.as_bytes())[..16]
        )
    }
}

/// The columns of a parsed file: declared types checked against every value (the first misfit is named with its line
/// and column), the other columns inferred.
fn resolve_columns(parsed: &Parsed, declared: &ColumnTypes) -> Result<Vec<Column>, CatalogError> {
    let (header, rows, lines) = parsed;
    let mut problems = Vec::new();
    for name in declared.keys() {
        if !header.contains(name) {
            problems.push(InputProblem::field(
                format!("columnTypes/{name}"),
                format!(
                    "the file has no column {name:?} (columns: {})",
                    header.join(", ")
                ),
            ));
        }
    }
    let mut columns = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        let kind = match declared.get(name) {
            Some(&kind) => {
                if let Some((row, value)) = rows
                    .iter()
                    .enumerate()
                    .map(|(r, cells)| (r, cells[i].as_str()))
                    .find(|(_, v)| !v.is_empty() && !kind.fits(v))
                {
                    problems.push(InputProblem::line(
                        lines[row],
                        Some(name.as_str()),
                        format!(
                            "{value:?} is not {} (declared for column {name:?})",
                            kind.name()
                        ),
                    ));
                }
                kind
            }
            None => {
                let values: Vec<&str> = rows.iter().map(|r| r[i].as_str()).collect();
                infer(&values)
            }
        };
        columns.push(Column {
            name: name.clone(),
            kind,
        });
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(CatalogError::Invalid(problems))
    }
}

fn infer(values: &[&str]) -> ColumnType {
    let non_empty: Vec<&&str> = values.iter().filter(|v| !v.is_empty()).collect();
    if non_empty.is_empty() {
        return ColumnType::Text;
    }
    let all = |f: &dyn Fn(&str) -> bool| non_empty.iter().all(|v| f(v));
    // Codes with leading zeros ("01") stay text: they are identifiers, not numbers.
    if all(&|v| v.parse::<i64>().is_ok() && !(v.len() > 1 && v.starts_with('0'))) {
        ColumnType::Integer
    } else if all(&|v| {
        v.parse::<f64>().is_ok_and(f64::is_finite)
            && !(v.len() > 1 && v.starts_with('0') && !v.starts_with("0."))
    }) {
        ColumnType::Number
    } else if all(&|v| matches!(v, "true" | "false" | "TRUE" | "FALSE")) {
        ColumnType::Boolean
    } else if all(&|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok()) {
        ColumnType::Date
    } else {
        ColumnType::Text
    }
}

fn sql_type(kind: ColumnType, postgres: bool) -> &'static str {
    match (kind, postgres) {
        (ColumnType::Integer, _) => "BIGINT",
        (ColumnType::Number, true) => "DOUBLE PRECISION",
        (ColumnType::Number, false) => "REAL",
        (ColumnType::Boolean, true) => "BOOLEAN",
        (ColumnType::Boolean, false) => "INTEGER",
        (ColumnType::Date | ColumnType::Text, _) => "TEXT",
    }
}

impl Catalog {
    /// The table of an ingested file, by its [`table_key`], if any.
    pub async fn table(&self, key: &str) -> Result<Option<TableInfo>, CatalogError> {
        let row = sqlx::query(
            "SELECT table_name, columns, row_count FROM tabular_tables WHERE sha256 = $1",
        )
        .bind(key)
        .fetch_optional(self.database().pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let columns: String = row.try_get(1)?;
        Ok(Some(TableInfo {
            sha256: key.split('+').next().unwrap_or(key).to_owned(),
            table: row.try_get(0)?,
            columns: serde_json::from_str(&columns).map_err(CatalogError::storage)?,
            row_count: row.try_get(2)?,
        }))
    }

    /// The table behind CSV distribution `did` of dataset `id` as `viewer` may see it (its published revision for
    /// the public), ingested on first use if an older file never was.
    pub async fn table_of(
        &self,
        viewer: Option<&crate::curator::Curator<'_>>,
        id: &str,
        did: &str,
        revision: Option<i64>,
    ) -> Result<TableInfo, CatalogError> {
        let dist = self.visible_distribution(viewer, id, did, revision).await?;
        let sha = dist.file_sha256.as_deref().ok_or_else(|| {
            CatalogError::NotFound(format!(
                "{id}/{did}: this distribution has no file in the catalog"
            ))
        })?;
        if let Some(t) = self.table(&table_key(sha, &dist.column_types)).await? {
            return Ok(t);
        }
        if !dist.is_csv() {
            return Err(CatalogError::NotFound(format!(
                "{id}/{did}: the data API serves CSV distributions only"
            )));
        }
        let path = self.file_path(sha)?;
        self.ingest_csv(sha, &path, &dist.column_types).await
    }

    /// Ingests a stored CSV file with the publisher's `declared` column types (idempotent: a table already ingested
    /// for the same file and declaration is left as it is).
    pub async fn ingest_csv(
        &self,
        sha256: &str,
        path: &Path,
        declared: &ColumnTypes,
    ) -> Result<TableInfo, CatalogError> {
        let key = table_key(sha256, declared);
        if let Some(t) = self.table(&key).await? {
            return Ok(t);
        }
        let bytes = tokio::fs::read(path).await.map_err(CatalogError::storage)?;
        let declared_types = declared.clone();
        let (parsed, columns) = tokio::task::spawn_blocking(move || {
            let parsed = parse_csv(&bytes)?;
            let columns = resolve_columns(&parsed, &declared_types)?;
            Ok::<_, CatalogError>((parsed, columns))
        })
        .await
        .map_err(CatalogError::storage)??;
        let (_, rows, _) = parsed;
        let postgres = self.database().backend() == registry::Backend::Postgres;
        // Undeclared tables keep the name they always had; declared ones are named after their key.
        let table = if declared.is_empty() {
            format!("tabular_{}", &sha256[..16])
        } else {
            format!(
                "tabular_{}",
                &registry::changelog::sha256_hex(key.as_bytes())[..16]
            )
        };
        let mut w = self.database().write().await?;
        let defs: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("c{i} {}", sql_type(c.kind, postgres)))
            .collect();
        sqlx::query(&format!(
            "CREATE TABLE {table} (_row BIGINT PRIMARY KEY, {})",
            defs.join(", ")
        ))
        .execute(&mut *w.tx)
        .await?;
        // Batches under both backends' bound-parameter limits.
        let per_row = columns.len() + 1;
        let batch = (30_000 / per_row).clamp(1, 500);
        for (chunk_index, chunk) in rows.chunks(batch).enumerate() {
            let mut sql = format!("INSERT INTO {table} VALUES ");
            let mut n = 1;
            for (i, _) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push('(');
                for j in 0..per_row {
                    if j > 0 {
                        sql.push(',');
                    }
                    sql.push_str(&format!("${n}"));
                    n += 1;
                }
                sql.push(')');
            }
            let mut q = sqlx::query(&sql);
            for (i, row) in chunk.iter().enumerate() {
                q = q.bind((chunk_index * batch + i + 1) as i64);
                for (value, c) in row.iter().zip(&columns) {
                    q = bind_value(q, value, c.kind, postgres);
                }
            }
            q.execute(&mut *w.tx).await?;
        }
        for statement in index_statements(&table, columns.len()) {
            sqlx::query(&statement).execute(&mut *w.tx).await?;
        }
        sqlx::query(
            "INSERT INTO tabular_tables (sha256, table_name, columns, row_count, ingested_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key)
        .bind(&table)
        .bind(serde_json::to_string(&columns).expect("columns serialize"))
        .bind(rows.len() as i64)
        .bind(registry::changelog::now())
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(TableInfo {
            sha256: sha256.to_owned(),
            columns,
            row_count: rows.len() as i64,
            table,
        })
    }

    /// Indexes the tables ingested before tables were indexed at ingestion (idempotent; one write per table that
    /// lacks an index, so a restart after a crash finishes the rest). Returns the tables indexed.
    pub async fn index_tables(&self) -> Result<usize, CatalogError> {
        let rows =
            sqlx::query("SELECT table_name, columns FROM tabular_tables ORDER BY table_name")
                .fetch_all(self.database().pool())
                .await?;
        let mut indexed = 0;
        for row in rows {
            let table: String = row.try_get(0)?;
            let columns: Vec<Column> = serde_json::from_str(&row.try_get::<String, _>(1)?)
                .map_err(|e| CatalogError::Storage(format!("corrupt columns of {table}: {e}")))?;
            if columns.is_empty() || self.has_index(&table).await? {
                continue;
            }
            let mut w = self.database().write().await?;
            for statement in index_statements(&table, columns.len()) {
                sqlx::query(&statement).execute(&mut *w.tx).await?;
            }
            w.commit().await?;
            indexed += 1;
        }
        Ok(indexed)
    }

    async fn has_index(&self, table: &str) -> Result<bool, CatalogError> {
        let sql = match self.database().backend() {
            registry::Backend::Postgres => "SELECT COUNT(*) FROM pg_indexes WHERE indexname = $1",
            registry::Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = $1"
            }
        };
        let row = sqlx::query(sql)
            .bind(format!("{table}_c0"))
            .fetch_one(self.database().pool())
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// One page of rows as JSON objects (`None` for the next cursor when done).
    pub async fn query_rows(
        &self,
        info: &TableInfo,
        q: &DataQuery,
        page_size: i64,
    ) -> Result<RowsPage, CatalogError> {
        let postgres = self.database().backend() == registry::Backend::Postgres;
        let index_of = |name: &str| -> Result<usize, CatalogError> {
            info.columns
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| {
                    CatalogError::Invalid(vec![InputProblem::field(
                        name,
                        "no such column in this table",
                    )])
                })
        };
        let selected: Vec<usize> = if q.fields.is_empty() {
            (0..info.columns.len()).collect()
        } else {
            q.fields
                .iter()
                .map(|f| index_of(f))
                .collect::<Result<_, _>>()?
        };
        let mut where_ = vec!["1 = 1".to_owned()];
        let mut args: Vec<(String, ColumnType)> = Vec::new();
        let mut problems = Vec::new();
        let arg = |value: &str, kind: ColumnType, args: &mut Vec<(String, ColumnType)>| -> String {
            args.push((value.to_owned(), kind));
            format!("${}", args.len())
        };
        for f in &q.filters {
            let (col, values): (&String, Vec<&String>) = match f {
                Filter::Eq(c, v) | Filter::Compare(c, _, v) => (c, vec![v]),
                Filter::In(c, vs) => (c, vs.iter().collect()),
            };
            let i = index_of(col)?;
            let kind = info.columns[i].kind;
            for v in values {
                let ok = v.is_empty()
                    || match kind {
                        ColumnType::Integer => v.parse::<i64>().is_ok(),
                        ColumnType::Number => v.parse::<f64>().is_ok(),
                        ColumnType::Boolean => {
                            matches!(v.to_lowercase().as_str(), "true" | "false")
                        }
                        ColumnType::Date => {
                            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok()
                        }
                        ColumnType::Text => true,
                    };
                if !ok {
                    problems.push(InputProblem::field(
                        col.clone(),
                        format!("{v:?} is not a {kind:?} value").to_lowercase(),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        for f in &q.filters {
            match f {
                Filter::Eq(col, v) => {
                    let i = index_of(col)?;
                    let p = arg(v, info.columns[i].kind, &mut args);
                    where_.push(format!("c{i} = {p}"));
                }
                Filter::Compare(col, op, v) => {
                    let i = index_of(col)?;
                    let p = arg(v, info.columns[i].kind, &mut args);
                    where_.push(format!("c{i} {op} {p}"));
                }
                Filter::In(col, values) => {
                    let i = index_of(col)?;
                    let ps: Vec<String> = values
                        .iter()
                        .map(|v| arg(v, info.columns[i].kind, &mut args))
                        .collect();
                    where_.push(format!("c{i} IN ({})", ps.join(", ")));
                }
            }
        }
        if let Some(text) = q.q.as_deref().filter(|t| !t.is_empty()) {
            let like: Vec<String> = info
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.kind == ColumnType::Text)
                .map(|(i, _)| {
                    let p = arg(
                        &format!("%{}%", text.to_lowercase()),
                        ColumnType::Text,
                        &mut args,
                    );
                    format!("LOWER(c{i}) LIKE {p}")
                })
                .collect();
            where_.push(if like.is_empty() {
                "1 = 0".into()
            } else {
                format!("({})", like.join(" OR "))
            });
        }
        let cols: Vec<String> = selected.iter().map(|i| format!("c{i}")).collect();
        let (order, keyset) = match &q.sort {
            None if q.distinct => (
                if cols.is_empty() {
                    "1".to_owned()
                } else {
                    cols.join(", ")
                },
                false,
            ),
            None if q.offset.is_some() => ("_row".to_owned(), false),
            None => ("_row".to_owned(), true),
            Some(s) => {
                let (name, desc) = s
                    .strip_prefix('-')
                    .map_or((s.as_str(), false), |n| (n, true));
                let i = index_of(name)?;
                if q.distinct && !selected.contains(&i) {
                    return Err(CatalogError::Invalid(vec![InputProblem::field(
                        "sort",
                        format!(
                            "distinct rows can only be sorted by a selected field; add {name:?} to the fields"
                        ),
                    )]));
                }
                let direction = if desc { "DESC" } else { "ASC" };
                (
                    if q.distinct {
                        format!("c{i} {direction}")
                    } else {
                        format!("c{i} {direction}, _row")
                    },
                    false,
                )
            }
        };
        let after = q.offset.or(q.cursor).unwrap_or(0);
        if keyset {
            where_.push(format!("_row > {after}"));
        }
        let total = if q.with_total {
            let condition = where_
                .iter()
                .filter(|w| !w.starts_with("_row >"))
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" AND ");
            let sql = if q.distinct {
                format!(
                    "SELECT COUNT(*) FROM (SELECT DISTINCT {} FROM {} WHERE {condition}) AS d",
                    if cols.is_empty() {
                        "1".to_owned()
                    } else {
                        cols.join(", ")
                    },
                    info.table
                )
            } else {
                format!("SELECT COUNT(*) FROM {} WHERE {condition}", info.table)
            };
            // The table never changes: the same count with the same values holds for good.
            let key = format!(
                "{sql}\u{1f}{}",
                args.iter()
                    .map(|(v, _)| v.as_str())
                    .collect::<Vec<_>>()
                    .join("\u{1f}")
            );
            match self.table_totals.get(0, &key) {
                Some(total) => Some(total),
                None => {
                    let mut query = sqlx::query(&sql);
                    for (v, kind) in &args {
                        query = bind_value(query, v, *kind, postgres);
                    }
                    let row = query.fetch_one(self.database().pool()).await.map_err(|e| {
                        CatalogError::Invalid(vec![InputProblem::field(
                            "filter",
                            format!("a value does not fit its column: {e}"),
                        )])
                    })?;
                    let total = row.try_get::<i64, _>(0)?;
                    self.table_totals.put(0, key, total);
                    Some(total)
                }
            }
        } else {
            None
        };
        let mut sql = format!(
            "SELECT {}{}{} FROM {} WHERE {} ORDER BY {order} LIMIT {}",
            // A distinct row has no row number: a constant keeps the columns where the reader expects them.
            if q.distinct {
                "DISTINCT CAST(0 AS BIGINT) AS _row"
            } else {
                "_row"
            },
            if cols.is_empty() { "" } else { ", " },
            cols.join(", "),
            info.table,
            where_.join(" AND "),
            page_size + 1
        );
        if !keyset && after > 0 {
            sql.push_str(&format!(" OFFSET {after}"));
        }
        let mut query = sqlx::query(&sql);
        for (v, kind) in &args {
            query = bind_value(query, v, *kind, postgres);
        }
        let rows = query.fetch_all(self.database().pool()).await.map_err(|e| {
            CatalogError::Invalid(vec![InputProblem::field(
                "filter",
                format!("a value does not fit its column: {e}"),
            )])
        })?;
        let more = rows.len() as i64 > page_size;
        let mut out = Vec::with_capacity(rows.len().min(page_size as usize));
        let mut last_row = after;
        for row in rows.iter().take(page_size as usize) {
            last_row = row.try_get::<i64, _>(0)?;
            let mut obj = serde_json::Map::new();
            for (k, i) in selected.iter().enumerate() {
                let c = &info.columns[*i];
                let value = match c.kind {
                    ColumnType::Integer => row
                        .try_get::<Option<i64>, _>(k + 1)?
                        .map(serde_json::Value::from),
                    ColumnType::Number => row
                        .try_get::<Option<f64>, _>(k + 1)?
                        .map(serde_json::Value::from),
                    ColumnType::Boolean if postgres => row
                        .try_get::<Option<bool>, _>(k + 1)?
                        .map(serde_json::Value::from),
                    ColumnType::Boolean => row
                        .try_get::<Option<i64>, _>(k + 1)?
                        .map(|v| serde_json::Value::from(v != 0)),
                    ColumnType::Date | ColumnType::Text => row
                        .try_get::<Option<String>, _>(k + 1)?
                        .map(serde_json::Value::from),
                };
                obj.insert(c.name.clone(), value.unwrap_or(serde_json::Value::Null));
            }
            out.push(obj);
        }
        let next = more.then(|| if keyset { last_row } else { after + page_size });
        Ok(RowsPage {
            rows: out,
            next,
            total,
        })
    }
}

fn bind_value<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    value: &str,
    kind: ColumnType,
    postgres: bool,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    if value.is_empty() {
        return match kind {
            ColumnType::Integer => q.bind(None::<i64>),
            ColumnType::Number => q.bind(None::<f64>),
            ColumnType::Boolean if postgres => q.bind(None::<bool>),
            ColumnType::Boolean => q.bind(None::<i64>),
            _ => q.bind(None::<String>),
        };
    }
    match kind {
        ColumnType::Integer => q.bind(value.parse::<i64>().ok()),
        ColumnType::Number => q.bind(value.parse::<f64>().ok()),
        ColumnType::Boolean if postgres => q.bind(value.eq_ignore_ascii_case("true")),
        ColumnType::Boolean => q.bind(i64::from(value.eq_ignore_ascii_case("true"))),
        _ => q.bind(value.to_owned()),
    }
}

/// The header, the rows, and each row's line in the file.
type Parsed = (Vec<String>, Vec<Vec<String>>, Vec<u64>);

fn parse_csv(bytes: &[u8]) -> Result<Parsed, CatalogError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1;
        return Err(CatalogError::Invalid(vec![InputProblem::line(
            line,
            None,
            "not valid UTF-8",
        )]));
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes);
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|s| s.trim().to_owned()).collect(),
        _ => {
            return Err(CatalogError::Invalid(vec![InputProblem::line(
                1,
                None,
                "a header row is required",
            )]));
        }
    };
    if header.iter().any(String::is_empty) {
        return Err(CatalogError::Invalid(vec![InputProblem::line(
            1,
            None,
            "every column needs a name",
        )]));
    }
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for record in records {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            CatalogError::Invalid(vec![InputProblem::line(
                line,
                None,
                format!("unreadable row: {e}"),
            )])
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            return Err(CatalogError::Invalid(vec![InputProblem::line(
                line,
                None,
                format!("expected {} fields, found {}", header.len(), record.len()),
            )]));
        }
        rows.push(record.iter().map(str::to_owned).collect());
        lines.push(line);
    }
    Ok((header, rows, lines))
}
