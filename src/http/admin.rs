//! `/api/v1/admin`: account and token management (admin only).
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::{ApiError, ApiJson, AppState, Caller};
use crate::accounts::{NewAccount, Role};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/tokens", post(create_token))
}

async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewAccount>,
) -> Result<Response, ApiError> {
    let principal = caller.required()?;
    if principal.role != Role::Admin {
        return Err(ApiError::Forbidden("only an admin creates tokens".into()));
    }
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
    let issued = state.accounts.create(body, None).await?;
    Ok((StatusCode::CREATED, axum::Json(issued)).into_response())
}
