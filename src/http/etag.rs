//! Weak ETags and `If-None-Match` on every successful GET of the APIs.
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::*;

/// Weak ETags on every successful GET of the APIs: the store's last change-log sequence plus a hash of what was asked
/// (path, query, Accept), so any write anywhere invalidates them and `If-None-Match` answers 304 without doing the work.
pub(super) async fn etag(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Web pages (`/dataset/{id}` in a browser) are not tagged: they show usage counts, which change without a
    // change-log entry.
    if (req.method() != Method::GET && req.method() != Method::HEAD)
        || pages::prefers_html(req.headers())
    {
        return next.run(req).await;
    }
    let seq = match state.registry.version_tag().await {
        Ok(seq) => seq,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let key = format!("{}\n{}", req.uri(), accept);
    let tag = format!(
        "W/\"{seq}-{}\"",
        &registry::changelog::sha256_hex(key.as_bytes())[..16]
    );
    if if_none_match(req.headers(), &tag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(
            header::ETAG,
            HeaderValue::from_str(&tag).expect("ascii tag"),
        );
        return response;
    }
    let mut response = next.run(req).await;
    if response.status().is_success() {
        // A resource with its own validator (a dataset names its revision) keeps it.
        response
            .headers_mut()
            .entry(header::ETAG)
            .or_insert(HeaderValue::from_str(&tag).expect("ascii tag"));
        response
            .headers_mut()
            .entry(header::VARY)
            .or_insert(HeaderValue::from_static("Accept"));
    }
    response
}

fn if_none_match(headers: &HeaderMap, tag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || strip(t) == strip(tag))
}

/// Serves a stored file named by its sha256: `ETag` = the hash (`If-None-Match` answers 304), `Digest`, `Range`
/// (206, 416) and HEAD, as an attachment named `download_name`.
pub(super) async fn serve_file(
    request: Request,
    path: &std::path::Path,
    sha256: &str,
    media_type: &str,
    download_name: &str,
) -> Result<Response, ApiError> {
    let etag = format!("\"{sha256}\"");
    if if_none_match(request.headers(), &etag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut()
            .insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex tag"));
        return Ok(r);
    }
    let served = tower::ServiceExt::oneshot(tower_http::services::ServeFile::new(path), request)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = served.map(axum::body::Body::new);
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex tag"));
    if let Ok(m) = HeaderValue::from_str(media_type) {
        headers.insert(header::CONTENT_TYPE, m);
    }
    if let Ok(bytes) = hex::decode(sha256) {
        use base64::Engine as _;
        let digest = base64::engine::general_purpose::STANDARD.encode(bytes);
        headers.insert(
            "digest",
            HeaderValue::from_str(&format!("sha-256={digest}")).expect("base64"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{download_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
