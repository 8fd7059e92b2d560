//! A list's releases: list, issue, show (JSON, CSV or SKOS), the sha256 manifest and the diff of two releases.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use registry::model::{ItemData, LangText, Release};
use registry::skos::{list_graph, serialize};
use registry::store::ReleaseDiff;
use registry::{InputProblem, csv_format};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{FormatQuery, steward_of};
use crate::http::openapi::{Listing, Problem};
use crate::http::{
    ApiError, ApiJson, ApiPath, ApiQuery, AppState, Caller, Representation, negotiate, typed,
};

/// A release as listed: the release and its URI.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReleaseEntry {
    #[serde(flatten)]
    release: Release,
    /// The release's URI.
    uri: String,
}

/// A release as shown: the release, its URI and its frozen items.
#[derive(Serialize, ToSchema)]
pub(crate) struct ReleaseDocument {
    #[serde(flatten)]
    release: Release,
    /// The release's URI.
    uri: String,
    /// The items as frozen, by code.
    items: Vec<ItemData>,
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/releases",
    summary = "List a code list's releases",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)")),
    responses(
        (status = 200, description = "the list's releases", body = Listing<ReleaseEntry>),
        (status = 404, description = "no such list", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn releases(
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
) -> Result<Response, ApiError> {
    let releases = state.registry.releases(&list).await?;
    let entries = releases
        .into_iter()
        .map(|release| ReleaseEntry {
            uri: state.registry.release_uri(&list, release.number),
            release,
        })
        .collect();
    Ok(Listing::of(entries).into_response())
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRelease {
    /// Release notes by language.
    #[serde(default)]
    notes: LangText,
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/lists/{list}/releases",
    summary = "Issue a release (steward)",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)")),
    request_body(content = NewRelease, content_type = "application/json"),
    responses(
        (status = 201, description = "the new release, frozen with its sha256 manifest", body = Release),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a steward of this list", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such list", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "nothing changed since the last release", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid notes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn create_release(
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
    caller: Caller,
    ApiJson(body): ApiJson<NewRelease>,
) -> Result<Response, ApiError> {
    let principal = steward_of(caller, &list)?;
    let release = state
        .registry
        .create_release(&principal.steward(), &list, body.notes)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(release)).into_response())
}

fn release_number(s: &str, field: &str) -> Result<i64, ApiError> {
    s.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::BadRequest(vec![InputProblem::field(
            field,
            format!("{s:?} is not a release number"),
        )])
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/releases/{number}",
    summary = "Show a release (JSON, CSV or SKOS)",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("number" = String, Path, description = "the release number (1, 2, ...)"), FormatQuery),
    responses(
        (status = 200, description = "the release with its items (JSON), as CSV or as SKOS (RDF)", content(
            (ReleaseDocument = "application/json"), (String = "text/csv"), (String = "text/turtle"),
            (serde_json::Value = "application/ld+json"), (String = "application/rdf+xml"), (String = "application/n-triples"))),
        (status = 404, description = "no such list or release", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "none of the accepted media types can be produced", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn release(
    State(state): State<AppState>,
    ApiPath((list, number)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    let number = release_number(&number, "number")?;
    let representation = negotiate(q.format.as_deref(), &headers)?;
    let release = state.registry.release(&list, number).await?;
    let items = state.registry.release_items(&list, number).await?;
    match representation {
        Representation::Json => Ok(axum::Json(ReleaseDocument {
            uri: state.registry.release_uri(&list, number),
            release,
            items,
        })
        .into_response()),
        Representation::Csv => Ok(typed(
            "text/csv; charset=utf-8",
            csv_format::write(&release.meta, &items),
        )),
        Representation::Rdf(kind) => {
            let triples = list_graph(
                &state.registry,
                &release.meta,
                &items,
                std::slice::from_ref(&release),
            );
            let bytes = serialize(&triples, kind).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(typed(kind.media_type(), bytes))
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/releases/{number}/manifest",
    summary = "A release's sha256 manifest",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("number" = String, Path, description = "the release number (1, 2, ...)")),
    responses(
        (status = 200, description = "the sha256 manifest (`sha256sum` format)", body = String, content_type = "text/plain"),
        (status = 404, description = "no such list or release", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn manifest(
    State(state): State<AppState>,
    ApiPath((list, number)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let number = release_number(&number, "number")?;
    Ok(typed(
        "text/plain; charset=utf-8",
        state.registry.release_manifest(&list, number).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/releases/{from}/diff/{to}",
    summary = "Diff two releases",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("from" = String, Path, description = "the older release number"), ("to" = String, Path, description = "the newer release number")),
    responses(
        (status = 200, description = "items added, removed and changed (field by field)", body = ReleaseDiff),
        (status = 404, description = "no such list or release", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn diff(
    State(state): State<AppState>,
    ApiPath((list, from, to)): ApiPath<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (from, to) = (release_number(&from, "from")?, release_number(&to, "to")?);
    Ok(axum::Json(state.registry.diff(&list, from, to).await?).into_response())
}
