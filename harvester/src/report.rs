//! What a run did: counts, every write and every failure (none dropped), as JSON for `--report` and as a short
//! human summary.
use serde::{Deserialize, Serialize};

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// The record got a package on the target (a create; or an update of the package found under its name, after a
    /// create whose answer was lost or of a deleted package brought back).
    Created,
    /// Its package was replaced with the new content.
    Updated,
    /// It is gone from the source; its package was deleted.
    Deleted,
    /// A package equal to it was already on the target under its name (not written by us): taken over, no write.
    Adopted,
    /// Unchanged since the last write: nothing sent.
    Skipped,
}

impl Action {
    /// Did the target apply a write for it?
    pub fn is_write(self) -> bool {
        matches!(self, Action::Created | Action::Updated | Action::Deleted)
    }
}

/// A write the target applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Write {
    /// The source record.
    pub record: String,
    /// The package name on the target.
    pub name: String,
    /// What was done.
    pub action: Action,
}

/// A record (or the listing itself, as record `(source)`) that could not be done this run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// The source record.
    pub record: String,
    /// The package name on the target, when known.
    pub name: Option<String>,
    /// The step that failed: `list`, `read`, `organization`, `create`, `update`, `delete`, `state`.
    pub step: String,
    /// Why.
    pub reason: String,
}

/// One run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The source URL.
    pub source: String,
    /// `changes`, `ckan` or `dcat`.
    pub source_kind: String,
    /// The target URL.
    pub target: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub finished_at: String,
    /// Wall time.
    pub duration_ms: u64,
    /// Records that got a package.
    pub created: u64,
    /// Packages replaced.
    pub updated: u64,
    /// Packages deleted.
    pub deleted: u64,
    /// Packages taken over without a write.
    pub adopted: u64,
    /// Records unchanged.
    pub skipped: u64,
    /// Records (or listings) that failed.
    pub failed: u64,
    /// Organizations created on the target.
    pub organizations_created: u64,
    /// Package writes applied (created + updated + deleted), each counted once however many attempts it took.
    pub package_writes: u64,
    /// Every write applied: package writes plus organizations created.
    pub writes: u64,
    /// HTTP requests sent (every attempt, to source and target).
    pub requests: u64,
    /// Attempts repeated after a transient failure.
    pub retries: u64,
    /// 429 answers waited out.
    pub rate_limited: u64,
    /// The source cursor before the run.
    pub cursor_before: Option<String>,
    /// The source cursor stored after the run (unchanged when something before it failed).
    pub cursor_after: Option<String>,
    /// Every package write, in the order they completed.
    pub changes: Vec<Write>,
    /// Every failure.
    pub failures: Vec<Failure>,
    /// What the source skipped without failing a record: a malformed statement (invalid IRI, language tag or
    /// literal) dropped from a document, a page read in part after a syntax error; an optional code that the target's
    /// registry cannot map. One line each.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl Report {
    /// Counts one record's outcome.
    pub fn record(&mut self, record: &str, name: &str, action: Action) {
        match action {
            Action::Created => self.created += 1,
            Action::Updated => self.updated += 1,
            Action::Deleted => self.deleted += 1,
            Action::Adopted => self.adopted += 1,
            Action::Skipped => self.skipped += 1,
        }
        if action.is_write() {
            self.package_writes += 1;
            self.changes.push(Write {
                record: record.to_owned(),
                name: name.to_owned(),
                action,
            });
        }
        self.writes = self.package_writes + self.organizations_created;
    }

    /// Counts a failure.
    pub fn fail(
        &mut self,
        record: &str,
        name: Option<&str>,
        step: &str,
        reason: impl Into<String>,
    ) {
        self.failed += 1;
        self.failures.push(Failure {
            record: record.to_owned(),
            name: name.map(str::to_owned),
            step: step.to_owned(),
            reason: reason.into(),
        });
    }

    /// Did everything succeed?
    pub fn is_clean(&self) -> bool {
        self.failures.is_empty()
    }

    /// A few lines for a person.
    pub fn summary(&self) -> String {
        let kind = if self.source_kind.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.source_kind)
        };
        let mut out = format!(
            "harvest {}{kind} -> {}: {} created, {} updated, {} deleted, {} adopted, {} skipped, {} failed; \
             {} writes ({} packages, {} organizations) in {:.1} s, {} requests, {} retries, {} rate-limited",
            self.source,
            self.target,
            self.created,
            self.updated,
            self.deleted,
            self.adopted,
            self.skipped,
            self.failed,
            self.writes,
            self.package_writes,
            self.organizations_created,
            self.duration_ms as f64 / 1000.0,
            self.requests,
            self.retries,
            self.rate_limited,
        );
        if self.cursor_before.is_some() || self.cursor_after.is_some() {
            out.push_str(&format!(
                "; cursor {} -> {}",
                self.cursor_before.as_deref().unwrap_or("start"),
                self.cursor_after.as_deref().unwrap_or("start")
            ));
        }
        const SHOWN: usize = 20;
        for f in self.failures.iter().take(SHOWN) {
            out.push_str(&format!(
                "\n  failed {} [{}]: {}",
                f.record, f.step, f.reason
            ));
        }
        if !self.warnings.is_empty() {
            out.push_str(&format!(
                "\n  {} warnings (all in the report)",
                self.warnings.len()
            ));
            for w in self.warnings.iter().take(5) {
                out.push_str(&format!("\n  warning: {w}"));
            }
        }
        if self.failures.len() > SHOWN {
            out.push_str(&format!(
                "\n  ... and {} more failures (all in the report)",
                self.failures.len() - SHOWN
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_counted_once_each() {
        let mut r = Report::default();
        r.record("a", "a", Action::Created);
        r.record("b", "b", Action::Skipped);
        r.record("c", "c", Action::Adopted);
        r.organizations_created = 1;
        r.record("d", "d", Action::Deleted);
        r.fail("e", Some("e"), "update", "409");
        assert_eq!((r.package_writes, r.writes, r.failed), (2, 3, 1));
        assert_eq!(r.changes.len(), 2);
        assert!(r.summary().contains("failed e [update]: 409"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["changes"][1]["action"], "deleted");
        assert_eq!(json["packageWrites"], 2);
    }
}
