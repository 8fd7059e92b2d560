//! The public web site: server-rendered HTML (askama templates under `templates/`, escaped by default) in Vietnamese or
//! English, with one stylesheet and one small progressive-enhancement script embedded in the binary.
//!
//! Pages: `/` (search box, themes, newest datasets, statistics), `/search` (the search API's engine with facets that
//! combine), `/dataset/{id}` (answered here when the client prefers HTML; `dcat` answers RDF otherwise), `/agency/{code}`,
//! `/registry`, `/registry/{list}` and `/registry/{list}/{code}` (so the registry's item URIs dereference),
//! `/sitemap.xml` and `/robots.txt`.
//!
//! The language is `?lang=vi|en`, remembered in a `lang` cookie, Vietnamese by default. Every page works without
//! JavaScript and under a strict Content-Security-Policy: no inline script (the schema.org JSON-LD data block aside),
//! no inline style, no event-handler attribute, nothing loaded from another origin.
use std::collections::HashMap;
use std::convert::Infallible;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use registry::model::LangText;

use super::{ApiError, AppState};

pub mod agency;
pub mod assets;
pub mod dataset;
pub mod feedback;
pub mod feedback_texts;
pub mod home;
pub mod i18n;
pub mod quality;
pub mod registry_pages;
pub mod search;
pub mod sitemap;
pub mod stats;

pub use i18n::{Lang, Text};

/// The routes of the web site (`/dataset/{id}` is `dcat`'s, which hands browsers to [`dataset::page`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/search", get(search::page))
        .route("/agency/{code}", get(agency::page))
        .route("/quality", get(quality::page))
        .route("/registry", get(registry_pages::lists))
        .route("/registry/{list}", get(registry_pages::list))
        .route("/registry/{list}/{code}", get(registry_pages::item))
        .route(
            "/registry/{list}/releases/{number}",
            get(registry_pages::release),
        )
        .route("/sitemap.xml", get(sitemap::sitemap))
        .route("/robots.txt", get(sitemap::robots))
        .route("/static/{file}", get(assets::serve))
}

/// Unknown addresses: a page for browsers, problem+json for everyone else.
pub async fn fallback(ctx: Ctx, headers: HeaderMap) -> Response {
    let e = ApiError::NotFound("no such resource".into());
    if prefers_html(&headers) {
        ctx.error(e)
    } else {
        e.into_response()
    }
}

/// The `lang` cookie's value, if it names a language of the site.
pub fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    cookie(headers, "lang").and_then(|value| Lang::parse(&value))
}

/// A cookie's value (the first one of that name), if not empty.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// True when the client's most preferred specific media type is HTML (browsers); `*/*` alone is not a preference.
pub fn prefers_html(headers: &HeaderMap) -> bool {
    best_media_type(headers).is_some_and(|m| m == "text/html" || m == "application/xhtml+xml")
}

/// The client's most preferred media range that is not a wildcard (ties go to the one listed first).
fn best_media_type(headers: &HeaderMap) -> Option<String> {
    let accept = headers.get(header::ACCEPT)?.to_str().ok()?;
    let mut ranges: Vec<(f32, usize, String)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut bits = part.split(';');
            let media = bits.next()?.trim().to_ascii_lowercase();
            let q = bits
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (q > 0.0 && !media.ends_with("/*") && !media.is_empty()).then_some((q, i, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().next().map(|(_, _, m)| m)
}

/// What every page handler knows about its request: the language (and whether to remember it), the path and the
/// query without `lang`.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The page's language.
    pub lang: Lang,
    /// `?lang=` was given: remember it in the cookie.
    remember: bool,
    path: String,
    /// The query's pairs, `lang` removed.
    pub query: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self::new(&parts.uri, &parts.headers))
    }
}

impl Ctx {
    /// From a request's URI and headers.
    pub fn new(uri: &axum::http::Uri, headers: &HeaderMap) -> Self {
        let mut asked = None;
        let mut query = Vec::new();
        for (k, v) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
            if k == "lang" {
                asked = asked.or(Lang::parse(&v));
            } else {
                query.push((k.into_owned(), v.into_owned()));
            }
        }
        Self {
            lang: asked.or_else(|| cookie_lang(headers)).unwrap_or(Lang::Vi),
            remember: asked.is_some(),
            path: uri.path().to_owned(),
            query,
        }
    }

    /// The labels.
    pub fn t(&self) -> &'static Text {
        self.lang.text()
    }

    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The query (without `lang`) as a string.
    pub fn query_string(&self) -> String {
        encode_query(self.query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The layout's data for a page.
    pub fn chrome(&self, title: impl Into<String>, nav: &'static str) -> Chrome {
        let other = self.lang.other();
        let mut pairs: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs.push(("lang", other.code()));
        Chrome {
            t: self.t(),
            lang: self.lang.code(),
            title: title.into(),
            description: self.t().home_intro.to_owned(),
            switch_href: format!("{}?{}", self.path, encode_query(pairs)),
            switch_lang: other.code(),
            css: assets::css_href(),
            js: assets::js_href(),
            icon: assets::icon_href(),
            nav,
        }
    }

    /// Renders a template as an HTML page with the given status.
    pub fn html(&self, status: StatusCode, page: &impl Template) -> Response {
        match page.render() {
            Ok(body) => {
                let mut r = (status, body).into_response();
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                self.decorate(h);
                r
            }
            Err(e) => {
                tracing::error!(error = %e, "page rendering failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }

    /// Headers every page carries (the security headers are `security`'s, on every response): the language cookie,
    /// and what the page varies on.
    fn decorate(&self, h: &mut HeaderMap) {
        h.insert(header::VARY, HeaderValue::from_static("Accept, Cookie"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if self.remember {
            let cookie = format!(
                "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
                self.lang.code()
            );
            h.insert(
                header::SET_COOKIE,
                HeaderValue::from_str(&cookie).expect("ascii cookie"),
            );
        }
    }

    /// Answers a handler's result: the page, or an error page in the right language.
    pub fn respond(&self, result: Result<Response, ApiError>) -> Response {
        match result {
            Ok(r) => r,
            Err(e) => self.error(e),
        }
    }

    /// An error as an HTML page with the error's status (internal errors are logged, never shown).
    pub fn error(&self, e: ApiError) -> Response {
        let t = self.t();
        let details: Vec<String> = match &e {
            ApiError::BadRequest(problems) | ApiError::Unprocessable(problems) => {
                problems.iter().map(ToString::to_string).collect()
            }
            _ => vec![],
        };
        // The API's own mapping decides the status (and logs what must be logged).
        let status = e.into_response().status();
        let (heading, text) = match status {
            StatusCode::NOT_FOUND | StatusCode::GONE => (t.error_not_found, t.error_not_found_text),
            s if s.is_client_error() => (t.error_bad_request, t.error_bad_request_text),
            _ => (t.error_other, t.error_other_text),
        };
        let page = ErrorPage {
            c: self.chrome(heading, ""),
            heading,
            text,
            details,
        };
        self.html(status, &page)
    }
}

/// `k=v&k2=v2`, form-encoded.
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// `path` with `pairs` as its query (none: the path alone).
pub fn href<'a>(path: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let q = encode_query(pairs);
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    }
}

/// An http(s) URL from outside, or nothing: anything else (`javascript:`, `data:`) never becomes a link.
pub fn safe_url(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| url.trim().to_owned())
}

/// The layout's data: `templates/base.html` reads it as `c`.
pub struct Chrome {
    /// The labels.
    pub t: &'static Text,
    /// `vi` or `en`.
    pub lang: &'static str,
    /// The page's title (before the site's name).
    pub title: String,
    /// The page's description for search engines.
    pub description: String,
    /// The same page in the other language.
    pub switch_href: String,
    /// The other language's code.
    pub switch_lang: &'static str,
    /// The stylesheet's URL (versioned).
    pub css: &'static str,
    /// The script's URL (versioned).
    pub js: &'static str,
    /// The icon's URL (versioned).
    pub icon: &'static str,
    /// Which main navigation entry is current (`home`, `search`, `registry`, or none).
    pub nav: &'static str,
}

/// A text shown in a language that may not be the page's.
#[derive(Debug, Clone, Default)]
pub struct Txt {
    /// The text.
    pub text: String,
    /// Its language.
    pub lang: &'static str,
}

impl Txt {
    /// A text in `lang`, falling back to the other language, else `fallback` (in the page's language).
    pub fn pick(lang: Lang, text: &LangText, fallback: &str) -> Self {
        match lang.pick(text) {
            Some((text, l)) => Self { text, lang: l },
            None => Self {
                text: fallback.to_owned(),
                lang: lang.code(),
            },
        }
    }
}

/// A link (or plain text when `href` is empty).
#[derive(Debug, Clone, Default)]
pub struct Link {
    /// The text.
    pub text: String,
    /// Where it goes; empty for plain text.
    pub href: String,
}

impl Link {
    /// A link.
    pub fn new(text: impl Into<String>, href: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            href: href.into(),
        }
    }

    /// Plain text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            href: String::new(),
        }
    }
}

/// Names of registry codes in the page's language, read once per page: whole lists for the small ones, code by code
/// for the large ones (administrative units).
pub struct Labels {
    lang: Lang,
    known: HashMap<String, HashMap<String, LangText>>,
}

impl Labels {
    /// Loads every item of these (small) lists; a list that cannot be read just has no names.
    pub async fn load(state: &AppState, lang: Lang, lists: &[&str]) -> Self {
        let mut known = HashMap::new();
        for list in lists {
            if let Ok(items) = state.registry.all_items(list).await {
                let names = items.into_iter().map(|i| (i.code, i.labels)).collect();
                known.insert((*list).to_owned(), names);
            }
        }
        Self { lang, known }
    }

    /// Adds the names of some codes of a (large) list.
    pub async fn add<'a>(
        &mut self,
        state: &AppState,
        list: &str,
        codes: impl IntoIterator<Item = &'a str>,
    ) {
        for code in codes {
            if self.known.get(list).is_some_and(|m| m.contains_key(code)) {
                continue;
            }
            if let Ok(view) = state.registry.item(list, code, None, None).await {
                self.known
                    .entry(list.to_owned())
                    .or_default()
                    .insert(code.to_owned(), view.data.labels);
            }
        }
    }

    /// The name of a code in the page's language; the code itself when unknown.
    pub fn name(&self, list: &str, code: &str) -> String {
        self.known
            .get(list)
            .and_then(|m| m.get(code))
            .and_then(|t| self.lang.pick(t))
            .map(|(s, _)| s)
            .unwrap_or_else(|| code.to_owned())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    heading: &'static str,
    text: &'static str,
    details: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn browsers_prefer_html_and_rdf_clients_do_not() {
        assert!(prefers_html(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
        )));
        assert!(!prefers_html(&accept("*/*")));
        assert!(!prefers_html(&HeaderMap::new()));
        assert!(!prefers_html(&accept("text/turtle, text/html;q=0.5")));
        assert!(!prefers_html(&accept("application/ld+json")));
        assert!(prefers_html(&accept("text/turtle;q=0.5, text/html")));
    }

    #[test]
    fn the_language_comes_from_the_query_then_the_cookie() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=b; lang=en"));
        let uri: axum::http::Uri = "/search?q=x&lang=vi".parse().unwrap();
        let ctx = Ctx::new(&uri, &h);
        assert_eq!(ctx.lang, Lang::Vi);
        assert!(ctx.remember);
        assert_eq!(ctx.query_string(), "q=x");
        let ctx = Ctx::new(&"/".parse().unwrap(), &h);
        assert_eq!(ctx.lang, Lang::En);
        assert!(!ctx.remember);
        let ctx = Ctx::new(&"/?lang=fr".parse().unwrap(), &HeaderMap::new());
        assert_eq!(ctx.lang, Lang::Vi);
    }

    #[test]
    fn only_http_urls_become_links() {
        assert!(safe_url("javascript:alert(1)").is_none());
        assert!(safe_url(" JavaScript:alert(1)").is_none());
        assert_eq!(
            safe_url("https://example.org/x").as_deref(),
            Some("https://example.org/x")
        );
    }
}
