//! `/healthz` (the process answers) and `/readyz` (the store answers).
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(ready))
}

/// A health or readiness answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` (health), `ready`, `starting` or `database unavailable` (readiness).
    pub status: &'static str,
}

/// Whether the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// Whether the node is ready: the store answers and the projections are built.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "ready", body = Health),
    (status = 503, description = "starting, or the database does not answer", body = Health),
))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, axum::Json<Health>) {
    let ready = state.ready.load(std::sync::atomic::Ordering::Relaxed);
    let status = match state.registry.database().ping().await {
        Ok(()) if ready => return (StatusCode::OK, axum::Json(Health { status: "ready" })),
        Ok(()) => "starting",
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            "database unavailable"
        }
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(Health { status }),
    )
}
