//! Harvest sources (issue 20): other catalogues an admin configures on `/manage/sources` (URL, kind, agency map,
//! schedule), which the server harvests into its own catalog on their schedule ([`keep_harvesting`]) as
//! `harvest-scheduler` (role harvester), recording every run in the run history ([`crate::harvest_runs`]).
//!
//! Several nodes on one database may run the scheduler: a node claims a due source by moving its next run time
//! forward with a conditional update, so each due run happens once.
use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use sqlx::Row;

use registry::changelog::now;
use registry::db::Migrations;
use registry::{Database, InputProblem, RegistryError};

/// The migrations of this module.
pub const HARVEST_SOURCE_MIGRATIONS: Migrations = Migrations {
    steps: &[(
        2004,
        "harvest_sources",
        include_str!("../migrations/sqlite/2004_harvest_sources.sql"),
        include_str!("../migrations/postgres/2004_harvest_sources.sql"),
    )],
};

/// The account the scheduled runs write as.
pub const SCHEDULER_ACCOUNT: &str = "harvest-scheduler";

/// One configured source.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HarvestSource {
    /// Sequential id.
    pub id: i64,
    /// The catalogue's URL.
    pub url: String,
    /// `ckan`, `dcat` or `changes`.
    pub kind: String,
    /// Source publishers (IRI, name or organization) → agency codes of this registry.
    pub agency_map: HashMap<String, String>,
    /// Seconds between runs.
    pub every_seconds: i64,
    /// RFC 3339.
    pub next_run_at: String,
    /// The last run's id in the run history.
    pub last_run_id: Option<i64>,
    /// Why the last run could not start, if it could not.
    pub last_error: Option<String>,
}

/// A source as an admin gives it, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct NewSource {
    /// The catalogue's URL.
    pub url: String,
    /// `ckan`, `dcat` or `changes`.
    pub kind: String,
    /// A JSON object, publisher → agency code (may be empty text for none).
    pub agency_map: String,
    /// A duration: `30s`, `15m`, `6h`, `1d`.
    pub every: String,
}

/// The configured sources.
#[derive(Clone, Debug)]
pub struct HarvestSources {
    db: Database,
}

const COLUMNS: &str =
    "id, url, kind, agency_map, every_seconds, next_run_at, last_run_id, last_error";

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn source_of(row: &sqlx::any::AnyRow) -> Result<HarvestSource, RegistryError> {
    let map: String = row.try_get(3)?;
    Ok(HarvestSource {
        id: row.try_get(0)?,
        url: row.try_get(1)?,
        kind: row.try_get(2)?,
        agency_map: serde_json::from_str(&map).unwrap_or_default(),
        every_seconds: row.try_get(4)?,
        next_run_at: row.try_get(5)?,
        last_run_id: row.try_get(6)?,
        last_error: row.try_get(7)?,
    })
}

impl HarvestSources {
    /// The sources in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Adds a source, first run now. Refused, naming the field, when the URL is not http(s), the kind unknown, the
    /// agency map not a JSON object of strings or naming an agency `registry` does not hold, or the schedule not a
    /// duration of 10 seconds to 30 days.
    pub async fn add(
        &self,
        registry: &registry::Registry,
        new: NewSource,
        by: &str,
    ) -> Result<i64, RegistryError> {
        let mut problems = Vec::new();
        let url = new.url.trim();
        match url.parse::<axum::http::Uri>() {
            Ok(u)
                if matches!(u.scheme_str(), Some("http" | "https"))
                    && u.host().is_some()
                    && url.len() <= 2000 => {}
            _ => problems.push(InputProblem::field("url", "an http(s) URL is required")),
        }
        if new.kind.parse::<harvester::source::SourceKind>().is_err() {
            problems.push(InputProblem::field("kind", "one of ckan, dcat, changes"));
        }
        let map: HashMap<String, String> = if new.agency_map.trim().is_empty() {
            HashMap::new()
        } else {
            match serde_json::from_str(&new.agency_map) {
                Ok(m) => m,
                Err(e) => {
                    problems.push(InputProblem::field(
                        "agencyMap",
                        format!("a JSON object of publisher → agency code: {e}"),
                    ));
                    HashMap::new()
                }
            }
        };
        for code in map.values() {
            if registry.resolve_code("agencies", code).await?.is_none() {
                problems.push(InputProblem::field(
                    "agencyMap",
                    format!("{code:?} is not an agency of the registry"),
                ));
            }
        }
        let every = harvester::parse_duration(new.every.trim())
            .ok()
            .filter(|d| (10..=30 * 86_400).contains(&d.as_secs()));
        if every.is_none() {
            problems.push(InputProblem::field(
                "every",
                "a duration of 10s to 30d (30s, 15m, 6h, 1d)",
            ));
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let mut w = self.db.write().await?;
        let taken = sqlx::query("SELECT 1 FROM harvest_sources WHERE url = $1")
            .bind(url)
            .fetch_optional(&mut *w.tx)
            .await?;
        if taken.is_some() {
            return Err(RegistryError::invalid(InputProblem::field(
                "url",
                "this source is configured already",
            )));
        }
        let id = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM harvest_sources")
            .fetch_one(&mut *w.tx)
            .await?
            .try_get::<i64, _>(0)?;
        sqlx::query(
            "INSERT INTO harvest_sources (id, url, kind, agency_map, every_seconds, next_run_at, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(url)
        .bind(&new.kind)
        .bind(serde_json::to_string(&map).expect("a map serializes"))
        .bind(every.map_or(0, |d| d.as_secs() as i64))
        .bind(time(chrono::Utc::now()))
        .bind(by)
        .bind(now())
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Every source, oldest first.
    pub async fn list(&self) -> Result<Vec<HarvestSource>, RegistryError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM harvest_sources ORDER BY id"
        ))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(source_of).collect()
    }

    /// Claims the sources due now for this node: each one's next run moves one period on, so no other node runs it.
    pub async fn claim_due(&self) -> Result<Vec<HarvestSource>, RegistryError> {
        let at = chrono::Utc::now();
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM harvest_sources WHERE next_run_at <= $1 ORDER BY id"
        ))
        .bind(time(at))
        .fetch_all(self.db.pool())
        .await?;
        let mut claimed = Vec::new();
        for source in rows.iter().map(source_of) {
            let source = source?;
            let next = time(at + chrono::Duration::seconds(source.every_seconds));
            let mut w = self.db.write().await?;
            let moved = sqlx::query(
                "UPDATE harvest_sources SET next_run_at = $1 WHERE id = $2 AND next_run_at = $3",
            )
            .bind(&next)
            .bind(source.id)
            .bind(&source.next_run_at)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
            w.commit().await?;
            if moved == 1 {
                claimed.push(source);
            }
        }
        Ok(claimed)
    }

    /// Notes how a run of source `id` ended: the run recorded, or why it could not start.
    pub async fn ran(&self, id: i64, outcome: Result<i64, String>) -> Result<(), RegistryError> {
        let (run, error) = match outcome {
            Ok(run) => (Some(run), None),
            Err(e) => (None, Some(e)),
        };
        let mut w = self.db.write().await?;
        sqlx::query(
            "UPDATE harvest_sources SET last_run_id = COALESCE($1, last_run_id), last_error = $2 WHERE id = $3",
        )
        .bind(run)
        .bind(error)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(())
    }
}

/// What the scheduler needs: where the server answers, how often to look, where harvest state lives.
#[derive(Debug, Clone)]
pub struct Scheduler {
    /// This server's own address, as the harvester's target.
    pub target: String,
    /// This server's base URI: what the harvest state knows it as (its address changes with each start).
    pub base_uri: String,
    /// How often due sources are looked for.
    pub tick: Duration,
    /// The harvester's state stores.
    pub state_dir: std::path::PathBuf,
    /// Sources on private addresses are harvested too (tests, closed networks).
    pub allow_private_sources: bool,
}

/// Runs due sources until the task is aborted: each as `harvest-scheduler` (role harvester, a token held in this
/// process's memory only, so nothing is written at start and every node has its own), each run recorded in the
/// history.
pub async fn keep_harvesting(state: crate::http::AppState, scheduler: Scheduler) {
    let token = state
        .accounts
        .service_token(SCHEDULER_ACCOUNT, crate::accounts::Role::Harvester);
    let mut tick = tokio::time::interval(scheduler.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let due = match state.harvest_sources.claim_due().await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "looking for due harvest sources failed");
                continue;
            }
        };
        for source in due {
            let outcome = run_one(&state, &scheduler, &token, &source).await;
            if let Err(e) = &outcome {
                tracing::warn!(source = %source.url, error = %e, "a scheduled harvest could not run");
            }
            if let Err(e) = state.harvest_sources.ran(source.id, outcome).await {
                tracing::warn!(error = %e, "noting a scheduled harvest failed");
            }
        }
    }
}

async fn run_one(
    state: &crate::http::AppState,
    scheduler: &Scheduler,
    token: &str,
    source: &HarvestSource,
) -> Result<i64, String> {
    let mut options = harvester::Options::new(
        source.url.clone(),
        scheduler.target.clone(),
        token,
        scheduler.state_dir.clone(),
    );
    options.source_kind = Some(source.kind.parse().map_err(|e: String| e)?);
    options.target_kind = harvester::TargetKind::Opendata;
    options.agency_map = source.agency_map.clone();
    options.allow_private_sources = scheduler.allow_private_sources;
    options.target_name = Some(scheduler.base_uri.clone());
    let report = harvester::harvest(&options)
        .await
        .map_err(|e| e.to_string())?;
    state
        .harvest_runs
        .record(&report, SCHEDULER_ACCOUNT)
        .await
        .map_err(|e| e.to_string())
}
