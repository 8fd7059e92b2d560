//! Keeping the search index in step with the change log (the search projector): published datasets, the items of
//! the code lists the search box finds ([`SEARCHED_LISTS`]), and the steward-curated synonyms, all read through the
//! catalog's and the registry's public APIs.
use std::collections::{BTreeMap, BTreeSet};

use registry::model::{ItemData, StatusAt};

use crate::changes::{Applying, Batch, Projector};
use crate::error::CatalogError;
use crate::quality::store::QualityInputs;
use crate::search::codes::SEARCHED_LISTS;
use crate::search::synonyms::SYNONYMS_LIST;
use crate::search::{CodeEntry, CodeHit, CodeRef, Extras, SearchIndex};
use crate::store::{Catalog, DatasetQuery, DatasetRecord};

fn failed(e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Registry(registry::RegistryError::Storage(e.to_string()))
}

/// What computing [`Extras`] reads, kept across the datasets of a batch: the provinces of spatial codes, and the
/// registry items and link states the quality score needs.
#[derive(Debug, Default)]
pub struct ExtrasCache {
    provinces: BTreeMap<String, Option<String>>,
    quality: QualityInputs,
    /// True when every link state is loaded (else a dataset's own are read as it comes).
    all_links: bool,
}

impl ExtrasCache {
    /// A cache for many datasets: every link state is read once, now.
    pub async fn for_many(catalog: &Catalog) -> Result<Self, CatalogError> {
        Ok(Self {
            quality: QualityInputs::load(catalog, &[]).await?,
            all_links: true,
            ..Self::default()
        })
    }
}

/// The provinces a dataset covers (its spatial codes, each taken up to its top-level ancestor) and its quality
/// score; `cache` remembers what was read across calls.
pub async fn extras(catalog: &Catalog, record: &DatasetRecord, cache: &mut ExtrasCache) -> Extras {
    let quality = match quality_points(catalog, record, cache).await {
        Ok(points) => Some(points),
        Err(e) => {
            tracing::warn!(dataset = %record.id, "quality score not indexed: {e}");
            None
        }
    };
    let cache = &mut cache.provinces;
    let mut provinces = BTreeSet::new();
    for code in &record.content.spatial {
        if !cache.contains_key(code) {
            let province = match catalog
                .registry()
                .ancestors("administrative-units", code)
                .await
            {
                Ok(chain) => Some(
                    chain
                        .last()
                        .map_or_else(|| code.clone(), |top| top.data.code.clone()),
                ),
                Err(_) => None,
            };
            cache.insert(code.clone(), province);
        }
        if let Some(Some(p)) = cache.get(code) {
            provinces.insert(p.clone());
        }
    }
    Extras {
        provinces: provinces.into_iter().collect(),
        quality,
    }
}

async fn quality_points(
    catalog: &Catalog,
    record: &DatasetRecord,
    cache: &mut ExtrasCache,
) -> Result<u32, CatalogError> {
    if !cache.all_links {
        cache.quality.add_links(catalog, &record.content).await?;
    }
    cache.quality.add(catalog, &record.content).await?;
    Ok(cache.quality.score(&record.content).points)
}

fn status_text(status: StatusAt) -> &'static str {
    match status {
        StatusAt::Valid => "valid",
        StatusAt::Superseded => "superseded",
        StatusAt::Retired => "retired",
        StatusAt::NotYetValid => "notYetValid",
        StatusAt::Submitted => "submitted",
        StatusAt::Invalid => "invalid",
    }
}

/// The items of a list as the index reads them: each with its status today, its successors and its parent named.
pub fn code_entries(list: &str, items: &[ItemData]) -> Vec<CodeEntry> {
    let today = chrono::Utc::now().date_naive();
    let by_code: BTreeMap<&str, &ItemData> = items.iter().map(|i| (i.code.as_str(), i)).collect();
    let named = |code: &str| CodeRef {
        code: code.to_owned(),
        label: by_code
            .get(code)
            .map(|i| i.labels.clone())
            .unwrap_or_default(),
    };
    items
        .iter()
        .filter(|i| i.status_at(today) != StatusAt::Invalid)
        .map(|i| CodeEntry {
            hit: CodeHit {
                list: list.to_owned(),
                code: i.code.clone(),
                label: i.labels.clone(),
                level: i.level.clone(),
                status: status_text(i.status_at(today)).to_owned(),
                valid_to: i.valid_to.map(|d| d.to_string()),
                successors: i.successors.iter().map(|c| named(c)).collect(),
                parent: i.parent.as_deref().map(named),
            },
            definition: i.definition.clone(),
            notations: i.notations.iter().map(|n| n.value.clone()).collect(),
        })
        .collect()
}

/// The items of the searched lists named in `lists` (all of them with `None`); a list that does not exist (yet)
/// has no items.
async fn searched_lists(
    catalog: &Catalog,
    lists: Option<&BTreeSet<String>>,
) -> Result<Vec<(String, Vec<CodeEntry>)>, CatalogError> {
    let mut out = Vec::new();
    for list in SEARCHED_LISTS {
        if lists.is_some_and(|l| !l.contains(*list)) {
            continue;
        }
        let items = match catalog.registry().all_items(list).await {
            Ok(items) => items,
            Err(registry::RegistryError::ListNotFound(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        out.push(((*list).to_owned(), code_entries(list, &items)));
    }
    Ok(out)
}

/// Reads the synonym groups from the registry's synonyms list into the index (none when the list does not exist).
/// Each group is an item: its labels and the `|`-separated phrases of its `terms` attribute.
pub async fn load_synonyms(catalog: &Catalog, index: &SearchIndex) -> Result<usize, CatalogError> {
    let items = match catalog.registry().all_items(SYNONYMS_LIST).await {
        Ok(items) => items,
        Err(registry::RegistryError::ListNotFound(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let today = chrono::Utc::now().date_naive();
    let groups: Vec<Vec<String>> = items
        .iter()
        .filter(|i| i.status_at(today) == StatusAt::Valid)
        .map(|i| {
            let mut group: Vec<String> = [&i.labels.vi, &i.labels.en]
                .into_iter()
                .flatten()
                .cloned()
                .collect();
            if let Some(terms) = i.attributes.get("terms").and_then(|t| t.as_str()) {
                group.extend(
                    terms
                        .split('|')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned),
                );
            }
            group
        })
        .collect();
    index.set_synonyms(&groups);
    Ok(index.synonyms().len())
}

/// The search index as a projection of the change log.
pub struct Indexer<'a> {
    /// Where the datasets are read.
    pub catalog: &'a Catalog,
    /// The index kept in step.
    pub index: &'a SearchIndex,
}

impl Projector for Indexer<'_> {
    fn name(&self) -> &'static str {
        "search index"
    }

    fn applied(&self) -> i64 {
        self.index.applied()
    }

    fn apply<'a>(&'a self, batch: &'a Batch) -> Applying<'a> {
        Box::pin(apply(self.catalog, self.index, batch))
    }
}

/// Re-indexes the datasets a batch names (removing those no longer published) and records the batch as applied,
/// in one commit of the index.
async fn apply(catalog: &Catalog, index: &SearchIndex, batch: &Batch) -> Result<(), CatalogError> {
    // A large batch (a catch-up) reads every link state at once; a few edits read their own.
    let mut cache = if batch.datasets.len() > 200 {
        ExtrasCache::for_many(catalog).await?
    } else {
        ExtrasCache::default()
    };
    let ids: Vec<String> = batch.datasets.iter().cloned().collect();
    let mut found: BTreeMap<String, DatasetRecord> = catalog
        .get_published_many(&ids)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let mut changes = Vec::with_capacity(ids.len());
    for id in ids {
        // Not published (any more): removed from the index.
        let entry = match found.remove(&id) {
            Some(record) => {
                let e = extras(catalog, &record, &mut cache).await;
                Some((record, e))
            }
            None => None,
        };
        changes.push((id, entry));
    }
    let lists = searched_lists(catalog, Some(&batch.lists)).await?;
    if batch.lists.contains(SYNONYMS_LIST) {
        load_synonyms(catalog, index).await?;
    }
    let index = index.clone();
    let last = batch.last_seq;
    tokio::task::spawn_blocking(move || index.apply_with_codes(&changes, &lists, last))
        .await
        .map_err(failed)?
        .map_err(failed)?;
    Ok(())
}

/// Empties the index and indexes every published dataset and every item of the searched lists again.
pub async fn rebuild(catalog: &Catalog, index: &SearchIndex) -> Result<usize, CatalogError> {
    let head = catalog.registry().version_tag().await?;
    load_synonyms(catalog, index).await?;
    let lists = searched_lists(catalog, None).await?;
    let i = index.clone();
    tokio::task::spawn_blocking(move || {
        i.clear()?;
        i.apply_with_codes(&[], &lists, 0)
    })
    .await
    .map_err(failed)?
    .map_err(failed)?;
    let mut cache = ExtrasCache::for_many(catalog).await?;
    let mut cursor = None;
    let mut count = 0;
    loop {
        let page = catalog
            .list(&DatasetQuery {
                public: true,
                cursor: cursor.clone(),
                limit: 1000,
                ..Default::default()
            })
            .await?;
        let mut changes = Vec::with_capacity(page.items.len());
        for record in page.items {
            let e = extras(catalog, &record, &mut cache).await;
            changes.push((record.id.clone(), Some((record, e))));
        }
        count += changes.len();
        let done = page.next.is_none();
        // Intermediate commits record the old head, so a crash mid-way resumes by catching up.
        let seq = if done { head } else { 0 };
        let i = index.clone();
        tokio::task::spawn_blocking(move || i.apply(&changes, seq))
            .await
            .map_err(failed)?
            .map_err(failed)?;
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    Ok(count)
}
