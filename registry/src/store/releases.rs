//! Releases: freezing a list with a sha256 manifest, reading releases and diffing two of them.
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::{Registry, parse_item};
use crate::changelog::{Appender, NewEntry, sha256_hex};
use crate::error::RegistryError;
use crate::model::{CodeListMeta, ItemData, LangText, Release};
use crate::plan::FieldChange;
use crate::steward::Steward;

/// The differences between two releases.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReleaseDiff {
    /// The list.
    pub list: String,
    /// From release.
    pub from: i64,
    /// To release.
    pub to: i64,
    /// Counts: `added`, `removed`, `changed`, `unchanged`.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, usize>))]
    pub summary: BTreeMap<&'static str, usize>,
    /// Metadata fields that changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<String>,
    /// Items only in `to`.
    pub added: Vec<ItemData>,
    /// Items only in `from`.
    pub removed: Vec<ItemData>,
    /// Items in both whose content differs.
    pub changed: Vec<ChangedItem>,
}

/// An item that changed between two releases.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangedItem {
    /// The code.
    pub code: String,
    /// Status in `from`.
    pub status_before: crate::model::ItemStatus,
    /// Status in `to`.
    pub status_after: crate::model::ItemStatus,
    /// The fields that differ.
    pub fields: Vec<FieldChange>,
}

impl Registry {
    /// Freezes the list's current state as the next release (a steward of the list).
    pub async fn create_release(
        &self,
        steward: &Steward<'_>,
        list: &str,
        notes: LangText,
    ) -> Result<Release, RegistryError> {
        steward.authorize(list)?;
        let actor = steward.name;
        let mut w = self.db.write_registry().await?;
        let meta = Self::meta_in(&mut w.tx, list).await?;
        let mut log = Appender::start(&mut w.tx).await?;
        let number = sqlx::query(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM registry_releases WHERE list_id = $1",
        )
        .bind(list)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get::<i64, _>(0)?;
        sqlx::query(
            "INSERT INTO registry_release_items (list_id, number, code, content, content_sha256) \
             SELECT list_id, $2, code, content, content_sha256 FROM registry_items WHERE list_id = $1",
        )
        .bind(list)
        .bind(number)
        .execute(&mut *w.tx)
        .await?;
        let rows = sqlx::query(
            "SELECT code, content_sha256 FROM registry_release_items WHERE list_id = $1 AND number = $2",
        )
        .bind(list)
        .bind(number)
        .fetch_all(&mut *w.tx)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for r in &rows {
            entries.push((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?));
        }
        let manifest = manifest_text(&meta, entries);
        let release = Release {
            list: list.to_owned(),
            number,
            notes,
            created_at: log.recorded_at().to_owned(),
            created_by: actor.to_owned(),
            item_count: rows.len() as i64,
            manifest_sha256: sha256_hex(manifest.as_bytes()),
            chain_head: log.head().to_owned(),
            meta,
        };
        sqlx::query(
            "INSERT INTO registry_releases (list_id, number, content, manifest_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(list)
        .bind(number)
        .bind(serde_json::to_string(&release).expect("release serializes"))
        .bind(&release.manifest_sha256)
        .bind(&release.created_at)
        .execute(&mut *w.tx)
        .await?;
        let uri = self.release_uri(list, number);
        log.append(
            &mut w.tx,
            &NewEntry {
                actor,
                action: "release.create",
                subject: &uri,
                before: None,
                after: Some(&release.manifest_sha256),
                detail: json!({ "items": release.item_count }),
            },
        )
        .await?;
        w.commit().await?;
        Ok(release)
    }

    /// Every release of a list, oldest first.
    pub async fn releases(&self, list: &str) -> Result<Vec<Release>, RegistryError> {
        self.meta(list).await?;
        let rows =
            sqlx::query("SELECT content FROM registry_releases WHERE list_id = $1 ORDER BY number")
                .bind(list)
                .fetch_all(self.db.pool())
                .await?;
        rows.iter()
            .map(|r| {
                serde_json::from_str(&r.try_get::<String, _>(0)?)
                    .map_err(|e| RegistryError::Storage(format!("corrupt release: {e}")))
            })
            .collect()
    }

    /// One release.
    pub async fn release(&self, list: &str, number: i64) -> Result<Release, RegistryError> {
        let row =
            sqlx::query("SELECT content FROM registry_releases WHERE list_id = $1 AND number = $2")
                .bind(list)
                .bind(number)
                .fetch_optional(self.db.pool())
                .await?
                .ok_or_else(|| RegistryError::ReleaseNotFound {
                    list: list.to_owned(),
                    number,
                })?;
        serde_json::from_str(&row.try_get::<String, _>(0)?)
            .map_err(|e| RegistryError::Storage(format!("corrupt release: {e}")))
    }

    /// The items of a release, by code.
    pub async fn release_items(
        &self,
        list: &str,
        number: i64,
    ) -> Result<Vec<ItemData>, RegistryError> {
        self.release(list, number).await?;
        let rows = sqlx::query(
            "SELECT content FROM registry_release_items WHERE list_id = $1 AND number = $2",
        )
        .bind(list)
        .bind(number)
        .fetch_all(self.db.pool())
        .await?;
        let mut items = rows
            .iter()
            .map(|r| parse_item(&r.try_get::<String, _>(0)?))
            .collect::<Result<Vec<_>, _>>()?;
        items.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(items)
    }

    /// The manifest of a release: a text whose sha256 is the release's `manifestSha256`.
    pub async fn release_manifest(&self, list: &str, number: i64) -> Result<String, RegistryError> {
        let release = self.release(list, number).await?;
        let items = self.release_items(list, number).await?;
        Ok(manifest_text(
            &release.meta,
            items.iter().map(|i| (i.code.clone(), i.sha256())).collect(),
        ))
    }

    /// The differences between two releases.
    pub async fn diff(&self, list: &str, from: i64, to: i64) -> Result<ReleaseDiff, RegistryError> {
        let (ra, rb) = (
            self.release(list, from).await?,
            self.release(list, to).await?,
        );
        let a: BTreeMap<String, ItemData> = self
            .release_items(list, from)
            .await?
            .into_iter()
            .map(|i| (i.code.clone(), i))
            .collect();
        let b: BTreeMap<String, ItemData> = self
            .release_items(list, to)
            .await?
            .into_iter()
            .map(|i| (i.code.clone(), i))
            .collect();
        let added: Vec<ItemData> = b
            .iter()
            .filter(|(c, _)| !a.contains_key(*c))
            .map(|(_, i)| i.clone())
            .collect();
        let removed: Vec<ItemData> = a
            .iter()
            .filter(|(c, _)| !b.contains_key(*c))
            .map(|(_, i)| i.clone())
            .collect();
        let changed: Vec<ChangedItem> = a
            .iter()
            .filter_map(|(code, before)| {
                let after = b.get(code)?;
                (before != after).then(|| ChangedItem {
                    code: code.clone(),
                    status_before: before.status,
                    status_after: after.status,
                    fields: crate::plan::field_changes(before, after),
                })
            })
            .collect();
        let meta_a = serde_json::to_value(&ra.meta).expect("meta serializes");
        let meta_b = serde_json::to_value(&rb.meta).expect("meta serializes");
        let metadata = meta_a
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
            .chain(meta_b.as_object().into_iter().flat_map(|m| m.keys()))
            .filter(|k| meta_a.get(k.as_str()) != meta_b.get(k.as_str()))
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let summary = BTreeMap::from([
            ("added", added.len()),
            ("removed", removed.len()),
            ("changed", changed.len()),
            ("unchanged", a.len() - removed.len() - changed.len()),
        ]);
        Ok(ReleaseDiff {
            list: list.to_owned(),
            from,
            to,
            summary,
            metadata,
            added,
            removed,
            changed,
        })
    }
}

/// The manifest text: the list metadata's hash, then one `code<TAB>sha256` line per item in byte order of codes.
fn manifest_text(meta: &CodeListMeta, mut entries: Vec<(String, String)>) -> String {
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
