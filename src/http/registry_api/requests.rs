//! Change requests: list, propose, show with a preview, approve, reject; and a CSV file imported as a change request
//! (or only previewed, in a dry run).
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use registry::InputProblem;
use registry::model::{ChangeInput, ChangeRequest, RequestStatus};
use registry::plan::Preview;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::steward_of;
use crate::http::openapi::{Listing, Problem};
use crate::http::{ApiError, ApiJson, ApiPath, ApiQuery, AppState, Caller};

/// A change request with, while it is proposed (and after an import), what it would change.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChangeRequestDocument {
    #[serde(flatten)]
    request: ChangeRequest,
    /// What approving it would change now (while proposed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    preview: Option<Preview>,
}

/// A dry run of a CSV import: what the file would change; nothing was stored.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DryRun {
    /// Always `true`.
    dry_run: bool,
    /// What the file would change.
    preview: Preview,
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
        (status = 200, description = "the list's change requests", body = Listing<ChangeRequest>),
        (status = 404, description = "no such list", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn change_requests(
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
    ApiQuery(q): ApiQuery<RequestFilter>,
) -> Result<Response, ApiError> {
    Ok(Listing::of(state.registry.change_requests(&list, q.status).await?).into_response())
}

/// Changes proposed together, with the reason.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Proposal {
    /// The changes, applied together or not at all.
    changes: Vec<ChangeInput>,
    /// Why.
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/lists/{list}/change-requests",
    summary = "Propose changes (steward)",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)")),
    request_body(content = Proposal, description = "`changes` (each with `op`: add, modify, supersede, retire, put) and a `reason`", content_type = "application/json"),
    responses(
        (status = 201, description = "the proposed change request", body = ChangeRequest),
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
    let principal = steward_of(caller, &list)?;
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
        .propose(&principal.steward(), &list, changes, &body.reason)
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
        (status = 200, description = "the request, with a preview of what it would change while proposed", body = ChangeRequestDocument),
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
        RequestStatus::Proposed => state
            .registry
            .preview(&list, &request.changes)
            .await
            .ok()
            .map(Preview::from),
        _ => None,
    };
    Ok(axum::Json(ChangeRequestDocument { request, preview }).into_response())
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
    let principal = steward_of(caller, &list)?;
    let decided = state
        .registry
        .decide(&principal.steward(), &list, id, approve, reason.as_deref())
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
        (status = 200, description = "approved and applied atomically", body = ChangeRequest),
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
        crate::http::parse_json(&body)?
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
        (status = 200, description = "rejected", body = ChangeRequest),
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
        (status = 200, description = "dry run: what the file would change", body = DryRun),
        (status = 201, description = "the file became a change request (with its preview)", body = ChangeRequestDocument),
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
    let principal = steward_of(caller, &list)?;
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
    let preview = Preview::from(plan);
    if q.dry_run {
        return Ok(axum::Json(DryRun {
            dry_run: true,
            preview,
        })
        .into_response());
    }
    let reason = q.reason.unwrap_or_else(|| "CSV import".to_owned());
    let request = state
        .registry
        .propose(&principal.steward(), &list, changes, &reason)
        .await?;
    let document = ChangeRequestDocument {
        request,
        preview: Some(preview),
    };
    Ok((StatusCode::CREATED, axum::Json(document)).into_response())
}
