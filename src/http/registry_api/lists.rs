//! The code lists: list, create, show (JSON with links, CSV or SKOS).
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use registry::csv_format;
use registry::model::CodeListMeta;
use registry::skos::{list_graph, serialize};
use registry::store::lists::ListSummary;
use serde::Serialize;
use utoipa::ToSchema;

use super::FormatQuery;
use crate::http::openapi::{Listing, Problem};
use crate::http::{
    ApiError, ApiJson, ApiPath, ApiQuery, AppState, Caller, Representation, negotiate, typed,
};

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists",
    summary = "List the code lists",
    tag = "registry",
    responses(
        (status = 200, description = "every list with item counts per status and its latest release", body = Listing<ListSummary>),
    ),
)]
pub(crate) async fn lists(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Listing::of(state.registry.lists().await?).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/lists",
    summary = "Create a code list (admin)",
    tag = "registry",
    request_body(content = CodeListMeta, description = "the list's metadata (id, title, description, columns, ...)", content_type = "application/json"),
    responses(
        (status = 201, description = "created", body = ListSummary),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "only an admin creates code lists", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "a list with this id exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid metadata, naming the field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn create_list(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(meta): ApiJson<CodeListMeta>,
) -> Result<Response, ApiError> {
    let principal = caller.required()?;
    let summary = state
        .registry
        .create_list(&principal.steward(), meta)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(summary)).into_response())
}

/// A code list as the JSON API shows it: its summary and the addresses of its items, releases and other formats.
#[derive(Serialize, ToSchema)]
pub(crate) struct ListDocument {
    #[serde(flatten)]
    summary: ListSummary,
    links: ListLinks,
}

/// Where to read more of a list.
#[derive(Serialize, ToSchema)]
pub(crate) struct ListLinks {
    /// The items, paged.
    items: String,
    /// The releases.
    releases: String,
    /// Every item as CSV.
    csv: String,
    /// The SKOS graph as Turtle.
    turtle: String,
    /// The SKOS graph as JSON-LD.
    jsonld: String,
    /// The SKOS graph as RDF/XML.
    rdfxml: String,
}

impl ListLinks {
    fn of(id: &str) -> Self {
        let base = format!("/api/v1/registry/lists/{id}");
        Self {
            items: format!("{base}/items"),
            releases: format!("{base}/releases"),
            csv: format!("{base}?format=csv"),
            turtle: format!("{base}?format=ttl"),
            jsonld: format!("{base}?format=jsonld"),
            rdfxml: format!("{base}?format=rdfxml"),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}",
    summary = "Show a code list (JSON, CSV or SKOS)",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), FormatQuery),
    responses(
        (status = 200, description = "the list (JSON), its items (CSV) or its SKOS graph (RDF)", content(
            (ListDocument = "application/json"), (String = "text/csv"), (String = "text/turtle"),
            (serde_json::Value = "application/ld+json"), (String = "application/rdf+xml"), (String = "application/n-triples"))),
        (status = 404, description = "no such list", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "none of the accepted media types can be produced", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    let representation = negotiate(q.format.as_deref(), &headers)?;
    let summary = state.registry.list(&id).await?;
    match representation {
        Representation::Json => Ok(axum::Json(ListDocument {
            summary,
            links: ListLinks::of(&id),
        })
        .into_response()),
        Representation::Csv => {
            let items = state.registry.all_items(&id).await?;
            let mut response = typed(
                "text/csv; charset=utf-8",
                csv_format::write(&summary.meta, &items),
            );
            response.headers_mut().insert(
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}.csv\"")
                    .parse()
                    .expect("ascii header"),
            );
            Ok(response)
        }
        Representation::Rdf(kind) => {
            let items = state.registry.all_items(&id).await?;
            let releases = state.registry.releases(&id).await?;
            let triples = list_graph(&state.registry, &summary.meta, &items, &releases);
            let bytes = serialize(&triples, kind).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(typed(kind.media_type(), bytes))
        }
    }
}
