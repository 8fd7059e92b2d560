//! `/api/v1/audit/checkpoints`: the signed checkpoints of the change log (the latest and any past one), and
//! `/.well-known/opendata-checkpoint-key`: the public key they are signed with. Not under the change-log ETag: a
//! checkpoint is signed after the entries it covers, so the log's head does not say when the latest one changed.
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use super::openapi::Problem;
use super::{ApiError, ApiPath, AppState};
use crate::checkpoints::Checkpoint;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/opendata-checkpoint-key", get(checkpoint_key))
        .route("/api/v1/audit/checkpoints/latest", get(latest_checkpoint))
        .route("/api/v1/audit/checkpoints/{seq}", get(checkpoint))
}

/// The key checkpoints are signed with.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointKey {
    /// Always `Ed25519`.
    pub algorithm: &'static str,
    /// The 32-byte public key, hex.
    pub public_key: String,
}

/// The public key that signs this server's checkpoints.
#[utoipa::path(get, path = "/.well-known/opendata-checkpoint-key", tag = "audit", responses(
    (status = 200, body = CheckpointKey),
))]
pub async fn checkpoint_key(State(state): State<AppState>) -> axum::Json<CheckpointKey> {
    axum::Json(CheckpointKey {
        algorithm: "Ed25519",
        public_key: state.checkpoints.public_key_hex(),
    })
}

/// The latest signed checkpoint of the change log (save it: `opendata audit verify --checkpoint FILE` later proves
/// that the log still extends it).
#[utoipa::path(get, path = "/api/v1/audit/checkpoints/latest", tag = "audit", responses(
    (status = 200, body = Checkpoint),
    (status = 404, description = "nothing signed yet", body = Problem, content_type = "application/problem+json"),
))]
pub async fn latest_checkpoint(
    State(state): State<AppState>,
) -> Result<axum::Json<Checkpoint>, ApiError> {
    state
        .checkpoints
        .latest()
        .await?
        .map(axum::Json)
        .ok_or_else(|| ApiError::NotFound("no checkpoint has been signed yet".into()))
}

/// The checkpoint signed when the change log's last entry was `seq`.
#[utoipa::path(get, path = "/api/v1/audit/checkpoints/{seq}", tag = "audit",
    params(("seq" = i64, Path, description = "the change-log sequence the checkpoint covers")),
    responses(
        (status = 200, body = Checkpoint),
        (status = 400, description = "`seq` is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no checkpoint at that sequence", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn checkpoint(
    State(state): State<AppState>,
    ApiPath(seq): ApiPath<i64>,
) -> Result<axum::Json<Checkpoint>, ApiError> {
    state
        .checkpoints
        .get(seq)
        .await?
        .map(axum::Json)
        .ok_or_else(|| ApiError::NotFound(format!("no checkpoint at sequence {seq}")))
}
