//! [`Catalog`]: datasets in SQL with immutable revisions, the publication workflow and registry-checked codes.
//!
//! Every save is a new revision (canonical JSON and its sha256) appended in the same serialized transaction as its
//! change-log entry. A published dataset keeps showing its published revision to the public while a new draft is edited.
use std::collections::BTreeMap;

use registry::changelog::{Appender, NewEntry, sha256_hex};
use registry::db::Migrations;
use registry::store::CodeCheck;
use registry::{Database, InputProblem, Registry};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::Row;

use crate::error::CatalogError;
use crate::model::{DatasetContent, WorkflowStatus, check_dataset_id};

/// The migrations of this crate.
pub const CATALOG_MIGRATIONS: Migrations = Migrations {
    steps: &[
        (
            2001,
            "catalog",
            include_str!("../migrations/sqlite/2001_catalog.sql"),
            include_str!("../migrations/postgres/2001_catalog.sql"),
        ),
        (
            2002,
            "catalog_usage",
            include_str!("../migrations/sqlite/2002_usage.sql"),
            include_str!("../migrations/postgres/2002_usage.sql"),
        ),
    ],
};

/// The dataset store.
#[derive(Clone, Debug)]
pub struct Catalog {
    db: Database,
    registry: Registry,
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

/// A release: a published revision frozen under a version label.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    /// `dcat:version`.
    pub version: String,
    /// The revision it freezes.
    pub revision: i64,
    /// `adms:versionNotes`.
    pub notes: registry::model::LangText,
    /// Who marked it.
    pub created_by: String,
    /// When.
    pub created_at: String,
    /// `dcat:previousVersion`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_version: Option<String>,
    /// `{dataset}/releases/{version}`.
    pub uri: String,
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
pub fn diff_fields(a: &Value, b: &Value) -> Vec<Value> {
    let empty = serde_json::Map::new();
    let (a, b) = (
        a.as_object().unwrap_or(&empty),
        b.as_object().unwrap_or(&empty),
    );
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| json!({ "field": k, "before": a.get(k), "after": b.get(k) }))
        .collect()
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
    serde_json::from_str(text).map_err(|e| {
        CatalogError::Registry(registry::RegistryError::Storage(format!(
            "corrupt revision: {e}"
        )))
    })
}

const RECORD_COLUMNS: &str = "d.id, d.status, d.status_reason, d.current_revision, d.published_revision, d.created_at, \
     d.updated_at, d.first_published_at, d.published_at, r.number, r.content";

impl Catalog {
    /// A catalog over `db`, checking codes with `registry`.
    pub fn new(db: Database, registry: Registry) -> Self {
        Self { db, registry }
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

    /// Creates a draft dataset (revision 1). Without an id one is made from the title.
    pub async fn create(
        &self,
        id: Option<String>,
        content: DatasetContent,
        actor: &Actor<'_>,
    ) -> Result<DatasetRecord, CatalogError> {
        if let Some(id) = &id {
            check_dataset_id(id).map_err(|p| CatalogError::Invalid(vec![p]))?;
        }
        let content = self.checked(content).await?;
        let mut w = self.db.write().await?;
        let id = match id {
            Some(id) => {
                let taken = sqlx::query("SELECT 1 FROM catalog_datasets WHERE id = $1")
                    .bind(&id)
                    .fetch_optional(&mut *w.tx)
                    .await?;
                if taken.is_some() {
                    return Err(CatalogError::Conflict(format!(
                        "dataset {id:?} already exists"
                    )));
                }
                id
            }
            None => {
                let base = slug(content.title.vi.as_deref().unwrap_or("dataset"));
                let mut candidate = base.clone();
                let mut n = 1;
                while sqlx::query("SELECT 1 FROM catalog_datasets WHERE id = $1")
                    .bind(&candidate)
                    .fetch_optional(&mut *w.tx)
                    .await?
                    .is_some()
                {
                    n += 1;
                    candidate = format!("{base}-{n}");
                }
                candidate
            }
        };
        let mut log = Appender::start(&mut w.tx).await?;
        let body = content.canonical_json();
        let hash = sha256_hex(body.as_bytes());
        sqlx::query(
            "INSERT INTO catalog_datasets (id, publisher, status, current_revision, created_at, updated_at) \
             VALUES ($1, $2, 'draft', 1, $3, $3)",
        )
        .bind(&id)
        .bind(&content.publisher)
        .bind(log.recorded_at())
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(
            "INSERT INTO catalog_revisions (dataset_id, number, content, sha256, author, message, created_at) \
             VALUES ($1, 1, $2, $3, $4, 'created', $5)",
        )
        .bind(&id)
        .bind(&body)
        .bind(&hash)
        .bind(actor.name)
        .bind(log.recorded_at())
        .execute(&mut *w.tx)
        .await?;
        let uri = self.dataset_uri(&id);
        log.append(
            &mut w.tx,
            &NewEntry {
                actor: actor.name,
                action: "dataset.create",
                subject: &uri,
                before: None,
                after: Some(&hash),
                detail: json!({ "revision": 1 }),
            },
        )
        .await?;
        w.commit().await?;
        self.get(&id, None, false).await
    }

    /// Applies an RFC 7396 merge patch to the current content, saving a new revision when anything changed. Editing a
    /// submitted dataset takes it back to draft; a published one stays public at its published revision.
    pub async fn update(
        &self,
        id: &str,
        patch: &Value,
        message: Option<&str>,
        actor: &Actor<'_>,
    ) -> Result<DatasetRecord, CatalogError> {
        let current = self.get(id, None, false).await?;
        if current.status == WorkflowStatus::Withdrawn {
            return Err(CatalogError::Conflict(format!(
                "dataset {id:?} is withdrawn"
            )));
        }
        if !patch.is_object() {
            return Err(CatalogError::Invalid(vec![InputProblem::field(
                "body",
                "a JSON merge patch object is expected",
            )]));
        }
        let mut doc = serde_json::to_value(&current.content).expect("content serializes");
        json_patch::merge(&mut doc, patch);
        let content: DatasetContent = content_from_json(doc)?;
        let content = self.checked(content).await?;
        if content == current.content {
            return Ok(current);
        }
        let mut w = self.db.write().await?;
        let row =
            sqlx::query("SELECT current_revision, status FROM catalog_datasets WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *w.tx)
                .await?;
        let number = row.try_get::<i64, _>(0)? + 1;
        let status: String = row.try_get(1)?;
        let new_status = match status.as_str() {
            "submitted" | "returned" | "published" => "draft",
            other => other,
        };
        let before = sha256_hex(current.content.canonical_json().as_bytes());
        let body = content.canonical_json();
        let hash = sha256_hex(body.as_bytes());
        let mut log = Appender::start(&mut w.tx).await?;
        sqlx::query(
            "INSERT INTO catalog_revisions (dataset_id, number, content, sha256, author, message, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(number)
        .bind(&body)
        .bind(&hash)
        .bind(actor.name)
        .bind(message.unwrap_or("updated"))
        .bind(log.recorded_at())
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(
            "UPDATE catalog_datasets SET current_revision = $2, status = $3, publisher = $4, updated_at = $5, \
             status_reason = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(number)
        .bind(new_status)
        .bind(&content.publisher)
        .bind(log.recorded_at())
        .execute(&mut *w.tx)
        .await?;
        let uri = self.dataset_uri(id);
        log.append(
            &mut w.tx,
            &NewEntry {
                actor: actor.name,
                action: "dataset.update",
                subject: &uri,
                before: Some(&before),
                after: Some(&hash),
                detail: json!({ "revision": number, "message": message }),
            },
        )
        .await?;
        w.commit().await?;
        self.get(id, None, false).await
    }

    /// Moves a dataset through the workflow: `submit`, `publish`, `return` (with a reason) or `withdraw` (with a reason).
    pub async fn transition(
        &self,
        id: &str,
        action: &str,
        reason: Option<&str>,
        actor: &Actor<'_>,
    ) -> Result<DatasetRecord, CatalogError> {
        let current = self.get(id, None, false).await?;
        let from = current.status;
        let to = match (action, from) {
            ("submit", WorkflowStatus::Draft | WorkflowStatus::Returned) => {
                WorkflowStatus::Submitted
            }
            ("publish", WorkflowStatus::Submitted) => WorkflowStatus::Published,
            ("return", WorkflowStatus::Submitted) => WorkflowStatus::Returned,
            ("withdraw", _)
                if current.published_revision.is_some() && from != WorkflowStatus::Withdrawn =>
            {
                WorkflowStatus::Withdrawn
            }
            _ => {
                return Err(CatalogError::Conflict(format!(
                    "cannot {action} a dataset that is {}",
                    from.as_str()
                )));
            }
        };
        if matches!(action, "return" | "withdraw") && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(CatalogError::Invalid(vec![InputProblem::field(
                "reason",
                format!("a reason is required to {action}"),
            )]));
        }
        if action == "publish" {
            // Codes may have closed since the draft was saved.
            let mut content = current.content.clone();
            self.check_codes(&mut content).await?;
        }
        let mut w = self.db.write().await?;
        let mut log = Appender::start(&mut w.tx).await?;
        let now = log.recorded_at().to_owned();
        let result = if to == WorkflowStatus::Published {
            sqlx::query(
                "UPDATE catalog_datasets SET status = 'published', published_revision = current_revision, \
                 status_reason = NULL, updated_at = $2, published_at = $2, \
                 first_published_at = COALESCE(first_published_at, $2) WHERE id = $1 AND status = $3",
            )
            .bind(id)
            .bind(&now)
            .bind(from.as_str())
            .execute(&mut *w.tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE catalog_datasets SET status = $2, status_reason = $3, updated_at = $4 WHERE id = $1 AND status = $5",
            )
            .bind(id)
            .bind(to.as_str())
            .bind(reason)
            .bind(&now)
            .bind(from.as_str())
            .execute(&mut *w.tx)
            .await?
        };
        if result.rows_affected() != 1 {
            return Err(CatalogError::Conflict(format!(
                "dataset {id:?} changed meanwhile; try again"
            )));
        }
        let uri = self.dataset_uri(id);
        let action_name = format!("dataset.{action}");
        log.append(
            &mut w.tx,
            &NewEntry {
                actor: actor.name,
                action: &action_name,
                subject: &uri,
                before: None,
                after: None,
                detail: json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason, "revision": current.current_revision }),
            },
        )
        .await?;
        w.commit().await?;
        self.get(id, None, false).await
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
        let total: i64 = count.fetch_one(self.db.pool()).await?.try_get(0)?;
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
        let mut items = rows
            .iter()
            .map(|r| self.record(r))
            .collect::<Result<Vec<_>, _>>()?;
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
    pub async fn diff(&self, id: &str, from: i64, to: i64) -> Result<Value, CatalogError> {
        let a = serde_json::to_value(self.revision(id, from).await?).expect("content serializes");
        let b = serde_json::to_value(self.revision(id, to).await?).expect("content serializes");
        Ok(json!({ "dataset": id, "from": from, "to": to, "changes": diff_fields(&a, &b) }))
    }

    /// Records an uploaded file on distribution `did` (added when missing) as a new revision.
    pub async fn attach_file(
        &self,
        id: &str,
        did: &str,
        file: &crate::files::StoredFile,
        media_type: Option<&str>,
        actor: &Actor<'_>,
    ) -> Result<DatasetRecord, CatalogError> {
        let current = self.get(id, None, false).await?;
        let mut distributions = current.content.distributions.clone();
        match distributions.iter_mut().find(|d| d.id == did) {
            Some(d) => {
                d.file_sha256 = Some(file.sha256.clone());
                d.byte_size = Some(file.byte_size);
                if d.media_type.is_none() {
                    d.media_type = media_type.map(str::to_owned);
                }
            }
            None => distributions.push(crate::model::Distribution {
                id: did.to_owned(),
                title: Default::default(),
                description: Default::default(),
                access_url: None,
                download_url: None,
                file_sha256: Some(file.sha256.clone()),
                byte_size: Some(file.byte_size),
                format: None,
                media_type: media_type.map(str::to_owned),
                licence: None,
                column_types: Default::default(),
            }),
        }
        let patch = json!({ "distributions": distributions });
        self.update(
            id,
            &patch,
            Some(&format!("file {did} uploaded ({} bytes)", file.byte_size)),
            actor,
        )
        .await
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

    /// Marks the published revision as release `version` (`dcat:version`), with notes. Versions are immutable.
    pub async fn create_release(
        &self,
        id: &str,
        version: &str,
        notes: &registry::model::LangText,
        actor: &Actor<'_>,
    ) -> Result<Release, CatalogError> {
        let version = version.trim();
        if version.is_empty()
            || version.len() > 50
            || !version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
        {
            return Err(CatalogError::Invalid(vec![InputProblem::field(
                "version",
                "1-50 of letters, digits, '.', '-', '_'",
            )]));
        }
        let record = self.get(id, None, false).await?;
        let revision = record.published_revision.ok_or_else(|| {
            CatalogError::Conflict(format!(
                "dataset {id:?} has no published revision to release"
            ))
        })?;
        let mut w = self.db.write().await?;
        let taken =
            sqlx::query("SELECT 1 FROM catalog_releases WHERE dataset_id = $1 AND version = $2")
                .bind(id)
                .bind(version)
                .fetch_optional(&mut *w.tx)
                .await?;
        if taken.is_some() {
            return Err(CatalogError::Conflict(format!(
                "version {version:?} of {id:?} already exists"
            )));
        }
        let mut log = Appender::start(&mut w.tx).await?;
        let notes_json = serde_json::to_string(notes).expect("notes serialize");
        sqlx::query(
            "INSERT INTO catalog_releases (dataset_id, version, revision, notes, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(version)
        .bind(revision)
        .bind(&notes_json)
        .bind(actor.name)
        .bind(log.recorded_at())
        .execute(&mut *w.tx)
        .await?;
        let subject = format!("{}/releases/{version}", self.dataset_uri(id));
        log.append(
            &mut w.tx,
            &NewEntry {
                actor: actor.name,
                action: "dataset.release",
                subject: &subject,
                before: None,
                after: None,
                detail: json!({ "revision": revision, "version": version }),
            },
        )
        .await?;
        w.commit().await?;
        self.releases(id)
            .await?
            .into_iter()
            .find(|r| r.version == version)
            .ok_or_else(|| {
                CatalogError::Registry(registry::RegistryError::Storage("release vanished".into()))
            })
    }

    /// The releases of a dataset, oldest first.
    pub async fn releases(&self, id: &str) -> Result<Vec<Release>, CatalogError> {
        let rows = sqlx::query(
            "SELECT version, revision, notes, created_by, created_at FROM catalog_releases WHERE dataset_id = $1 \
             ORDER BY created_at, version",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        let mut out: Vec<Release> = Vec::with_capacity(rows.len());
        for r in &rows {
            let notes: String = r.try_get(2)?;
            let previous = out.last().map(|p| p.version.clone());
            out.push(Release {
                version: r.try_get(0)?,
                revision: r.try_get(1)?,
                notes: serde_json::from_str(&notes).unwrap_or_default(),
                created_by: r.try_get(3)?,
                created_at: r.try_get(4)?,
                previous_version: previous,
                uri: String::new(),
            });
        }
        for r in &mut out {
            r.uri = format!(
                "{}/releases/{}",
                self.dataset_uri(id),
                registry::store::encode_segment(&r.version)
            );
        }
        Ok(out)
    }

    /// Creates and publishes many datasets at once (bulk loads and generated catalogs): every content is checked as
    /// [`Catalog::create`] checks it, then each batch is written in one transaction with the same rows and change-log
    /// entries as a create followed by a publish.
    pub async fn create_published_batch(
        &self,
        datasets: Vec<(String, DatasetContent)>,
        actor: &Actor<'_>,
    ) -> Result<usize, CatalogError> {
        let mut checked = Vec::with_capacity(datasets.len());
        let mut problems = Vec::new();
        let refs: Vec<CodeCheck> = datasets
            .iter()
            .flat_map(|(_, c)| {
                c.references().into_iter().map(|(_, list, code)| CodeCheck {
                    list: list.to_owned(),
                    code,
                    date: c.reference_date,
                })
            })
            .collect();
        let results = self.registry.validate(&refs).await?;
        let mut results = results.into_iter();
        for (i, (id, mut content)) in datasets.into_iter().enumerate() {
            if let Err(p) = check_dataset_id(&id) {
                problems.push(InputProblem::field(format!("{i}/id"), p.message));
            }
            for p in content.check_shape() {
                problems.push(InputProblem::field(
                    format!("{i}/{}", p.field.unwrap_or_default()),
                    p.message,
                ));
            }
            for (field, _, code) in content.references() {
                let r = results.next().expect("one result per reference");
                match r.result.as_str() {
                    "valid" => {
                        if field == "publisher"
                            && let Some(c) = r.canonical_code
                        {
                            content.publisher = c;
                        }
                    }
                    other => problems.push(InputProblem::field(
                        format!("{i}/{field}"),
                        format!("code {code:?} is {other}"),
                    )),
                }
            }
            checked.push((id, content));
        }
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        let count = checked.len();
        for batch in checked.chunks(500) {
            let mut w = self.db.write().await?;
            let mut log = Appender::start(&mut w.tx).await?;
            let now = log.recorded_at().to_owned();
            for (id, content) in batch {
                let body = content.canonical_json();
                let hash = sha256_hex(body.as_bytes());
                sqlx::query(
                    "INSERT INTO catalog_datasets (id, publisher, status, current_revision, published_revision, \
                     created_at, updated_at, first_published_at, published_at) \
                     VALUES ($1, $2, 'published', 1, 1, $3, $3, $3, $3)",
                )
                .bind(id)
                .bind(&content.publisher)
                .bind(&now)
                .execute(&mut *w.tx)
                .await
                .map_err(|e| CatalogError::Conflict(format!("dataset {id:?}: {e}")))?;
                sqlx::query(
                    "INSERT INTO catalog_revisions (dataset_id, number, content, sha256, author, message, created_at) \
                     VALUES ($1, 1, $2, $3, $4, 'created', $5)",
                )
                .bind(id)
                .bind(&body)
                .bind(&hash)
                .bind(actor.name)
                .bind(&now)
                .execute(&mut *w.tx)
                .await?;
                let uri = self.dataset_uri(id);
                log.append(
                    &mut w.tx,
                    &NewEntry {
                        actor: actor.name,
                        action: "dataset.create",
                        subject: &uri,
                        before: None,
                        after: Some(&hash),
                        detail: json!({ "revision": 1 }),
                    },
                )
                .await?;
                log.append(
                    &mut w.tx,
                    &NewEntry {
                        actor: actor.name,
                        action: "dataset.publish",
                        subject: &uri,
                        before: None,
                        after: None,
                        detail: json!({ "from": "draft", "to": "published", "revision": 1 }),
                    },
                )
                .await?;
            }
            w.commit().await?;
        }
        Ok(count)
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
