//! An opendata server as a source: its change feed (`GET /api/v1/changes?cursor=N&limit=M`) names what changed, in
//! commit order, with the sequence as cursor; each dataset named is then read with the server's own CKAN API
//! (`package_show`), whose 404 means deleted or withdrawn. Only the datasets a feed page names are read, so a run
//! after a few edits makes a few reads, whatever the size of the catalogue.
use std::sync::Arc;

use serde_json::{Value, json};

use super::{Batch, Listed, Source, SourceKind};
use crate::HarvestError;
use crate::client::Http;
use crate::package::Package;
use crate::target::CkanTarget;

/// Feed entries read per batch.
pub const PAGE: usize = 1000;

/// An opendata server's change feed.
pub struct ChangeFeed {
    http: Arc<Http>,
    base: String,
    token: Option<String>,
    api: CkanTarget,
    /// Subjects of dataset entries start with this (`{base URI}/dataset/`).
    dataset_prefix: Option<String>,
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
        let after = cursor.unwrap_or("0");
        let url = format!("{}/api/v1/changes?cursor={after}&limit={PAGE}", self.base);
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
        let items = page
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| HarvestError::Source(format!("{url}: no items")))?;
        let mut records: Vec<(String, Listed)> = Vec::new();
        for item in items {
            let Some(id) = item
                .get("subject")
                .and_then(Value::as_str)
                .and_then(|s| self.dataset_of(s))
            else {
                continue;
            };
            if !records.iter().any(|(r, _)| *r == id) {
                records.push((id, Listed::Fetch));
            }
        }
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
