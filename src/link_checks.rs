//! Link checks of distributions held elsewhere: the requests themselves (the record is `catalog::quality::links`'s).
//!
//! A URL someone else supplied is checked with the harvester's SSRF-guarded client (no loopback, private or link-local
//! address, whether literal, resolved or reached by a redirect) unless the operator allows private addresses, and
//! politely: one request at a time, a `HEAD` first (a `GET` of the first byte only where `HEAD` is refused), at most
//! [`PER_RUN`] URLs a run, never the same host twice within [`HOST_GAP`], each URL again only after `max_age`. The
//! server runs a check every `--link-check-every` minutes; an admin can run one now (`POST /api/v1/admin/link-checks`).
use std::collections::HashMap;
use std::time::{Duration, Instant};

use catalog::Catalog;
use catalog::quality::links::LinkCheck;
use serde::Serialize;

/// URLs checked per run at most.
pub const PER_RUN: usize = 200;
/// The least time between two requests to one host.
pub const HOST_GAP: Duration = Duration::from_millis(500);
/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// How the server checks links.
#[derive(Debug, Clone)]
pub struct LinkCheckConfig {
    /// How often a run starts (`None`: only when an admin asks).
    pub every: Option<Duration>,
    /// A URL is checked again once its latest check is this old.
    pub max_age: Duration,
    /// Check loopback, private and link-local addresses too (tests, closed networks).
    pub allow_private: bool,
}

impl Default for LinkCheckConfig {
    fn default() -> Self {
        Self {
            every: Some(Duration::from_secs(3600)),
            max_age: Duration::from_secs(24 * 3600),
            allow_private: false,
        }
    }
}

/// What one run did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkRun {
    /// URLs checked.
    pub checked: usize,
    /// Of those, the ones that did not answer with a 2xx or 3xx.
    pub broken: usize,
    /// Every check made, in order.
    pub checks: Vec<LinkCheck>,
}

/// The checker: one client, one run at a time.
pub struct LinkChecker {
    http: harvester::client::Http,
    config: LinkCheckConfig,
    running: tokio::sync::Mutex<()>,
}

impl LinkChecker {
    /// A checker with `config`.
    pub fn new(config: LinkCheckConfig) -> Result<Self, harvester::HarvestError> {
        // One attempt: a link that fails is reported as it is, and checked again at the next run.
        let policy = harvester::client::RetryPolicy {
            max_attempts: 1,
            max_rate_limited: 0,
            ..Default::default()
        };
        let http = if config.allow_private {
            harvester::client::Http::new(TIMEOUT, policy)?
        } else {
            harvester::client::Http::public_only(TIMEOUT, policy)?
        };
        Ok(Self {
            http,
            config,
            running: tokio::sync::Mutex::new(()),
        })
    }

    /// How often the server runs a check.
    pub fn every(&self) -> Option<Duration> {
        self.config.every
    }

    /// Checks the URLs that are due (never checked, or last checked `max_age` ago), `force` checking every one.
    pub async fn run(
        &self,
        catalog: &Catalog,
        force: bool,
    ) -> Result<LinkRun, catalog::CatalogError> {
        let _one_at_a_time = self.running.lock().await;
        let before = if force {
            chrono::Utc::now() + chrono::Duration::seconds(1)
        } else {
            chrono::Utc::now() - chrono::Duration::from_std(self.config.max_age).unwrap_or_default()
        };
        let due = catalog.links_due(&before.to_rfc3339(), PER_RUN).await?;
        let mut last_at: HashMap<String, Instant> = HashMap::new();
        let mut run = LinkRun::default();
        for link in due {
            let url = link.url;
            let host = reqwest::Url::parse(&url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            if let Some(at) = last_at.get(&host) {
                let since = at.elapsed();
                if since < HOST_GAP {
                    tokio::time::sleep(HOST_GAP - since).await;
                }
            }
            let check = self.check(&url).await;
            last_at.insert(host, Instant::now());
            let used_by: Vec<String> = link.used_by.into_iter().map(|(id, _, _)| id).collect();
            catalog.record_link_check(&check, &used_by).await?;
            run.checked += 1;
            run.broken += usize::from(!check.ok);
            run.checks.push(check);
        }
        Ok(run)
    }

    /// One check of `url`: `HEAD`, or a one-byte `GET` where `HEAD` is not allowed.
    async fn check(&self, url: &str) -> LinkCheck {
        let checked_at = chrono::Utc::now().to_rfc3339();
        let outcome = match reqwest::Url::parse(url) {
            Err(e) => Err(format!("not a URL: {e}")),
            Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => {
                Err(format!("not an http(s) URL: {}", parsed.scheme()))
            }
            Ok(parsed) => match self.refused(&parsed) {
                Some(why) => Err(why),
                None => self.status(parsed).await,
            },
        };
        match outcome {
            Ok(status) => LinkCheck {
                url: url.to_owned(),
                checked_at,
                ok: status < 400,
                status: Some(status),
                error: None,
            },
            Err(error) => LinkCheck {
                url: url.to_owned(),
                checked_at,
                ok: false,
                status: None,
                error: Some(error),
            },
        }
    }

    /// Why a literal address in the URL is refused (names and redirects are checked by the client itself).
    fn refused(&self, url: &reqwest::Url) -> Option<String> {
        if self.config.allow_private {
            return None;
        }
        harvester::ssrf::check_url(url).err().map(|e| e.to_string())
    }

    async fn status(&self, url: reqwest::Url) -> Result<u16, String> {
        let client = self.http.client();
        let head = client
            .head(url.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = head.status().as_u16();
        if !matches!(status, 405 | 501) {
            return Ok(status);
        }
        let get = client
            .get(url)
            .header(reqwest::header::RANGE, "bytes=0-0")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(get.status().as_u16())
    }
}

/// Runs the checks every `every` until the task is aborted, and records the day's quality totals after each run.
pub async fn keep_checking(catalog: Catalog, checker: std::sync::Arc<LinkChecker>) {
    // Reports of CSV files stored before reports existed, or stored without an upload (seeds): computed once at start,
    // so every file has its report before anyone asks (uploads compute theirs as they arrive).
    match catalog.backfill_csv_reports().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "CSV validation reports computed"),
        Err(e) => tracing::warn!(error = %e, "computing missing CSV validation reports failed"),
    }
    let Some(every) = checker.every() else {
        return;
    };
    loop {
        tokio::time::sleep(every).await;
        match checker.run(&catalog, false).await {
            Ok(run) => tracing::info!(checked = run.checked, broken = run.broken, "links checked"),
            Err(e) => tracing::warn!(error = %e, "checking links failed"),
        }
        if let Err(e) = record_today(&catalog).await {
            tracing::warn!(error = %e, "recording the day's quality totals failed");
        }
    }
}

/// Keeps the catalog's and every agency's quality totals now as today's in the history (replacing today's earlier
/// figures): after each link-check run, scheduled or asked for.
pub async fn record_today(catalog: &Catalog) -> Result<(), catalog::CatalogError> {
    let summary = catalog.quality_summary().await?;
    catalog
        .record_quality_day(chrono::Utc::now().date_naive(), &summary)
        .await
}
