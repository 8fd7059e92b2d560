//! The change log: the single, ordered, hash-chained record of every applied write.
//!
//! Each entry's hash is `sha256(prev_hash ‖ canonical JSON of the entry)`, so altering or removing any entry breaks every
//! later hash. The sequence is assigned inside the serialized write transaction ([`crate::db::Database::write`]), so it
//! increases in commit order; projections and the change feed use it as their cursor.
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Any, Row, Transaction};

use crate::batch::Rows;
use crate::error::RegistryError;

/// The hash that precedes the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// sha256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The current time as the registry records it: RFC 3339 UTC with microseconds (sorts as text).
pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// A change-log entry to append.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewEntry<'a> {
    /// Who.
    pub actor: &'a str,
    /// What kind of change (`item.add`, `release.create`, ...).
    pub action: &'a str,
    /// The URI or key of what changed.
    pub subject: &'a str,
    /// Content hash before.
    pub before: Option<&'a str>,
    /// Content hash after.
    pub after: Option<&'a str>,
    /// Free-form detail (reason, change request, ...).
    pub detail: serde_json::Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Hashed<'a> {
    seq: i64,
    recorded_at: &'a str,
    #[serde(flatten)]
    entry: &'a NewEntry<'a>,
}

/// The hash of entry `seq` following the entry whose hash is `prev`: `sha256(prev ‖ canonical JSON of the entry)`.
pub fn entry_hash(prev: &str, seq: i64, recorded_at: &str, entry: &NewEntry<'_>) -> String {
    let body = serde_json::to_string(&Hashed {
        seq,
        recorded_at,
        entry,
    })
    .expect("entry serializes");
    sha256_hex(format!("{prev}{body}").as_bytes())
}

/// Appends entries and keeps the chain head in memory for the duration of one write transaction.
///
/// [`Appender::append`] writes its entry at once; [`Appender::stage`] only chains it and keeps the row for
/// [`Appender::flush`], which writes every staged row in a few statements. A transaction that stages must flush before
/// it commits.
pub struct Appender {
    next_seq: i64,
    head: String,
    recorded_at: String,
    staged: Rows,
}

const LOG_COLUMNS: &[&str] = &[
    "seq",
    "recorded_at",
    "actor",
    "action",
    "subject",
    "before_sha256",
    "after_sha256",
    "detail",
    "prev_hash",
    "entry_hash",
];

impl Appender {
    /// Reads the chain head inside the write transaction.
    pub async fn start(tx: &mut Transaction<'static, Any>) -> Result<Self, RegistryError> {
        let row = sqlx::query("SELECT seq, entry_hash FROM change_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
        let (last, head) = match row {
            Some(row) => (row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?),
            None => (0, GENESIS.to_owned()),
        };
        Ok(Self {
            next_seq: last + 1,
            head,
            recorded_at: now(),
            staged: Rows::new("change_log", LOG_COLUMNS),
        })
    }

    /// The time every entry of this transaction records.
    pub fn recorded_at(&self) -> &str {
        &self.recorded_at
    }

    /// The sequence the next entry will get.
    pub fn next_seq(&self) -> i64 {
        self.next_seq
    }

    /// The hash of the last appended entry.
    pub fn head(&self) -> &str {
        &self.head
    }

    /// Appends one entry and returns its sequence.
    pub async fn append(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        entry: &NewEntry<'_>,
    ) -> Result<i64, RegistryError> {
        let seq = self.stage(entry);
        self.flush(tx).await?;
        Ok(seq)
    }

    /// Chains one entry and keeps its row for [`Appender::flush`]; returns its sequence.
    pub fn stage(&mut self, entry: &NewEntry<'_>) -> i64 {
        let seq = self.next_seq;
        let hash = entry_hash(&self.head, seq, &self.recorded_at, entry);
        self.staged.push([
            seq.into(),
            self.recorded_at.as_str().into(),
            entry.actor.into(),
            entry.action.into(),
            entry.subject.into(),
            entry.before.into(),
            entry.after.into(),
            entry.detail.to_string().into(),
            self.head.as_str().into(),
            hash.as_str().into(),
        ]);
        self.next_seq += 1;
        self.head = hash;
        seq
    }

    /// Writes every staged entry.
    pub async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), RegistryError> {
        self.staged.insert(tx).await?;
        Ok(())
    }
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainCheck {
    /// Entries checked.
    pub entries: i64,
    /// Hash of the last entry.
    pub head: String,
    /// The first entry whose hash does not verify, if any.
    pub first_bad_seq: Option<i64>,
}

/// Recomputes every hash of the chain.
pub async fn verify(pool: &sqlx::AnyPool) -> Result<ChainCheck, RegistryError> {
    crate::verify::verify_chain_from(pool, 0, GENESIS).await
}

#[cfg(test)]
mod tests {
    use crate::model::{Change, CodeListMeta};
    use crate::{Database, Registry};

    #[tokio::test]
    async fn the_chain_verifies_and_names_the_first_tampered_entry() {
        let dir = std::env::temp_dir().join(format!("changelog-test-{}", std::process::id()));
        let db = Database::open_sqlite(&dir).await.unwrap();
        db.migrate(crate::db::REGISTRY_MIGRATIONS).await.unwrap();
        let registry = Registry::new(db.clone(), "https://example.org");
        let meta: CodeListMeta = serde_json::from_value(serde_json::json!({
            "id": "colours", "title": {"vi": "Màu"}, "codePattern": "[a-z]+"
        }))
        .unwrap();
        registry
            .create_list(&crate::Steward::system("tester"), meta)
            .await
            .unwrap();
        let add = |code: &str| Change::Add {
            item: serde_json::from_value(serde_json::json!({"code": code, "labels": {"vi": code}}))
                .unwrap(),
        };
        registry
            .apply_direct("colours", &[add("red"), add("blue")], "tester", "seed")
            .await
            .unwrap();
        let check = super::verify(db.pool()).await.unwrap();
        assert_eq!((check.entries, check.first_bad_seq), (3, None));
        sqlx::query("UPDATE change_log SET actor = 'mallory' WHERE seq = 2")
            .execute(db.pool())
            .await
            .unwrap();
        assert_eq!(
            super::verify(db.pool()).await.unwrap().first_bad_seq,
            Some(2)
        );
        std::fs::remove_dir_all(dir).ok();
    }
}

/// One change-log entry as the change feed shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FeedEntry {
    /// The sequence (the feed's cursor).
    pub seq: i64,
    /// When (RFC 3339).
    pub recorded_at: String,
    /// What kind of change.
    pub action: String,
    /// The URI of what changed.
    pub subject: String,
    /// Content hash after, when there is content.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub after_sha256: Option<String>,
}

/// Entries after `after`, oldest first, at most `limit`.
pub async fn feed(
    pool: &sqlx::AnyPool,
    after: i64,
    limit: i64,
) -> Result<Vec<FeedEntry>, RegistryError> {
    let rows = sqlx::query(
        "SELECT seq, recorded_at, action, subject, after_sha256 FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FeedEntry {
                seq: r.try_get(0)?,
                recorded_at: r.try_get(1)?,
                action: r.try_get(2)?,
                subject: r.try_get(3)?,
                after_sha256: r.try_get(4)?,
            })
        })
        .collect()
}
