//! Writing a dataset's content: creating a draft and every later save, each a new immutable revision.
//!
//! A save is a read-modify-write inside the write transaction: the base the change applies to is read under the write
//! gate, compared with the revision the writer saw ([`Expected`]), and the change is applied to it there, so two
//! concurrent edits never lose one another. The slow part (registry code checks) runs first on a base read outside the
//! gate; when the base moved on meanwhile, the change is applied again to the new base and checked again, inside it.
use registry::InputProblem;
use registry::changelog::{Appender, NewEntry, sha256_hex};
use serde_json::{Value, json};
use sqlx::Row;

use super::{Catalog, Curator, CuratorRole, DatasetRecord, Expected, content_from_json, slug};
use crate::error::CatalogError;
use crate::model::{DatasetContent, Distribution, WorkflowStatus, check_dataset_id};
use registry::model::LangText;

/// A change to a dataset's list of distributions, as the curation pages make them.
#[derive(Debug, Clone)]
pub enum DistributionChange {
    /// A distribution held elsewhere: a download URL (its id is made from the URL's last segment).
    AddLink {
        /// The download URL.
        url: String,
        /// Its title.
        title: LangText,
        /// A code of the `file-types` list.
        format: Option<String>,
    },
    /// A new title and format for distribution `id`.
    Edit {
        /// The distribution.
        id: String,
        /// Its title.
        title: LangText,
        /// A code of the `file-types` list.
        format: Option<String>,
    },
    /// Removes distribution `id` (its file stays stored for older revisions).
    Remove {
        /// The distribution.
        id: String,
    },
}

/// A dataset's state as a write reads it.
pub(super) struct Base {
    pub status: WorkflowStatus,
    pub current_revision: i64,
    pub published_revision: Option<i64>,
    pub content: DatasetContent,
}

/// Reads the base of a write on `conn` (the write transaction, or a pooled connection for the optimistic pass).
pub(super) async fn read_base(
    conn: &mut sqlx::AnyConnection,
    id: &str,
) -> Result<Base, CatalogError> {
    let row = sqlx::query(
        "SELECT d.status, d.current_revision, d.published_revision, r.content FROM catalog_datasets d \
         JOIN catalog_revisions r ON r.dataset_id = d.id AND r.number = d.current_revision WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| CatalogError::NotFound(id.to_owned()))?;
    let status: String = row.try_get(0)?;
    Ok(Base {
        status: WorkflowStatus::parse(&status).unwrap_or(WorkflowStatus::Draft),
        current_revision: row.try_get(1)?,
        published_revision: row.try_get(2)?,
        content: super::parse_content(&row.try_get::<String, _>(3)?)?,
    })
}

impl Catalog {
    /// Creates a draft dataset (revision 1) for the curator's agency. Without an id one is made from the title.
    pub async fn create(
        &self,
        curator: &Curator<'_>,
        id: Option<String>,
        content: DatasetContent,
    ) -> Result<DatasetRecord, CatalogError> {
        if !matches!(
            curator.role,
            CuratorRole::Admin | CuratorRole::Publisher | CuratorRole::Harvester
        ) {
            return Err(CatalogError::Forbidden(
                "only publishers create datasets".into(),
            ));
        }
        curator.check_harvested(None, &content)?;
        let agency = self
            .registry
            .resolve_code("agencies", &content.publisher)
            .await?;
        if let Some(agency) = &agency
            && !curator.may_create(agency)
        {
            return Err(CatalogError::Forbidden(format!(
                "{} publishes for another agency",
                curator.name
            )));
        }
        if let Some(id) = &id {
            check_dataset_id(id).map_err(|p| CatalogError::Invalid(vec![p]))?;
        }
        let content = self.checked(content).await?;
        if !curator.may_create(&content.publisher) {
            return Err(CatalogError::Forbidden(format!(
                "{} publishes for another agency",
                curator.name
            )));
        }
        let actor = curator.actor();
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
        curator: &Curator<'_>,
        id: &str,
        patch: &Value,
        message: Option<&str>,
        expected: &Expected,
    ) -> Result<DatasetRecord, CatalogError> {
        if !patch.is_object() {
            return Err(CatalogError::Invalid(vec![InputProblem::field(
                "body",
                "a JSON merge patch object is expected",
            )]));
        }
        self.save(curator, id, expected, message, |base| {
            let mut doc = serde_json::to_value(base).expect("content serializes");
            json_patch::merge(&mut doc, patch);
            content_from_json(doc)
        })
        .await
    }

    /// Adds, edits or removes a distribution as a new revision.
    pub async fn change_distribution(
        &self,
        curator: &Curator<'_>,
        id: &str,
        change: &DistributionChange,
        expected: &Expected,
    ) -> Result<DatasetRecord, CatalogError> {
        let message = match change {
            DistributionChange::AddLink { .. } => "link added".to_owned(),
            DistributionChange::Edit { id: did, .. } => format!("distribution {did} edited"),
            DistributionChange::Remove { id: did } => format!("distribution {did} removed"),
        };
        self.save(curator, id, expected, Some(&message), |base| {
            let mut content = base.clone();
            let list = &mut content.distributions;
            let position = |did: &str| {
                list.iter()
                    .position(|d| d.id == did)
                    .ok_or_else(|| CatalogError::NotFound(format!("{id}/distribution/{did}")))
            };
            match change {
                DistributionChange::AddLink { url, title, format } => {
                    let name = url.trim_end_matches('/').rsplit('/').next().unwrap_or("");
                    let mut d = Distribution::new(crate::model::distribution_id(name, list));
                    d.title = title.clone();
                    d.download_url = Some(url.clone());
                    d.format = format.clone();
                    list.push(d);
                }
                DistributionChange::Edit {
                    id: did,
                    title,
                    format,
                } => {
                    let i = position(did)?;
                    list[i].title = title.clone();
                    list[i].format = format.clone();
                }
                DistributionChange::Remove { id: did } => {
                    let i = position(did)?;
                    list.remove(i);
                }
            }
            Ok(content)
        })
        .await
    }

    /// Checks a changed content as every save does: its shape and codes, the curator's right to its publisher (a
    /// dataset is not moved to another agency), and the column types declared for uploaded files (ingested with them
    /// now, so a value that does not fit is refused naming its line and the field).
    async fn prepare(
        &self,
        curator: &Curator<'_>,
        content: DatasetContent,
    ) -> Result<DatasetContent, CatalogError> {
        let content = self.checked(content).await?;
        if !curator.may_edit(&content.publisher) {
            return Err(CatalogError::Forbidden(
                "a dataset cannot be moved to another agency".into(),
            ));
        }
        for (i, d) in content.distributions.iter().enumerate() {
            let Some(sha) = d.file_sha256.as_deref() else {
                continue;
            };
            if d.column_types.is_empty() || self.files.is_none() {
                continue;
            }
            let path = self.file_path(sha)?;
            self.ingest_csv(sha, &path, &d.column_types)
                .await
                .map_err(|e| match e {
                    CatalogError::Invalid(problems) => CatalogError::Invalid(
                        problems
                            .into_iter()
                            .map(|mut p| {
                                let column = p.field.take().unwrap_or_default();
                                let column = column
                                    .strip_prefix("columnTypes/")
                                    .unwrap_or(&column)
                                    .to_owned();
                                p.field = Some(format!("distributions/{i}/columnTypes/{column}"));
                                p
                            })
                            .collect(),
                    ),
                    other => other,
                })?;
        }
        Ok(content)
    }

    /// Saves `edit` of the current content as a new revision (nothing when it changes nothing): the one write path of
    /// every later save. `edit` is applied to the base read inside the write transaction.
    pub(super) async fn save(
        &self,
        curator: &Curator<'_>,
        id: &str,
        expected: &Expected,
        message: Option<&str>,
        edit: impl Fn(&DatasetContent) -> Result<DatasetContent, CatalogError>,
    ) -> Result<DatasetRecord, CatalogError> {
        // The optimistic pass, outside the write gate: refuse early and run the slow checks.
        let seen = {
            let mut conn = self.db.pool().acquire().await?;
            read_base(&mut conn, id).await?
        };
        let admissible = |base: &Base| {
            curator.check_edit(&base.content.publisher)?;
            if base.status == WorkflowStatus::Withdrawn {
                return Err(CatalogError::Conflict(format!(
                    "dataset {id:?} is withdrawn"
                )));
            }
            expected.check(id, base.current_revision)
        };
        admissible(&seen)?;
        let mut content = self.prepare(curator, edit(&seen.content)?).await?;
        let mut w = self.db.write().await?;
        let base = read_base(&mut w.tx, id).await?;
        admissible(&base)?;
        if base.current_revision != seen.current_revision {
            // Someone saved meanwhile: the change applies to their revision, never to the one read before.
            content = self.prepare(curator, edit(&base.content)?).await?;
        }
        curator.check_harvested(Some(&base.content), &content)?;
        if content == base.content {
            drop(w);
            return self.get(id, None, false).await;
        }
        let number = base.current_revision + 1;
        let new_status = match base.status {
            WorkflowStatus::Submitted | WorkflowStatus::Returned | WorkflowStatus::Published => {
                WorkflowStatus::Draft
            }
            other => other,
        };
        let before = sha256_hex(base.content.canonical_json().as_bytes());
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
        .bind(curator.name)
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
        .bind(new_status.as_str())
        .bind(&content.publisher)
        .bind(log.recorded_at())
        .execute(&mut *w.tx)
        .await?;
        let uri = self.dataset_uri(id);
        log.append(
            &mut w.tx,
            &NewEntry {
                actor: curator.name,
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
}
