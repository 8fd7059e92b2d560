//! [`Registry`]: the code-list store. Reads answer on two time axes (`validAt` legal dates, `asOf` registry time); every
//! write runs in one serialized transaction that also appends to the change log, so nothing is ever half-applied.
//!
//! This module is the shared core (the handle, URIs, row decoding); the rest is split along the registry's seams:
//! [`lists`], [`items`], [`requests`] (change requests and how they are applied), [`releases`] and [`validation`].
use std::collections::HashMap;
use std::sync::Arc;

use sqlx::Row;

use crate::db::Database;
use crate::error::RegistryError;
use crate::memo::HeadMemo;
use crate::model::ItemData;
use crate::text::fold;

mod apply;
pub mod items;
pub mod lists;
pub mod releases;
pub mod requests;
pub mod validation;

pub use items::{ItemPage, ItemQuery, ItemVersion, ItemView};
pub use lists::{ListSummary, parse_list_id};
pub use releases::{ChangedItem, ReleaseDiff};
pub use validation::{CodeCheck, CodeCheckResult, ValidationReport};

/// The code-list registry over a [`Database`].
#[derive(Clone, Debug)]
pub struct Registry {
    db: Database,
    base_uri: String,
    /// Items rendered as the API's JSON, by list, notation and legal date, kept while the registry's generation
    /// holds (see [`Registry::item_json`]).
    rendered_items: Arc<HeadMemo<RenderedKey, Arc<str>>>,
    /// Items as they are now, by list and code, kept while the registry's generation holds (see
    /// [`Registry::current_item`]).
    current_items: Arc<HeadMemo<(String, String), CurrentItem>>,
}

/// An item as it is now, or `None` when there is no such item.
type CurrentItem = Option<Arc<ItemData>>;

/// A rendered item's key: list, notation as asked, legal date.
type RenderedKey = (String, String, Option<chrono::NaiveDate>);

/// Rendered items kept at most (the administrative units, about 11,000, on three or four legal dates).
const RENDERED_ITEMS: usize = 50_000;

fn parse_item(content: &str) -> Result<ItemData, RegistryError> {
    serde_json::from_str(content)
        .map_err(|e| RegistryError::Storage(format!("corrupt item content: {e}")))
}

fn search_text(item: &ItemData) -> String {
    let mut parts = vec![item.code.as_str()];
    parts.extend(item.notations.iter().map(|n| n.value.as_str()));
    parts.extend(item.labels.vi.as_deref());
    parts.extend(item.labels.en.as_deref());
    fold(&parts.join(" "))
}

fn like_pattern(text: &str) -> String {
    let escaped = fold(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Percent-encodes a code for use as a URI path segment.
pub fn encode_segment(code: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(code, SET).to_string()
}

impl Registry {
    /// A registry over `db`, minting URIs under `base_uri`.
    pub fn new(db: Database, base_uri: &str) -> Self {
        Self {
            db,
            base_uri: base_uri.trim_end_matches('/').to_owned(),
            rendered_items: Arc::new(HeadMemo::new(RENDERED_ITEMS)),
            current_items: Arc::new(HeadMemo::new(RENDERED_ITEMS)),
        }
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The base URI.
    pub fn base_uri(&self) -> &str {
        &self.base_uri
    }

    /// The URI of a list.
    pub fn list_uri(&self, list: &str) -> String {
        format!("{}/registry/{}", self.base_uri, encode_segment(list))
    }

    /// The URI of an item.
    pub fn item_uri(&self, list: &str, code: &str) -> String {
        format!(
            "{}/registry/{}/{}",
            self.base_uri,
            encode_segment(list),
            encode_segment(code)
        )
    }

    /// The URI of a release.
    pub fn release_uri(&self, list: &str, number: i64) -> String {
        format!(
            "{}/registry/{}/releases/{number}",
            self.base_uri,
            encode_segment(list)
        )
    }

    /// True when no list exists yet.
    pub async fn is_empty(&self) -> Result<bool, RegistryError> {
        let row = sqlx::query("SELECT COUNT(*) FROM registry_lists")
            .fetch_one(self.db.pool())
            .await?;
        Ok(row.try_get::<i64, _>(0)? == 0)
    }

    /// A change marker for caching (`ETag`): the last change-log sequence.
    pub async fn version_tag(&self) -> Result<i64, RegistryError> {
        let row = sqlx::query("SELECT MAX(seq) FROM change_log")
            .fetch_one(self.db.pool())
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?.unwrap_or(0))
    }

    async fn current_items(
        exec: &mut sqlx::AnyConnection,
        list: &str,
    ) -> Result<HashMap<String, ItemData>, RegistryError> {
        let rows = sqlx::query("SELECT content FROM registry_items WHERE list_id = $1")
            .bind(list)
            .fetch_all(exec)
            .await?;
        rows.iter()
            .map(|r| parse_item(&r.try_get::<String, _>(0)?).map(|i| (i.code.clone(), i)))
            .collect()
    }
}
