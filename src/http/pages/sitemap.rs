//! `/sitemap.xml` (the home page, every published dataset, every code list) and `/robots.txt` (everything allowed,
//! pointing at the sitemap). Addresses are under the configured base URI, the site's public address.
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use catalog::store::DatasetQuery;
use registry::store::encode_segment;

use crate::http::{ApiError, AppState};

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn url(out: &mut String, loc: &str, lastmod: Option<&str>) {
    out.push_str("  <url><loc>");
    out.push_str(&xml_escape(loc));
    out.push_str("</loc>");
    if let Some(m) = lastmod.and_then(|m| chrono::DateTime::parse_from_rfc3339(m).ok()) {
        out.push_str("<lastmod>");
        out.push_str(&m.format("%Y-%m-%dT%H:%M:%S%:z").to_string());
        out.push_str("</lastmod>");
    }
    out.push_str("</url>\n");
}

/// `GET /sitemap.xml`.
pub async fn sitemap(State(state): State<AppState>) -> Response {
    match build(&state).await {
        Ok(body) => {
            let mut r = body.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml; charset=utf-8"),
            );
            r
        }
        Err(e) => e.into_response(),
    }
}

async fn build(state: &AppState) -> Result<String, ApiError> {
    let base = state.registry.base_uri();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    url(&mut out, &format!("{base}/"), None);
    url(&mut out, &format!("{base}/registry"), None);
    let mut cursor = None;
    loop {
        let page = state
            .catalog
            .list(&DatasetQuery {
                public: true,
                cursor,
                limit: 1000,
                ..DatasetQuery::default()
            })
            .await?;
        for r in &page.items {
            url(
                &mut out,
                &format!("{base}/dataset/{}", encode_segment(&r.id)),
                r.published_at.as_deref(),
            );
        }
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    for l in state.registry.lists().await? {
        url(
            &mut out,
            &format!("{base}/registry/{}", encode_segment(l.meta.id.as_str())),
            Some(&l.updated_at),
        );
    }
    out.push_str("</urlset>\n");
    Ok(out)
}

/// `GET /robots.txt`.
pub async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
        state.registry.base_uri()
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}
