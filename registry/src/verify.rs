//! Verifying the registry's state against the change log: every list, item (current and historic) and release is
//! re-hashed and compared with the hash the change log recorded for it, so that a row altered in SQL — even with its own
//! hash column recomputed — is caught and named.
//!
//! The change log is the witness: its own chain is checked by [`crate::changelog::verify`]; this module reads it once
//! into a [`LogIndex`] (subject → recorded hashes) that the catalog's and the accounts' checks use too.
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sqlx::Row;

use crate::changelog::{ChainCheck, NewEntry, entry_hash, sha256_hex};
use crate::error::RegistryError;
use crate::model::{CodeListMeta, ItemData, Release};
use crate::store::encode_segment;

/// One thing whose stored state does not match what the change log recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// What kind of thing: `change-log`, `list`, `item`, `item-history`, `release`, `dataset-revision`,
    /// `open-data-list`, `plan-item`, `file`, `account`, `projection`, `checkpoint`.
    pub kind: String,
    /// Which one, by its natural key (`administrative-units/01`, `dataset water-quality revision 2`, a file's hash).
    pub subject: String,
    /// What is wrong.
    pub problem: String,
}

impl Finding {
    /// A finding.
    pub fn new(kind: &str, subject: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            kind: kind.to_owned(),
            subject: subject.into(),
            problem: problem.into(),
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.kind, self.subject, self.problem)
    }
}

/// One change-log entry as the state checks need it.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Its sequence.
    pub seq: i64,
    /// Its action (`item.modify`, `dataset.update`, ...).
    pub action: String,
    /// The content hash it recorded after the change.
    pub after: Option<String>,
    /// `detail.revision`, when the entry names a dataset revision.
    pub revision: Option<i64>,
    /// `detail.contentSha256`, when the entry hashed a whole stored document beside its manifest.
    pub content_sha256: Option<String>,
}

/// The change log read once, by subject key (the subject without its base URI: `registry/{list}/{code}`,
/// `dataset/{id}`, `agency/{agency}/open-data-lists/{year}/{n}`, `account/{id}`), oldest entry first.
#[derive(Debug, Default)]
pub struct LogIndex {
    by_key: HashMap<String, Vec<Logged>>,
    after_by_seq: HashMap<i64, Option<String>>,
}

/// Where a subject's key starts: the base URI may have changed over time, so the key is found by path.
const MARKERS: &[(&str, &str)] = &[
    ("/registry/", "registry/"),
    ("/dataset/", "dataset/"),
    ("/agency/", "agency/"),
];

/// The key of a change-log subject (see [`LogIndex`]); `None` for subjects no state check uses.
pub fn subject_key(subject: &str) -> Option<String> {
    if let Some(rest) = subject.strip_prefix("urn:opendata:") {
        return Some(rest.replace(':', "/"));
    }
    MARKERS
        .iter()
        .filter_map(|(marker, prefix)| subject.find(marker).map(|at| (at, marker, prefix)))
        .min_by_key(|(at, _, _)| *at)
        .map(|(at, marker, prefix)| format!("{prefix}{}", &subject[at + marker.len()..]))
}

impl LogIndex {
    /// Reads every entry's sequence, action, subject and recorded hash.
    pub async fn load(pool: &sqlx::AnyPool) -> Result<Self, RegistryError> {
        let rows = sqlx::query(
            "SELECT seq, action, subject, after_sha256, detail FROM change_log ORDER BY seq",
        )
        .fetch_all(pool)
        .await?;
        let mut index = Self::default();
        for row in &rows {
            let seq: i64 = row.try_get(0)?;
            let subject: String = row.try_get(2)?;
            let after: Option<String> = row.try_get(3)?;
            index.after_by_seq.insert(seq, after.clone());
            let Some(key) = subject_key(&subject) else {
                continue;
            };
            let action: String = row.try_get(1)?;
            let detail = if action.starts_with("dataset.") || action.starts_with("open-data-list.")
            {
                let detail: String = row.try_get(4)?;
                serde_json::from_str::<serde_json::Value>(&detail).unwrap_or_default()
            } else {
                serde_json::Value::Null
            };
            index.by_key.entry(key).or_default().push(Logged {
                seq,
                action,
                after,
                revision: detail.get("revision").and_then(serde_json::Value::as_i64),
                content_sha256: detail
                    .get("contentSha256")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned),
            });
        }
        Ok(index)
    }

    /// Every entry about `key`, oldest first.
    pub fn entries(&self, key: &str) -> &[Logged] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }

    /// The latest entry about `key` whose action starts with `action_prefix` and that recorded a hash.
    pub fn latest(&self, key: &str, action_prefix: &str) -> Option<&Logged> {
        self.entries(key)
            .iter()
            .rev()
            .find(|e| e.action.starts_with(action_prefix) && e.after.is_some())
    }

    /// The hash entry `seq` recorded after its change (`None` when there is no such entry).
    pub fn after_at(&self, seq: i64) -> Option<Option<&str>> {
        self.after_by_seq.get(&seq).map(Option::as_deref)
    }

    /// Compares `actual` with the hash of the latest matching entry, returning the problem when they differ.
    pub fn check(&self, key: &str, action_prefix: &str, actual: &str) -> Option<String> {
        match self.latest(key, action_prefix) {
            None => Some("no change-log entry records it".to_owned()),
            Some(e) if e.after.as_deref() != Some(actual) => Some(format!(
                "its content hashes to {actual}, but change-log entry {} recorded {}",
                e.seq,
                e.after.as_deref().unwrap_or("nothing")
            )),
            Some(_) => None,
        }
    }
}

/// Checks every list, item, item history row and release of the registry against the change log.
pub async fn verify_registry(
    pool: &sqlx::AnyPool,
    log: &LogIndex,
) -> Result<Vec<Finding>, RegistryError> {
    let mut findings = Vec::new();
    verify_lists(pool, log, &mut findings).await?;
    verify_items(pool, log, &mut findings).await?;
    verify_history(pool, log, &mut findings).await?;
    verify_releases(pool, log, &mut findings).await?;
    Ok(findings)
}

async fn verify_lists(
    pool: &sqlx::AnyPool,
    log: &LogIndex,
    findings: &mut Vec<Finding>,
) -> Result<(), RegistryError> {
    let rows = sqlx::query("SELECT id, content FROM registry_lists ORDER BY id")
        .fetch_all(pool)
        .await?;
    for row in &rows {
        let id: String = row.try_get(0)?;
        let content: String = row.try_get(1)?;
        let key = format!("registry/{}", encode_segment(&id));
        if let Some(problem) = log.check(&key, "list.", &sha256_hex(content.as_bytes())) {
            findings.push(Finding::new("list", id, problem));
        }
    }
    Ok(())
}

async fn verify_items(
    pool: &sqlx::AnyPool,
    log: &LogIndex,
    findings: &mut Vec<Finding>,
) -> Result<(), RegistryError> {
    let rows = sqlx::query(
        "SELECT list_id, code, status, parent, level, valid_from, valid_to, content, content_sha256 \
         FROM registry_items ORDER BY list_id, code",
    )
    .fetch_all(pool)
    .await?;
    for row in &rows {
        let list: String = row.try_get(0)?;
        let code: String = row.try_get(1)?;
        let content: String = row.try_get(7)?;
        let column: String = row.try_get(8)?;
        let subject = format!("{list}/{code}");
        let hash = sha256_hex(content.as_bytes());
        if hash != column {
            findings.push(Finding::new(
                "item",
                &subject,
                format!("its content hashes to {hash}, not to its content_sha256 {column}"),
            ));
        }
        let key = format!(
            "registry/{}/{}",
            encode_segment(&list),
            encode_segment(&code)
        );
        if let Some(problem) = log.check(&key, "item.", &hash) {
            findings.push(Finding::new("item", &subject, problem));
        }
        // The columns the queries filter on must say what the content says.
        let columns: [Option<String>; 5] = [
            Some(row.try_get(2)?),
            row.try_get(3)?,
            row.try_get(4)?,
            row.try_get(5)?,
            row.try_get(6)?,
        ];
        match serde_json::from_str::<ItemData>(&content) {
            Ok(item) => {
                let expected = [
                    Some(item.status.as_str().to_owned()),
                    item.parent.clone(),
                    item.level.clone(),
                    item.valid_from.map(|d| d.to_string()),
                    item.valid_to.map(|d| d.to_string()),
                ];
                let names = ["status", "parent", "level", "valid_from", "valid_to"];
                for ((name, stored), wanted) in names.iter().zip(&columns).zip(&expected) {
                    if stored != wanted {
                        findings.push(Finding::new(
                            "item",
                            &subject,
                            format!("column {name} is {stored:?} but the content says {wanted:?}"),
                        ));
                    }
                }
                if item.code != code {
                    findings.push(Finding::new(
                        "item",
                        &subject,
                        format!("the content names code {:?}", item.code),
                    ));
                }
            }
            Err(e) => findings.push(Finding::new(
                "item",
                &subject,
                format!("the content does not parse: {e}"),
            )),
        }
    }
    Ok(())
}

async fn verify_history(
    pool: &sqlx::AnyPool,
    log: &LogIndex,
    findings: &mut Vec<Finding>,
) -> Result<(), RegistryError> {
    let rows =
        sqlx::query("SELECT list_id, code, seq, content FROM registry_item_history ORDER BY seq")
            .fetch_all(pool)
            .await?;
    for row in &rows {
        let list: String = row.try_get(0)?;
        let code: String = row.try_get(1)?;
        let seq: i64 = row.try_get(2)?;
        let content: String = row.try_get(3)?;
        let hash = sha256_hex(content.as_bytes());
        let subject = format!("{list}/{code} at change {seq}");
        match log.after_at(seq) {
            None => findings.push(Finding::new(
                "item-history",
                subject,
                "no change-log entry has its sequence",
            )),
            Some(recorded) if recorded != Some(hash.as_str()) => findings.push(Finding::new(
                "item-history",
                subject,
                format!(
                    "its content hashes to {hash}, but change-log entry {seq} recorded {}",
                    recorded.unwrap_or("nothing")
                ),
            )),
            Some(_) => {}
        }
    }
    Ok(())
}

/// The release manifest text, as the store writes it: the list metadata's hash, then `code<TAB>sha256` per item in
/// byte order of codes.
pub fn release_manifest(meta: &CodeListMeta, mut entries: Vec<(String, String)>) -> String {
    entries.sort();
    let meta_hash = sha256_hex(
        serde_json::to_string(meta)
            .expect("meta serializes")
            .as_bytes(),
    );
    let mut text = format!("list\t{}\t{meta_hash}\n", meta.id);
    for (code, hash) in entries {
        text.push_str(&code);
        text.push('\t');
        text.push_str(&hash);
        text.push('\n');
    }
    text
}

async fn verify_releases(
    pool: &sqlx::AnyPool,
    log: &LogIndex,
    findings: &mut Vec<Finding>,
) -> Result<(), RegistryError> {
    let rows = sqlx::query(
        "SELECT list_id, number, code, content, content_sha256 FROM registry_release_items \
         ORDER BY list_id, number, code",
    )
    .fetch_all(pool)
    .await?;
    let mut items: BTreeMap<(String, i64), Vec<(String, String)>> = BTreeMap::new();
    for row in &rows {
        let list: String = row.try_get(0)?;
        let number: i64 = row.try_get(1)?;
        let code: String = row.try_get(2)?;
        let content: String = row.try_get(3)?;
        let column: String = row.try_get(4)?;
        let hash = sha256_hex(content.as_bytes());
        if hash != column {
            findings.push(Finding::new(
                "release",
                format!("{list} release {number} item {code}"),
                format!("its content hashes to {hash}, not to its content_sha256 {column}"),
            ));
        }
        items.entry((list, number)).or_default().push((code, hash));
    }
    let rows = sqlx::query(
        "SELECT list_id, number, content, manifest_sha256 FROM registry_releases ORDER BY list_id, number",
    )
    .fetch_all(pool)
    .await?;
    for row in &rows {
        let list: String = row.try_get(0)?;
        let number: i64 = row.try_get(1)?;
        let content: String = row.try_get(2)?;
        let column: String = row.try_get(3)?;
        let subject = format!("{list} release {number}");
        let release: Release = match serde_json::from_str(&content) {
            Ok(r) => r,
            Err(e) => {
                findings.push(Finding::new(
                    "release",
                    subject,
                    format!("the content does not parse: {e}"),
                ));
                continue;
            }
        };
        let entries = items.remove(&(list.clone(), number)).unwrap_or_default();
        let manifest = sha256_hex(release_manifest(&release.meta, entries).as_bytes());
        if manifest != column || release.manifest_sha256 != column {
            findings.push(Finding::new(
                "release",
                &subject,
                format!(
                    "its items and metadata give manifest {manifest}; the row says {column}, the content {}",
                    release.manifest_sha256
                ),
            ));
        }
        let key = format!("registry/{}/releases/{number}", encode_segment(&list));
        if let Some(problem) = log.check(&key, "release.", &manifest) {
            findings.push(Finding::new("release", &subject, problem));
        }
    }
    for (list, number) in items.into_keys() {
        findings.push(Finding::new(
            "release",
            format!("{list} release {number}"),
            "items are stored for a release that does not exist",
        ));
    }
    Ok(())
}

/// Recomputes the chain from the entry after `after_seq`, whose predecessor's hash must be `prev_hash` (the genesis
/// hash and 0 check the whole chain). `entries` counts every entry up to the head.
pub async fn verify_chain_from(
    pool: &sqlx::AnyPool,
    after_seq: i64,
    prev_hash: &str,
) -> Result<ChainCheck, RegistryError> {
    // A page at a time: at national scale the log has millions of entries, and the server audits itself every few
    // minutes; memory stays bounded by a page whatever the log's length.
    const PAGE: i64 = 5_000;
    let mut head = prev_hash.to_owned();
    let mut last = after_seq;
    let mut expected_seq = after_seq + 1;
    loop {
        let rows = sqlx::query(
            "SELECT seq, recorded_at, actor, action, subject, before_sha256, after_sha256, detail, prev_hash, \
             entry_hash FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(last)
        .bind(PAGE)
        .fetch_all(pool)
        .await?;
        for row in &rows {
            let seq: i64 = row.try_get(0)?;
            let recorded_at: String = row.try_get(1)?;
            let actor: String = row.try_get(2)?;
            let action: String = row.try_get(3)?;
            let subject: String = row.try_get(4)?;
            let before: Option<String> = row.try_get(5)?;
            let after: Option<String> = row.try_get(6)?;
            let detail: String = row.try_get(7)?;
            let prev: String = row.try_get(8)?;
            let stored: String = row.try_get(9)?;
            let entry = NewEntry {
                actor: &actor,
                action: &action,
                subject: &subject,
                before: before.as_deref(),
                after: after.as_deref(),
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            };
            let hash = entry_hash(&head, seq, &recorded_at, &entry);
            if seq != expected_seq || prev != head || hash != stored {
                let total: Option<i64> = sqlx::query("SELECT MAX(seq) FROM change_log")
                    .fetch_one(pool)
                    .await?
                    .try_get(0)?;
                return Ok(ChainCheck {
                    entries: total.unwrap_or(seq).max(seq),
                    head,
                    first_bad_seq: Some(expected_seq.min(seq)),
                });
            }
            head = hash;
            last = seq;
            expected_seq = seq + 1;
        }
        if (rows.len() as i64) < PAGE {
            break;
        }
    }
    Ok(ChainCheck {
        entries: last,
        head,
        first_bad_seq: None,
    })
}

/// The stored hash of entry `seq`, if there is one.
pub async fn entry_hash_at(
    pool: &sqlx::AnyPool,
    seq: i64,
) -> Result<Option<String>, RegistryError> {
    let row = sqlx::query("SELECT entry_hash FROM change_log WHERE seq = $1")
        .bind(seq)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_keyed_by_path_whatever_the_base() {
        assert_eq!(
            subject_key("https://a.example/registry/themes/ECON").as_deref(),
            Some("registry/themes/ECON")
        );
        assert_eq!(
            subject_key("http://127.0.0.1:8080/dataset/water/releases/1").as_deref(),
            Some("dataset/water/releases/1")
        );
        // A list named `dataset` is still a registry subject: the first marker wins.
        assert_eq!(
            subject_key("https://a.example/registry/dataset/x").as_deref(),
            Some("registry/dataset/x")
        );
        assert_eq!(
            subject_key("urn:opendata:account:7").as_deref(),
            Some("account/7")
        );
        assert_eq!(subject_key("something else"), None);
    }
}
