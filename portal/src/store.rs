//! The mock portal's store: organizations and packages in SQLite, validated the way CKAN's default schema does (the
//! parts the harvester and CKAN clients meet). Writes are serialized by one lock, so a name check and the insert that
//! relies on it cannot interleave with another write.
use std::path::Path;
use std::str::FromStr;

use rand::Rng;
use serde_json::{Map, Value, json};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

/// Field errors, as CKAN's `Validation Error` carries them: field -> messages.
pub type FieldErrors = Map<String, Value>;

/// Why a store call failed.
#[derive(Debug)]
pub enum StoreError {
    /// No such package or organization.
    NotFound(String),
    /// The input does not validate.
    Invalid(FieldErrors),
    /// SQLite failed.
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

fn invalid(field: &str, message: impl Into<String>) -> StoreError {
    let mut errors = Map::new();
    errors.insert(field.to_owned(), json!([message.into()]));
    StoreError::Invalid(errors)
}

/// The fields of CKAN's package schema that the mock keeps (others are dropped, as CKAN's `__extras: ignore` does).
const STRING_FIELDS: &[&str] = &[
    "title",
    "notes",
    "url",
    "license_id",
    "version",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
];

/// Core fields an extra may not shadow.
const SCHEMA_FIELDS: &[&str] = &[
    "id",
    "name",
    "title",
    "notes",
    "url",
    "license_id",
    "version",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "owner_org",
    "private",
    "state",
    "type",
    "tags",
    "extras",
    "resources",
    "groups",
    "organization",
    "metadata_created",
    "metadata_modified",
];

/// A new random id in UUID form (version 4), like CKAN's.
pub fn new_id() -> String {
    let mut b: [u8; 16] = rand::rng().random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

/// CKAN's name rule (packages and organizations): the field's errors, if any.
fn name_errors(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if name.len() < 2 {
        out.push("Must be at least 2 characters long".to_owned());
    }
    if name.len() > 100 {
        out.push("Name must be a maximum of 100 characters long".to_owned());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        out.push(
            "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"
                .to_owned(),
        );
    }
    out
}

fn tag_error(tag: &str) -> Option<String> {
    let length = tag.chars().count();
    if length < 2 {
        return Some(format!("Tag \"{tag}\" length is less than minimum 2"));
    }
    if length > 100 {
        return Some(format!("Tag \"{tag}\" length is more than maximum 100"));
    }
    if !tag
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
    {
        return Some(format!(
            "Tag \"{tag}\" must be alphanumeric characters or symbols: -_."
        ));
    }
    None
}

/// The mock portal's SQLite store.
pub struct Store {
    pool: SqlitePool,
    writes: tokio::sync::Mutex<()>,
}

/// One stored package row.
struct PackageRow {
    id: String,
    state: String,
    body: Map<String, Value>,
}

impl Store {
    /// Opens (creating) `portal.sqlite` under `dir`.
    pub async fn open(dir: &Path) -> Result<Self, sqlx::Error> {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(dir.join("portal.sqlite"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        for statement in [
            "CREATE TABLE IF NOT EXISTS organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, body TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS packages (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, owner_org TEXT,
               state TEXT NOT NULL, body TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS packages_by_owner ON packages (owner_org, state)",
        ] {
            sqlx::query(statement).execute(&pool).await?;
        }
        Ok(Self {
            pool,
            writes: tokio::sync::Mutex::new(()),
        })
    }

    // ---- organizations ----

    /// The organization with this id or name.
    pub async fn organization(&self, id_or_name: &str) -> Result<Option<Value>, StoreError> {
        let row = sqlx::query("SELECT body FROM organizations WHERE id = $1 OR name = $1")
            .bind(id_or_name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| parse(&r.get::<String, _>(0))))
    }

    /// Every organization, by name.
    pub async fn organizations(&self) -> Result<Vec<Value>, StoreError> {
        let rows = sqlx::query("SELECT body FROM organizations ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| parse(&r.get::<String, _>(0))).collect())
    }

    /// `organization_create`.
    pub async fn create_organization(
        &self,
        input: &Map<String, Value>,
    ) -> Result<Value, StoreError> {
        let name = match input.get("name") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(invalid("name", "Missing value")),
        };
        let problems = name_errors(&name);
        if !problems.is_empty() {
            let mut errors = Map::new();
            errors.insert("name".into(), json!(problems));
            return Err(StoreError::Invalid(errors));
        }
        let text = |k: &str| {
            input
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let _guard = self.writes.lock().await;
        if self.organization(&name).await?.is_some() {
            return Err(invalid("name", "Group name already exists in database"));
        }
        let id = new_id();
        let title = text("title");
        let org = json!({
            "id": id,
            "name": name,
            "title": title,
            "display_name": if title.is_empty() { name.clone() } else { title.clone() },
            "description": text("description"),
            "image_url": text("image_url"),
            "type": "organization",
            "is_organization": true,
            "state": "active",
            "approval_status": "approved",
            "created": timestamp(),
        });
        sqlx::query("INSERT INTO organizations (id, name, body) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(&name)
            .bind(org.to_string())
            .execute(&self.pool)
            .await?;
        Ok(org)
    }

    // ---- packages ----

    async fn row(&self, id_or_name: &str) -> Result<Option<PackageRow>, StoreError> {
        let row = sqlx::query("SELECT id, state, body FROM packages WHERE id = $1 OR name = $1")
            .bind(id_or_name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| PackageRow {
            id: r.get(0),
            state: r.get(1),
            body: match parse(&r.get::<String, _>(2)) {
                Value::Object(m) => m,
                _ => Map::new(),
            },
        }))
    }

    /// A package as `package_show` answers it (with its organization), in any state.
    pub async fn package(&self, id_or_name: &str) -> Result<Option<Value>, StoreError> {
        match self.row(id_or_name).await? {
            Some(row) => Ok(Some(self.shown(row.body).await?)),
            None => Ok(None),
        }
    }

    async fn shown(&self, mut body: Map<String, Value>) -> Result<Value, StoreError> {
        let org = match body.get("owner_org").and_then(Value::as_str) {
            Some(id) => self.organization(id).await?,
            None => None,
        };
        body.insert("organization".into(), org.unwrap_or(Value::Null));
        Ok(Value::Object(body))
    }

    /// Every package (active ones, or all), as `package_show` answers them, by name.
    pub async fn packages(&self, include_deleted: bool) -> Result<Vec<Value>, StoreError> {
        self.packages_owned_by(include_deleted, None).await
    }

    /// How many active packages an organization owns (an indexed count, not a listing).
    pub async fn package_count(&self, org_id: &str) -> Result<u64, StoreError> {
        let row =
            sqlx::query("SELECT COUNT(*) FROM packages WHERE owner_org = $1 AND state = 'active'")
                .bind(org_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(row.get::<i64, _>(0) as u64)
    }

    /// The packages (active ones, or all) of one organization, or of every one when `owner` is `None`, by name.
    pub async fn packages_owned_by(
        &self,
        include_deleted: bool,
        owner: Option<&str>,
    ) -> Result<Vec<Value>, StoreError> {
        let rows = match owner {
            Some(org) => {
                sqlx::query("SELECT body, state FROM packages WHERE owner_org = $1 ORDER BY name")
                    .bind(org)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT body, state FROM packages ORDER BY name")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let orgs: std::collections::HashMap<String, Value> = self
            .organizations()
            .await?
            .into_iter()
            .filter_map(|o| Some((o["id"].as_str()?.to_owned(), o)))
            .collect();
        let mut out = Vec::new();
        for r in rows {
            let state: String = r.get(1);
            if state != "active" && !include_deleted {
                continue;
            }
            let mut body = parse(&r.get::<String, _>(0));
            let org = body["owner_org"]
                .as_str()
                .and_then(|id| orgs.get(id).cloned())
                .unwrap_or(Value::Null);
            body["organization"] = org;
            out.push(body);
        }
        Ok(out)
    }

    /// Names of active, public packages, sorted.
    pub async fn package_names(&self) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT name, body FROM packages WHERE state = 'active' ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .filter(|r| parse(&r.get::<String, _>(1))["private"] != json!(true))
            .map(|r| r.get(0))
            .collect())
    }

    /// `package_create`.
    pub async fn create_package(&self, input: &Map<String, Value>) -> Result<Value, StoreError> {
        let _guard = self.writes.lock().await;
        let now = timestamp();
        let id = new_id();
        let body = self.validate(input, None, &id, &now, &now).await?;
        sqlx::query(
            "INSERT INTO packages (id, name, owner_org, state, body) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(body["name"].as_str())
        .bind(body.get("owner_org").and_then(Value::as_str))
        .bind(body["state"].as_str())
        .bind(Value::Object(body.clone()).to_string())
        .execute(&self.pool)
        .await?;
        self.shown(body).await
    }

    /// `package_update` (`patch`: `package_patch`, which keeps what the input does not name).
    pub async fn update_package(
        &self,
        input: &Map<String, Value>,
        patch: bool,
    ) -> Result<Value, StoreError> {
        let key = match input.get("id").or_else(|| input.get("name")) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err(invalid("id", "Missing value")),
        };
        let _guard = self.writes.lock().await;
        let existing = self
            .row(&key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Package {key} was not found")))?;
        let mut merged = if patch {
            existing.body.clone()
        } else {
            Map::new()
        };
        merged.extend(input.clone());
        if !merged.contains_key("name") {
            merged.insert("name".into(), existing.body["name"].clone());
        }
        if !merged.contains_key("state") {
            merged.insert("state".into(), json!(existing.state));
        }
        let created = existing.body["metadata_created"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let body = self
            .validate(
                &merged,
                Some(&existing),
                &existing.id,
                &created,
                &timestamp(),
            )
            .await?;
        sqlx::query(
            "UPDATE packages SET name = $2, owner_org = $3, state = $4, body = $5 WHERE id = $1",
        )
        .bind(&existing.id)
        .bind(body["name"].as_str())
        .bind(body.get("owner_org").and_then(Value::as_str))
        .bind(body["state"].as_str())
        .bind(Value::Object(body.clone()).to_string())
        .execute(&self.pool)
        .await?;
        self.shown(body).await
    }

    /// `package_delete`: the package stays, in state `deleted` (its name stays taken, as in CKAN).
    pub async fn delete_package(&self, id_or_name: &str) -> Result<(), StoreError> {
        let _guard = self.writes.lock().await;
        let mut existing = self
            .row(id_or_name)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Package {id_or_name} was not found")))?;
        existing.body.insert("state".into(), json!("deleted"));
        existing
            .body
            .insert("metadata_modified".into(), json!(timestamp()));
        sqlx::query("UPDATE packages SET state = 'deleted', body = $2 WHERE id = $1")
            .bind(&existing.id)
            .bind(Value::Object(existing.body).to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Checks `input` against the package schema and builds the stored package (its `organization` is added when
    /// shown). Caller holds the write lock.
    async fn validate(
        &self,
        input: &Map<String, Value>,
        existing: Option<&PackageRow>,
        id: &str,
        created: &str,
        modified: &str,
    ) -> Result<Map<String, Value>, StoreError> {
        let mut errors = Map::new();
        let mut error = |field: &str, message: String| {
            errors
                .entry(field.to_owned())
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .expect("errors are lists")
                .push(json!(message));
        };
        let mut out = Map::new();
        out.insert("id".into(), json!(id));
        match input.get("name") {
            Some(Value::String(name)) if !name.is_empty() => {
                for problem in name_errors(name) {
                    error("name", problem);
                }
                if let Some(other) = self.row(name).await?
                    && other.id != id
                {
                    error("name", "That URL is already in use.".into());
                }
                out.insert("name".into(), json!(name));
            }
            Some(Value::String(_)) | None | Some(Value::Null) => {
                error("name", "Missing value".into())
            }
            Some(_) => error("name", "Must be a string".into()),
        }
        for field in STRING_FIELDS {
            match input.get(*field) {
                None | Some(Value::Null) => {
                    out.insert((*field).into(), Value::Null);
                }
                Some(Value::String(s)) => {
                    out.insert((*field).into(), json!(s));
                }
                Some(Value::Number(n)) => {
                    out.insert((*field).into(), json!(n.to_string()));
                }
                Some(_) => error(field, "Must be a string".into()),
            }
        }
        let mut organization = None;
        match input.get("owner_org") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(Value::String(s)) => match self.organization(s).await? {
                Some(org) => organization = Some(org),
                None => error("owner_org", "Organization does not exist".into()),
            },
            Some(_) => error("owner_org", "Organization does not exist".into()),
        }
        out.insert(
            "owner_org".into(),
            organization
                .as_ref()
                .map(|o| o["id"].clone())
                .unwrap_or(Value::Null),
        );
        let private = match input.get("private") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") || s.is_empty() => false,
            Some(_) => {
                error("private", "Must be a boolean".into());
                false
            }
        };
        out.insert("private".into(), json!(private));
        let state = match input.get("state") {
            None | Some(Value::Null) => "active".to_owned(),
            Some(Value::String(s)) if ["active", "deleted", "draft"].contains(&s.as_str()) => {
                s.clone()
            }
            Some(_) => {
                error("state", "Must be active, deleted or draft".into());
                "active".to_owned()
            }
        };
        out.insert("state".into(), json!(state));
        out.insert("type".into(), json!("dataset"));

        let mut tags = Vec::new();
        match input.get("tags") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    let name = match item {
                        Value::Object(t) => t.get("name").and_then(Value::as_str),
                        _ => None,
                    };
                    match name {
                        Some(n) => match tag_error(n) {
                            Some(problem) => error("tags", problem),
                            None => tags.push(json!({
                                "id": tag_id(n), "name": n, "display_name": n, "state": "active",
                                "vocabulary_id": null,
                            })),
                        },
                        None => error("tags", "Each tag is an object with a name".into()),
                    }
                }
            }
            Some(_) => error("tags", "Must be a list".into()),
        }
        out.insert("num_tags".into(), json!(tags.len()));
        out.insert("tags".into(), Value::Array(tags));

        let mut extras = Vec::new();
        let mut keys = std::collections::HashSet::new();
        match input.get("extras") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    let key = item.get("key").and_then(Value::as_str).unwrap_or("");
                    if key.is_empty() {
                        error("extras", "Each extra has a key".into());
                        continue;
                    }
                    if SCHEMA_FIELDS.contains(&key) {
                        error(
                            "extras",
                            format!("There is a schema field with the same name: {key}"),
                        );
                        continue;
                    }
                    if !keys.insert(key.to_owned()) {
                        error("extras", format!("Duplicate key \"{key}\""));
                        continue;
                    }
                    let value = match item.get("value") {
                        Some(Value::String(s)) => s.clone(),
                        None | Some(Value::Null) => String::new(),
                        Some(other) => other.to_string(),
                    };
                    extras.push(json!({ "key": key, "value": value }));
                }
            }
            Some(_) => error("extras", "Must be a list".into()),
        }
        out.insert("extras".into(), Value::Array(extras));

        let old_resources: Vec<Value> = existing
            .and_then(|e| e.body.get("resources"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut resources = Vec::new();
        match input.get("resources") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (position, item) in items.iter().enumerate() {
                    let Value::Object(given) = item else {
                        error("resources", "Each resource is an object".into());
                        continue;
                    };
                    match given.get("url") {
                        None | Some(Value::Null) | Some(Value::String(_)) => {}
                        Some(_) => error(
                            "resources",
                            format!("resource {position}: url must be a string"),
                        ),
                    }
                    let mut r = given.clone();
                    let kept_id = r
                        .get("id")
                        .and_then(Value::as_str)
                        .filter(|rid| old_resources.iter().any(|o| o["id"] == json!(rid)))
                        .map(str::to_owned);
                    let created_at = kept_id
                        .as_ref()
                        .and_then(|rid| old_resources.iter().find(|o| o["id"] == json!(rid)))
                        .and_then(|o| o.get("created").cloned())
                        .unwrap_or_else(|| json!(modified));
                    r.insert("id".into(), json!(kept_id.unwrap_or_else(new_id)));
                    r.insert("package_id".into(), json!(id));
                    r.insert("position".into(), json!(position));
                    r.insert("state".into(), json!("active"));
                    r.insert("created".into(), created_at);
                    r.entry("url").or_insert(json!(""));
                    resources.push(Value::Object(r));
                }
            }
            Some(_) => error("resources", "Must be a list".into()),
        }
        out.insert("num_resources".into(), json!(resources.len()));
        out.insert("resources".into(), Value::Array(resources));
        out.insert("groups".into(), json!([]));
        out.insert("metadata_created".into(), json!(created));
        out.insert("metadata_modified".into(), json!(modified));
        out.insert("creator_user_id".into(), json!("mock-sysadmin"));
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(StoreError::Invalid(errors))
        }
    }
}

/// A tag's id: stable per name, as tags are shared between packages.
fn tag_id(name: &str) -> String {
    use sha2::Digest;
    let h = hex::encode(sha2::Sha256::digest(name.as_bytes()));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[tokio::test]
    async fn ckan_rules_hold() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let org = store
            .create_organization(&map(json!({"name": "g12", "title": "Bộ Y tế"})))
            .await
            .unwrap();
        assert!(matches!(
            store
                .create_organization(&map(json!({"name": "g12"})))
                .await,
            Err(StoreError::Invalid(_))
        ));
        let p = store
            .create_package(&map(json!({
                "name": "ho-so", "title": "Hồ sơ", "owner_org": "g12",
                "tags": [{"name": "y tế"}], "extras": [{"key": "uri", "value": "x"}],
                "resources": [{"url": "https://x/f.csv", "format": "CSV"}],
            })))
            .await
            .unwrap();
        assert_eq!(p["owner_org"], org["id"]);
        assert_eq!(p["organization"]["name"], "g12");
        assert_eq!(p["resources"][0]["package_id"], p["id"]);
        let Err(StoreError::Invalid(e)) = store
            .create_package(&map(
                json!({"name": "ho-so", "owner_org": "nope", "tags": [{"name": "x"}],
                                        "extras": [{"key": "title", "value": "t"}]}),
            ))
            .await
        else {
            panic!("accepted");
        };
        assert_eq!(e["name"], json!(["That URL is already in use."]));
        assert_eq!(e["owner_org"], json!(["Organization does not exist"]));
        assert!(e.contains_key("tags") && e.contains_key("extras"));
        let Err(StoreError::Invalid(e)) = store
            .create_package(&map(json!({"name": "Bad Name"})))
            .await
        else {
            panic!("accepted");
        };
        assert!(
            e["name"][0]
                .as_str()
                .unwrap()
                .starts_with("Must be purely lowercase")
        );

        let patched = store
            .update_package(&map(json!({"id": "ho-so", "notes": "mô tả"})), true)
            .await
            .unwrap();
        assert_eq!(
            (patched["title"].as_str(), patched["notes"].as_str()),
            (Some("Hồ sơ"), Some("mô tả"))
        );
        assert_eq!(patched["resources"][0]["id"], p["resources"][0]["id"]);
        let updated = store
            .update_package(&map(json!({"id": p["id"], "name": "ho-so"})), false)
            .await
            .unwrap();
        assert_eq!(updated["title"], Value::Null);
        assert_eq!(updated["resources"], json!([]));
        store.delete_package("ho-so").await.unwrap();
        assert_eq!(
            store.package("ho-so").await.unwrap().unwrap()["state"],
            "deleted"
        );
        assert!(store.package_names().await.unwrap().is_empty());
        assert!(matches!(
            store.create_package(&map(json!({"name": "ho-so"}))).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            store.delete_package("nope").await,
            Err(StoreError::NotFound(_))
        ));
    }
}
