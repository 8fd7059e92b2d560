//! Verifying the catalog's state against the change log and its files against their hashes: every dataset revision,
//! issued open-data list and plan item is re-hashed and compared with what the change log recorded; every stored file
//! is re-hashed and compared with the name it is stored under; and the projections' counts are compared with SQL.
//!
//! The change log is read once by [`registry::verify::LogIndex`]; the findings are [`registry::verify::Finding`]s so
//! that one report can hold the registry's, the catalog's and the accounts' together.
use std::collections::BTreeSet;
use std::path::Path;

use registry::changelog::sha256_hex;
use registry::store::encode_segment;
use registry::verify::{Finding, LogIndex};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::agency::OpenDataList;
use crate::error::CatalogError;

/// Checks every dataset revision, open-data list and plan item against the change log. Returns the findings and the
/// hashes of every file some revision names (for [`verify_files`]).
pub async fn verify_catalog(
    pool: &sqlx::AnyPool,
    log: &LogIndex,
) -> Result<(Vec<Finding>, BTreeSet<String>), CatalogError> {
    let mut findings = Vec::new();
    let referenced = verify_revisions(pool, log, &mut findings).await?;
    verify_open_data_lists(pool, log, &mut findings).await?;
    verify_plan_items(pool, log, &mut findings).await?;
    Ok((findings, referenced))
}

async fn verify_revisions(
    pool: &sqlx::AnyPool,
    log: &LogIndex,
    findings: &mut Vec<Finding>,
) -> Result<BTreeSet<String>, CatalogError> {
    let rows = sqlx::query(
        "SELECT dataset_id, number, content, sha256 FROM catalog_revisions ORDER BY dataset_id, number",
    )
    .fetch_all(pool)
    .await?;
    let mut files = BTreeSet::new();
    for row in &rows {
        let id: String = row.try_get(0)?;
        let number: i64 = row.try_get(1)?;
        let content: String = row.try_get(2)?;
        let column: String = row.try_get(3)?;
        let subject = format!("{id} revision {number}");
        let hash = sha256_hex(content.as_bytes());
        if hash != column {
            findings.push(Finding::new(
                "dataset-revision",
                &subject,
                format!("its content hashes to {hash}, not to its sha256 column {column}"),
            ));
        }
        let key = format!("dataset/{}", encode_segment(&id));
        let recorded = log.entries(&key).iter().rev().find(|e| {
            e.revision == Some(number)
                && e.after.is_some()
                && matches!(e.action.as_str(), "dataset.create" | "dataset.update")
        });
        match recorded {
            None => findings.push(Finding::new(
                "dataset-revision",
                &subject,
                "no change-log entry records it",
            )),
            Some(e) if e.after.as_deref() != Some(hash.as_str()) => findings.push(Finding::new(
                "dataset-revision",
                &subject,
                format!(
                    "its content hashes to {hash}, but change-log entry {} recorded {}",
                    e.seq,
                    e.after.as_deref().unwrap_or("nothing")
                ),
            )),
            Some(_) => {}
        }
        if let Ok(doc) = serde_json::from_str::<serde_json::Value>(&content) {
            for d in doc["distributions"].as_array().into_iter().flatten() {
                if let Some(sha) = d["fileSha256"].as_str() {
                    files.insert(sha.to_owned());
                }
            }
        }
    }
    Ok(files)
}

async fn verify_open_data_lists(
    pool: &sqlx::AnyPool,
    log: &LogIndex,
    findings: &mut Vec<Finding>,
) -> Result<(), CatalogError> {
    let rows = sqlx::query(
        "SELECT agency, year, number, content, manifest_sha256 FROM catalog_open_data_lists \
         ORDER BY agency, year, number",
    )
    .fetch_all(pool)
    .await?;
    for row in &rows {
        let agency: String = row.try_get(0)?;
        let year: i64 = row.try_get(1)?;
        let number: i64 = row.try_get(2)?;
        let content: String = row.try_get(3)?;
        let column: String = row.try_get(4)?;
        let subject = format!("{agency} {year}/{number}");
        let list: OpenDataList = match serde_json::from_str(&content) {
            Ok(l) => l,
            Err(e) => {
                findings.push(Finding::new(
                    "open-data-list",
                    subject,
                    format!("the content does not parse: {e}"),
                ));
                continue;
            }
        };
        let manifest = sha256_hex(list.manifest().as_bytes());
        if (list.agency.as_str(), list.year, list.number) != (agency.as_str(), year, number) {
            findings.push(Finding::new(
                "open-data-list",
                &subject,
                format!(
                    "the content names {} {}/{}",
                    list.agency, list.year, list.number
                ),
            ));
        }
        if manifest != column || list.manifest_sha256 != column {
            findings.push(Finding::new(
                "open-data-list",
                &subject,
                format!(
                    "its datasets give manifest {manifest}; the row says {column}, the content {}",
                    list.manifest_sha256
                ),
            ));
        }
        let key = format!("agency/{agency}/open-data-lists/{year}/{number}");
        if let Some(problem) = log.check(&key, "open-data-list.", &manifest) {
            findings.push(Finding::new("open-data-list", &subject, problem));
        }
        // Lists issued since the log hashes the whole document: its title and issuer are covered too.
        if let Some(entry) = log.latest(&key, "open-data-list.")
            && let Some(recorded) = &entry.content_sha256
        {
            let hash = sha256_hex(content.as_bytes());
            if hash != *recorded {
                findings.push(Finding::new(
                    "open-data-list",
                    &subject,
                    format!(
                        "the stored document hashes to {hash}, but change-log entry {} recorded {recorded}",
                        entry.seq
                    ),
                ));
            }
        }
    }
    Ok(())
}

async fn verify_plan_items(
    pool: &sqlx::AnyPool,
    log: &LogIndex,
    findings: &mut Vec<Finding>,
) -> Result<(), CatalogError> {
    let rows =
        sqlx::query("SELECT agency, id, content FROM catalog_plan_items ORDER BY agency, id")
            .fetch_all(pool)
            .await?;
    for row in &rows {
        let agency: String = row.try_get(0)?;
        let id: String = row.try_get(1)?;
        let content: String = row.try_get(2)?;
        let key = format!("agency/{agency}/plan/{id}");
        if let Some(problem) = log.check(&key, "plan.", &sha256_hex(content.as_bytes())) {
            findings.push(Finding::new("plan-item", format!("{agency} {id}"), problem));
        }
    }
    Ok(())
}

/// What the file check saw.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileCheck {
    /// Files re-hashed.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Re-hashes every file under `data_dir/files/sha256`, naming each whose content does not hash to its name, and each
/// file a revision names (`referenced`) that is missing. Blocking (reads every byte): call it off the async threads.
pub fn verify_files(
    data_dir: &Path,
    referenced: &BTreeSet<String>,
) -> std::io::Result<(FileCheck, Vec<Finding>)> {
    let root = data_dir.join("files").join("sha256");
    let mut check = FileCheck::default();
    let mut findings = Vec::new();
    let mut present = BTreeSet::new();
    if root.is_dir() {
        let mut shards: Vec<_> = std::fs::read_dir(&root)?.collect::<Result<_, _>>()?;
        shards.sort_by_key(|e| e.file_name());
        for shard in shards {
            if !shard.file_type()?.is_dir() {
                continue;
            }
            let mut files: Vec<_> = std::fs::read_dir(shard.path())?.collect::<Result<_, _>>()?;
            files.sort_by_key(|e| e.file_name());
            for file in files {
                let name = file.file_name().to_string_lossy().into_owned();
                let mut hasher = Sha256::new();
                let mut reader = std::fs::File::open(file.path())?;
                check.bytes += std::io::copy(&mut reader, &mut hasher)?;
                check.files += 1;
                let actual = hex::encode(hasher.finalize());
                if actual != name {
                    findings.push(Finding::new(
                        "file",
                        &name,
                        format!("its content hashes to {actual}"),
                    ));
                }
                present.insert(name);
            }
        }
    }
    for missing in referenced.difference(&present) {
        findings.push(Finding::new(
            "file",
            missing,
            "a dataset revision names it, but it is not stored",
        ));
    }
    Ok((check, findings))
}

/// Datasets and lists in SQL and in each projection, with the change-log sequence each projection has applied.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectionCounts {
    /// The change log's head.
    pub head: i64,
    /// Published datasets in SQL.
    pub published_datasets: i64,
    /// Code lists in SQL.
    pub lists: i64,
    /// Documents in the search index and the sequence it reflects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<ProjectionCount>,
    /// Datasets and lists in the RDF store and the sequence it reflects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rdf: Option<RdfCount>,
}

/// One projection's count.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectionCount {
    /// Datasets.
    pub datasets: u64,
    /// The change-log sequence applied.
    pub applied: i64,
}

/// The RDF store's counts.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RdfCount {
    /// Datasets.
    pub datasets: u64,
    /// Code lists.
    pub lists: u64,
    /// The change-log sequence applied.
    pub applied: i64,
}

impl ProjectionCounts {
    /// The SQL side.
    pub async fn from_sql(catalog: &crate::Catalog) -> Result<Self, CatalogError> {
        let pool = catalog.database().pool();
        let head = catalog.registry().version_tag().await?;
        let published = catalog
            .list(&crate::store::DatasetQuery {
                public: true,
                limit: 1,
                ..Default::default()
            })
            .await?
            .total;
        let lists: i64 = sqlx::query("SELECT COUNT(*) FROM registry_lists")
            .fetch_one(pool)
            .await?
            .try_get(0)?;
        Ok(Self {
            head,
            published_datasets: published,
            lists,
            search: None,
            rdf: None,
        })
    }

    /// The counts that disagree. A projection that has not caught up with the head is not compared (its count is
    /// expected to lag); one that has, must match SQL.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(s) = self.search
            && s.applied >= self.head
            && s.datasets as i64 != self.published_datasets
        {
            out.push(Finding::new(
                "projection",
                "search index",
                format!(
                    "{} datasets indexed at change {}, but SQL has {} published",
                    s.datasets, s.applied, self.published_datasets
                ),
            ));
        }
        if let Some(r) = self.rdf
            && r.applied >= self.head
        {
            if r.datasets as i64 != self.published_datasets {
                out.push(Finding::new(
                    "projection",
                    "RDF store",
                    format!(
                        "{} datasets projected at change {}, but SQL has {} published",
                        r.datasets, r.applied, self.published_datasets
                    ),
                ));
            }
            if r.lists as i64 != self.lists {
                out.push(Finding::new(
                    "projection",
                    "RDF store",
                    format!(
                        "{} code lists projected at change {}, but SQL has {}",
                        r.lists, r.applied, self.lists
                    ),
                ));
            }
        }
        out
    }
}

/// The documents of the search index under `dir` and the sequence it reflects, read without taking its writer (so a
/// running server's index can be read); `None` when there is no index there.
pub fn search_index_count(dir: &Path) -> Result<Option<ProjectionCount>, CatalogError> {
    if !dir.join("meta.json").exists() {
        return Ok(None);
    }
    let failed = |e: tantivy::TantivyError| {
        CatalogError::Registry(registry::RegistryError::Storage(format!(
            "search index: {e}"
        )))
    };
    let index = tantivy::Index::open_in_dir(dir).map_err(failed)?;
    let applied = index
        .load_metas()
        .ok()
        .and_then(|m| m.payload)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let reader = index.reader().map_err(failed)?;
    Ok(Some(ProjectionCount {
        datasets: crate::search::datasets_in(&reader.searcher()),
        applied,
    }))
}
