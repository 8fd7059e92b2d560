//! Following the change log: the typed reader every projection uses, and the one catch-up loop that drives them.
//!
//! The change log is the registry's table ([`registry::changelog`]); projections never query it. They read it here,
//! as batches of entries whose subjects are already typed ([`Subject`]), and implement [`Projector`] to apply a
//! batch. [`catch_up`] runs each projector from the sequence it has applied to the head of the log, a batch at a
//! time; applying an entry twice is harmless, so a crash between applying and recording a batch only repeats it.
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;

use crate::error::CatalogError;
use crate::store::Catalog;

/// What a change-log entry is about, read from its subject URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A dataset (its revisions, files and releases included), by id.
    Dataset(String),
    /// A code list (its items, change requests and releases included), by id.
    List(String),
    /// Anything no projection shows (accounts, settings, open-data plans, ...).
    Other,
}

impl Subject {
    /// Reads a subject URI by its path, not its base URI: the base may have changed since the entry was written.
    pub fn parse(uri: &str) -> Self {
        if let Some((_, rest)) = uri.split_once("/dataset/") {
            Self::Dataset(segment(rest))
        } else if let Some((_, rest)) = uri.split_once("/registry/") {
            Self::List(segment(rest))
        } else {
            Self::Other
        }
    }
}

/// The first path segment of `rest`, percent-decoded.
fn segment(rest: &str) -> String {
    let raw = rest.split(['/', '?', '#']).next().unwrap_or_default();
    percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned()
}

/// One batch of change-log entries, by what they touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// The sequence of the last entry read.
    pub last_seq: i64,
    /// Entries read.
    pub entries: usize,
    /// Datasets named by the entries.
    pub datasets: BTreeSet<String>,
    /// Code lists named by the entries.
    pub lists: BTreeSet<String>,
    /// What the public saw happen to datasets of the batch (`dataset.publish`, `dataset.withdraw`,
    /// `dataset.release`), by dataset: draft edits, submissions and returns are not here.
    pub public_events: BTreeMap<String, BTreeSet<PublicEvent>>,
    /// What the batch applied to each code list's items, and the releases it made (proposals, approvals and
    /// rejections of change requests are not here: an approval's items are).
    pub list_events: BTreeMap<String, ListEvents>,
}

/// Applied changes to one code list in a batch: codes by kind of change, and release numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListEvents {
    /// The list was created.
    pub created: bool,
    /// Codes added.
    pub added: BTreeSet<String>,
    /// Codes whose content changed.
    pub modified: BTreeSet<String>,
    /// Codes superseded by others.
    pub superseded: BTreeSet<String>,
    /// Codes retired.
    pub retired: BTreeSet<String>,
    /// Releases made.
    pub releases: BTreeSet<i64>,
}

impl ListEvents {
    /// Records the entry `action` on `subject` (a URI under the list), if it is an applied change.
    fn record(&mut self, action: &str, subject: &str) {
        // `{base}/registry/{list}/{code}` for items, `{base}/registry/{list}/releases/{n}` for releases.
        let after_list = subject
            .split_once("/registry/")
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        let codes = match action {
            "list.create" => {
                self.created = true;
                return;
            }
            "release.create" => {
                if let Some(n) = after_list
                    .strip_prefix("releases/")
                    .and_then(|n| segment(n).parse().ok())
                {
                    self.releases.insert(n);
                }
                return;
            }
            "item.add" => &mut self.added,
            "item.modify" => &mut self.modified,
            "item.supersede" => &mut self.superseded,
            "item.retire" => &mut self.retired,
            _ => return,
        };
        let code = segment(after_list);
        if !code.is_empty() {
            codes.insert(code);
        }
    }

    /// Whether the batch applied nothing to the list.
    pub fn is_empty(&self) -> bool {
        !self.created
            && self.added.is_empty()
            && self.modified.is_empty()
            && self.superseded.is_empty()
            && self.retired.is_empty()
            && self.releases.is_empty()
    }
}

/// A change to a dataset that the public sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PublicEvent {
    /// A revision was published.
    Published,
    /// The dataset was withdrawn.
    Withdrawn,
    /// A release (a named version) was made.
    Released,
}

impl PublicEvent {
    /// The event a change-log action records, if the public sees it.
    pub fn of_action(action: &str) -> Option<Self> {
        match action {
            "dataset.publish" => Some(Self::Published),
            "dataset.withdraw" => Some(Self::Withdrawn),
            "dataset.release" => Some(Self::Released),
            _ => None,
        }
    }
}

/// Entries read per batch.
pub const BATCH: i64 = 10_000;

impl Catalog {
    /// The change-log entries after `seq` (at most `limit`), typed; `None` at the head of the log.
    pub async fn changes_after(&self, seq: i64, limit: i64) -> Result<Option<Batch>, CatalogError> {
        let entries = registry::changelog::feed(self.database().pool(), seq, limit).await?;
        let Some(last) = entries.last() else {
            return Ok(None);
        };
        let mut batch = Batch {
            last_seq: last.seq,
            entries: entries.len(),
            ..Batch::default()
        };
        for entry in &entries {
            match Subject::parse(&entry.subject) {
                Subject::Dataset(id) => {
                    if let Some(event) = PublicEvent::of_action(&entry.action) {
                        batch
                            .public_events
                            .entry(id.clone())
                            .or_default()
                            .insert(event);
                    }
                    batch.datasets.insert(id);
                }
                Subject::List(list) => {
                    batch
                        .list_events
                        .entry(list.clone())
                        .or_default()
                        .record(&entry.action, &entry.subject);
                    batch.lists.insert(list);
                }
                Subject::Other => {}
            }
        }
        Ok(Some(batch))
    }
}

/// The future a projector returns.
pub type Applying<'a> = Pin<Box<dyn Future<Output = Result<(), CatalogError>> + Send + 'a>>;

/// A view kept in step with the change log (the RDF store, the search index).
pub trait Projector: Send + Sync {
    /// Its name, for logs.
    fn name(&self) -> &'static str;
    /// The last sequence it has applied (and recorded).
    fn applied(&self) -> i64;
    /// Applies one batch and records `batch.last_seq` as applied.
    fn apply<'a>(&'a self, batch: &'a Batch) -> Applying<'a>;
}

/// Moves the registry's generation ([`registry::db::Database::registry_generation`]) when the log shows code-list
/// changes, so that what this node rendered from the registry is dropped after another node (or a tool on the same
/// database) changed a list. Local commits move the generation themselves, at once; this is for the others.
#[derive(Debug)]
pub struct RegistryWatch {
    db: registry::Database,
    applied: std::sync::atomic::AtomicI64,
}

impl RegistryWatch {
    /// A watch starting at `head` (nothing before it concerns a node whose caches start empty).
    pub fn new(db: registry::Database, head: i64) -> Self {
        Self {
            db,
            applied: std::sync::atomic::AtomicI64::new(head),
        }
    }
}

impl Projector for RegistryWatch {
    fn name(&self) -> &'static str {
        "registry watch"
    }

    fn applied(&self) -> i64 {
        self.applied.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn apply<'a>(&'a self, batch: &'a Batch) -> Applying<'a> {
        Box::pin(async move {
            if !batch.lists.is_empty() {
                self.db.note_registry_change();
            }
            self.applied
                .store(batch.last_seq, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        })
    }
}

/// Brings every projector to the head of the log, one batch at a time; returns the entries applied (summed over
/// projectors). A projector that fails is left where it stopped and reported; the others still run.
pub async fn catch_up(
    catalog: &Catalog,
    projectors: &[&dyn Projector],
) -> Result<usize, CatalogError> {
    let mut applied = 0;
    let mut failure = None;
    for projector in projectors {
        match catch_up_one(catalog, *projector).await {
            Ok(n) => applied += n,
            Err(e) => {
                tracing::error!(projection = projector.name(), error = %e, "catch-up failed");
                failure = Some(e);
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(applied),
    }
}

async fn catch_up_one(catalog: &Catalog, projector: &dyn Projector) -> Result<usize, CatalogError> {
    let mut applied = 0;
    while let Some(batch) = catalog.changes_after(projector.applied(), BATCH).await? {
        projector.apply(&batch).await?;
        applied += batch.entries;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::Subject;

    #[test]
    fn subjects_are_read_by_path() {
        assert_eq!(
            Subject::parse("https://old.example/dataset/d%C3%A2n-s%E1%BB%91/revision/3"),
            Subject::Dataset("dân-số".into())
        );
        assert_eq!(
            Subject::parse("https://x.example/registry/administrative-units/01"),
            Subject::List("administrative-units".into())
        );
        assert_eq!(Subject::parse("account:alice"), Subject::Other);
    }

    #[test]
    fn list_events_keep_applied_changes_only() {
        let mut events = super::ListEvents::default();
        let base = "https://x.example/registry/administrative-units";
        for (action, subject) in [
            ("item.add", format!("{base}/31%20A")),
            ("item.modify", format!("{base}/01")),
            ("item.retire", format!("{base}/02")),
            ("item.supersede", format!("{base}/03")),
            ("release.create", format!("{base}/releases/7")),
            (
                "change-request.propose",
                format!("{base}/change-requests/4"),
            ),
            (
                "change-request.approve",
                format!("{base}/change-requests/4"),
            ),
        ] {
            events.record(action, &subject);
        }
        assert_eq!(events.added.iter().collect::<Vec<_>>(), ["31 A"]);
        assert_eq!(events.modified.iter().collect::<Vec<_>>(), ["01"]);
        assert_eq!(events.retired.iter().collect::<Vec<_>>(), ["02"]);
        assert_eq!(events.superseded.iter().collect::<Vec<_>>(), ["03"]);
        assert_eq!(events.releases.iter().collect::<Vec<_>>(), [&7]);
        assert!(!events.created);
        let mut proposal_only = super::ListEvents::default();
        proposal_only.record(
            "change-request.propose",
            &format!("{base}/change-requests/5"),
        );
        assert!(proposal_only.is_empty());
    }
}
