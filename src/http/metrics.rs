//! `/metrics`: Prometheus metrics in the OpenMetrics text format — requests and their latency by method, route
//! template and status class, rate-limit refusals by bucket, the keys each bucket tracks, the RDF projection's lag
//! behind the change log and its size, and the search index's size.
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use super::{ApiError, AppState, typed};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    /// The route template (`/api/v1/datasets/{id}`), never the raw path, so the series stay few.
    route: String,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BucketLabels {
    bucket: &'static str,
}

type Latencies = Family<RequestLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The process's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Latencies,
    rejections: Family<BucketLabels, Counter>,
    tracked_keys: Family<BucketLabels, Gauge>,
    projection_lag: Gauge,
    rdf_quads: Gauge,
    search_documents: Gauge,
    audit_ok: Gauge,
    audit_findings: Gauge,
    audit_chain_entries: Gauge,
    audit_last_run: Gauge,
    checkpoint_seq: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Empty metrics, registered under the `opendata_` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("opendata");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status class",
            requests.clone(),
        );
        let latency = Latencies::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time to the response head, by method, route template and status class",
            Unit::Seconds,
            latency.clone(),
        );
        let rejections = Family::<BucketLabels, Counter>::default();
        registry.register(
            "ratelimit_rejections",
            "Requests refused with 429, by rate-limit bucket",
            rejections.clone(),
        );
        let tracked_keys = Family::<BucketLabels, Gauge>::default();
        registry.register(
            "ratelimit_tracked_keys",
            "Clients (addresses or accounts) each rate-limit bucket tracks",
            tracked_keys.clone(),
        );
        let projection_lag = Gauge::default();
        registry.register(
            "rdf_projection_lag",
            "Change-log entries written but not yet applied to the RDF projection",
            projection_lag.clone(),
        );
        let rdf_quads = Gauge::default();
        registry.register(
            "rdf_store_quads",
            "Quads in the RDF projection (SPARQL, DCAT)",
            rdf_quads.clone(),
        );
        let search_documents = Gauge::default();
        registry.register(
            "search_index_documents",
            "Datasets in the search index",
            search_documents.clone(),
        );
        let audit_ok = Gauge::default();
        registry.register(
            "audit_ok",
            "1 when the last periodic audit (change-log chain, projection counts) found nothing wrong, else 0",
            audit_ok.clone(),
        );
        let audit_findings = Gauge::default();
        registry.register(
            "audit_findings",
            "Problems the last periodic audit found (each is logged with its subject)",
            audit_findings.clone(),
        );
        let audit_chain_entries = Gauge::default();
        registry.register(
            "audit_chain_entries",
            "Change-log entries the last periodic audit verified",
            audit_chain_entries.clone(),
        );
        let audit_last_run = Gauge::default();
        registry.register_with_unit(
            "audit_last_run_timestamp",
            "When the last periodic audit ran (Unix time)",
            Unit::Seconds,
            audit_last_run.clone(),
        );
        let checkpoint_seq = Gauge::default();
        registry.register(
            "checkpoint_seq",
            "The change-log sequence of the latest checkpoint this node signed",
            checkpoint_seq.clone(),
        );
        Self {
            registry,
            audit_ok,
            audit_findings,
            audit_chain_entries,
            audit_last_run,
            checkpoint_seq,
            search_documents,
            requests,
            latency,
            rejections,
            tracked_keys,
            projection_lag,
            rdf_quads,
        }
    }

    /// Publishes the outcome of a periodic audit.
    pub fn record_audit(&self, report: &crate::audit::AuditReport) {
        self.audit_ok.set(i64::from(report.ok));
        self.audit_findings
            .set(i64::try_from(report.findings.len()).unwrap_or(i64::MAX));
        self.audit_chain_entries.set(report.chain.entries);
        self.audit_last_run.set(chrono::Utc::now().timestamp());
    }

    /// Publishes the sequence of a checkpoint just signed.
    pub fn record_checkpoint(&self, seq: i64) {
        self.checkpoint_seq.set(seq);
    }

    /// Counts a request refused by `bucket`.
    pub fn rejected(&self, bucket: &'static str) {
        self.rejections
            .get_or_create(&BucketLabels { bucket })
            .inc();
    }
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

async fn render(State(state): State<AppState>) -> Result<Response, ApiError> {
    let metrics = &state.metrics;
    match state.registry.version_tag().await {
        Ok(head) => {
            metrics
                .projection_lag
                .set((head - state.projection.applied()).max(0));
        }
        Err(e) => tracing::warn!(error = %e, "metrics: reading the change-log head failed"),
    }
    // Counting the quads walks the whole store (69 million quads at 1,000,000 datasets): the gauge shows the last
    // count, taken in the background at most every few minutes.
    if let Some(quads) = state
        .projection
        .recent_len(std::time::Duration::from_secs(300))
    {
        metrics
            .rdf_quads
            .set(i64::try_from(quads).unwrap_or(i64::MAX));
    }
    metrics
        .search_documents
        .set(i64::try_from(state.search.len()).unwrap_or(i64::MAX));
    if let Some(limiter) = &state.rate_limits {
        for (bucket, keys) in limiter.tracked_keys() {
            metrics
                .tracked_keys
                .get_or_create(&BucketLabels { bucket })
                .set(i64::try_from(keys).unwrap_or(i64::MAX));
        }
    }
    let mut body = String::new();
    encode(&mut body, &metrics.registry).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(typed(
        "application/openmetrics-text; version=1.0.0; charset=utf-8",
        body,
    ))
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The middleware: counts and times every request, labelled by its route template (`unmatched` for the fallback).
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    let labels = RequestLabels {
        method,
        route,
        status: status_class(response.status().as_u16()),
    };
    state.metrics.requests.get_or_create(&labels).inc();
    state
        .metrics
        .latency
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}
