//! The site's static files, compiled into the binary: one stylesheet and one small script. Pages link them with a
//! content hash in the query, so they can be cached for a year and still change with each build that changes them.
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../../static/site.css");
const JS: &str = include_str!("../../../static/site.js");
const ICON: &str = include_str!("../../../static/icon.svg");

fn versioned(name: &str, body: &str) -> String {
    let hash = registry::changelog::sha256_hex(body.as_bytes());
    format!("/static/{name}?v={}", &hash[..12])
}

static CSS_HREF: LazyLock<String> = LazyLock::new(|| versioned("site.css", CSS));
static JS_HREF: LazyLock<String> = LazyLock::new(|| versioned("site.js", JS));
static ICON_HREF: LazyLock<String> = LazyLock::new(|| versioned("icon.svg", ICON));

/// The stylesheet's URL.
pub fn css_href() -> &'static str {
    &CSS_HREF
}

/// The script's URL.
pub fn js_href() -> &'static str {
    &JS_HREF
}

/// The icon's URL.
pub fn icon_href() -> &'static str {
    &ICON_HREF
}

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "site.css" => (CSS, "text/css; charset=utf-8"),
        "site.js" => (JS, "text/javascript; charset=utf-8"),
        "icon.svg" => (ICON, "image/svg+xml"),
        _ => return (StatusCode::NOT_FOUND, "no such file").into_response(),
    };
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    r
}
