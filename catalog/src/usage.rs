//! Usage per dataset and day (UTC): page views, downloads and API calls, counted without any personal data (no
//! address, token or user agent is kept, only the three counters).
//!
//! Counting is on the request path, so it is in memory: [`Usage::record`] adds to a map, and a background task calls
//! [`Usage::flush`] every few seconds, which adds the pending counts to `catalog_usage` in one transaction (an upsert
//! that adds, so several nodes sharing one database each flush their own counts). Reads add this node's pending counts
//! to what is stored, so a node sees its own traffic at once. A crash loses at most one flush interval of counts.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, Utc};
use registry::Database;
use serde::Serialize;
use sqlx::Row;

use crate::error::CatalogError;

/// What was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageKind {
    /// The dataset's web page was shown.
    View,
    /// A file of the dataset was downloaded.
    Download,
    /// The dataset, its rows or its metadata were read through an API.
    ApiCall,
}

/// The counters of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DayCounts {
    /// Page views.
    pub views: u64,
    /// Downloads.
    pub downloads: u64,
    /// API calls.
    pub api_calls: u64,
}

impl DayCounts {
    fn add(&mut self, other: DayCounts) {
        self.views += other.views;
        self.downloads += other.downloads;
        self.api_calls += other.api_calls;
    }

    fn bump(&mut self, kind: UsageKind) {
        match kind {
            UsageKind::View => self.views += 1,
            UsageKind::Download => self.downloads += 1,
            UsageKind::ApiCall => self.api_calls += 1,
        }
    }
}

/// One day of a usage report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UsageDay {
    /// The day (UTC), `YYYY-MM-DD`.
    pub day: NaiveDate,
    /// Its counts.
    #[serde(flatten)]
    pub counts: DayCounts,
}

/// A dataset's usage over a span of days.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    /// The dataset.
    pub dataset: String,
    /// First day (inclusive).
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// Every day of the span, oldest first, zeros included.
    pub days: Vec<UsageDay>,
    /// The sums over the span.
    pub totals: DayCounts,
}

/// The longest span one report covers.
pub const MAX_DAYS: i64 = 366;

/// The usage counters: pending counts in memory plus the stored ones.
#[derive(Clone, Debug)]
pub struct Usage {
    db: Database,
    pending: Arc<Mutex<HashMap<(String, NaiveDate), DayCounts>>>,
}

impl Usage {
    /// Counters stored in `db` (table `catalog_usage`, created by the catalog's migrations).
    pub fn new(db: Database) -> Self {
        Self {
            db,
            pending: Arc::default(),
        }
    }

    /// Counts one use of `dataset` today.
    pub fn record(&self, dataset: &str, kind: UsageKind) {
        let today = Utc::now().date_naive();
        let mut pending = self.pending.lock().expect("usage map");
        pending
            .entry((dataset.to_owned(), today))
            .or_default()
            .bump(kind);
    }

    /// Adds the pending counts to the store in one transaction; on failure they stay pending for the next flush.
    /// Answers how many (dataset, day) rows were written.
    pub async fn flush(&self) -> Result<usize, CatalogError> {
        let batch = std::mem::take(&mut *self.pending.lock().expect("usage map"));
        if batch.is_empty() {
            return Ok(0);
        }
        match self.write(&batch).await {
            Ok(()) => Ok(batch.len()),
            Err(e) => {
                // Put them back, merged with whatever arrived meanwhile.
                let mut pending = self.pending.lock().expect("usage map");
                for (key, counts) in batch {
                    pending.entry(key).or_default().add(counts);
                }
                Err(e)
            }
        }
    }

    async fn write(
        &self,
        batch: &HashMap<(String, NaiveDate), DayCounts>,
    ) -> Result<(), CatalogError> {
        let mut tx = self.db.write().await?;
        for ((dataset, day), c) in batch {
            sqlx::query(
                "INSERT INTO catalog_usage (dataset_id, day, views, downloads, api_calls) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (dataset_id, day) DO UPDATE SET views = catalog_usage.views + excluded.views,
                 downloads = catalog_usage.downloads + excluded.downloads,
                 api_calls = catalog_usage.api_calls + excluded.api_calls",
            )
            .bind(dataset.as_str())
            .bind(day.to_string())
            .bind(c.views as i64)
            .bind(c.downloads as i64)
            .bind(c.api_calls as i64)
            .execute(&mut *tx.tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// `dataset`'s usage from `from` to `to` (inclusive, at most [`MAX_DAYS`]), stored plus pending.
    pub async fn report(
        &self,
        dataset: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<UsageReport, CatalogError> {
        let span = (to - from).num_days() + 1;
        if !(1..=MAX_DAYS).contains(&span) {
            return Err(CatalogError::Invalid(vec![registry::InputProblem::field(
                "from",
                format!("from must be on or before to, and the span at most {MAX_DAYS} days"),
            )]));
        }
        let rows = sqlx::query(
            "SELECT day, views, downloads, api_calls FROM catalog_usage
             WHERE dataset_id = $1 AND day >= $2 AND day <= $3",
        )
        .bind(dataset)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(self.db.pool())
        .await?;
        let mut by_day: HashMap<NaiveDate, DayCounts> = HashMap::new();
        for row in rows {
            let day: String = row.try_get("day")?;
            let Ok(day) = day.parse::<NaiveDate>() else {
                continue;
            };
            let count = |name: &str| row.try_get::<i64, _>(name).map(|n| n.max(0) as u64);
            by_day.entry(day).or_default().add(DayCounts {
                views: count("views")?,
                downloads: count("downloads")?,
                api_calls: count("api_calls")?,
            });
        }
        {
            let pending = self.pending.lock().expect("usage map");
            for ((d, day), counts) in pending.iter() {
                if d == dataset && *day >= from && *day <= to {
                    by_day.entry(*day).or_default().add(*counts);
                }
            }
        }
        let mut totals = DayCounts::default();
        let days = from
            .iter_days()
            .take(span as usize)
            .map(|day| {
                let counts = by_day.get(&day).copied().unwrap_or_default();
                totals.add(counts);
                UsageDay { day, counts }
            })
            .collect();
        Ok(UsageReport {
            dataset: dataset.to_owned(),
            from,
            to,
            days,
            totals,
        })
    }

    /// Every dataset's counts (stored plus pending) summed per month (`YYYY-MM`), from the month of `from` on, oldest
    /// first (the public statistics page).
    pub async fn monthly(&self, from: NaiveDate) -> Result<Vec<(String, DayCounts)>, CatalogError> {
        let rows = sqlx::query(
            "SELECT SUBSTR(day, 1, 7) AS month, CAST(SUM(views) AS BIGINT), CAST(SUM(downloads) AS BIGINT), \
             CAST(SUM(api_calls) AS BIGINT) FROM catalog_usage WHERE day >= $1 GROUP BY SUBSTR(day, 1, 7) \
             ORDER BY month",
        )
        .bind(from.format("%Y-%m-01").to_string())
        .fetch_all(self.db.pool())
        .await?;
        let mut months: std::collections::BTreeMap<String, DayCounts> = Default::default();
        for r in &rows {
            let count = |i: usize| r.try_get::<i64, _>(i).map(|n| n.max(0) as u64);
            months
                .entry(r.try_get::<String, _>(0)?)
                .or_default()
                .add(DayCounts {
                    views: count(1)?,
                    downloads: count(2)?,
                    api_calls: count(3)?,
                });
        }
        let first = from.format("%Y-%m").to_string();
        for ((_, day), counts) in self.pending.lock().expect("usage map").iter() {
            let month = day.format("%Y-%m").to_string();
            if month >= first {
                months.entry(month).or_default().add(*counts);
            }
        }
        Ok(months.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_by_kind() {
        let mut c = DayCounts::default();
        c.bump(UsageKind::View);
        c.bump(UsageKind::View);
        c.bump(UsageKind::Download);
        c.bump(UsageKind::ApiCall);
        assert_eq!(
            c,
            DayCounts {
                views: 2,
                downloads: 1,
                api_calls: 1
            }
        );
    }
}
