//! Quality figures read from the store: one dataset's score (any revision its viewer may see), the catalog's and
//! every agency's totals over the published datasets, and their daily history (`catalog_quality_daily`).
//!
//! Scores are computed on read from the revision's content (see [`super::score`]); the registry items they need
//! (file types, licences, access rights: a few dozen) and the link states are loaded once per call, so scoring the
//! whole catalog costs one pass over the published revisions.
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use registry::model::ItemData;
use serde::Serialize;
use sqlx::Row;

use super::{
    Dimension, INDICATORS, LinkState, QualityContext, QualityReport, Rating, max_points, score,
};
use crate::curator::Curator;
use crate::error::CatalogError;
use crate::model::DatasetContent;
use crate::store::{Catalog, DatasetQuery};

/// The registry items and link states scoring needs, loaded once for many datasets.
#[derive(Debug, Default)]
pub struct QualityInputs {
    items: HashMap<(String, String), Option<ItemData>>,
    links: HashMap<String, LinkState>,
}

impl QualityInputs {
    /// Loads the link states and the registry items `contents` name (more are loaded by [`QualityInputs::add`]).
    pub async fn load(
        catalog: &Catalog,
        contents: &[&DatasetContent],
    ) -> Result<Self, CatalogError> {
        let mut inputs = Self {
            items: HashMap::new(),
            links: catalog.link_states().await?,
        };
        for c in contents {
            inputs.add(catalog, c).await?;
        }
        Ok(inputs)
    }

    /// Loads what scoring the one dataset `content` needs: its registry items and the latest checks of its own links
    /// only (a dataset page or API answer reads a handful of rows, however many links the catalog holds).
    pub async fn for_dataset(
        catalog: &Catalog,
        content: &DatasetContent,
    ) -> Result<Self, CatalogError> {
        let urls: Vec<&str> = super::links::external_urls(content)
            .into_iter()
            .map(|(url, _)| url)
            .collect();
        let mut inputs = Self {
            items: HashMap::new(),
            links: catalog.link_states_of(&urls).await?,
        };
        inputs.add(catalog, content).await?;
        Ok(inputs)
    }

    /// Loads the latest checks of `content`'s own links that are not loaded yet (a link never checked stays
    /// unchecked).
    pub async fn add_links(
        &mut self,
        catalog: &Catalog,
        content: &DatasetContent,
    ) -> Result<(), CatalogError> {
        let urls: Vec<&str> = super::links::external_urls(content)
            .into_iter()
            .map(|(url, _)| url)
            .filter(|url| !self.links.contains_key(*url))
            .collect();
        if !urls.is_empty() {
            let found = catalog.link_states_of(&urls).await?;
            for url in urls {
                let state = found.get(url).copied().unwrap_or(LinkState::Unchecked);
                self.links.insert(url.to_owned(), state);
            }
        }
        Ok(())
    }

    /// Loads the registry items `content` names that are not loaded yet.
    pub async fn add(
        &mut self,
        catalog: &Catalog,
        content: &DatasetContent,
    ) -> Result<(), CatalogError> {
        let mut wanted: Vec<(&str, &String)> = Vec::new();
        wanted.extend(content.licence.iter().map(|l| ("licences", l)));
        wanted.extend(content.access_right.iter().map(|a| ("access-rights", a)));
        for d in &content.distributions {
            wanted.extend(d.format.iter().map(|f| ("file-types", f)));
            wanted.extend(d.licence.iter().map(|l| ("licences", l)));
        }
        for (list, code) in wanted {
            let key = (list.to_owned(), code.clone());
            if self.items.contains_key(&key) {
                continue;
            }
            let item = match catalog.registry().item(list, code, None, None).await {
                Ok(view) => Some(view.data),
                Err(
                    registry::RegistryError::ItemNotFound { .. }
                    | registry::RegistryError::ListNotFound(_),
                ) => None,
                Err(e) => return Err(e.into()),
            };
            self.items.insert(key, item);
        }
        Ok(())
    }

    /// Scores `content` with these inputs.
    pub fn score(&self, content: &DatasetContent) -> QualityReport {
        let lookup = |list: &str, code: &str| {
            self.items
                .get(&(list.to_owned(), code.to_owned()))
                .cloned()
                .flatten()
        };
        let links = |url: &str| self.links.get(url).copied().unwrap_or(LinkState::Unchecked);
        score(
            content,
            &QualityContext {
                lookup: &lookup,
                links: &links,
            },
        )
    }
}

/// Totals over a set of datasets.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct QualityTotals {
    /// Datasets counted.
    pub datasets: u64,
    /// Their points, summed.
    pub points: u64,
    /// Their maximum points, summed.
    pub max_points: u64,
    /// The average score as a whole percentage of the maximum (0 without datasets).
    pub percent: u32,
    /// Datasets per rating band (`excellent`, `good`, `sufficient`, `bad`).
    pub ratings: BTreeMap<String, u64>,
}

impl QualityTotals {
    fn add(&mut self, report: &QualityReport) {
        self.datasets += 1;
        self.points += u64::from(report.points);
        self.max_points += u64::from(report.max_points);
        *self
            .ratings
            .entry(report.rating.as_str().to_owned())
            .or_default() += 1;
        self.percent = (self.points * 100 / self.max_points.max(1)) as u32;
    }
}

/// One agency's totals.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgencyQuality {
    /// The agency's code.
    pub agency: String,
    /// Its totals.
    #[serde(flatten)]
    pub totals: QualityTotals,
}

/// How many published datasets meet one indicator fully.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IndicatorTotals {
    /// The indicator's id.
    pub id: &'static str,
    /// Its dimension.
    pub dimension: Dimension,
    /// Its name.
    pub label: super::Bilingual,
    /// Datasets meeting it fully.
    pub met: u64,
    /// Datasets counted.
    pub datasets: u64,
}

/// The totals of one day in the history.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DayQuality {
    /// The day (UTC).
    pub day: NaiveDate,
    /// Datasets counted.
    pub datasets: u64,
    /// Their points, summed.
    pub points: u64,
    /// Their maximum points, summed.
    pub max_points: u64,
    /// The average score as a whole percentage.
    pub percent: u32,
}

/// The catalog's quality: its totals, each agency's, each indicator's, over the published datasets.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct QualitySummary {
    /// The most one dataset can score.
    pub max_points_per_dataset: u32,
    /// The whole catalog.
    pub catalog: QualityTotals,
    /// Per agency, by code.
    pub agencies: Vec<AgencyQuality>,
    /// Per indicator, in the order they are shown.
    pub indicators: Vec<IndicatorTotals>,
    /// The scores of published datasets by id (kept for the caller; not serialized).
    #[serde(skip)]
    pub scores: Vec<(String, String, u32)>,
}

/// The history table's key for the whole catalog.
const WHOLE_CATALOG: &str = "*";

impl Catalog {
    /// The score of dataset `id` as `viewer` may see it: the current revision for its staff, the published one for
    /// everyone else, or `revision` (for the public, only up to the published one).
    pub async fn dataset_quality(
        &self,
        viewer: Option<&Curator<'_>>,
        id: &str,
        revision: Option<i64>,
    ) -> Result<(i64, QualityReport), CatalogError> {
        let record = self.show(viewer, id, None).await?;
        let (number, content) = match revision {
            Some(n) => {
                let staff = self.is_staff(viewer, id).await?;
                if !staff && record.published_revision.is_none_or(|p| n > p) {
                    return Err(CatalogError::RevisionNotFound {
                        id: id.to_owned(),
                        revision: n,
                    });
                }
                (n, self.revision(id, n).await?)
            }
            None => (record.revision, record.content),
        };
        let inputs = QualityInputs::for_dataset(self, &content).await?;
        Ok((number, inputs.score(&content)))
    }

    /// Scores every published dataset: the catalog's, each agency's and each indicator's totals.
    pub async fn quality_summary(&self) -> Result<QualitySummary, CatalogError> {
        self.quality_summary_of(None).await
    }

    /// Like [`Catalog::quality_summary`], over the published datasets of `publisher` only (all with `None`).
    pub async fn quality_summary_of(
        &self,
        publisher: Option<&str>,
    ) -> Result<QualitySummary, CatalogError> {
        let mut inputs = QualityInputs::load(self, &[]).await?;
        let mut catalog = QualityTotals::default();
        let mut agencies: BTreeMap<String, QualityTotals> = BTreeMap::new();
        let mut met = vec![0u64; INDICATORS.len()];
        let mut scores = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .list(&DatasetQuery {
                    publisher: publisher.map(str::to_owned),
                    public: true,
                    cursor: cursor.take(),
                    limit: 1000,
                    skip_total: true,
                    ..Default::default()
                })
                .await?;
            for record in &page.items {
                inputs.add(self, &record.content).await?;
                let report = inputs.score(&record.content);
                catalog.add(&report);
                agencies
                    .entry(record.content.publisher.clone())
                    .or_default()
                    .add(&report);
                for (n, i) in report.indicators.iter().enumerate() {
                    met[n] += u64::from(i.met);
                }
                scores.push((
                    record.id.clone(),
                    record.content.publisher.clone(),
                    report.points,
                ));
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let datasets = catalog.datasets;
        Ok(QualitySummary {
            max_points_per_dataset: max_points(),
            catalog,
            agencies: agencies
                .into_iter()
                .map(|(agency, totals)| AgencyQuality { agency, totals })
                .collect(),
            indicators: INDICATORS
                .iter()
                .zip(met)
                .map(|(def, met)| IndicatorTotals {
                    id: def.id,
                    dimension: def.dimension,
                    label: def.label,
                    met,
                    datasets,
                })
                .collect(),
            scores,
        })
    }

    /// Records `summary` as the totals of `day` (replacing that day's earlier figures).
    pub async fn record_quality_day(
        &self,
        day: NaiveDate,
        summary: &QualitySummary,
    ) -> Result<(), CatalogError> {
        let mut tx = self.database().write().await?;
        sqlx::query("DELETE FROM catalog_quality_daily WHERE day = $1")
            .bind(day.to_string())
            .execute(&mut *tx.tx)
            .await?;
        let rows = std::iter::once((WHOLE_CATALOG, &summary.catalog)).chain(
            summary
                .agencies
                .iter()
                .map(|a| (a.agency.as_str(), &a.totals)),
        );
        for (agency, totals) in rows {
            sqlx::query(
                "INSERT INTO catalog_quality_daily (day, agency, datasets, points, max_points) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(day.to_string())
            .bind(agency)
            .bind(totals.datasets as i64)
            .bind(totals.points as i64)
            .bind(totals.max_points as i64)
            .execute(&mut *tx.tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The daily totals of `agency` (or, with `None`, of the whole catalog), oldest first, the last `days` days.
    pub async fn quality_history(
        &self,
        agency: Option<&str>,
        days: u32,
    ) -> Result<Vec<DayQuality>, CatalogError> {
        let since = chrono::Utc::now().date_naive() - chrono::Duration::days(i64::from(days));
        let rows = sqlx::query(
            "SELECT day, datasets, points, max_points FROM catalog_quality_daily \
             WHERE agency = $1 AND day > $2 ORDER BY day",
        )
        .bind(agency.unwrap_or(WHOLE_CATALOG))
        .bind(since.to_string())
        .fetch_all(self.database().pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let day: String = row.try_get(0)?;
            let Ok(day) = day.parse() else { continue };
            let points = row.try_get::<i64, _>(2)?.max(0) as u64;
            let max_points = row.try_get::<i64, _>(3)?.max(0) as u64;
            out.push(DayQuality {
                day,
                datasets: row.try_get::<i64, _>(1)?.max(0) as u64,
                points,
                max_points,
                percent: (points * 100 / max_points.max(1)) as u32,
            });
        }
        Ok(out)
    }
}

/// The rating band of an average percentage (for agency and catalog totals).
pub fn rating_of_percent(percent: u32) -> Rating {
    Rating::of(percent, 100)
}

/// The validation report of one distribution's stored CSV file.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FileQuality {
    /// The distribution's id.
    pub distribution: String,
    /// The report of its file.
    pub report: super::csv_report::CsvReport,
}

/// Everything known about one dataset's quality: its score, its CSV files' reports and its links' latest checks.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DatasetQuality {
    /// The dataset's id.
    pub id: String,
    /// The revision scored.
    pub revision: i64,
    /// Its score.
    pub score: QualityReport,
    /// The validation report of every stored CSV file, by distribution.
    pub files: Vec<FileQuality>,
    /// The latest check of every URL its distributions hold elsewhere (unchecked ones are absent).
    pub links: Vec<super::links::LinkCheck>,
}

impl Catalog {
    /// The quality of dataset `id` as `viewer` may see it (see [`Catalog::dataset_quality`]), with the reports of its
    /// CSV files (computed on first request, once per file hash) and its links' latest checks.
    pub async fn dataset_quality_detail(
        &self,
        viewer: Option<&Curator<'_>>,
        id: &str,
        revision: Option<i64>,
    ) -> Result<DatasetQuality, CatalogError> {
        let (number, score) = self.dataset_quality(viewer, id, revision).await?;
        let content = self.revision(id, number).await?;
        let mut files = Vec::new();
        for d in content.distributions.iter().filter(|d| d.is_csv_file()) {
            if let Some(sha) = &d.file_sha256 {
                files.push(FileQuality {
                    distribution: d.id.clone(),
                    report: self.csv_report(sha).await?,
                });
            }
        }
        let mut links = Vec::new();
        for (url, _) in super::links::external_urls(&content) {
            links.extend(self.latest_link_check(url).await?);
        }
        Ok(DatasetQuality {
            id: id.to_owned(),
            revision: number,
            score,
            files,
            links,
        })
    }
}

/// The catalog's summary, kept while nothing it depends on moved: the change log's head (every edit, publication and
/// registry change) and the latest link check. Scoring the whole catalog takes seconds at 100,000 datasets; a page
/// view or an API call then costs two small queries.
#[derive(Debug, Default)]
pub struct SummaryMemo {
    kept: tokio::sync::Mutex<Option<(SummaryTag, std::sync::Arc<QualitySummary>)>>,
}

/// What a summary depends on: the change log's head and the time of the latest link check.
type SummaryTag = (i64, Option<String>);

impl SummaryMemo {
    /// The summary of `catalog` now: the kept one when its inputs have not moved, else computed again (one caller
    /// at a time computes; the others wait for it).
    pub async fn get(
        &self,
        catalog: &Catalog,
    ) -> Result<std::sync::Arc<QualitySummary>, CatalogError> {
        let mut kept = self.kept.lock().await;
        let tag = (
            catalog.registry().version_tag().await?,
            catalog.latest_link_check_time().await?,
        );
        if let Some((at, summary)) = kept.as_ref()
            && *at == tag
        {
            return Ok(summary.clone());
        }
        let summary = std::sync::Arc::new(catalog.quality_summary().await?);
        *kept = Some((tag, summary.clone()));
        Ok(summary)
    }
}
