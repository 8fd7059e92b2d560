//! The validation report of a CSV file: encoding, delimiter, header problems (blank or duplicate column names), rows
//! of the wrong length, values that break their column's type, missing values per column and duplicate rows, each
//! problem with its row, line and column. Computed once per stored file (by content hash) and kept in
//! `catalog_csv_reports`: ahead of time, when the file is uploaded (so the publisher sees it before submitting) and,
//! for files stored otherwise (seeds, files from before reports existed), by [`Catalog::backfill_csv_reports`] when
//! the server starts; a report still missing is computed on first request.
//!
//! The problem kinds and their numbering follow the Frictionless Framework's validation (`blank-label`,
//! `duplicate-label`, `extra-cell`, `missing-cell`, `type-error`, `blank-row`; rows counted from the header as row 1,
//! fields from 1), so the report can be checked against `frictionless validate` on the same file. A column's type is
//! inferred as Frictionless does: the first of integer, number, boolean, date that at least 90 % of the first 100 rows
//! fit (an empty cell fits none), else text; every value of the file is then checked against it.
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::error::CatalogError;
use crate::store::Catalog;

/// Problems listed in full; beyond this only their counts grow.
pub const MAX_LISTED: usize = 1000;
const SAMPLE_ROWS: usize = 100;
const CONFIDENCE: f64 = 0.9;

/// A column's inferred type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CellType {
    /// Whole numbers.
    Integer,
    /// Decimal numbers.
    Number,
    /// true / false.
    Boolean,
    /// YYYY-MM-DD.
    Date,
    /// Anything.
    Text,
}

impl CellType {
    fn fits(self, value: &str) -> bool {
        let v = value.trim();
        match self {
            Self::Integer => {
                let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
                !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
            }
            // Python's `Decimal` reads what Rust's `f64` does, `nan` and `inf` included, but no hex or separators.
            Self::Number => {
                !v.is_empty() && v.parse::<f64>().is_ok() && !v.contains(['_', 'x', 'X'])
            }
            Self::Boolean => matches!(
                v,
                "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "1" | "0"
            ),
            Self::Date => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok(),
            Self::Text => true,
        }
    }
}

/// One column of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ColumnReport {
    /// 1, 2, 3...
    pub number: u32,
    /// Its header.
    pub name: String,
    /// Its inferred type.
    #[serde(rename = "type")]
    pub kind: CellType,
    /// Empty or absent values.
    pub missing: u64,
}

/// One problem found, located as Frictionless locates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CsvProblem {
    /// `encoding-error`, `blank-label`, `duplicate-label`, `extra-cell`, `missing-cell`, `type-error`, `blank-row`,
    /// `duplicate-row`, `source-error`.
    pub kind: String,
    /// The row, the header being row 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The line of the file where the row starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The field, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// What is wrong, in plain words.
    pub message: String,
}

/// The validation report of one CSV file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CsvReport {
    /// The file's sha256.
    pub sha256: String,
    /// True when no problem was found.
    pub valid: bool,
    /// `utf-8`, `utf-8-sig` (with a byte-order mark) or `unknown` (not UTF-8).
    pub encoding: String,
    /// The field delimiter found in the header line.
    pub delimiter: String,
    /// Data rows (the header excluded).
    pub rows: u64,
    /// The columns, in file order.
    pub columns: Vec<ColumnReport>,
    /// Rows equal to an earlier row.
    pub duplicate_rows: u64,
    /// Problems per kind, all counted.
    pub counts: BTreeMap<String, u64>,
    /// The problems, in file order, at most [`MAX_LISTED`].
    pub problems: Vec<CsvProblem>,
    /// True when more problems were found than listed.
    pub truncated: bool,
}

struct Builder {
    counts: BTreeMap<String, u64>,
    problems: Vec<CsvProblem>,
    truncated: bool,
}

impl Builder {
    fn push(
        &mut self,
        kind: &str,
        row: Option<u64>,
        line: Option<u64>,
        column: Option<u32>,
        message: String,
    ) {
        *self.counts.entry(kind.to_owned()).or_default() += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(CsvProblem {
                kind: kind.to_owned(),
                row,
                line,
                column,
                message,
            });
        } else {
            self.truncated = true;
        }
    }
}

/// The delimiter of the header line: whichever of `,` `;` tab `|` occurs most outside quotes (`,` on a tie or none).
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for b in first.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
            c.1 += 1;
        }
    }
    counts
        .iter()
        .fold(
            (b',', 0),
            |best, &(d, n)| if n > best.1 { (d, n) } else { best },
        )
        .0
}

/// Frictionless's inference, step by step: over the sampled rows, each candidate type (in Frictionless's order)
/// scores +1 for a value it reads and -1 for one it does not (an absent cell reads as null, a fit; an empty one is a
/// missing value and lowers the bar instead); the first candidate whose score reaches 90 % of the column's non-missing
/// rows wins, at the row where it does. Text reads anything, so a column ends as text when no stricter type got there
/// first.
fn infer(sample: &[Vec<String>], column: usize) -> CellType {
    const CANDIDATES: [CellType; 5] = [
        CellType::Date,
        CellType::Integer,
        CellType::Number,
        CellType::Boolean,
        CellType::Text,
    ];
    let mut scores = [0f64; CANDIDATES.len()];
    let mut max_score = sample.len() as f64;
    let threshold = sample.len() as f64 * (CONFIDENCE - 1.0);
    for row in sample {
        let cell = row.get(column).map(String::as_str);
        let missing = cell == Some("");
        if missing {
            max_score -= 1.0;
        }
        for (kind, score) in CANDIDATES.iter().zip(scores.iter_mut()) {
            if *score < threshold {
                continue;
            }
            if !missing {
                *score += if cell.is_none_or(|v| kind.fits(v)) {
                    1.0
                } else {
                    -1.0
                };
            }
            if max_score > 0.0 && *score >= max_score * CONFIDENCE {
                return *kind;
            }
        }
    }
    CellType::Text
}

/// How many blank lines (`\n` or `\r\n` alone) start `text`: the csv crate skips them, Frictionless counts each as a
/// (blank) row.
fn leading_blank_lines(text: &str) -> u64 {
    let mut n = 0;
    let mut rest = text;
    loop {
        if let Some(r) = rest.strip_prefix("\r\n") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix('\n') {
            rest = r;
        } else {
            return n;
        }
        n += 1;
    }
}

/// Validates the CSV `bytes` (stored under `sha256`).
pub fn validate(sha256: &str, bytes: &[u8]) -> CsvReport {
    let mut b = Builder {
        counts: BTreeMap::new(),
        problems: Vec::new(),
        truncated: false,
    };
    let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let text = match std::str::from_utf8(body) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(e) => {
            let line = body[..e.valid_up_to()]
                .iter()
                .filter(|&&c| c == b'\n')
                .count() as u64
                + 1;
            b.push(
                "encoding-error",
                None,
                Some(line),
                None,
                format!(
                    "the file is not UTF-8 (first bad byte at offset {}); save it as UTF-8",
                    e.valid_up_to()
                ),
            );
            String::from_utf8_lossy(body)
        }
    };
    let encoding = if b.counts.contains_key("encoding-error") {
        "unknown"
    } else if bom {
        "utf-8-sig"
    } else {
        "utf-8"
    };
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(str::to_owned).collect(),
        Some(Err(e)) => {
            b.push(
                "source-error",
                Some(1),
                Some(1),
                None,
                format!("the header cannot be read: {e}"),
            );
            Vec::new()
        }
        None => {
            b.push("source-error", None, None, None, "the file is empty".into());
            Vec::new()
        }
    };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let column = i as u32 + 1;
        if name.trim().is_empty() {
            b.push(
                "blank-label",
                Some(1),
                Some(1),
                Some(column),
                format!("column {column} has no name"),
            );
        } else if let Some(first) = seen.get(name.trim()) {
            b.push(
                "duplicate-label",
                Some(1),
                Some(1),
                Some(column),
                format!(
                    "column {column} is named {:?} like column {}",
                    name.trim(),
                    first + 1
                ),
            );
        } else {
            seen.insert(name.trim(), i);
        }
    }
    let width = header.len();
    // Rows are read twice: the first 100 to infer the types, then all of them. The sample is kept, the rest streamed.
    let mut sample: Vec<Vec<String>> = Vec::new();
    let mut pending: Vec<(u64, Vec<String>)> = Vec::new();
    let mut columns: Vec<ColumnReport> = header
        .iter()
        .enumerate()
        .map(|(i, name)| ColumnReport {
            number: i as u32 + 1,
            name: name.clone(),
            kind: CellType::Text,
            missing: 0,
        })
        .collect();
    let mut hashes: HashMap<u64, u64> = HashMap::new();
    let mut rows = 0u64;
    let mut duplicate_rows = 0u64;
    let mut types: Option<Vec<CellType>> = None;
    let mut check = |b: &mut Builder,
                     row: u64,
                     line: u64,
                     cells: &[String],
                     types: &[CellType],
                     columns: &mut Vec<ColumnReport>| {
        if cells.iter().all(|c| c.is_empty()) {
            b.push(
                "blank-row",
                Some(row),
                Some(line),
                None,
                format!("row {row} is blank"),
            );
            return;
        }
        for (i, cell) in cells.iter().enumerate().skip(width) {
            let _ = cell;
            b.push(
                "extra-cell",
                Some(row),
                Some(line),
                Some(i as u32 + 1),
                format!(
                    "row {row} has {} values, but the header has {width} columns",
                    cells.len()
                ),
            );
        }
        for i in cells.len()..width {
            columns[i].missing += 1;
            b.push(
                "missing-cell",
                Some(row),
                Some(line),
                Some(i as u32 + 1),
                format!(
                    "row {row} has no value for column {} ({:?})",
                    i + 1,
                    header[i]
                ),
            );
        }
        for (i, cell) in cells.iter().enumerate().take(width) {
            if cell.trim().is_empty() {
                columns[i].missing += 1;
            } else if !types[i].fits(cell) {
                b.push(
                    "type-error",
                    Some(row),
                    Some(line),
                    Some(i as u32 + 1),
                    format!(
                        "{cell:?} in column {} ({:?}) is not {}",
                        i + 1,
                        header[i],
                        match types[i] {
                            CellType::Integer => "an integer",
                            CellType::Number => "a number",
                            CellType::Boolean => "a boolean",
                            CellType::Date => "a date (YYYY-MM-DD)",
                            CellType::Text => "text",
                        }
                    ),
                );
            }
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        cells.hash(&mut hasher);
        match hashes.entry(hasher.finish()) {
            std::collections::hash_map::Entry::Occupied(first) => {
                duplicate_rows += 1;
                b.push(
                    "duplicate-row",
                    Some(row),
                    Some(line),
                    None,
                    format!("row {row} repeats row {}", first.get()),
                );
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(row);
            }
        }
    };
    // The csv crate skips empty lines; Frictionless counts each as a (blank) row, so they are put back here: a record's
    // position is where reading began, so the blank lines it skipped are those at that position.
    let mut feed = |b: &mut Builder, line: u64, cells: Vec<String>| {
        rows += 1;
        let row = rows + 1;
        match &types {
            Some(types) => check(b, row, line, &cells, types, &mut columns),
            None => {
                sample.push(cells.clone());
                pending.push((line, cells));
                if sample.len() == SAMPLE_ROWS {
                    let inferred: Vec<CellType> = (0..width).map(|i| infer(&sample, i)).collect();
                    for (n, (line, cells)) in pending.drain(..).enumerate() {
                        check(b, n as u64 + 2, line, &cells, &inferred, &mut columns);
                    }
                    types = Some(inferred);
                }
            }
        }
    };
    let mut last_line = 1u64;
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                b.push(
                    "source-error",
                    None,
                    Some(last_line + 1),
                    None,
                    format!("a row after line {last_line} cannot be read: {e}"),
                );
                break;
            }
        };
        let (start_line, start_byte) = record
            .position()
            .map_or((last_line + 1, None), |p| (p.line(), Some(p.byte())));
        let blank = start_byte
            .and_then(|at| text.get(at as usize..))
            .map_or(0, leading_blank_lines);
        for k in 0..blank {
            feed(&mut b, start_line + k, Vec::new());
        }
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        let line = start_line + blank;
        last_line = line
            + cells
                .iter()
                .map(|c| c.matches('\n').count() as u64)
                .sum::<u64>();
        feed(&mut b, line, cells);
    }
    // Blank lines at the end: every line terminator after the last one that ends a row.
    let trailing = text.trim_end_matches(['\r', '\n']).len();
    let terminators = text[trailing..].matches('\n').count() as u64;
    for k in 1..terminators {
        feed(&mut b, last_line + k, Vec::new());
    }
    if types.is_none() {
        let inferred: Vec<CellType> = (0..width).map(|i| infer(&sample, i)).collect();
        for (n, (line, cells)) in pending.drain(..).enumerate() {
            check(&mut b, n as u64 + 2, line, &cells, &inferred, &mut columns);
        }
        types = Some(inferred);
    }
    for (c, t) in columns.iter_mut().zip(types.unwrap_or_default()) {
        c.kind = t;
    }
    CsvReport {
        sha256: sha256.to_owned(),
        valid: b.counts.is_empty(),
        encoding: encoding.to_owned(),
        delimiter: match delimiter {
            b'\t' => "\\t".to_owned(),
            d => (d as char).to_string(),
        },
        rows,
        columns,
        duplicate_rows,
        counts: b.counts,
        problems: b.problems,
        truncated: b.truncated,
    }
}

/// Validates the file at `path`.
pub fn validate_file(sha256: &str, path: &Path) -> Result<CsvReport, CatalogError> {
    let bytes =
        std::fs::read(path).map_err(|e| CatalogError::storage(format!("reading {sha256}: {e}")))?;
    Ok(validate(sha256, &bytes))
}

impl Catalog {
    /// Computes the report of every stored CSV file that a current revision names and that has none yet, one file
    /// at a time; returns how many were computed. Nothing to do for a catalog without a file store.
    ///
    /// A chore done once per store: uploads and seeding compute their files' reports as they store them, so once a
    /// pass has run to its end it is recorded and later starts do not scan the catalog again (a pass that failed is
    /// tried again at the next start).
    pub async fn backfill_csv_reports(&self) -> Result<usize, CatalogError> {
        const CHORE: &str = "csv-reports";
        if self.files().is_err() {
            return Ok(0);
        }
        let done = sqlx::query("SELECT 1 FROM catalog_chores WHERE name = $1")
            .bind(CHORE)
            .fetch_optional(self.database().pool())
            .await?;
        if done.is_some() {
            return Ok(0);
        }
        let mut known: std::collections::HashSet<String> =
            sqlx::query("SELECT sha256 FROM catalog_csv_reports")
                .fetch_all(self.database().pool())
                .await?
                .iter()
                .map(|row| row.try_get::<String, _>(0))
                .collect::<Result<_, _>>()?;
        let mut computed = 0;
        let mut cursor = None;
        loop {
            let page = self
                .list(&crate::store::DatasetQuery {
                    cursor: cursor.take(),
                    limit: 1000,
                    skip_total: true,
                    ..Default::default()
                })
                .await?;
            for record in &page.items {
                for d in record
                    .content
                    .distributions
                    .iter()
                    .filter(|d| d.is_csv_file())
                {
                    let Some(sha) = d.file_sha256.as_deref() else {
                        continue;
                    };
                    if known.insert(sha.to_owned()) {
                        self.csv_report(sha).await?;
                        computed += 1;
                    }
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let mut tx = self.database().write().await?;
        sqlx::query(
            "INSERT INTO catalog_chores (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(CHORE)
        .bind(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(computed)
    }

    /// The validation report of the stored CSV file `sha256`: read back when computed before, else computed and kept.
    pub async fn csv_report(&self, sha256: &str) -> Result<CsvReport, CatalogError> {
        let stored = sqlx::query("SELECT report FROM catalog_csv_reports WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(self.database().pool())
            .await?;
        if let Some(row) = stored
            && let Ok(report) = serde_json::from_str(&row.try_get::<String, _>(0)?)
        {
            return Ok(report);
        }
        let path = self.file_path(sha256)?;
        let hash = sha256.to_owned();
        let report = tokio::task::spawn_blocking(move || validate_file(&hash, &path))
            .await
            .map_err(CatalogError::storage)??;
        let mut tx = self.database().write().await?;
        sqlx::query(
            "INSERT INTO catalog_csv_reports (sha256, report, computed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(serde_json::to_string(&report).expect("report serializes"))
        .bind(chrono::Utc::now().to_rfc3339())
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        Ok(report)
    }
}
