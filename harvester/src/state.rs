//! The state of one (source, target) pair, in its own SQLite file under the state folder: for each source record the
//! target package it became and the sha256 of the canonical JSON last written there, a `pending` mark set before a
//! create is sent (so that a run killed before the answer arrived looks the name up instead of creating again), and
//! the source cursor. Every row is written right after the target write it records: concurrent workers' rows go to
//! one writer task that commits whatever is queued in one transaction (group commit), and each worker goes on only
//! once its row is committed.
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::HarvestError;

/// What the state knows of one source record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The source's id of the record.
    pub source_id: String,
    /// The target package's id, once a write succeeded.
    pub target_id: Option<String>,
    /// The target package's name.
    pub target_name: String,
    /// sha256 of the canonical JSON last written.
    pub sha256: Option<String>,
    /// A create was sent whose outcome is not recorded.
    pub pending: bool,
}

/// One (source, target) state store.
pub struct StateStore {
    pool: SqlitePool,
    path: std::path::PathBuf,
    writes: tokio::sync::mpsc::UnboundedSender<Job>,
}

/// A row write.
enum RowWrite {
    /// `mark_pending`.
    Pending { source_id: String, name: String },
    /// `put`.
    Put {
        source_id: String,
        target_id: String,
        name: String,
        sha256: String,
    },
}

impl RowWrite {
    fn is_pending(&self) -> bool {
        matches!(self, RowWrite::Pending { .. })
    }
}

struct Job {
    write: RowWrite,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// The most rows one transaction writes.
const MAX_BATCH: usize = 1000;

/// The writer task: whatever is queued, in one transaction; each job hears back after the commit.
async fn write_rows(pool: SqlitePool, mut jobs: tokio::sync::mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::new();
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcomes = commit_rows(&pool, &batch).await;
        for (job, outcome) in batch.drain(..).zip(outcomes) {
            let _ = job.done.send(outcome);
        }
    }
}

async fn commit_rows(pool: &SqlitePool, batch: &[Job]) -> Vec<Result<(), String>> {
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return batch.iter().map(|_| Err(e.to_string())).collect(),
    };
    let written_at = now();
    let mut outcomes = Vec::with_capacity(batch.len());
    // Each run of rows of one kind is one multi-row statement: a statement per row cost a hand-over to the
    // connection's thread per row, which made the state the harvester's largest cost (BENCHMARKS.md, harvest).
    // A failed statement undoes only itself (SQLite statements are atomic): its rows fail, the others still commit.
    for run in batch.chunk_by(|a, b| a.write.is_pending() == b.write.is_pending()) {
        let outcome = upsert_rows(&mut tx, run, &written_at).await;
        outcomes.extend(run.iter().map(|_| outcome.clone()));
    }
    match tx.commit().await {
        Ok(()) => outcomes,
        Err(e) => batch
            .iter()
            .map(|_| Err(format!("the commit failed: {e}")))
            .collect(),
    }
}

/// Writes `run` (rows of one kind) in one statement; a source id named twice ends as its last row says.
async fn upsert_rows(
    tx: &mut sqlx::SqliteConnection,
    run: &[Job],
    written_at: &str,
) -> Result<(), String> {
    let pending = matches!(run[0].write, RowWrite::Pending { .. });
    let mut sql = if pending {
        String::from("INSERT INTO records (source_id, target_name, pending, written_at) VALUES ")
    } else {
        String::from(
            "INSERT INTO records (source_id, target_id, target_name, sha256, pending, written_at) VALUES ",
        )
    };
    for i in 0..run.len() {
        if i > 0 {
            sql.push(',');
        }
        if pending {
            sql.push_str("(?, ?, 1, ?)");
        } else {
            sql.push_str("(?, ?, ?, ?, 0, ?)");
        }
    }
    sql.push_str(if pending {
        " ON CONFLICT (source_id) DO UPDATE SET pending = 1, target_name = excluded.target_name"
    } else {
        " ON CONFLICT (source_id) DO UPDATE SET target_id = excluded.target_id,
           target_name = excluded.target_name, sha256 = excluded.sha256, pending = 0,
           written_at = excluded.written_at"
    });
    let mut query = sqlx::query(&sql);
    for job in run {
        query = match &job.write {
            RowWrite::Pending { source_id, name } => {
                query.bind(source_id).bind(name).bind(written_at)
            }
            RowWrite::Put {
                source_id,
                target_id,
                name,
                sha256,
            } => query
                .bind(source_id)
                .bind(target_id)
                .bind(name)
                .bind(sha256)
                .bind(written_at),
        };
    }
    query
        .execute(&mut *tx)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS records (
        source_id TEXT PRIMARY KEY,
        target_id TEXT,
        target_name TEXT NOT NULL,
        sha256 TEXT,
        pending INTEGER NOT NULL DEFAULT 0,
        written_at TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS records_by_name ON records (target_name)",
];

impl StateStore {
    /// Opens (creating when missing) the store of `source` and `target` under `dir`.
    pub async fn open(dir: &Path, source: &str, target: &str) -> Result<Self, HarvestError> {
        std::fs::create_dir_all(dir)?;
        let key = format!(
            "{}\n{}",
            source.trim_end_matches('/'),
            target.trim_end_matches('/')
        );
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        let path = dir.join(format!("harvest-{}.sqlite", &digest[..16]));
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL (in WAL mode): a commit survives a killed process; only a power loss can lose the last few
            // commits, and every one of them is safe to lose because the sync is idempotent: a lost mapping after a
            // create is found again by name and adopted, a lost hash after an update makes the next run update once
            // more, a lost cursor re-reads a stretch of the feed. FULL cost an fsync per record (measured in
            // BENCHMARKS.md), which capped a full sync far below the portal's own pace.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(30));
        // Two connections: the writer task's (the harvester is the only writer) and one for reads.
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&pool).await?;
        }
        let (writes, jobs) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(write_rows(pool.clone(), jobs));
        let store = Self { pool, path, writes };
        for (k, v) in [("source", source), ("target", target)] {
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(k)
            .bind(v)
            .execute(&store.pool)
            .await?;
        }
        Ok(store)
    }

    /// The SQLite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the pool (checkpoints the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// What the state knows of `source_id`.
    pub async fn get(&self, source_id: &str) -> Result<Option<Mapping>, HarvestError> {
        let row = sqlx::query(
            "SELECT source_id, target_id, target_name, sha256, pending FROM records WHERE source_id = $1",
        )
        .bind(source_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| Mapping {
            source_id: r.get(0),
            target_id: r.get(1),
            target_name: r.get(2),
            sha256: r.get(3),
            pending: r.get::<i64, _>(4) != 0,
        }))
    }

    /// What the state knows of each of `source_ids` (one query; ids it does not know are absent).
    pub async fn mappings(
        &self,
        source_ids: &[&str],
    ) -> Result<HashMap<String, Mapping>, HarvestError> {
        if source_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = sqlx::query(
            "SELECT source_id, target_id, target_name, sha256, pending FROM records
             WHERE source_id IN (SELECT value FROM json_each($1))",
        )
        .bind(serde_json::to_string(source_ids).expect("strings serialize"))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let m = Mapping {
                    source_id: r.get(0),
                    target_id: r.get(1),
                    target_name: r.get(2),
                    sha256: r.get(3),
                    pending: r.get::<i64, _>(4) != 0,
                };
                (m.source_id.clone(), m)
            })
            .collect())
    }

    /// For each of `names` that a record's package has on the target, that record (one query).
    pub async fn owners(&self, names: &[&str]) -> Result<HashMap<String, String>, HarvestError> {
        if names.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = sqlx::query(
            "SELECT target_name, source_id FROM records
             WHERE target_name IN (SELECT value FROM json_each($1)) ORDER BY target_name, source_id",
        )
        .bind(serde_json::to_string(names).expect("strings serialize"))
        .fetch_all(&self.pool)
        .await?;
        let mut owners = HashMap::new();
        for r in rows {
            owners.entry(r.get(0)).or_insert_with(|| r.get(1));
        }
        Ok(owners)
    }

    /// The source record whose package has this name on the target, if any.
    pub async fn owner_of_name(&self, name: &str) -> Result<Option<String>, HarvestError> {
        let row = sqlx::query("SELECT source_id FROM records WHERE target_name = $1 LIMIT 1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Records that a create of `name` for `source_id` is about to be sent.
    pub async fn mark_pending(&self, source_id: &str, name: &str) -> Result<(), HarvestError> {
        self.write(RowWrite::Pending {
            source_id: source_id.to_owned(),
            name: name.to_owned(),
        })
        .await
    }

    /// Records a successful write.
    pub async fn put(
        &self,
        source_id: &str,
        target_id: &str,
        name: &str,
        sha256: &str,
    ) -> Result<(), HarvestError> {
        self.write(RowWrite::Put {
            source_id: source_id.to_owned(),
            target_id: target_id.to_owned(),
            name: name.to_owned(),
            sha256: sha256.to_owned(),
        })
        .await
    }

    /// Queues a row write for the writer task and waits for its commit.
    async fn write(&self, write: RowWrite) -> Result<(), HarvestError> {
        let (done, outcome) = tokio::sync::oneshot::channel();
        let stopped = || HarvestError::State(sqlx::Error::PoolClosed);
        self.writes
            .send(Job { write, done })
            .map_err(|_| stopped())?;
        outcome
            .await
            .map_err(|_| stopped())?
            .map_err(|e| HarvestError::State(sqlx::Error::Protocol(e)))
    }

    /// Forgets a record (after its package was deleted on the target).
    pub async fn remove(&self, source_id: &str) -> Result<(), HarvestError> {
        sqlx::query("DELETE FROM records WHERE source_id = $1")
            .bind(source_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every source id the state knows.
    pub async fn source_ids(&self) -> Result<Vec<String>, HarvestError> {
        let rows = sqlx::query("SELECT source_id FROM records ORDER BY source_id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The source cursor, if one was stored.
    pub async fn cursor(&self) -> Result<Option<String>, HarvestError> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = 'cursor'")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Stores the source cursor.
    pub async fn set_cursor(&self, cursor: &str) -> Result<(), HarvestError> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ('cursor', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(cursor)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn mappings_and_cursor_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path(), "http://src", "http://dst")
            .await
            .unwrap();
        store.mark_pending("a", "a").await.unwrap();
        assert!(store.get("a").await.unwrap().unwrap().pending);
        store.put("a", "uuid-a", "a", "00ff").await.unwrap();
        store.set_cursor("42").await.unwrap();
        store.close().await;
        let store = StateStore::open(dir.path(), "http://src/", "http://dst")
            .await
            .unwrap();
        let m = store.get("a").await.unwrap().unwrap();
        assert_eq!((m.target_id.as_deref(), m.pending), (Some("uuid-a"), false));
        assert_eq!(store.cursor().await.unwrap().as_deref(), Some("42"));
        assert_eq!(
            store.owner_of_name("a").await.unwrap().as_deref(),
            Some("a")
        );
        store.remove("a").await.unwrap();
        assert!(store.source_ids().await.unwrap().is_empty());
        let other = StateStore::open(dir.path(), "http://src", "http://elsewhere")
            .await
            .unwrap();
        assert_eq!(other.cursor().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_batch_is_read_in_one_query_and_rows_of_one_commit_keep_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(
            StateStore::open(dir.path(), "http://src", "http://dst")
                .await
                .unwrap(),
        );
        // One commit holding a pending mark and then a put of the same record, and a put of another: the last row
        // of a record is what stands.
        let (a, b, c) = tokio::join!(
            store.mark_pending("x", "name-x"),
            store.put("x", "uuid-x", "name-x2", "aa"),
            store.put("y", "uuid-y", "name-y", "bb"),
        );
        a.unwrap();
        b.unwrap();
        c.unwrap();
        let x = store.get("x").await.unwrap().unwrap();
        assert_eq!(
            (x.pending, x.target_id.as_deref(), x.target_name.as_str()),
            (false, Some("uuid-x"), "name-x2")
        );
        let known = store.mappings(&["x", "y", "z"]).await.unwrap();
        assert_eq!(known.len(), 2);
        assert_eq!(known["y"].sha256.as_deref(), Some("bb"));
        assert!(!known.contains_key("z"));
        let owners = store
            .owners(&["name-x2", "name-y", "name-z", "it's \"quoted\""])
            .await
            .unwrap();
        assert_eq!(owners.len(), 2);
        assert_eq!(owners["name-y"], "y");
        assert!(store.mappings(&[]).await.unwrap().is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_rows_are_each_committed_before_their_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(
            StateStore::open(dir.path(), "http://src", "http://dst")
                .await
                .unwrap(),
        );
        let tasks: Vec<_> = (0..500)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let id = format!("r{i}");
                    store.mark_pending(&id, &id).await.unwrap();
                    assert!(store.get(&id).await.unwrap().unwrap().pending);
                    store.put(&id, &format!("t{i}"), &id, "ab").await.unwrap();
                    let m = store.get(&id).await.unwrap().unwrap();
                    assert_eq!((m.pending, m.target_id), (false, Some(format!("t{i}"))));
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(store.source_ids().await.unwrap().len(), 500);
    }
}
