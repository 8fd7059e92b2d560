//! Link checks of distributions held elsewhere: which URLs are due for a check, what each check saw (the status
//! history, `catalog_link_checks`), the latest state of each URL (`catalog_links`) and the broken links of an agency.
//!
//! This module only keeps the record; the requests themselves are made by the binary (`src/link_checks.rs`) with the
//! harvester's SSRF-guarded client, within polite limits. Checks are observations, not curated content: a check that
//! confirms what the previous one saw is written without a change-log entry, like usage counts. A check that changes
//! a URL's state (first answer, newly broken, mended) changes the score of every dataset using it, so it appends a
//! `dataset.link-state` entry per dataset (content hashes unchanged): the search index re-reads those datasets on
//! every node (its quality facet and sort), and the audit trail says when and why a score moved.
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sqlx::Row;

use super::LinkState;
use crate::error::CatalogError;
use crate::model::DatasetContent;
use crate::store::{Catalog, DatasetQuery};

/// What one check of a URL saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LinkCheck {
    /// The URL.
    pub url: String,
    /// When (RFC 3339).
    pub checked_at: String,
    /// True for a 2xx or 3xx answer.
    pub ok: bool,
    /// The HTTP status, when there was an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why there was no good answer (a refused address, a timeout, a failed connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A link of a distribution that its latest check found broken.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BrokenLink {
    /// The dataset.
    pub dataset: String,
    /// The distribution.
    pub distribution: String,
    /// The publisher.
    pub publisher: String,
    /// The latest check.
    pub check: LinkCheck,
    /// The first failed check of the current run of failures.
    pub broken_since: String,
}

/// A URL a distribution holds elsewhere, and where it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalLink {
    /// The URL.
    pub url: String,
    /// `(dataset, distribution, publisher)` using it.
    pub used_by: Vec<(String, String, String)>,
}

/// The URLs of `content`'s distributions held elsewhere (an uploaded file is the catalog's own), with their
/// distribution ids.
pub fn external_urls(content: &DatasetContent) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    for d in content
        .distributions
        .iter()
        .filter(|d| d.file_sha256.is_none())
    {
        for url in [&d.access_url, &d.download_url].into_iter().flatten() {
            if !out.iter().any(|(u, _)| u == url) {
                out.push((url.as_str(), d.id.as_str()));
            }
        }
    }
    out
}

impl Catalog {
    /// Every URL held elsewhere by the current revision of a dataset that is not withdrawn (publishers see their
    /// broken links before they publish), by URL.
    pub async fn external_links(&self) -> Result<Vec<ExternalLink>, CatalogError> {
        let mut by_url: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
        let mut cursor = None;
        loop {
            let page = self
                .list(&DatasetQuery {
                    cursor: cursor.take(),
                    limit: 1000,
                    ..Default::default()
                })
                .await?;
            for r in page
                .items
                .iter()
                .filter(|r| r.status != crate::model::WorkflowStatus::Withdrawn)
            {
                for (url, did) in external_urls(&r.content) {
                    by_url.entry(url.to_owned()).or_default().push((
                        r.id.clone(),
                        did.to_owned(),
                        r.content.publisher.clone(),
                    ));
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(by_url
            .into_iter()
            .map(|(url, used_by)| ExternalLink { url, used_by })
            .collect())
    }

    /// The URLs held elsewhere that were never checked or whose latest check is older than `checked_before`
    /// (RFC 3339), never-checked first, then the oldest; at most `limit`, each with the datasets using it.
    pub async fn links_due(
        &self,
        checked_before: &str,
        limit: usize,
    ) -> Result<Vec<ExternalLink>, CatalogError> {
        let last = self.latest_checks().await?;
        let mut due: Vec<(Option<String>, ExternalLink)> = self
            .external_links()
            .await?
            .into_iter()
            .filter_map(|l| match last.get(&l.url) {
                None => Some((None, l)),
                Some((c, _)) if c.checked_at.as_str() < checked_before => {
                    Some((Some(c.checked_at.clone()), l))
                }
                Some(_) => None,
            })
            .collect();
        due.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.url.cmp(&b.1.url)));
        Ok(due.into_iter().take(limit).map(|(_, link)| link).collect())
    }

    /// Records one check: appended to the history, and the URL's latest state replaced. When the state changed (or
    /// the URL was never checked), each dataset in `used_by` gets a `dataset.link-state` change-log entry in the same
    /// transaction, since its score moved. Returns whether the state changed.
    pub async fn record_link_check(
        &self,
        check: &LinkCheck,
        used_by: &[String],
    ) -> Result<bool, CatalogError> {
        let mut tx = self.database().write().await?;
        sqlx::query(
            "INSERT INTO catalog_link_checks (url, checked_at, ok, status, error) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(check.url.as_str())
        .bind(check.checked_at.as_str())
        .bind(i64::from(check.ok))
        .bind(check.status.map(i64::from))
        .bind(check.error.as_deref())
        .execute(&mut *tx.tx)
        .await?;
        let previous = sqlx::query("SELECT ok, broken_since FROM catalog_links WHERE url = $1")
            .bind(check.url.as_str())
            .fetch_optional(&mut *tx.tx)
            .await?;
        let was_ok = match &previous {
            Some(row) => Some(row.try_get::<i64, _>(0)? != 0),
            None => None,
        };
        let broken_since: Option<String> = if check.ok {
            None
        } else {
            match previous {
                Some(row) if row.try_get::<i64, _>(0)? == 0 => row
                    .try_get::<Option<String>, _>(1)?
                    .or_else(|| Some(check.checked_at.clone())),
                _ => Some(check.checked_at.clone()),
            }
        };
        sqlx::query(
            "INSERT INTO catalog_links (url, checked_at, ok, status, error, broken_since) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (url) DO UPDATE SET checked_at = excluded.checked_at, ok = excluded.ok, \
             status = excluded.status, error = excluded.error, broken_since = excluded.broken_since",
        )
        .bind(check.url.as_str())
        .bind(check.checked_at.as_str())
        .bind(i64::from(check.ok))
        .bind(check.status.map(i64::from))
        .bind(check.error.as_deref())
        .bind(broken_since.as_deref())
        .execute(&mut *tx.tx)
        .await?;
        let moved = was_ok != Some(check.ok);
        if moved && !used_by.is_empty() {
            let mut log = registry::changelog::Appender::start(&mut tx.tx).await?;
            let detail = serde_json::json!({
                "url": check.url,
                "ok": check.ok,
                "status": check.status,
                "error": check.error,
            });
            let mut ids: Vec<&String> = used_by.iter().collect();
            ids.sort();
            ids.dedup();
            for id in ids {
                let uri = self.dataset_uri(id);
                log.stage(&registry::changelog::NewEntry {
                    actor: "link-check",
                    action: "dataset.link-state",
                    subject: &uri,
                    before: None,
                    after: None,
                    detail: detail.clone(),
                });
            }
            log.flush(&mut tx.tx).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    async fn latest_checks(
        &self,
    ) -> Result<HashMap<String, (LinkCheck, Option<String>)>, CatalogError> {
        let rows = sqlx::query(
            "SELECT url, checked_at, ok, status, error, broken_since FROM catalog_links",
        )
        .fetch_all(self.database().pool())
        .await?;
        let mut out = HashMap::with_capacity(rows.len());
        for row in rows {
            let check = check_of(&row)?;
            out.insert(check.url.clone(), (check, row.try_get(5)?));
        }
        Ok(out)
    }

    /// The time of the latest link check recorded (a summary computed before it may be out of date).
    pub async fn latest_link_check_time(&self) -> Result<Option<String>, CatalogError> {
        let row = sqlx::query("SELECT MAX(checked_at) FROM catalog_links")
            .fetch_one(self.database().pool())
            .await?;
        Ok(row.try_get::<Option<String>, _>(0)?)
    }

    /// The latest check of `url`, if it was checked.
    pub async fn latest_link_check(&self, url: &str) -> Result<Option<LinkCheck>, CatalogError> {
        let row = sqlx::query(
            "SELECT url, checked_at, ok, status, error FROM catalog_links WHERE url = $1",
        )
        .bind(url)
        .fetch_optional(self.database().pool())
        .await?;
        row.as_ref().map(check_of).transpose()
    }

    /// The latest state of each of `urls` that was checked.
    pub async fn link_states_of(
        &self,
        urls: &[&str],
    ) -> Result<HashMap<String, LinkState>, CatalogError> {
        let mut out = HashMap::new();
        for url in urls {
            if let Some(c) = self.latest_link_check(url).await? {
                let state = if c.ok {
                    LinkState::Answers
                } else {
                    LinkState::Broken
                };
                out.insert(c.url, state);
            }
        }
        Ok(out)
    }

    /// The latest state of every checked URL.
    pub async fn link_states(&self) -> Result<HashMap<String, LinkState>, CatalogError> {
        Ok(self
            .latest_checks()
            .await?
            .into_iter()
            .map(|(url, (c, _))| {
                let state = if c.ok {
                    LinkState::Answers
                } else {
                    LinkState::Broken
                };
                (url, state)
            })
            .collect())
    }

    /// Every check of `url`, newest first (at most `limit`).
    pub async fn link_history(
        &self,
        url: &str,
        limit: usize,
    ) -> Result<Vec<LinkCheck>, CatalogError> {
        let rows = sqlx::query(&format!(
            "SELECT url, checked_at, ok, status, error FROM catalog_link_checks WHERE url = $1 \
             ORDER BY checked_at DESC LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .bind(url)
        .fetch_all(self.database().pool())
        .await?;
        rows.iter().map(check_of).collect()
    }

    /// The broken links of `publisher`'s datasets (every agency's with `None`), by dataset.
    pub async fn broken_links(
        &self,
        publisher: Option<&str>,
    ) -> Result<Vec<BrokenLink>, CatalogError> {
        let latest = self.latest_checks().await?;
        let mut out = Vec::new();
        for link in self.external_links().await? {
            let Some((check, since)) = latest.get(&link.url).filter(|(c, _)| !c.ok) else {
                continue;
            };
            for (dataset, distribution, agency) in &link.used_by {
                if publisher.is_some_and(|p| p != agency) {
                    continue;
                }
                out.push(BrokenLink {
                    dataset: dataset.clone(),
                    distribution: distribution.clone(),
                    publisher: agency.clone(),
                    check: check.clone(),
                    broken_since: since.clone().unwrap_or_else(|| check.checked_at.clone()),
                });
            }
        }
        out.sort_by(|a, b| (&a.dataset, &a.distribution).cmp(&(&b.dataset, &b.distribution)));
        Ok(out)
    }
}

fn check_of(row: &sqlx::any::AnyRow) -> Result<LinkCheck, CatalogError> {
    Ok(LinkCheck {
        url: row.try_get(0)?,
        checked_at: row.try_get(1)?,
        ok: row.try_get::<i64, _>(2)? != 0,
        status: row
            .try_get::<Option<i64>, _>(3)?
            .and_then(|s| u16::try_from(s).ok()),
        error: row.try_get(4)?,
    })
}
