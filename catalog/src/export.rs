//! Building DCAT exports from the store: loads the registry items the records refer to, then calls [`crate::dcat`].
use std::collections::HashMap;

use oxrdf::Triple;
use registry::model::ItemData;

use crate::dcat::{
    CatalogInfo, DcatContext, ExportedDataset, Paging, TripleOrder, catalog_triples_in,
    dataset_triples,
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
        // Items already looked up at the current head of the change log are taken from the memo (every change to a
        // code list is a log entry, so a head that has not moved means the items have not either).
        let head = catalog.registry().version_tag().await?;
        let memo = catalog.code_memo();
        let mut out = HashMap::new();
        for (list, code) in wanted {
            let key = (list, code);
            let item = match memo.get(head, &key) {
                Some(item) => item,
                None => {
                    let item = match catalog.registry().item(&key.0, &key.1, None, None).await {
                        Ok(view) => Some(view.data),
                        Err(
                            registry::RegistryError::ItemNotFound { .. }
                            | registry::RegistryError::ListNotFound(_),
                        ) => None,
                        Err(e) => return Err(e.into()),
                    };
                    memo.put(head, key.clone(), item.clone());
                    item
                }
            };
            if let Some(item) = item {
                out.insert(key, item);
            }
        }
        Ok(Self(out))
    }

    /// The lookup function the DCAT export takes.
    pub fn get(&self, list: &str, code: &str) -> Option<ItemData> {
        self.0.get(&(list.to_owned(), code.to_owned())).cloned()
    }
}

/// The release whose revision a record shows, if any.
fn shown_release(
    releases: &[crate::store::Release],
    record: &DatasetRecord,
) -> Option<crate::store::Release> {
    releases
        .iter()
        .rev()
        .find(|r| r.revision == record.revision)
        .cloned()
}

/// The versions of many records and the release each shows, with one query for all their releases.
async fn versions_of(
    catalog: &Catalog,
    records: &[DatasetRecord],
) -> Result<(Vec<Versions>, Vec<Option<crate::store::Release>>), CatalogError> {
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let mut known = catalog.releases_of(&ids).await?;
    let mut all_versions = Vec::with_capacity(records.len());
    let mut shown = Vec::with_capacity(records.len());
    for r in records {
        let releases = known.remove(&r.id).unwrap_or_default();
        shown.push(shown_release(&releases, r));
        all_versions.push(versions(catalog, r, releases).await?);
    }
    Ok((all_versions, shown))
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
    links: &'a [Link],
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
        uri: None,
        file_revision: None,
        links,
    }
}

/// A link from a dataset node to another resource.
type Link = (oxrdf::NamedNodeRef<'static>, String);

/// The releases of a record with their frozen content, and the record's links to them (DCAT 3 versioning:
/// `dcat:hasVersion`, `dcat:hasCurrentVersion`; each release `dct:isVersionOf` the dataset and `dcat:previousVersion`
/// its predecessor; never `owl:sameAs`).
struct Versions {
    releases: Vec<(crate::store::Release, DatasetRecord, Vec<Link>)>,
    links: Vec<Link>,
}

async fn versions(
    catalog: &Catalog,
    record: &DatasetRecord,
    releases: Vec<crate::store::Release>,
) -> Result<Versions, CatalogError> {
    let mut links: Vec<Link> = releases
        .iter()
        .map(|r| (vocab::dcat::HAS_VERSION, r.uri.clone()))
        .collect();
    if let Some(last) = releases.last() {
        links.push((vocab::dcat::HAS_CURRENT_VERSION, last.uri.clone()));
    }
    let mut out = Vec::with_capacity(releases.len());
    let mut previous: Option<String> = None;
    for r in releases {
        let mut frozen = record.clone();
        frozen.content = catalog.revision(&record.id, r.revision).await?;
        frozen.revision = r.revision;
        let mut own = vec![(vocab::dct::IS_VERSION_OF, record.uri.clone())];
        if let Some(p) = previous.replace(r.uri.clone()) {
            own.push((vocab::dcat::PREVIOUS_VERSION, p));
        }
        out.push((r, frozen, own));
    }
    Ok(Versions {
        releases: out,
        links,
    })
}

fn version_triples(ctx: &DcatContext, versions: &Versions) -> Vec<Triple> {
    let mut out = Vec::new();
    for (release, frozen, links) in &versions.releases {
        let mut d = exported(frozen, Some(release), links);
        d.uri = Some(&release.uri);
        d.file_revision = Some(release.revision);
        out.extend(dataset_triples(ctx, &d));
    }
    out
}

/// The triples of one published dataset and its releases.
pub async fn dataset_graph(
    catalog: &Catalog,
    record: &DatasetRecord,
) -> Result<Vec<Triple>, CatalogError> {
    let known = catalog.releases(&record.id).await?;
    let release = shown_release(&known, record);
    let versions = versions(catalog, record, known).await?;
    let mut all: Vec<&DatasetRecord> = vec![record];
    all.extend(versions.releases.iter().map(|(_, frozen, _)| frozen));
    let cache = CodeCache::load(catalog, &all, None).await?;
    let lookup = |l: &str, c: &str| cache.get(l, c);
    let ctx = DcatContext {
        base_uri: catalog.registry().base_uri(),
        lookup: &lookup,
    };
    let mut triples = dataset_triples(&ctx, &exported(record, release.as_ref(), &versions.links));
    triples.extend(version_triples(&ctx, &versions));
    Ok(triples)
}

/// The triples of a catalog page (or, without paging, of the given datasets), with the datasets' releases, grouped
/// by subject.
pub async fn catalog_graph(
    catalog: &Catalog,
    info: &CatalogInfo,
    records: &[DatasetRecord],
    paging: Option<&Paging>,
) -> Result<Vec<Triple>, CatalogError> {
    catalog_graph_in(catalog, info, records, paging, TripleOrder::BySubject).await
}

/// [`catalog_graph`] in the given order (N-Triples need no grouping).
pub async fn catalog_graph_in(
    catalog: &Catalog,
    info: &CatalogInfo,
    records: &[DatasetRecord],
    paging: Option<&Paging>,
    order: TripleOrder,
) -> Result<Vec<Triple>, CatalogError> {
    let started = std::time::Instant::now();
    let (all_versions, releases) = versions_of(catalog, records).await?;
    let versioned = started.elapsed();
    let mut refs: Vec<&DatasetRecord> = records.iter().collect();
    refs.extend(
        all_versions
            .iter()
            .flat_map(|v| v.releases.iter().map(|(_, frozen, _)| frozen)),
    );
    let cache = CodeCache::load(catalog, &refs, Some(info)).await?;
    let coded = started.elapsed();
    let datasets: Vec<ExportedDataset> = records
        .iter()
        .zip(&releases)
        .zip(&all_versions)
        .map(|((r, rel), v)| exported(r, rel.as_ref(), &v.links))
        .collect();
    let lookup = |l: &str, c: &str| cache.get(l, c);
    let ctx = DcatContext {
        base_uri: catalog.registry().base_uri(),
        lookup: &lookup,
    };
    let mut triples = catalog_triples_in(&ctx, info, &datasets, paging, order);
    for v in &all_versions {
        triples.extend(version_triples(&ctx, v));
    }
    tracing::debug!(
        releases_ms = versioned.as_secs_f64() * 1e3,
        codes_ms = (coded - versioned).as_secs_f64() * 1e3,
        triples_ms = (started.elapsed() - coded).as_secs_f64() * 1e3,
        "catalog graph"
    );
    Ok(triples)
}

/// The triples of each published dataset in `records`, separately (one graph per dataset), with one registry lookup
/// for all of them.
pub async fn dataset_graphs(
    catalog: &Catalog,
    records: &[DatasetRecord],
) -> Result<Vec<Vec<Triple>>, CatalogError> {
    let (all_versions, releases) = versions_of(catalog, records).await?;
    let mut refs: Vec<&DatasetRecord> = records.iter().collect();
    refs.extend(
        all_versions
            .iter()
            .flat_map(|v| v.releases.iter().map(|(_, frozen, _)| frozen)),
    );
    let cache = CodeCache::load(catalog, &refs, None).await?;
    let lookup = |l: &str, c: &str| cache.get(l, c);
    let ctx = DcatContext {
        base_uri: catalog.registry().base_uri(),
        lookup: &lookup,
    };
    Ok(records
        .iter()
        .zip(&releases)
        .zip(&all_versions)
        .map(|((r, rel), v)| {
            let mut t = dataset_triples(&ctx, &exported(r, rel.as_ref(), &v.links));
            t.extend(version_triples(&ctx, v));
            t
        })
        .collect())
}
