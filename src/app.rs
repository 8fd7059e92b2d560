//! Building and running the application: open the store, migrate, seed, bootstrap the admin, serve.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use registry::{Database, Registry};
use tokio::net::TcpListener;

use crate::accounts::Accounts;
pub use crate::http::ratelimit::{Rate, RateLimits};
use crate::http::{self, AppState};

/// Which seed lists to load into an empty store.
#[derive(Debug, Clone)]
pub enum Seed {
    /// Every list under the seed folder.
    All,
    /// Only these list folders.
    Only(Vec<String>),
    /// None.
    Nothing,
}

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder for the SQLite file and stored files.
    pub data_dir: PathBuf,
    /// `postgres://...` (or `sqlite://...`) instead of the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Address to listen on (port 0 picks a free port).
    pub bind: SocketAddr,
    /// Base of every URI the registry mints.
    pub base_uri: String,
    /// The folder holding the seed code lists.
    pub seed_dir: PathBuf,
    /// Which seeds to load into an empty store.
    pub seed: Seed,
    /// The bootstrap admin token (`OPENDATA_ADMIN_TOKEN`).
    pub admin_token: Option<String>,
    /// The largest file upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// How the catalog describes itself in DCAT.
    pub catalog_info: catalog::dcat::CatalogInfo,
    /// Scheduled, verified backups (`--backup-dir`).
    pub backups: Option<crate::backup::Schedule>,
    /// Send `Strict-Transport-Security` (only behind TLS).
    pub hsts: bool,
    /// Per-client rate limits.
    pub rate_limits: RateLimits,
    /// How often the server audits itself and signs a checkpoint of the change log.
    pub audit: crate::audit::AuditSchedule,
    /// How often the harvest scheduler looks for due sources (`/manage/sources`).
    pub harvest_tick: std::time::Duration,
    /// Harvest sources on private and loopback addresses too (tests, closed networks).
    pub harvest_private_sources: bool,
    /// How the links of distributions held elsewhere are checked.
    pub link_checks: crate::link_checks::LinkCheckConfig,
    /// Feedback, data requests, e-mail and webhooks (issue 19).
    pub feedback: crate::feedback::FeedbackConfig,
    /// Sign-in through an OpenID Provider (`--oidc-issuer`).
    pub oidc: Option<crate::oidc::OidcConfig>,
}

/// The catalog's default self-description: the Government Office (`G22`) as publisher.
pub fn default_catalog_info() -> catalog::dcat::CatalogInfo {
    catalog::dcat::CatalogInfo {
        title: registry::model::LangText::new(
            Some("Danh mục dữ liệu mở"),
            Some("Open data catalog"),
        ),
        description: registry::model::LangText::new(
            Some("Dữ liệu mở của các cơ quan nhà nước, mô tả theo DCAT-AP 3."),
            Some("Open data of state agencies, described with DCAT-AP 3."),
        ),
        publisher: "G22".into(),
        homepage: None,
        languages: vec!["vi".into(), "en".into()],
        licence: Some("CC-BY-4.0".into()),
        modified: None,
    }
}

impl Config {
    /// Defaults for a local run.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            database_url: None,
            bind: "127.0.0.1:8080".parse().expect("static address"),
            base_uri: "http://127.0.0.1:8080".into(),
            seed_dir: default_seed_dir(),
            seed: Seed::All,
            admin_token: None,
            backups: None,
            max_upload_bytes: 512 * 1024 * 1024,
            catalog_info: default_catalog_info(),
            hsts: false,
            rate_limits: RateLimits::default(),
            audit: Default::default(),
            harvest_tick: std::time::Duration::from_secs(30),
            harvest_private_sources: false,
            link_checks: Default::default(),
            feedback: Default::default(),
            oidc: None,
        }
    }
}

/// `./datasets/registry` when it exists, else the one beside the sources this binary was built from.
pub fn default_seed_dir() -> PathBuf {
    let local = Path::new("datasets/registry");
    if local.is_dir() {
        local.to_owned()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/registry")
    }
}

/// Opens the configured store and applies every migration.
pub async fn open_database(config: &Config) -> Result<Database, registry::RegistryError> {
    let db = match &config.database_url {
        Some(url) => Database::connect(url).await?,
        None => Database::open_sqlite(&config.data_dir).await?,
    };
    db.migrate(registry::db::REGISTRY_MIGRATIONS).await?;
    db.migrate(catalog::store::CATALOG_MIGRATIONS).await?;
    db.migrate(crate::accounts::ACCOUNT_MIGRATIONS).await?;
    db.migrate(crate::harvest_runs::HARVEST_RUN_MIGRATIONS)
        .await?;
    db.migrate(crate::harvest_sources::HARVEST_SOURCE_MIGRATIONS)
        .await?;
    db.migrate(crate::checkpoints::CHECKPOINT_MIGRATIONS)
        .await?;
    db.migrate(crate::feedback::FEEDBACK_MIGRATIONS).await?;
    Ok(db)
}

/// A built application, listening, not yet serving.
pub struct Application {
    backups: Option<(crate::backup::Schedule, Option<String>, PathBuf)>,
    listener: TcpListener,
    state: AppState,
    audit: crate::audit::AuditSchedule,
    harvests: crate::harvest_sources::Scheduler,
    notify: crate::feedback::FeedbackConfig,
    /// A token generated for the bootstrap admin on this start, to show once.
    pub generated_admin_token: Option<String>,
}

impl Application {
    /// Opens the store, migrates, loads seeds into an empty store, bootstraps the admin and binds.
    pub async fn build(config: Config) -> anyhow_like::Result<Self> {
        let db = open_database(&config).await?;
        let backups = config
            .backups
            .clone()
            .map(|s| (s, config.database_url.clone(), config.data_dir.clone()));
        let registry = Registry::new(db.clone(), &config.base_uri);
        if registry.is_empty().await? {
            let only: Option<Vec<&str>> = match &config.seed {
                Seed::All => None,
                Seed::Only(lists) => Some(lists.iter().map(String::as_str).collect()),
                Seed::Nothing => Some(Vec::new()),
            };
            if only.as_ref().is_none_or(|o| !o.is_empty()) {
                let started = std::time::Instant::now();
                let report =
                    registry::seed::load_dir(&registry, &config.seed_dir, only.as_deref()).await?;
                tracing::info!(lists = ?report.lists, elapsed_ms = started.elapsed().as_millis() as u64, "seed lists loaded");
            }
        }
        let accounts = Accounts::new(db.clone());
        accounts.adopt_into_log().await?;
        let mut generated_admin_token = None;
        match &config.admin_token {
            Some(token) => accounts.ensure_admin_token(token).await?,
            None if !accounts.has_admin().await? => {
                let token = crate::accounts::generate_token();
                accounts.ensure_admin_token(&token).await?;
                generated_admin_token = Some(token);
            }
            None => {}
        }
        let listener = TcpListener::bind(config.bind).await?;
        let files = catalog::files::FileStore::open(&config.data_dir)?;
        let catalog = catalog::Catalog::new(db.clone(), registry.clone()).with_files(files.clone());
        let seed_catalog = match &config.seed {
            Seed::All => true,
            Seed::Only(lists) => lists.iter().any(|l| l == "catalog"),
            Seed::Nothing => false,
        };
        if seed_catalog && catalog.list(&Default::default()).await?.total == 0 {
            let dir = config
                .seed_dir
                .parent()
                .map(|p| p.join("catalog"))
                .unwrap_or_default();
            if dir.is_dir() {
                let started = std::time::Instant::now();
                let n = catalog::seed::load_dir(&catalog, &files, &dir).await?;
                tracing::info!(
                    datasets = n,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "seed datasets loaded"
                );
            }
        }
        let mut info = config.catalog_info.clone();
        if info.homepage.is_none() {
            info.homepage = Some(config.base_uri.clone());
        }
        let projection = catalog::graph::Projection::open(
            &config.data_dir.join("rdf"),
            catalog.clone(),
            info.clone(),
        )?;
        let search = catalog::search::SearchIndex::open(&config.data_dir.join("index"))?;
        let dump = catalog::dump::Dump::open(&config.data_dir.join("dump"), &config.base_uri)?;
        let feedback = crate::feedback::Feedback::new(
            catalog.clone(),
            config.feedback.burst,
            &config.base_uri,
        )
        .allow_private_webhooks(config.feedback.webhooks.allow_private);
        let state = AppState {
            feedback,
            registry,
            accounts,
            harvest_runs: crate::harvest_runs::HarvestRuns::new(db.clone()),
            harvest_sources: crate::harvest_sources::HarvestSources::new(db.clone()),
            catalog,
            files,
            upload_limit: config.max_upload_bytes,
            projection,
            catalog_info: std::sync::Arc::new(info),
            sparql_permits: std::sync::Arc::new(tokio::sync::Semaphore::new(2)),
            search,
            dump,
            search_permits: std::sync::Arc::new(tokio::sync::Semaphore::new(4)),
            ready: Default::default(),
            hsts: config.hsts,
            rate_limits: crate::http::ratelimit::Limiter::new(&config.rate_limits)
                .map(std::sync::Arc::new),
            metrics: Default::default(),
            usage: catalog::usage::Usage::new(db.clone()),
            quality_memo: Default::default(),
            ckan_packages: Default::default(),
            link_checker: std::sync::Arc::new(
                crate::link_checks::LinkChecker::new(config.link_checks.clone())
                    .map_err(|e| std::io::Error::other(e.to_string()))?,
            ),
            checkpoints: crate::checkpoints::Checkpoints::new(
                crate::checkpoints::load_or_create_key(&config.data_dir)?,
                db.clone(),
                config.base_uri.clone(),
            ),
            key_tiers: std::sync::Arc::new(crate::http::key_tiers::KeyTiers::new(
                &config.rate_limits,
            )),
            oidc: match config.oidc.clone() {
                Some(c) => Some(std::sync::Arc::new(
                    crate::oidc::Oidc::new(c).map_err(std::io::Error::other)?,
                )),
                None => None,
            },
        };
        // The scheduler harvests into this server through its own API, on the loopback when bound to every address.
        let own_url = {
            let mut at = listener.local_addr()?;
            if at.ip().is_unspecified() {
                at.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("http://{at}")
        };
        Ok(Self {
            backups,
            listener,
            harvests: crate::harvest_sources::Scheduler {
                target: own_url,
                base_uri: config.base_uri.clone(),
                tick: config.harvest_tick,
                state_dir: config.data_dir.join("harvest-state"),
                allow_private_sources: config.harvest_private_sources,
            },
            state,
            audit: config.audit,
            notify: config.feedback.clone(),
            generated_admin_token,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let db = self.state.registry.database().clone();
        let projector = tokio::spawn(project(self.state.clone()));
        let dumper = tokio::spawn(keep_dump(self.state.clone()));
        let backups = self.backups.map(|(schedule, url, data_dir)| {
            tokio::spawn(crate::backup::schedule::run(
                db.clone(),
                url,
                data_dir,
                schedule,
            ))
        });
        let tidy = self
            .state
            .rate_limits
            .clone()
            .map(|limiter| tokio::spawn(http::ratelimit::keep_tidy(limiter)));
        let usage = self.state.usage.clone();
        let flusher = tokio::spawn(http::usage::keep_flushing(usage.clone()));
        let accounts = self.state.accounts.clone();
        let key_flusher = tokio::spawn(crate::accounts::keys::keep_flushing(accounts.clone()));
        let auditor = tokio::spawn(crate::audit::keep_watch(self.state.clone(), self.audit));
        let harvests = tokio::spawn(crate::harvest_sources::keep_harvesting(
            self.state.clone(),
            self.harvests,
        ));
        let link_checker = tokio::spawn(crate::link_checks::keep_checking(
            self.state.catalog.clone(),
            self.state.link_checker.clone(),
        ));
        let mailer = tokio::spawn(crate::feedback::mail::keep_mailing(
            self.state.feedback.clone(),
            self.notify.mail.clone(),
        ));
        let webhooks = tokio::spawn(crate::feedback::webhooks::keep_delivering(
            self.state.feedback.clone(),
            self.notify.webhooks.clone(),
        ));
        let router = http::router(self.state);
        axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        projector.abort();
        dumper.abort();
        if let Some(backups) = backups {
            backups.abort();
        }
        if let Some(tidy) = tidy {
            tidy.abort();
        }
        flusher.abort();
        key_flusher.abort();
        auditor.abort();
        harvests.abort();
        link_checker.abort();
        mailer.abort();
        webhooks.abort();
        if let Err(e) = usage.flush().await {
            tracing::warn!(error = %e, "flushing usage counts at shutdown failed");
        }
        if let Err(e) = accounts.flush_key_calls().await {
            tracing::warn!(error = %e, "flushing key call counts at shutdown failed");
        }
        db.close().await;
        Ok(())
    }
}

/// Builds the projection, then keeps it in step with the change log: woken by local commits, polling for other
/// nodes' writes.
async fn project(state: AppState) {
    let started = std::time::Instant::now();
    let indexer = catalog::indexer::Indexer {
        catalog: &state.catalog,
        index: &state.search,
    };
    // The synonyms are read at start (the index may already be at the head); later changes arrive through the log.
    if let Err(e) = catalog::indexer::load_synonyms(&state.catalog, &state.search).await {
        tracing::error!(error = %e, "reading the search synonyms failed");
    }
    // The two projections are independent: on a first start (or after `reindex`) they build side by side, one core
    // each, instead of one after the other.
    let rdf = async {
        let resumed = state.projection.resumable();
        let loaded = loop {
            let outcome = if resumed {
                state.projection.resume().await.map(|()| 0)
            } else {
                state.projection.rebuild().await
            };
            match outcome {
                Ok(loaded) => break loaded,
                Err(e) => {
                    tracing::error!(error = %e, "building the RDF projection failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
            }
        };
        if resumed {
            tracing::info!(
                from_seq = state.projection.applied(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "RDF projection resumed from disk"
            );
        } else {
            tracing::info!(
                quads = loaded,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "RDF projection built"
            );
        }
    };
    let search = async {
        while let Err(e) = catalog::changes::catch_up(&state.catalog, &[&indexer]).await {
            tracing::error!(error = %e, "catching up the search index failed; retrying");
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
        tracing::info!(
            datasets = state.search.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index caught up"
        );
    };
    tokio::join!(rdf, search);
    let head = loop {
        match state.registry.version_tag().await {
            Ok(head) => break head,
            Err(e) => {
                tracing::error!(error = %e, "reading the change log's head failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
        }
    };
    let registry_watch =
        catalog::changes::RegistryWatch::new(state.registry.database().clone(), head);
    let projectors: [&dyn catalog::changes::Projector; 3] =
        [&state.projection, &indexer, &registry_watch];
    // Both follow the log from the sequence they recorded (both persist under the data directory; a rebuilt RDF
    // projection starts at the head it read).
    while let Err(e) = catalog::changes::catch_up(&state.catalog, &projectors).await {
        tracing::error!(error = %e, "catching up the projections failed; retrying");
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "projections ready"
    );
    state.set_ready();
    // Tables of the data API ingested before ingestion indexed them: indexed once, in the background.
    let catalog = state.catalog.clone();
    tokio::spawn(async move {
        match catalog.index_tables().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tables = n, "indexed the data API's older tables"),
            Err(e) => tracing::error!(error = %e, "indexing the data API's older tables failed"),
        }
    });
    let committed = state.registry.database().committed();
    loop {
        tokio::select! {
            () = committed.notified() => {}
            () = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
        }
        // Failures are logged by the loop itself and retried on the next wake-up.
        let _ = catalog::changes::catch_up(&state.catalog, &projectors).await;
    }
}

/// Keeps the whole-catalog dump current: polls the change log's head and, once it has moved past the dump and then
/// held still for one poll (a burst of writes costs one rebuild), or after a minute of constant writes, rebuilds. The
/// first dump (none on disk) is built as soon as the node is ready.
async fn keep_dump(state: AppState) {
    const POLL: std::time::Duration = std::time::Duration::from_secs(3);
    const AT_MOST: std::time::Duration = std::time::Duration::from_secs(60);
    let mut stale_since: Option<(std::time::Instant, i64)> = None;
    loop {
        tokio::time::sleep(POLL).await;
        // Not before the node is ready: on a first start the projections need both cores more.
        if !state.ready.load(std::sync::atomic::Ordering::SeqCst) {
            continue;
        }
        let head = match state.registry.version_tag().await {
            Ok(head) => head,
            Err(e) => {
                tracing::warn!(error = %e, "reading the change log's head for the dump failed");
                continue;
            }
        };
        if !state.dump.is_stale(head) {
            stale_since = None;
            continue;
        }
        // No dump at all: harvesters get 503 until there is one, so the first is built at once.
        if state.dump.current().is_some() {
            let Some((since, seen)) = stale_since else {
                stale_since = Some((std::time::Instant::now(), head));
                continue;
            };
            if seen != head && since.elapsed() < AT_MOST {
                stale_since = Some((since, head));
                continue;
            }
        }
        stale_since = None;
        match state.dump.build(&state.catalog, &state.catalog_info).await {
            Ok(d) => tracing::info!(
                seq = d.seq,
                datasets = d.datasets,
                triples = d.triples,
                bytes = d.bytes,
                elapsed_ms = d.build_ms,
                "catalog dump built"
            ),
            Err(e) => tracing::error!(error = %e, "building the catalog dump failed; retrying"),
        }
    }
}

/// A small boxed error for start-up, which only needs to be shown.
pub mod anyhow_like {
    /// Start-up error.
    pub type Error = Box<dyn std::error::Error + Send + Sync>;
    /// Start-up result.
    pub type Result<T> = std::result::Result<T, Error>;
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
