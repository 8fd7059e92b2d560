//! The write path of the mock portal's store: one writer task owns a connection and applies every write. Writes that
//! arrive while a commit is under way queue up and are then applied together in ONE transaction (group commit: one
//! fsync for the lot). Every write first reads and validates, and changes the database with exactly one statement,
//! last: a write refused by validation (invalid input, a taken name) has changed nothing and does not touch the others
//! of its batch, and since SQLite undoes a failed statement alone, no write is ever half-applied. A database error
//! (which may have undone the transaction) rolls the whole batch back and fails each of its writes. Every caller
//! hears back only after the commit that holds its write (or with the error that undid it).
//!
//! The writer keeps the organizations it has read (the mock has no organization update or delete, and only this
//! task creates them), so a package write reads one row (its name's) before its insert or update.
use std::collections::HashMap;

use serde_json::{Map, Value, json};
use sqlx::sqlite::SqliteConnection;
use tokio::sync::{mpsc, oneshot};

use crate::store::{
    PackageRow, SCHEMA_FIELDS, STRING_FIELDS, StoreError, invalid, name_errors, new_id,
    organization_on, row_on, tag_error, tag_id, timestamp,
};

/// The most writes one transaction applies.
const MAX_BATCH: usize = 512;

/// One write, as the actions ask for it.
pub(crate) enum Write {
    /// `organization_create`: answers the organization.
    CreateOrganization(Map<String, Value>),
    /// `package_create`: answers the package as `package_show` does (with its organization).
    CreatePackage(Map<String, Value>),
    /// `package_update`, or `package_patch` when `true`: answers the package as `package_show` does.
    UpdatePackage(Map<String, Value>, bool),
    /// `package_delete`: answers null.
    DeletePackage(String),
}

struct Job {
    write: Write,
    reply: oneshot::Sender<Result<Value, StoreError>>,
}

/// The handle to the writer task (it stops when the handle is dropped).
pub(crate) struct Writer {
    queue: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer task on `conn`.
    pub(crate) fn start(conn: SqliteConnection) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        tokio::spawn(run(conn, jobs));
        Self { queue }
    }

    /// Applies `write` and answers once it is committed.
    pub(crate) async fn submit(&self, write: Write) -> Result<Value, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Database(sqlx::Error::PoolClosed);
        self.queue
            .send(Job { write, reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The organizations the writer has read or made, by id and by name.
#[derive(Default)]
struct Organizations(HashMap<String, Value>);

impl Organizations {
    async fn get(
        &mut self,
        conn: &mut SqliteConnection,
        id_or_name: &str,
    ) -> Result<Option<Value>, StoreError> {
        if let Some(org) = self.0.get(id_or_name) {
            return Ok(Some(org.clone()));
        }
        let org = organization_on(conn, id_or_name).await?;
        if let Some(org) = &org {
            self.keep(org);
        }
        Ok(org)
    }

    fn keep(&mut self, org: &Value) {
        for key in ["id", "name"] {
            if let Some(k) = org[key].as_str() {
                self.0.insert(k.to_owned(), org.clone());
            }
        }
    }
}

async fn run(mut conn: SqliteConnection, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut batch: Vec<Job> = Vec::new();
    let mut organizations = Organizations::default();
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcomes = commit(&mut conn, &mut organizations, &mut batch).await;
        for (job, outcome) in batch.drain(..).zip(outcomes) {
            // The caller may have gone (its connection closed): the write stands all the same.
            let _ = job.reply.send(outcome);
        }
    }
}

/// Applies `batch` in one transaction and commits: the outcome of each write.
async fn commit(
    conn: &mut SqliteConnection,
    organizations: &mut Organizations,
    batch: &mut [Job],
) -> Vec<Result<Value, StoreError>> {
    if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        return batch
            .iter()
            .map(|_| Err(StoreError::Database(copy(&e))))
            .collect();
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut failure = None;
    for job in batch.iter() {
        match apply(conn, organizations, &job.write).await {
            Err(StoreError::Database(e)) => {
                failure = Some(e);
                break;
            }
            outcome => outcomes.push(outcome),
        }
    }
    let failure = match failure {
        Some(e) => e,
        None => match sqlx::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => return outcomes,
            Err(e) => e,
        },
    };
    // Nothing of the batch stands: every write of it fails, and what the writer learnt in it is forgotten.
    let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
    *organizations = Organizations::default();
    batch
        .iter()
        .map(|_| Err(StoreError::Database(copy(&failure))))
        .collect()
}

/// A database error for each of several callers (sqlx errors do not clone).
fn copy(e: &sqlx::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("the commit failed: {e}"))
}

async fn apply(
    conn: &mut SqliteConnection,
    organizations: &mut Organizations,
    write: &Write,
) -> Result<Value, StoreError> {
    match write {
        Write::CreateOrganization(input) => create_organization(conn, organizations, input).await,
        Write::CreatePackage(input) => {
            let body = create_package(conn, organizations, input).await?;
            shown(conn, organizations, body).await
        }
        Write::UpdatePackage(input, patch) => {
            let body = update_package(conn, organizations, input, *patch).await?;
            shown(conn, organizations, body).await
        }
        Write::DeletePackage(id_or_name) => {
            delete_package(conn, id_or_name).await.map(|()| Value::Null)
        }
    }
}

/// A stored package as `package_show` answers it: with its organization.
async fn shown(
    conn: &mut SqliteConnection,
    organizations: &mut Organizations,
    mut body: Map<String, Value>,
) -> Result<Value, StoreError> {
    let org = match body.get("owner_org").and_then(Value::as_str) {
        Some(id) => organizations.get(conn, id).await?,
        None => None,
    };
    body.insert("organization".into(), org.unwrap_or(Value::Null));
    Ok(Value::Object(body))
}

/// `organization_create`.
async fn create_organization(
    conn: &mut SqliteConnection,
    organizations: &mut Organizations,
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
    if organizations.get(conn, &name).await?.is_some() {
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
        .execute(&mut *conn)
        .await?;
    organizations.keep(&org);
    Ok(org)
}

/// `package_create`.
async fn create_package(
    conn: &mut SqliteConnection,
    organizations: &mut Organizations,
    input: &Map<String, Value>,
) -> Result<Map<String, Value>, StoreError> {
    let now = timestamp();
    let id = new_id();
    let body = validate(conn, organizations, input, None, &id, &now, &now).await?;
    sqlx::query(
        "INSERT INTO packages (id, name, owner_org, state, body) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(body["name"].as_str())
    .bind(body.get("owner_org").and_then(Value::as_str))
    .bind(body["state"].as_str())
    .bind(Value::Object(body.clone()).to_string())
    .execute(&mut *conn)
    .await?;
    Ok(body)
}

/// `package_update` (`patch`: `package_patch`, which keeps what the input does not name).
async fn update_package(
    conn: &mut SqliteConnection,
    organizations: &mut Organizations,
    input: &Map<String, Value>,
    patch: bool,
) -> Result<Map<String, Value>, StoreError> {
    let key = match input.get("id").or_else(|| input.get("name")) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(invalid("id", "Missing value")),
    };
    let existing = row_on(&mut *conn, &key)
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
    let body = validate(
        conn,
        organizations,
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
    .execute(&mut *conn)
    .await?;
    Ok(body)
}

/// `package_delete`: the package stays, in state `deleted` (its name stays taken, as in CKAN).
async fn delete_package(conn: &mut SqliteConnection, id_or_name: &str) -> Result<(), StoreError> {
    let mut existing = row_on(&mut *conn, id_or_name)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("Package {id_or_name} was not found")))?;
    existing.body.insert("state".into(), json!("deleted"));
    existing
        .body
        .insert("metadata_modified".into(), json!(timestamp()));
    sqlx::query("UPDATE packages SET state = 'deleted', body = $2 WHERE id = $1")
        .bind(&existing.id)
        .bind(Value::Object(existing.body).to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The id of the package with this id or name (a name check reads no body).
async fn id_on(
    conn: &mut SqliteConnection,
    id_or_name: &str,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM packages WHERE id = $1 OR name = $1")
            .bind(id_or_name)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Checks `input` against the package schema and builds the stored package (its `organization` is added when
/// shown). Runs on the writer's connection, inside its transaction.
async fn validate(
    conn: &mut SqliteConnection,
    organizations: &mut Organizations,
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
            if let Some(other) = id_on(&mut *conn, name).await?
                && other != id
            {
                error("name", "That URL is already in use.".into());
            }
            out.insert("name".into(), json!(name));
        }
        Some(Value::String(_)) | None | Some(Value::Null) => error("name", "Missing value".into()),
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
        Some(Value::String(s)) => match organizations.get(conn, s).await? {
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
        Some(Value::String(s)) if ["active", "deleted", "draft"].contains(&s.as_str()) => s.clone(),
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use crate::store::{Store, StoreError};

    fn map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        match v {
            serde_json::Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writes_commit_together_and_a_failed_one_undoes_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).await.unwrap());
        store
            .create_organization(&map(json!({"name": "g12"})))
            .await
            .unwrap();
        // 225 writers at once: 150 valid creates, 50 that take 25 names in pairs (one of each pair wins), 25 invalid
        // (an unknown organization and a bad tag, caught after the name check read the transaction).
        let tasks: Vec<_> = (0..225)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let input = match i {
                        0..150 => json!({"name": format!("p-{i}"), "owner_org": "g12"}),
                        150..200 => json!({"name": format!("dup-{}", i % 25), "title": format!("{i}")}),
                        _ => json!({"name": format!("bad-{i}"), "owner_org": "nope", "tags": [{"name": "x"}]}),
                    };
                    (i, store.create_package(&map(input)).await)
                })
            })
            .collect();
        let (mut created, mut pairs_won) = (0, std::collections::HashMap::new());
        for t in tasks {
            let (i, outcome) = t.await.unwrap();
            match (i, outcome) {
                (0..150, Ok(p)) => {
                    created += 1;
                    assert_eq!(p["organization"]["name"], "g12");
                    // Acknowledged means committed: another connection reads it.
                    assert!(store.package(&format!("p-{i}")).await.unwrap().is_some());
                }
                (150..200, Ok(p)) => {
                    assert!(pairs_won.insert(i % 25, p["title"].clone()).is_none());
                }
                (150..200, Err(StoreError::Invalid(e))) => {
                    assert_eq!(e["name"], json!(["That URL is already in use."]))
                }
                (200.., Err(StoreError::Invalid(e))) => assert!(e.contains_key("owner_org")),
                (i, other) => panic!("write {i}: {other:?}"),
            }
        }
        assert_eq!((created, pairs_won.len()), (150, 25));
        let names = store.package_names().await.unwrap();
        assert_eq!(names.len(), 175, "no failed write left anything behind");
        assert!(!names.iter().any(|n| n.starts_with("bad-")));
        for (k, title) in pairs_won {
            let p = store.package(&format!("dup-{k}")).await.unwrap().unwrap();
            assert_eq!(
                p["title"], title,
                "the losing write of dup-{k} changed nothing"
            );
        }
    }

    /// Writes a second with 1 writer (each commit holds one write: what the store did before group commit) and with
    /// 16 concurrent writers. `cargo test -p portal --release --lib -- --ignored --nocapture writes_a_second`
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a measurement, not a check"]
    async fn writes_a_second() {
        for writers in [1usize, 16] {
            let dir = tempfile::tempdir().unwrap();
            let store = Arc::new(Store::open(dir.path()).await.unwrap());
            store
                .create_organization(&map(json!({"name": "g12"})))
                .await
                .unwrap();
            let n = 2000;
            let started = std::time::Instant::now();
            let tasks: Vec<_> = (0..writers)
                .map(|w| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        for i in (w..n).step_by(writers) {
                            let input = json!({"name": format!("p-{i}"), "owner_org": "g12",
                                "title": "Tiêu đề", "tags": [{"name": "y tế"}],
                                "resources": [{"url": "https://x/f.csv", "format": "CSV"}]});
                            store.create_package(&map(input)).await.unwrap();
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{writers} writer(s): {n} package_create in {secs:.2} s = {:.0} writes/s",
                n as f64 / secs
            );
        }
    }
}
