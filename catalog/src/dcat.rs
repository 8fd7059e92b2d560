//! The DCAT-AP 3.0.1 graph of the catalog and its datasets, serialized by [`registry::skos::serialize`].
//!
//! Codes become IRIs in two ways. Where the registry item maps to an EU Vocabularies concept (`skos:exactMatch`, else
//! `skos:closeMatch`; licences only by exact match), the EU IRI is used, because that is what DCAT-AP validators and the
//! EU portal understand; otherwise the registry item URI stands in. Themes carry both, so a consumer keeps our finer
//! theme and the EU data theme DCAT-AP asks for.
//!
//! Every node the graph points to is typed with the class the DCAT-AP range shapes expect (`foaf:Agent`,
//! `dct:LicenseDocument`, `skos:Concept` with a `skos:prefLabel`, ...), so one document validates on its own, with
//! `validate-dcat-ap --ranges`, without fetching the EU vocabularies.
//!
//! A paged catalogue is a Hydra collection: the catalogue node is a `hydra:Collection` whose `hydra:view` is the page,
//! typed both `hydra:PartialCollectionView` (current Hydra, read by udata) and the deprecated `hydra:PagedCollection`
//! with `hydra:nextPage` and friends (read by ckanext-dcat and the harvesters built on it).
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, SecondsFormat};
use oxrdf::{BlankNode, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple};
use registry::model::{ItemData, LangText};
use registry::store::encode_segment;
use vocab::{adms, dcat, dct, foaf, hydra, rdf, rdfs, skos, spdx, vcard, xsd};

use crate::model::{DatasetContent, Distribution, Keywords, LANGUAGES};

/// What the export needs to know about the deployment and the registry.
pub struct DcatContext<'a> {
    /// Base URI, no trailing slash, e.g. `https://data.example.gov.vn`. Dataset URI = `{base}/dataset/{id}`,
    /// distribution URI = `{base}/dataset/{id}/distribution/{distribution id}`, catalog URI = `{base}/catalog`,
    /// registry item URI = `{base}/registry/{list}/{code}` (as `registry::store::Registry::item_uri`).
    pub base_uri: &'a str,
    /// Looks up a registry item: (list id, code) -> item. Used to map codes to EU vocabulary URIs via the item's
    /// exact_match (else close_match) IRIs, and for labels (e.g. the publisher agency's name for foaf:name).
    pub lookup: &'a dyn Fn(&str, &str) -> Option<ItemData>,
}

/// The catalog's own description (configurable by the deployment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogInfo {
    /// Title (`dct:title`, mandatory).
    pub title: LangText,
    /// Description (`dct:description`, mandatory).
    pub description: LangText,
    /// Publisher: a code of the `agencies` list (mandatory).
    pub publisher: String,
    /// The catalog's home page.
    pub homepage: Option<String>,
    /// Languages of the catalog's metadata (`vi`, `en`).
    pub languages: Vec<String>,
    /// Licence of the metadata: a code of the `licences` list.
    pub licence: Option<String>,
    /// Last change of the catalog, RFC 3339.
    pub modified: Option<String>,
}

/// One published dataset as exported.
#[derive(Debug, Clone, Copy)]
pub struct ExportedDataset<'a> {
    /// Dataset id.
    pub id: &'a str,
    /// The published revision's content.
    pub content: &'a DatasetContent,
    /// First publication, RFC 3339 (used for `dct:issued` unless the content gives a date of formal issuance).
    pub issued: &'a str,
    /// Last change, RFC 3339.
    pub modified: &'a str,
    /// The release's version, when the published revision is a release.
    pub version: Option<&'a str>,
    /// The release's notes.
    pub version_notes: Option<&'a LangText>,
    /// The node's URI when it is not `{base}/dataset/{id}` (a release: `{base}/dataset/{id}/releases/{version}`).
    pub uri: Option<&'a str>,
    /// The revision whose files an uploaded distribution's download URL must serve (a release's), if not the
    /// published one.
    pub file_revision: Option<i64>,
    /// Extra links from the dataset node to other resources (`dcat:hasVersion`, `dcat:previousVersion`, ...).
    pub links: &'a [(NamedNodeRef<'static>, String)],
}

/// Hydra paging of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// The page shown, from 1.
    pub page: u64,
    /// Datasets per page.
    pub page_size: u64,
    /// Datasets in the whole (filtered) catalog.
    pub total: u64,
    /// Base URL of the paged catalog without query, e.g. `{base}/catalog`.
    pub view_base: String,
    /// Extra query (e.g. `modified_since=...`) kept on every page link, may be empty.
    pub extra_query: String,
}

/// The triples of one dataset, its distributions and every node they point to.
pub fn dataset_triples(ctx: &DcatContext, d: &ExportedDataset) -> Vec<Triple> {
    let mut export = Export::new(ctx);
    export.dataset(d);
    export.graph.into_triples()
}

/// The triples of the catalog, all given datasets (with their distributions) and the catalog's data services.
pub fn catalog_triples(
    ctx: &DcatContext,
    info: &CatalogInfo,
    datasets: &[ExportedDataset],
    paging: Option<&Paging>,
) -> Vec<Triple> {
    let mut export = Export::new(ctx);
    export.catalog(info, datasets, paging);
    export.graph.into_triples()
}

/// EU Vocabularies authority tables live under this base, one folder per table.
const EU_AUTHORITY: &str = "http://publications.europa.eu/resource/authority/";
/// The EU data-theme table, DCAT-AP's mandatory theme taxonomy.
const DATA_THEME: &str = "http://publications.europa.eu/resource/authority/data-theme";
/// The EU data themes with their English labels, so a theme can be typed `skos:Concept` (which needs a label) without
/// fetching the vocabulary.
const DATA_THEMES: &[(&str, &str)] = &[
    ("AGRI", "Agriculture, fisheries, forestry and food"),
    ("ECON", "Economy and finance"),
    ("EDUC", "Education, culture and sport"),
    ("ENER", "Energy"),
    ("ENVI", "Environment"),
    ("GOVE", "Government and public sector"),
    ("HEAL", "Health"),
    ("INTR", "International issues"),
    ("JUST", "Justice, legal system and public safety"),
    ("OP_DATPRO", "Provisional data"),
    ("REGI", "Regions and cities"),
    ("SOCI", "Population and society"),
    ("TECH", "Science and technology"),
    ("TRAN", "Transport"),
];
/// The EU theme for data not yet classified, used when none of a dataset's themes maps to an EU theme: DCAT-AP asks
/// for at least one.
const UNCLASSIFIED_THEME: &str = "OP_DATPRO";
const IANA_MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";
const SPARQL_PROTOCOL: &str = "https://www.w3.org/TR/sparql11-protocol/";

/// Triples in insertion order, without duplicates (shared nodes such as a publisher are described once).
#[derive(Default)]
struct Graph {
    triples: Vec<Triple>,
    seen: HashSet<Triple>,
}

impl Graph {
    fn add(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNodeRef<'_>, o: impl Into<Term>) {
        let triple = Triple::new(s, p, o);
        if self.seen.insert(triple.clone()) {
            self.triples.push(triple);
        }
    }

    /// The triples grouped by subject, subjects in order of first appearance, so Turtle and JSON-LD describe each
    /// node in one block.
    fn into_triples(self) -> Vec<Triple> {
        let mut first_seen: HashMap<NamedOrBlankNode, usize> = HashMap::new();
        for t in &self.triples {
            let next = first_seen.len();
            first_seen.entry(t.subject.clone()).or_insert(next);
        }
        let mut triples = self.triples;
        triples.sort_by_key(|t| first_seen[&t.subject]);
        triples
    }

    fn typed(&mut self, s: impl Into<NamedOrBlankNode>, class: NamedNodeRef<'_>) {
        self.add(s, rdf::TYPE, class);
    }

    fn texts(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNodeRef<'_>, text: &LangText) {
        let s = s.into();
        for (lang, value) in [("vi", &text.vi), ("en", &text.en)] {
            if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                self.add(
                    s.clone(),
                    p,
                    Literal::new_language_tagged_literal_unchecked(v, lang),
                );
            }
        }
    }
}

/// An IRI we mint from the configured base and percent-encoded segments.
fn minted(iri: String) -> NamedNode {
    NamedNode::new(iri.clone()).unwrap_or_else(|_| NamedNode::new_unchecked(iri))
}

/// An IRI given by a user or another system: dropped when invalid rather than producing an unparsable document.
fn given_iri(iri: &str) -> Option<NamedNode> {
    NamedNode::new(iri.trim()).ok()
}

/// An RFC 3339 timestamp as `xsd:dateTime` (a bare date as `xsd:date`).
fn date_time(text: &str) -> Option<Literal> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        let lexical = t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        return Some(Literal::new_typed_literal(lexical, xsd::DATE_TIME));
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .map(date)
}

fn date(d: NaiveDate) -> Literal {
    Literal::new_typed_literal(d.to_string(), xsd::DATE)
}

fn count(n: u64) -> Literal {
    Literal::new_typed_literal(n.to_string(), xsd::NON_NEGATIVE_INTEGER)
}

/// The IANA IRI of a media type (`text/csv; charset=utf-8` -> `.../media-types/text/csv`).
fn media_type_iri(media_type: &str) -> Option<NamedNode> {
    let essence = media_type.split(';').next()?.trim().to_ascii_lowercase();
    let (kind, subtype) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    (token(kind) && token(subtype)).then(|| minted(format!("{IANA_MEDIA_TYPES}{essence}")))
}

/// The IRIs `item` maps to in the EU authority table `table`: its exact matches, else (when allowed) its close ones.
fn eu_matches(item: &ItemData, table: &str, allow_close: bool) -> Vec<NamedNode> {
    let prefix = format!("{EU_AUTHORITY}{table}/");
    let pick = |iris: &[String]| -> Vec<NamedNode> {
        iris.iter()
            .filter(|iri| iri.starts_with(&prefix))
            .filter_map(|iri| given_iri(iri))
            .collect()
    };
    let exact = pick(&item.exact_match);
    if exact.is_empty() && allow_close {
        pick(&item.close_match)
    } else {
        exact
    }
}

/// Builds one document: the graph plus a cache of registry look-ups (a catalogue page asks for the same publisher,
/// licence and formats many times).
struct Export<'c, 'a> {
    ctx: &'c DcatContext<'a>,
    items: HashMap<(String, String), Option<ItemData>>,
    graph: Graph,
}

impl<'c, 'a> Export<'c, 'a> {
    fn new(ctx: &'c DcatContext<'a>) -> Self {
        Self {
            ctx,
            items: HashMap::new(),
            graph: Graph::default(),
        }
    }

    fn base(&self) -> &str {
        self.ctx.base_uri.trim_end_matches('/')
    }

    fn item(&mut self, list: &str, code: &str) -> Option<ItemData> {
        let lookup = self.ctx.lookup;
        self.items
            .entry((list.to_owned(), code.to_owned()))
            .or_insert_with(|| lookup(list, code))
            .clone()
    }

    fn item_uri(&self, list: &str, code: &str) -> NamedNode {
        minted(format!(
            "{}/registry/{}/{}",
            self.base(),
            encode_segment(list),
            encode_segment(code)
        ))
    }

    fn dataset_uri(&self, id: &str) -> String {
        format!("{}/dataset/{}", self.base(), encode_segment(id))
    }

    /// Labels of a registry item as `p`, falling back to the code so that a required label is never missing.
    fn labels(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, item: Option<&ItemData>, code: &str) {
        match item.filter(|i| !i.labels.is_empty()) {
            Some(item) => self.graph.texts(s.clone(), p, &item.labels),
            None => self
                .graph
                .add(s.clone(), p, Literal::new_simple_literal(code)),
        }
    }

    /// An agency as a `foaf:Agent` named after its labels.
    fn agent(&mut self, code: &str) -> NamedNode {
        let node = self.item_uri("agencies", code);
        let item = self.item("agencies", code);
        self.graph.typed(node.clone(), foaf::AGENT);
        self.labels(&node, foaf::NAME, item.as_ref(), code);
        node
    }

    /// A code as its EU concept when the item maps to one, else as the registry item; typed `class` either way.
    fn coded(
        &mut self,
        list: &str,
        code: &str,
        table: &str,
        allow_close: bool,
        class: NamedNodeRef<'_>,
    ) -> NamedNode {
        let item = self.item(list, code);
        let eu = item
            .as_ref()
            .and_then(|i| eu_matches(i, table, allow_close).into_iter().next());
        let node = match eu {
            Some(eu) => eu,
            None => {
                let node = self.item_uri(list, code);
                if let Some(item) = &item {
                    self.graph
                        .texts(node.clone(), skos::PREF_LABEL, &item.labels);
                }
                node
            }
        };
        self.graph.typed(node.clone(), class);
        node
    }

    fn licence(&mut self, code: &str) -> NamedNode {
        // An EU licence IRI only by exact match: a close licence is a different legal text.
        self.coded("licences", code, "licence", false, dct::LICENSE_DOCUMENT)
    }

    fn language(&mut self, s: &NamedNode, lang: &str) {
        if let Some((_, eu)) = LANGUAGES.iter().find(|(l, _)| *l == lang) {
            let node = minted(format!("{EU_AUTHORITY}language/{eu}"));
            self.graph.typed(node.clone(), dct::LINGUISTIC_SYSTEM);
            self.graph.add(s.clone(), dct::LANGUAGE, node);
        }
    }

    fn document(&mut self, s: &NamedNode, p: NamedNodeRef<'_>, iri: &str) {
        if let Some(page) = given_iri(iri) {
            self.graph.typed(page.clone(), foaf::DOCUMENT);
            self.graph.add(s.clone(), p, page);
        }
    }

    fn theme_scheme(&mut self) -> NamedNode {
        let scheme = minted(DATA_THEME.to_owned());
        self.graph.typed(scheme.clone(), skos::CONCEPT_SCHEME);
        self.graph.add(
            scheme.clone(),
            dct::TITLE,
            Literal::new_language_tagged_literal_unchecked("Data theme", "en"),
        );
        scheme
    }

    fn eu_theme(&mut self, dataset: &NamedNode, theme: NamedNode) {
        let code = theme
            .as_str()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let label = DATA_THEMES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(code.as_str(), |(_, label)| label);
        let label = Literal::new_language_tagged_literal_unchecked(label, "en");
        let scheme = self.theme_scheme();
        self.graph.typed(theme.clone(), skos::CONCEPT);
        self.graph.add(theme.clone(), skos::PREF_LABEL, label);
        self.graph.add(theme.clone(), skos::IN_SCHEME, scheme);
        self.graph.add(dataset.clone(), dcat::THEME, theme);
    }

    /// The dataset's registry themes and the EU data themes they map to (at least one).
    fn themes(&mut self, dataset: &NamedNode, codes: &[String]) {
        let mut any_eu = false;
        for code in codes {
            let item = self.item("themes", code);
            let concept = self.item_uri("themes", code);
            self.graph.typed(concept.clone(), skos::CONCEPT);
            self.labels(&concept, skos::PREF_LABEL, item.as_ref(), code);
            self.graph.add(dataset.clone(), dcat::THEME, concept);
            for eu in item.iter().flat_map(|i| eu_matches(i, "data-theme", true)) {
                any_eu = true;
                self.eu_theme(dataset, eu);
            }
        }
        if !any_eu {
            let fallback = minted(format!("{DATA_THEME}/{UNCLASSIFIED_THEME}"));
            self.eu_theme(dataset, fallback);
        }
    }

    fn keywords(&mut self, dataset: &NamedNode, keywords: &Keywords) {
        for (lang, words) in [("vi", &keywords.vi), ("en", &keywords.en)] {
            for w in words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
                let lit = Literal::new_language_tagged_literal_unchecked(w, lang);
                self.graph.add(dataset.clone(), dcat::KEYWORD, lit);
            }
        }
    }

    fn dataset(&mut self, d: &ExportedDataset) -> NamedNode {
        let c = d.content;
        let node = minted(d.uri.map_or_else(|| self.dataset_uri(d.id), str::to_owned));
        self.graph.typed(node.clone(), dcat::DATASET);
        for (predicate, target) in d.links {
            self.graph
                .add(node.clone(), *predicate, minted(target.clone()));
        }
        self.graph.add(
            node.clone(),
            dct::IDENTIFIER,
            Literal::new_simple_literal(d.id),
        );
        self.graph.texts(node.clone(), dct::TITLE, &c.title);
        self.graph
            .texts(node.clone(), dct::DESCRIPTION, &c.description);
        let publisher = self.agent(&c.publisher);
        self.graph.add(node.clone(), dct::PUBLISHER, publisher);
        if let Some(contact) = &c.contact_point {
            let card = BlankNode::default();
            self.graph.typed(card.clone(), vcard::KIND);
            self.graph.add(
                card.clone(),
                vcard::FN,
                Literal::new_simple_literal(contact.name.trim()),
            );
            if let Some(email) = contact
                .email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
            {
                let mailto = if email.starts_with("mailto:") {
                    email.to_owned()
                } else {
                    format!("mailto:{email}")
                };
                if let Some(mailto) = given_iri(&mailto) {
                    self.graph.add(card.clone(), vcard::HAS_EMAIL, mailto);
                }
            }
            self.graph.add(node.clone(), dcat::CONTACT_POINT, card);
        }
        self.themes(&node, &c.themes);
        self.keywords(&node, &c.keywords);
        for code in &c.spatial {
            let item = self.item("administrative-units", code);
            let place = self.item_uri("administrative-units", code);
            self.graph.typed(place.clone(), dct::LOCATION);
            if let Some(item) = &item {
                self.graph
                    .texts(place.clone(), skos::PREF_LABEL, &item.labels);
            }
            self.graph.add(node.clone(), dct::SPATIAL, place);
        }
        if let Some(period) = &c.temporal
            && (period.start.is_some() || period.end.is_some())
        {
            let p = BlankNode::default();
            self.graph.typed(p.clone(), dct::PERIOD_OF_TIME);
            if let Some(start) = period.start {
                self.graph.add(p.clone(), dcat::START_DATE, date(start));
            }
            if let Some(end) = period.end {
                self.graph.add(p.clone(), dcat::END_DATE, date(end));
            }
            self.graph.add(node.clone(), dct::TEMPORAL, p);
        }
        if let Some(code) = &c.frequency {
            let f = self.coded("frequencies", code, "frequency", true, dct::FREQUENCY);
            self.graph.add(node.clone(), dct::ACCRUAL_PERIODICITY, f);
        }
        for lang in &c.languages {
            self.language(&node, lang);
        }
        if let Some(code) = &c.access_right {
            let r = self.coded(
                "access-rights",
                code,
                "access-right",
                true,
                dct::RIGHTS_STATEMENT,
            );
            self.graph.add(node.clone(), dct::ACCESS_RIGHTS, r);
        }
        if let Some(page) = &c.landing_page {
            self.document(&node, dcat::LANDING_PAGE, page);
        }
        for standard in c.conforms_to.iter().filter_map(|s| given_iri(s)) {
            self.graph.typed(standard.clone(), dct::STANDARD);
            self.graph.add(node.clone(), dct::CONFORMS_TO, standard);
        }
        // The publisher's date of formal issuance wins over our first publication: DCAT-AP allows one dct:issued.
        let issued = c.issued.map(date).or_else(|| date_time(d.issued));
        if let Some(issued) = issued {
            self.graph.add(node.clone(), dct::ISSUED, issued);
        }
        // Likewise the source's date of its latest change wins over the time of our latest revision.
        if let Some(modified) = c.modified.map(date).or_else(|| date_time(d.modified)) {
            self.graph.add(node.clone(), dct::MODIFIED, modified);
        }
        if let Some(version) = d.version {
            self.graph.add(
                node.clone(),
                dcat::VERSION,
                Literal::new_simple_literal(version),
            );
        }
        if let Some(notes) = d.version_notes {
            self.graph.texts(node.clone(), adms::VERSION_NOTES, notes);
        }
        for dist in &c.distributions {
            let dist = self.distribution(d, dist);
            self.graph
                .add(node.clone(), dcat::DISTRIBUTION_PROPERTY, dist);
        }
        node
    }

    fn distribution(&mut self, d: &ExportedDataset, dist: &Distribution) -> NamedNode {
        let dataset_uri = d.uri.map_or_else(|| self.dataset_uri(d.id), str::to_owned);
        let uri = format!("{dataset_uri}/distribution/{}", encode_segment(&dist.id));
        let node = minted(uri.clone());
        // Files are served from the dataset's own distribution URL, for a release with its revision.
        let file_url = format!(
            "{}/distribution/{}/download{}",
            self.dataset_uri(d.id),
            encode_segment(&dist.id),
            d.file_revision
                .map(|r| format!("?revision={r}"))
                .unwrap_or_default()
        );
        self.graph.typed(node.clone(), dcat::DISTRIBUTION);
        self.graph.texts(node.clone(), dct::TITLE, &dist.title);
        self.graph
            .texts(node.clone(), dct::DESCRIPTION, &dist.description);

        let uploaded = dist.file_sha256.is_some();
        let download = if uploaded {
            Some(minted(file_url))
        } else {
            dist.download_url.as_deref().and_then(given_iri)
        };
        let mut access: Vec<NamedNode> = dist
            .access_url
            .as_deref()
            .and_then(given_iri)
            .into_iter()
            .collect();
        if access.is_empty() || uploaded {
            access.extend(download.clone());
        }
        if access.is_empty() {
            // DCAT-AP requires an access URL; the dataset's own page is where the data can be reached from.
            access.push(minted(dataset_uri));
        }
        for url in access {
            self.graph.add(node.clone(), dcat::ACCESS_URL, url);
        }
        if let Some(url) = download {
            self.graph.add(node.clone(), dcat::DOWNLOAD_URL, url);
        }

        let format_item = dist
            .format
            .as_deref()
            .map(|code| (code, self.item("file-types", code)));
        if let Some((code, _)) = format_item {
            let format = self.coded(
                "file-types",
                code,
                "file-type",
                true,
                dct::MEDIA_TYPE_OR_EXTENT,
            );
            self.graph.add(node.clone(), dct::FORMAT, format);
        }
        let media_type = dist.media_type.clone().or_else(|| {
            format_item.and_then(|(_, item)| item).and_then(|item| {
                item.attributes
                    .get("mediaType")?
                    .as_str()
                    .map(str::to_owned)
            })
        });
        if let Some(media_type) = media_type.as_deref().and_then(media_type_iri) {
            self.graph.typed(media_type.clone(), dct::MEDIA_TYPE);
            self.graph.add(node.clone(), dcat::MEDIA_TYPE, media_type);
        }
        if let Some(size) = dist.byte_size {
            self.graph.add(node.clone(), dcat::BYTE_SIZE, count(size));
        }
        if let Some(sha256) = dist
            .file_sha256
            .as_deref()
            .map(str::trim)
            .filter(|h| is_hex(h))
        {
            let checksum = BlankNode::default();
            self.graph.typed(checksum.clone(), spdx::CHECKSUM_CLASS);
            self.graph.typed(spdx::SHA256, spdx::CHECKSUM_ALGORITHM);
            self.graph
                .add(checksum.clone(), spdx::ALGORITHM, spdx::SHA256);
            let value = Literal::new_typed_literal(sha256.to_ascii_lowercase(), xsd::HEX_BINARY);
            self.graph
                .add(checksum.clone(), spdx::CHECKSUM_VALUE, value);
            self.graph.add(node.clone(), spdx::CHECKSUM, checksum);
        }
        if let Some(code) = dist.licence.as_ref().or(d.content.licence.as_ref()) {
            let licence = self.licence(code);
            self.graph.add(node.clone(), dct::LICENSE, licence);
        }
        node
    }

    fn catalog(
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
            self.graph.add(view.clone(), current, url(n));
            self.graph.add(view.clone(), deprecated, url(n));
        }
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::process::Command;

    use registry::skos::{RdfKind, serialize};
    use serde_json::json;

    use super::*;

    const BASE: &str = "https://data.example.gov.vn";

    fn item(value: serde_json::Value) -> ItemData {
        serde_json::from_value(value).expect("fixture item")
    }

    fn items() -> Vec<(&'static str, ItemData)> {
        vec![
            (
                "agencies",
                item(
                    json!({"code": "G12", "labels": {"vi": "Bộ Y tế", "en": "Ministry of Health"}}),
                ),
            ),
            (
                "themes",
                item(json!({
                    "code": "health",
                    "labels": {"vi": "Y tế", "en": "Health"},
                    "exactMatch": ["http://publications.europa.eu/resource/authority/data-theme/HEAL"],
                })),
            ),
            (
                "themes",
                item(json!({
                    "code": "population",
                    "labels": {"vi": "Dân số", "en": "Population"},
                    "closeMatch": ["http://publications.europa.eu/resource/authority/data-theme/SOCI"],
                })),
            ),
            (
                "themes",
                item(json!({"code": "local", "labels": {"vi": "Địa phương"}})),
            ),
            (
                "licences",
                item(json!({
                    "code": "CC-BY-4.0",
                    "labels": {"vi": "CC BY 4.0"},
                    "exactMatch": ["http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"],
                })),
            ),
            (
                "file-types",
                item(json!({
                    "code": "CSV",
                    "labels": {"vi": "CSV"},
                    "exactMatch": ["http://publications.europa.eu/resource/authority/file-type/CSV"],
                    "attributes": {"mediaType": "text/csv"},
                })),
            ),
            (
                "frequencies",
                item(json!({
                    "code": "ANNUAL",
                    "labels": {"vi": "Hằng năm", "en": "Annual"},
                    "exactMatch": ["http://publications.europa.eu/resource/authority/frequency/ANNUAL"],
                })),
            ),
            (
                "access-rights",
                item(json!({
                    "code": "public",
                    "labels": {"vi": "Công khai", "en": "Public"},
                    "exactMatch": ["http://publications.europa.eu/resource/authority/access-right/PUBLIC"],
                })),
            ),
            (
                "administrative-units",
                item(json!({"code": "01", "labels": {"vi": "Thành phố Hà Nội", "en": "Ha Noi"}})),
            ),
        ]
    }

    fn lookup(list: &str, code: &str) -> Option<ItemData> {
        items()
            .into_iter()
            .find(|(l, i)| *l == list && i.code == code)
            .map(|(_, i)| i)
    }

    fn uploaded() -> DatasetContent {
        serde_json::from_value(json!({
            "title": {"vi": "Cơ sở khám chữa bệnh", "en": "Health facilities"},
            "description": {"vi": "Danh sách cơ sở khám chữa bệnh.", "en": "List of health facilities."},
            "publisher": "G12",
            "contactPoint": {"name": "Cục Công nghệ thông tin", "email": "data@moh.gov.vn"},
            "themes": ["health"],
            "keywords": {"vi": ["bệnh viện"], "en": ["hospital"]},
            "spatial": ["01"],
            "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
            "frequency": "ANNUAL",
            "languages": ["vi", "en"],
            "licence": "CC-BY-4.0",
            "accessRight": "public",
            "landingPage": "https://moh.gov.vn/du-lieu-mo",
            "conformsTo": ["https://example.gov.vn/standards/facility"],
            "distributions": [{
                "id": "csv-2024",
                "title": {"vi": "Tệp CSV 2024"},
                "fileSha256": "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
                "byteSize": 1234,
                "format": "CSV",
            }],
        }))
        .expect("fixture dataset")
    }

    fn external() -> DatasetContent {
        serde_json::from_value(json!({
            "title": {"vi": "Dân số theo tỉnh"},
            "description": {"vi": "Dân số trung bình theo tỉnh."},
            "publisher": "G12",
            "themes": ["population", "local"],
            "distributions": [{
                "id": "xlsx",
                "downloadUrl": "https://gso.gov.vn/files/dan-so.xlsx",
                "mediaType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "licence": "CC-BY-4.0",
            }],
        }))
        .expect("fixture dataset")
    }

    fn info() -> CatalogInfo {
        CatalogInfo {
            title: LangText::new(Some("Danh mục dữ liệu mở"), Some("Open data catalog")),
            description: LangText::new(
                Some("Dữ liệu mở của các cơ quan."),
                Some("Open data of the agencies."),
            ),
            publisher: "G12".into(),
            homepage: Some(format!("{BASE}/")),
            languages: vec!["vi".into(), "en".into()],
            licence: Some("CC-BY-4.0".into()),
            modified: Some("2025-03-01T08:00:00+07:00".into()),
        }
    }

    fn catalog(paging: Option<&Paging>) -> Vec<Triple> {
        let ctx = DcatContext {
            base_uri: BASE,
            lookup: &lookup,
        };
        let (a, b) = (uploaded(), external());
        let notes = LangText::new(Some("Bổ sung năm 2024"), Some("Adds 2024"));
        let datasets = [
            ExportedDataset {
                id: "co-so-kham-chua-benh",
                content: &a,
                issued: "2024-02-01T00:00:00Z",
                modified: "2025-01-15T10:30:00.5+07:00",
                version: Some("2"),
                version_notes: Some(&notes),
                uri: None,
                file_revision: None,
                links: &[],
            },
            ExportedDataset {
                id: "dan-so",
                content: &b,
                issued: "2024-03-01T00:00:00Z",
                modified: "2024-03-01T00:00:00Z",
                version: None,
                version_notes: None,
                uri: None,
                file_revision: None,
                links: &[],
            },
        ];
        catalog_triples(&ctx, &info(), &datasets, paging)
    }

    fn paging(page: u64) -> Paging {
        Paging {
            page,
            page_size: 2,
            total: 5,
            view_base: format!("{BASE}/catalog"),
            extra_query: "modified_since=2024-01-01".into(),
        }
    }

    /// A fresh temporary file name (tests run in parallel).
    fn temp_file(name: &str, ext: &str) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::env::temp_dir().join(format!("dcat-{name}-{}-{n}.{ext}", std::process::id()))
    }

    /// Runs `validate-dcat-ap` (core and range shapes) on `triples` in `kind` through the repository's
    /// `tests/rdf/dcat_ap_conforms.sh`, which works around the published shapes' dangling references
    /// (SEMICeu/DCAT-AP#448); returns its report on a violation.
    fn validate(name: &str, triples: &[Triple], kind: RdfKind) -> Result<(), String> {
        let (ext, fmt) = match kind {
            RdfKind::Turtle => ("ttl", "turtle"),
            RdfKind::JsonLd => ("jsonld", "json-ld"),
            RdfKind::RdfXml => ("rdf", "xml"),
            RdfKind::NTriples => ("nt", "nt"),
        };
        let path = temp_file(name, ext);
        std::fs::write(&path, serialize(triples, kind).expect("serializes")).expect("writes");
        let out = Command::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/rdf/dcat_ap_conforms.sh"
        ))
        .arg(&path)
        .arg(fmt)
        .output()
        .expect("runs dcat_ap_conforms.sh");
        let _ = std::fs::remove_file(&path);
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{name} ({fmt}) does not conform:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn assert_conforms(name: &str, triples: &[Triple], kind: RdfKind) {
        if let Err(report) = validate(name, triples, kind) {
            panic!("{report}");
        }
    }

    fn objects<'t>(
        triples: &'t [Triple],
        s: &NamedOrBlankNode,
        p: NamedNodeRef<'t>,
    ) -> Vec<&'t Term> {
        triples
            .iter()
            .filter(|t| &t.subject == s && t.predicate == p)
            .map(|t| &t.object)
            .collect()
    }

    fn subjects_of_type(triples: &[Triple], class: NamedNodeRef<'_>) -> Vec<NamedOrBlankNode> {
        triples
            .iter()
            .filter(|t| t.predicate == rdf::TYPE && t.object == class.into())
            .map(|t| t.subject.clone())
            .collect()
    }

    #[test]
    fn dcat_catalog_conforms_to_dcat_ap() {
        assert_conforms("catalog", &catalog(Some(&paging(2))), RdfKind::Turtle);
    }

    #[test]
    fn dcat_catalog_conforms_in_json_ld_and_rdf_xml() {
        let triples = catalog(None);
        assert_conforms("catalog", &triples, RdfKind::JsonLd);
        assert_conforms("catalog", &triples, RdfKind::RdfXml);
    }

    /// The checks above are only worth something if the validator (or its repaired shapes) can fail.
    #[test]
    fn dcat_validation_catches_violations() {
        let triples = catalog(None);
        let licence = Term::from(NamedNode::new_unchecked(format!(
            "{EU_AUTHORITY}licence/CC_BY_4_0"
        )));
        let untyped: Vec<Triple> = triples
            .iter()
            .filter(|t| !(t.predicate == rdf::TYPE && Term::from(t.subject.clone()) == licence))
            .cloned()
            .collect();
        let report = validate("untyped", &untyped, RdfKind::Turtle)
            .expect_err("an untyped licence violates");
        assert!(report.contains("ClassConstraintComponent"), "{report}");
        let without_endpoint: Vec<Triple> = triples
            .iter()
            .filter(|t| t.predicate != dcat::ENDPOINT_URL)
            .cloned()
            .collect();
        let report = validate("no-endpoint", &without_endpoint, RdfKind::Turtle)
            .expect_err("a service needs an endpoint");
        assert!(report.contains("MinCountConstraintComponent"), "{report}");
    }

    #[test]
    fn dcat_dataset_alone_conforms_to_dcat_ap() {
        let ctx = DcatContext {
            base_uri: BASE,
            lookup: &lookup,
        };
        let content = uploaded();
        let d = ExportedDataset {
            id: "co-so-kham-chua-benh",
            content: &content,
            issued: "2024-02-01T00:00:00Z",
            modified: "2024-02-01T00:00:00Z",
            version: None,
            version_notes: None,
            uri: None,
            file_revision: None,
            links: &[],
        };
        assert_conforms("dataset", &dataset_triples(&ctx, &d), RdfKind::Turtle);
    }

    #[test]
    fn dcat_every_dataset_has_an_eu_theme_and_every_upload_a_checksum() {
        let triples = catalog(None);
        let datasets = subjects_of_type(&triples, dcat::DATASET);
        assert_eq!(datasets.len(), 2);
        for d in &datasets {
            let eu_themes = objects(&triples, d, dcat::THEME)
                .into_iter()
                .filter(|o| matches!(o, Term::NamedNode(n) if n.as_str().starts_with(&format!("{DATA_THEME}/"))))
                .count();
            assert!(eu_themes >= 1, "{d} has no EU data theme");
        }
        let heal = NamedNode::new_unchecked(format!("{DATA_THEME}/HEAL"));
        let soci = NamedNode::new_unchecked(format!("{DATA_THEME}/SOCI"));
        let ds = |id: &str| {
            NamedOrBlankNode::from(NamedNode::new_unchecked(format!("{BASE}/dataset/{id}")))
        };
        assert!(
            objects(&triples, &ds("co-so-kham-chua-benh"), dcat::THEME).contains(&&heal.into())
        );
        // A close match counts when there is no exact one; the unmapped "local" theme adds nothing.
        assert!(objects(&triples, &ds("dan-so"), dcat::THEME).contains(&&soci.into()));

        let uploads: Vec<_> = [uploaded(), external()]
            .iter()
            .zip(["co-so-kham-chua-benh", "dan-so"])
            .flat_map(|(c, id)| {
                c.distributions
                    .iter()
                    .filter(|d| d.file_sha256.is_some())
                    .map(move |d| format!("{BASE}/dataset/{id}/distribution/{}", d.id))
            })
            .collect();
        assert_eq!(uploads.len(), 1);
        for uri in uploads {
            let dist = NamedOrBlankNode::from(NamedNode::new_unchecked(uri.clone()));
            let sums = objects(&triples, &dist, spdx::CHECKSUM);
            assert_eq!(sums.len(), 1, "{uri} has no checksum");
            let Term::BlankNode(sum) = sums[0] else {
                panic!("checksum is a blank node")
            };
            let values = objects(&triples, &sum.clone().into(), spdx::CHECKSUM_VALUE);
            assert_eq!(
                values,
                [&Term::from(Literal::new_typed_literal(
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    xsd::HEX_BINARY
                ))]
            );
            let download = NamedNode::new_unchecked(format!("{uri}/download"));
            assert_eq!(
                objects(&triples, &dist, dcat::ACCESS_URL),
                [&Term::from(download.clone())]
            );
            assert_eq!(
                objects(&triples, &dist, dcat::DOWNLOAD_URL),
                [&Term::from(download)]
            );
        }
        assert_eq!(subjects_of_type(&triples, spdx::CHECKSUM_CLASS).len(), 1);
    }

    #[test]
    fn dcat_codes_map_to_eu_vocabularies() {
        let triples = catalog(None);
        let eu = |path: &str| Term::from(NamedNode::new_unchecked(format!("{EU_AUTHORITY}{path}")));
        let has = |p: NamedNodeRef<'_>, o: &Term| {
            triples.iter().any(|t| t.predicate == p && &t.object == o)
        };
        assert!(has(dct::LICENSE, &eu("licence/CC_BY_4_0")));
        assert!(has(dct::FORMAT, &eu("file-type/CSV")));
        assert!(has(dct::ACCRUAL_PERIODICITY, &eu("frequency/ANNUAL")));
        assert!(has(dct::ACCESS_RIGHTS, &eu("access-right/PUBLIC")));
        assert!(has(dct::LANGUAGE, &eu("language/VIE")));
        let csv = Term::from(NamedNode::new_unchecked(format!(
            "{IANA_MEDIA_TYPES}text/csv"
        )));
        assert!(
            has(dcat::MEDIA_TYPE, &csv),
            "media type from the file-type item"
        );
        let agency = NamedOrBlankNode::from(NamedNode::new_unchecked(format!(
            "{BASE}/registry/agencies/G12"
        )));
        let names = objects(&triples, &agency, foaf::NAME);
        assert!(
            names
                .contains(&&Literal::new_language_tagged_literal_unchecked("Bộ Y tế", "vi").into())
        );
        // Shared nodes are described once.
        let agent_types = triples
            .iter()
            .filter(|t| t.subject == agency && t.predicate == rdf::TYPE)
            .count();
        assert_eq!(agent_types, 1);
    }

    #[test]
    fn dcat_dataset_without_an_eu_theme_gets_the_provisional_theme() {
        let ctx = DcatContext {
            base_uri: BASE,
            lookup: &lookup,
        };
        let mut content = external();
        content.themes = vec!["local".into()];
        let d = ExportedDataset {
            id: "dan-so",
            content: &content,
            issued: "2024-03-01T00:00:00Z",
            modified: "2024-03-01T00:00:00Z",
            version: None,
            version_notes: None,
            uri: None,
            file_revision: None,
            links: &[],
        };
        let triples = dataset_triples(&ctx, &d);
        let provisional = Term::from(NamedNode::new_unchecked(format!(
            "{DATA_THEME}/{UNCLASSIFIED_THEME}"
        )));
        assert!(
            triples
                .iter()
                .any(|t| t.predicate == dcat::THEME && t.object == provisional)
        );
    }

    #[test]
    fn dcat_paging_links_keep_the_extra_query() {
        let page = |n: u64| {
            Term::from(NamedNode::new_unchecked(format!(
                "{BASE}/catalog?page={n}&modified_since=2024-01-01"
            )))
        };
        let triples = catalog(Some(&paging(2)));
        let view = NamedOrBlankNode::from(NamedNode::new_unchecked(format!(
            "{BASE}/catalog?page=2&modified_since=2024-01-01"
        )));
        assert_eq!(objects(&triples, &view, hydra::FIRST), [&page(1)]);
        assert_eq!(objects(&triples, &view, hydra::PREVIOUS), [&page(1)]);
        assert_eq!(objects(&triples, &view, hydra::NEXT), [&page(3)]);
        assert_eq!(objects(&triples, &view, hydra::LAST), [&page(3)]);
        assert_eq!(objects(&triples, &view, hydra::NEXT_PAGE), [&page(3)]);
        assert_eq!(
            objects(&triples, &view, hydra::TOTAL_ITEMS),
            [&Term::from(count(5))]
        );
        let types = objects(&triples, &view, rdf::TYPE);
        assert!(types.contains(&&hydra::PARTIAL_COLLECTION_VIEW.into()));
        assert!(types.contains(&&hydra::PAGED_COLLECTION.into()));

        let last = catalog(Some(&paging(3)));
        let view = NamedOrBlankNode::from(NamedNode::new_unchecked(format!(
            "{BASE}/catalog?page=3&modified_since=2024-01-01"
        )));
        assert!(objects(&last, &view, hydra::NEXT).is_empty());
    }

    #[test]
    fn dcat_serializes_in_every_format() {
        let triples = catalog(Some(&paging(1)));
        for kind in [
            RdfKind::Turtle,
            RdfKind::JsonLd,
            RdfKind::RdfXml,
            RdfKind::NTriples,
        ] {
            let bytes = serialize(&triples, kind).expect("serializes");
            assert!(!bytes.is_empty(), "{kind:?}");
        }
    }
}
