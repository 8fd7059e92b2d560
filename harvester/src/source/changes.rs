//! An opendata server as a source: its change feed (`GET /api/v1/changes?cursor=N&limit=M`) names what changed, in
//! commit order, with the sequence as cursor; each dataset named is then read with the server's own CKAN API
//! (`package_show`), whose 404 means deleted or withdrawn. Only the datasets a feed page names are read, so a run
//! after a few edits makes a few reads, whatever the size of the catalogue.
//!
//! A full sync (no cursor yet, or `--rewrite-all`) first reads the whole catalogue in pages of `package_search`
//! (1,000 datasets a request instead of one `package_show` each): it notes the feed's head, then every page read after
//! that is at least as new as the head. Then it reads the feed from the start as usual, but up to the head it only
//! fetches the datasets the pages did not hold (withdrawn, unpublished, or missed because the listing shifted under
//! the paging); whatever changed after the head is in the feed after it and read as usual. The pages' cursors are
//! never stored (a run killed while paging starts over), so the stored cursor keeps its meaning.
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::{Batch, Listed, Source, SourceKind};
use crate::HarvestError;
use crate::client::Http;
use crate::package::Package;
use crate::target::CkanTarget;

/// Feed entries read per batch.
pub const PAGE: usize = 1000;

/// Datasets read per `package_search` page of a full sync.
pub const SNAPSHOT_ROWS: usize = 1000;

/// The farthest `start` the server's `package_search` takes; datasets past it are fetched one by one.
const SNAPSHOT_MAX_START: usize = 1_000_000;

/// A full sync's reading of the catalogue in pages.
struct Snapshot {
    /// The feed's head before the first page was read: every page is at least as new.
    head: i64,
    /// Datasets the pages held (active ones).
    seen: HashSet<String>,
}

/// The cursor of a snapshot page: `snapshot:{head}:{start}`.
const SNAPSHOT_PAGE: &str = "snapshot:";
/// The cursor of the feed from its start, after a snapshot: `snapshot-feed:{head}`.
const SNAPSHOT_FEED: &str = "snapshot-feed:";

/// An opendata server's change feed.
pub struct ChangeFeed {
    http: Arc<Http>,
    base: String,
    token: Option<String>,
    api: CkanTarget,
    /// Subjects of dataset entries start with this (`{base URI}/dataset/`).
    dataset_prefix: Option<String>,
    /// The catalogue read in pages, during a full sync.
    snapshot: Mutex<Option<Snapshot>>,
}

impl ChangeFeed {
    /// The server at `base`; `token` (an API key) is sent as `Authorization: Bearer`.
    pub async fn open(
        http: Arc<Http>,
        base: &str,
        token: Option<String>,
    ) -> Result<Self, HarvestError> {
        let api = CkanTarget::new(
            http.clone(),
            base,
            token.as_ref().map(|t| format!("Bearer {t}")),
        );
        // Subjects use the server's configured base URI, which need not be the address we reach it at.
        let status = api.call("status_show", &json!({}), true).await?;
        let dataset_prefix = status
            .get("site_url")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| format!("{}/dataset/", s.trim_end_matches('/')));
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token,
            api,
            dataset_prefix,
            snapshot: Mutex::new(None),
        })
    }

    /// One page of the change feed after `after`.
    async fn page(&self, after: &str, limit: usize) -> Result<Value, HarvestError> {
        let url = format!("{}/api/v1/changes?cursor={after}&limit={limit}", self.base);
        let answer = self
            .http
            .send(
                || {
                    let mut r = self.http.client().get(&url);
                    if let Some(t) = &self.token {
                        r = r.bearer_auth(t);
                    }
                    r
                },
                true,
            )
            .await?;
        if !answer.status.is_success() {
            return Err(HarvestError::Source(format!(
                "{url}: {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            )));
        }
        let page: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| HarvestError::Source(format!("{url}: {e}")))?;
        if !page.get("items").is_some_and(Value::is_array) {
            return Err(HarvestError::Source(format!("{url}: no items")));
        }
        Ok(page)
    }

    /// The page of the catalogue at `start` (of a snapshot taken after `head`): its active datasets, with their
    /// content.
    async fn snapshot_batch(&self, head: i64, start: usize) -> Result<Batch, HarvestError> {
        let answer = self
            .api
            .call(
                "package_search",
                &json!({ "q": "*:*", "rows": SNAPSHOT_ROWS, "start": start, "sort": "name asc" }),
                true,
            )
            .await?;
        let results = answer
            .get("results")
            .and_then(Value::as_array)
            .ok_or_else(|| HarvestError::Source("package_search answered no results".into()))?;
        let mut records = Vec::with_capacity(results.len());
        let mut guard = self.snapshot.lock().expect("snapshot lock");
        let snapshot = guard
            .as_mut()
            .ok_or_else(|| HarvestError::Source("a snapshot page outside a full sync".into()))?;
        for package in results {
            let Some(id) = package.get("id").and_then(Value::as_str) else {
                continue;
            };
            // Anything not plainly active is left to the feed's own reading (package_show says what it is).
            if package.get("state").and_then(Value::as_str) != Some("active") {
                continue;
            }
            if let Ok(p) = super::ckan::from_ckan(package)
                && snapshot.seen.insert(id.to_owned())
            {
                records.push((id.to_owned(), Listed::Present(Box::new(p))));
            }
        }
        let next = start + results.len();
        let last_page = results.len() < SNAPSHOT_ROWS || next >= SNAPSHOT_MAX_START;
        Ok(Batch {
            records,
            complete: false,
            // After the last page, the feed from its start (`0`: nothing of it is stored yet).
            cursor: Some(if last_page {
                format!("{SNAPSHOT_FEED}{head}")
            } else {
                format!("{SNAPSHOT_PAGE}{head}:{next}")
            }),
            transient_cursor: true,
            more: true,
            warnings: Vec::new(),
        })
    }

    /// The dataset id a change-log subject is about (`{base}/dataset/{id}` and every path under it). Subjects
    /// recorded under another base (the server's base URI was changed since, or the store was written by a tool run
    /// with another one) are recognised too when that base is an origin (`scheme://host[:port]/dataset/...`).
    pub fn dataset_of(&self, subject: &str) -> Option<String> {
        let rest = match self
            .dataset_prefix
            .as_deref()
            .and_then(|prefix| subject.strip_prefix(prefix))
        {
            Some(rest) => rest,
            None => {
                let at = subject.find("/dataset/")?;
                let origin = &subject[..at];
                let (scheme, host) = origin.split_once("://")?;
                if scheme.is_empty() || host.is_empty() || host.contains('/') {
                    return None;
                }
                &subject[at + "/dataset/".len()..]
            }
        };
        let segment = rest.split(['/', '?', '#']).next()?;
        let id = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .ok()?
            .into_owned();
        (!id.is_empty()).then_some(id)
    }
}

impl Source for ChangeFeed {
    fn kind(&self) -> SourceKind {
        SourceKind::Changes
    }

    async fn batch(&self, cursor: Option<&str>) -> Result<Batch, HarvestError> {
        let cursor = match cursor {
            None => {
                // A full sync: the catalogue in pages, after noting the feed's head.
                let head = self.page("0", 1).await?["head"].as_i64().unwrap_or(0);
                if head > 0 {
                    *self.snapshot.lock().expect("snapshot lock") = Some(Snapshot {
                        head,
                        seen: HashSet::new(),
                    });
                    return self.snapshot_batch(head, 0).await;
                }
                None
            }
            Some(c) if c.starts_with(SNAPSHOT_PAGE) => {
                let (head, start) = c[SNAPSHOT_PAGE.len()..]
                    .split_once(':')
                    .and_then(|(h, s)| Some((h.parse().ok()?, s.parse().ok()?)))
                    .ok_or_else(|| HarvestError::Source(format!("malformed cursor {c:?}")))?;
                return self.snapshot_batch(head, start).await;
            }
            // The feed from its start, after the snapshot.
            Some(c) if c.starts_with(SNAPSHOT_FEED) => None,
            Some(c) => Some(c),
        };
        let after = cursor.unwrap_or("0");
        let page = self.page(after, PAGE).await?;
        let items = page["items"].as_array().expect("checked by page()");
        let snapshot = self.snapshot.lock().expect("snapshot lock");
        let mut records: Vec<(String, Listed)> = Vec::new();
        for item in items {
            let Some(id) = item
                .get("subject")
                .and_then(Value::as_str)
                .and_then(|s| self.dataset_of(s))
            else {
                continue;
            };
            // Up to the snapshot's head, a dataset its pages held is already read, as new as the head or newer.
            if let Some(s) = snapshot.as_ref()
                && item
                    .get("seq")
                    .and_then(|q| q.as_i64().or_else(|| q.as_str()?.parse().ok()))
                    .is_some_and(|q| q <= s.head)
                && s.seen.contains(&id)
            {
                continue;
            }
            if !records.iter().any(|(r, _)| *r == id) {
                records.push((id, Listed::Fetch));
            }
        }
        drop(snapshot);
        let last = items.last().and_then(|i| i.get("seq")).and_then(|s| {
            s.as_i64()
                .map(|n| n.to_string())
                .or_else(|| s.as_str().map(str::to_owned))
        });
        Ok(Batch {
            warnings: Vec::new(),
            records,
            complete: false,
            cursor: last.or_else(|| cursor.map(str::to_owned)),
            transient_cursor: false,
            more: items.len() >= PAGE,
        })
    }

    async fn fetch(&self, id: &str) -> Result<Option<Package>, HarvestError> {
        super::ckan::show(&self.api, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::RetryPolicy;

    #[test]
    fn subjects_name_their_dataset() {
        let http =
            Arc::new(Http::new(std::time::Duration::from_secs(1), RetryPolicy::default()).unwrap());
        let feed = ChangeFeed {
            api: CkanTarget::new(http.clone(), "http://127.0.0.1:1", None),
            http,
            base: "http://127.0.0.1:1".into(),
            token: None,
            dataset_prefix: Some("https://data.example.gov.vn/dataset/".into()),
            snapshot: Mutex::new(None),
        };
        assert_eq!(
            feed.dataset_of("https://data.example.gov.vn/dataset/ho-so")
                .as_deref(),
            Some("ho-so")
        );
        assert_eq!(
            feed.dataset_of("https://data.example.gov.vn/dataset/ho%20so/releases/1.0")
                .as_deref(),
            Some("ho so")
        );
        assert_eq!(
            feed.dataset_of("https://data.example.gov.vn/registry/agencies/G12"),
            None
        );
        assert_eq!(
            feed.dataset_of("http://127.0.0.1:8080/dataset/gen-1")
                .as_deref(),
            Some("gen-1"),
            "a subject recorded under an earlier base"
        );
        assert_eq!(
            feed.dataset_of("https://x.example/registry/dataset/x"),
            None
        );
    }
}
