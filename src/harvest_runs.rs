//! Harvest run history: every run of `opendata harvest --record-to` posts its report here, so an operator reads what
//! each run did (every write and every failure, none dropped) through the admin API instead of log files on the
//! machine that ran it.
use serde::Serialize;
use sqlx::Row;

use harvester::Report;
use registry::changelog::now;
use registry::db::Migrations;
use registry::{Database, InputProblem, RegistryError};

/// The migrations of this module.
pub const HARVEST_RUN_MIGRATIONS: Migrations = Migrations {
    steps: &[(
        9002,
        "harvest_runs",
        include_str!("../migrations/sqlite/9002_harvest_runs.sql"),
        include_str!("../migrations/postgres/9002_harvest_runs.sql"),
    )],
};

/// One recorded run, as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    /// Sequential id.
    pub id: i64,
    /// The source URL.
    pub source: String,
    /// `changes`, `ckan` or `dcat`.
    pub source_kind: String,
    /// The target URL.
    pub target: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub finished_at: String,
    /// Records that got a package.
    pub created: i64,
    /// Packages replaced.
    pub updated: i64,
    /// Packages deleted.
    pub deleted: i64,
    /// Records unchanged.
    pub skipped: i64,
    /// Records that failed.
    pub failed: i64,
    /// The account that recorded it.
    pub recorded_by: String,
    /// When it was recorded.
    pub recorded_at: String,
}

/// One recorded run with its whole report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// The listing fields.
    #[serde(flatten)]
    pub summary: RunSummary,
    /// The report exactly as the harvester wrote it.
    pub report: serde_json::Value,
}

/// The run history.
#[derive(Clone, Debug)]
pub struct HarvestRuns {
    db: Database,
}

/// The most runs one listing returns.
pub const MAX_PAGE: i64 = 500;

impl HarvestRuns {
    /// The history in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Records a run; answers its id. A report that does not hold together (counts that disagree with its lists of
    /// writes and failures, times that are not RFC 3339) is refused, naming the field.
    pub async fn record(&self, report: &Report, by: &str) -> Result<i64, RegistryError> {
        check(report)?;
        let json = serde_json::to_string(report).expect("reports serialize");
        let mut w = self.db.write().await?;
        let id = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM harvest_runs")
            .fetch_one(&mut *w.tx)
            .await?
            .try_get::<i64, _>(0)?;
        sqlx::query(
            "INSERT INTO harvest_runs (id, source, source_kind, target, started_at, finished_at, created, updated, \
             deleted, skipped, failed, recorded_by, recorded_at, report) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(id)
        .bind(&report.source)
        .bind(&report.source_kind)
        .bind(&report.target)
        .bind(&report.started_at)
        .bind(&report.finished_at)
        .bind(report.created as i64)
        .bind(report.updated as i64)
        .bind(report.deleted as i64)
        .bind(report.skipped as i64)
        .bind(report.failed as i64)
        .bind(by)
        .bind(now())
        .bind(json)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// The newest runs first, `limit` at most, before id `before` when given.
    pub async fn list(
        &self,
        limit: i64,
        before: Option<i64>,
    ) -> Result<Vec<RunSummary>, RegistryError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUMMARY} FROM harvest_runs WHERE id < $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit.clamp(1, MAX_PAGE))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(summary).collect()
    }

    /// One run with its report.
    pub async fn get(&self, id: i64) -> Result<Option<Run>, RegistryError> {
        let row = sqlx::query(&format!(
            "SELECT {SUMMARY}, report FROM harvest_runs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let report: String = row.try_get(13)?;
        Ok(Some(Run {
            summary: summary(&row)?,
            report: serde_json::from_str(&report)
                .map_err(|e| RegistryError::Storage(format!("harvest run {id}: {e}")))?,
        }))
    }
}

const SUMMARY: &str = "id, source, source_kind, target, started_at, finished_at, created, updated, deleted, skipped, \
                       failed, recorded_by, recorded_at";

fn summary(row: &sqlx::any::AnyRow) -> Result<RunSummary, RegistryError> {
    Ok(RunSummary {
        id: row.try_get(0)?,
        source: row.try_get(1)?,
        source_kind: row.try_get(2)?,
        target: row.try_get(3)?,
        started_at: row.try_get(4)?,
        finished_at: row.try_get(5)?,
        created: row.try_get(6)?,
        updated: row.try_get(7)?,
        deleted: row.try_get(8)?,
        skipped: row.try_get(9)?,
        failed: row.try_get(10)?,
        recorded_by: row.try_get(11)?,
        recorded_at: row.try_get(12)?,
    })
}

/// The checks a posted report must pass.
fn check(report: &Report) -> Result<(), RegistryError> {
    let mut problems = Vec::new();
    for (field, value) in [("source", &report.source), ("target", &report.target)] {
        if value.trim().is_empty() || value.len() > 2000 {
            problems.push(InputProblem::field(
                field,
                "a URL of 1 to 2000 characters is required",
            ));
        }
    }
    for (field, value) in [
        ("startedAt", &report.started_at),
        ("finishedAt", &report.finished_at),
    ] {
        if chrono::DateTime::parse_from_rfc3339(value).is_err() {
            problems.push(InputProblem::field(
                field,
                format!("{value:?} is not an RFC 3339 time"),
            ));
        }
    }
    if report.failed != report.failures.len() as u64 {
        problems.push(InputProblem::field(
            "failed",
            format!(
                "{} failures counted but {} listed in failures",
                report.failed,
                report.failures.len()
            ),
        ));
    }
    if report.package_writes != report.changes.len() as u64 {
        problems.push(InputProblem::field(
            "packageWrites",
            format!(
                "{} package writes counted but {} listed in changes",
                report.package_writes,
                report.changes.len()
            ),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RegistryError::Invalid(problems))
    }
}
