#![doc = include_str!("../README.md")]

pub mod client;
pub mod error;
pub mod opendata;
pub mod package;
pub mod report;
pub mod source;
pub mod ssrf;
pub mod state;
pub mod sync;
pub mod target;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use error::HarvestError;
pub use report::Report;

use client::{Http, RetryPolicy};
use source::{AnySource, SourceKind};
use state::StateStore;
use target::CkanTarget;

/// What the target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetKind {
    /// A CKAN portal's Action API.
    #[default]
    Ckan,
    /// Another opendata server's catalog, through its JSON API ([`opendata::OpendataTarget`]).
    Opendata,
}

impl std::str::FromStr for TargetKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ckan" => Ok(TargetKind::Ckan),
            "opendata" => Ok(TargetKind::Opendata),
            other => Err(format!("{other:?}: one of ckan, opendata")),
        }
    }
}

/// What `opendata harvest` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The source: an opendata server's base URL, a DCAT catalogue page, or a CKAN portal's base URL.
    pub source: String,
    /// How to read the source; detected when `None`.
    pub source_kind: Option<SourceKind>,
    /// A token for the source (an opendata API key lifts the anonymous rate limit), sent as `Authorization: Bearer`.
    pub source_token: Option<String>,
    /// The CKAN portal's base URL (the Action API is under `/api/3/action/`).
    pub target: String,
    /// The portal's API token, sent in the `Authorization` header.
    pub target_token: String,
    /// What the target is.
    pub target_kind: TargetKind,
    /// For an opendata target: source publishers (IRI, name or organization) → agency codes of its registry.
    pub agency_map: opendata::AgencyMap,
    /// Folder of the state stores (one SQLite file per source and target).
    pub state_dir: PathBuf,
    /// Records processed at once.
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries of transient failures and 429s.
    pub retry: RetryPolicy,
    /// Let the source be on loopback, private or link-local addresses (refused by default: SSRF).
    pub allow_private_sources: bool,
    /// Ignore the stored cursor and hashes: read the whole source and write every record (what a full re-harvest
    /// costs; for benchmarks and for repairing a target changed behind the harvester's back).
    pub rewrite_all: bool,
    /// Draw a progress line on standard error when it is a terminal.
    pub progress: bool,
    /// What the state store knows the target as, when not its URL: a server harvesting into itself reaches itself
    /// on a port that changes with each start, and names itself by its base URI so its state survives restarts.
    pub target_name: Option<String>,
}

impl Options {
    /// Defaults for everything but the four required settings.
    pub fn new(
        source: impl Into<String>,
        target: impl Into<String>,
        target_token: impl Into<String>,
        state_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            source: source.into(),
            source_kind: None,
            source_token: None,
            target: target.into(),
            target_token: target_token.into(),
            target_kind: TargetKind::Ckan,
            agency_map: Default::default(),
            state_dir: state_dir.into(),
            concurrency: 4,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            allow_private_sources: false,
            rewrite_all: false,
            progress: false,
            target_name: None,
        }
    }
}

/// One harvest run: reads what changed on the source, writes it to the target, returns the report.
pub async fn harvest(options: &Options) -> Result<Report, HarvestError> {
    for (flag, url) in [("--source", &options.source), ("--target", &options.target)] {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| HarvestError::Config(format!("{flag} {url:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(HarvestError::Config(format!(
                "{flag} {url:?} is not an http:// or https:// URL"
            )));
        }
        if flag == "--source" && !options.allow_private_sources {
            ssrf::check_url(&parsed).map_err(|e| HarvestError::Config(format!("{flag}: {e}")))?;
        }
    }
    // The source is someone else's URL: checked against SSRF unless allowed. The target is the operator's own.
    let source_http = Arc::new(if options.allow_private_sources {
        Http::new(options.timeout, options.retry.clone())?
    } else {
        Http::public_only(options.timeout, options.retry.clone())?
    });
    let http = Arc::new(Http::new(options.timeout, options.retry.clone())?);
    let source = AnySource::open(
        source_http.clone(),
        &options.source,
        options.source_kind,
        options.source_token.clone(),
    )
    .await?;
    let target_name = options.target_name.as_deref().unwrap_or(&options.target);
    let state = StateStore::open(&options.state_dir, &options.source, target_name).await?;
    let report = match options.target_kind {
        TargetKind::Ckan => {
            let target = CkanTarget::new(
                http.clone(),
                &options.target,
                Some(options.target_token.clone()),
            );
            sync::run(&source, &target, &state, options, &http).await
        }
        TargetKind::Opendata => {
            let target = opendata::OpendataTarget::open(
                http.clone(),
                &options.target,
                &options.target_token,
                &options.source,
                options.agency_map.clone(),
            )
            .await?;
            let report = sync::run(&source, &target, &state, options, &http).await;
            report.map(|mut r| {
                r.warnings.extend(target.take_warnings());
                r
            })
        }
    };
    state.close().await;
    report.map(|mut r| {
        use std::sync::atomic::Ordering::Relaxed;
        r.requests += source_http.stats.requests.load(Relaxed);
        r.retries += source_http.stats.retries.load(Relaxed);
        r.rate_limited += source_http.stats.rate_limited.load(Relaxed);
        r
    })
}

/// One harvest run that always ends in a report: a source that cannot be opened, or a state store that fails, is a
/// failure in it (named `(source)` or `(state)`) rather than an error.
pub async fn harvest_reported(options: &Options) -> Report {
    let started = std::time::Instant::now();
    match harvest(options).await {
        Ok(report) => report,
        Err(e) => {
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let mut report = Report {
                source: options.source.clone(),
                source_kind: options
                    .source_kind
                    .map(|k| k.as_str().to_owned())
                    .unwrap_or_default(),
                target: options.target.clone(),
                started_at: now.clone(),
                finished_at: now,
                duration_ms: started.elapsed().as_millis() as u64,
                ..Report::default()
            };
            let (record, step) = match e {
                HarvestError::State(_) | HarvestError::Io(_) => ("(state)", "state"),
                _ => ("(source)", "open"),
            };
            report.fail(record, None, step, e.to_string());
            report
        }
    }
}

/// Posts the report to an opendata server's harvest history (`POST {base}/api/v1/admin/harvest-runs` with an admin
/// token); answers where it was recorded.
pub async fn record_run(
    base: &str,
    token: &str,
    report: &Report,
    timeout: Duration,
) -> Result<String, HarvestError> {
    let http = Http::new(timeout, RetryPolicy::default())?;
    let url = format!("{}/api/v1/admin/harvest-runs", base.trim_end_matches('/'));
    let body = serde_json::to_vec(report).expect("reports serialize");
    // Not idempotent (a retried post could record the run twice): sent once.
    let answer = http
        .send(
            || {
                http.client()
                    .post(&url)
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body.clone())
            },
            false,
        )
        .await?;
    if !answer.status.is_success() {
        return Err(HarvestError::Config(format!(
            "{url} answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )));
    }
    let recorded: serde_json::Value = serde_json::from_slice(&answer.body)
        .map_err(|e| HarvestError::Config(format!("{url}: {e}")))?;
    Ok(format!("{url}/{}", recorded["id"]))
}

/// Writes the report as JSON to `path`, atomically (a reader never sees half a report).
pub fn write_report(path: &std::path::Path, report: &Report) -> Result<(), HarvestError> {
    let json = serde_json::to_vec_pretty(report).expect("reports serialize");
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Parses a duration: `500ms`, `30s`, `5m`, `2h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 500ms, 30s, 5m or 2h"))?;
    let seconds = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => return Err(format!("unknown unit {other:?} in {text:?} (ms, s, m, h)")),
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("{text:?} is not a duration"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert!(parse_duration("5 fortnights").is_err());
    }
}
