//! `/api/v1/admin`: account and token management, and the harvest run history (admin only).
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::{Problem, Record};
use super::{ApiError, ApiJson, ApiPath, ApiQuery, AppState, Caller};
use crate::accounts::{IssuedToken, NewAccount, Principal};
use crate::harvest_runs::{Run, RunSummary};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", post(create_token))
        .route(
            "/harvest-runs",
            post(record_harvest_run).get(list_harvest_runs),
        )
        .route("/harvest-runs/{id}", get(show_harvest_run))
}

fn admin(caller: Caller) -> Result<Principal, ApiError> {
    caller.admin("does this")
}

/// `POST /api/v1/admin/harvest-runs`: records a harvest report (what `opendata harvest --record-to` sends).
#[utoipa::path(
    post,
    path = "/api/v1/admin/harvest-runs",
    summary = "Record a harvest report (admin)",
    tag = "admin",
    request_body(content = Record, description = "a harvest report as `opendata harvest --report` writes it", content_type = "application/json"),
    responses(
        (status = 201, description = "recorded (`Location` names it)", body = RunSummary),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a report whose counts disagree with its lists, naming the field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn record_harvest_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(report): ApiJson<harvester::Report>,
) -> Result<Response, ApiError> {
    let principal = admin(caller)?;
    let id = state.harvest_runs.record(&report, &principal.name).await?;
    let run = state
        .harvest_runs
        .get(id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("harvest run {id} vanished")))?;
    Ok((
        StatusCode::CREATED,
        [(
            axum::http::header::LOCATION,
            format!("/api/v1/admin/harvest-runs/{id}"),
        )],
        axum::Json(run.summary),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RunsQuery {
    /// At most this many (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// Runs older than this id (paging).
    before: Option<i64>,
}

/// A page of harvest runs, newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct RunPage {
    /// The runs, counts only.
    items: Vec<RunSummary>,
    /// The address of the next (older) page; `null` on the last one.
    next: Option<String>,
}

/// `GET /api/v1/admin/harvest-runs`: the newest runs first, counts only.
#[utoipa::path(
    get,
    path = "/api/v1/admin/harvest-runs",
    summary = "List harvest runs (admin)",
    tag = "admin",
    params(RunsQuery),
    responses(
        (status = 200, description = "runs, newest first", body = RunPage),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn list_harvest_runs(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> Result<Response, ApiError> {
    admin(caller)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=crate::harvest_runs::MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(vec![registry::InputProblem::field(
            "limit",
            format!("must be 1 to {}", crate::harvest_runs::MAX_PAGE),
        )]));
    }
    let items = state.harvest_runs.list(limit, q.before).await?;
    let next = (items.len() as i64 == limit)
        .then(|| {
            items
                .last()
                .map(|r| format!("/api/v1/admin/harvest-runs?limit={limit}&before={}", r.id))
        })
        .flatten();
    Ok(axum::Json(RunPage { items, next }).into_response())
}

/// `GET /api/v1/admin/harvest-runs/{id}`: one run with its whole report (every write and every failure).
#[utoipa::path(
    get,
    path = "/api/v1/admin/harvest-runs/{id}",
    summary = "Show a harvest run with its report (admin)",
    tag = "admin",
    params(("id" = String, Path, description = "the run id")),
    responses(
        (status = 200, description = "the run with its whole report", body = Run),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such run", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn show_harvest_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    admin(caller)?;
    let not_found = || ApiError::NotFound(format!("no harvest run {id:?}"));
    let run = state
        .harvest_runs
        .get(id.parse().map_err(|_| not_found())?)
        .await?
        .ok_or_else(not_found)?;
    Ok(axum::Json(run).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/tokens",
    summary = "Create an account and its token (admin)",
    tag = "admin",
    request_body(content = NewAccount, description = "`name`, `role` (admin, steward, publisher, approver, consumer), `lists` for a steward, `agency` for a publisher or approver", content_type = "application/json"),
    responses(
        (status = 201, description = "the account and its token, shown this once", body = IssuedToken),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "an invalid role, scope or agency, naming the field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewAccount>,
) -> Result<Response, ApiError> {
    let principal = caller.admin("creates tokens")?;
    let mut body = body;
    if let Some(agency) = &body.agency {
        // Scope to the agency's code, whichever notation was given; an unknown agency is refused.
        let code = state
            .registry
            .resolve_code("agencies", agency)
            .await?
            .ok_or_else(|| {
                ApiError::Unprocessable(vec![registry::InputProblem::field(
                    "agency",
                    format!("{agency:?} is not in the agencies list"),
                )])
            })?;
        body.agency = Some(code);
    }
    let issued = state
        .accounts
        .create_by(body, None, &principal.name)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(issued)).into_response())
}
