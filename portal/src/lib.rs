#![doc = include_str!("../README.md")]

pub mod faults;
pub mod store;
mod writes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::get;
use ckan::{CkanError, bool_param, int_param, params, required, string_param};
use serde_json::{Map, Value, json};

use faults::{FaultConfig, FaultKind, Faults, RateLimiter};
use store::{Store, StoreError};

/// How to run the mock portal.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// Address to listen on (port 0: any free port).
    pub bind: SocketAddr,
    /// Folder of its SQLite store.
    pub data_dir: PathBuf,
    /// The API token that writes need.
    pub token: String,
    /// Injected faults.
    pub faults: FaultConfig,
    /// Requests a second over the whole portal, if limited.
    pub rate_limit: Option<f64>,
    /// Added to every action call.
    pub latency: Duration,
    /// `site_url` in `status_show` and the `help` links (defaults to `http://{bound address}`).
    pub site_url: Option<String>,
}

impl PortalConfig {
    /// A portal without faults, limits or latency.
    pub fn new(bind: SocketAddr, data_dir: impl Into<PathBuf>, token: impl Into<String>) -> Self {
        Self {
            bind,
            data_dir: data_dir.into(),
            token: token.into(),
            faults: FaultConfig::default(),
            rate_limit: None,
            latency: Duration::ZERO,
            site_url: None,
        }
    }
}

struct Shared {
    store: Store,
    token: String,
    faults: Faults,
    limiter: Option<RateLimiter>,
    latency: Duration,
    site_url: String,
}

/// A bound, not yet serving, mock portal.
pub struct Portal {
    listener: tokio::net::TcpListener,
    router: Router,
    local_addr: SocketAddr,
}

impl Portal {
    /// Opens the store and binds the address.
    pub async fn build(config: PortalConfig) -> Result<Self, std::io::Error> {
        let store = Store::open(&config.data_dir)
            .await
            .map_err(std::io::Error::other)?;
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            store,
            token: config.token,
            faults: Faults::new(config.faults),
            limiter: config.rate_limit.map(RateLimiter::new),
            latency: config.latency,
            site_url: config
                .site_url
                .unwrap_or_else(|| format!("http://{local_addr}")),
        });
        let router = Router::new()
            .route("/api/3/action/{action}", get(action).post(action))
            .route("/api/action/{action}", get(action).post(action))
            .route(
                "/api/3",
                get(|| async { axum::Json(json!({ "version": 3 })) }),
            )
            .route(
                "/",
                get(|| async {
                    "Mock national open-data portal (CKAN Action API under /api/3/action/)\n"
                }),
            )
            .with_state(shared);
        Ok(Self {
            listener,
            router,
            local_addr,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), std::io::Error> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

impl From<StoreError> for CkanError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => CkanError::not_found(format!("Not found: {m}")),
            StoreError::Invalid(fields) => CkanError::invalid(fields),
            StoreError::Database(e) => CkanError::internal(format!("mock portal store: {e}")),
        }
    }
}

fn injected_error(site: &str, action: &str, when: &str) -> Response {
    let mut r = ckan::answer(
        site,
        action,
        Err(CkanError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Error",
            format!("injected fault ({when} applying)"),
        )),
    );
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

fn too_many(site: &str, action: &str, wait_seconds: u64) -> Response {
    let mut r = ckan::answer(
        site,
        action,
        Err(CkanError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate Limit Error",
            "Too many requests; retry later",
        )),
    );
    r.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&wait_seconds.to_string()).expect("digits"),
    );
    r
}

/// An answer whose body fails after the headers: the connection is cut mid-answer.
fn dropped() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("injected connection drop"))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .expect("a valid response")
}

const WRITES: &[&str] = &[
    "package_create",
    "package_update",
    "package_patch",
    "package_delete",
    "organization_create",
];

async fn action(
    State(shared): State<Arc<Shared>>,
    Path(action): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let site = shared.site_url.clone();
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    if let Some(limiter) = &shared.limiter
        && let Err(wait) = limiter.take()
    {
        return too_many(&site, &action, wait.as_secs_f64().ceil().max(1.0) as u64);
    }
    let fault = shared.faults.draw();
    match fault {
        Some(FaultKind::ErrorBefore) => return injected_error(&site, &action, "before"),
        Some(FaultKind::RateLimited) => {
            return too_many(&site, &action, shared.faults.config().retry_after);
        }
        Some(FaultKind::Stall) => tokio::time::sleep(shared.faults.config().stall).await,
        _ => {}
    }
    let outcome = handle(&shared, &action, &method, &uri, &headers, &body).await;
    match fault {
        Some(FaultKind::ErrorAfter) => injected_error(&site, &action, "after"),
        Some(FaultKind::Drop) => dropped(),
        _ => ckan::answer(&site, &action, outcome),
    }
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let given = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let token = shared.token.as_str();
    let authorization = given(header::AUTHORIZATION).map(|v| v.trim());
    authorization == Some(token)
        || authorization.and_then(|v| v.strip_prefix("Bearer ")) == Some(token)
        || headers.get("x-ckan-api-key").and_then(|v| v.to_str().ok()) == Some(token)
}

/// Parameters from the query string and the body (JSON or a form).
async fn handle(
    shared: &Shared,
    action: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, CkanError> {
    let write = WRITES.contains(&action);
    if write && method != Method::POST {
        return Err(CkanError::new(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "JSON Error: Invalid request. Please use POST method for your request",
        ));
    }
    let p = params(uri, headers, body)?;
    let sysadmin = authorized(shared, headers);
    if write && !sysadmin {
        return Err(CkanError::forbidden(format!(
            "Access denied: {action} needs a valid API token in the Authorization header"
        )));
    }
    let store = &shared.store;
    match action {
        "status_show" => Ok(json!({
            "site_title": "Cổng dữ liệu quốc gia (mock)",
            "site_description": "A mock national open-data portal speaking CKAN's Action API",
            "site_url": shared.site_url,
            "ckan_version": "2.10.4",
            "extensions": ["mock-portal"],
            "locale_default": "vi",
        })),
        "package_create" => Ok(store.create_package(&p).await?),
        "package_update" => Ok(store.update_package(&p, false).await?),
        "package_patch" => Ok(store.update_package(&p, true).await?),
        "package_delete" => {
            let id = required(&p, "id")?;
            store.delete_package(&id).await?;
            Ok(Value::Null)
        }
        "package_show" => {
            let id = required(&p, "id")?;
            let package = store
                .package(&id)
                .await?
                .ok_or_else(|| CkanError::not_found("Not found"))?;
            let visible = package["state"] == "active" && package["private"] != json!(true);
            if !visible && !sysadmin {
                return Err(CkanError::forbidden(format!(
                    "Access denied: User not authorized to read package {id}"
                )));
            }
            Ok(package)
        }
        "package_list" => {
            let names = store.package_names().await?;
            let offset = int_param(&p, "offset", 0, usize::MAX)?;
            let limit = int_param(&p, "limit", usize::MAX, usize::MAX)?;
            Ok(json!(
                names
                    .into_iter()
                    .skip(offset)
                    .take(limit)
                    .collect::<Vec<_>>()
            ))
        }
        "package_search" => package_search(shared, &p, sysadmin).await,
        "organization_create" => Ok(store.create_organization(&p).await?),
        "organization_show" => {
            let id = required(&p, "id")?;
            let mut org = store
                .organization(&id)
                .await?
                .ok_or_else(|| CkanError::not_found("Organization not found"))?;
            let org_id = org["id"].as_str().unwrap_or_default().to_owned();
            // Counted with an index: listing every package to count them made this call take seconds on a
            // 100,000-package portal, and the harvester asks it once per organization each run.
            org["package_count"] = json!(store.package_count(&org_id).await?);
            if bool_param(&p, "include_datasets")? {
                org["packages"] = json!(store.packages_owned_by(false, Some(&org_id)).await?);
            }
            Ok(org)
        }
        "organization_list" => {
            let orgs = store.organizations().await?;
            let packages = store.packages(false).await?;
            let offset = int_param(&p, "offset", 0, usize::MAX)?;
            let limit = int_param(&p, "limit", usize::MAX, usize::MAX)?;
            let all_fields = bool_param(&p, "all_fields")?;
            let out: Vec<Value> = orgs
                .into_iter()
                .skip(offset)
                .take(limit)
                .map(|mut o| {
                    if all_fields {
                        let count = packages
                            .iter()
                            .filter(|pkg| pkg["owner_org"] == o["id"])
                            .count();
                        o["package_count"] = json!(count);
                        o
                    } else {
                        o["name"].clone()
                    }
                })
                .collect();
            Ok(json!(out))
        }
        other => Err(CkanError::new(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            format!("Action name not known: {other}"),
        )),
    }
}

/// Parses `fq`: `field:value` or `field:"quoted value"` terms (a leading `+` allowed), all required.
fn parse_fq(fq: &str) -> Result<Vec<(String, String)>, CkanError> {
    let mut out = Vec::new();
    let mut rest = fq.trim();
    while !rest.is_empty() {
        let (field, after) = rest.split_once(':').ok_or_else(|| {
            CkanError::validation("fq", format!("expected field:value, got {rest:?}"))
        })?;
        let field = field.trim().trim_start_matches('+').to_owned();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| CkanError::validation("fq", "unterminated quote"))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            match after.find(char::is_whitespace) {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            }
        };
        if ![
            "organization",
            "name",
            "tags",
            "license_id",
            "res_format",
            "state",
        ]
        .contains(&field.as_str())
        {
            return Err(CkanError::validation(
                "fq",
                format!(
                    "unsupported field {field:?} (organization, name, tags, license_id, res_format, state)"
                ),
            ));
        }
        out.push((field, value.to_owned()));
        rest = remaining.trim_start();
    }
    Ok(out)
}

fn field_values(package: &Value, field: &str) -> Vec<String> {
    let strings = |list: &Value, key: &str| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i.get(key).and_then(Value::as_str).map(str::to_owned))
            .collect()
    };
    match field {
        "organization" => package["organization"]["name"]
            .as_str()
            .map(|s| vec![s.to_owned()])
            .unwrap_or_default(),
        "tags" => strings(&package["tags"], "name"),
        "res_format" => strings(&package["resources"], "format"),
        other => package[other]
            .as_str()
            .map(|s| vec![s.to_owned()])
            .unwrap_or_default(),
    }
}

async fn package_search(
    shared: &Shared,
    p: &Map<String, Value>,
    sysadmin: bool,
) -> Result<Value, CkanError> {
    let rows = int_param(p, "rows", 10, 1000)?;
    let start = int_param(p, "start", 0, usize::MAX)?;
    let include_deleted = sysadmin && bool_param(p, "include_deleted")?;
    let include_private = sysadmin && bool_param(p, "include_private")?;
    let q = string_param(p, "q")?.unwrap_or_default();
    let terms: Vec<String> = if q.trim() == "*:*" {
        Vec::new()
    } else {
        q.split_whitespace().map(str::to_lowercase).collect()
    };
    let filters = match string_param(p, "fq")? {
        Some(fq) => parse_fq(&fq)?,
        None => Vec::new(),
    };
    let mut matched: Vec<Value> = shared
        .store
        .packages(include_deleted)
        .await?
        .into_iter()
        .filter(|pkg| include_private || pkg["private"] != json!(true))
        .filter(|pkg| {
            let haystack = format!(
                "{} {}",
                pkg["title"].as_str().unwrap_or_default(),
                pkg["notes"].as_str().unwrap_or_default()
            )
            .to_lowercase();
            terms.iter().all(|t| haystack.contains(t.as_str()))
        })
        .filter(|pkg| {
            filters
                .iter()
                .all(|(field, value)| field_values(pkg, field).iter().any(|v| v == value))
        })
        .collect();
    let sort =
        string_param(p, "sort")?.unwrap_or_else(|| "score desc, metadata_modified desc".into());
    let key = |pkg: &Value, field: &str| pkg[field].as_str().unwrap_or_default().to_lowercase();
    match sort.trim() {
        "name asc" => matched.sort_by_key(|a| key(a, "name")),
        "name desc" => matched.sort_by_key(|b| std::cmp::Reverse(key(b, "name"))),
        "title_string asc" => matched.sort_by_key(|a| key(a, "title")),
        "title_string desc" => matched.sort_by_key(|b| std::cmp::Reverse(key(b, "title"))),
        "metadata_modified asc" => matched.sort_by_key(|a| key(a, "metadata_modified")),
        "metadata_modified desc" | "score desc, metadata_modified desc" | "score desc" => {
            matched.sort_by_key(|b| std::cmp::Reverse(key(b, "metadata_modified")))
        }
        other => {
            return Err(CkanError::validation(
                "sort",
                format!("{other:?} is not supported"),
            ));
        }
    }
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    let facet_fields: Vec<String> = match p.get("facet.field") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_default(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    for field in facet_fields {
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for pkg in &matched {
            for v in field_values(pkg, &field) {
                *counts.entry(v).or_default() += 1;
            }
        }
        let items: Vec<Value> = counts
            .iter()
            .map(|(name, count)| json!({ "name": name, "display_name": name, "count": count }))
            .collect();
        facets.insert(field.clone(), json!(counts));
        search_facets.insert(field.clone(), json!({ "title": field, "items": items }));
    }
    let count = matched.len();
    let results: Vec<Value> = matched.into_iter().skip(start).take(rows).collect();
    Ok(json!({
        "count": count,
        "results": results,
        "sort": sort,
        "facets": facets,
        "search_facets": search_facets,
    }))
}

/// Starts a portal on a background task (for tests): answers its address and a handle that stops it when dropped.
pub async fn spawn(
    config: PortalConfig,
) -> Result<(SocketAddr, tokio::sync::oneshot::Sender<()>), std::io::Error> {
    let portal = Portal::build(config).await?;
    let addr = portal.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(portal.run_until(async {
        let _ = rx.await;
    }));
    Ok((addr, tx))
}
