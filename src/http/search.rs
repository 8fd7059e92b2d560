//! `/api/v1/search`: full-text search over published datasets with facets (theme, publisher, format, licence, province,
//! access right, year, source, quality rating), combinable filters, sorting and paging, with the code-list items (provinces, communes,
//! agencies) matching the same words beside them; `/api/v1/search/suggest`: completions as one types. One engine
//! (catalog::search) serves this API, the search page and CKAN's `package_search`.
use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalog::search::suggest::Suggestions;
use catalog::search::{CodeHit, FACETS, FacetCount, SearchHit, SearchQuery, SearchResults, Sort};
use registry::InputProblem;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, AppState};

/// Code items shown beside the datasets.
pub const CODE_HITS: usize = 5;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(search))
        .route("/suggest", get(suggest))
}

/// A page of search results.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    /// Matching datasets, best first (or in the order asked).
    pub items: Vec<SearchHit>,
    /// How many datasets match in all.
    pub total: usize,
    /// Counts per facet value over all matches, most frequent first.
    pub facets: BTreeMap<String, Vec<FacetCount>>,
    /// The cursor of the next page; `null` on the last one.
    pub next: Option<String>,
    /// True when no dataset has every word of `q`: the items have some of them, those with most words first.
    pub relaxed: bool,
    /// `q` with the words the index has never seen replaced by the closest ones it has.
    pub did_you_mean: Option<String>,
    /// The steward-curated synonyms `q` was widened with, as `words → alternatives`.
    pub synonyms: Vec<String>,
    /// Code-list items (provinces, communes, agencies) matching `q`, on the first page only, with their validity.
    pub codes: Vec<CodeHit>,
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
            "q" => {
                if value.chars().count() > 500 {
                    return Err(bad("q", "at most 500 characters".into()));
                }
                out.q = Some(value.into_owned()).filter(|v| !v.trim().is_empty());
            }
            "sort" => {
                out.sort = match value.as_ref() {
                    "relevance" => Sort::Relevance,
                    "modified" => Sort::Modified,
                    "title" => Sort::Title,
                    "quality" => Sort::Quality,
                    other => {
                        return Err(bad(
                            "sort",
                            format!("{other:?} is not one of relevance, modified, title, quality"),
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
                // A source is a catalogue's URL; every other facet value is a code or a year.
                let max = if facet == "source" { 2000 } else { 100 };
                if value.is_empty() || value.len() > max {
                    return Err(bad(facet, format!("a value of 1 to {max} characters")));
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

/// Runs a search (every word must match) on a blocking thread behind the search permits.
pub async fn run(state: &AppState, query: SearchQuery) -> Result<SearchResults, ApiError> {
    blocking(state, move |index| index.search(&query)).await
}

/// Runs a search for a person at the search box (falling back to any word, with "did you mean") and, for its text
/// on the first page, looks up to `codes` code items too.
pub async fn run_with_codes(
    state: &AppState,
    query: SearchQuery,
    codes: usize,
) -> Result<(SearchResults, Vec<CodeHit>), ApiError> {
    blocking(state, move |index| {
        let results = index.find(&query)?;
        let codes = match query.q.as_deref() {
            Some(q) if query.offset == 0 => index.search_codes(q, codes)?,
            _ => Vec::new(),
        };
        Ok((results, codes))
    })
    .await
}

async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&catalog::search::SearchIndex) -> Result<T, catalog::search::SearchError>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let _permit = state
        .search_permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let index = state.search.clone();
    tokio::task::spawn_blocking(move || work(&index))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Completions of `typed` (datasets and code items), for the search box.
pub async fn suggestions(
    state: &AppState,
    typed: String,
    limit: usize,
) -> Result<Suggestions, ApiError> {
    blocking(state, move |index| index.suggest(&typed, limit)).await
}

#[utoipa::path(
    get,
    path = "/api/v1/search",
    summary = "Search datasets with facets",
    tag = "search",
    params(("q" = Option<String>, Query, description = "words, diacritics-insensitive, typo-tolerant, widened by the steward-curated synonyms", max_length = 500), ("sort" = Option<String>, Query, description = "relevance (default), modified, title, or quality (best metadata quality score first)", pattern = "^(relevance|modified|title|quality)$"), ("cursor" = Option<u32>, Query, description = "the `next` of a previous page", maximum = 10000), ("limit" = Option<u32>, Query, description = "results per page (default 20)", minimum = 1, maximum = 100), ("theme" = Option<String>, Query, description = "filter on the `theme` facet (repeatable; values combine)"), ("publisher" = Option<String>, Query, description = "filter on the `publisher` facet (repeatable; values combine)"), ("format" = Option<String>, Query, description = "filter on the `format` facet (repeatable; values combine)"), ("licence" = Option<String>, Query, description = "filter on the `licence` facet (repeatable; values combine)"), ("province" = Option<String>, Query, description = "filter on the `province` facet (repeatable; values combine)"), ("accessRight" = Option<String>, Query, description = "filter on the `accessRight` facet (repeatable; values combine)"), ("year" = Option<String>, Query, description = "filter on the `year` facet (repeatable; values combine)"), ("source" = Option<String>, Query, description = "filter on the `source` facet, the catalogue a harvested dataset came from (repeatable; values combine)"), ("quality" = Option<String>, Query, description = "filter on the `quality` facet, the rating band of the metadata quality score: excellent, good, sufficient or bad (repeatable; values combine)")),
    responses(
        (status = 200, description = "Matching datasets with facet counts, and the code items matching the same words", body = SearchPage),
    ),
)]
pub(crate) async fn search(
    State(state): State<AppState>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let query = parse_query(uri.query().unwrap_or_default())?;
    let (offset, limit) = (query.offset, query.limit);
    let (results, codes) = run_with_codes(&state, query, CODE_HITS).await?;
    let next = (offset + results.items.len() < results.total && !results.items.is_empty())
        .then(|| (offset + limit).to_string());
    Ok(axum::Json(SearchPage {
        items: results.items,
        total: results.total,
        facets: results.facets,
        next,
        relaxed: results.relaxed,
        did_you_mean: results.did_you_mean,
        synonyms: results.synonyms,
        codes,
    })
    .into_response())
}

/// Reads `q` (required, up to 200 characters) and `limit` (1 to 20, default 8) of a suggestion request.
pub fn parse_suggest(query: &str) -> Result<(String, usize), ApiError> {
    let bad = |field: &str, msg: &str| ApiError::BadRequest(vec![InputProblem::field(field, msg)]);
    let (mut q, mut limit) = (None, 8);
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "q" => {
                if value.chars().count() > 200 {
                    return Err(bad("q", "at most 200 characters"));
                }
                q = Some(value.into_owned());
            }
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=20).contains(l))
                    .ok_or_else(|| bad("limit", "between 1 and 20"))?;
            }
            other => return Err(bad(other, "unknown parameter; use q or limit")),
        }
    }
    let q = q.ok_or_else(|| bad("q", "required: the text typed so far"))?;
    Ok((q, limit))
}

#[utoipa::path(
    get,
    path = "/api/v1/search/suggest",
    summary = "Complete what is typed in the search box",
    description = "Datasets whose titles, and code items (provinces, communes, agencies) whose labels, have the words typed so far, the last one as the start of a word (unless `q` ends with a space).",
    tag = "search",
    params(("q" = String, Query, description = "the text typed so far", max_length = 200), ("limit" = Option<u32>, Query, description = "datasets at most (default 8)", minimum = 1, maximum = 20)),
    responses(
        (status = 200, description = "Matching datasets and code items", body = Suggestions),
    ),
)]
pub(crate) async fn suggest(
    State(state): State<AppState>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let (q, limit) = parse_suggest(uri.query().unwrap_or_default())?;
    Ok(axum::Json(suggestions(&state, q, limit).await?).into_response())
}
