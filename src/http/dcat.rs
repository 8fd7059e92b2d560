//! DCAT-AP: `/catalog` (Hydra-paged, `modified_since`) and `/dataset/{id}`, in Turtle, JSON-LD, RDF/XML or N-Triples by
//! `Accept` or `?format=`; and the whole catalog as one download for harvesters, `/catalog/dump.nt.gz`, described by
//! `/catalog/dump.json`. All four are in the OpenAPI document.
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalog::dcat::Paging;
use catalog::store::DatasetQuery;
use registry::InputProblem;
use registry::skos::{RdfKind, serialize};
use serde::Deserialize;

use super::error::Problem;
use super::{ApiError, ApiQuery, AppState, Representation, negotiate, typed};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalog", get(catalog_page))
        .route("/dataset/{id}", get(dataset))
        .route("/catalog/dump.nt.gz", get(dump))
        .route("/catalog/dump.json", get(dump_info))
}

/// The dump being served, or 503 while the first one is built.
fn current_dump(state: &AppState) -> Result<catalog::dump::DumpInfo, ApiError> {
    state.dump.current().ok_or_else(|| ApiError::Unavailable {
        detail: "the catalog dump is being built; ask again shortly".into(),
        retry_after_secs: 10,
    })
}

#[utoipa::path(
    get,
    path = "/catalog/dump.nt.gz",
    summary = "The whole catalog as one gzipped N-Triples file (DCAT-AP), for harvesters",
    description = "Every published dataset with its distributions, the catalog node and its data services, rebuilt \
        in the background a few seconds after changes (see `/catalog/dump.json` for the change-log sequence it holds). \
        `ETag` is the file's sha256 (`If-None-Match` answers 304); `Range` resumes a download (206, or 416 outside the \
        file).",
    tag = "dcat",
    responses(
        (status = 200, description = "the dump (`application/gzip`; `ETag` = sha256, `Digest`)", body = super::openapi::FileBytes, content_type = "application/gzip"),
        (status = 206, description = "the requested range of the dump", body = super::openapi::FileBytes, content_type = "application/gzip"),
        (status = 304, description = "the dump named by `If-None-Match` is still the current one"),
        (status = 416, description = "the range lies outside the file"),
        (status = 503, description = "no dump has been built yet (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn dump(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let info = current_dump(&state)?;
    super::etag::serve_file(
        request,
        &state.dump.path(&info),
        &info.sha256,
        "application/gzip",
        "catalog.nt.gz",
    )
    .await
}

#[utoipa::path(
    get,
    path = "/catalog/dump.json",
    summary = "What the catalog dump holds: the change-log sequence it was built at, its sha256, size and counts",
    tag = "dcat",
    responses(
        (status = 200, description = "the dump's description", body = catalog::dump::DumpInfo),
        (status = 503, description = "no dump has been built yet (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn dump_info(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(axum::Json(current_dump(&state)?).into_response())
}

/// RDF in the negotiated syntax; Turtle when the client accepts anything (or JSON: JSON-LD is JSON).
fn rdf_kind(format: Option<&str>, headers: &HeaderMap) -> Result<RdfKind, ApiError> {
    match negotiate(format, headers)? {
        Representation::Rdf(kind) => Ok(kind),
        Representation::Json if format == Some("json") => Ok(RdfKind::JsonLd),
        Representation::Json => {
            let accept = headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            Ok(if accept.contains("application/json") {
                RdfKind::JsonLd
            } else {
                RdfKind::Turtle
            })
        }
        Representation::Csv => Err(ApiError::NotAcceptable(
            "DCAT is served as Turtle, JSON-LD, RDF/XML or N-Triples".into(),
        )),
    }
}

/// The highest `page` (times 1,000 datasets a page, far past any catalog, and far from overflowing an offset: a page
/// of 2^63 once made the offset overflow).
const MAX_PAGE: u64 = 1_000_000_000;

/// `?format=`: the RDF syntax, instead of `Accept` (`json` is JSON-LD; `ttl`/`turtle`, `rdfxml`/`rdf` are synonyms).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum RdfFormatName {
    Ttl,
    Turtle,
    Jsonld,
    Json,
    Rdfxml,
    Rdf,
    Nt,
}

/// The parameters of a catalog page.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CatalogQuery {
    /// The page, from 1 (default 1); `after` pages faster.
    // `maximum` is MAX_PAGE (utoipa takes only a literal here).
    #[param(minimum = 1, maximum = 1_000_000_000)]
    page: Option<u64>,
    /// Continue after this dataset id (the `hydra:next` links carry it): deep pages cost what the first one does.
    #[param(min_length = 1, max_length = 200)]
    after: Option<String>,
    /// Datasets per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    page_size: Option<u64>,
    /// Only datasets changed since this date (`2026-01-31`) or RFC 3339 time.
    modified_since: Option<String>,
    /// The RDF syntax, instead of `Accept`.
    #[param(value_type = Option<RdfFormatName>)]
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/catalog",
    summary = "The catalog in DCAT-AP 3: one page of published datasets with their distributions",
    description = "A `dcat:Catalog` with one page of its datasets, paged with Hydra (`hydra:next`, `hydra:last`, \
        `hydra:totalItems`); the same links are in the `Link` header, so a client pages on without parsing the RDF. \
        The syntax follows `Accept` (`text/turtle`, `application/ld+json`, `application/rdf+xml`, \
        `application/n-triples`) or `?format=`; Turtle when the client takes anything. The whole catalog at once is \
        `/catalog/dump.nt.gz`.",
    tag = "dcat",
    params(CatalogQuery),
    responses(
        (status = 200, description = "the page (`Link`: its first, previous, next and last pages)", content(
            (String = "text/turtle"),
            (serde_json::Value = "application/ld+json"),
            (String = "application/rdf+xml"),
            (String = "application/n-triples"),
        )),
        (status = 400, description = "a parameter is malformed or out of range", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "`format=csv`, or an `Accept` no RDF syntax satisfies", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn catalog_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<CatalogQuery>,
) -> Result<Response, ApiError> {
    let kind = rdf_kind(q.format.as_deref(), &headers)?;
    let page = q.page.unwrap_or(1);
    let page_size = q.page_size.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "page",
            format!("pages are numbered from 1 to {MAX_PAGE} (`after` pages on past any page)"),
        )]));
    }
    if q.after
        .as_ref()
        .is_some_and(|a| a.is_empty() || a.len() > 200)
    {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "after",
            "a dataset id of 1 to 200 characters",
        )]));
    }
    if !(1..=1000).contains(&page_size) {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "page_size",
            "between 1 and 1000",
        )]));
    }
    let modified_since = q
        .modified_since
        .as_deref()
        .map(|t| {
            let parsed = chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.with_timezone(&chrono::Utc))
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
                });
            parsed
                .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
                .map_err(|_| {
                    ApiError::BadRequest(vec![InputProblem::field(
                        "modified_since",
                        "a date or an RFC 3339 time",
                    )])
                })
        })
        .transpose()?;
    let started = std::time::Instant::now();
    let result = state
        .catalog
        .list(&DatasetQuery {
            public: true,
            modified_since: modified_since.clone(),
            offset: q
                .after
                .is_none()
                .then_some(((page - 1) * page_size) as usize),
            cursor: q.after.clone(),
            limit: page_size as usize,
            ..DatasetQuery::default()
        })
        .await?;
    let paging = Paging {
        page,
        page_size,
        total: result.total as u64,
        view_base: format!("{}/catalog", state.registry.base_uri()),
        // Every page link keeps the filter and the page size; not `format`, since a page is one resource whatever
        // its syntax (clients choose it with `Accept`).
        extra_query: [
            q.modified_since.as_deref().map(|m| ("modified_since", m)),
            Some(("page_size", &page_size.to_string())),
        ]
        .into_iter()
        .flatten()
        .fold(
            form_urlencoded::Serializer::new(String::new()),
            |mut query, (k, v)| {
                query.append_pair(k, v);
                query
            },
        )
        .finish(),
        next_after: result.next.clone(),
    };
    let order = if kind == RdfKind::NTriples {
        catalog::dcat::TripleOrder::AsBuilt
    } else {
        catalog::dcat::TripleOrder::BySubject
    };
    let listed = started.elapsed();
    let triples = catalog::export::catalog_graph_in(
        &state.catalog,
        &state.catalog_info,
        &result.items,
        Some(&paging),
        order,
    )
    .await?;
    let built = started.elapsed();
    let bytes = serialize(&triples, kind).map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::debug!(
        datasets = result.items.len(),
        triples = triples.len(),
        list_ms = listed.as_secs_f64() * 1e3,
        graph_ms = (built - listed).as_secs_f64() * 1e3,
        serialize_ms = (started.elapsed() - built).as_secs_f64() * 1e3,
        "catalog page"
    );
    let mut response = typed(kind.media_type(), bytes);
    // The page links as a `Link` header too: a harvester pages on without parsing the RDF.
    if let Ok(link) = axum::http::HeaderValue::from_str(&paging.link_header()) {
        response
            .headers_mut()
            .insert(axum::http::header::LINK, link);
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FormatQuery {
    format: Option<String>,
    /// The web page's language (`pages` reads it from the URI).
    #[serde(rename = "lang")]
    _lang: Option<String>,
    /// Set by the redirect after a feedback form post (`pages::feedback` reads it from the URI).
    #[serde(rename = "feedback")]
    _feedback: Option<String>,
    /// Set by the redirect after a subscription form post.
    #[serde(rename = "subscribed")]
    _subscribed: Option<String>,
}

#[utoipa::path(
    get,
    path = "/dataset/{id}",
    summary = "One published dataset in DCAT-AP 3, with its distributions and its quality score (DQV)",
    description = "The dataset's description in the syntax `Accept` or `?format=` asks for; a browser (`Accept: \
        text/html` first) gets the dataset's web page instead. A withdrawn dataset answers 410 with its last \
        description.",
    tag = "dcat",
    params(
        ("id" = String, Path, description = "The dataset's id"),
        ("format" = Option<RdfFormatName>, Query, description = "The RDF syntax, instead of `Accept`"),
    ),
    responses(
        (status = 200, description = "the dataset", content(
            (String = "text/turtle"),
            (serde_json::Value = "application/ld+json"),
            (String = "application/rdf+xml"),
            (String = "application/n-triples"),
            (String = "text/html"),
        )),
        (status = 400, description = "a parameter is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no published dataset has this id", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "`format=csv`, or an `Accept` no RDF syntax satisfies", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "the dataset was withdrawn: its last description", content(
            (String = "text/turtle"),
            (serde_json::Value = "application/ld+json"),
            (String = "application/rdf+xml"),
            (String = "application/n-triples"),
        )),
    ),
)]
pub(crate) async fn dataset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    // Browsers get the dataset's web page; RDF clients (and `?format=`) the description.
    if q.format.is_none() && super::pages::prefers_html(&headers) {
        return Ok(super::pages::dataset::page(&state, &id, &uri, &headers).await);
    }
    let kind = rdf_kind(q.format.as_deref(), &headers)?;
    let record = match state.catalog.get(&id, None, true).await {
        Ok(r) => r,
        Err(catalog::CatalogError::Withdrawn(record)) => {
            // Gone, but still described.
            let triples = catalog::export::dataset_graph(&state.catalog, &record).await?;
            let bytes = serialize(&triples, kind).map_err(|e| ApiError::Internal(e.to_string()))?;
            let mut r = typed(kind.media_type(), bytes);
            *r.status_mut() = axum::http::StatusCode::GONE;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    let mut triples = catalog::export::dataset_graph(&state.catalog, &record).await?;
    // The score in DQV (issue 18): described here, not in the catalogue pages or the RDF projection.
    let inputs =
        catalog::quality::store::QualityInputs::for_dataset(&state.catalog, &record.content)
            .await?;
    triples.extend(catalog::quality::dqv::triples(
        state.registry.base_uri(),
        &record.uri,
        &inputs.score(&record.content),
    ));
    let bytes = serialize(&triples, kind).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(typed(kind.media_type(), bytes).into_response())
}
