//! `/api/v1/registry`: code lists, items on two time axes, hierarchy, change requests, CSV import, releases and diffs,
//! batch validation. Reads are public; writes need a steward of the list (or an admin).
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use registry::model::{ChangeInput, CodeListMeta, LangText, RequestStatus};
use registry::skos::{list_graph, serialize};
use registry::store::{CodeCheck, ItemQuery};
use registry::{InputProblem, csv_format};
use serde::Deserialize;
use serde_json::{Value, json};

use utoipa::{IntoParams, ToSchema};

use super::openapi::{CursorPage, Listing, Problem, Record};
use super::{
    ApiError, ApiJson, ApiPath, ApiQuery, AppState, Caller, Representation, negotiate, typed,
};
use crate::accounts::Principal;

/// The most references one validation call may check.
pub const MAX_VALIDATE_BATCH: usize = 100_000;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/lists", get(lists).post(create_list))
        .route("/lists/{list}", get(list))
        .route("/lists/{list}/items", get(items))
        .route("/lists/{list}/items/{code}", get(item))
        .route("/lists/{list}/items/{code}/children", get(children))
        .route("/lists/{list}/items/{code}/ancestors", get(ancestors))
        .route("/lists/{list}/items/{code}/history", get(history))
        .route("/lists/{list}/releases", get(releases).post(create_release))
        .route("/lists/{list}/releases/{number}", get(release))
        .route("/lists/{list}/releases/{number}/manifest", get(manifest))
        .route("/lists/{list}/releases/{from}/diff/{to}", get(diff))
        .route(
            "/lists/{list}/change-requests",
            get(change_requests).post(propose),
        )
        .route("/lists/{list}/change-requests/{id}", get(change_request))
        .route("/lists/{list}/change-requests/{id}/approve", post(approve))
        .route("/lists/{list}/change-requests/{id}/reject", post(reject))
        .route("/lists/{list}/import", post(import))
        .route("/validate", post(validate))
}

fn curator(caller: Caller, list: &str) -> Result<Principal, ApiError> {
    let principal = caller.required()?;
    if principal.may_curate(list) {
        Ok(principal)
    } else {
        Err(ApiError::Forbidden(format!(
            "{} may not change code list {list:?}",
            principal.name
        )))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists",
    summary = "List the code lists",
    tag = "registry",
    responses(
        (status = 200, description = "every list with item counts per status and its latest release", body = Listing),
    ),
)]
pub(crate) async fn lists(State(state): State<AppState>) -> Result<Response, ApiError> {
    let lists = state.registry.lists().await?;
    Ok(axum::Json(json!({ "items": lists })).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/lists",
    summary = "Create a code list (admin)",
    tag = "registry",
    request_body(content = Record, description = "the list's metadata (id, title, description, columns, ...)", content_type = "application/json"),
    responses(
        (status = 201, description = "created", body = Record),
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
    if principal.role != crate::accounts::Role::Admin {
        return Err(ApiError::Forbidden(
            "only an admin creates code lists".into(),
        ));
    }
    let summary = state.registry.create_list(meta, &principal.name).await?;
    Ok((StatusCode::CREATED, axum::Json(summary)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct FormatQuery {
    /// `json`, `csv`, `ttl`, `jsonld`, `rdfxml` or `nt` (instead of `Accept`).
    #[param(pattern = "^(json|csv|ttl|turtle|jsonld|rdfxml|rdf|nt)$")]
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}",
    summary = "Show a code list (JSON, CSV or SKOS)",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), FormatQuery),
    responses(
        (status = 200, description = "the list (JSON), its items (CSV) or its SKOS graph (RDF)", content(
            (Record = "application/json"), (String = "text/csv"), (String = "text/turtle"),
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
        Representation::Json => {
            let base = format!("/api/v1/registry/lists/{id}");
            let mut body = serde_json::to_value(&summary).expect("summary serializes");
            body["links"] = json!({
                "items": format!("{base}/items"),
                "releases": format!("{base}/releases"),
                "csv": format!("{base}?format=csv"),
                "turtle": format!("{base}?format=ttl"),
                "jsonld": format!("{base}?format=jsonld"),
                "rdfxml": format!("{base}?format=rdfxml"),
            });
            Ok(axum::Json(body).into_response())
        }
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

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ItemsQuery {
    /// Only items with this status (that day, with `validAt`).
    #[param(pattern = "^(submitted|valid|superseded|retired|invalid|notYetValid)$")]
    status: Option<String>,
    /// Only the children of this code.
    parent: Option<String>,
    /// Only items of this level (e.g. `province`, `commune`).
    level: Option<String>,
    /// Words in the label or code, diacritics-insensitive.
    text: Option<String>,
    /// Legal validity: the items as the law stood that day.
    valid_at: Option<NaiveDate>,
    /// Registry time: what the registry recorded at that instant (RFC 3339).
    #[param(format = DateTime)]
    as_of: Option<String>,
    /// The `next` of a previous page.
    cursor: Option<String>,
    /// Items per page (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

const STATUSES: &[&str] = &[
    "submitted",
    "valid",
    "superseded",
    "retired",
    "invalid",
    "notYetValid",
];

fn check_as_of(as_of: &Option<String>) -> Result<Option<String>, ApiError> {
    as_of
        .as_deref()
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| {
                    d.with_timezone(&chrono::Utc)
                        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                        .to_string()
                })
                .map_err(|_| {
                    ApiError::BadRequest(vec![InputProblem::field(
                        "asOf",
                        format!("{t:?} is not an RFC 3339 timestamp (e.g. 2025-07-01T00:00:00Z)"),
                    )])
                })
        })
        .transpose()
}

fn item_query(q: ItemsQuery) -> Result<ItemQuery, ApiError> {
    if let Some(s) = &q.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "status",
            format!("{s:?} is not one of {STATUSES:?}"),
        )]));
    }
    if q.limit.is_some_and(|l| l == 0 || l > 1000) {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "limit",
            "limit must be between 1 and 1000",
        )]));
    }
    Ok(ItemQuery {
        as_of: check_as_of(&q.as_of)?,
        status: q.status,
        parent: q.parent,
        level: q.level,
        text: q.text,
        valid_at: q.valid_at,
        cursor: q.cursor,
        limit: q.limit.unwrap_or(100),
    })
}

async fn page(state: &AppState, list: &str, query: ItemQuery) -> Result<Response, ApiError> {
    let page = state.registry.items(list, &query).await?;
    let items: Vec<Value> = page.items.iter().map(|i| i.to_json()).collect();
    Ok(axum::Json(json!({ "items": items, "next": page.next })).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/items",
    summary = "Page through a list's items (filters, legal and registry time)",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ItemsQuery),
    responses(
        (status = 200, description = "a page of items", body = CursorPage),
        (status = 404, description = "no such list", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn items(
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> Result<Response, ApiError> {
    page(&state, &list, item_query(q)?).await
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ItemQueryParams {
    /// Legal validity: the item's status that day.
    valid_at: Option<NaiveDate>,
    /// Registry time: the item as recorded at that instant (RFC 3339).
    #[param(format = DateTime)]
    as_of: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/items/{code}",
    summary = "Show an item by code or alternative notation",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("code" = String, Path, description = "the item code or any alternative notation"), ItemQueryParams),
    responses(
        (status = 200, description = "the item (on the chosen time axes)", body = Record),
        (status = 404, description = "no such list or item", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn item(
    State(state): State<AppState>,
    ApiPath((list, code)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ItemQueryParams>,
) -> Result<Response, ApiError> {
    let as_of = check_as_of(&q.as_of)?;
    let view = state
        .registry
        .item(&list, &code, q.valid_at, as_of.as_deref())
        .await?;
    Ok(axum::Json(view.to_json()).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/items/{code}/children",
    summary = "Page through an item's children",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("code" = String, Path, description = "the item code or any alternative notation"), ItemsQuery),
    responses(
        (status = 200, description = "a page of the item's children", body = CursorPage),
        (status = 404, description = "no such list or item", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn children(
    State(state): State<AppState>,
    ApiPath((list, code)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> Result<Response, ApiError> {
    let parent = state
        .registry
        .item(&list, &code, None, None)
        .await?
        .data
        .code;
    let mut query = item_query(q)?;
    query.parent = Some(parent);
    page(&state, &list, query).await
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/items/{code}/ancestors",
    summary = "An item's ancestors",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("code" = String, Path, description = "the item code or any alternative notation")),
    responses(
        (status = 200, description = "the item's ancestors, nearest first", body = Listing),
        (status = 404, description = "no such list or item", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn ancestors(
    State(state): State<AppState>,
    ApiPath((list, code)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let items: Vec<Value> = state
        .registry
        .ancestors(&list, &code)
        .await?
        .iter()
        .map(|i| i.to_json())
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/items/{code}/history",
    summary = "An item's recorded versions",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("code" = String, Path, description = "the item code or any alternative notation")),
    responses(
        (status = 200, description = "every recorded version of the item, oldest first", body = Listing),
        (status = 404, description = "no such list or item", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn history(
    State(state): State<AppState>,
    ApiPath((list, code)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(
        axum::Json(json!({ "items": state.registry.item_history(&list, &code).await? }))
            .into_response(),
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/releases",
    summary = "List a code list's releases",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)")),
    responses(
        (status = 200, description = "the list's releases", body = Listing),
        (status = 404, description = "no such list", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn releases(
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
) -> Result<Response, ApiError> {
    let releases = state.registry.releases(&list).await?;
    let items: Vec<Value> = releases
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).expect("release serializes");
            v["uri"] = json!(state.registry.release_uri(&list, r.number));
            v
        })
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRelease {
    /// Release notes by language (`{"vi": "...", "en": "..."}`).
    #[serde(default)]
    #[schema(value_type = Object)]
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
        (status = 201, description = "the new release, frozen with its sha256 manifest", body = Record),
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
    let principal = curator(caller, &list)?;
    state.registry.meta(&list).await?;
    let release = state
        .registry
        .create_release(&list, body.notes, &principal.name)
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
            (Record = "application/json"), (String = "text/csv"), (String = "text/turtle"),
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
    match representation {
        Representation::Json => {
            let items = state.registry.release_items(&list, number).await?;
            let mut v = serde_json::to_value(&release).expect("release serializes");
            v["uri"] = json!(state.registry.release_uri(&list, number));
            v["items"] = json!(items);
            Ok(axum::Json(v).into_response())
        }
        Representation::Csv => {
            let items = state.registry.release_items(&list, number).await?;
            Ok(typed(
                "text/csv; charset=utf-8",
                csv_format::write(&release.meta, &items),
            ))
        }
        Representation::Rdf(kind) => {
            let items = state.registry.release_items(&list, number).await?;
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
        (status = 200, description = "items added, removed and changed (field by field)", body = Record),
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

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RequestFilter {
    /// Only requests in this state.
    #[param(value_type = Option<String>, pattern = "^(proposed|approved|rejected)$")]
    status: Option<RequestStatus>,
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/change-requests",
    summary = "List change requests",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), RequestFilter),
    responses(
        (status = 200, description = "the list's change requests", body = Listing),
        (status = 404, description = "no such list", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn change_requests(
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
    ApiQuery(q): ApiQuery<RequestFilter>,
) -> Result<Response, ApiError> {
    Ok(
        axum::Json(json!({ "items": state.registry.change_requests(&list, q.status).await? }))
            .into_response(),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Proposal {
    changes: Vec<ChangeInput>,
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/lists/{list}/change-requests",
    summary = "Propose changes (steward)",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)")),
    request_body(content = Record, description = "`changes` (each with `op`: add, modify, supersede, retire, put) and a `reason`", content_type = "application/json"),
    responses(
        (status = 201, description = "the proposed change request", body = Record),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a steward of this list", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such list", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "conflicts with the list", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "an invalid change, naming the field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn propose(
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
    caller: Caller,
    ApiJson(body): ApiJson<Proposal>,
) -> Result<Response, ApiError> {
    let principal = curator(caller, &list)?;
    let mut changes = Vec::with_capacity(body.changes.len());
    let mut problems = Vec::new();
    for (i, input) in body.changes.into_iter().enumerate() {
        match input.into_change(&format!("changes/{i}")) {
            Ok(c) => changes.push(c),
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Unprocessable(problems));
    }
    let request = state
        .registry
        .propose(&list, changes, &body.reason, &principal.name)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(request)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/change-requests/{id}",
    summary = "Show a change request with its preview",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("id" = i64, Path, description = "the change request id")),
    responses(
        (status = 200, description = "the request, with a preview of what it would change while proposed", body = Record),
        (status = 404, description = "no such list or request", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn change_request(
    State(state): State<AppState>,
    ApiPath((list, id)): ApiPath<(String, i64)>,
) -> Result<Response, ApiError> {
    let request = state.registry.change_request(id).await?;
    if request.list != list {
        return Err(ApiError::from(
            registry::RegistryError::ChangeRequestNotFound(id),
        ));
    }
    let preview = match request.status {
        RequestStatus::Proposed => state.registry.preview(&list, &request.changes).await.ok(),
        _ => None,
    };
    let mut v = serde_json::to_value(&request).expect("request serializes");
    if let Some(p) = preview {
        v["preview"] =
            json!({ "summary": p.summary(), "changes": p.changes, "unchanged": p.unchanged });
    }
    Ok(axum::Json(v).into_response())
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Decision {
    /// Why (required to reject).
    reason: Option<String>,
}

async fn decide(
    state: AppState,
    list: String,
    id: i64,
    caller: Caller,
    approve: bool,
    reason: Option<String>,
) -> Result<Response, ApiError> {
    let principal = curator(caller, &list)?;
    let request = state.registry.change_request(id).await?;
    if request.list != list {
        return Err(ApiError::from(
            registry::RegistryError::ChangeRequestNotFound(id),
        ));
    }
    let decided = state
        .registry
        .decide(id, approve, reason.as_deref(), &principal.name)
        .await?;
    Ok(axum::Json(decided).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/lists/{list}/change-requests/{id}/approve",
    summary = "Approve a change request (another steward)",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("id" = i64, Path, description = "the change request id")),
    request_body(content = Option<Decision>, content_type = "application/json"),
    responses(
        (status = 200, description = "approved and applied atomically", body = Record),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a steward of this list, or the proposer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such list or request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already decided, or no longer applies", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the changes no longer validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn approve(
    State(state): State<AppState>,
    ApiPath((list, id)): ApiPath<(String, i64)>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // The body is optional: an approval may carry a note.
    let decision: Decision = if body.iter().all(u8::is_ascii_whitespace) {
        Decision::default()
    } else {
        super::parse_json(&body)?
    };
    decide(state, list, id, caller, true, decision.reason).await
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/lists/{list}/change-requests/{id}/reject",
    summary = "Reject a change request with a reason",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("id" = i64, Path, description = "the change request id")),
    request_body(content = Decision, content_type = "application/json"),
    responses(
        (status = 200, description = "rejected", body = Record),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a steward of this list", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such list or request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already decided", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a reason is required", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn reject(
    State(state): State<AppState>,
    ApiPath((list, id)): ApiPath<(String, i64)>,
    caller: Caller,
    ApiJson(body): ApiJson<Decision>,
) -> Result<Response, ApiError> {
    decide(state, list, id, caller, false, body.reason).await
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ImportQuery {
    /// Only show what the file would change.
    #[serde(default)]
    dry_run: bool,
    /// The change request's reason (default `CSV import`).
    reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/lists/{list}/import",
    summary = "Import a CSV file as a change request (or a dry run)",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ImportQuery),
    request_body(content = String, description = "the list as CSV (the columns of `GET /lists/{list}?format=csv`)", content_type = "text/csv"),
    responses(
        (status = 200, description = "dry run: what the file would change", body = Record),
        (status = 201, description = "the file became a change request (with its preview)", body = Record),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a steward of this list", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such list", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad lines, each named; nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn import(
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let principal = curator(caller, &list)?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("text/csv") {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "Content-Type",
            "expected text/csv",
        )]));
    }
    let (changes, plan) = state.registry.parse_import(&list, &body).await?;
    let preview =
        json!({ "summary": plan.summary(), "unchanged": plan.unchanged, "changes": plan.changes });
    if q.dry_run {
        return Ok(axum::Json(json!({ "dryRun": true, "preview": preview })).into_response());
    }
    let reason = q.reason.unwrap_or_else(|| "CSV import".to_owned());
    let request = state
        .registry
        .propose(&list, changes, &reason, &principal.name)
        .await?;
    let mut v = serde_json::to_value(&request).expect("request serializes");
    v["preview"] = preview;
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValidateBody {
    /// The references: `{"list": "...", "code": "...", "date": "YYYY-MM-DD"}` (`date` optional).
    #[schema(value_type = Vec<Object>)]
    items: Vec<CodeCheck>,
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/validate",
    summary = "Validate up to 100,000 code references",
    tag = "registry",
    request_body(content = ValidateBody, content_type = "application/json"),
    responses(
        (status = 200, description = "one result per reference (valid, superseded with successors, retired, notYetValid, unknown) and a summary", body = Record),
        (status = 422, description = "a malformed reference, or more than 100,000", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn validate(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ValidateBody>,
) -> Result<Response, ApiError> {
    if body.items.len() > MAX_VALIDATE_BATCH {
        return Err(ApiError::Unprocessable(vec![InputProblem::field(
            "items",
            format!("at most {MAX_VALIDATE_BATCH} references per call"),
        )]));
    }
    let results = state.registry.validate(&body.items).await?;
    let mut summary = std::collections::BTreeMap::<String, usize>::new();
    for r in &results {
        *summary.entry(r.result.clone()).or_default() += 1;
    }
    Ok(axum::Json(json!({ "summary": summary, "items": results })).into_response())
}
