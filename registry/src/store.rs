//! [`Registry`]: the code-list store. Reads answer on two time axes (`validAt` legal dates, `asOf` registry time); every
//! write runs in one serialized transaction that also appends to the change log, so nothing is ever half-applied.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{Any, Row, Transaction};

use crate::changelog::{Appender, NewEntry, sha256_hex};
use crate::db::Database;
use crate::error::{InputProblem, RegistryError};
use crate::model::{
    Change, ChangeRequest, CodeListId, CodeListMeta, ItemData, LangText, Release, RequestStatus,
    StatusAt,
};
use crate::plan::{ChangeKind, FieldChange, Plan, plan};
use crate::text::fold;

/// The code-list registry over a [`Database`].
#[derive(Clone, Debug)]
pub struct Registry {
    db: Database,
    base_uri: String,
}

/// A list with its counts, as listed.
#[derive(Debug, Clone, Serialize)]
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

/// An item as read, with its URI and the time axes it was read on.
#[derive(Debug, Clone)]
pub struct ItemView {
    /// The list.
    pub list: String,
    /// The item's URI.
    pub uri: String,
    /// The content.
    pub data: ItemData,
    /// The legal date asked for, if any.
    pub valid_at: Option<NaiveDate>,
    /// Codes whose successors include this one.
    pub predecessors: Vec<String>,
    /// When the registry last recorded a change to it.
    pub updated_at: String,
}

impl ItemView {
    /// The JSON shape of the API: the content plus `list`, `uri`, `status` at `validAt` when asked, and the registered
    /// status as `registeredStatus`.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(&self.data).expect("item serializes");
        let map = v.as_object_mut().expect("items serialize as objects");
        let mut out = serde_json::Map::new();
        out.insert("list".into(), json!(self.list));
        out.insert("code".into(), json!(self.data.code));
        out.insert("uri".into(), json!(self.uri));
        out.insert("registeredStatus".into(), json!(self.data.status));
        if let Some(date) = self.valid_at {
            out.insert("status".into(), json!(self.data.status_at(date)));
            out.insert("validAt".into(), json!(date));
        }
        for (k, val) in std::mem::take(map) {
            out.entry(k).or_insert(val);
        }
        if !self.predecessors.is_empty() {
            out.insert("predecessors".into(), json!(self.predecessors));
        }
        out.insert("updatedAt".into(), json!(self.updated_at));
        Value::Object(out)
    }
}

/// One recorded version of an item.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemVersion {
    /// The change-log sequence that recorded it.
    pub seq: i64,
    /// When.
    pub recorded_at: String,
    /// Who applied it.
    pub actor: String,
    /// `item.add`, `item.modify`, `item.supersede` or `item.retire`.
    pub action: String,
    /// Why (reason, change request, proposer).
    pub detail: Value,
    /// Content hash before.
    pub before_sha256: Option<String>,
    /// Content hash after.
    pub after_sha256: Option<String>,
    /// The item as recorded.
    pub item: ItemData,
}

/// Filters and paging for item listings.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// Registered status, or status at `valid_at` when that is given (`valid`, `superseded`, `retired`,
    /// `notYetValid`, `submitted`, `invalid`).
    pub status: Option<String>,
    /// Only children of this code.
    pub parent: Option<String>,
    /// Only this hierarchy level.
    pub level: Option<String>,
    /// Text in code, notations or labels, matched without diacritics.
    pub text: Option<String>,
    /// Legal date: without `status`, only items valid that day.
    pub valid_at: Option<NaiveDate>,
    /// Registry time: the items as the registry recorded them then.
    pub as_of: Option<String>,
    /// Continue after this code.
    pub cursor: Option<String>,
    /// Page size (1..=1000).
    pub limit: usize,
}

/// A page of items.
#[derive(Debug, Clone)]
pub struct ItemPage {
    /// The items.
    pub items: Vec<ItemView>,
    /// The cursor of the next page, if any.
    pub next: Option<String>,
}

/// One entry of a batch validation.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeCheck {
    /// The code list.
    pub list: String,
    /// The code or any notation.
    pub code: String,
    /// The legal date (default: today).
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// The answer for one [`CodeCheck`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeCheckResult {
    /// The list asked for.
    pub list: String,
    /// The code asked for.
    pub code: String,
    /// The date checked.
    pub date: NaiveDate,
    /// `valid`, `superseded`, `retired`, `notYetValid`, `submitted`, `invalid` or `unknown`.
    pub result: String,
    /// The item's code when the input was another notation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical_code: Option<String>,
    /// The item's URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The item's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<LangText>,
    /// Direct successors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub successors: Vec<String>,
    /// Successors followed transitively to the codes valid at the date.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub current_successors: Vec<String>,
}

/// The differences between two releases.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseDiff {
    /// The list.
    pub list: String,
    /// From release.
    pub from: i64,
    /// To release.
    pub to: i64,
    /// Counts.
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

    /// Creates a list.
    pub async fn create_list(
        &self,
        meta: CodeListMeta,
        actor: &str,
    ) -> Result<ListSummary, RegistryError> {
        let problems = meta.check();
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let mut w = self.db.write().await?;
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

    async fn meta_in(
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

    /// Every current item of a list, by code.
    pub async fn all_items(&self, list: &str) -> Result<Vec<ItemData>, RegistryError> {
        self.meta(list).await?;
        let mut conn = self.db.pool().acquire().await?;
        let mut items: Vec<ItemData> = Self::current_items(&mut conn, list)
            .await?
            .into_values()
            .collect();
        items.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(items)
    }

    /// Resolves any notation to the item's code.
    pub async fn resolve_code(
        &self,
        list: &str,
        notation: &str,
    ) -> Result<Option<String>, RegistryError> {
        let row =
            sqlx::query("SELECT code FROM registry_notations WHERE list_id = $1 AND notation = $2")
                .bind(list)
                .bind(notation)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    async fn predecessors(&self, list: &str, code: &str) -> Result<Vec<String>, RegistryError> {
        let rows = sqlx::query(
            "SELECT code FROM registry_successors WHERE list_id = $1 AND successor = $2 ORDER BY code",
        )
        .bind(list)
        .bind(code)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>(0)?))
            .collect()
    }

    /// One item by code or any alternative notation, optionally as recorded at `as_of`.
    pub async fn item(
        &self,
        list: &str,
        notation: &str,
        valid_at: Option<NaiveDate>,
        as_of: Option<&str>,
    ) -> Result<ItemView, RegistryError> {
        self.meta(list).await?;
        let not_found = || RegistryError::ItemNotFound {
            list: list.to_owned(),
            code: notation.to_owned(),
        };
        let code = self
            .resolve_code(list, notation)
            .await?
            .ok_or_else(not_found)?;
        let row = match as_of {
            None => {
                sqlx::query("SELECT content, updated_at FROM registry_items WHERE list_id = $1 AND code = $2")
                    .bind(list)
                    .bind(&code)
                    .fetch_optional(self.db.pool())
                    .await?
            }
            Some(t) => {
                sqlx::query(
                    "SELECT content, recorded_at FROM registry_item_history WHERE list_id = $1 AND code = $2 \
                     AND recorded_at <= $3 ORDER BY id DESC LIMIT 1",
                )
                .bind(list)
                .bind(&code)
                .bind(t)
                .fetch_optional(self.db.pool())
                .await?
            }
        }
        .ok_or_else(not_found)?;
        let data = parse_item(&row.try_get::<String, _>(0)?)?;
        Ok(ItemView {
            list: list.to_owned(),
            uri: self.item_uri(list, &code),
            predecessors: self.predecessors(list, &code).await?,
            data,
            valid_at,
            updated_at: row.try_get(1)?,
        })
    }

    /// A page of items, in code order.
    pub async fn items(&self, list: &str, q: &ItemQuery) -> Result<ItemPage, RegistryError> {
        self.meta(list).await?;
        let limit = q.limit.clamp(1, 1000);
        let folded = q.text.as_deref().map(fold);
        let keep = |item: &ItemData| -> bool {
            if q.parent
                .as_ref()
                .is_some_and(|p| item.parent.as_ref() != Some(p))
            {
                return false;
            }
            if q.level
                .as_ref()
                .is_some_and(|l| item.level.as_ref() != Some(l))
            {
                return false;
            }
            if folded
                .as_ref()
                .is_some_and(|t| !search_text(item).contains(t.as_str()))
            {
                return false;
            }
            let status = match q.valid_at {
                Some(date) => {
                    serde_json::to_value(item.status_at(date)).expect("status serializes")
                }
                None => serde_json::to_value(item.status).expect("status serializes"),
            };
            match (&q.status, q.valid_at) {
                (Some(s), _) => status.as_str() == Some(s.as_str()),
                (None, Some(date)) => item.status_at(date) == StatusAt::Valid,
                (None, None) => true,
            }
        };
        let mut out = Vec::new();
        let mut after = q.cursor.clone().unwrap_or_default();
        let batch = 500;
        loop {
            let rows = match &q.as_of {
                None => {
                    let mut sql = String::from(
                        "SELECT content, updated_at FROM registry_items WHERE list_id = $1 AND code > $2",
                    );
                    let mut args: Vec<String> = vec![list.to_owned(), after.clone()];
                    if let Some(p) = &q.parent {
                        args.push(p.clone());
                        sql.push_str(&format!(" AND parent = ${}", args.len()));
                    }
                    if let Some(l) = &q.level {
                        args.push(l.clone());
                        sql.push_str(&format!(" AND level = ${}", args.len()));
                    }
                    if let Some(t) = &q.text {
                        args.push(like_pattern(t));
                        sql.push_str(&format!(" AND search_text LIKE ${} ESCAPE '\\'", args.len()));
                    }
                    sql.push_str(&format!(" ORDER BY code LIMIT {batch}"));
                    let mut query = sqlx::query(&sql);
                    for a in &args {
                        query = query.bind(a.as_str());
                    }
                    query.fetch_all(self.db.pool()).await?
                }
                Some(t) => {
                    sqlx::query(&format!(
                        "SELECT h.content, h.recorded_at FROM registry_item_history h WHERE h.list_id = $1 \
                         AND h.code > $2 AND h.id = (SELECT MAX(h2.id) FROM registry_item_history h2 \
                         WHERE h2.list_id = h.list_id AND h2.code = h.code AND h2.recorded_at <= $3) \
                         ORDER BY h.code LIMIT {batch}"
                    ))
                    .bind(list)
                    .bind(&after)
                    .bind(t.as_str())
                    .fetch_all(self.db.pool())
                    .await?
                }
            };
            let exhausted = rows.len() < batch;
            for row in &rows {
                let data = parse_item(&row.try_get::<String, _>(0)?)?;
                after = data.code.clone();
                if keep(&data) {
                    if out.len() == limit {
                        let next = out.last().map(|v: &ItemView| v.data.code.clone());
                        return Ok(ItemPage { items: out, next });
                    }
                    out.push(ItemView {
                        list: list.to_owned(),
                        uri: self.item_uri(list, &data.code),
                        predecessors: Vec::new(),
                        valid_at: q.valid_at,
                        updated_at: row.try_get(1)?,
                        data,
                    });
                }
            }
            if exhausted {
                return Ok(ItemPage {
                    items: out,
                    next: None,
                });
            }
        }
    }

    /// Every recorded version of an item, oldest first, with who changed it, how and why (from the change log).
    pub async fn item_history(
        &self,
        list: &str,
        notation: &str,
    ) -> Result<Vec<ItemVersion>, RegistryError> {
        let code = self.item(list, notation, None, None).await?.data.code;
        let rows = sqlx::query(
            "SELECT h.seq, h.recorded_at, c.actor, c.action, c.detail, h.content, c.before_sha256, c.after_sha256 \
             FROM registry_item_history h JOIN change_log c ON c.seq = h.seq \
             WHERE h.list_id = $1 AND h.code = $2 ORDER BY h.seq",
        )
        .bind(list)
        .bind(&code)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get(4)?;
                Ok(ItemVersion {
                    seq: r.try_get(0)?,
                    recorded_at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
                    item: parse_item(&r.try_get::<String, _>(5)?)?,
                    before_sha256: r.try_get(6)?,
                    after_sha256: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// The chain of parents, nearest first.
    pub async fn ancestors(
        &self,
        list: &str,
        notation: &str,
    ) -> Result<Vec<ItemView>, RegistryError> {
        let mut out: Vec<ItemView> = Vec::new();
        let mut cursor = self.item(list, notation, None, None).await?.data.parent;
        while let Some(code) = cursor {
            if out.len() > 64 || out.iter().any(|v| v.data.code == code) {
                break;
            }
            let view = self.item(list, &code, None, None).await?;
            cursor = view.data.parent.clone();
            out.push(view);
        }
        Ok(out)
    }

    /// Plans changes against the current state without applying them (a preview).
    pub async fn preview(&self, list: &str, changes: &[Change]) -> Result<Plan, RegistryError> {
        let meta = self.meta(list).await?;
        let mut conn = self.db.pool().acquire().await?;
        let current = Self::current_items(&mut conn, list).await?;
        plan(&meta, &current, changes).map_err(RegistryError::Invalid)
    }

    /// Parses a CSV import into changes, checking it against the current state; every bad line is reported.
    pub async fn parse_import(
        &self,
        list: &str,
        csv: &[u8],
    ) -> Result<(Vec<Change>, Plan), RegistryError> {
        let meta = self.meta(list).await?;
        let mut conn = self.db.pool().acquire().await?;
        let current = Self::current_items(&mut conn, list).await?;
        let (changes, mut problems) = crate::csv_format::parse(&meta, csv, &current);
        match plan(&meta, &current, &changes) {
            Ok(p) if problems.is_empty() => Ok((changes, p)),
            Ok(_) => Err(RegistryError::Invalid(problems)),
            Err(more) => {
                problems.extend(more);
                problems.sort_by_key(|p| p.line);
                Err(RegistryError::Invalid(problems))
            }
        }
    }

    async fn apply_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        log: &mut Appender,
        list: &str,
        changes: &[Change],
        actor: &str,
        detail: Value,
    ) -> Result<Plan, RegistryError> {
        let meta = Self::meta_in(tx, list).await?;
        let current = Self::current_items(&mut *tx, list).await?;
        let plan = plan(&meta, &current, changes).map_err(RegistryError::Invalid)?;
        for change in &plan.changes {
            let content = change.after.canonical_json();
            let after_hash = sha256_hex(content.as_bytes());
            let before_hash = change.before.as_ref().map(ItemData::sha256);
            let item = &change.after;
            let args = (
                item.status.as_str(),
                item.parent.as_deref(),
                item.level.as_deref(),
                item.valid_from.map(|d| d.to_string()),
                item.valid_to.map(|d| d.to_string()),
                search_text(item),
            );
            if change.before.is_some() {
                sqlx::query(
                    "UPDATE registry_items SET status = $3, parent = $4, level = $5, valid_from = $6, valid_to = $7, \
                     search_text = $8, content = $9, content_sha256 = $10, updated_at = $11 \
                     WHERE list_id = $1 AND code = $2",
                )
                .bind(list)
                .bind(&item.code)
                .bind(args.0)
                .bind(args.1)
                .bind(args.2)
                .bind(args.3)
                .bind(args.4)
                .bind(args.5)
                .bind(&content)
                .bind(&after_hash)
                .bind(log.recorded_at())
                .execute(&mut **tx)
                .await?;
                sqlx::query("DELETE FROM registry_notations WHERE list_id = $1 AND code = $2")
                    .bind(list)
                    .bind(&item.code)
                    .execute(&mut **tx)
                    .await?;
                sqlx::query("DELETE FROM registry_successors WHERE list_id = $1 AND code = $2")
                    .bind(list)
                    .bind(&item.code)
                    .execute(&mut **tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO registry_items (list_id, code, status, parent, level, valid_from, valid_to, \
                     search_text, content, content_sha256, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(list)
                .bind(&item.code)
                .bind(args.0)
                .bind(args.1)
                .bind(args.2)
                .bind(args.3)
                .bind(args.4)
                .bind(args.5)
                .bind(&content)
                .bind(&after_hash)
                .bind(log.recorded_at())
                .execute(&mut **tx)
                .await?;
            }
            let mut notations: HashSet<(&str, &str)> = HashSet::new();
            for (kind, value) in item.all_notations() {
                if notations.iter().any(|(_, v)| *v == value) {
                    continue;
                }
                notations.insert((kind, value));
                sqlx::query(
                    "INSERT INTO registry_notations (list_id, notation, notation_type, code) VALUES ($1, $2, $3, $4)",
                )
                .bind(list)
                .bind(value)
                .bind(kind)
                .bind(&item.code)
                .execute(&mut **tx)
                .await?;
            }
            for s in &item.successors {
                sqlx::query("INSERT INTO registry_successors (list_id, code, successor) VALUES ($1, $2, $3)")
                    .bind(list)
                    .bind(&item.code)
                    .bind(s)
                    .execute(&mut **tx)
                    .await?;
            }
            let action = match change.kind {
                ChangeKind::Add => "item.add",
                ChangeKind::Modify => "item.modify",
                ChangeKind::Supersede => "item.supersede",
                ChangeKind::Retire => "item.retire",
            };
            let uri = self.item_uri(list, &item.code);
            let seq = log
                .append(
                    tx,
                    &NewEntry {
                        actor,
                        action,
                        subject: &uri,
                        before: before_hash.as_deref(),
                        after: Some(&after_hash),
                        detail: detail.clone(),
                    },
                )
                .await?;
            sqlx::query(
                "INSERT INTO registry_item_history (id, list_id, code, seq, recorded_at, content) \
                 VALUES ($1, $2, $3, $1, $4, $5)",
            )
            .bind(seq)
            .bind(list)
            .bind(&item.code)
            .bind(log.recorded_at())
            .bind(&content)
            .execute(&mut **tx)
            .await?;
        }
        if !plan.changes.is_empty() {
            sqlx::query("UPDATE registry_lists SET updated_at = $2 WHERE id = $1")
                .bind(list)
                .bind(log.recorded_at())
                .execute(&mut **tx)
                .await?;
        }
        Ok(plan)
    }

    /// Applies changes directly, without review (seed loading and admin bootstrap).
    pub async fn apply_direct(
        &self,
        list: &str,
        changes: &[Change],
        actor: &str,
        reason: &str,
    ) -> Result<Plan, RegistryError> {
        let mut w = self.db.write().await?;
        let mut log = Appender::start(&mut w.tx).await?;
        let plan = self
            .apply_in(
                &mut w.tx,
                &mut log,
                list,
                changes,
                actor,
                json!({ "reason": reason }),
            )
            .await?;
        w.commit().await?;
        Ok(plan)
    }

    /// Proposes a change request; it is checked now and again when approved.
    pub async fn propose(
        &self,
        list: &str,
        changes: Vec<Change>,
        reason: &str,
        actor: &str,
    ) -> Result<ChangeRequest, RegistryError> {
        if changes.is_empty() {
            return Err(RegistryError::invalid(InputProblem::field(
                "changes",
                "at least one change is required",
            )));
        }
        if reason.trim().is_empty() {
            return Err(RegistryError::invalid(InputProblem::field(
                "reason",
                "a reason is required",
            )));
        }
        let plan = self.preview(list, &changes).await?;
        if plan.changes.is_empty() {
            return Err(RegistryError::invalid(InputProblem::field(
                "changes",
                "the changes alter nothing",
            )));
        }
        let mut w = self.db.write().await?;
        let mut log = Appender::start(&mut w.tx).await?;
        let id = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM registry_change_requests")
            .fetch_one(&mut *w.tx)
            .await?
            .try_get::<i64, _>(0)?;
        let body = serde_json::to_string(&changes).expect("changes serialize");
        sqlx::query(
            "INSERT INTO registry_change_requests (id, list_id, status, changes, reason, proposed_by, proposed_at) \
             VALUES ($1, $2, 'proposed', $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(list)
        .bind(&body)
        .bind(reason)
        .bind(actor)
        .bind(log.recorded_at())
        .execute(&mut *w.tx)
        .await?;
        let subject = format!("{}/change-requests/{id}", self.list_uri(list));
        let hash = sha256_hex(body.as_bytes());
        log.append(
            &mut w.tx,
            &NewEntry {
                actor,
                action: "change-request.propose",
                subject: &subject,
                before: None,
                after: Some(&hash),
                detail: json!({ "reason": reason, "changes": changes.len() }),
            },
        )
        .await?;
        w.commit().await?;
        self.change_request(id).await
    }

    /// One change request.
    pub async fn change_request(&self, id: i64) -> Result<ChangeRequest, RegistryError> {
        let row = sqlx::query(
            "SELECT id, list_id, status, changes, reason, proposed_by, proposed_at, decided_by, decided_at, \
             decision_reason FROM registry_change_requests WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(RegistryError::ChangeRequestNotFound(id))?;
        Self::request_from_row(&row)
    }

    fn request_from_row(row: &sqlx::any::AnyRow) -> Result<ChangeRequest, RegistryError> {
        let status: String = row.try_get(2)?;
        let changes: String = row.try_get(3)?;
        Ok(ChangeRequest {
            id: row.try_get(0)?,
            list: row.try_get(1)?,
            status: status.parse().map_err(RegistryError::Storage)?,
            changes: serde_json::from_str(&changes)
                .map_err(|e| RegistryError::Storage(format!("corrupt change request: {e}")))?,
            reason: row.try_get(4)?,
            proposed_by: row.try_get(5)?,
            proposed_at: row.try_get(6)?,
            decided_by: row.try_get(7)?,
            decided_at: row.try_get(8)?,
            decision_reason: row.try_get(9)?,
        })
    }

    /// The change requests of a list, newest first, optionally of one status.
    pub async fn change_requests(
        &self,
        list: &str,
        status: Option<RequestStatus>,
    ) -> Result<Vec<ChangeRequest>, RegistryError> {
        self.meta(list).await?;
        let rows = sqlx::query(
            "SELECT id, list_id, status, changes, reason, proposed_by, proposed_at, decided_by, decided_at, \
             decision_reason FROM registry_change_requests WHERE list_id = $1 AND ($2 = '' OR status = $2) \
             ORDER BY id DESC",
        )
        .bind(list)
        .bind(status.map_or("", RequestStatus::as_str))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(Self::request_from_row).collect()
    }

    /// Approves (applying every change atomically) or rejects a proposed change request. The proposer cannot approve
    /// their own request.
    pub async fn decide(
        &self,
        id: i64,
        approve: bool,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<ChangeRequest, RegistryError> {
        let request = self.change_request(id).await?;
        if request.status != RequestStatus::Proposed {
            return Err(RegistryError::Conflict(format!(
                "change request {id} is already {}",
                request.status.as_str()
            )));
        }
        if approve && request.proposed_by == actor {
            return Err(RegistryError::Conflict(
                "a change request must be approved by someone else".into(),
            ));
        }
        if !approve && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(RegistryError::invalid(InputProblem::field(
                "reason",
                "a reason is required to reject",
            )));
        }
        let mut w = self.db.write().await?;
        let mut log = Appender::start(&mut w.tx).await?;
        // Re-read inside the transaction: another decision may have landed since.
        let status: String =
            sqlx::query("SELECT status FROM registry_change_requests WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *w.tx)
                .await?
                .try_get(0)?;
        if status != "proposed" {
            return Err(RegistryError::Conflict(format!(
                "change request {id} is already {status}"
            )));
        }
        let subject = format!("{}/change-requests/{id}", self.list_uri(&request.list));
        if approve {
            self.apply_in(
                &mut w.tx,
                &mut log,
                &request.list,
                &request.changes,
                actor,
                json!({ "changeRequest": id, "reason": request.reason, "proposedBy": request.proposed_by }),
            )
            .await?;
        }
        let new_status = if approve { "approved" } else { "rejected" };
        sqlx::query(
            "UPDATE registry_change_requests SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(new_status)
        .bind(actor)
        .bind(log.recorded_at())
        .bind(reason)
        .execute(&mut *w.tx)
        .await?;
        let action = if approve {
            "change-request.approve"
        } else {
            "change-request.reject"
        };
        log.append(
            &mut w.tx,
            &NewEntry {
                actor,
                action,
                subject: &subject,
                before: None,
                after: None,
                detail: json!({ "reason": reason }),
            },
        )
        .await?;
        w.commit().await?;
        self.change_request(id).await
    }

    /// Freezes the list's current state as the next release.
    pub async fn create_release(
        &self,
        list: &str,
        notes: LangText,
        actor: &str,
    ) -> Result<Release, RegistryError> {
        let mut w = self.db.write().await?;
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

    /// Checks a batch of (list, code, date) references.
    pub async fn validate(
        &self,
        checks: &[CodeCheck],
    ) -> Result<Vec<CodeCheckResult>, RegistryError> {
        let today = chrono::Utc::now().date_naive();
        let mut loaded: HashMap<String, Option<LoadedList>> = HashMap::new();
        let mut out = Vec::with_capacity(checks.len());
        for check in checks {
            if !loaded.contains_key(&check.list) {
                let entry = match self.meta(&check.list).await {
                    Ok(_) => {
                        let mut conn = self.db.pool().acquire().await?;
                        let items = Self::current_items(&mut conn, &check.list).await?;
                        let mut notations = HashMap::new();
                        for item in items.values() {
                            for (_, n) in item.all_notations() {
                                notations.insert(n.to_owned(), item.code.clone());
                            }
                        }
                        Some((items, notations))
                    }
                    Err(RegistryError::ListNotFound(_)) => None,
                    Err(e) => return Err(e),
                };
                loaded.insert(check.list.clone(), entry);
            }
            let date = check.date.unwrap_or(today);
            let mut result = CodeCheckResult {
                list: check.list.clone(),
                code: check.code.clone(),
                date,
                result: "unknown".into(),
                canonical_code: None,
                uri: None,
                label: None,
                successors: Vec::new(),
                current_successors: Vec::new(),
            };
            if let Some(Some((items, notations))) = loaded.get(&check.list)
                && let Some(item) = notations.get(&check.code).and_then(|c| items.get(c))
            {
                let status = item.status_at(date);
                result.result = serde_json::to_value(status)
                    .expect("status")
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                if item.code != check.code {
                    result.canonical_code = Some(item.code.clone());
                }
                result.uri = Some(self.item_uri(&check.list, &item.code));
                result.label = Some(item.labels.clone());
                if matches!(status, StatusAt::Superseded) {
                    result.successors = item.successors.clone();
                    result.current_successors = current_successors(items, item, date);
                }
            }
            out.push(result);
        }
        Ok(out)
    }
}

/// A list's items by code and the code of every notation, for batch validation.
type LoadedList = (HashMap<String, ItemData>, HashMap<String, String>);

/// Follows successors until codes valid at `date` (breadth first, cycles ignored).
fn current_successors(
    items: &HashMap<String, ItemData>,
    item: &ItemData,
    date: NaiveDate,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = HashSet::from([item.code.clone()]);
    let mut queue: std::collections::VecDeque<String> = item.successors.iter().cloned().collect();
    while let Some(code) = queue.pop_front() {
        if !seen.insert(code.clone()) {
            continue;
        }
        match items.get(&code) {
            Some(s) if s.status_at(date) == StatusAt::Superseded => {
                queue.extend(s.successors.iter().cloned())
            }
            Some(s) if s.status_at(date) == StatusAt::Valid => out.push(code),
            _ => {}
        }
    }
    out.sort();
    out
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

/// Parses a code-list id from user input.
pub fn parse_list_id(s: &str) -> Result<CodeListId, RegistryError> {
    CodeListId::parse(s).map_err(RegistryError::invalid)
}
