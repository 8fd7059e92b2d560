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
}
