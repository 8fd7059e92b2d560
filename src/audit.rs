//! The audit: composes the checks each owner provides — the change log's chain ([`registry::changelog::verify`]), the
//! registry's rows ([`registry::verify`]), the catalog's rows, files and projections ([`catalog::verify`]), the
//! accounts ([`crate::accounts::verify_accounts`]) and a saved checkpoint ([`crate::checkpoints::check_extends`]) —
//! into one [`AuditReport`] that names every bad subject. `opendata audit verify` runs all of it; the server runs the
//! cheap part (chain and projection counts) every `--audit-every`, publishes the outcome in `/metrics`, and signs a
//! checkpoint of the head then and right after every registry release.
use std::path::{Path, PathBuf};
use std::time::Duration;

use registry::changelog::ChainCheck;
use registry::verify::{Finding, LogIndex};
use registry::{Database, RegistryError};
use serde::Serialize;

use crate::checkpoints::Checkpoint;
use crate::http::AppState;

/// What an audit found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    /// True when nothing is wrong.
    pub ok: bool,
    /// The change log's chain.
    pub chain: ChainCheck,
    /// Whether the rows were checked against the log (the full audit), not only the chain.
    pub state_checked: bool,
    /// Files re-hashed, when they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<catalog::verify::FileCheck>,
    /// The projections' counts and SQL's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projections: Option<catalog::verify::ProjectionCounts>,
    /// The checkpoint proven against, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
    /// Every bad subject.
    pub findings: Vec<Finding>,
}

impl AuditReport {
    fn new(chain: ChainCheck) -> Self {
        let mut findings = Vec::new();
        if let Some(seq) = chain.first_bad_seq {
            findings.push(Finding::new(
                "change-log",
                format!("entry {seq}"),
                "its hash does not verify: the entry, or one before it, was altered or removed",
            ));
        }
        Self {
            ok: false,
            chain,
            state_checked: false,
            files: None,
            projections: None,
            checkpoint: None,
            findings,
        }
    }

    fn finish(mut self) -> Self {
        self.ok = self.findings.is_empty();
        self
    }

    /// The report for a terminal: one line per finding, then a summary.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            out.push_str(&format!("BAD {f}\n"));
        }
        out.push_str(&format!(
            "change log: {} entries, head {}\n",
            self.chain.entries, self.chain.head
        ));
        if let Some(files) = &self.files {
            out.push_str(&format!(
                "files: {} re-hashed ({} bytes)\n",
                files.files, files.bytes
            ));
        }
        if let Some(c) = &self.checkpoint {
            out.push_str(&format!(
                "checkpoint: seq {} signed {}\n",
                c.seq, c.signed_at
            ));
        }
        out.push_str(&if self.ok {
            "audit passed: change log verified, state agrees with it\n".to_owned()
        } else {
            format!("audit FAILED: {} problem(s)\n", self.findings.len())
        });
        out
    }
}

/// What a full audit covers beyond the chain.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// The data directory (stored files, the search index, the checkpoint key).
    pub data_dir: PathBuf,
    /// Skip re-hashing the stored files (they can be large).
    pub skip_files: bool,
    /// Prove that the log extends this checkpoint.
    pub checkpoint: Option<Checkpoint>,
}

fn storage(e: impl std::fmt::Display) -> RegistryError {
    RegistryError::Storage(e.to_string())
}

/// The full audit: the chain, every row against the log, every file against its hash, the search index's count
/// against SQL and, when given, a saved checkpoint.
pub async fn verify(db: &Database, options: &AuditOptions) -> Result<AuditReport, RegistryError> {
    let pool = db.pool();
    let mut report = AuditReport::new(registry::changelog::verify(pool).await?);
    let (found, referenced) = verify_state(pool).await?;
    report.findings.extend(found);
    report.state_checked = true;
    if !options.skip_files {
        let dir = options.data_dir.clone();
        let (check, found) =
            tokio::task::spawn_blocking(move || catalog::verify::verify_files(&dir, &referenced))
                .await
                .map_err(storage)?
                .map_err(storage)?;
        report.files = Some(check);
        report.findings.extend(found);
    }
    let registry = registry::Registry::new(db.clone(), "");
    let catalog = catalog::Catalog::new(db.clone(), registry);
    let mut counts = catalog::verify::ProjectionCounts::from_sql(&catalog)
        .await
        .map_err(storage)?;
    counts.search =
        catalog::verify::search_index_count(&options.data_dir.join("index")).map_err(storage)?;
    report.findings.extend(counts.findings());
    report.projections = Some(counts);
    if let Some(checkpoint) = &options.checkpoint {
        let own_key = local_public_key(&options.data_dir);
        report
            .findings
            .extend(crate::checkpoints::check_extends(pool, checkpoint, own_key.as_deref()).await?);
        report.checkpoint = Some(checkpoint.clone());
    }
    Ok(report.finish())
}

/// The state half of the audit: every registry row, dataset revision, open-data list and account change against the
/// hash the change log recorded for it (the backups run it on each restored copy too). Returns the findings and the
/// file hashes the dataset revisions name.
pub async fn verify_state(
    pool: &sqlx::AnyPool,
) -> Result<(Vec<Finding>, std::collections::BTreeSet<String>), RegistryError> {
    let log = LogIndex::load(pool).await?;
    let mut findings = registry::verify::verify_registry(pool, &log).await?;
    let (found, referenced) = catalog::verify::verify_catalog(pool, &log)
        .await
        .map_err(storage)?;
    findings.extend(found);
    findings.extend(crate::accounts::verify_accounts(pool, &log).await?);
    Ok((findings, referenced))
}

/// The public key of the key file under `data_dir`, when there is one (never created here).
fn local_public_key(data_dir: &Path) -> Option<String> {
    data_dir
        .join(crate::checkpoints::KEY_FILE)
        .exists()
        .then(|| crate::checkpoints::load_or_create_key(data_dir).ok())
        .flatten()
        .map(|k| hex::encode(k.verifying_key().as_bytes()))
}

/// The cheap audit a running server repeats: the chain, and the search index's and RDF store's counts against SQL.
pub async fn verify_cheap(state: &AppState) -> Result<AuditReport, RegistryError> {
    let pool = state.registry.database().pool();
    let mut report = AuditReport::new(registry::changelog::verify(pool).await?);
    let mut counts = catalog::verify::ProjectionCounts::from_sql(&state.catalog)
        .await
        .map_err(storage)?;
    let search = state.search.clone();
    let projection = state.projection.clone();
    let (documents, rdf) = tokio::task::spawn_blocking(move || {
        (
            search.len(),
            catalog::verify::RdfCount {
                datasets: projection.dataset_count() as u64,
                lists: projection.list_count() as u64,
                applied: projection.applied(),
            },
        )
    })
    .await
    .map_err(storage)?;
    counts.search = Some(catalog::verify::ProjectionCount {
        datasets: documents,
        applied: state.search.applied(),
    });
    counts.rdf = Some(rdf);
    report.findings.extend(counts.findings());
    report.projections = Some(counts);
    Ok(report.finish())
}

/// How often the server audits and signs.
#[derive(Debug, Clone, Copy)]
pub struct AuditSchedule {
    /// The cheap audit and a checkpoint of the head (when it moved) this often.
    pub every: Duration,
    /// How often the change log is looked at for new registry releases (each gets a checkpoint at once).
    pub release_poll: Duration,
}

impl Default for AuditSchedule {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(600),
            release_poll: Duration::from_secs(1),
        }
    }
}

/// Audits and signs on `schedule` until aborted: once at start (after the projections are ready), then every
/// `schedule.every`, and signs a checkpoint as soon as a registry release appears in the change log.
pub async fn keep_watch(state: AppState, schedule: AuditSchedule) {
    while !state.ready.load(std::sync::atomic::Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut next_audit = tokio::time::Instant::now();
    let mut seen = 0i64;
    loop {
        if tokio::time::Instant::now() >= next_audit {
            next_audit = tokio::time::Instant::now() + schedule.every;
            // The head before the round: a release committed while it runs is signed on the next turn, not skipped.
            let before = state.registry.version_tag().await.unwrap_or(seen);
            run_once(&state).await;
            seen = before;
        } else {
            match release_after(&state, seen).await {
                Ok(Some(head)) => {
                    // As above: `head` was read before signing, so a release racing the signature is seen again.
                    sign(&state).await;
                    seen = head;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "audit: reading the change log failed"),
            }
        }
        tokio::time::sleep(schedule.release_poll.min(schedule.every)).await;
    }
}

/// The head, when a registry release was recorded after `seen`.
async fn release_after(state: &AppState, seen: i64) -> Result<Option<i64>, RegistryError> {
    use sqlx::Row;
    let row =
        sqlx::query("SELECT MAX(seq) FROM change_log WHERE seq > $1 AND action = 'release.create'")
            .bind(seen)
            .fetch_one(state.registry.database().pool())
            .await?;
    match row.try_get::<Option<i64>, _>(0)? {
        Some(_) => Ok(Some(state.registry.version_tag().await?)),
        None => Ok(None),
    }
}

/// One round: the cheap audit into the metrics, then a checkpoint when the chain is sound.
pub async fn run_once(state: &AppState) {
    match verify_cheap(state).await {
        Ok(report) => {
            state.metrics.record_audit(&report);
            if report.ok {
                tracing::debug!(entries = report.chain.entries, "audit passed");
            } else {
                for f in &report.findings {
                    tracing::error!(kind = %f.kind, subject = %f.subject, problem = %f.problem, "audit finding");
                }
            }
            if report.chain.first_bad_seq.is_none() {
                sign(state).await;
            }
        }
        Err(e) => tracing::error!(error = %e, "audit failed to run"),
    }
}

async fn sign(state: &AppState) {
    match state.checkpoints.sign_head().await {
        Ok(Some(c)) => {
            state.metrics.record_checkpoint(c.seq);
            tracing::info!(seq = c.seq, head = %c.head, "checkpoint signed");
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "signing a checkpoint failed"),
    }
}
