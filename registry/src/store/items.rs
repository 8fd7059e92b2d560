//! Reading items: by code or notation, pages with filters on both time axes, history, ancestors.
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::Row;

use super::{Registry, like_pattern, parse_item, search_text};
use crate::error::RegistryError;
use crate::model::{ItemData, StatusAt};
use crate::text::fold;
use crate::time::RegistryTime;

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

impl Serialize for ItemView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// The schema of [`ItemView::to_json`]: the item's content ([`ItemData`]'s fields) and the fields the view adds.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ItemView {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, Type};
        use utoipa::openapi::{KnownFormat, Ref, RefOr, SchemaFormat};
        use utoipa::{PartialSchema, ToSchema};

        let RefOr::T(Schema::Object(mut object)) = <ItemData as PartialSchema>::schema() else {
            unreachable!("ItemData derives an object schema")
        };
        let text = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
                .build()
        };
        let status_ref = || Ref::from_schema_name(crate::model::ItemStatus::name());
        let added: [(&str, RefOr<Schema>); 7] = [
            ("list", text("The list.").into()),
            ("uri", text("The item's URI.").into()),
            ("registeredStatus", status_ref().into()),
            (
                "status",
                // Both enums share `valid`, `superseded` and the rest: any of them, not exactly one.
                Schema::AnyOf(
                    AnyOfBuilder::new()
                    .item(status_ref())
                    .item(Ref::from_schema_name(StatusAt::name()))
                    .description(Some(
                        "The registered status or, when `validAt` is given, the status on that day.",
                    ))
                    .build(),
                )
                .into(),
            ),
            (
                "validAt",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
                    .description(Some("The legal date asked for."))
                    .build()
                    .into(),
            ),
            (
                "predecessors",
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some("Codes whose successors include this one."))
                    .build()
                    .into(),
            ),
            (
                "updatedAt",
                text("When the registry last recorded a change to it.").into(),
            ),
        ];
        for (name, schema) in added {
            object.properties.insert(name.to_owned(), schema);
        }
        for name in ["list", "uri", "registeredStatus", "updatedAt"] {
            object.required.push(name.to_owned());
        }
        object.description = Some(
            "An item as read: its content, its list and URI, and its status on the time axes asked for.".to_owned(),
        );
        RefOr::T(Schema::Object(object))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ItemView {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::{PartialSchema, ToSchema};
        schemas.push((StatusAt::name().into(), StatusAt::schema()));
        <ItemData as ToSchema>::schemas(schemas);
    }
}

/// One recorded version of an item.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    pub as_of: Option<RegistryTime>,
    /// Continue after this code.
    pub cursor: Option<String>,
    /// Page size (1..=1000).
    pub limit: usize,
}

/// A page of items: pass `next` as the cursor of the following page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemPage {
    /// The items.
    pub items: Vec<ItemView>,
    /// The cursor of the next page; `null` on the last one.
    pub next: Option<String>,
}

impl Registry {
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

    /// An item as the registry holds it now, by code or any alternative notation (`None` when there is no such item),
    /// kept until the registry's generation moves: for the labels other answers show beside codes, looked up many
    /// times per answer.
    pub async fn current_item(
        &self,
        list: &str,
        notation: &str,
    ) -> Result<Option<std::sync::Arc<ItemData>>, RegistryError> {
        let generation = self.db.registry_generation() as i64;
        let key = (list.to_owned(), notation.to_owned());
        if let Some(item) = self.current_items.get(generation, &key) {
            return Ok(item);
        }
        let item = match self.item(list, notation, None, None).await {
            Ok(view) => Some(std::sync::Arc::new(view.data)),
            Err(RegistryError::ItemNotFound { .. } | RegistryError::ListNotFound(_)) => None,
            Err(e) => return Err(e),
        };
        self.current_items.put(generation, key, item.clone());
        Ok(item)
    }

    /// One item as the API's JSON ([`ItemView`] serialized), by code or any alternative notation, as the registry
    /// holds it now. Rendered once and kept until the registry's generation moves (a code-list commit on this node, or
    /// one another node made, seen in the change log): a lookup that hits costs no SQL and no serialization.
    pub async fn item_json(
        &self,
        list: &str,
        notation: &str,
        valid_at: Option<NaiveDate>,
    ) -> Result<std::sync::Arc<str>, RegistryError> {
        // The generation is read before the rows: a commit after this point moves it, and what was read is dropped.
        let generation = self.db.registry_generation() as i64;
        let key = (list.to_owned(), notation.to_owned(), valid_at);
        if let Some(json) = self.rendered_items.get(generation, &key) {
            return Ok(json);
        }
        let view = self.item(list, notation, valid_at, None).await?;
        let json: std::sync::Arc<str> = serde_json::to_string(&view)
            .expect("items serialize")
            .into();
        self.rendered_items.put(generation, key, json.clone());
        Ok(json)
    }

    /// One item by code or any alternative notation, optionally as recorded at `as_of`.
    pub async fn item(
        &self,
        list: &str,
        notation: &str,
        valid_at: Option<NaiveDate>,
        as_of: Option<&RegistryTime>,
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
                .bind(t.as_str())
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
}
