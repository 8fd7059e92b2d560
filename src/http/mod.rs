//! The HTTP layer: one module per resource with its own `router()`, one shared [`AppState`], and one error type
//! ([`ApiError`]) rendered once as RFC 9457 problem+json.
//!
//! This module is the base every handler imports: the state, the error (`error`), the extractors (`extract`),
//! content negotiation (`negotiate`) and conditional GETs (`etag`). The router that assembles every resource
//! lives apart, in `router`, so the base does not depend on the handlers or on the OpenAPI document.
use std::sync::Arc;

use registry::Registry;

use crate::accounts::Accounts;

pub mod admin;
pub mod agencies;
pub mod audit;
pub mod changes;
pub mod ckan;
pub mod data;
pub mod datasets;
pub mod dcat;
pub mod developers;
pub mod feedback;
pub mod health;
pub mod key_tiers;
pub mod lgsp;
pub mod manage;
pub mod metrics;
pub mod oidc;
pub mod openapi;
pub mod pages;
pub mod quality;
pub mod ratelimit;
pub mod registry_api;
pub mod search;
pub mod security;
pub mod sparql;
pub mod stats;
pub mod usage;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Feedback, data requests, subscriptions and webhooks.
    pub feedback: crate::feedback::Feedback,
    /// The code-list registry.
    pub registry: Registry,
    /// Accounts and tokens.
    pub accounts: Accounts,
    /// Harvest run history.
    pub harvest_runs: crate::harvest_runs::HarvestRuns,
    /// The sources the server harvests on schedule.
    pub harvest_sources: crate::harvest_sources::HarvestSources,
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
    /// The whole-catalog dump (gzipped N-Triples) for harvesters.
    pub dump: catalog::dump::Dump,
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
    /// The catalog's quality summary, kept until the change log or the link checks move.
    pub quality_memo: Arc<catalog::quality::store::SummaryMemo>,
    /// CKAN package dicts rendered once per published revision.
    pub ckan_packages: Arc<ckan::RenderedPackages>,
    /// Checks the links of distributions held elsewhere.
    pub link_checker: Arc<crate::link_checks::LinkChecker>,
    /// The change log's checkpoint signer.
    pub checkpoints: crate::checkpoints::Checkpoints,
    /// Sign-in through an OpenID Provider, when configured (`--oidc-issuer`).
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
    /// The rate tiers of developer keys.
    pub key_tiers: Arc<key_tiers::KeyTiers>,
}

impl AppState {
    /// Marks the node ready (projections built).
    pub fn set_ready(&self) {
        self.ready.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The largest request body outside file uploads (which have their own, configurable limit).
pub const REQUEST_BODY_LIMIT: usize = 32 * 1024 * 1024;

mod error;
mod etag;
mod extract;
mod negotiate;
mod router;

pub use error::ApiError;
pub use extract::{ApiJson, ApiPath, ApiQuery, Caller, parse_json};
pub use negotiate::{Representation, negotiate, typed};
pub use router::router;
