//! [`Catalog`]: datasets in SQL with immutable revisions, the publication workflow and registry-checked codes.
//!
//! Every save is a new revision (canonical JSON and its sha256) appended in the same serialized transaction as its
//! change-log entry. A published dataset keeps showing its published revision to the public while a new draft is edited.
//!
//! This module holds the type and its reads; the writes live beside it, one use case per function, each checking the
//! [`Curator`]'s rights itself: [`revisions`] (create, merge-patch, distributions), [`upload`] (add a file to a
//! distribution), [`workflow`] (submit, publish, return, withdraw), [`releases`] and [`batch`] (bulk loads).
mod batch;
mod releases;
mod revisions;
mod upload;
mod workflow;

pub use crate::curator::{Curator, CuratorRole, Expected, Transition};
pub use releases::Release;
pub use revisions::DistributionChange;
use std::collections::BTreeMap;
use std::sync::Arc;
pub use upload::{AddedFile, NewFile};

use registry::db::Migrations;
use registry::store::CodeCheck;
use registry::{Database, InputProblem, Registry};
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

use crate::error::CatalogError;
use crate::files::FileStore;
use crate::memo::HeadMemo;
use crate::model::{DatasetContent, WorkflowStatus};

/// The migrations of this crate.
pub const CATALOG_MIGRATIONS: Migrations = Migrations {
    steps: &[
        (
            2001,
            "catalog",
            include_str!("../../migrations/sqlite/2001_catalog.sql"),
            include_str!("../../migrations/postgres/2001_catalog.sql"),
        ),
        (
            2002,
            "catalog_usage",
            include_str!("../../migrations/sqlite/2002_usage.sql"),
            include_str!("../../migrations/postgres/2002_usage.sql"),
        ),
        (
            2003,
            "catalog_quality",
            include_str!("../../migrations/sqlite/2003_quality.sql"),
            include_str!("../../migrations/postgres/2003_quality.sql"),
        ),
        (
            2005,
            "catalog_key_collation",
            include_str!("../../migrations/sqlite/2005_key_collation.sql"),
            include_str!("../../migrations/postgres/2005_key_collation.sql"),
        ),
        (
            2006,
            "catalog_chores",
            include_str!("../../migrations/sqlite/2006_chores.sql"),
            include_str!("../../migrations/postgres/2006_chores.sql"),
        ),
    ],
};

/// The dataset store.
#[derive(Clone, Debug)]
pub struct Catalog {
    db: Database,
    registry: Registry,
    files: Option<FileStore>,
    /// Public listing totals by filter (a reader paging through a million datasets asks for the same total a
    /// thousand times, and counting them is a scan).
    counts: Arc<HeadMemo<String, i64>>,
    /// Registry items exports have looked up (`None`: no such item).
    codes: Arc<HeadMemo<(String, String), Option<registry::model::ItemData>>>,
    /// Totals of data-API queries, by table and condition: an ingested table never changes (it is named after its
    /// file's hash), so a total holds for good; kept at the head 0, up to a bound.
    pub(crate) table_totals: Arc<HeadMemo<String, i64>>,
}

/// A dataset as read: its state and the content of one revision.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DatasetRecord {
    /// Stable id.
    pub id: String,
    /// `{base}/dataset/{id}`.
    pub uri: String,
    /// Workflow state.
    pub status: WorkflowStatus,
    /// Why it was returned or withdrawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The revision whose content is shown.
    pub revision: i64,
    /// The latest revision.
    pub current_revision: i64,
    /// The revision the public sees, if published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_revision: Option<i64>,
    /// Created.
    pub created_at: String,
    /// Last change of any kind.
    pub updated_at: String,
    /// First publication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_published_at: Option<String>,
    /// Latest publication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// The content.
    #[serde(flatten)]
    pub content: DatasetContent,
}

/// One revision's metadata.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RevisionInfo {
    /// 1, 2, 3...
    pub number: i64,
    /// sha256 of the canonical JSON.
    pub sha256: String,
    /// Who saved it.
    pub author: String,
    /// Why.
    pub message: String,
    /// When.
    pub created_at: String,
}

/// Who is acting, as far as the catalog needs to know.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    /// Name recorded in revisions and the change log.
    pub name: &'a str,
}

/// Filters for listing datasets.
#[derive(Debug, Clone, Default)]
pub struct DatasetQuery {
    /// Only this agency's datasets.
    pub publisher: Option<String>,
    /// Only this workflow state (curation views); public listings ignore it.
    pub status: Option<WorkflowStatus>,
    /// Only public (published) datasets, shown at their published revision.
    pub public: bool,
    /// Only datasets published at or after this RFC 3339 time (public listings).
    pub modified_since: Option<String>,
    /// Skip this many (numbered pages, as Hydra paging uses); prefer `cursor` for deep paging.
    pub offset: Option<usize>,
    /// Continue after this id.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: usize,
    /// Leave `total` at 0 instead of counting every match (a reader that pages through everything, at any size).
    pub skip_total: bool,
}

/// A page of datasets.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetPage {
    /// The datasets.
    pub items: Vec<DatasetRecord>,
    /// How many match in all.
    pub total: i64,
    /// Cursor of the next page.
    pub next: Option<String>,
}

/// Field-level differences of two JSON objects (top-level fields; distributions compared whole).
pub fn diff_fields(a: &Value, b: &Value) -> Vec<FieldDiff> {
    let empty = serde_json::Map::new();
    let (a, b) = (
        a.as_object().unwrap_or(&empty),
        b.as_object().unwrap_or(&empty),
    );
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| FieldDiff {
            field: k.clone(),
            before: a.get(k).cloned(),
            after: b.get(k).cloned(),
        })
        .collect()
}

/// One top-level field that differs between two revisions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldDiff {
    /// The field (camelCase, as in the JSON API).
    pub field: String,
    /// Its value before; `null` when the field was absent.
    pub before: Option<Value>,
    /// Its value after; `null` when the field is gone.
    pub after: Option<Value>,
}

/// The differences between two revisions of a dataset.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevisionDiff {
    /// The dataset.
    pub dataset: String,
    /// The older revision.
    pub from: i64,
    /// The newer revision.
    pub to: i64,
    /// The fields that differ, by name.
    pub changes: Vec<FieldDiff>,
}

fn slug(text: &str) -> String {
    let folded = registry::text::fold(text);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 80 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.len() < 3 {
        format!("dataset-{out}")
    } else {
        out
    }
}

fn parse_content(text: &str) -> Result<DatasetContent, CatalogError> {
    serde_json::from_str(text).map_err(|e| CatalogError::Storage(format!("corrupt revision: {e}")))
}

const RECORD_COLUMNS: &str = "d.id, d.status, d.status_reason, d.current_revision, d.published_revision, d.created_at, \
     d.updated_at, d.first_published_at, d.published_at, r.number, r.content";

impl Catalog {
    /// A catalog over `db`, checking codes with `registry`.
    pub fn new(db: Database, registry: Registry) -> Self {
        Self {
            db,
            registry,
            files: None,
            counts: Arc::new(HeadMemo::new(256)),
            // The largest list, the administrative units, has about 11,000 items.
            codes: Arc::new(HeadMemo::new(50_000)),
            table_totals: Arc::new(HeadMemo::new(10_000)),
        }
    }

    /// Registry items exports have looked up, kept while the change log's head stays where it was.
    pub(crate) fn code_memo(
        &self,
    ) -> &HeadMemo<(String, String), Option<registry::model::ItemData>> {
        &self.codes
    }

    /// The same catalog storing uploaded files in `files` (needed by [`Catalog::add_file`]).
    pub fn with_files(mut self, files: FileStore) -> Self {
        self.files = Some(files);
        self
    }

    /// The file store.
    pub fn files(&self) -> Result<&FileStore, CatalogError> {
        self.files
            .as_ref()
            .ok_or_else(|| CatalogError::Storage("this catalog has no file store".into()))
    }

    /// Where the stored file with this sha256 lives.
    pub fn file_path(&self, sha256: &str) -> Result<std::path::PathBuf, CatalogError> {
        self.files()?
            .path(sha256)
            .ok_or_else(|| CatalogError::Storage(format!("bad stored hash {sha256:?}")))
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The registry it checks codes against.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// `{base}/dataset/{id}`.
    pub fn dataset_uri(&self, id: &str) -> String {
        format!(
            "{}/dataset/{}",
            self.registry.base_uri(),
            registry::store::encode_segment(id)
        )
    }

    /// Checks every registry code of `content` at its reference date, replacing notations by codes. A closed code is
    /// refused with its successors.
    pub async fn check_codes(&self, content: &mut DatasetContent) -> Result<(), CatalogError> {
        let refs = content.references();
        let checks: Vec<CodeCheck> = refs
            .iter()
            .map(|(_, list, code)| CodeCheck {
                list: (*list).to_owned(),
                code: code.clone(),
                date: content.reference_date,
            })
            .collect();
        let results = self.registry.validate(&checks).await?;
        let mut problems = Vec::new();
        for ((field, list, code), result) in refs.iter().zip(&results) {
            let message = match result.result.as_str() {
                "valid" => {
                    if field == "publisher"
                        && let Some(canonical) = &result.canonical_code
                    {
                        content.publisher = canonical.clone();
                    }
                    continue;
                }
                "unknown" => format!("unknown code {code:?} in the {list} list"),
                "superseded" => format!(
                    "code {code:?} of the {list} list was superseded on {}; use {}",
                    result.date,
                    if result.current_successors.is_empty() {
                        result.successors.join(" or ")
                    } else {
                        result.current_successors.join(" or ")
                    }
                ),
                "retired" => format!(
                    "code {code:?} of the {list} list is retired at {}",
                    result.date
                ),
                "notYetValid" => format!(
                    "code {code:?} of the {list} list is not yet valid at {}",
                    result.date
                ),
                other => format!("code {code:?} of the {list} list is {other}"),
            };
            problems.push(InputProblem::field(field.clone(), message));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(CatalogError::Invalid(problems))
        }
    }

    async fn checked(&self, mut content: DatasetContent) -> Result<DatasetContent, CatalogError> {
        let problems = content.check_shape();
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        self.check_codes(&mut content).await?;
        Ok(content)
    }

    /// One dataset. `public` shows the published revision (404 when never published, [`CatalogError::Withdrawn`] when
    /// withdrawn); otherwise the latest. `as_of` picks the latest revision saved at or before that time.
    pub async fn get(
        &self,
        id: &str,
        as_of: Option<&str>,
        public: bool,
    ) -> Result<DatasetRecord, CatalogError> {
        let head = sqlx::query("SELECT current_revision, published_revision, status FROM catalog_datasets WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| CatalogError::NotFound(id.to_owned()))?;
        let published: Option<i64> = head.try_get(1)?;
        let status: String = head.try_get(2)?;
        let number: i64 = match as_of {
            Some(t) => {
                let row = sqlx::query(
                    "SELECT MAX(number) FROM catalog_revisions WHERE dataset_id = $1 AND created_at <= $2",
                )
                .bind(id)
                .bind(t)
                .fetch_one(self.db.pool())
                .await?;
                let n: Option<i64> = row.try_get(0)?;
                let n = n.ok_or_else(|| CatalogError::NotFound(id.to_owned()))?;
                if public && published.is_none_or(|p| n > p) {
                    published.unwrap_or(0).min(n)
                } else {
                    n
                }
            }
            None if public => published.ok_or_else(|| CatalogError::NotFound(id.to_owned()))?,
            None => head.try_get(0)?,
        };
        if public && number == 0 {
            return Err(CatalogError::NotFound(id.to_owned()));
        }
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM catalog_datasets d JOIN catalog_revisions r ON r.dataset_id = d.id \
             WHERE d.id = $1 AND r.number = $2"
        ))
        .bind(id)
        .bind(number)
        .fetch_one(self.db.pool())
        .await?;
        let record = self.record(&row)?;
        if public && status == "withdrawn" {
            return Err(CatalogError::Withdrawn(Box::new(record)));
        }
        Ok(record)
    }

    fn record(&self, row: &sqlx::any::AnyRow) -> Result<DatasetRecord, CatalogError> {
        let id: String = row.try_get(0)?;
        let status: String = row.try_get(1)?;
        Ok(DatasetRecord {
            uri: self.dataset_uri(&id),
            id,
            status: WorkflowStatus::parse(&status).unwrap_or(WorkflowStatus::Draft),
            status_reason: row.try_get(2)?,
            current_revision: row.try_get(3)?,
            published_revision: row.try_get(4)?,
            created_at: row.try_get(5)?,
            updated_at: row.try_get(6)?,
            first_published_at: row.try_get(7)?,
            published_at: row.try_get(8)?,
            revision: row.try_get(9)?,
            content: parse_content(&row.try_get::<String, _>(10)?)?,
        })
    }

    /// The records of many rows (their JSON content parsed) on every core when there are many. On a page of 1,000 the
    /// gain is small: most of the page's SQL time is sqlx handing over the rows, not the parsing (BENCHMARKS.md).
    fn records(&self, rows: &[sqlx::any::AnyRow]) -> Result<Vec<DatasetRecord>, CatalogError> {
        const PARALLEL_FROM: usize = 200;
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        if threads < 2 || rows.len() < PARALLEL_FROM {
            return rows.iter().map(|r| self.record(r)).collect();
        }
        let share = rows.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = rows
                .chunks(share)
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|r| self.record(r))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut out = Vec::with_capacity(rows.len());
            for part in parts {
                out.extend(part.join().expect("a record parser thread panicked")?);
            }
            Ok(out)
        })
    }

    /// A page of datasets in id order, with the total count.
    pub async fn list(&self, q: &DatasetQuery) -> Result<DatasetPage, CatalogError> {
        let limit = q.limit.clamp(1, 1000) as i64;
        let revision = if q.public {
            "d.published_revision"
        } else {
            "d.current_revision"
        };
        let mut filter = String::from(" WHERE 1 = 1");
        let mut args: Vec<String> = Vec::new();
        if q.public {
            filter.push_str(" AND d.published_revision IS NOT NULL AND d.status <> 'withdrawn'");
        } else if let Some(s) = q.status {
            args.push(s.as_str().to_owned());
            filter.push_str(&format!(" AND d.status = ${}", args.len()));
        }
        if let Some(p) = &q.publisher {
            args.push(p.clone());
            filter.push_str(&format!(" AND d.publisher = ${}", args.len()));
        }
        if let Some(t) = &q.modified_since {
            args.push(t.clone());
            filter.push_str(&format!(" AND d.published_at >= ${}", args.len()));
        }
        let count_sql = format!("SELECT COUNT(*) FROM catalog_datasets d{filter}");
        let mut count = sqlx::query(&count_sql);
        for a in &args {
            count = count.bind(a.as_str());
        }
        let total: i64 = if q.skip_total {
            0
        } else if !q.public {
            count.fetch_one(self.db.pool()).await?.try_get(0)?
        } else {
            // Counted at most once per change-log head: what public listings show changes only with a log entry
            // (publishing, withdrawing), while drafts may be written without one.
            let head = self.registry.version_tag().await?;
            let key = format!("{count_sql}\u{0}{}", args.join("\u{0}"));
            match self.counts.get(head, &key) {
                Some(total) => total,
                None => {
                    let total: i64 = count.fetch_one(self.db.pool()).await?.try_get(0)?;
                    self.counts.put(head, key, total);
                    total
                }
            }
        };
        let mut page_filter = filter.clone();
        let mut page_args = args.clone();
        if let Some(c) = &q.cursor {
            page_args.push(c.clone());
            page_filter.push_str(&format!(" AND d.id > ${}", page_args.len()));
        }
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM catalog_datasets d JOIN catalog_revisions r \
             ON r.dataset_id = d.id AND r.number = {revision}{page_filter} ORDER BY d.id LIMIT {} OFFSET {}",
            limit + 1,
            q.offset.unwrap_or(0)
        );
        let mut query = sqlx::query(&sql);
        for a in &page_args {
            query = query.bind(a.as_str());
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        let mut items = self.records(&rows)?;
        let next = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|d| d.id.clone())
        } else {
            None
        };
        Ok(DatasetPage { items, total, next })
    }

    /// The published revisions of many datasets in one query (missing, unpublished and withdrawn ones are left out),
    /// in the order asked.
    pub async fn get_published_many(
        &self,
        ids: &[String],
    ) -> Result<Vec<DatasetRecord>, CatalogError> {
        let mut by_id = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {RECORD_COLUMNS} FROM catalog_datasets d JOIN catalog_revisions r \
                 ON r.dataset_id = d.id AND r.number = d.published_revision \
                 WHERE d.status <> 'withdrawn' AND d.id IN ({})",
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for row in q.fetch_all(self.db.pool()).await? {
                let record = self.record(&row)?;
                by_id.insert(record.id.clone(), record);
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// The published revision and publication time of each of `ids` that is published (withdrawn and unknown ids are
    /// left out): what a rendering of a published dataset must match to still hold. One indexed read per 500 ids,
    /// without the content.
    pub async fn published_versions(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, (i64, Option<String>)>, CatalogError> {
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, published_revision, published_at FROM catalog_datasets \
                 WHERE status <> 'withdrawn' AND published_revision IS NOT NULL AND id IN ({})",
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for row in q.fetch_all(self.db.pool()).await? {
                out.insert(row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?));
            }
        }
        Ok(out)
    }

    /// Every revision of a dataset, oldest first.
    pub async fn revisions(&self, id: &str) -> Result<Vec<RevisionInfo>, CatalogError> {
        self.get(id, None, false).await?;
        let rows = sqlx::query(
            "SELECT number, sha256, author, message, created_at FROM catalog_revisions WHERE dataset_id = $1 \
             ORDER BY number",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RevisionInfo {
                    number: r.try_get(0)?,
                    sha256: r.try_get(1)?,
                    author: r.try_get(2)?,
                    message: r.try_get(3)?,
                    created_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// The content of one revision.
    pub async fn revision(&self, id: &str, number: i64) -> Result<DatasetContent, CatalogError> {
        let row = sqlx::query(
            "SELECT content FROM catalog_revisions WHERE dataset_id = $1 AND number = $2",
        )
        .bind(id)
        .bind(number)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or_else(|| CatalogError::RevisionNotFound {
            id: id.to_owned(),
            revision: number,
        })?;
        parse_content(&row.try_get::<String, _>(0)?)
    }

    /// Field-by-field differences between two revisions.
    pub async fn diff(&self, id: &str, from: i64, to: i64) -> Result<RevisionDiff, CatalogError> {
        let a = serde_json::to_value(self.revision(id, from).await?).expect("content serializes");
        let b = serde_json::to_value(self.revision(id, to).await?).expect("content serializes");
        Ok(RevisionDiff {
            dataset: id.to_owned(),
            from,
            to,
            changes: diff_fields(&a, &b),
        })
    }

    /// The distribution `did` of the dataset as shown (published revision for the public, or a given revision).
    pub async fn distribution(
        &self,
        id: &str,
        did: &str,
        revision: Option<i64>,
        public: bool,
    ) -> Result<crate::model::Distribution, CatalogError> {
        let content = match revision {
            Some(n) => {
                let record = self.get(id, None, public).await?;
                if public && record.published_revision.is_none_or(|p| n > p) {
                    return Err(CatalogError::RevisionNotFound {
                        id: id.to_owned(),
                        revision: n,
                    });
                }
                self.revision(id, n).await?
            }
            None => self.get(id, None, public).await?.content,
        };
        content
            .distributions
            .into_iter()
            .find(|d| d.id == did)
            .ok_or_else(|| CatalogError::NotFound(format!("{id}/distribution/{did}")))
    }

    /// The agency that publishes dataset `id`.
    pub async fn publisher_of(&self, id: &str) -> Result<String, CatalogError> {
        let row = sqlx::query("SELECT publisher FROM catalog_datasets WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| CatalogError::NotFound(id.to_owned()))?;
        Ok(row.try_get(0)?)
    }

    /// Does `viewer` see dataset `id` as its staff (drafts, the current revision), rather than as the public?
    pub async fn is_staff(
        &self,
        viewer: Option<&Curator<'_>>,
        id: &str,
    ) -> Result<bool, CatalogError> {
        Ok(match viewer {
            Some(c) => c.may_edit(&self.publisher_of(id).await?),
            None => false,
        })
    }

    /// Dataset `id` as `viewer` may see it: the current revision for its staff, the published one for everyone else
    /// (see [`Catalog::get`]).
    pub async fn show(
        &self,
        viewer: Option<&Curator<'_>>,
        id: &str,
        as_of: Option<&str>,
    ) -> Result<DatasetRecord, CatalogError> {
        let staff = self.is_staff(viewer, id).await?;
        self.get(id, as_of, !staff).await
    }

    /// Refuses (as not found) a dataset's history to a `viewer` who is not its staff while it was never published.
    pub async fn check_history_visible(
        &self,
        viewer: Option<&Curator<'_>>,
        id: &str,
    ) -> Result<(), CatalogError> {
        let record = self.get(id, None, false).await?;
        let staff = viewer.is_some_and(|c| c.may_edit(&record.content.publisher));
        if staff || record.published_revision.is_some() {
            Ok(())
        } else {
            Err(CatalogError::NotFound(id.to_owned()))
        }
    }

    /// Distribution `did` as `viewer` may see it (see [`Catalog::distribution`]).
    pub async fn visible_distribution(
        &self,
        viewer: Option<&Curator<'_>>,
        id: &str,
        did: &str,
        revision: Option<i64>,
    ) -> Result<crate::model::Distribution, CatalogError> {
        let staff = self.is_staff(viewer, id).await?;
        self.distribution(id, did, revision, !staff).await
    }

    /// Counts per workflow state.
    pub async fn counts(&self) -> Result<BTreeMap<String, i64>, CatalogError> {
        let rows = sqlx::query("SELECT status, COUNT(*) FROM catalog_datasets GROUP BY status")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
            .collect()
    }
}

/// Deserializes patched content, naming the failing field.
fn content_from_json(doc: Value) -> Result<DatasetContent, CatalogError> {
    serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e
            .path()
            .to_string()
            .replace('[', ".")
            .replace(']', "")
            .replace('.', "/");
        let field = if path.is_empty() || path == "/" {
            "body".to_owned()
        } else {
            path
        };
        CatalogError::Invalid(vec![InputProblem::field(field, e.into_inner().to_string())])
    })
}
