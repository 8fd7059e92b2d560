//! Backup and restore: one tar file holding a consistent snapshot of the SQL store (SQLite's `VACUUM INTO`, which reads
//! one transaction's view while the server keeps running; `pg_dump --format=custom` for PostgreSQL, on a snapshot
//! exported from the transaction that also counted the rows), every stored file, and a manifest with the sha256 of each
//! member, the schema's migration versions, the change-log head and the row count of every table. Restore checks every
//! checksum before writing anything; the projections (RDF store, search index) are not in the backup: the restored
//! server rebuilds them from SQL.
//!
//! Submodules: [`retention`] (which backups a policy keeps), [`verify`] (the snapshot's figures and the check of a
//! restored copy against them), [`schedule`] (the backup folder, scheduled backups verified by a scratch restore, and
//! pruning).
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use registry::{Backend, Database};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub mod retention;
pub mod schedule;
pub mod verify;

pub use retention::Policy;
pub use schedule::Schedule;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing files.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The store.
    #[error(transparent)]
    Store(#[from] registry::RegistryError),
    /// A tool (pg_dump, psql) failed.
    #[error("{0}")]
    Tool(String),
    /// The archive is not a backup of ours, or is damaged.
    #[error("not a valid backup: {0}")]
    Invalid(String),
    /// A restored copy does not match what its manifest recorded.
    #[error("verification failed: {0}")]
    Verify(String),
    /// The backup asked for is not in the backup folder.
    #[error("no backup {0:?} in the backup folder (see `opendata backup list`)")]
    NotFound(String),
}

/// The manifest format written today.
pub const FORMAT: u32 = 2;

/// The manifest stored first in the archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Format version.
    pub format: u32,
    /// When the backup was taken.
    pub created_at: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The sequence of the change log's last entry in the snapshot.
    pub chain_head_seq: i64,
    /// The hash of that entry (empty when the log is empty; absent before format 2).
    #[serde(default)]
    pub chain_head: String,
    /// The migration versions applied to the snapshot's schema (absent before format 2).
    #[serde(default)]
    pub schema_versions: Vec<i64>,
    /// Table → rows, counted in the snapshot (absent before format 2).
    #[serde(default)]
    pub row_counts: std::collections::BTreeMap<String, i64>,
    /// Member path → sha256.
    pub members: std::collections::BTreeMap<String, String>,
}

impl Manifest {
    /// The newest migration version of the snapshot's schema.
    pub fn schema_version(&self) -> Option<i64> {
        self.schema_versions.iter().max().copied()
    }
}

fn sha256_file(path: &Path) -> Result<String, std::io::Error> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// A PostgreSQL client tool (`pg_dump`, `pg_restore`) of the newest version installed under /usr/lib/postgresql, or
/// the one on the `PATH`.
pub fn pg_tool(name: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join(name).exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions
        .pop()
        .map(|d| d.join(name))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Takes a backup of the store (and the files under `data_dir/files`) into the tar file `to`, written as
/// `to.partial` and renamed when complete. It does not migrate: the snapshot keeps the schema it was taken from.
pub async fn backup(
    db: &Database,
    database_url: Option<&str>,
    data_dir: &Path,
    to: &Path,
) -> Result<Manifest, BackupError> {
    let staging = tempfile::tempdir_in(
        to.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )?;
    let (member, backend, figures) = match db.backend() {
        Backend::Sqlite => {
            let snapshot = staging.path().join("opendata.db");
            sqlx::query(&format!(
                "VACUUM INTO '{}'",
                snapshot.display().to_string().replace('\'', "''")
            ))
            .execute(db.pool())
            .await
            .map_err(registry::RegistryError::from)?;
            let figures = verify::figures_of_sqlite_file(&snapshot).await?;
            (snapshot, "sqlite", figures)
        }
        Backend::Postgres => {
            let dump = staging.path().join("opendata.pgdump");
            let url = database_url.ok_or_else(|| {
                BackupError::Tool("a PostgreSQL backup needs --database-url".into())
            })?;
            let figures = verify::pg_dump_counted(db, url, &dump).await?;
            (dump, "postgres", figures)
        }
    };
    let files_root = data_dir.join("files").join("sha256");
    let mut files = Vec::new();
    walk(&files_root, &mut files)?;
    let to = to.to_owned();
    let data_dir = data_dir.to_owned();
    let manifest = tokio::task::spawn_blocking(move || -> Result<Manifest, BackupError> {
        let mut members = std::collections::BTreeMap::new();
        let name = member
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("opendata.db")
            .to_owned();
        members.insert(name.clone(), sha256_file(&member)?);
        for f in &files {
            let rel = f
                .strip_prefix(&data_dir)
                .map_err(|e| BackupError::Invalid(e.to_string()))?;
            members.insert(rel.to_string_lossy().into_owned(), sha256_file(f)?);
        }
        let manifest = Manifest {
            format: FORMAT,
            created_at: registry::changelog::now(),
            backend: backend.into(),
            chain_head_seq: figures.chain_head_seq,
            chain_head: figures.chain_head,
            schema_versions: figures.schema_versions,
            row_counts: figures.row_counts,
            members,
        };
        let partial = to.with_extension("partial");
        let file = std::fs::File::create(&partial)?;
        let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
        let body = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "manifest.json", body.as_slice())?;
        tar.append_path_with_name(&member, &name)?;
        for f in &files {
            let rel = f
                .strip_prefix(&data_dir)
                .map_err(|e| BackupError::Invalid(e.to_string()))?;
            tar.append_path_with_name(f, rel)?;
        }
        let mut inner = tar.into_inner()?;
        inner.flush()?;
        inner
            .into_inner()
            .map_err(|e| BackupError::Io(e.into_error()))?
            .sync_all()?;
        // Appears under its name only when complete.
        std::fs::rename(&partial, &to)?;
        Ok(manifest)
    })
    .await
    .map_err(|e| BackupError::Tool(e.to_string()))??;
    Ok(manifest)
}

/// Reads only the manifest of a backup file (its first member).
pub fn read_manifest(file: &Path) -> Result<Manifest, BackupError> {
    let mut archive = tar::Archive::new(std::fs::File::open(file)?);
    for entry in archive.entries()? {
        let mut entry = entry?;
        if entry.path()?.as_ref() == Path::new("manifest.json") {
            let mut body = Vec::new();
            entry.read_to_end(&mut body)?;
            return serde_json::from_slice(&body).map_err(|e| BackupError::Invalid(e.to_string()));
        }
    }
    Err(BackupError::Invalid(format!(
        "{} has no manifest.json",
        file.display()
    )))
}

/// Restores a backup into an empty `data_dir` (and, for PostgreSQL, the empty database at `database_url`).
pub async fn restore(
    from: &Path,
    data_dir: &Path,
    database_url: Option<&str>,
) -> Result<Manifest, BackupError> {
    if data_dir.join("opendata.db").exists() || data_dir.join("files").join("sha256").exists() {
        return Err(BackupError::Invalid(format!(
            "{} is not empty: restore into a new data directory",
            data_dir.display()
        )));
    }
    std::fs::create_dir_all(data_dir)?;
    let staging = tempfile::tempdir_in(data_dir)?;
    let from = from.to_owned();
    let staged = staging.path().to_owned();
    let manifest = tokio::task::spawn_blocking(move || -> Result<Manifest, BackupError> {
        let mut archive = tar::Archive::new(std::fs::File::open(&from)?);
        archive.set_overwrite(false);
        let mut manifest: Option<Manifest> = None;
        for entry in archive.entries()? {
            let mut entry = entry?;
            let path = entry.path()?.into_owned();
            if path == Path::new("manifest.json") {
                let mut body = Vec::new();
                entry.read_to_end(&mut body)?;
                manifest = Some(
                    serde_json::from_slice(&body)
                        .map_err(|e| BackupError::Invalid(e.to_string()))?,
                );
                continue;
            }
            // unpack_in refuses absolute paths and `..`, so nothing lands outside the staging folder.
            if !entry.unpack_in(&staged)? {
                return Err(BackupError::Invalid(format!(
                    "unsafe path in archive: {}",
                    path.display()
                )));
            }
        }
        let manifest = manifest.ok_or_else(|| BackupError::Invalid("no manifest.json".into()))?;
        for (member, expected) in &manifest.members {
            let actual = sha256_file(&staged.join(member))
                .map_err(|e| BackupError::Invalid(format!("{member} missing: {e}")))?;
            if &actual != expected {
                return Err(BackupError::Invalid(format!(
                    "{member} is damaged (sha256 {actual}, expected {expected})"
                )));
            }
        }
        Ok(manifest)
    })
    .await
    .map_err(|e| BackupError::Tool(e.to_string()))??;
    match manifest.backend.as_str() {
        "sqlite" if database_url.is_some() => {
            return Err(BackupError::Invalid(
                "this is a SQLite backup: restore it without --database-url".into(),
            ));
        }
        "sqlite" => std::fs::rename(
            staging.path().join("opendata.db"),
            data_dir.join("opendata.db"),
        )?,
        "postgres" => {
            let url = database_url.ok_or_else(|| {
                BackupError::Tool("a PostgreSQL backup restores into --database-url".into())
            })?;
            let out = tokio::process::Command::new(pg_tool("pg_restore"))
                .args([
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--dbname",
                    url,
                ])
                .arg(staging.path().join("opendata.pgdump"))
                .output()
                .await?;
            if !out.status.success() {
                return Err(BackupError::Tool(format!(
                    "pg_restore failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
        }
        other => return Err(BackupError::Invalid(format!("unknown backend {other:?}"))),
    }
    if staging.path().join("files").exists() {
        std::fs::rename(staging.path().join("files"), data_dir.join("files"))?;
    }
    Ok(manifest)
}
