//! The mock portal's store: organizations and packages in SQLite, validated the way CKAN's default schema does (the
//! parts the harvester and CKAN clients meet). Reads go through a pool; every write goes to one writer task
//! ([`crate::writes`]) that commits concurrent writes together (group commit), so a name check and the insert that
//! relies on it cannot interleave with another write, and each caller hears back only after its commit.
use std::path::Path;
use std::str::FromStr;

use rand::Rng;
use serde_json::{Map, Value, json};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use crate::writes::{Write, Writer};

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

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> StoreError {
    let mut errors = Map::new();
    errors.insert(field.to_owned(), json!([message.into()]));
    StoreError::Invalid(errors)
}

/// The fields of CKAN's package schema that the mock keeps (others are dropped, as CKAN's `__extras: ignore` does).
pub(crate) const STRING_FIELDS: &[&str] = &[
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
pub(crate) const SCHEMA_FIELDS: &[&str] = &[
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

pub(crate) fn timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

/// CKAN's name rule (packages and organizations): the field's errors, if any.
pub(crate) fn name_errors(name: &str) -> Vec<String> {
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

pub(crate) fn tag_error(tag: &str) -> Option<String> {
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
    writer: Writer,
}

/// One stored package row.
pub(crate) struct PackageRow {
    pub(crate) id: String,
    pub(crate) state: String,
    pub(crate) body: Map<String, Value>,
}

/// The package row with this id or name, read on `conn`.
pub(crate) async fn row_on(
    conn: &mut SqliteConnection,
    id_or_name: &str,
) -> Result<Option<PackageRow>, StoreError> {
    let row = sqlx::query("SELECT id, state, body FROM packages WHERE id = $1 OR name = $1")
        .bind(id_or_name)
        .fetch_optional(&mut *conn)
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

/// The organization with this id or name, read on `conn`.
pub(crate) async fn organization_on(
    conn: &mut SqliteConnection,
    id_or_name: &str,
) -> Result<Option<Value>, StoreError> {
    let row = sqlx::query("SELECT body FROM organizations WHERE id = $1 OR name = $1")
        .bind(id_or_name)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| parse(&r.get::<String, _>(0))))
}

impl Store {
    /// Opens (creating) `portal.sqlite` under `dir`.
    pub async fn open(dir: &Path) -> Result<Self, sqlx::Error> {
        std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(dir.join("portal.sqlite"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every commit reaches the disk before its writers hear back (group commit shares one fsync).
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await?;
        for statement in [
            "CREATE TABLE IF NOT EXISTS organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, body TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS packages (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, owner_org TEXT,
               state TEXT NOT NULL, body TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS packages_by_owner ON packages (owner_org, state)",
        ] {
            sqlx::query(statement).execute(&pool).await?;
        }
        let writer = Writer::start(sqlx::ConnectOptions::connect(&options).await?);
        Ok(Self { pool, writer })
    }

    /// `organization_create`.
    pub async fn create_organization(
        &self,
        input: &Map<String, Value>,
    ) -> Result<Value, StoreError> {
        self.writer
            .submit(Write::CreateOrganization(input.clone()))
            .await
    }

    /// `package_create`.
    pub async fn create_package(&self, input: &Map<String, Value>) -> Result<Value, StoreError> {
        self.writer
            .submit(Write::CreatePackage(input.clone()))
            .await
    }

    /// `package_update` (`patch`: `package_patch`, which keeps what the input does not name).
    pub async fn update_package(
        &self,
        input: &Map<String, Value>,
        patch: bool,
    ) -> Result<Value, StoreError> {
        self.writer
            .submit(Write::UpdatePackage(input.clone(), patch))
            .await
    }

    /// `package_delete`: the package stays, in state `deleted` (its name stays taken, as in CKAN).
    pub async fn delete_package(&self, id_or_name: &str) -> Result<(), StoreError> {
        self.writer
            .submit(Write::DeletePackage(id_or_name.to_owned()))
            .await
            .map(|_| ())
    }

    // ---- organizations ----

    /// The organization with this id or name.
    pub async fn organization(&self, id_or_name: &str) -> Result<Option<Value>, StoreError> {
        organization_on(&mut *self.pool.acquire().await?, id_or_name).await
    }

    /// Every organization, by name.
    pub async fn organizations(&self) -> Result<Vec<Value>, StoreError> {
        let rows = sqlx::query("SELECT body FROM organizations ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| parse(&r.get::<String, _>(0))).collect())
    }

    // ---- packages ----

    async fn row(&self, id_or_name: &str) -> Result<Option<PackageRow>, StoreError> {
        row_on(&mut *self.pool.acquire().await?, id_or_name).await
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
}

/// A tag's id: stable per name, as tags are shared between packages.
pub(crate) fn tag_id(name: &str) -> String {
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

pub(crate) fn parse(text: &str) -> Value {
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
