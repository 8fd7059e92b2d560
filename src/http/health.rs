//! `/healthz` (the process answers) and `/readyz` (the store answers).
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::json;

use super::AppState;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(json!({ "status": "ok" })) }),
        )
        .route("/readyz", get(ready))
}

async fn ready(State(state): State<AppState>) -> (StatusCode, axum::Json<serde_json::Value>) {
    let ready = state.ready.load(std::sync::atomic::Ordering::Relaxed);
    match state.registry.database().ping().await {
        Ok(()) if ready => (StatusCode::OK, axum::Json(json!({ "status": "ready" }))),
        Ok(()) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "starting" })),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(json!({ "status": "database unavailable" })),
            )
        }
    }
}
