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
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, SecondsFormat};
use oxrdf::{BlankNode, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple};
use registry::model::{ItemData, LangText};
use registry::store::encode_segment;
use vocab::{adms, dcat, dct, foaf, rdf, skos, spdx, vcard, xsd};

use crate::model::{DatasetContent, Distribution, Keywords, LANGUAGES, Provenance};

/// `adms:Identifier`, the class of a dataset's other identifiers.
const ADMS_IDENTIFIER: NamedNodeRef<'static> =
    NamedNodeRef::new_unchecked("http://www.w3.org/ns/adms#Identifier");

/// What the export needs to know about the deployment and the registry.
pub struct DcatContext<'a> {
    /// Base URI, no trailing slash, e.g. `https://data.example.gov.vn`. Dataset URI = `{base}/dataset/{id}`,
    /// distribution URI = `{base}/dataset/{id}/distribution/{distribution id}`, catalog URI = `{base}/catalog`,
    /// registry item URI = `{base}/registry/{list}/{code}` (as `registry::store::Registry::item_uri`).
    pub base_uri: &'a str,
    /// Looks up a registry item: (list id, code) -> item. Used to map codes to EU vocabulary URIs via the item's
    /// exact_match (else close_match) IRIs, and for labels (e.g. the publisher agency's name for foaf:name).
    pub lookup: &'a (dyn Fn(&str, &str) -> Option<ItemData> + Sync),
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
    /// The last dataset id on this page when more follow: the next page's link continues after it (`after=`), so a
    /// harvester following `hydra:next` pages through any size at the cost of one page each.
    pub next_after: Option<String>,
}

/// Where a page link points, relative to the page shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRel {
    /// The first page.
    First,
    /// The last page.
    Last,
    /// The page after this one (continuing after its last dataset).
    Next,
    /// The page before this one.
    Previous,
}

impl PageRel {
    /// The link relation name (RFC 8288, IANA registry), for an HTTP `Link` header.
    pub fn name(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Last => "last",
            Self::Next => "next",
            Self::Previous => "prev",
        }
    }
}

impl Paging {
    /// The URL of the page shown.
    pub fn view(&self) -> String {
        self.page_url(self.page.max(1))
    }

    fn page_url(&self, n: u64) -> String {
        let extra = self.extra_query.trim_start_matches(['?', '&']);
        let sep = if extra.is_empty() { "" } else { "&" };
        format!("{}?page={n}{sep}{extra}", self.view_base)
    }

    /// The first, last, next (when more follow) and previous (past the first) pages' URLs: the same links the Hydra
    /// view carries, for an HTTP `Link` header too, so a harvester can page without parsing the RDF.
    pub fn links(&self) -> Vec<(PageRel, String)> {
        let last = self.total.div_ceil(self.page_size.max(1)).max(1);
        let page = self.page.max(1);
        let mut links = vec![
            (PageRel::First, self.page_url(1)),
            (PageRel::Last, self.page_url(last)),
        ];
        if page < last {
            let next = self.page_url(page + 1);
            links.push((
                PageRel::Next,
                match &self.next_after {
                    Some(after) => format!(
                        "{next}&after={}",
                        percent_encoding::utf8_percent_encode(
                            after,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    ),
                    None => next,
                },
            ));
        }
        if page > 1 {
            links.push((PageRel::Previous, self.page_url((page - 1).min(last))));
        }
        links
    }

    /// The `Link` header value (RFC 8288) of [`Paging::links`].
    pub fn link_header(&self) -> String {
        self.links()
            .iter()
            .map(|(rel, url)| format!("<{url}>; rel=\"{}\"", rel.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The triples of one dataset, its distributions and every node they point to.
pub fn dataset_triples(ctx: &DcatContext, d: &ExportedDataset) -> Vec<Triple> {
    let mut export = Export::new(ctx);
    export.dataset(d);
    export.graph.into_triples()
}

/// The order of an export's triples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripleOrder {
    /// Grouped by subject, subjects in order of first appearance: Turtle, RDF/XML and JSON-LD then describe each node
    /// in one block.
    BySubject,
    /// As built (still without duplicates): for N-Triples, where order means nothing, it saves the grouping.
    AsBuilt,
}

/// The triples of the catalog, all given datasets (with their distributions) and the catalog's data services.
pub fn catalog_triples(
    ctx: &DcatContext,
    info: &CatalogInfo,
    datasets: &[ExportedDataset],
    paging: Option<&Paging>,
) -> Vec<Triple> {
    catalog_triples_in(ctx, info, datasets, paging, TripleOrder::BySubject)
}

/// [`catalog_triples`] in the given order.
pub fn catalog_triples_in(
    ctx: &DcatContext,
    info: &CatalogInfo,
    datasets: &[ExportedDataset],
    paging: Option<&Paging>,
    order: TripleOrder,
) -> Vec<Triple> {
    let mut export = Export::with_capacity(ctx, datasets.len() * TRIPLES_PER_DATASET);
    export.catalog(info, datasets, paging);
    match order {
        TripleOrder::BySubject => export.graph.into_triples(),
        TripleOrder::AsBuilt => export.graph.triples,
    }
}

/// [`catalog_triples`] built on one thread, to compare with.
#[cfg(test)]
fn catalog_triples_on_one_thread(
    ctx: &DcatContext,
    info: &CatalogInfo,
    datasets: &[ExportedDataset],
) -> Vec<Triple> {
    let mut export = Export::with_capacity(ctx, 0);
    export.parallel = false;
    export.catalog(info, datasets, None);
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
///
/// A page of the catalogue is tens of thousands of triples, so the set holds indices into `triples` (no clone of a
/// triple) under a fast non-cryptographic hash: the export's input is our own data, not an attacker's keys.
#[derive(Default)]
struct Graph {
    triples: Vec<Triple>,
    seen: hashbrown::HashTable<usize>,
    hasher: hashbrown::DefaultHashBuilder,
}

/// About how many triples a dataset with its distributions and codes makes (46 in a generated catalogue page).
const TRIPLES_PER_DATASET: usize = 48;

impl Graph {
    fn with_capacity(triples: usize) -> Self {
        Self {
            triples: Vec::with_capacity(triples),
            seen: hashbrown::HashTable::with_capacity(triples),
            hasher: hashbrown::DefaultHashBuilder::default(),
        }
    }

    fn add(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNodeRef<'_>, o: impl Into<Term>) {
        self.insert(Triple::new(s, p, o));
    }

    /// Takes in another graph's triples, in order, leaving out those already here. Triples about a dataset's own
    /// nodes (its IRI and those under it, and blank nodes, which are minted afresh) are made only by that dataset's
    /// description, which is in one part alone: they are appended without a look-up. The shared nodes (agents, codes,
    /// concepts) are checked.
    fn merge(&mut self, other: Graph, own_prefix: &str) {
        use std::hash::BuildHasher;
        self.triples.reserve(other.triples.len());
        let (triples, hasher) = (&self.triples, &self.hasher);
        self.seen
            .reserve(other.triples.len() / 8, |&i| hasher.hash_one(&triples[i]));
        for t in other.triples {
            let own = match &t.subject {
                NamedOrBlankNode::BlankNode(_) => true,
                NamedOrBlankNode::NamedNode(n) => n.as_str().starts_with(own_prefix),
            };
            if own {
                self.triples.push(t);
            } else {
                self.insert(t);
            }
        }
    }

    fn insert(&mut self, triple: Triple) {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(&triple);
        let triples = &self.triples;
        if self.seen.find(hash, |&i| triples[i] == triple).is_some() {
            return;
        }
        let hasher = &self.hasher;
        self.seen
            .insert_unique(hash, self.triples.len(), |&i| hasher.hash_one(&triples[i]));
        self.triples.push(triple);
    }

    /// The triples grouped by subject, subjects in order of first appearance, so Turtle and JSON-LD describe each
    /// node in one block.
    fn into_triples(self) -> Vec<Triple> {
        // A counting sort: one hash of each subject, then each triple moved once to its place.
        let mut first_seen: hashbrown::HashMap<&NamedOrBlankNode, usize> =
            hashbrown::HashMap::with_capacity(self.triples.len() / 4);
        let keys: Vec<usize> = self
            .triples
            .iter()
            .map(|t| {
                let next = first_seen.len();
                *first_seen.entry(&t.subject).or_insert(next)
            })
            .collect();
        let mut start = vec![0usize; first_seen.len() + 1];
        drop(first_seen);
        for &k in &keys {
            start[k + 1] += 1;
        }
        for k in 1..start.len() {
            start[k] += start[k - 1];
        }
        let mut placed: Vec<Option<Triple>> = Vec::new();
        placed.resize_with(self.triples.len(), || None);
        for (t, k) in self.triples.into_iter().zip(keys) {
            placed[start[k]] = Some(t);
            start[k] += 1;
        }
        placed.into_iter().flatten().collect()
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

/// An IRI we mint from the configured base (validated at start-up) and percent-encoded segments, or one we stored
/// ourselves: not parsed again (parsing every minted IRI was 7 % of a catalogue page).
fn minted(iri: String) -> NamedNode {
    NamedNode::new_unchecked(iri)
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
    /// Items by list, then code (looked up without allocating a key), shared rather than cloned at each use.
    items: HashMap<String, HashMap<String, Option<std::rc::Rc<ItemData>>>>,
    graph: Graph,
    /// Whether a large page may be built on several threads (tests compare it with one).
    parallel: bool,
}

impl<'c, 'a> Export<'c, 'a> {
    fn new(ctx: &'c DcatContext<'a>) -> Self {
        Self::with_capacity(ctx, 0)
    }

    /// An export expecting about `triples` triples (a catalogue page: some 50 a dataset).
    fn with_capacity(ctx: &'c DcatContext<'a>, triples: usize) -> Self {
        Self {
            ctx,
            items: HashMap::new(),
            graph: Graph::with_capacity(triples),
            parallel: true,
        }
    }

    fn base(&self) -> &str {
        self.ctx.base_uri.trim_end_matches('/')
    }

    fn item(&mut self, list: &str, code: &str) -> Option<std::rc::Rc<ItemData>> {
        if let Some(known) = self.items.get(list).and_then(|codes| codes.get(code)) {
            return known.clone();
        }
        let found = (self.ctx.lookup)(list, code).map(std::rc::Rc::new);
        self.items
            .entry(list.to_owned())
            .or_default()
            .insert(code.to_owned(), found.clone());
        found
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
        self.labels(&node, foaf::NAME, item.as_deref(), code);
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
            self.labels(&concept, skos::PREF_LABEL, item.as_deref(), code);
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
        if let Some(p) = &c.provenance {
            self.provenance(&node, c, p);
        }
        for dist in &c.distributions {
            let dist = self.distribution(d, dist);
            self.graph
                .add(node.clone(), dcat::DISTRIBUTION_PROPERTY, dist);
        }
        node
    }

    /// A harvested dataset's origin: `adms:identifier` with the identifier at the source, and `dct:source` naming the
    /// original dataset when that identifier is an IRI (typed `dcat:Dataset` with the title and description the
    /// source gave it, as DCAT-AP's range and mandatory properties require).
    fn provenance(&mut self, node: &NamedNode, c: &DatasetContent, p: &Provenance) {
        let identifier = BlankNode::default();
        self.graph.typed(identifier.clone(), ADMS_IDENTIFIER);
        self.graph.add(
            identifier.clone(),
            skos::NOTATION,
            Literal::new_simple_literal(p.identifier.trim()),
        );
        self.graph.add(node.clone(), adms::IDENTIFIER, identifier);
        if let Some(original) = given_iri(p.identifier.trim())
            && (original.as_str().starts_with("http://")
                || original.as_str().starts_with("https://"))
            && original != *node
        {
            self.graph.typed(original.clone(), dcat::DATASET);
            self.graph.texts(original.clone(), dct::TITLE, &c.title);
            self.graph
                .texts(original.clone(), dct::DESCRIPTION, &c.description);
            self.graph.add(node.clone(), dct::SOURCE, original);
        }
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
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.chars().all(|c| c.is_ascii_hexdigit())
}

mod catalog_node;
#[cfg(test)]
mod tests;
