//! `/sparql`: a read-only SPARQL 1.1 endpoint over the DCAT and SKOS projection (GET `?query=`, POST
//! `application/sparql-query` or a form), with a time limit, a result-size limit and a bounded number of concurrent
//! evaluations on blocking threads.
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;
use catalog::graph::{ResultsFormat, SparqlError};
use registry::InputProblem;
use registry::skos::RdfKind;

use super::{ApiError, AppState, typed};

/// How long a query may run.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The most solutions or triples a query may return.
pub const MAX_RESULTS: usize = 100_000;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/sparql", get(get_query).post(post_query))
}

fn formats(headers: &HeaderMap, format: Option<&str>) -> (ResultsFormat, RdfKind) {
    let accept = format
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let results = if accept.contains("sparql-results+xml") || accept == "xml" {
        ResultsFormat::Xml
    } else if accept.contains("text/csv") || accept == "csv" {
        ResultsFormat::Csv
    } else if accept.contains("tab-separated") || accept == "tsv" {
        ResultsFormat::Tsv
    } else {
        ResultsFormat::Json
    };
    let graphs = if accept.contains("ld+json") || accept == "jsonld" {
        RdfKind::JsonLd
    } else if accept.contains("rdf+xml") || accept == "rdfxml" {
        RdfKind::RdfXml
    } else if accept.contains("n-triples") || accept == "nt" {
        RdfKind::NTriples
    } else {
        RdfKind::Turtle
    };
    (results, graphs)
}

fn param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn get_query(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let q = uri.query().unwrap_or_default();
    let query = param(q, "query").ok_or_else(|| {
        ApiError::BadRequest(vec![InputProblem::field(
            "query",
            "the query parameter is required",
        )])
    })?;
    run(state, headers, query, param(q, "format")).await
}

async fn post_query(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest(vec![InputProblem::field("body", "not UTF-8")]))?;
    let query = if content_type.starts_with("application/sparql-query") {
        text.to_owned()
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        param(text, "query").ok_or_else(|| {
            ApiError::BadRequest(vec![InputProblem::field(
                "query",
                "the query field is required",
            )])
        })?
    } else if content_type.starts_with("application/sparql-update") {
        return Err(ApiError::Forbidden("this endpoint is read-only".into()));
    } else {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "Content-Type",
            "expected application/sparql-query or application/x-www-form-urlencoded",
        )]));
    };
    run(
        state,
        headers,
        query,
        param(uri.query().unwrap_or_default(), "format"),
    )
    .await
}

async fn run(
    state: AppState,
    headers: HeaderMap,
    query: String,
    format: Option<String>,
) -> Result<Response, ApiError> {
    let (results, graphs) = formats(&headers, format.as_deref());
    let _permit = state
        .sparql_permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let projection = state.projection.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        projection.query(&query, results, graphs, QUERY_TIMEOUT, MAX_RESULTS)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    match outcome {
        Ok((media, bytes)) => Ok(typed(media, bytes)),
        Err(SparqlError::Syntax(m)) => {
            Err(ApiError::BadRequest(vec![InputProblem::field("query", m)]))
        }
        Err(e @ (SparqlError::Timeout(_) | SparqlError::TooLarge(_))) => Err(
            ApiError::Unprocessable(vec![InputProblem::field("query", e.to_string())]),
        ),
        Err(SparqlError::Evaluation(m)) => Err(ApiError::Unprocessable(vec![InputProblem::field(
            "query", m,
        )])),
    }
}
