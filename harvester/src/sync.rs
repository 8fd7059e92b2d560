//! The sync engine: one run from a [`Source`] to a [`Target`] through the [`StateStore`].
//!
//! For each record the source names:
//! - unchanged (the sha256 of its canonical package equals the state's) → skipped, nothing sent;
//! - known to the state → `package_update` of its package;
//! - new → the state marks it `pending`, then `package_create`. A create is never blindly repeated: after a timeout,
//!   a 5xx or a dropped connection (the create may have been applied) and on a 409 saying the name is taken, the
//!   engine looks the name up and adopts the package it finds (updating it when it differs), so a lost answer never
//!   makes a duplicate. A later run finding `pending` does the same look-up first (the run that sent the create was
//!   killed before it heard back);
//! - gone (the source answers 404, or a full listing no longer names it) → `package_delete`, then the state forgets it.
//!
//! The state row is written right after each successful write, and the cursor is stored after a batch only when that
//! batch and every earlier one had no failure, so a run killed at any point (or one with failures) leaves the next
//! run to redo exactly what is not known to be done. Records run concurrently up to `--concurrency`.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::StreamExt;
use serde_json::Value;

use crate::client::Http;
use crate::package::{Organization, Package, project};
use crate::report::{Action, Report};
use crate::source::{Listed, Source};
use crate::state::{Mapping, StateStore};
use crate::target::{ActionError, Target};
use crate::{HarvestError, Options};

/// A record that could not be done: the step and the reason.
struct Failed {
    step: &'static str,
    reason: String,
}

impl Failed {
    fn new(step: &'static str, reason: impl std::fmt::Display) -> Self {
        Self {
            step,
            reason: reason.to_string(),
        }
    }
}

/// What became of one record.
struct Outcome {
    id: String,
    name: Option<String>,
    result: Result<Option<Action>, Failed>,
}

/// Organizations made sure of during the run, each once (concurrent records of one publisher wait for the first).
#[derive(Default)]
struct Organizations {
    cells: Mutex<HashMap<String, Arc<tokio::sync::OnceCell<()>>>>,
    created: AtomicU64,
}

impl Organizations {
    async fn ensure<T: Target>(&self, target: &T, org: &Organization) -> Result<(), ActionError> {
        let cell = self
            .cells
            .lock()
            .expect("organizations lock")
            .entry(org.name.clone())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            if target.ensure_organization(org).await? {
                self.created.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<(), ActionError>(())
        })
        .await
        .map(|_| ())
    }
}

/// What the state knew of one batch's records when the batch began: two queries for the batch instead of two for
/// each record (a query hands the work to the state connection's thread and back, which made the state reads and
/// writes the harvester's largest cost in a full sync).
#[derive(Default)]
struct Known {
    /// The mapping of each record of the batch the state knows.
    mappings: HashMap<String, Mapping>,
    /// Who holds each name the batch's listed packages carry: the state's record, else the first record of the
    /// batch that carries it (two new records of one batch with one name no longer race for it).
    owners: HashMap<String, String>,
    /// The names looked up; a name not here (a record the source is asked for one by one) is asked of the state.
    names: HashSet<String>,
}

impl Known {
    async fn read(state: &StateStore, records: &[(String, Listed)]) -> Result<Self, HarvestError> {
        let ids: Vec<&str> = records.iter().map(|(id, _)| id.as_str()).collect();
        let listed: Vec<(&str, &str)> = records
            .iter()
            .filter_map(|(id, l)| match l {
                Listed::Present(p) => Some((id.as_str(), p.name())),
                _ => None,
            })
            .collect();
        let names: HashSet<&str> = listed.iter().map(|(_, name)| *name).collect();
        let mappings = state.mappings(&ids).await?;
        let mut owners = state
            .owners(&names.iter().copied().collect::<Vec<_>>())
            .await?;
        for (id, name) in &listed {
            owners
                .entry((*name).to_owned())
                .or_insert_with(|| (*id).to_owned());
        }
        Ok(Self {
            mappings,
            owners,
            names: names.into_iter().map(str::to_owned).collect(),
        })
    }
}

struct Engine<'a, S, T> {
    source: &'a S,
    target: &'a T,
    state: &'a StateStore,
    http: &'a Http,
    organizations: Organizations,
    rewrite_all: bool,
    /// With `rewrite_all`: the records already written this run (a record the feed names twice is written once).
    rewritten: std::sync::Mutex<HashSet<String>>,
}

/// Runs one harvest and reports it. Failures of single records are in the report; a listing that cannot be read
/// ends the run with a failure named `(source)` (and, for a full listing, no deletions).
pub async fn run<S: Source, T: Target>(
    source: &S,
    target: &T,
    state: &StateStore,
    options: &Options,
    http: &Http,
) -> Result<Report, HarvestError> {
    let started = Instant::now();
    let mut report = Report {
        source: options.source.clone(),
        source_kind: source.kind().as_str().to_owned(),
        target: options.target.clone(),
        started_at: now(),
        ..Report::default()
    };
    let engine = Engine {
        source,
        target,
        state,
        http,
        organizations: Organizations::default(),
        rewrite_all: options.rewrite_all,
        rewritten: Default::default(),
    };
    let progress = if options.progress {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} {pos} records ({per_sec}) {msg}",
        )
        .expect("a valid template"),
    );
    progress.enable_steady_tick(std::time::Duration::from_millis(200));
    let concurrency = options.concurrency.max(1);
    report.cursor_before = state.cursor().await?;
    report.cursor_after = report.cursor_before.clone();
    let mut cursor = if options.rewrite_all {
        None
    } else {
        report.cursor_before.clone()
    };
    let mut blocked = false;
    let mut listed: HashSet<String> = HashSet::new();
    let mut counted: HashSet<String> = HashSet::new();
    let mut complete = false;
    // The next batch is read while this one's records are written (one read ahead, in order), so the workers do
    // not stand idle while the source renders a page.
    let mut fetched = Some(source.batch(cursor.as_deref()).await);
    loop {
        let batch = match fetched.take().expect("a batch is read ahead") {
            Ok(b) => b,
            Err(e) => {
                // Nothing after this point is known: no cursor move, and no deletions from a partial listing.
                report.fail("(source)", None, "list", e.to_string());
                complete = false;
                break;
            }
        };
        complete |= batch.complete;
        report.warnings.extend(batch.warnings);
        listed.extend(batch.records.iter().map(|(id, _)| id.clone()));
        let advanced = batch.cursor.is_some() && batch.cursor != cursor;
        let go_on = batch.more && advanced;
        let known = match Known::read(state, &batch.records).await {
            Ok(known) => known,
            Err(e) => {
                report.fail(
                    "(state)",
                    None,
                    "state",
                    format!("reading the batch's records: {e}"),
                );
                complete = false;
                break;
            }
        };
        let known = &known;
        let writing = futures_util::stream::iter(batch.records)
            .map(|(id, content)| engine.record(id, content, known))
            .buffer_unordered(concurrency)
            .collect::<Vec<Outcome>>();
        let outcomes = if go_on {
            let (outcomes, next) =
                futures_util::future::join(writing, source.batch(batch.cursor.as_deref())).await;
            fetched = Some(next);
            outcomes
        } else {
            writing.await
        };
        progress.inc(outcomes.len() as u64);
        blocked |= tally(&mut report, &mut counted, outcomes);
        progress.set_message(format!(
            "{} created, {} updated, {} deleted, {} skipped, {} failed",
            report.created, report.updated, report.deleted, report.skipped, report.failed
        ));
        if !blocked
            && !batch.transient_cursor
            && let Some(c) = &batch.cursor
        {
            match state.set_cursor(c).await {
                Ok(()) => report.cursor_after = Some(c.clone()),
                Err(e) => {
                    report.fail("(state)", None, "state", format!("storing the cursor: {e}"));
                    blocked = true;
                }
            }
        }
        cursor = batch.cursor.or(cursor);
        if !go_on {
            break;
        }
    }
    if complete {
        let known = state.source_ids().await.unwrap_or_else(|e| {
            report.fail(
                "(state)",
                None,
                "state",
                format!("listing known records: {e}"),
            );
            Vec::new()
        });
        let gone: Vec<String> = known
            .into_iter()
            .filter(|id| !listed.contains(id))
            .collect();
        let outcomes: Vec<Outcome> = futures_util::stream::iter(gone)
            .map(|id| engine.gone(id))
            .buffer_unordered(concurrency)
            .collect()
            .await;
        progress.inc(outcomes.len() as u64);
        tally(&mut report, &mut counted, outcomes);
    }
    progress.finish_and_clear();
    report.organizations_created = engine.organizations.created.load(Ordering::Relaxed);
    report.writes = report.package_writes + report.organizations_created;
    report.requests = http.stats.requests.load(Ordering::Relaxed);
    report.retries = http.stats.retries.load(Ordering::Relaxed);
    report.rate_limited = http.stats.rate_limited.load(Ordering::Relaxed);
    report.finished_at = now();
    report.duration_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// Adds outcomes to the report; a record seen again in a later batch of the same run and found unchanged is not
/// counted twice. Answers whether any failed.
fn tally(report: &mut Report, counted: &mut HashSet<String>, outcomes: Vec<Outcome>) -> bool {
    let mut any_failed = false;
    for o in outcomes {
        let first_time = counted.insert(o.id.clone());
        match o.result {
            Ok(Some(Action::Skipped)) if !first_time => {}
            Ok(Some(action)) => report.record(&o.id, o.name.as_deref().unwrap_or_default(), action),
            Ok(None) => {}
            Err(f) => {
                any_failed = true;
                report.fail(&o.id, o.name.as_deref(), f.step, f.reason);
            }
        }
    }
    any_failed
}

impl<S: Source, T: Target> Engine<'_, S, T> {
    async fn record(&self, id: String, listed: Listed, known: &Known) -> Outcome {
        let content = match listed {
            Listed::Fetch => self.source.fetch(&id).await,
            Listed::Present(p) => Ok(Some(*p)),
            Listed::Invalid(reason) => Err(HarvestError::Rejected(reason)),
        };
        match content {
            Err(e) => Outcome {
                id,
                name: None,
                result: Err(Failed::new("read", e)),
            },
            Ok(None) => self.gone(id).await,
            Ok(Some(package)) => {
                let name = package.name().to_owned();
                let result = self.upsert(&id, &package, known).await;
                Outcome {
                    id,
                    name: Some(name),
                    result: result.map(Some),
                }
            }
        }
    }

    async fn upsert(&self, id: &str, package: &Package, batch: &Known) -> Result<Action, Failed> {
        let sha = package.sha256();
        let name = package.name();
        let mapping = batch.mappings.get(id).cloned();
        let known = mapping
            .as_ref()
            .filter(|m| !m.pending)
            .and_then(|m| m.target_id.clone().map(|t| (t, m)));
        let force = self.rewrite_all
            && self
                .rewritten
                .lock()
                .expect("not poisoned")
                .insert(id.to_owned());
        if let Some((_, m)) = &known
            && !force
            && m.sha256.as_deref() == Some(sha.as_str())
            && m.target_name == name
        {
            return Ok(Action::Skipped);
        }
        if let Some(org) = &package.organization {
            self.organizations
                .ensure(self.target, org)
                .await
                .map_err(|e| Failed::new("organization", format!("{}: {e}", org.name)))?;
        }
        if let Some((target_id, _)) = known {
            match self.target.update(&target_id, package, false).await {
                Ok(()) => {
                    self.put(id, &target_id, name, &sha).await?;
                    return Ok(Action::Updated);
                }
                // Purged on the target behind our back: make it again.
                Err(ActionError::NotFound) => {}
                Err(e) => return Err(Failed::new("update", e)),
            }
        }
        let pending_before = mapping.as_ref().is_some_and(|m| m.pending);
        self.create(id, package, &sha, pending_before, batch).await
    }

    async fn put(&self, id: &str, target_id: &str, name: &str, sha: &str) -> Result<(), Failed> {
        self.state
            .put(id, target_id, name, sha)
            .await
            .map_err(|e| Failed::new("state", e))
    }

    /// Creates the package of a record the target does not hold for us yet, adopting what its name already holds.
    async fn create(
        &self,
        id: &str,
        package: &Package,
        sha: &str,
        pending_before: bool,
        batch: &Known,
    ) -> Result<Action, Failed> {
        let name = package.name();
        let owner = if batch.names.contains(name) {
            Ok(batch.owners.get(name).cloned())
        } else {
            self.state.owner_of_name(name).await
        };
        match owner {
            Ok(Some(owner)) if owner != id => {
                return Err(Failed::new(
                    "create",
                    format!(
                        "the name {name:?} already belongs to the package of source record {owner}"
                    ),
                ));
            }
            Ok(_) => {}
            Err(e) => return Err(Failed::new("state", e)),
        }
        if pending_before && let Some(action) = self.adopt(id, package, sha, true).await? {
            return Ok(action);
        }
        self.state
            .mark_pending(id, name)
            .await
            .map_err(|e| Failed::new("state", e))?;
        let policy = self.http.policy();
        let mut attempt = 0;
        let mut maybe_applied = pending_before;
        loop {
            attempt += 1;
            match self.target.create(package).await {
                Ok(target_id) => {
                    self.put(id, &target_id, name, sha).await?;
                    return Ok(Action::Created);
                }
                Err(e) if e.is_name_taken() => {
                    return match self.adopt(id, package, sha, maybe_applied).await? {
                        Some(action) => Ok(action),
                        None => Err(Failed::new("create", e)),
                    };
                }
                Err(ActionError::Transient(reason)) => {
                    if attempt >= policy.max_attempts {
                        return Err(Failed::new(
                            "create",
                            format!("{reason} (gave up after {attempt} attempts)"),
                        ));
                    }
                    maybe_applied = true;
                    self.http.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(policy.backoff(attempt)).await;
                    // The create may have been applied: look before sending it again.
                    if let Some(action) = self.adopt(id, package, sha, true).await? {
                        return Ok(action);
                    }
                }
                Err(e) => return Err(Failed::new("create", e)),
            }
        }
    }

    /// Takes over the package the target holds under the record's name, if any: as it is when it equals ours, else
    /// replaced (and brought back when deleted). `ours` says a create of ours may have made it.
    async fn adopt(
        &self,
        id: &str,
        package: &Package,
        sha: &str,
        ours: bool,
    ) -> Result<Option<Action>, Failed> {
        let name = package.name();
        let Some(existing) = self
            .target
            .show(name)
            .await
            .map_err(|e| Failed::new("create", format!("looking up {name:?}: {e}")))?
        else {
            return Ok(None);
        };
        let Some(target_id) = existing
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return Err(Failed::new(
                "create",
                format!("package_show of {name:?} answered no id"),
            ));
        };
        let active = existing
            .get("state")
            .and_then(Value::as_str)
            .unwrap_or("active")
            == "active";
        let action = if active && project(&existing) == package.canonical() {
            if ours {
                Action::Created
            } else {
                Action::Adopted
            }
        } else {
            self.target
                .update(&target_id, package, !active)
                .await
                .map_err(|e| Failed::new("update", e))?;
            Action::Created
        };
        self.put(id, &target_id, name, sha).await?;
        Ok(Some(action))
    }

    /// A record the source no longer has: its package (if we made one) is deleted, and the state forgets it.
    async fn gone(&self, id: String) -> Outcome {
        let result = async {
            let Some(mapping) = self
                .state
                .get(&id)
                .await
                .map_err(|e| Failed::new("state", e))?
            else {
                return Ok((None, None));
            };
            let target_id = match mapping.target_id.clone() {
                Some(t) => Some(t),
                // A create was sent but its answer never recorded: whatever holds the name came from it.
                None => self
                    .target
                    .show(&mapping.target_name)
                    .await
                    .map_err(|e| {
                        Failed::new(
                            "delete",
                            format!("looking up {:?}: {e}", mapping.target_name),
                        )
                    })?
                    .and_then(|p| p.get("id").and_then(Value::as_str).map(str::to_owned)),
            };
            if let Some(t) = &target_id {
                self.target
                    .delete(t)
                    .await
                    .map_err(|e| Failed::new("delete", e))?;
            }
            self.state
                .remove(&id)
                .await
                .map_err(|e| Failed::new("state", e))?;
            Ok((
                Some(mapping.target_name),
                target_id.map(|_| Action::Deleted),
            ))
        }
        .await;
        match result {
            Ok((name, action)) => Outcome {
                id,
                name,
                result: Ok(action),
            },
            Err(f) => Outcome {
                id,
                name: None,
                result: Err(f),
            },
        }
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
