//! `/api/v1/search`: full-text search over published datasets with facets (theme, publisher, format, licence, province,
//! access right, year), combinable filters, sorting and paging. One engine (catalog::search) serves this API and, later,
//! CKAN's `package_search`.
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalog::search::{FACETS, SearchQuery, Sort};
use registry::InputProblem;
use serde_json::json;

use super::openapi::CountedPage;
use super::{ApiError, AppState};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(search))
}

/// Parses the query string: `q`, `sort`, `cursor`, `limit`, and any facet name (repeatable).
pub fn parse_query(query: &str) -> Result<SearchQuery, ApiError> {
    let mut out = SearchQuery {
        limit: 20,
        ..SearchQuery::default()
    };
    let bad =
        |field: &str, msg: String| ApiError::BadRequest(vec![InputProblem::field(field, msg)]);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "q" => out.q = Some(value.into_owned()).filter(|v| !v.trim().is_empty()),
            "sort" => {
                out.sort = match value.as_ref() {
                    "relevance" => Sort::Relevance,
                    "modified" => Sort::Modified,
                    "title" => Sort::Title,
                    other => {
                        return Err(bad(
                            "sort",
                            format!("{other:?} is not one of relevance, modified, title"),
                        ));
                    }
                }
            }
            "cursor" => {
                out.offset = value.parse().ok().filter(|o| *o <= 10_000).ok_or_else(|| {
                    bad(
                        "cursor",
                        "not a cursor from a previous page (or deeper than 10,000)".into(),
                    )
                })?
            }
            "limit" => {
                out.limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=100).contains(l))
                    .ok_or_else(|| bad("limit", "between 1 and 100".into()))?
            }
            facet if FACETS.contains(&facet) => {
                if value.is_empty() || value.len() > 100 {
                    return Err(bad(facet, "a value of 1 to 100 characters".into()));
                }
                out.filters.push((facet.to_owned(), value.into_owned()));
            }
            other => {
                return Err(bad(
                    other,
                    format!("unknown parameter; use q, sort, cursor, limit or {FACETS:?}"),
                ));
            }
        }
    }
    Ok(out)
}

/// Runs a search on a blocking thread behind the search permits.
pub async fn run(
    state: &AppState,
    query: SearchQuery,
) -> Result<catalog::search::SearchResults, ApiError> {
    let _permit = state
        .search_permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let index = state.search.clone();
    tokio::task::spawn_blocking(move || index.search(&query))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))
}

#[utoipa::path(
    get,
    path = "/api/v1/search",
    summary = "Search datasets with facets",
    tag = "search",
    params(("q" = Option<String>, Query, description = "words, diacritics-insensitive, typo-tolerant"), ("sort" = Option<String>, Query, description = "relevance (default), modified or title", pattern = "^(relevance|modified|title)$"), ("cursor" = Option<u32>, Query, description = "the `next` of a previous page", maximum = 10000), ("limit" = Option<u32>, Query, description = "results per page (default 20)", minimum = 1, maximum = 100), ("theme" = Option<String>, Query, description = "filter on the `theme` facet (repeatable; values combine)"), ("publisher" = Option<String>, Query, description = "filter on the `publisher` facet (repeatable; values combine)"), ("format" = Option<String>, Query, description = "filter on the `format` facet (repeatable; values combine)"), ("licence" = Option<String>, Query, description = "filter on the `licence` facet (repeatable; values combine)"), ("province" = Option<String>, Query, description = "filter on the `province` facet (repeatable; values combine)"), ("accessRight" = Option<String>, Query, description = "filter on the `accessRight` facet (repeatable; values combine)"), ("year" = Option<String>, Query, description = "filter on the `year` facet (repeatable; values combine)")),
    responses(
        (status = 200, description = "`items`, `total`, `facets` (value counts per facet) and `next`", body = CountedPage),
    ),
)]
pub(crate) async fn search(
    State(state): State<AppState>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let query = parse_query(uri.query().unwrap_or_default())?;
    let (offset, limit) = (query.offset, query.limit);
    let results = run(&state, query).await?;
    let next = (offset + results.items.len() < results.total && !results.items.is_empty())
        .then(|| (offset + limit).to_string());
    Ok(axum::Json(json!({ "items": results.items, "total": results.total, "facets": results.facets, "next": next }))
        .into_response())
}
