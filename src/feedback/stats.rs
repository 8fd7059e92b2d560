//! The indicators `/stats` publishes (issue 19): datasets per agency and per theme, the share of agencies with open
//! data and with an issued open-data list this year, open-data plan completion, downloads and API calls per month,
//! feedback received and answered with the median days to answer, overall and per agency. The dataset counts come
//! from the caller (the search index's facets, which count the published catalog without reading it); everything
//! else is read here through the catalog's and registry's own functions.
use std::collections::BTreeMap;

use chrono::Datelike;
use registry::RegistryError;
use serde::Serialize;
use sqlx::Row;

use super::Feedback;
use super::threads::days_between;

/// How many of something have a code.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Count {
    /// The agency or theme code.
    pub code: String,
    /// How many.
    pub count: u64,
}

/// The agencies' figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgencyFigures {
    /// Agencies in the registry's agencies list, valid today.
    pub agencies: u64,
    /// Of those, with at least one published dataset.
    pub with_open_data: u64,
    /// Of those, with an open-data list issued for `year`.
    pub with_yearly_list: u64,
    /// The year of the lists counted (this year).
    pub year: i32,
    /// Open-data plan items not cancelled, over every agency.
    pub plan_items: u64,
    /// Of those, published.
    pub plan_published: u64,
}

/// Downloads and API calls of one month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonthUsage {
    /// `YYYY-MM`.
    pub month: String,
    /// Downloads of distributions.
    pub downloads: u64,
    /// API calls about datasets.
    pub api_calls: u64,
}

/// Feedback answered by one agency (or the code lists' stewards).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnswerTimes {
    /// The agency; absent for feedback on code lists (answered by their stewards).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// Feedback received (moderated or waiting, not rejected).
    pub received: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Median days from posting to the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_days: Option<f64>,
}

/// The feedback figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackFigures {
    /// Received (not rejected).
    pub received: u64,
    /// Answered.
    pub answered: u64,
    /// Median days to answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_days: Option<f64>,
    /// Per agency, most received first.
    pub per_agency: Vec<AnswerTimes>,
    /// Public data requests.
    pub data_requests: u64,
    /// Of those, answered by a published dataset.
    pub data_requests_published: u64,
}

/// Every published indicator.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Indicators {
    /// When computed (RFC 3339).
    pub generated_at: String,
    /// Published datasets.
    pub datasets: u64,
    /// Published datasets per agency, most first.
    pub per_agency: Vec<Count>,
    /// Published datasets per theme, most first.
    pub per_theme: Vec<Count>,
    /// Agencies with open data, with a yearly list, plan completion.
    pub agencies: AgencyFigures,
    /// The last 12 months, oldest first.
    pub usage: Vec<MonthUsage>,
    /// Feedback and data requests.
    pub feedback: FeedbackFigures,
}

/// The median of some numbers (rounded to hundredths).
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let m = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    Some((m * 100.0).round() / 100.0)
}

fn storage(e: catalog::CatalogError) -> RegistryError {
    match e {
        catalog::CatalogError::Registry(r) => r,
        other => RegistryError::Storage(other.to_string()),
    }
}

/// The first day of the month `back` months before `day`'s.
fn months_before(day: chrono::NaiveDate, back: u32) -> chrono::NaiveDate {
    let index = day.year() * 12 + day.month0() as i32 - back as i32;
    chrono::NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(day)
}

impl Feedback {
    /// Feedback received and answered, with the median days to answer, overall and per agency.
    pub async fn feedback_figures(&self) -> Result<FeedbackFigures, RegistryError> {
        let rows = sqlx::query(
            "SELECT agency, created_at, answered_at FROM feedback_threads WHERE status <> 'rejected'",
        )
        .fetch_all(self.db.pool())
        .await?;
        let mut all = Vec::new();
        let mut per: BTreeMap<Option<String>, (u64, Vec<f64>)> = BTreeMap::new();
        for r in &rows {
            let agency: Option<String> = r.try_get(0)?;
            let created: String = r.try_get(1)?;
            let answered: Option<String> = r.try_get(2)?;
            let entry = per.entry(agency).or_default();
            entry.0 += 1;
            if let Some(days) = days_between(&created, answered.as_deref()) {
                entry.1.push(days);
                all.push(days);
            }
        }
        let mut per_agency: Vec<AnswerTimes> = per
            .into_iter()
            .map(|(agency, (received, mut days))| AnswerTimes {
                agency,
                received,
                answered: days.len() as u64,
                median_days: median(&mut days),
            })
            .collect();
        per_agency.sort_by_key(|a| std::cmp::Reverse(a.received));
        let requests = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'published' THEN 1 ELSE 0 END), 0) \
             FROM data_requests WHERE status NOT IN ('pending', 'rejected')",
        )
        .fetch_one(self.db.pool())
        .await?;
        let answered = all.len() as u64;
        Ok(FeedbackFigures {
            received: rows.len() as u64,
            answered,
            median_days: median(&mut all),
            per_agency,
            data_requests: requests.try_get::<i64, _>(0)?.max(0) as u64,
            data_requests_published: requests.try_get::<i64, _>(1)?.max(0) as u64,
        })
    }

    /// Every indicator, given the published datasets' counts per agency and per theme (from the search index).
    pub async fn indicators(
        &self,
        usage: &catalog::usage::Usage,
        datasets: u64,
        per_agency: Vec<Count>,
        per_theme: Vec<Count>,
    ) -> Result<Indicators, RegistryError> {
        let now = chrono::Utc::now();
        let today = now.date_naive();
        let year = today.year();
        let registry = self.catalog.registry();
        let agencies: Vec<String> = registry
            .all_items("agencies")
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.valid_to.is_none_or(|to| to >= today))
            .map(|i| i.code)
            .collect();
        let mut figures = AgencyFigures {
            agencies: agencies.len() as u64,
            with_open_data: 0,
            with_yearly_list: 0,
            year,
            plan_items: 0,
            plan_published: 0,
        };
        for code in &agencies {
            if per_agency.iter().any(|c| &c.code == code && c.count > 0) {
                figures.with_open_data += 1;
            }
            let lists = self.catalog.open_data_lists(code).await.map_err(storage)?;
            if lists.iter().any(|l| l.year == i64::from(year)) {
                figures.with_yearly_list += 1;
            }
            let plan = self.catalog.plan(code).await.map_err(storage)?;
            figures.plan_items += plan.planned as u64;
            figures.plan_published += plan.published as u64;
        }
        let from = months_before(today, 11);
        let stored = usage.monthly(from).await.map_err(storage)?;
        let usage = (0..12)
            .rev()
            .map(|back| {
                let month = months_before(today, back).format("%Y-%m").to_string();
                let counts = stored
                    .iter()
                    .find(|(m, _)| *m == month)
                    .map(|(_, c)| *c)
                    .unwrap_or_default();
                MonthUsage {
                    month,
                    downloads: counts.downloads,
                    api_calls: counts.api_calls,
                }
            })
            .collect();
        Ok(Indicators {
            generated_at: super::stamp(now),
            datasets,
            per_agency,
            per_theme,
            agencies: figures,
            usage,
            feedback: self.feedback_figures().await?,
        })
    }
}

/// The indicators as CSV: `indicator,key,value`, one figure a row.
pub fn csv(ind: &Indicators) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut row = |indicator: &str, key: &str, value: String| {
        w.write_record([indicator, key, value.as_str()])
            .expect("writing to memory");
    };
    row("indicator", "key", "value".into());
    row("datasets", "published", ind.datasets.to_string());
    for c in &ind.per_agency {
        row("datasets_per_agency", &c.code, c.count.to_string());
    }
    for c in &ind.per_theme {
        row("datasets_per_theme", &c.code, c.count.to_string());
    }
    let a = &ind.agencies;
    row("agencies", "total", a.agencies.to_string());
    row("agencies", "with_open_data", a.with_open_data.to_string());
    row(
        "agencies",
        &format!("with_open_data_list_{}", a.year),
        a.with_yearly_list.to_string(),
    );
    row("open_data_plan", "items", a.plan_items.to_string());
    row("open_data_plan", "published", a.plan_published.to_string());
    for m in &ind.usage {
        row("downloads", &m.month, m.downloads.to_string());
        row("api_calls", &m.month, m.api_calls.to_string());
    }
    let f = &ind.feedback;
    row("feedback", "received", f.received.to_string());
    row("feedback", "answered", f.answered.to_string());
    row(
        "feedback",
        "median_days_to_answer",
        f.median_days.map(|d| d.to_string()).unwrap_or_default(),
    );
    for t in &f.per_agency {
        let key = t.agency.as_deref().unwrap_or("code-list-stewards");
        row(
            "median_days_to_answer",
            key,
            t.median_days.map(|d| d.to_string()).unwrap_or_default(),
        );
    }
    row("data_requests", "public", f.data_requests.to_string());
    row(
        "data_requests",
        "published",
        f.data_requests_published.to_string(),
    );
    w.into_inner().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn months_go_back_across_years() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 2, 17).unwrap();
        assert_eq!(months_before(d, 0).to_string(), "2026-02-01");
        assert_eq!(months_before(d, 2).to_string(), "2025-12-01");
        assert_eq!(months_before(d, 11).to_string(), "2025-03-01");
    }
}
