//! `/api/v1/data/{dataset}/{distribution}`: rows of a CSV distribution, ingested into a typed table. Filters
//! (`col=v`, `col.gt|gte|lt|lte=v`, `col.in=a,b`), `q` (text), `sort` (`col` or `-col`), `fields`, `cursor`, `limit`,
//! and `format=json|csv|ndjson`. Without `limit`, CSV and NDJSON stream every matching row page by page (flat memory).
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalog::tabular::{DataQuery, Filter, TableInfo};
use registry::InputProblem;
use serde_json::json;

use utoipa::ToSchema;

use super::openapi::Problem;
use super::{ApiError, ApiPath, AppState, Caller};

/// One JSON page of rows.
#[derive(ToSchema)]
pub struct DataPage {
    /// The table's columns with their inferred (or declared) types.
    #[schema(value_type = Vec<catalog::tabular::Column>)]
    pub columns: (),
    /// The rows, as objects keyed by column (each value of its column's type, or `null`).
    #[schema(value_type = Vec<std::collections::BTreeMap<String, serde_json::Value>>)]
    pub items: (),
    /// How many rows match.
    pub total: u64,
    /// The cursor of the next page; `null` on the last one.
    pub next: Option<String>,
}

/// Rows per page when streaming, and the largest `limit`.
pub const PAGE: i64 = 1000;
/// The largest `limit` for one JSON page.
pub const MAX_LIMIT: i64 = 10_000;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/{dataset}/{distribution}", get(rows))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Ndjson,
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(vec![InputProblem::field(field, message)])
}

/// Parses a data-API query string as the route does (without `Accept` negotiation). The fuzz target's entry point.
pub fn parse_data_query(query: &str) -> Result<DataQuery, ApiError> {
    parse(query, &HeaderMap::new()).map(|(q, _)| q)
}

fn parse(query: &str, headers: &HeaderMap) -> Result<(DataQuery, Format), ApiError> {
    let mut q = DataQuery::default();
    let mut format = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        match key.as_ref() {
            "q" => q.q = Some(value),
            "sort" => q.sort = Some(value),
            "fields" => {
                q.fields = value
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            "cursor" => {
                q.cursor = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|c: &i64| *c >= 0)
                        .ok_or_else(|| bad("cursor", "not a cursor"))?,
                )
            }
            "limit" => {
                q.limit = Some(
                    value
                        .parse()
                        .ok()
                        .filter(|l| (1..=MAX_LIMIT).contains(l))
                        .ok_or_else(|| bad("limit", format!("between 1 and {MAX_LIMIT}")))?,
                )
            }
            "format" => {
                format = Some(match value.as_str() {
                    "json" => Format::Json,
                    "csv" => Format::Csv,
                    "ndjson" => Format::Ndjson,
                    _ => return Err(bad("format", "one of json, csv, ndjson")),
                })
            }
            "revision" => {}
            key => {
                let filter = match key.rsplit_once('.') {
                    Some((col, "in")) => Filter::In(
                        col.to_owned(),
                        value.split(',').map(str::to_owned).collect(),
                    ),
                    Some((col, op @ ("gt" | "gte" | "lt" | "lte"))) => {
                        let op = match op {
                            "gt" => ">",
                            "gte" => ">=",
                            "lt" => "<",
                            _ => "<=",
                        };
                        Filter::Compare(col.to_owned(), op, value)
                    }
                    _ => Filter::Eq(key.to_owned(), value),
                };
                q.filters.push(filter);
            }
        }
    }
    let format = format.unwrap_or_else(|| {
        let accept = headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if accept.starts_with("text/csv") {
            Format::Csv
        } else if accept.starts_with("application/x-ndjson") {
            Format::Ndjson
        } else {
            Format::Json
        }
    });
    Ok((q, format))
}

/// The table behind a visible CSV distribution (ingested on first use if an older file was never ingested).
pub async fn table_of(
    state: &AppState,
    dataset: &str,
    distribution: &str,
    revision: Option<i64>,
    caller: Caller,
) -> Result<TableInfo, ApiError> {
    let viewer = caller.0.as_ref().map(crate::accounts::Principal::curator);
    Ok(state
        .catalog
        .table_of(viewer.as_ref(), dataset, distribution, revision)
        .await?)
}

fn csv_line(values: impl Iterator<Item = String>) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(values.collect::<Vec<_>>())
        .expect("in memory");
    String::from_utf8(w.into_inner().expect("in memory")).unwrap_or_default()
}

/// A CSV cell: text is neutralized against spreadsheet formulas; numbers (negative ones too) stay numbers.
fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => registry::csv_format::neutralize(s).into_owned(),
        other => other.to_string(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/data/{dataset}/{distribution}",
    summary = "Query the rows of a CSV distribution",
    tag = "data",
    params(("dataset" = String, Path, description = "the dataset id"), ("distribution" = String, Path, description = "the CSV distribution id"), ("q" = Option<String>, Query, description = "words in any text column"), ("sort" = Option<String>, Query, description = "a column, `-column` for descending"), ("fields" = Option<String>, Query, description = "the columns to answer, comma-separated"), ("cursor" = Option<i64>, Query, description = "the `next` of a previous page", minimum = 0), ("limit" = Option<i64>, Query, description = "rows per page (JSON default 100); without it CSV and NDJSON stream every matching row", minimum = 1, maximum = 10000), ("format" = Option<String>, Query, description = "json (default), csv or ndjson (or `Accept`)", pattern = "^(json|csv|ndjson)$"), ("revision" = Option<i64>, Query, description = "the file of that revision of the dataset")),
    responses(
        (status = 200, description = "rows: JSON (`columns`, `items`, `total`, `next`), CSV or NDJSON. Filters are further parameters named after columns: `col=v`, `col.gt|gte|lt|lte=v`, `col.in=a,b`", content(
            (DataPage = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 404, description = "no such dataset or CSV distribution", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a filter, sort or field the table refuses (an unknown column, a value of the wrong type), named", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn rows(
    State(state): State<AppState>,
    ApiPath((dataset, distribution)): ApiPath<(String, String)>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query_string = uri.query().unwrap_or_default();
    let revision = form_urlencoded::parse(query_string.as_bytes())
        .find(|(k, _)| k == "revision")
        .map(|(_, v)| {
            v.parse::<i64>()
                .map_err(|_| bad("revision", "not a revision number"))
        })
        .transpose()?;
    let (mut q, format) = parse(query_string, &headers)?;
    let table = table_of(&state, &dataset, &distribution, revision, caller).await?;
    if format == Format::Json || q.limit.is_some() {
        let limit = q.limit.unwrap_or(100);
        q.with_total = format == Format::Json;
        let page = state.catalog.query_rows(&table, &q, limit).await?;
        return Ok(match format {
            Format::Json => axum::Json(json!({
                "columns": table.columns, "items": page.rows, "total": page.total, "next": page.next.map(|n| n.to_string()),
            }))
            .into_response(),
            Format::Csv | Format::Ndjson => {
                let names = selected_names(&table, &q);
                let mut body = if format == Format::Csv { csv_line(names.iter().map(|n| registry::csv_format::neutralize(n).into_owned())) } else { String::new() };
                for row in &page.rows {
                    body.push_str(&render_row(format, &names, row));
                }
                super::typed(content_type(format), body)
            }
        });
    }
    // Stream every matching row, one page at a time.
    let names = selected_names(&table, &q);
    let header = if format == Format::Csv {
        csv_line(
            names
                .iter()
                .map(|n| registry::csv_format::neutralize(n).into_owned()),
        )
    } else {
        String::new()
    };
    // The first page is read before the answer starts, so a query the table refuses (an unknown column in `sort`
    // or `fields`, a bad filter value) is a 4xx naming it, not a stream cut short.
    let first_page = state.catalog.query_rows(&table, &q, PAGE).await?;
    let catalog = state.catalog.clone();
    let stream = futures_util::stream::unfold(Some((q, Some(first_page))), move |cursor| {
        let catalog = catalog.clone();
        let table = table.clone();
        let names = names.clone();
        let header = header.clone();
        async move {
            let (q, prefetched) = cursor?;
            let first = prefetched.is_some();
            let page = match prefetched {
                Some(p) => p,
                None => match catalog.query_rows(&table, &q, PAGE).await {
                    Ok(p) => p,
                    Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
                },
            };
            let mut chunk = if first { header } else { String::new() };
            for row in &page.rows {
                chunk.push_str(&render_row(format, &names, row));
            }
            let next = page.next.map(|n| {
                (
                    DataQuery {
                        cursor: Some(n),
                        ..q
                    },
                    None,
                )
            });
            Some((Ok::<_, std::io::Error>(chunk), next))
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        content_type(format).parse().expect("static media type"),
    );
    Ok(response)
}

fn content_type(format: Format) -> &'static str {
    match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Ndjson => "application/x-ndjson",
        Format::Json => "application/json",
    }
}

fn selected_names(table: &TableInfo, q: &DataQuery) -> Vec<String> {
    if q.fields.is_empty() {
        table.columns.iter().map(|c| c.name.clone()).collect()
    } else {
        q.fields.clone()
    }
}

fn render_row(
    format: Format,
    names: &[String],
    row: &serde_json::Map<String, serde_json::Value>,
) -> String {
    match format {
        Format::Csv => csv_line(
            names
                .iter()
                .map(|n| row.get(n).map(cell).unwrap_or_default()),
        ),
        _ => {
            let mut line = serde_json::to_string(row).expect("row serializes");
            line.push('\n');
            line
        }
    }
}
