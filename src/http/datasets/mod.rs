//! `/api/v1/datasets`: the catalog's JSON API — list, show (`asOf`), create, merge-patch, workflow (submit, publish,
//! return, withdraw), revisions and their diffs. Anonymous callers see published datasets; publishers and approvers see
//! and act on their own agency's; admins on all.
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use catalog::model::{DatasetContent, WorkflowStatus};
use catalog::store::DatasetQuery;
use catalog::{Expected, Transition};
use registry::InputProblem;
use serde::Deserialize;
use serde_json::Value;

use utoipa::{IntoParams, ToSchema};

use catalog::store::{DatasetPage, DatasetRecord};

use super::openapi::{Listing, Problem, Record};
use super::{ApiError, ApiPath, ApiQuery, AppState, Caller, parse_json};
use crate::accounts::Principal;

mod files;
pub(crate) use files::{__path_download, __path_preview, __path_upload, download, preview, upload};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list).post(create))
        .route("/{id}", get(show).patch(update))
        .route("/{id}/submit", post(submit))
        .route("/{id}/publish", post(publish))
        .route("/{id}/return", post(return_))
        .route("/{id}/withdraw", post(withdraw))
        .route("/{id}/revisions", get(revisions))
        .route("/{id}/revisions/{number}", get(revision))
        .route("/{id}/revisions/{from}/diff/{to}", get(diff))
        .route("/{id}/distributions/{did}/download", get(download))
        .route("/{id}/distributions/{did}/preview", get(preview))
        .route("/{id}/releases", get(releases).post(create_release))
}

/// Routes outside `/api`: the download URLs the DCAT export names.
pub fn public_router() -> Router<AppState> {
    Router::new().route("/dataset/{id}/distribution/{did}/download", get(download))
}

/// The usage route, kept outside the ETag layer: usage counts change without a change-log entry.
pub fn usage_router() -> Router<AppState> {
    Router::new().route("/api/v1/datasets/{id}/usage", get(usage))
}

/// The upload route, kept apart so it gets the upload size limit instead of the request body limit.
pub fn upload_router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/datasets/{id}/distributions/{did}/file",
        axum::routing::put(upload),
    )
}

/// The `ETag` of a dataset as shown: it names the revision (`"r5-…"`), followed by a digest of the whole answer so
/// that a change of state without a new revision (publish, return) is a new tag too.
pub(crate) fn dataset_etag(record: &DatasetRecord) -> String {
    let body = serde_json::to_vec(record).expect("a record serializes");
    format!(
        "\"r{}-{}\"",
        record.revision,
        &registry::changelog::sha256_hex(&body)[..16]
    )
}

/// The revision named by one of our dataset tags (`"r5-…"`); weak and foreign tags name none.
fn revision_of_tag(tag: &str) -> Option<i64> {
    let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
    inner.strip_prefix('r')?.split('-').next()?.parse().ok()
}

/// What `If-Match` asserts: nothing when absent or `*`, otherwise the revisions its tags name (compared inside the
/// write transaction; a tag that names no revision of ours never matches).
pub(crate) fn expected(headers: &HeaderMap) -> Expected {
    let tags: Vec<&str> = headers
        .get_all(axum::http::header::IF_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tags.is_empty() || tags.contains(&"*") {
        Expected::Any
    } else {
        Expected::OneOf(tags.into_iter().filter_map(revision_of_tag).collect())
    }
}

/// A dataset as an answer, with its `ETag`.
pub(crate) fn record_response(status: StatusCode, record: &DatasetRecord) -> Response {
    let tag = dataset_etag(record);
    let mut response = (status, axum::Json(record)).into_response();
    response
        .headers_mut()
        .insert(axum::http::header::ETAG, tag.parse().expect("an ascii tag"));
    response
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only this agency's datasets (any notation of its code).
    publisher: Option<String>,
    /// A workflow view (`draft`, `submitted`, ...) for the agency's own staff; needs a token.
    #[param(value_type = Option<String>, pattern = "^(draft|submitted|returned|published|withdrawn)$")]
    status: Option<WorkflowStatus>,
    /// The `next` of a previous page.
    cursor: Option<String>,
    /// Datasets per page (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets",
    summary = "Page through datasets",
    tag = "catalog",
    params(ListQuery),
    responses(
        (status = 200, description = "a page of datasets", body = DatasetPage),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "workflow views are for the agency's staff", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    if q.limit.is_some_and(|l| l == 0 || l > 1000) {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "limit",
            "limit must be between 1 and 1000",
        )]));
    }
    let publisher = match &q.publisher {
        Some(p) => Some(
            state
                .registry
                .resolve_code("agencies", p)
                .await?
                .unwrap_or_else(|| p.clone()),
        ),
        None => None,
    };
    let mut query = DatasetQuery {
        publisher,
        status: q.status,
        public: true,
        cursor: q.cursor,
        limit: q.limit.unwrap_or(100),
        ..DatasetQuery::default()
    };
    if q.status.is_some() {
        // Workflow views are for the agency's own staff.
        let principal = caller.required()?;
        query.publisher = principal.curator().workspace()?.map(str::to_owned);
        query.public = false;
    }
    Ok(axum::Json(state.catalog.list(&query).await?).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/datasets",
    summary = "Create a draft dataset (publisher)",
    tag = "catalog",
    request_body(content = DatasetContent, description = "the dataset's content (DCAT-AP fields, registry codes) plus an optional `id` (lowercase letters, digits and `-`; generated when absent)", content_type = "application/json"),
    responses(
        (status = 201, description = "the new draft (revision 1)", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a publisher of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid content or a code the registry refuses, naming the field (with successors)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let principal = caller.required()?;
    // The body is the dataset's content plus an optional `id`.
    let mut body: Value = parse_json(&body)?;
    let id = match body.as_object_mut().and_then(|o| o.remove("id")) {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            return Err(ApiError::Unprocessable(vec![InputProblem::field(
                "id",
                "expected a string",
            )]));
        }
    };
    let content: DatasetContent = parse_json(body.to_string().as_bytes())?;
    let record = state
        .catalog
        .create(&principal.curator(), id, content)
        .await?;
    Ok(record_response(StatusCode::CREATED, &record))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ShowQuery {
    /// The dataset as it was at that instant (RFC 3339).
    #[param(format = DateTime)]
    as_of: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}",
    summary = "Show a dataset (optionally as of an instant)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ShowQuery),
    responses(
        (status = 200, description = "the dataset (the published revision for the public, the current one for its staff)", body = DatasetRecord),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "withdrawn: the metadata, with `status: withdrawn`", body = DatasetRecord),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ShowQuery>,
) -> Result<Response, ApiError> {
    let as_of = q
        .as_of
        .as_deref()
        .map(registry::RegistryTime::parse)
        .transpose()
        .map_err(|p| ApiError::BadRequest(vec![p]))?;
    let viewer = caller.0.as_ref().map(Principal::curator);
    let record = state
        .catalog
        .show(
            viewer.as_ref(),
            &id,
            as_of.as_ref().map(registry::RegistryTime::as_str),
        )
        .await?;
    let tag = dataset_etag(&record);
    let unchanged = headers
        .get_all(axum::http::header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().trim_start_matches("W/") == tag);
    if unchanged {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut()
            .insert(axum::http::header::ETAG, tag.parse().expect("ascii"));
        return Ok(r);
    }
    Ok(record_response(StatusCode::OK, &record))
}

#[utoipa::path(
    patch,
    path = "/api/v1/datasets/{id}",
    summary = "Edit a dataset with a merge patch (new revision)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("If-Match" = Option<String>, Header, description = "the ETag of the revision this change is based on (as a GET answered it); refused with 412 when the dataset has moved on")),
    request_body(content = Record, description = "an RFC 7396 merge patch of the content, plus an optional `message`", content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "the new revision", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a publisher of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be edited now", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a revision that is no longer the current one: nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the patched content does not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let principal = caller.required()?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !(content_type.starts_with("application/merge-patch+json")
        || content_type.starts_with("application/json"))
    {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "Content-Type",
            "expected application/merge-patch+json",
        )]));
    }
    let mut patch: Value = parse_json(&body)?;
    let message = patch
        .as_object_mut()
        .and_then(|o| o.remove("message"))
        .and_then(|m| m.as_str().map(str::to_owned));
    let record = state
        .catalog
        .update(
            &principal.curator(),
            &id,
            &patch,
            message.as_deref(),
            &expected(&headers),
        )
        .await?;
    Ok(record_response(StatusCode::OK, &record))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Reason {
    /// Why (required to return or withdraw).
    reason: Option<String>,
}

async fn transition(
    state: AppState,
    id: String,
    caller: Caller,
    transition: Transition,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let principal = caller.required()?;
    let reason: Reason = if body.iter().all(u8::is_ascii_whitespace) {
        Reason::default()
    } else {
        parse_json(body)?
    };
    let record = state
        .catalog
        .transition(
            &principal.curator(),
            &id,
            transition,
            reason.reason.as_deref(),
            &expected(headers),
        )
        .await?;
    Ok(record_response(StatusCode::OK, &record))
}

#[utoipa::path(
    post,
    path = "/api/v1/datasets/{id}/submit",
    summary = "Submit a dataset for approval",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("If-Match" = Option<String>, Header, description = "the ETag of the revision this change is based on (as a GET answered it); refused with 412 when the dataset has moved on")),
    request_body(content = Option<Reason>, content_type = "application/json"),
    responses(
        (status = 200, description = "submitted", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a publisher of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be submitted in its current state", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a revision that is no longer the current one: nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a reason is required, or the content does not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn submit(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    transition(state, id, caller, Transition::Submit, &headers, &body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/datasets/{id}/publish",
    summary = "Publish a submitted dataset (approver)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("If-Match" = Option<String>, Header, description = "the ETag of the revision this change is based on (as a GET answered it); refused with 412 when the dataset has moved on")),
    request_body(content = Option<Reason>, content_type = "application/json"),
    responses(
        (status = 200, description = "published", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an approver of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be published in its current state", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a revision that is no longer the current one: nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a reason is required, or the content does not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn publish(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    transition(state, id, caller, Transition::Publish, &headers, &body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/datasets/{id}/return",
    summary = "Return a submitted dataset with a reason (approver)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("If-Match" = Option<String>, Header, description = "the ETag of the revision this change is based on (as a GET answered it); refused with 412 when the dataset has moved on")),
    request_body(content = Option<Reason>, content_type = "application/json"),
    responses(
        (status = 200, description = "returned", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an approver of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be returned in its current state", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a revision that is no longer the current one: nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a reason is required, or the content does not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn return_(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    transition(state, id, caller, Transition::Return, &headers, &body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/datasets/{id}/withdraw",
    summary = "Withdraw a published dataset (approver)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("If-Match" = Option<String>, Header, description = "the ETag of the revision this change is based on (as a GET answered it); refused with 412 when the dataset has moved on")),
    request_body(content = Option<Reason>, content_type = "application/json"),
    responses(
        (status = 200, description = "withdrawn", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an approver of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be withdrawn in its current state", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a revision that is no longer the current one: nothing was changed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a reason is required, or the content does not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    transition(state, id, caller, Transition::Withdraw, &headers, &body).await
}

async fn staff_only(state: &AppState, id: &str, caller: Caller) -> Result<(), ApiError> {
    let viewer = caller.0.as_ref().map(Principal::curator);
    Ok(state
        .catalog
        .check_history_visible(viewer.as_ref(), id)
        .await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/revisions",
    summary = "List a dataset's revisions",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id")),
    responses(
        (status = 200, description = "every revision, oldest first", body = Listing<catalog::store::RevisionInfo>),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn revisions(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
) -> Result<Response, ApiError> {
    staff_only(&state, &id, caller).await?;
    Ok(Listing::of(state.catalog.revisions(&id).await?).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/revisions/{number}",
    summary = "Show one revision",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("number" = i64, Path, description = "a revision number")),
    responses(
        (status = 200, description = "the content of that revision", body = DatasetContent),
        (status = 404, description = "no such dataset or revision", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn revision(
    State(state): State<AppState>,
    ApiPath((id, number)): ApiPath<(String, i64)>,
    caller: Caller,
) -> Result<Response, ApiError> {
    staff_only(&state, &id, caller).await?;
    Ok(axum::Json(state.catalog.revision(&id, number).await?).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/revisions/{from}/diff/{to}",
    summary = "Diff two revisions",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("from" = i64, Path, description = "a revision number"), ("to" = i64, Path, description = "a revision number")),
    responses(
        (status = 200, description = "field-level differences", body = catalog::store::RevisionDiff),
        (status = 404, description = "no such dataset or revision", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn diff(
    State(state): State<AppState>,
    ApiPath((id, from, to)): ApiPath<(String, i64, i64)>,
    caller: Caller,
) -> Result<Response, ApiError> {
    staff_only(&state, &id, caller).await?;
    Ok(axum::Json(state.catalog.diff(&id, from, to).await?).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/releases",
    summary = "List a dataset's releases",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id")),
    responses(
        (status = 200, description = "the dataset's releases (versions)", body = Listing<catalog::store::Release>),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn releases(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    state.catalog.get(&id, None, false).await?;
    Ok(Listing::of(state.catalog.releases(&id).await?).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRelease {
    /// The version label (`dcat:version`), e.g. `2025.1`.
    version: String,
    /// Version notes by language.
    #[serde(default)]
    notes: registry::model::LangText,
}

#[utoipa::path(
    post,
    path = "/api/v1/datasets/{id}/releases",
    summary = "Mark the published revision as a version",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id")),
    request_body(content = NewRelease, content_type = "application/json"),
    responses(
        (status = 201, description = "the published revision marked as a version", body = catalog::store::Release),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a publisher of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "nothing published, or the version exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "an invalid version", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn create_release(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let principal = caller.required()?;
    let body: NewRelease = parse_json(&body)?;
    let release = state
        .catalog
        .create_release(&principal.curator(), &id, &body.version, &body.notes)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(release)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct UsageQuery {
    /// First day, inclusive (default: 29 days before `to`).
    from: Option<chrono::NaiveDate>,
    /// Last day, inclusive (default: today, UTC).
    to: Option<chrono::NaiveDate>,
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/usage",
    summary = "Usage per day: page views, downloads, API calls",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), UsageQuery),
    responses(
        (status = 200, description = "page views, downloads and API calls per day (UTC, zeros included) and their totals; counts only, no personal data", body = catalog::usage::UsageReport),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`from` after `to`, or a span over 366 days", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn usage(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Response, ApiError> {
    staff_only(&state, &id, caller).await?;
    let to = q.to.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let from = q.from.unwrap_or(to - chrono::Duration::days(29));
    Ok(axum::Json(state.usage.report(&id, from, to).await?).into_response())
}
