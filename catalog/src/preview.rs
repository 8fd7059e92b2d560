//! A preview of the first rows of a CSV file, for the dataset page and the API.
use std::path::Path;

/// The header and the first rows.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsvPreview {
    /// Column names.
    pub columns: Vec<String>,
    /// Up to the requested number of rows.
    pub rows: Vec<Vec<String>>,
    /// True when the file has more rows than shown.
    pub truncated: bool,
}

/// Reads the header and up to `rows` rows of a UTF-8 CSV file (a BOM is skipped).
pub fn csv_preview(path: &Path, rows: usize) -> Result<CsvPreview, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open the file: {e}"))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::BufReader::new(file));
    let columns = reader
        .headers()
        .map_err(|e| format!("not a CSV file: {e}"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut out = Vec::new();
    let mut truncated = false;
    for record in reader.records() {
        let record = record.map_err(|e| format!("not a readable CSV file: {e}"))?;
        if out.len() == rows {
            truncated = true;
            break;
        }
        out.push(record.iter().map(str::to_owned).collect());
    }
    Ok(CsvPreview {
        columns,
        rows: out,
        truncated,
    })
}
