//! Building DCAT exports from the store: loads the registry items the records refer to, then calls [`crate::dcat`].
use std::collections::HashMap;

use oxrdf::Triple;
use registry::model::ItemData;

use crate::dcat::{
    CatalogInfo, DcatContext, ExportedDataset, Paging, catalog_triples, dataset_triples,
};
use crate::error::CatalogError;
use crate::store::{Catalog, DatasetRecord};

/// Registry items by (list, code), loaded once per export.
#[derive(Debug, Default)]
pub struct CodeCache(HashMap<(String, String), ItemData>);

impl CodeCache {
    /// Loads every item the records and the catalog info refer to.
    pub async fn load(
        catalog: &Catalog,
        records: &[&DatasetRecord],
        info: Option<&CatalogInfo>,
    ) -> Result<Self, CatalogError> {
        let mut wanted: Vec<(String, String)> = Vec::new();
        for r in records {
            for (_, list, code) in r.content.references() {
                wanted.push((list.to_owned(), code));
            }
        }
        if let Some(info) = info {
            wanted.push(("agencies".into(), info.publisher.clone()));
            if let Some(l) = &info.licence {
                wanted.push(("licences".into(), l.clone()));
            }
        }
        wanted.sort();
        wanted.dedup();
        let mut out = HashMap::new();
        for (list, code) in wanted {
            match catalog.registry().item(&list, &code, None, None).await {
                Ok(view) => {
                    out.insert((list, code), view.data);
                }
                Err(
                    registry::RegistryError::ItemNotFound { .. }
                    | registry::RegistryError::ListNotFound(_),
                ) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Self(out))
    }

    /// The lookup function the DCAT export takes.
    pub fn get(&self, list: &str, code: &str) -> Option<ItemData> {
        self.0.get(&(list.to_owned(), code.to_owned())).cloned()
    }
}

/// The version to show for a record: the release whose revision is the one shown, if any.
pub async fn release_of(
    catalog: &Catalog,
    record: &DatasetRecord,
) -> Result<Option<crate::store::Release>, CatalogError> {
    Ok(catalog
        .releases(&record.id)
        .await?
        .into_iter()
        .rev()
        .find(|r| r.revision == record.revision))
}

fn exported<'a>(
    record: &'a DatasetRecord,
    release: Option<&'a crate::store::Release>,
) -> ExportedDataset<'a> {
    ExportedDataset {
        id: &record.id,
        content: &record.content,
        issued: record
            .first_published_at
            .as_deref()
            .unwrap_or(&record.created_at),
        modified: record.published_at.as_deref().unwrap_or(&record.updated_at),
        version: release.map(|r| r.version.as_str()),
        version_notes: release.map(|r| &r.notes),
    }
}

/// The triples of one published dataset.
pub async fn dataset_graph(
    catalog: &Catalog,
    record: &DatasetRecord,
) -> Result<Vec<Triple>, CatalogError> {
    let cache = CodeCache::load(catalog, &[record], None).await?;
    let release = release_of(catalog, record).await?;
    let lookup = |l: &str, c: &str| cache.get(l, c);
    let ctx = DcatContext {
        base_uri: catalog.registry().base_uri(),
        lookup: &lookup,
    };
    Ok(dataset_triples(&ctx, &exported(record, release.as_ref())))
}

/// The triples of a catalog page (or, without paging, of the given datasets).
pub async fn catalog_graph(
    catalog: &Catalog,
    info: &CatalogInfo,
    records: &[DatasetRecord],
    paging: Option<&Paging>,
) -> Result<Vec<Triple>, CatalogError> {
    let refs: Vec<&DatasetRecord> = records.iter().collect();
    let cache = CodeCache::load(catalog, &refs, Some(info)).await?;
    let mut releases = Vec::with_capacity(records.len());
    for r in records {
        releases.push(release_of(catalog, r).await?);
    }
    let datasets: Vec<ExportedDataset> = records
        .iter()
        .zip(&releases)
        .map(|(r, rel)| exported(r, rel.as_ref()))
        .collect();
    let lookup = |l: &str, c: &str| cache.get(l, c);
    let ctx = DcatContext {
        base_uri: catalog.registry().base_uri(),
        lookup: &lookup,
    };
    Ok(catalog_triples(&ctx, info, &datasets, paging))
}
