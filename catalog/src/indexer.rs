//! Keeping the search index in step with the change log (the search projector).
use std::collections::{BTreeMap, BTreeSet};

use crate::changes::{Applying, Batch, Projector};
use crate::error::CatalogError;
use crate::search::{Extras, SearchIndex};
use crate::store::{Catalog, DatasetQuery, DatasetRecord};

fn failed(e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Registry(registry::RegistryError::Storage(e.to_string()))
}

/// The provinces a dataset covers: its spatial codes, each taken up to its top-level ancestor (`cache` remembers
/// the answers across calls).
pub async fn extras(
    catalog: &Catalog,
    record: &DatasetRecord,
    cache: &mut BTreeMap<String, Option<String>>,
) -> Extras {
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
    }
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
    let mut cache = BTreeMap::new();
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
    let index = index.clone();
    let last = batch.last_seq;
    tokio::task::spawn_blocking(move || index.apply(&changes, last))
        .await
        .map_err(failed)?
        .map_err(failed)?;
    Ok(())
}

/// Empties the index and indexes every published dataset again.
pub async fn rebuild(catalog: &Catalog, index: &SearchIndex) -> Result<usize, CatalogError> {
    let head = catalog.registry().version_tag().await?;
    let i = index.clone();
    tokio::task::spawn_blocking(move || i.clear())
        .await
        .map_err(failed)?
        .map_err(failed)?;
    let mut cache = BTreeMap::new();
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
