//! Signed checkpoints of the change log, as Certificate Transparency signs its tree heads: the server signs "the chain
//! had `seq` entries and its head was `head`" with its Ed25519 key (a file under `--data-dir`, created on the first
//! start; the public key is served at `/.well-known/opendata-checkpoint-key`). Anyone who saved a checkpoint can later
//! prove that today's log extends it ([`check_extends`]): the same entry hash at that sequence and an intact chain from
//! there. A history rewritten after the checkpoint was saved fails, whoever holds the database.
//!
//! A head is signed only after the chain from the previous checkpoint to it verifies, so the server never signs a log
//! that does not extend what it signed before.
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use rand::RngCore;
use registry::changelog::{GENESIS, now};
use registry::db::Migrations;
use registry::verify::{Finding, entry_hash_at, verify_chain_from};
use registry::{Database, RegistryError};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// The migrations of this module.
pub const CHECKPOINT_MIGRATIONS: Migrations = Migrations {
    steps: &[(
        9101,
        "checkpoints",
        include_str!("../migrations/sqlite/9101_checkpoints.sql"),
        include_str!("../migrations/postgres/9101_checkpoints.sql"),
    )],
};

/// The key file under the data directory: the 32-byte Ed25519 secret seed, hex.
pub const KEY_FILE: &str = "checkpoint-key.ed25519";

/// A signed statement of the change log's length and head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Checkpoint {
    /// Which log: the base URI of the server that signed.
    pub origin: String,
    /// The sequence of the last entry covered (the log's length then).
    pub seq: i64,
    /// That entry's hash: the chain head.
    pub head: String,
    /// When it was signed (RFC 3339).
    pub signed_at: String,
    /// The Ed25519 public key that signed, hex (as served at `/.well-known/opendata-checkpoint-key`).
    pub public_key: String,
    /// The Ed25519 signature of the signed text (see the README), hex.
    pub signature: String,
}

impl Checkpoint {
    /// The text the signature covers.
    pub fn signed_text(&self) -> String {
        format!(
            "opendata checkpoint v1\norigin {}\nseq {}\nhead {}\nsigned-at {}\n",
            self.origin, self.seq, self.head, self.signed_at
        )
    }

    /// Checks the signature with the checkpoint's own public key.
    pub fn verify_signature(&self) -> Result<(), String> {
        let key: [u8; 32] = hex::decode(&self.public_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("the public key is not 32 bytes of hex")?;
        let key = VerifyingKey::from_bytes(&key).map_err(|e| format!("bad public key: {e}"))?;
        let signature: [u8; 64] = hex::decode(&self.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("the signature is not 64 bytes of hex")?;
        key.verify(
            self.signed_text().as_bytes(),
            &Signature::from_bytes(&signature),
        )
        .map_err(|_| "the signature does not verify".to_owned())
    }
}

/// The signer and the checkpoints it made.
#[derive(Clone)]
pub struct Checkpoints {
    key: std::sync::Arc<SigningKey>,
    db: Database,
    origin: String,
}

impl std::fmt::Debug for Checkpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoints")
            .field("public_key", &self.public_key_hex())
            .field("origin", &self.origin)
            .finish()
    }
}

/// The key under `data_dir`, created (readable by the owner only) when missing.
pub fn load_or_create_key(data_dir: &Path) -> std::io::Result<SigningKey> {
    let path: PathBuf = data_dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let seed: [u8; 32] = hex::decode(text.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} does not hold a 32-byte hex key", path.display()),
                    )
                })?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)?;
            let mut seed = [0u8; 32];
            rand::rng().fill_bytes(&mut seed);
            let tmp = data_dir.join(format!("{KEY_FILE}.tmp"));
            {
                use std::io::Write;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&tmp)?;
                file.write_all(hex::encode(seed).as_bytes())?;
                file.sync_all()?;
            }
            std::fs::rename(&tmp, &path)?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) => Err(e),
    }
}

impl Checkpoints {
    /// A signer with `key`, signing the log of `db` as `origin`.
    pub fn new(key: SigningKey, db: Database, origin: impl Into<String>) -> Self {
        Self {
            key: std::sync::Arc::new(key),
            db,
            origin: origin.into(),
        }
    }

    /// The public key, hex.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// Signs the chain head when it moved since the last checkpoint, after verifying the chain from that checkpoint
    /// to it; returns the new checkpoint (`None` when the head has not moved or the log is empty).
    pub async fn sign_head(&self) -> Result<Option<Checkpoint>, RegistryError> {
        let pool = self.db.pool();
        let last = self.latest().await?;
        let (from, prev) = match &last {
            Some(c) => (c.seq, c.head.clone()),
            None => (0, GENESIS.to_owned()),
        };
        if from > 0 && entry_hash_at(pool, from).await?.as_deref() != Some(prev.as_str()) {
            return Err(RegistryError::Storage(format!(
                "change-log entry {from} no longer has the hash checkpoint {from} signed: refusing to sign"
            )));
        }
        let chain = verify_chain_from(pool, from, &prev).await?;
        if let Some(bad) = chain.first_bad_seq {
            return Err(RegistryError::Storage(format!(
                "change-log entry {bad} does not verify: refusing to sign"
            )));
        }
        if chain.entries <= from {
            return Ok(None);
        }
        let mut checkpoint = Checkpoint {
            origin: self.origin.clone(),
            seq: chain.entries,
            head: chain.head,
            signed_at: now(),
            public_key: self.public_key_hex(),
            signature: String::new(),
        };
        checkpoint.signature = hex::encode(
            self.key
                .sign(checkpoint.signed_text().as_bytes())
                .to_bytes(),
        );
        // Another node on the same database may have signed the same head first: the first one stays. Through the
        // write gate like every other write: on SQLite a write beside it would make a concurrent writer's deferred
        // transaction fail to upgrade (SQLITE_BUSY) and answer 500.
        let mut w = self.db.write().await?;
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, head, signed_at, content) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (seq) DO NOTHING",
        )
        .bind(checkpoint.seq)
        .bind(&checkpoint.head)
        .bind(&checkpoint.signed_at)
        .bind(serde_json::to_string(&checkpoint).expect("checkpoint serializes"))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        self.get(checkpoint.seq).await
    }

    /// The latest checkpoint.
    pub async fn latest(&self) -> Result<Option<Checkpoint>, RegistryError> {
        let row = sqlx::query("SELECT content FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| parse(&r.try_get::<String, _>(0)?)).transpose()
    }

    /// The checkpoint of sequence `seq`.
    pub async fn get(&self, seq: i64) -> Result<Option<Checkpoint>, RegistryError> {
        let row = sqlx::query("SELECT content FROM audit_checkpoints WHERE seq = $1")
            .bind(seq)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| parse(&r.try_get::<String, _>(0)?)).transpose()
    }
}

fn parse(text: &str) -> Result<Checkpoint, RegistryError> {
    serde_json::from_str(text)
        .map_err(|e| RegistryError::Storage(format!("stored checkpoint does not parse: {e}")))
}

/// Proves that today's log extends `checkpoint`: its signature verifies (and, when `expected_key` is given, it was made
/// with that key), entry `seq` still has the hash it signed, and the chain from there to the head is intact. Returns
/// what fails, naming the checkpoint.
pub async fn check_extends(
    pool: &sqlx::AnyPool,
    checkpoint: &Checkpoint,
    expected_key: Option<&str>,
) -> Result<Vec<Finding>, RegistryError> {
    let subject = format!("seq {} ({})", checkpoint.seq, checkpoint.signed_at);
    let mut findings = Vec::new();
    if let Err(e) = checkpoint.verify_signature() {
        findings.push(Finding::new("checkpoint", &subject, e));
    }
    if let Some(key) = expected_key
        && !key.eq_ignore_ascii_case(&checkpoint.public_key)
    {
        findings.push(Finding::new(
            "checkpoint",
            &subject,
            format!(
                "signed by key {}, not by this server's key {key}",
                checkpoint.public_key
            ),
        ));
    }
    match entry_hash_at(pool, checkpoint.seq).await? {
        None => findings.push(Finding::new(
            "checkpoint",
            &subject,
            format!(
                "the log has no entry {}: it was truncated after the checkpoint",
                checkpoint.seq
            ),
        )),
        Some(hash) if hash != checkpoint.head => findings.push(Finding::new(
            "checkpoint",
            &subject,
            format!(
                "entry {} now has hash {hash}, but the checkpoint signed {}: the history was rewritten",
                checkpoint.seq, checkpoint.head
            ),
        )),
        Some(_) => {
            let chain = verify_chain_from(pool, checkpoint.seq, &checkpoint.head).await?;
            if let Some(bad) = chain.first_bad_seq {
                findings.push(Finding::new(
                    "checkpoint",
                    &subject,
                    format!("the chain after the checkpoint breaks at entry {bad}"),
                ));
            }
        }
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_every_field() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let mut c = Checkpoint {
            origin: "https://data.example".into(),
            seq: 42,
            head: "ab".repeat(32),
            signed_at: "2026-01-01T00:00:00.000000Z".into(),
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: String::new(),
        };
        c.signature = hex::encode(key.sign(c.signed_text().as_bytes()).to_bytes());
        assert_eq!(c.verify_signature(), Ok(()));
        let mut moved = c.clone();
        moved.seq = 41;
        assert!(moved.verify_signature().is_err());
        let mut other = c.clone();
        other.head = "cd".repeat(32);
        assert!(other.verify_signature().is_err());
        let mut garbled = c;
        garbled.signature = "00".into();
        assert!(garbled.verify_signature().is_err());
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_key(dir.path()).unwrap();
        let b = load_or_create_key(dir.path()).unwrap();
        assert_eq!(a.to_bytes(), b.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "only the owner reads the key");
        }
    }
}
