//! The catalogue node: the catalogue itself, its data services (the DCAT, SPARQL, CKAN and tabular APIs) and the
//! Hydra paging of a partial catalogue.
use oxrdf::NamedNode;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use vocab::{dcat, dct, foaf, hydra, rdfs};

use super::*;

impl Export<'_, '_> {
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

        let nodes: Vec<NamedNode> = datasets.iter().map(|d| self.dataset(d)).collect();
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
        let last = paging.total.div_ceil(paging.page_size.max(1)).max(1);
        let page = paging.page.max(1);
        let extra = paging.extra_query.trim_start_matches(['?', '&']);
        let url = |n: u64| {
            let sep = if extra.is_empty() { "" } else { "&" };
            minted(format!("{}?page={n}{sep}{extra}", paging.view_base))
        };
        let view = url(page);
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
        let mut links = vec![
            (hydra::FIRST, hydra::FIRST_PAGE, 1),
            (hydra::LAST, hydra::LAST_PAGE, last),
        ];
        if page < last {
            links.push((hydra::NEXT, hydra::NEXT_PAGE, page + 1));
        }
        if page > 1 {
            links.push((hydra::PREVIOUS, hydra::PREVIOUS_PAGE, (page - 1).min(last)));
        }
        for (current, deprecated, n) in links {
            let link = match &paging.next_after {
                Some(after) if current == hydra::NEXT => minted(format!(
                    "{}&after={}",
                    url(n).as_str(),
                    utf8_percent_encode(after, NON_ALPHANUMERIC)
                )),
                _ => url(n),
            };
            self.graph.add(view.clone(), current, link.clone());
            self.graph.add(view.clone(), deprecated, link);
        }
    }
}
