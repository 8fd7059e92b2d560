//! The HTTP layer: one module per resource with its own `router()`, one shared [`AppState`], and one error type
//! ([`ApiError`]) rendered once as RFC 9457 problem+json.
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use registry::{InputProblem, Registry, RegistryError};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::accounts::{Accounts, Principal};

pub mod admin;
pub mod agencies;
pub mod audit;
pub mod changes;
pub mod ckan;
pub mod data;
pub mod datasets;
pub mod dcat;
pub mod health;
pub mod lgsp;
pub mod manage;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod ratelimit;
pub mod registry_api;
pub mod search;
pub mod security;
pub mod sparql;
pub mod usage;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The code-list registry.
    pub registry: Registry,
    /// Accounts and tokens.
    pub accounts: Accounts,
    /// Harvest run history.
    pub harvest_runs: crate::harvest_runs::HarvestRuns,
    /// The dataset catalog.
    pub catalog: catalog::Catalog,
    /// Uploaded files.
    pub files: catalog::files::FileStore,
    /// The largest upload accepted, in bytes.
    pub upload_limit: u64,
    /// The RDF projection (SPARQL).
    pub projection: catalog::graph::Projection,
    /// How the catalog describes itself.
    pub catalog_info: Arc<catalog::dcat::CatalogInfo>,
    /// Bounds concurrent SPARQL evaluations (they run on blocking threads).
    pub sparql_permits: Arc<tokio::sync::Semaphore>,
    /// The search index.
    pub search: catalog::search::SearchIndex,
    /// Bounds concurrent searches (they run on blocking threads), apart from the per-client rate limits.
    pub search_permits: Arc<tokio::sync::Semaphore>,
    /// False until the projections are built.
    pub ready: Arc<std::sync::atomic::AtomicBool>,
    /// Send `Strict-Transport-Security` (deployments behind TLS).
    pub hsts: bool,
    /// Per-client rate limits (`None` when they are off).
    pub rate_limits: Option<Arc<ratelimit::Limiter>>,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Usage counts per dataset and day.
    pub usage: catalog::usage::Usage,
    /// The change log's checkpoint signer.
    pub checkpoints: crate::checkpoints::Checkpoints,
}

impl AppState {
    /// Marks the node ready (projections built).
    pub fn set_ready(&self) {
        self.ready.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The largest request body outside file uploads (which have their own, configurable limit).
pub const REQUEST_BODY_LIMIT: usize = 32 * 1024 * 1024;

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
        .merge(lgsp::router())
        .merge(dcat::router())
        .layer(middleware::from_fn_with_state(state.clone(), etag));
    // The APIs may be called from any web page; no credentials travel with cross-origin calls (tokens are headers).
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PATCH,
            Method::PUT,
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
        .merge(ckan::router())
        .merge(sparql::router())
        .merge(pages::router())
        .merge(manage::router())
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
        .layer(tower_http::trace::TraceLayer::new_for_http().on_failure(log_failure))
        .with_state(state)
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

/// Every error an API call can end with.
#[derive(Debug)]
pub enum ApiError {
    /// A domain error.
    Registry(RegistryError),
    /// A catalog error.
    Catalog(catalog::CatalogError),
    /// No or an unknown token where one is needed.
    Unauthorized,
    /// The token's role does not allow this.
    Forbidden(String),
    /// Malformed request (syntax).
    BadRequest(Vec<InputProblem>),
    /// Well-formed but invalid request.
    Unprocessable(Vec<InputProblem>),
    /// Unknown route or resource.
    NotFound(String),
    /// None of the accepted media types can be produced.
    NotAcceptable(String),
    /// The body is over the limit; nothing was stored.
    PayloadTooLarge(String),
    /// The caller's rate-limit bucket is empty.
    TooManyRequests {
        /// Seconds until a request can pass again (the `Retry-After` header).
        retry_after_secs: u64,
    },
    /// Something broke on our side (logged, never shown).
    Internal(String),
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        Self::Registry(e)
    }
}

impl From<catalog::CatalogError> for ApiError {
    fn from(e: catalog::CatalogError) -> Self {
        match e {
            catalog::CatalogError::Registry(r) => Self::Registry(r),
            other => Self::Catalog(other),
        }
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String, Vec<InputProblem>) {
        use RegistryError as R;
        match self {
            Self::Registry(e) => match e {
                R::ListNotFound(_)
                | R::ItemNotFound { .. }
                | R::ReleaseNotFound { .. }
                | R::ChangeRequestNotFound(_) => {
                    (StatusCode::NOT_FOUND, "not-found", e.to_string(), vec![])
                }
                R::ListExists(_) => (
                    StatusCode::CONFLICT,
                    "already-exists",
                    e.to_string(),
                    vec![],
                ),
                R::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone(), vec![]),
                R::Invalid(p) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-input",
                    summarize(p),
                    p.clone(),
                ),
                R::Storage(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".into(),
                    vec![],
                ),
            },
            Self::Catalog(e) => {
                use catalog::CatalogError as C;
                match e {
                    C::NotFound(_) | C::RevisionNotFound { .. } => {
                        (StatusCode::NOT_FOUND, "not-found", e.to_string(), vec![])
                    }
                    C::Withdrawn(_) => (StatusCode::GONE, "withdrawn", e.to_string(), vec![]),
                    C::Invalid(p) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid-input",
                        summarize(p),
                        p.clone(),
                    ),
                    C::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone(), vec![]),
                    C::StaleRevision { .. } => (
                        StatusCode::PRECONDITION_FAILED,
                        "stale-revision",
                        e.to_string(),
                        vec![],
                    ),
                    C::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone(), vec![]),
                    C::Upload(catalog::files::UploadError::TooLarge { .. }) => (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too-large",
                        e.to_string(),
                        vec![],
                    ),
                    C::Upload(catalog::files::UploadError::Interrupted(m)) => {
                        let p = vec![InputProblem::field("body", m.clone())];
                        (StatusCode::BAD_REQUEST, "bad-request", summarize(&p), p)
                    }
                    C::Upload(catalog::files::UploadError::Io(_)) | C::Storage(_) => (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "internal error".into(),
                        vec![],
                    ),
                    C::Registry(r) => {
                        ApiError::Registry(RegistryError::Storage(r.to_string())).parts()
                    }
                }
            }
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid API token is required (Authorization: Bearer <token>)".into(),
                vec![],
            ),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone(), vec![]),
            Self::BadRequest(p) => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                summarize(p),
                p.clone(),
            ),
            Self::Unprocessable(p) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-input",
                summarize(p),
                p.clone(),
            ),
            Self::NotFound(m) => (StatusCode::NOT_FOUND, "not-found", m.clone(), vec![]),
            Self::PayloadTooLarge(m) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                m.clone(),
                vec![],
            ),
            Self::TooManyRequests { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                format!("too many requests; retry in {retry_after_secs} s"),
                vec![],
            ),
            Self::NotAcceptable(m) => (
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                m.clone(),
                vec![],
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error".into(),
                vec![],
            ),
        }
    }
}

fn summarize(problems: &[InputProblem]) -> String {
    match problems {
        [] => "invalid input".into(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Catalog(catalog::CatalogError::Withdrawn(record)) = &self {
            // A withdrawn dataset still answers with its metadata, under 410 Gone.
            return (StatusCode::GONE, axum::Json(record.as_ref())).into_response();
        }
        if let Self::Registry(RegistryError::Storage(m)) | Self::Internal(m) = &self {
            tracing::error!(error = %m, "internal error");
        }
        if let Self::Catalog(
            e @ (catalog::CatalogError::Storage(_)
            | catalog::CatalogError::Upload(catalog::files::UploadError::Io(_))),
        ) = &self
        {
            tracing::error!(error = %e, "internal error");
        }
        let (status, code, detail, errors) = self.parts();
        let mut body = json!({
            "type": format!("https://opendata.gov.vn/problems/{code}"),
            "title": status.canonical_reason().unwrap_or("error"),
            "status": status.as_u16(),
            "code": code,
            "detail": detail,
        });
        if !errors.is_empty() {
            body["errors"] = json!(errors);
        }
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Self::TooManyRequests { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

/// A JSON body, deserialized with the path of the failing field reported (400 for bad syntax, 422 for bad content).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(ApiError::BadRequest(vec![InputProblem::field(
                "Content-Type",
                "expected application/json",
            )]));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(format!(
                        "the request body is larger than {REQUEST_BODY_LIMIT} bytes"
                    ))
                } else {
                    ApiError::BadRequest(vec![InputProblem::field("body", e.body_text())])
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, naming the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let field = if path == "." {
                "body".to_owned()
            } else {
                json_pointer_like(&path)
            };
            let problem = InputProblem::field(field, inner.to_string());
            if inner.is_syntax() || inner.is_eof() {
                Err(ApiError::BadRequest(vec![problem]))
            } else {
                Err(ApiError::Unprocessable(vec![problem]))
            }
        }
    }
}

/// `changes[0].item.code` → `changes/0/item/code`, the form every field path in our errors takes.
fn json_pointer_like(path: &str) -> String {
    path.replace("[", ".").replace(']', "").replace('.', "/")
}

/// Query parameters, with the failing parameter named on error (400).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                ApiError::BadRequest(vec![InputProblem::field(
                    if path == "." {
                        "query".to_owned()
                    } else {
                        path
                    },
                    e.into_inner().to_string(),
                )])
            })
    }
}

/// Path parameters, with the failing parameter named on error (400 problem+json, not axum's plain-text rejection).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let field = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    _ => "path".to_owned(),
                };
                Err(ApiError::BadRequest(vec![InputProblem::field(
                    field,
                    e.body_text(),
                )]))
            }
            Err(e) => Err(ApiError::Internal(e.body_text())),
        }
    }
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// The caller, if a valid token was sent.
pub struct Caller(pub Option<Principal>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already looked up by the rate limiter.
        if let Some(ratelimit::Authenticated(p)) = parts.extensions.get() {
            return Ok(Self(Some(p.clone())));
        }
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Self(None));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        match state.accounts.authenticate(token).await? {
            Some(p) => Ok(Self(Some(p))),
            None => Err(ApiError::Unauthorized),
        }
    }
}

impl Caller {
    /// The principal, or 401.
    pub fn required(self) -> Result<Principal, ApiError> {
        self.0.ok_or(ApiError::Unauthorized)
    }
}

/// Weak ETags on every successful GET of the APIs: the store's last change-log sequence plus a hash of what was asked
/// (path, query, Accept), so any write anywhere invalidates them and `If-None-Match` answers 304 without doing the work.
async fn etag(State(state): State<AppState>, req: Request, next: Next) -> Response {
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

/// The representations a resource can be negotiated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// `application/json`.
    Json,
    /// `text/csv`.
    Csv,
    /// An RDF syntax.
    Rdf(registry::skos::RdfKind),
}

/// Picks the representation from `?format=` or, failing that, from `Accept` (by quality, JSON when anything goes).
pub fn negotiate(format: Option<&str>, headers: &HeaderMap) -> Result<Representation, ApiError> {
    use registry::skos::RdfKind;
    if let Some(f) = format {
        return match f {
            "json" => Ok(Representation::Json),
            "csv" => Ok(Representation::Csv),
            "ttl" | "turtle" => Ok(Representation::Rdf(RdfKind::Turtle)),
            "jsonld" => Ok(Representation::Rdf(RdfKind::JsonLd)),
            "rdfxml" | "rdf" => Ok(Representation::Rdf(RdfKind::RdfXml)),
            "nt" => Ok(Representation::Rdf(RdfKind::NTriples)),
            _ => Err(ApiError::BadRequest(vec![InputProblem::field(
                "format",
                format!("{f:?} is not one of json, csv, ttl, jsonld, rdfxml, nt"),
            )])),
        };
    }
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Representation::Json);
    };
    let mut ranges: Vec<(f32, usize, &str)> = accept
        .split(',')
        .enumerate()
        .map(|(i, part)| {
            let mut bits = part.split(';');
            let media = bits.next().unwrap_or("").trim();
            let q = bits
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q, i, media)
        })
        .filter(|(q, _, _)| *q > 0.0)
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, media) in ranges {
        let found = match media {
            "application/json" | "application/*" | "*/*" => Some(Representation::Json),
            "text/csv" => Some(Representation::Csv),
            "text/turtle" => Some(Representation::Rdf(RdfKind::Turtle)),
            "application/ld+json" => Some(Representation::Rdf(RdfKind::JsonLd)),
            "application/rdf+xml" => Some(Representation::Rdf(RdfKind::RdfXml)),
            "application/n-triples" => Some(Representation::Rdf(RdfKind::NTriples)),
            _ => None,
        };
        if let Some(r) = found {
            return Ok(r);
        }
    }
    Err(ApiError::NotAcceptable(
        "available: application/json, text/csv, text/turtle, application/ld+json, application/rdf+xml".into(),
    ))
}

/// A body with a content type.
pub fn typed(content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
