//! Batch validation of code references.
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use registry::store::{CodeCheck, ValidationReport};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::http::openapi::Problem;
use crate::http::{ApiError, ApiJson, AppState};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValidateBody {
    /// The references (at most 100,000).
    items: Vec<CodeCheck>,
}

#[utoipa::path(
    post,
    path = "/api/v1/registry/validate",
    summary = "Validate up to 100,000 code references",
    tag = "registry",
    request_body(content = ValidateBody, content_type = "application/json"),
    responses(
        (status = 200, description = "one result per reference (valid, superseded with successors, retired, notYetValid, unknown) and a summary", body = ValidationReport),
        (status = 422, description = "a malformed reference, or more than 100,000", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn validate(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ValidateBody>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(state.registry.validation_report(&body.items).await?).into_response())
}
