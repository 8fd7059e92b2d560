//! Code lists: creation, metadata and the summary with counts.
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use super::Registry;
use crate::changelog::{Appender, NewEntry, sha256_hex};
use crate::error::RegistryError;
use crate::model::{CodeListId, CodeListMeta};
use crate::steward::Steward;

/// A list with its counts, as listed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ListSummary {
    /// The metadata.
    #[serde(flatten)]
    pub meta: CodeListMeta,
    /// The list's URI.
    pub uri: String,
    /// Items per registered status.
    pub item_counts: BTreeMap<String, i64>,
    /// The latest release number.
    pub latest_release: Option<i64>,
    /// Last change.
    pub updated_at: String,
}

impl Registry {
    /// Creates a list (an admin).
    pub async fn create_list(
        &self,
        steward: &Steward<'_>,
        meta: CodeListMeta,
    ) -> Result<ListSummary, RegistryError> {
        steward.authorize_new_list()?;
        let actor = steward.name;
        let problems = meta.check();
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let mut w = self.db.write_registry().await?;
        let exists = sqlx::query("SELECT 1 FROM registry_lists WHERE id = $1")
            .bind(meta.id.as_str())
            .fetch_optional(&mut *w.tx)
            .await?;
        if exists.is_some() {
            return Err(RegistryError::ListExists(meta.id.to_string()));
        }
        let mut log = Appender::start(&mut w.tx).await?;
        let content = serde_json::to_string(&meta).expect("meta serializes");
        sqlx::query("INSERT INTO registry_lists (id, content, created_at, updated_at) VALUES ($1, $2, $3, $3)")
            .bind(meta.id.as_str())
            .bind(&content)
            .bind(log.recorded_at())
            .execute(&mut *w.tx)
            .await?;
        let after = sha256_hex(content.as_bytes());
        let uri = self.list_uri(meta.id.as_str());
        log.append(
            &mut w.tx,
            &NewEntry {
                actor,
                action: "list.create",
                subject: &uri,
                before: None,
                after: Some(&after),
                detail: json!({}),
            },
        )
        .await?;
        w.commit().await?;
        self.list(meta.id.as_str()).await
    }

    pub(super) async fn meta_in(
        tx: &mut Transaction<'static, Any>,
        list: &str,
    ) -> Result<CodeListMeta, RegistryError> {
        let row = sqlx::query("SELECT content FROM registry_lists WHERE id = $1")
            .bind(list)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| RegistryError::ListNotFound(list.to_owned()))?;
        serde_json::from_str(&row.try_get::<String, _>(0)?)
            .map_err(|e| RegistryError::Storage(format!("corrupt list metadata: {e}")))
    }

    /// A list's metadata.
    pub async fn meta(&self, list: &str) -> Result<CodeListMeta, RegistryError> {
        let row = sqlx::query("SELECT content FROM registry_lists WHERE id = $1")
            .bind(list)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| RegistryError::ListNotFound(list.to_owned()))?;
        serde_json::from_str(&row.try_get::<String, _>(0)?)
            .map_err(|e| RegistryError::Storage(format!("corrupt list metadata: {e}")))
    }

    /// Every list, by id.
    pub async fn lists(&self) -> Result<Vec<ListSummary>, RegistryError> {
        let rows = sqlx::query("SELECT id FROM registry_lists ORDER BY id")
            .fetch_all(self.db.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.list(&row.try_get::<String, _>(0)?).await?);
        }
        Ok(out)
    }

    /// One list with counts.
    pub async fn list(&self, list: &str) -> Result<ListSummary, RegistryError> {
        let row = sqlx::query("SELECT content, updated_at FROM registry_lists WHERE id = $1")
            .bind(list)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| RegistryError::ListNotFound(list.to_owned()))?;
        let meta: CodeListMeta = serde_json::from_str(&row.try_get::<String, _>(0)?)
            .map_err(|e| RegistryError::Storage(format!("corrupt list metadata: {e}")))?;
        let updated_at: String = row.try_get(1)?;
        let counts = sqlx::query(
            "SELECT status, COUNT(*) FROM registry_items WHERE list_id = $1 GROUP BY status",
        )
        .bind(list)
        .fetch_all(self.db.pool())
        .await?;
        let mut item_counts = BTreeMap::new();
        for r in counts {
            item_counts.insert(r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?);
        }
        let latest = sqlx::query("SELECT MAX(number) FROM registry_releases WHERE list_id = $1")
            .bind(list)
            .fetch_one(self.db.pool())
            .await?
            .try_get::<Option<i64>, _>(0)?;
        Ok(ListSummary {
            uri: self.list_uri(list),
            meta,
            item_counts,
            latest_release: latest,
            updated_at,
        })
    }
}

/// Parses a code-list id from user input.
pub fn parse_list_id(s: &str) -> Result<CodeListId, RegistryError> {
    CodeListId::parse(s).map_err(RegistryError::invalid)
}
