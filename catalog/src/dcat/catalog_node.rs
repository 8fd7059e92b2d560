//! The catalogue node: the catalogue itself, its data services (the DCAT, SPARQL, CKAN and tabular APIs) and the
//! Hydra paging of a partial catalogue.
use oxrdf::NamedNode;
use vocab::{dcat, dct, foaf, hydra, rdfs};

use super::*;

/// Below this many datasets a page is built on one thread (threads cost more than they save).
pub(super) const PARALLEL_FROM: usize = 200;

impl Export<'_, '_> {
    /// Describes the datasets, on as many threads as the machine has cores for a large page: each thread builds the
    /// graph of a consecutive share, and the shares are merged in order (shared nodes described once), so the
    /// document is the one a single thread makes.
    fn datasets(&mut self, datasets: &[ExportedDataset]) -> Vec<NamedNode> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        if !self.parallel || threads < 2 || datasets.len() < PARALLEL_FROM {
            return datasets.iter().map(|d| self.dataset(d)).collect();
        }
        let share = datasets.len().div_ceil(threads);
        let ctx = self.ctx;
        let built: Vec<(Vec<NamedNode>, Graph)> = std::thread::scope(|scope| {
            let handles: Vec<_> = datasets
                .chunks(share)
                .map(|chunk| {
                    scope.spawn(move || {
                        let mut part =
                            Export::with_capacity(ctx, chunk.len() * TRIPLES_PER_DATASET);
                        let nodes = chunk.iter().map(|d| part.dataset(d)).collect();
                        (nodes, part.graph)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a dataset export thread panicked"))
                .collect()
        });
        let own_prefix = format!("{}/dataset/", self.base());
        let mut nodes = Vec::with_capacity(datasets.len());
        for (part_nodes, graph) in built {
            nodes.extend(part_nodes);
            self.graph.merge(graph, &own_prefix);
        }
        nodes
    }

    pub(super) fn catalog(
        &mut self,
        info: &CatalogInfo,
        datasets: &[ExportedDataset],
        paging: Option<&Paging>,
    ) {
        let catalog = minted(format!("{}/catalog", self.base()));
        self.graph.typed(catalog.clone(), dcat::CATALOG);
        self.graph.texts(catalog.clone(), dct::TITLE, &info.title);
        self.graph
            .texts(catalog.clone(), dct::DESCRIPTION, &info.description);
        let publisher = self.agent(&info.publisher);
        self.graph
            .add(catalog.clone(), dct::PUBLISHER, publisher.clone());
        if let Some(homepage) = &info.homepage {
            self.document(&catalog, foaf::HOMEPAGE, homepage);
        }
        for lang in &info.languages {
            self.language(&catalog, lang);
        }
        if let Some(code) = &info.licence {
            let licence = self.licence(code);
            self.graph.add(catalog.clone(), dct::LICENSE, licence);
        }
        if let Some(modified) = info.modified.as_deref().and_then(date_time) {
            self.graph.add(catalog.clone(), dct::MODIFIED, modified);
        }
        let scheme = self.theme_scheme();
        self.graph
            .add(catalog.clone(), dcat::THEME_TAXONOMY, scheme);

        let nodes = self.datasets(datasets);
        for node in &nodes {
            self.graph
                .add(catalog.clone(), dcat::DATASET_PROPERTY, node.clone());
        }
        self.services(&catalog, &publisher, &nodes);
        if let Some(paging) = paging {
            self.paging(&catalog, paging);
        }
    }

    /// The catalog's own APIs: the JSON API (described by its OpenAPI document) and the SPARQL endpoint.
    fn services(&mut self, catalog: &NamedNode, publisher: &NamedNode, datasets: &[NamedNode]) {
        let base = self.base().to_owned();
        let services = [
            (
                "api",
                format!("{base}/api/v1/datasets"),
                LangText::new(Some("API dữ liệu mở (JSON)"), Some("Open data API (JSON)")),
                LangText::new(
                    Some("Tìm kiếm và đọc siêu dữ liệu các bộ dữ liệu và tải dữ liệu."),
                    Some("Search and read dataset metadata and download the data."),
                ),
            ),
            (
                "sparql",
                format!("{base}/sparql"),
                LangText::new(Some("Điểm truy vấn SPARQL"), Some("SPARQL endpoint")),
                LangText::new(
                    Some(
                        "Truy vấn SPARQL trên đồ thị DCAT của danh mục và các danh mục mã dùng chung.",
                    ),
                    Some(
                        "SPARQL queries over the DCAT graph of the catalog and the shared code lists.",
                    ),
                ),
            ),
        ];
        for (name, endpoint, title, description) in services {
            let service = minted(format!("{}#{name}", catalog.as_str()));
            self.graph.typed(service.clone(), dcat::DATA_SERVICE);
            self.graph.texts(service.clone(), dct::TITLE, &title);
            self.graph
                .texts(service.clone(), dct::DESCRIPTION, &description);
            let endpoint = minted(endpoint);
            self.graph.typed(endpoint.clone(), rdfs::RESOURCE);
            self.graph
                .add(service.clone(), dcat::ENDPOINT_URL, endpoint);
            if name == "api" {
                let openapi = minted(format!("{base}/openapi.json"));
                self.graph.typed(openapi.clone(), rdfs::RESOURCE);
                self.graph
                    .add(service.clone(), dcat::ENDPOINT_DESCRIPTION, openapi);
            } else {
                let protocol = minted(SPARQL_PROTOCOL.to_owned());
                self.graph.typed(protocol.clone(), dct::STANDARD);
                self.graph.add(service.clone(), dct::CONFORMS_TO, protocol);
            }
            self.graph
                .add(service.clone(), dct::PUBLISHER, publisher.clone());
            for dataset in datasets {
                self.graph
                    .add(service.clone(), dcat::SERVES_DATASET, dataset.clone());
            }
            self.graph.add(catalog.clone(), dcat::SERVICE, service);
        }
    }

    fn paging(&mut self, catalog: &NamedNode, paging: &Paging) {
        let view = minted(paging.view());
        self.graph.typed(catalog.clone(), hydra::COLLECTION);
        self.graph
            .add(catalog.clone(), hydra::TOTAL_ITEMS, count(paging.total));
        self.graph.add(catalog.clone(), hydra::VIEW, view.clone());
        self.graph
            .typed(view.clone(), hydra::PARTIAL_COLLECTION_VIEW);
        self.graph.typed(view.clone(), hydra::PAGED_COLLECTION);
        self.graph
            .add(view.clone(), hydra::TOTAL_ITEMS, count(paging.total));
        self.graph
            .add(view.clone(), hydra::ITEMS_PER_PAGE, count(paging.page_size));
        for (rel, url) in paging.links() {
            let (current, deprecated) = match rel {
                PageRel::First => (hydra::FIRST, hydra::FIRST_PAGE),
                PageRel::Last => (hydra::LAST, hydra::LAST_PAGE),
                PageRel::Next => (hydra::NEXT, hydra::NEXT_PAGE),
                PageRel::Previous => (hydra::PREVIOUS, hydra::PREVIOUS_PAGE),
            };
            let link = minted(url);
            self.graph.add(view.clone(), current, link.clone());
            self.graph.add(view.clone(), deprecated, link);
        }
    }
}
