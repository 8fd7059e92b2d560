//! The backup folder and scheduled backups. A backup is taken as `opendata-<ID>.unverified` (ID: its UTC time,
//! `20261205T013000Z`), restored into a scratch directory (and, on PostgreSQL, a scratch database) and checked against
//! its manifest, and only then renamed `opendata-<ID>.tar`; one that fails its check is kept as
//! `opendata-<ID>.tar.failed` for inspection and never counts as a backup. After each verified backup the retention
//! policy deletes the `.tar` backups it does not keep. Nothing else in the folder is touched.
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use registry::{Backend, Database};
use sqlx::any::AnyPoolOptions;

use super::verify::Checked;
use super::{BackupError, Manifest, Policy};

const PREFIX: &str = "opendata-";
const ID_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// `serve --backup-dir D --backup-every 24h --keep daily=30,monthly=25`.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The backup folder.
    pub dir: PathBuf,
    /// Time between two backups.
    pub every: Duration,
    /// What to keep.
    pub keep: Policy,
}

/// A backup in the folder.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its ID (its UTC time).
    pub id: String,
    /// When it was taken.
    pub at: DateTime<Utc>,
    /// The archive.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// It failed its check (`.tar.failed`).
    pub failed: bool,
}

/// The ID of a backup taken at `at`.
pub fn id_at(at: DateTime<Utc>) -> String {
    at.format(ID_FORMAT).to_string()
}

/// The time an ID names.
pub fn parse_id(id: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(id, ID_FORMAT)
        .ok()
        .map(|t| t.and_utc())
}

/// The backups in `dir` (verified and failed), oldest first; other files are ignored.
pub fn list(dir: &Path) -> Result<Vec<Listed>, BackupError> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let (id, failed) = if let Some(id) = rest.strip_suffix(".tar") {
            (id, false)
        } else if let Some(id) = rest.strip_suffix(".tar.failed") {
            (id, true)
        } else {
            continue;
        };
        let Some(at) = parse_id(id) else { continue };
        out.push(Listed {
            id: id.to_owned(),
            at,
            path: entry.path(),
            size: entry.metadata()?.len(),
            failed,
        });
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then(a.failed.cmp(&b.failed)));
    Ok(out)
}

/// The archive of backup `id` in `dir` (a path to an archive is accepted as is).
pub fn resolve(dir: Option<&Path>, id: &str) -> Result<PathBuf, BackupError> {
    if let Some(dir) = dir {
        let path = dir.join(format!("{PREFIX}{id}.tar"));
        if path.is_file() {
            return Ok(path);
        }
    }
    let path = Path::new(id);
    if path.is_file() {
        return Ok(path.to_owned());
    }
    Err(BackupError::NotFound(id.to_owned()))
}

/// What one scheduled backup did.
#[derive(Debug)]
pub struct Report {
    /// The new backup's ID.
    pub id: String,
    /// Its archive.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// What its verification covered.
    pub checked: Checked,
    /// IDs of the backups the policy deleted.
    pub deleted: Vec<String>,
}

/// Takes a backup into `dir`, verifies it by a scratch restore, and (with a policy) deletes what the policy drops.
pub async fn backup_once(
    db: &Database,
    database_url: Option<&str>,
    data_dir: &Path,
    dir: &Path,
    keep: Option<&Policy>,
) -> Result<Report, BackupError> {
    std::fs::create_dir_all(dir)?;
    let mut at = Utc::now();
    // IDs have a one-second resolution: never reuse one.
    while dir.join(format!("{PREFIX}{}.tar", id_at(at))).exists()
        || dir
            .join(format!("{PREFIX}{}.tar.failed", id_at(at)))
            .exists()
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
        at = Utc::now();
    }
    let id = id_at(at);
    let unverified = dir.join(format!("{PREFIX}{id}.unverified"));
    let manifest = match super::backup(db, database_url, data_dir, &unverified).await {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(unverified.with_extension("partial"));
            return Err(e);
        }
    };
    let path = dir.join(format!("{PREFIX}{id}.tar"));
    let checked = match verify_archive(&unverified, db, database_url, dir, &id).await {
        Ok(checked) => checked,
        Err(e) => {
            let failed = dir.join(format!("{PREFIX}{id}.tar.failed"));
            std::fs::rename(&unverified, &failed)?;
            return Err(e);
        }
    };
    std::fs::rename(&unverified, &path)?;
    let deleted = match keep {
        Some(policy) => prune(dir, Utc::now(), policy, &id)?,
        None => Vec::new(),
    };
    Ok(Report {
        id,
        path,
        manifest,
        checked,
        deleted,
    })
}

/// Deletes the verified backups `policy` does not keep at `now` (never `protect`); returns their IDs.
pub fn prune(
    dir: &Path,
    now: DateTime<Utc>,
    policy: &Policy,
    protect: &str,
) -> Result<Vec<String>, BackupError> {
    let backups: Vec<Listed> = list(dir)?.into_iter().filter(|b| !b.failed).collect();
    let times: Vec<DateTime<Utc>> = backups.iter().map(|b| b.at).collect();
    let kept = super::retention::keep(&times, now, policy);
    let mut deleted = Vec::new();
    for (i, b) in backups.iter().enumerate() {
        if !kept.contains(&i) && b.id != protect {
            std::fs::remove_file(&b.path)?;
            deleted.push(b.id.clone());
        }
    }
    Ok(deleted)
}

/// Restores `archive` into a scratch directory under `dir` (and a scratch database beside the live one on
/// PostgreSQL), checks it against its manifest, and removes the scratch copies.
async fn verify_archive(
    archive: &Path,
    db: &Database,
    database_url: Option<&str>,
    dir: &Path,
    id: &str,
) -> Result<Checked, BackupError> {
    let scratch = tempfile::Builder::new()
        .prefix(".verify-")
        .tempdir_in(dir)?;
    let data = scratch.path().join("data");
    match db.backend() {
        Backend::Sqlite => super::verify::restore_and_audit(archive, &data, None)
            .await
            .map(|(_, c)| c),
        Backend::Postgres => {
            let url = database_url.ok_or_else(|| {
                BackupError::Tool("a PostgreSQL backup needs --database-url".into())
            })?;
            let name = format!(
                "opendata_verify_{}_{}",
                id.to_ascii_lowercase(),
                std::process::id()
            );
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(db.pool())
                .await
                .map_err(|e| {
                    BackupError::Tool(format!(
                        "cannot create the scratch database {name} to verify the backup (the role needs CREATEDB): {e}"
                    ))
                })?;
            let scratch_url = with_database(url, &name);
            let checked = super::verify::restore_and_audit(archive, &data, Some(&scratch_url))
                .await
                .map(|(_, c)| c);
            let dropped = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(db.pool())
                .await;
            if let Err(e) = dropped {
                tracing::warn!(database = %name, error = %e, "dropping the scratch database failed");
            }
            checked
        }
    }
}

/// `url` naming database `name` instead of its own.
pub fn with_database(url: &str, name: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let (head, tail) = url.split_at(after_scheme);
    let query_at = tail.find('?').unwrap_or(tail.len());
    let (main, query) = tail.split_at(query_at);
    let authority = main.split('/').next().unwrap_or(main);
    format!("{head}{authority}/{name}{query}")
}

/// Removes what an interrupted backup left behind (`.partial`, `.unverified`, `.verify-*`).
fn clean_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let result = if name.starts_with(".verify-") && path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else if name.starts_with(PREFIX)
            && (name.ends_with(".partial") || name.ends_with(".unverified"))
        {
            std::fs::remove_file(&path)
        } else {
            continue;
        };
        if let Err(e) = result {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove a leftover of an interrupted backup");
        }
    }
}

/// Runs forever: a backup when the newest verified one is `every` old (at once when there is none), then pruning.
/// A failed backup is retried after `every` or an hour, whichever is shorter; it deletes nothing.
pub async fn run(
    db: Database,
    database_url: Option<String>,
    data_dir: PathBuf,
    schedule: Schedule,
) {
    if let Err(e) = std::fs::create_dir_all(&schedule.dir) {
        tracing::error!(dir = %schedule.dir.display(), error = %e, "cannot create the backup folder; no backups");
        return;
    }
    clean_leftovers(&schedule.dir);
    let every = chrono::Duration::from_std(schedule.every).unwrap_or(chrono::Duration::days(1));
    let newest = list(&schedule.dir)
        .ok()
        .and_then(|l| l.iter().filter(|b| !b.failed).map(|b| b.at).max());
    let mut due = newest.map_or_else(Utc::now, |t| t + every);
    loop {
        let now = Utc::now();
        if now < due {
            // Wake at least every minute, so a changed clock is noticed.
            let wait = (due - now).to_std().unwrap_or_default();
            tokio::time::sleep(wait.min(Duration::from_secs(60))).await;
            continue;
        }
        let started = std::time::Instant::now();
        match backup_once(
            &db,
            database_url.as_deref(),
            &data_dir,
            &schedule.dir,
            Some(&schedule.keep),
        )
        .await
        {
            Ok(r) => {
                tracing::info!(
                    id = %r.id,
                    change_log_head = r.manifest.chain_head_seq,
                    schema_version = r.manifest.schema_version(),
                    tables = r.checked.tables,
                    rows = r.checked.rows,
                    files = r.checked.files,
                    deleted = ?r.deleted,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "backup written and verified"
                );
                due = now + every;
            }
            Err(e) => {
                tracing::error!(error = %e, "scheduled backup failed");
                due = now + every.min(chrono::Duration::hours(1));
            }
        }
    }
}

/// Restores backup `id` (from `dir`, or a path) into `data_dir` (and the empty database at `database_url`), checked
/// against its manifest before any migration.
pub async fn restore_id(
    dir: Option<&Path>,
    id: &str,
    data_dir: &Path,
    database_url: Option<&str>,
) -> Result<(Manifest, Checked), BackupError> {
    let archive = resolve(dir, id)?;
    super::verify::restore_and_check(&archive, data_dir, database_url).await
}

/// A small pool on a restored copy (two connections: the check holds one while the chain is verified on another).
pub(super) async fn open_restored(
    data_dir: &Path,
    database_url: Option<&str>,
) -> Result<sqlx::AnyPool, BackupError> {
    sqlx::any::install_default_drivers();
    let url = match database_url {
        Some(u) => u.to_owned(),
        None => format!(
            "sqlite://{}?mode=ro",
            data_dir.join("opendata.db").display()
        ),
    };
    AnyPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .map_err(|e| BackupError::Store(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_urls() {
        let at = parse_id("20261205T013000Z").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-05T01:30:00+00:00");
        assert_eq!(id_at(at), "20261205T013000Z");
        assert!(parse_id("2026-12-05").is_none());
        assert_eq!(
            with_database("postgres://u:p@h:5432/live?sslmode=disable", "scratch"),
            "postgres://u:p@h:5432/scratch?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "s"), "postgres://h/s");
    }

    #[test]
    fn lists_and_prunes_only_backups() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "opendata-20260101T000000Z.tar",
            "opendata-20260102T000000Z.tar",
            "opendata-20260103T000000Z.tar",
            "opendata-20260102T120000Z.tar.failed",
            "opendata-nonsense.tar",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 4);
        assert!(listed[2].failed);
        let now = parse_id("20260103T060000Z").unwrap();
        let deleted = prune(dir.path(), now, &"daily=2".parse().unwrap(), "").unwrap();
        assert_eq!(deleted, ["20260101T000000Z"]);
        let left: Vec<String> = list(dir.path())
            .unwrap()
            .into_iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(
            left,
            ["20260102T000000Z", "20260102T120000Z", "20260103T000000Z"]
        );
        assert!(dir.path().join("notes.txt").exists());
        assert!(resolve(Some(dir.path()), "20260103T000000Z").is_ok());
        assert!(matches!(
            resolve(Some(dir.path()), "20260101T000000Z"),
            Err(BackupError::NotFound(_))
        ));
    }
}
