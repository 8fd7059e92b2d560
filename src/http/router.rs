//! The whole application's router: every resource's routes, the middleware stack and the request body limit.
use axum::Router;
use axum::http::{Method, StatusCode, header};
use axum::middleware;

use super::*;

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .nest("/api/v1/registry", registry_api::router())
        .nest("/api/v1/admin", admin::router())
        .nest("/api/v1/datasets", datasets::router())
        .nest("/api/v1", agencies::router())
        .nest("/api/v1/search", search::router())
        .nest("/api/v1/data", data::router())
        .nest("/api/v1/changes", changes::router())
        .merge(feedback::router())
        .merge(stats::router())
        .merge(lgsp::router())
        .merge(dcat::router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            super::etag::etag,
        ));
    // The APIs may be called from any web page; no credentials travel with cross-origin calls (tokens are headers).
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PATCH,
            Method::PUT,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_NONE_MATCH,
            header::IF_MATCH,
        ])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            header::HeaderName::from_static("ratelimit-limit"),
            header::HeaderName::from_static("ratelimit-remaining"),
            header::HeaderName::from_static("ratelimit-reset"),
        ]);
    let limited = Router::new()
        .merge(api)
        .merge(health::router())
        .merge(metrics::router())
        .merge(audit::router())
        .merge(openapi::router())
        .merge(datasets::public_router())
        .merge(datasets::usage_router())
        .merge(quality::router())
        .merge(ckan::router())
        .merge(sparql::router())
        .merge(pages::router())
        .merge(pages::feedback::router())
        .merge(manage::router())
        .merge(manage::feedback::router())
        .merge(oidc::router())
        .merge(developers::router())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            REQUEST_BODY_LIMIT,
        ))
        // axum's own extractor limit (2 MB by default) would otherwise refuse bodies the limit above allows, such as a
        // 100,000-reference validation batch.
        .layer(axum::extract::DefaultBodyLimit::max(REQUEST_BODY_LIMIT))
        .merge(datasets::upload_router())
        .merge(manage::upload_router())
        .layer(cors);
    Router::new()
        .merge(limited)
        .fallback(pages::fallback)
        .layer(middleware::from_fn_with_state(state.clone(), usage::count))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ratelimit::limit,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::record,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        // A handler that panics answers 500 with a problem document (the connection is not dropped without an
        // answer), and the panic is logged.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(tower_http::trace::TraceLayer::new_for_http().on_failure(log_failure))
        .with_state(state)
}

/// The answer to a request whose handler panicked: `ApiError::Internal`'s, with the panic in the log.
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    axum::response::IntoResponse::into_response(super::ApiError::Internal(format!(
        "a handler panicked: {what}"
    )))
}

/// Logs a failed request. A 503 is an answer, not a fault: `/readyz` gives it while the store or the projections are
/// still starting, and load balancers poll it then, so it is logged at debug; any other 5xx is an error.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass;
    let latency_ms = latency.as_millis();
    match class {
        ServerErrorsFailureClass::StatusCode(status)
            if status == StatusCode::SERVICE_UNAVAILABLE =>
        {
            tracing::debug!(%status, latency_ms, "service unavailable");
        }
        ServerErrorsFailureClass::StatusCode(status) => {
            tracing::error!(%status, latency_ms, "response failed");
        }
        ServerErrorsFailureClass::Error(error) => {
            tracing::error!(%error, latency_ms, "response failed")
        }
    }
}
