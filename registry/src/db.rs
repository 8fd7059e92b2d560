//! The SQL store shared by every domain crate: one connection pool over SQLite (the embedded default) or PostgreSQL,
//! embedded migrations per backend, and serialized write transactions.
//!
//! Writes go through [`Database::write`], which takes a process-wide write gate and, on PostgreSQL, a transaction-scoped
//! advisory lock. Serializing writers keeps the change-log sequence in commit order on every node, so a projector that
//! has applied sequence `n` never later sees a smaller sequence appear (the property the change feed relies on).
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::RegistryError;

/// The SQL backend behind a [`Database`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (the embedded default).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A set of migrations embedded in a crate, one SQL text per backend and version.
///
/// Each crate owns a disjoint version range (registry 1xxx, accounts 9xxx, ...) and they share sqlx's migration table.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// `(version, description, sqlite sql, postgres sql)`.
    pub steps: &'static [(i64, &'static str, &'static str, &'static str)],
}

#[derive(Debug)]
struct Resolved(Vec<Migration>);

impl<'s> MigrationSource<'s> for Resolved {
    fn resolve(
        self,
    ) -> futures_like::BoxFuture<'s, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async move { Ok(self.0) })
    }
}

mod futures_like {
    pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}

/// The migrations of this crate.
pub const REGISTRY_MIGRATIONS: Migrations = Migrations {
    steps: &[
        (
            1001,
            "registry",
            include_str!("../migrations/sqlite/1001_registry.sql"),
            include_str!("../migrations/postgres/1001_registry.sql"),
        ),
        (
            1002,
            "notation codes",
            include_str!("../migrations/sqlite/1002_notation_codes.sql"),
            include_str!("../migrations/postgres/1002_notation_codes.sql"),
        ),
    ],
};

/// A connection pool plus what is needed to write safely.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    write_gate: Arc<Mutex<()>>,
    committed: Arc<tokio::sync::Notify>,
    registry_generation: Arc<AtomicU64>,
}

/// A write transaction holding the write gate until it commits or is dropped (rolled back).
pub struct WriteTx {
    /// The SQL transaction.
    pub tx: Transaction<'static, Any>,
    _gate: OwnedMutexGuard<()>,
    committed: Arc<tokio::sync::Notify>,
    /// Bumped at commit when the transaction changed code lists (see [`Database::write_registry`]).
    registry_generation: Option<Arc<AtomicU64>>,
}

impl WriteTx {
    /// Commits the transaction and releases the write gate.
    pub async fn commit(self) -> Result<(), RegistryError> {
        self.tx.commit().await?;
        // After the commit, never before: a reader that captured the old generation and read the old rows cannot
        // keep them under the new one.
        if let Some(generation) = &self.registry_generation {
            generation.fetch_add(1, Ordering::SeqCst);
        }
        // Wake the projector of this process; other nodes poll the change log.
        self.committed.notify_one();
        Ok(())
    }
}

impl Database {
    /// Opens the SQLite file `opendata.db` under `data_dir`, creating the directory and the file.
    pub async fn open_sqlite(data_dir: &Path) -> Result<Self, RegistryError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            RegistryError::Storage(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let path = data_dir.join("opendata.db");
        Self::connect(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Connects to `sqlite://...` or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Self, RegistryError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(RegistryError::Storage(format!(
                "unsupported database URL scheme in {url:?}: use sqlite:// or postgres://"
            )));
        };
        let options: AnyConnectOptions = url.parse()?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                             PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            backend,
            write_gate: Arc::new(Mutex::new(())),
            committed: Arc::new(tokio::sync::Notify::new()),
            registry_generation: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Applies a crate's migrations for this backend (idempotent).
    pub async fn migrate(&self, migrations: Migrations) -> Result<(), RegistryError> {
        let resolved = migrations
            .steps
            .iter()
            .map(|(version, description, sqlite, postgres)| {
                let sql = match self.backend {
                    Backend::Sqlite => sqlite,
                    Backend::Postgres => postgres,
                };
                Migration::new(
                    *version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        let mut migrator = Migrator::new(Resolved(resolved))
            .await
            .map_err(|e| RegistryError::Storage(format!("migrations: {e}")))?;
        migrator.set_ignore_missing(true);
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| RegistryError::Storage(format!("migrations: {e}")))?;
        Ok(())
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a serialized write transaction.
    pub async fn write(&self) -> Result<WriteTx, RegistryError> {
        self.begin_write(None).await
    }

    /// Starts a serialized write transaction that changes code lists: its commit moves
    /// [`Database::registry_generation`], so caches of rendered items and labels drop what they kept.
    pub async fn write_registry(&self) -> Result<WriteTx, RegistryError> {
        self.begin_write(Some(self.registry_generation.clone()))
            .await
    }

    /// A number that moves whenever the code lists may have changed: at each commit of [`Database::write_registry`]
    /// on this node, and when [`Database::note_registry_change`] reports a change the change log shows from another
    /// node. A value computed from the registry while the generation stayed put still holds.
    pub fn registry_generation(&self) -> u64 {
        self.registry_generation.load(Ordering::SeqCst)
    }

    /// Reports code-list changes seen in the change log (written by another node, or by a tool on this database).
    pub fn note_registry_change(&self) {
        self.registry_generation.fetch_add(1, Ordering::SeqCst);
    }

    async fn begin_write(
        &self,
        registry_generation: Option<Arc<AtomicU64>>,
    ) -> Result<WriteTx, RegistryError> {
        let gate = self.write_gate.clone().lock_owned().await;
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            // One writer at a time across every node sharing this database.
            sqlx::query("SELECT pg_advisory_xact_lock(7310001)")
                .execute(&mut *tx)
                .await?;
        }
        Ok(WriteTx {
            tx,
            _gate: gate,
            committed: self.committed.clone(),
            registry_generation,
        })
    }

    /// Notified after every commit made through this handle (one stored permit, so none is lost while the listener
    /// is busy).
    pub fn committed(&self) -> Arc<tokio::sync::Notify> {
        self.committed.clone()
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), RegistryError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
