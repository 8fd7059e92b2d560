//! Releases: a published revision frozen under a version label (`dcat:version`), with notes and the previous
//! version. Versions are immutable.
use registry::InputProblem;
use registry::changelog::{Appender, NewEntry};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::{Catalog, Curator};
use crate::error::CatalogError;

/// A release: a published revision frozen under a version label.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DatasetRelease))]
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

impl Catalog {
    /// Marks the published revision as release `version` (`dcat:version`), with notes. Versions are immutable.
    pub async fn create_release(
        &self,
        curator: &Curator<'_>,
        id: &str,
        version: &str,
        notes: &registry::model::LangText,
    ) -> Result<Release, CatalogError> {
        curator.check_edit(&self.publisher_of(id).await?)?;
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
        .bind(curator.name)
        .bind(log.recorded_at())
        .execute(&mut *w.tx)
        .await?;
        let subject = format!("{}/releases/{version}", self.dataset_uri(id));
        log.append(
            &mut w.tx,
            &NewEntry {
                actor: curator.name,
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
            .ok_or_else(|| CatalogError::Storage("release vanished".into()))
    }

    /// The releases of a dataset, oldest first.
    pub async fn releases(&self, id: &str) -> Result<Vec<Release>, CatalogError> {
        Ok(self
            .releases_of(&[id])
            .await?
            .remove(id)
            .unwrap_or_default())
    }

    /// The releases of many datasets (oldest first for each), a few queries for all of them: an export of a page of
    /// a thousand datasets asks once, not a thousand times. Datasets without releases are left out.
    pub async fn releases_of(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, Vec<Release>>, CatalogError> {
        let mut out: std::collections::HashMap<String, Vec<Release>> = Default::default();
        for chunk in ids.chunks(500) {
            let placeholders = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT dataset_id, version, revision, notes, created_by, created_at FROM catalog_releases \
                 WHERE dataset_id IN ({placeholders}) ORDER BY dataset_id, created_at, version"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(*id);
            }
            for r in &query.fetch_all(self.db.pool()).await? {
                let id: String = r.try_get(0)?;
                let notes: String = r.try_get(3)?;
                let version: String = r.try_get(1)?;
                let uri = format!(
                    "{}/releases/{}",
                    self.dataset_uri(&id),
                    registry::store::encode_segment(&version)
                );
                let list = out.entry(id).or_default();
                let previous = list.last().map(|p| p.version.clone());
                list.push(Release {
                    version,
                    revision: r.try_get(2)?,
                    notes: serde_json::from_str(&notes).unwrap_or_default(),
                    created_by: r.try_get(4)?,
                    created_at: r.try_get(5)?,
                    previous_version: previous,
                    uri,
                });
            }
        }
        Ok(out)
    }
}
