//! The figures a backup's manifest records about its snapshot (migration versions, change-log head, row count of every
//! table), read inside the snapshot itself, and the check of a restored copy against them: the change-log chain
//! verifies and ends at the recorded head, every table has the recorded number of rows, and every file a dataset
//! revision names is present with its sha256.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use registry::{Backend, Database};
use sqlx::{AnyConnection, AnyPool, Connection, Row};

use super::{BackupError, Manifest};

/// What a snapshot holds, as recorded in the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Applied migration versions.
    pub schema_versions: Vec<i64>,
    /// Sequence of the last change-log entry (0 when empty).
    pub chain_head_seq: i64,
    /// Its hash (empty when the log is empty).
    pub chain_head: String,
    /// Table → rows.
    pub row_counts: BTreeMap<String, i64>,
}

/// What a successful check covered.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Change-log entries verified.
    pub entries: i64,
    /// Tables whose row counts matched.
    pub tables: usize,
    /// Rows in them.
    pub rows: i64,
    /// Files named by dataset revisions, all present and intact.
    pub files: usize,
}

fn storage(e: sqlx::Error) -> BackupError {
    BackupError::Store(e.into())
}

/// Reads the figures over one connection (inside one transaction when the caller opened one).
pub async fn figures(conn: &mut AnyConnection, backend: Backend) -> Result<Figures, BackupError> {
    let tables_sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
    };
    let tables: Vec<String> = sqlx::query(tables_sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(storage)?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()
        .map_err(storage)?;
    let mut row_counts = BTreeMap::new();
    for table in &tables {
        let n: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) FROM \"{}\"",
            table.replace('"', "\"\"")
        ))
        .fetch_one(&mut *conn)
        .await
        .map_err(storage)?
        .try_get(0)
        .map_err(storage)?;
        row_counts.insert(table.clone(), n);
    }
    let schema_versions = if row_counts.contains_key("_sqlx_migrations") {
        sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(storage)?
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()
            .map_err(storage)?
    } else {
        Vec::new()
    };
    let (chain_head_seq, chain_head) = if row_counts.contains_key("change_log") {
        match sqlx::query("SELECT seq, entry_hash FROM change_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(storage)?
        {
            Some(row) => (
                row.try_get::<i64, _>(0).map_err(storage)?,
                row.try_get::<String, _>(1).map_err(storage)?,
            ),
            None => (0, String::new()),
        }
    } else {
        (0, String::new())
    };
    Ok(Figures {
        schema_versions,
        chain_head_seq,
        chain_head,
        row_counts,
    })
}

/// The figures of a SQLite file (opened read-only, without the server's settings).
pub async fn figures_of_sqlite_file(path: &Path) -> Result<Figures, BackupError> {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .map_err(storage)?;
    let figures = figures(&mut conn, Backend::Sqlite).await;
    conn.close().await.ok();
    figures
}

/// Runs `pg_dump --format=custom` into `dump` on a snapshot exported from a repeatable-read transaction that also
/// reads the figures, so that the dump and the figures describe the same state while writers go on.
pub async fn pg_dump_counted(
    db: &Database,
    url: &str,
    dump: &Path,
) -> Result<Figures, BackupError> {
    let mut tx = db.pool().begin().await.map_err(storage)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(storage)?;
    let snapshot: String = sqlx::query("SELECT pg_export_snapshot()")
        .fetch_one(&mut *tx)
        .await
        .map_err(storage)?
        .try_get(0)
        .map_err(storage)?;
    let figures = figures(&mut tx, Backend::Postgres).await?;
    // The exported snapshot lives as long as this transaction: keep it open until pg_dump is done.
    let out = tokio::process::Command::new(super::pg_tool("pg_dump"))
        .args(["--format=custom", "--no-owner", "--no-privileges"])
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(dump)
        .arg(url)
        .output()
        .await?;
    tx.rollback().await.map_err(storage)?;
    if !out.status.success() {
        return Err(BackupError::Tool(format!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(figures)
}

/// Checks a restored copy (before any migration) against its manifest: chain, head, row counts, referenced files.
pub async fn check_restored(
    pool: &AnyPool,
    backend: Backend,
    data_dir: &Path,
    manifest: &Manifest,
) -> Result<Checked, BackupError> {
    let mut conn = pool.acquire().await.map_err(storage)?;
    let figures = figures(&mut conn, backend).await?;
    let mut problems = Vec::new();
    // Backups of format 1 recorded neither counts nor versions.
    if manifest.format >= 2 {
        if figures.schema_versions != manifest.schema_versions {
            problems.push(format!(
                "migration versions {:?}, the manifest says {:?}",
                figures.schema_versions, manifest.schema_versions
            ));
        }
        for (table, expected) in &manifest.row_counts {
            match figures.row_counts.get(table) {
                Some(n) if n == expected => {}
                Some(n) => problems.push(format!("table {table}: {n} rows, expected {expected}")),
                None => problems.push(format!("table {table} is missing")),
            }
        }
        for table in figures.row_counts.keys() {
            if !manifest.row_counts.contains_key(table) {
                problems.push(format!("table {table} is not in the manifest"));
            }
        }
        if figures.chain_head != manifest.chain_head {
            problems.push(format!(
                "change-log head {:?}, the manifest says {:?}",
                figures.chain_head, manifest.chain_head
            ));
        }
    }
    if figures.chain_head_seq != manifest.chain_head_seq {
        problems.push(format!(
            "change log ends at {}, the manifest says {}",
            figures.chain_head_seq, manifest.chain_head_seq
        ));
    }
    let chain = registry::changelog::verify(pool).await?;
    if let Some(seq) = chain.first_bad_seq {
        problems.push(format!("change log entry {seq} does not verify"));
    }
    let files = if figures.row_counts.contains_key("catalog_revisions") {
        let named = files_named(&mut conn).await?;
        for sha in &named {
            let path = data_dir
                .join("files")
                .join("sha256")
                .join(&sha[..2])
                .join(sha);
            match super::sha256_file(&path) {
                Ok(actual) if &actual == sha => {}
                Ok(actual) => problems.push(format!("file {sha} has sha256 {actual}")),
                Err(_) => problems.push(format!("file {sha} (named by a dataset) is missing")),
            }
        }
        named.len()
    } else {
        0
    };
    if !problems.is_empty() {
        return Err(BackupError::Verify(problems.join("; ")));
    }
    Ok(Checked {
        entries: chain.entries,
        tables: figures.row_counts.len(),
        rows: figures.row_counts.values().sum(),
        files,
    })
}

/// Every file sha256 a dataset revision names (`distributions[].fileSha256`).
async fn files_named(conn: &mut AnyConnection) -> Result<BTreeSet<String>, BackupError> {
    let rows = sqlx::query("SELECT content FROM catalog_revisions")
        .fetch_all(&mut *conn)
        .await
        .map_err(storage)?;
    let mut out = BTreeSet::new();
    for row in rows {
        let content: String = row.try_get(0).map_err(storage)?;
        let value: serde_json::Value = serde_json::from_str(&content)
            .map_err(|e| BackupError::Verify(format!("a dataset revision is not JSON: {e}")))?;
        for d in value["distributions"].as_array().into_iter().flatten() {
            if let Some(sha) = d["fileSha256"].as_str() {
                if sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                    out.insert(sha.to_ascii_lowercase());
                } else {
                    return Err(BackupError::Verify(format!(
                        "a dataset revision names the file {sha:?}, not a sha256"
                    )));
                }
            }
        }
    }
    Ok(out)
}

/// Restores `archive` into the empty `data_dir` (and the empty database at `database_url` for a PostgreSQL backup),
/// then checks the copy against its manifest, before any migration.
pub async fn restore_and_check(
    archive: &Path,
    data_dir: &Path,
    database_url: Option<&str>,
) -> Result<(Manifest, Checked), BackupError> {
    restore_and_verify(archive, data_dir, database_url, false).await
}

/// [`restore_and_check`], then the state half of `opendata audit verify` on the copy (every registry row, dataset
/// revision, open-data list and account change against its change-log hash). For a backup this binary has just
/// written, so its schema is the current one; an older backup is audited after its migration instead.
pub async fn restore_and_audit(
    archive: &Path,
    data_dir: &Path,
    database_url: Option<&str>,
) -> Result<(Manifest, Checked), BackupError> {
    restore_and_verify(archive, data_dir, database_url, true).await
}

async fn restore_and_verify(
    archive: &Path,
    data_dir: &Path,
    database_url: Option<&str>,
    audit_state: bool,
) -> Result<(Manifest, Checked), BackupError> {
    let manifest = super::restore(archive, data_dir, database_url).await?;
    let backend = match manifest.backend.as_str() {
        "postgres" => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let pool = super::schedule::open_restored(data_dir, database_url).await?;
    let mut checked = check_restored(&pool, backend, data_dir, &manifest).await;
    if audit_state && checked.is_ok() {
        checked = match crate::audit::verify_state(&pool).await {
            Ok((findings, _)) if findings.is_empty() => checked,
            Ok((findings, _)) => Err(BackupError::Verify(
                findings
                    .iter()
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
            Err(e) => Err(BackupError::Store(e)),
        };
    }
    pool.close().await;
    Ok((manifest, checked?))
}

/// The newest applied migration version of a store.
pub async fn schema_version(db: &Database) -> Result<Option<i64>, BackupError> {
    let row = sqlx::query("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(db.pool())
        .await
        .map_err(storage)?;
    row.try_get::<Option<i64>, _>(0).map_err(storage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_copy_that_differs_from_its_manifest_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open_sqlite(dir.path()).await.unwrap();
        db.migrate(registry::db::REGISTRY_MIGRATIONS).await.unwrap();
        db.migrate(catalog::store::CATALOG_MIGRATIONS)
            .await
            .unwrap();
        let registry = registry::Registry::new(db.clone(), "https://data.example.gov.vn");
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/registry");
        registry::seed::load_dir(&registry, &seeds, Some(&["themes"]))
            .await
            .unwrap();
        let mut conn = db.pool().acquire().await.unwrap();
        let f = figures(&mut conn, Backend::Sqlite).await.unwrap();
        drop(conn);
        assert!(f.chain_head_seq > 0);
        assert!(f.row_counts["registry_items"] > 0);
        let declared: Vec<i64> = [
            registry::db::REGISTRY_MIGRATIONS,
            catalog::store::CATALOG_MIGRATIONS,
        ]
        .iter()
        .flat_map(|m| m.steps.iter().map(|s| s.0))
        .collect();
        assert_eq!(f.schema_versions, declared);
        let manifest = Manifest {
            format: super::super::FORMAT,
            created_at: String::new(),
            backend: "sqlite".into(),
            chain_head_seq: f.chain_head_seq,
            chain_head: f.chain_head.clone(),
            schema_versions: f.schema_versions.clone(),
            row_counts: f.row_counts.clone(),
            members: Default::default(),
        };
        let ok = check_restored(db.pool(), Backend::Sqlite, dir.path(), &manifest)
            .await
            .unwrap();
        assert_eq!(ok.entries, f.chain_head_seq);

        let mut fewer = manifest.clone();
        *fewer.row_counts.get_mut("registry_items").unwrap() -= 1;
        fewer.chain_head_seq += 1;
        let e = check_restored(db.pool(), Backend::Sqlite, dir.path(), &fewer)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("table registry_items"), "{e}");
        assert!(e.contains("change log ends at"), "{e}");

        // A tampered change-log entry, and a dataset revision naming a file the copy lacks.
        sqlx::query("UPDATE change_log SET actor = 'someone else' WHERE seq = 1")
            .execute(db.pool())
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO catalog_datasets (id, publisher, status, current_revision, created_at, updated_at) \
             VALUES ('d', 'G12', 'draft', 1, 'x', 'x')",
        )
        .execute(db.pool())
        .await
        .unwrap();
        let missing = "ab".repeat(32);
        sqlx::query(
            "INSERT INTO catalog_revisions (dataset_id, number, content, sha256, author, message, created_at) \
             VALUES ('d', 1, $1, 'x', 'x', 'x', 'x')",
        )
        .bind(format!(r#"{{"distributions":[{{"id":"csv","fileSha256":"{missing}"}}]}}"#))
        .execute(db.pool())
        .await
        .unwrap();
        let e = check_restored(db.pool(), Backend::Sqlite, dir.path(), &manifest)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("change log entry 1 does not verify"), "{e}");
        assert!(
            e.contains(&format!("file {missing} (named by a dataset) is missing")),
            "{e}"
        );
        db.close().await;
    }
}
