//! Backup and restore: one tar file holding a consistent snapshot of the SQL store (SQLite's `VACUUM INTO`, which reads
//! one transaction's view while the server keeps running; `pg_dump` for PostgreSQL), every stored file, and a manifest
//! with the sha256 of each member. Restore checks every checksum before writing anything; the projections (RDF store,
//! search index) are not in the backup: the restored server rebuilds them from SQL.
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use registry::{Backend, Database};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
}

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
    /// The change-log head at backup time.
    pub chain_head_seq: i64,
    /// Member path → sha256.
    pub members: std::collections::BTreeMap<String, String>,
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

fn pg_tool(name: &str) -> PathBuf {
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

/// Takes a backup of the store (and the files under `data_dir/files`) into the tar file `to`.
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
    let head = registry::changelog::verify(db.pool()).await?;
    let (member, backend) = match db.backend() {
        Backend::Sqlite => {
            let snapshot = staging.path().join("opendata.db");
            sqlx::query(&format!(
                "VACUUM INTO '{}'",
                snapshot.display().to_string().replace('\'', "''")
            ))
            .execute(db.pool())
            .await
            .map_err(registry::RegistryError::from)?;
            (snapshot, "sqlite")
        }
        Backend::Postgres => {
            let dump = staging.path().join("opendata.pgdump");
            let url = database_url.ok_or_else(|| {
                BackupError::Tool("a PostgreSQL backup needs --database-url".into())
            })?;
            let out = tokio::process::Command::new(pg_tool("pg_dump"))
                .args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(&dump)
                .arg(url)
                .output()
                .await?;
            if !out.status.success() {
                return Err(BackupError::Tool(format!(
                    "pg_dump failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
            (dump, "postgres")
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
            format: 1,
            created_at: registry::changelog::now(),
            backend: backend.into(),
            chain_head_seq: head.entries,
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
