//! `/api/v1/datasets`: the catalog's JSON API — list, show (`asOf`), create, merge-patch, workflow (submit, publish,
//! return, withdraw), revisions and their diffs. Anonymous callers see published datasets; publishers and approvers see
//! and act on their own agency's; admins on all.
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use catalog::model::{DatasetContent, WorkflowStatus};
use catalog::store::{Actor, DatasetQuery};
use registry::InputProblem;
use serde::Deserialize;
use serde_json::Value;

use utoipa::{IntoParams, ToSchema};

use catalog::store::{DatasetPage, DatasetRecord};

use super::openapi::{Listing, Problem, Record};
use super::{ApiError, ApiPath, ApiQuery, AppState, Caller, parse_json};
use crate::accounts::{Principal, Role};

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

/// May `principal` see and edit drafts of `agency`'s datasets?
pub(crate) fn may_edit(principal: &Principal, agency: &str) -> bool {
    match principal.role {
        Role::Admin => true,
        Role::Publisher | Role::Approver => principal.agency.as_deref() == Some(agency),
        _ => false,
    }
}

/// May `principal` publish, return and withdraw `agency`'s datasets?
pub(crate) fn may_approve(principal: &Principal, agency: &str) -> bool {
    match principal.role {
        Role::Admin => true,
        Role::Approver => principal.agency.as_deref() == Some(agency),
        _ => false,
    }
}

async fn publisher_of(state: &AppState, id: &str) -> Result<String, ApiError> {
    Ok(state.catalog.get(id, None, false).await?.content.publisher)
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
        match principal.role {
            Role::Admin => {}
            Role::Publisher | Role::Approver => query.publisher = principal.agency.clone(),
            _ => {
                return Err(ApiError::Forbidden(
                    "workflow views are for publishers and approvers".into(),
                ));
            }
        }
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
    let agency = state
        .registry
        .resolve_code("agencies", &content.publisher)
        .await?;
    if !matches!(principal.role, Role::Admin | Role::Publisher) {
        return Err(ApiError::Forbidden(
            "only publishers create datasets".into(),
        ));
    }
    if let Some(agency) = &agency
        && !may_edit(&principal, agency)
    {
        return Err(ApiError::Forbidden(format!(
            "{} publishes for another agency",
            principal.name
        )));
    }
    let record = state
        .catalog
        .create(
            id,
            content,
            &Actor {
                name: &principal.name,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(record)).into_response())
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
    ApiQuery(q): ApiQuery<ShowQuery>,
) -> Result<Response, ApiError> {
    let as_of = q
        .as_of
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
                        "not an RFC 3339 timestamp",
                    )])
                })
        })
        .transpose()?;
    let staff = match caller.0 {
        Some(p) => may_edit(&p, &publisher_of(&state, &id).await?),
        None => false,
    };
    let record = state.catalog.get(&id, as_of.as_deref(), !staff).await?;
    Ok(axum::Json(record).into_response())
}

#[utoipa::path(
    patch,
    path = "/api/v1/datasets/{id}",
    summary = "Edit a dataset with a merge patch (new revision)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id")),
    request_body(content = Record, description = "an RFC 7396 merge patch of the content, plus an optional `message`", content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "the new revision", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a publisher of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be edited now", body = Problem, content_type = "application/problem+json"),
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
    let agency = publisher_of(&state, &id).await?;
    if !may_edit(&principal, &agency) {
        return Err(ApiError::Forbidden(format!(
            "{} may not edit datasets of {agency}",
            principal.name
        )));
    }
    let mut patch: Value = parse_json(&body)?;
    let message = patch
        .as_object_mut()
        .and_then(|o| o.remove("message"))
        .and_then(|m| m.as_str().map(str::to_owned));
    if let Some(new_publisher) = patch.get("publisher").and_then(Value::as_str) {
        let code = state
            .registry
            .resolve_code("agencies", new_publisher)
            .await?;
        if code.is_some_and(|c| !may_edit(&principal, &c)) {
            return Err(ApiError::Forbidden(
                "a dataset cannot be moved to another agency".into(),
            ));
        }
    }
    check_column_types(&state, &id, &patch).await?;
    let record = state
        .catalog
        .update(
            &id,
            &patch,
            message.as_deref(),
            &Actor {
                name: &principal.name,
            },
        )
        .await?;
    Ok(axum::Json(record).into_response())
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
    action: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let principal = caller.required()?;
    let reason: Reason = if body.iter().all(u8::is_ascii_whitespace) {
        Reason::default()
    } else {
        parse_json(body)?
    };
    let agency = publisher_of(&state, &id).await?;
    let allowed = match action {
        "submit" => may_edit(&principal, &agency),
        _ => may_approve(&principal, &agency),
    };
    if !allowed {
        return Err(ApiError::Forbidden(format!(
            "{} may not {action} datasets of {agency}",
            principal.name
        )));
    }
    let record = state
        .catalog
        .transition(
            &id,
            action,
            reason.reason.as_deref(),
            &Actor {
                name: &principal.name,
            },
        )
        .await?;
    Ok(axum::Json(record).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/datasets/{id}/submit",
    summary = "Submit a dataset for approval",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id")),
    request_body(content = Option<Reason>, content_type = "application/json"),
    responses(
        (status = 200, description = "submitted", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a publisher of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be submitted in its current state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a reason is required, or the content does not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn submit(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    transition(state, id, caller, "submit", &body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/datasets/{id}/publish",
    summary = "Publish a submitted dataset (approver)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id")),
    request_body(content = Option<Reason>, content_type = "application/json"),
    responses(
        (status = 200, description = "published", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an approver of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be published in its current state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a reason is required, or the content does not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn publish(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    transition(state, id, caller, "publish", &body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/datasets/{id}/return",
    summary = "Return a submitted dataset with a reason (approver)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id")),
    request_body(content = Option<Reason>, content_type = "application/json"),
    responses(
        (status = 200, description = "returned", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an approver of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be returned in its current state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a reason is required, or the content does not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn return_(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    transition(state, id, caller, "return", &body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/datasets/{id}/withdraw",
    summary = "Withdraw a published dataset (approver)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id")),
    request_body(content = Option<Reason>, content_type = "application/json"),
    responses(
        (status = 200, description = "withdrawn", body = DatasetRecord),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an approver of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be withdrawn in its current state", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a reason is required, or the content does not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    transition(state, id, caller, "withdraw", &body).await
}

async fn staff_only(state: &AppState, id: &str, caller: Caller) -> Result<(), ApiError> {
    let record = state.catalog.get(id, None, false).await?;
    let staff = caller
        .0
        .as_ref()
        .is_some_and(|p| may_edit(p, &record.content.publisher));
    if staff || record.published_revision.is_some() {
        Ok(())
    } else {
        Err(ApiError::from(catalog::CatalogError::NotFound(
            id.to_owned(),
        )))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/revisions",
    summary = "List a dataset's revisions",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id")),
    responses(
        (status = 200, description = "every revision, oldest first", body = Listing),
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
    Ok(
        axum::Json(serde_json::json!({ "items": state.catalog.revisions(&id).await? }))
            .into_response(),
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/revisions/{number}",
    summary = "Show one revision",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("number" = i64, Path, description = "a revision number")),
    responses(
        (status = 200, description = "the content of that revision", body = Record),
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
        (status = 200, description = "field-level differences", body = Record),
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
    put,
    path = "/api/v1/datasets/{id}/distributions/{did}/file",
    summary = "Upload a distribution's file (streamed, checksummed)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("did" = String, Path, description = "the distribution id")),
    request_body(content = Vec<u8>, description = "the file, streamed; a CSV is also ingested for the data API", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "the stored file (sha256, size) and the dataset's new revision", body = Record),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a publisher of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be edited now", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "over the upload limit; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a CSV with a ragged row or a bad encoding (the line is named); nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn upload(
    State(state): State<AppState>,
    ApiPath((id, did)): ApiPath<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let principal = caller.required()?;
    let agency = publisher_of(&state, &id).await?;
    if !may_edit(&principal, &agency) {
        return Err(ApiError::Forbidden(format!(
            "{} may not edit datasets of {agency}",
            principal.name
        )));
    }
    if did.is_empty()
        || !did
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "did",
            "use letters, digits, '-' or '_'",
        )]));
    }
    let media_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
        .filter(|v| !v.is_empty() && v != "application/octet-stream");
    let stored = state
        .files
        .store(body.into_data_stream(), state.upload_limit)
        .await
        .map_err(upload_error)?;
    // A CSV becomes a typed table for the data API first: a ragged row or bad encoding refuses the upload, naming
    // the line, and the dataset is left as it was.
    let current = state.catalog.get(&id, None, false).await?.content;
    let declared = current.distributions.iter().find(|d| d.id == did);
    let declared_csv = declared.is_some_and(|d| d.format.as_deref() == Some("CSV"));
    if declared_csv || media_type.as_deref() == Some("text/csv") {
        let path = state
            .files
            .path(&stored.sha256)
            .ok_or_else(|| ApiError::Internal("bad stored hash".into()))?;
        let column_types = declared.map(|d| d.column_types.clone()).unwrap_or_default();
        state
            .catalog
            .ingest_csv(&stored.sha256, &path, &column_types)
            .await?;
    }
    let record = state
        .catalog
        .attach_file(
            &id,
            &did,
            &stored,
            media_type.as_deref(),
            &Actor {
                name: &principal.name,
            },
        )
        .await?;
    Ok(axum::Json(serde_json::json!({ "file": stored, "dataset": record })).into_response())
}

/// A failed upload as an API error (also the curation pages').
pub(crate) fn upload_error(e: catalog::files::UploadError) -> ApiError {
    match e {
        catalog::files::UploadError::TooLarge { .. } => ApiError::PayloadTooLarge(e.to_string()),
        catalog::files::UploadError::Interrupted(m) => {
            ApiError::BadRequest(vec![InputProblem::field("body", m)])
        }
        catalog::files::UploadError::Io(e) => ApiError::Internal(e.to_string()),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RevisionQuery {
    /// The file of that revision (old releases stay downloadable).
    revision: Option<i64>,
    /// Preview rows (default 20, at most 200).
    #[param(minimum = 0)]
    rows: Option<usize>,
}

async fn visible_distribution(
    state: &AppState,
    id: &str,
    did: &str,
    revision: Option<i64>,
    caller: Caller,
) -> Result<catalog::model::Distribution, ApiError> {
    let staff = match caller.0 {
        Some(p) => may_edit(&p, &publisher_of(state, id).await?),
        None => false,
    };
    Ok(state
        .catalog
        .distribution(id, did, revision, !staff)
        .await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/distributions/{did}/download",
    summary = "Download a distribution's file",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("did" = String, Path, description = "the distribution id"), RevisionQuery),
    responses(
        (status = 200, description = "the file (`ETag` = sha256, `Digest`, `Range` supported)", body = serde_json::Value, content_type = "*/*"),
        (status = 206, description = "the requested range"),
        (status = 307, description = "an external distribution: its URL"),
        (status = 416, description = "the range is not satisfiable"),
        (status = 404, description = "no such dataset, distribution or file", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn download(
    State(state): State<AppState>,
    ApiPath((id, did)): ApiPath<(String, String)>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RevisionQuery>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let dist = visible_distribution(&state, &id, &did, q.revision, caller).await?;
    let Some(sha) = dist.file_sha256.clone() else {
        return match dist.download_url.or(dist.access_url) {
            Some(url) => Ok(axum::response::Redirect::temporary(&url).into_response()),
            None => Err(ApiError::NotFound("this distribution has no file".into())),
        };
    };
    let path = state
        .files
        .path(&sha)
        .ok_or_else(|| ApiError::Internal(format!("bad stored hash {sha}")))?;
    let etag = format!("\"{sha}\"");
    let matches = request
        .headers()
        .get(axum::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    if matches {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut()
            .insert(axum::http::header::ETAG, etag.parse().expect("ascii"));
        return Ok(r);
    }
    // ServeFile answers Range requests (206, 416) and HEAD.
    let served = tower::ServiceExt::oneshot(tower_http::services::ServeFile::new(&path), request)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = served.map(axum::body::Body::new);
    let headers = response.headers_mut();
    headers.insert(axum::http::header::ETAG, etag.parse().expect("ascii"));
    if let Some(m) = dist.media_type.as_deref().and_then(|m| m.parse().ok()) {
        headers.insert(axum::http::header::CONTENT_TYPE, m);
    }
    headers.insert(
        "digest",
        format!("sha-256={}", hex_to_base64(&sha))
            .parse()
            .expect("ascii"),
    );
    headers.insert(
        axum::http::header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{id}-{did}\"")
            .parse()
            .expect("ascii ids"),
    );
    Ok(response)
}

fn hex_to_base64(hex_digest: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = hex::decode(hex_digest).unwrap_or_default();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/distributions/{did}/preview",
    summary = "The first rows of a CSV file",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("did" = String, Path, description = "the distribution id"), RevisionQuery),
    responses(
        (status = 200, description = "the first rows of a CSV file", body = Record),
        (status = 404, description = "no such dataset, distribution or file", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the file is not readable as CSV", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn preview(
    State(state): State<AppState>,
    ApiPath((id, did)): ApiPath<(String, String)>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RevisionQuery>,
) -> Result<Response, ApiError> {
    let dist = visible_distribution(&state, &id, &did, q.revision, caller).await?;
    let sha = dist
        .file_sha256
        .ok_or_else(|| ApiError::NotFound("this distribution has no file".into()))?;
    let path = state
        .files
        .path(&sha)
        .ok_or_else(|| ApiError::Internal(format!("bad stored hash {sha}")))?;
    let rows = q.rows.unwrap_or(20).min(200);
    let preview = tokio::task::spawn_blocking(move || catalog::preview::csv_preview(&path, rows))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Unprocessable(vec![InputProblem::field("file", e)]))?;
    Ok(axum::Json(preview).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/releases",
    summary = "List a dataset's releases",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id")),
    responses(
        (status = 200, description = "the dataset's releases (versions)", body = Listing),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn releases(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    state.catalog.get(&id, None, false).await?;
    Ok(
        axum::Json(serde_json::json!({ "items": state.catalog.releases(&id).await? }))
            .into_response(),
    )
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRelease {
    /// The version label (`dcat:version`), e.g. `2025.1`.
    version: String,
    /// Version notes by language.
    #[serde(default)]
    #[schema(value_type = Object)]
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
        (status = 201, description = "the published revision marked as a version", body = Record),
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
    let agency = publisher_of(&state, &id).await?;
    if !may_edit(&principal, &agency) {
        return Err(ApiError::Forbidden(format!(
            "{} may not release datasets of {agency}",
            principal.name
        )));
    }
    let body: NewRelease = parse_json(&body)?;
    let release = state
        .catalog
        .create_release(
            &id,
            &body.version,
            &body.notes,
            &Actor {
                name: &principal.name,
            },
        )
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
        (status = 200, description = "page views, downloads and API calls per day (UTC, zeros included) and their totals; counts only, no personal data", body = Record),
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

/// A patch that declares column types for a distribution whose CSV file is already uploaded is ingested with them
/// before anything is saved: a value that does not fit is refused naming its line and the field, and otherwise the
/// table the data API will read is ready (a patch refused later leaves an unused table, keyed by its declaration).
async fn check_column_types(state: &AppState, id: &str, patch: &Value) -> Result<(), ApiError> {
    let Some(Value::Array(new)) = patch.get("distributions") else {
        return Ok(());
    };
    let current = state.catalog.get(id, None, false).await?.content;
    for (i, d) in new.iter().enumerate() {
        let Some(types) = d
            .get("columnTypes")
            .filter(|t| t.as_object().is_some_and(|o| !o.is_empty()))
        else {
            continue;
        };
        // A malformed declaration is left for the content validation to name.
        let Ok(types) = serde_json::from_value::<catalog::tabular::ColumnTypes>(types.clone())
        else {
            continue;
        };
        let did = d.get("id").and_then(Value::as_str);
        let Some(sha) = current
            .distributions
            .iter()
            .find(|c| Some(c.id.as_str()) == did)
            .and_then(|c| c.file_sha256.clone())
        else {
            continue;
        };
        let path = state
            .files
            .path(&sha)
            .ok_or_else(|| ApiError::Internal("bad stored hash".into()))?;
        state
            .catalog
            .ingest_csv(&sha, &path, &types)
            .await
            .map(drop)
            .map_err(|e| match e {
                catalog::CatalogError::Invalid(problems) => ApiError::Unprocessable(
                    problems
                        .into_iter()
                        .map(|mut p| {
                            let column = p.field.take().unwrap_or_default();
                            let column = column
                                .strip_prefix("columnTypes/")
                                .unwrap_or(&column)
                                .to_owned();
                            p.field = Some(format!("distributions/{i}/columnTypes/{column}"));
                            p
                        })
                        .collect(),
                ),
                other => other.into(),
            })?;
    }
    Ok(())
}
