//! Packages rendered once per published revision: each package's JSON is kept with the revision and publication time
//! it was rendered from and the registry generation its labels came from, and served again while all three still
//! hold. Every request checks the published revisions in SQL (one indexed read per 500 ids, no content), so an answer
//! is never stale; only the rendering is saved. Memory is bounded by a byte budget: past it, the kept renderings are
//! dropped and rendering starts over.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use catalog::store::DatasetRecord;

use super::Labels;
use super::dicts::{PackageLabels, package};
use super::envelope::CkanError;
use crate::http::AppState;

/// The bytes of rendered packages kept at most (about 25,000 packages of the generated catalog).
const BUDGET: usize = 64 << 20;

/// One rendering and what it was rendered from.
struct Rendering {
    revision: i64,
    published_at: Option<String>,
    generation: u64,
    json: Arc<str>,
}

/// Packages rendered as JSON, by dataset id.
#[derive(Default)]
pub struct RenderedPackages {
    kept: Mutex<(usize, HashMap<String, Rendering>)>,
}

impl std::fmt::Debug for RenderedPackages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.kept.lock().expect("rendered packages lock");
        f.debug_struct("RenderedPackages")
            .field("packages", &kept.1.len())
            .field("bytes", &kept.0)
            .finish()
    }
}

impl RenderedPackages {
    fn get(
        &self,
        id: &str,
        revision: i64,
        published_at: &Option<String>,
        generation: u64,
    ) -> Option<Arc<str>> {
        let kept = self.kept.lock().expect("rendered packages lock");
        kept.1
            .get(id)
            .filter(|r| {
                r.revision == revision
                    && &r.published_at == published_at
                    && r.generation == generation
            })
            .map(|r| r.json.clone())
    }

    fn put(&self, record: &DatasetRecord, generation: u64, json: Arc<str>) {
        let mut kept = self.kept.lock().expect("rendered packages lock");
        if kept.0 + json.len() > BUDGET {
            *kept = (0, HashMap::new());
        }
        kept.0 += json.len();
        let old = kept.1.insert(
            record.id.clone(),
            Rendering {
                revision: record.revision,
                published_at: record.published_at.clone(),
                generation,
                json,
            },
        );
        if let Some(old) = old {
            kept.0 -= old.json.len();
        }
    }
}

/// The published datasets among `ids` as CKAN package JSON, in the order of `ids` (withdrawn or unknown ids left out).
pub(super) async fn packages(state: &AppState, ids: &[String]) -> Result<Vec<Arc<str>>, CkanError> {
    // Read before the versions: a registry commit after this point moves it, and what is rendered now is not kept
    // under the new generation.
    let generation = state.registry.database().registry_generation();
    let versions = state.catalog.published_versions(ids).await?;
    let cache = &state.ckan_packages;
    let mut found: HashMap<&str, Arc<str>> = HashMap::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        let Some((revision, published_at)) = versions.get(id) else {
            continue;
        };
        match cache.get(id, *revision, published_at, generation) {
            Some(json) => {
                found.insert(id, json);
            }
            None => missing.push(id.clone()),
        }
    }
    let mut rendered = HashMap::with_capacity(missing.len());
    if !missing.is_empty() {
        let mut labels = Labels::default();
        for record in state.catalog.get_published_many(&missing).await? {
            let json = render(state, &record, &mut labels).await?;
            cache.put(&record, generation, json.clone());
            rendered.insert(record.id, json);
        }
    }
    Ok(ids
        .iter()
        .filter_map(|id| {
            found
                .get(id.as_str())
                .cloned()
                .or_else(|| rendered.get(id).cloned())
        })
        .collect())
}

/// One record as CKAN package JSON, its labels from the registry.
pub(super) async fn render(
    state: &AppState,
    record: &DatasetRecord,
    labels: &mut Labels,
) -> Result<Arc<str>, CkanError> {
    let c = &record.content;
    let agency = labels.get(state, "agencies", &c.publisher).await;
    let licence = match &c.licence {
        Some(l) => labels.get(state, "licences", l).await,
        None => None,
    };
    let mut themes = Vec::with_capacity(c.themes.len());
    for t in &c.themes {
        themes.push(labels.get(state, "themes", t).await);
    }
    let package_labels = PackageLabels {
        agency: (
            agency
                .as_ref()
                .and_then(|i| i.labels.vi.as_deref())
                .unwrap_or(&c.publisher),
            agency
                .as_ref()
                .and_then(|i| i.labels.en.as_deref())
                .unwrap_or_default(),
        ),
        licence: licence.as_ref().map(|i| {
            (
                i.labels.vi.as_deref().unwrap_or(&i.code),
                i.attributes.get("url").and_then(|u| u.as_str()),
            )
        }),
        themes: c
            .themes
            .iter()
            .zip(&themes)
            .map(|(code, item)| {
                item.as_ref()
                    .and_then(|i| i.labels.vi.as_deref())
                    .unwrap_or(code)
            })
            .collect(),
    };
    let json =
        serde_json::to_string(&package(record, &package_labels)).map_err(CkanError::internal)?;
    Ok(json.into())
}

/// `[a,b,...]` from JSON values already rendered (each is a whole JSON value, so joining them makes a valid array).
pub(super) fn json_array(items: &[Arc<str>]) -> String {
    let mut out = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    out
}
