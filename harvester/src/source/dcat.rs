//! Any DCAT catalogue as a source: the first page and every page its Hydra links name (`hydra:next`, or the
//! deprecated `hydra:nextPage` that ckanext-dcat writes), in Turtle, JSON-LD, RDF/XML or N-Triples (by
//! `Content-Type`, else the file extension, else a look at the first bytes), parsed with oxrdfio. The whole listing is
//! read on every run; a dataset that is no longer in it is gone.
//!
//! The mapping follows ckanext-dcat's DCAT-AP profile: `dct:title` → title, `dct:description` → notes,
//! `dcat:keyword` → tags, `dct:license` (of the dataset, else of a distribution) → `license_id`, `dcat:landingPage` →
//! url, `dcat:contactPoint` → maintainer, each `dcat:distribution` → a resource (`dcat:downloadURL` else
//! `dcat:accessURL` as url, `dct:format`, `dcat:mediaType`, `dcat:byteSize`, `spdx:checksum`), and the rest to extras
//! (`uri`, `identifier`, `issued`, `modified`, `theme`, `language`, `spatial_uri`, `temporal_start`, ...), multi-valued
//! ones as JSON lists. The owner organization is the publisher: a registry agency IRI gives its code in lowercase.
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use oxrdf::NamedOrBlankNode;
use oxrdfio::RdfFormat;
use serde_json::{Map, Value, json};
use vocab::{adms, dcat, dct, foaf, schema, spdx, vcard};

use super::graph::{Graph, node_of};
use super::{Batch, Listed, Source, SourceKind};
use crate::HarvestError;
use crate::client::Http;
use crate::package::{Draft, Organization, Package, is_valid_name, slugify};

const IANA_MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";
/// Pages followed at most, against a catalogue whose links go round in circles.
const MAX_PAGES: usize = 100_000;

/// EU licence authority codes and the SPDX ids CKAN portals use for them.
const EU_LICENCES: &[(&str, &str)] = &[
    ("CC_BY_4_0", "CC-BY-4.0"),
    ("CC_BYSA_4_0", "CC-BY-SA-4.0"),
    ("CC_BYND_4_0", "CC-BY-ND-4.0"),
    ("CC_BYNC_4_0", "CC-BY-NC-4.0"),
    ("CC0", "CC0-1.0"),
    ("ODC_BL", "ODbL-1.0"),
    ("ODC_BY", "ODC-By-1.0"),
    ("ODC_PDDL", "PDDL-1.0"),
];

/// A DCAT catalogue at a URL.
pub struct DcatSource {
    http: Arc<Http>,
    url: String,
    token: Option<String>,
}

impl DcatSource {
    /// The catalogue whose first page is `url`.
    pub fn new(http: Arc<Http>, url: &str, token: Option<String>) -> Self {
        Self {
            http,
            url: url.to_owned(),
            token,
        }
    }

    async fn page(&self, url: &str) -> Result<Graph, HarvestError> {
        let answer = self
            .http
            .send(
                || {
                    let mut r = self.http.client().get(url).header(
                        reqwest::header::ACCEPT,
                        "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8, \
                         application/n-triples;q=0.7, */*;q=0.1",
                    );
                    if let Some(t) = &self.token {
                        r = r.bearer_auth(t);
                    }
                    r
                },
                true,
            )
            .await?;
        if !answer.status.is_success() {
            return Err(HarvestError::Source(format!("{url}: {}", answer.status)));
        }
        let format = format_of(answer.content_type.as_deref(), url, &answer.body);
        Graph::parse(&answer.body, format, url)
    }
}

impl Source for DcatSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Dcat
    }

    async fn batch(&self, _cursor: Option<&str>) -> Result<Batch, HarvestError> {
        let mut records: Vec<(String, Listed)> = Vec::new();
        let mut seen_ids = HashSet::new();
        let mut visited = HashSet::new();
        let mut warnings = Vec::new();
        let mut lossy = false;
        let mut next = Some(self.url.clone());
        while let Some(url) = next.take() {
            if !visited.insert(url.clone()) || visited.len() > MAX_PAGES {
                break;
            }
            let mut graph = self.page(&url).await?;
            warnings.append(&mut graph.warnings);
            lossy |= graph.lossy;
            for node in graph.datasets() {
                let (id, listed) = match dataset(&graph, &node) {
                    Ok((id, package)) => (id, Listed::Present(Box::new(package))),
                    Err((id, reason)) => (id, Listed::Invalid(reason)),
                };
                if seen_ids.insert(id.clone()) {
                    records.push((id, listed));
                }
            }
            next = graph.next_page(&visited);
        }
        distinct_names(&mut records);
        if lossy {
            // A syntax error may have swallowed a dataset: its absence must not read as a deletion.
            warnings.push(format!(
                "{}: a page had syntax errors, so datasets missing from this listing are not deleted this run",
                self.url
            ));
        }
        tracing::info!(
            pages = visited.len(),
            datasets = records.len(),
            warnings = warnings.len(),
            "DCAT catalogue read"
        );
        Ok(Batch {
            records,
            transient_cursor: false,
            complete: !lossy,
            cursor: None,
            more: false,
            warnings,
        })
    }

    async fn fetch(&self, id: &str) -> Result<Option<Package>, HarvestError> {
        Err(HarvestError::Source(format!(
            "{id}: a DCAT catalogue is read page by page, not by dataset"
        )))
    }
}

/// Gives datasets of one listing that would share a CKAN name (`.../a#dataset` and `.../b#dataset`, one
/// `dct:identifier` twice) names of their own: each such name gets the first 8 hex digits of the sha256 of the
/// dataset's source id, so the name depends on the listing only and the next run gives the same one.
fn distinct_names(records: &mut [(String, Listed)]) {
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    for (_, listed) in records.iter() {
        if let Listed::Present(p) = listed {
            *uses.entry(p.name().to_owned()).or_default() += 1;
        }
    }
    for (id, listed) in records.iter_mut() {
        if let Listed::Present(p) = listed
            && uses.get(p.name()).is_some_and(|n| *n > 1)
        {
            use sha2::Digest;
            let hash = hex::encode(sha2::Sha256::digest(id.as_bytes()));
            let mut name = p.name().to_owned();
            name.truncate(91);
            let name = format!("{}-{}", name.trim_end_matches('-'), &hash[..8]);
            p.body.insert("name".into(), Value::String(name));
        }
    }
}

/// The syntax of a page: its media type, else its extension, else what it starts with.
fn format_of(content_type: Option<&str>, url: &str, body: &[u8]) -> RdfFormat {
    let essence = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase());
    if let Some(essence) = essence.as_deref() {
        if essence == "application/json" {
            return RdfFormat::JsonLd {
                profile: Default::default(),
            };
        }
        if let Some(f) = RdfFormat::from_media_type(essence) {
            return f;
        }
    }
    let path = url.split(['?', '#']).next().unwrap_or(url);
    if let Some(f) = path
        .rsplit_once('.')
        .and_then(|(_, ext)| RdfFormat::from_extension(ext))
    {
        return f;
    }
    let start = String::from_utf8_lossy(&body[..body.len().min(200)])
        .trim_start()
        .to_owned();
    if start.starts_with("<?xml") || start.starts_with("<rdf:RDF") {
        RdfFormat::RdfXml
    } else if start.starts_with('{') || start.starts_with('[') {
        RdfFormat::JsonLd {
            profile: Default::default(),
        }
    } else {
        RdfFormat::Turtle
    }
}

/// Parses one DCAT document (the format from `content_type`, the URL and the bytes) and maps each of its datasets
/// to a package, or to `(id, problem)` when it cannot be mapped: what a harvest does with each page. The fuzz target's
/// entry point.
#[allow(clippy::type_complexity)]
pub fn parse_packages(
    body: &[u8],
    content_type: Option<&str>,
    base: &str,
) -> Result<Vec<Result<(String, Package), (String, String)>>, HarvestError> {
    let graph = Graph::parse(body, format_of(content_type, base, body), base)?;
    Ok(graph
        .datasets()
        .iter()
        .map(|d| dataset(&graph, d))
        .collect())
}

/// The last path segment of an IRI, percent-decoded.
fn last_segment(iri: &str) -> String {
    let trimmed = iri.trim_end_matches(['/', '#']);
    let segment = trimmed.rsplit(['/', '#']).next().unwrap_or(trimmed);
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// A licence IRI as a CKAN `license_id`: EU authority and SPDX IRIs and registry items by their code, anything else
/// as the IRI itself (as ckanext-dcat does when the licence register does not know it).
fn license_id(iri: &str) -> String {
    let code = last_segment(iri);
    if iri.starts_with("http://publications.europa.eu/resource/authority/licence/")
        && let Some((_, spdx)) = EU_LICENCES.iter().find(|(eu, _)| *eu == code)
    {
        return (*spdx).to_owned();
    }
    if iri.starts_with("http://spdx.org/licenses/") || iri.contains("/registry/licences/") {
        return code;
    }
    iri.to_owned()
}

/// A list as ckanext-dcat stores it in an extra: a JSON array.
fn json_list(items: &[String]) -> Option<String> {
    (!items.is_empty()).then(|| Value::from(items.to_vec()).to_string())
}

/// The publisher as an organization: an agency of a registry (`.../registry/agencies/{code}`) by its code, anything
/// else by its name.
fn organization(graph: &Graph, publisher: &NamedOrBlankNode) -> Option<Organization> {
    let name_text = graph.text(publisher, foaf::NAME.as_str());
    let name = match publisher {
        NamedOrBlankNode::NamedNode(n) if n.as_str().contains("/registry/agencies/") => {
            Some(last_segment(n.as_str()).to_lowercase())
        }
        NamedOrBlankNode::NamedNode(n) => {
            slugify(&last_segment(n.as_str())).or_else(|| name_text.as_deref().and_then(slugify))
        }
        NamedOrBlankNode::BlankNode(_) => name_text.as_deref().and_then(slugify),
    }?;
    let name = if is_valid_name(&name) {
        name
    } else {
        slugify(&name)?
    };
    Some(Organization {
        title: name_text.unwrap_or_else(|| name.clone()),
        name,
    })
}

fn distribution(graph: &Graph, node: &NamedOrBlankNode) -> Map<String, Value> {
    let mut r = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            r.insert(k.to_owned(), json!(v));
        }
    };
    if let NamedOrBlankNode::NamedNode(n) = node {
        put("uri", Some(n.as_str().to_owned()));
    }
    let download = graph.iri(node, dcat::DOWNLOAD_URL.as_str());
    let access = graph.iri(node, dcat::ACCESS_URL.as_str());
    put("url", download.clone().or_else(|| access.clone()));
    put("download_url", download);
    put("access_url", access);
    put("name", graph.text(node, dct::TITLE.as_str()));
    put("description", graph.text(node, dct::DESCRIPTION.as_str()));
    put(
        "format",
        graph.value(node, dct::FORMAT.as_str()).map(|f| {
            if f.contains("://") {
                last_segment(&f)
            } else {
                f
            }
        }),
    );
    put(
        "mimetype",
        graph.value(node, dcat::MEDIA_TYPE.as_str()).map(|m| {
            m.strip_prefix(IANA_MEDIA_TYPES)
                .map(str::to_owned)
                .unwrap_or(m)
        }),
    );
    put(
        "license",
        graph
            .iri(node, dct::LICENSE.as_str())
            .map(|l| license_id(&l)),
    );
    if let Some(checksum) = graph.node(node, spdx::CHECKSUM.as_str()) {
        let value = graph.text(&checksum, spdx::CHECKSUM_VALUE.as_str());
        let algorithm = graph.iri(&checksum, spdx::ALGORITHM.as_str()).map(|a| {
            last_segment(&a)
                .trim_start_matches("checksumAlgorithm_")
                .to_lowercase()
        });
        put(
            "hash",
            value.map(|v| match algorithm {
                Some(a) => format!("{a}:{}", v.to_lowercase()),
                None => v,
            }),
        );
    }
    if let Some(size) = graph
        .text(node, dcat::BYTE_SIZE.as_str())
        .and_then(|s| s.parse::<u64>().ok())
    {
        r.insert("size".into(), json!(size));
    }
    r
}

/// One `dcat:Dataset` as (source id, package): the source id is the dataset's IRI (its `dct:identifier` when it is a
/// blank node). A dataset that cannot be named is an error naming it.
fn dataset(graph: &Graph, node: &NamedOrBlankNode) -> Result<(String, Package), (String, String)> {
    let identifier = graph.text(node, dct::IDENTIFIER.as_str());
    let iri = match node {
        NamedOrBlankNode::NamedNode(n) => Some(n.as_str().to_owned()),
        NamedOrBlankNode::BlankNode(_) => None,
    };
    let title = graph.text(node, dct::TITLE.as_str());
    let id = iri.clone().or_else(|| identifier.clone()).ok_or_else(|| {
        (
            node.to_string(),
            "a blank-node dataset without dct:identifier".to_owned(),
        )
    })?;
    let name = identifier
        .clone()
        .filter(|i| is_valid_name(i))
        .or_else(|| identifier.as_deref().and_then(slugify))
        .or_else(|| iri.as_deref().and_then(|i| slugify(&last_segment(i))))
        .or_else(|| title.as_deref().and_then(slugify))
        .ok_or_else(|| {
            (
                id.clone(),
                "no identifier, IRI or title gives a CKAN name".to_owned(),
            )
        })?;

    let mut extras = BTreeMap::new();
    let mut extra = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            extras.insert(k.to_owned(), v);
        }
    };
    extra("uri", iri.clone());
    extra("identifier", identifier.clone());
    extra(
        "title_en",
        graph
            .text_in(node, dct::TITLE.as_str(), "en")
            .filter(|t| Some(t) != title.as_ref()),
    );
    let notes = graph.text(node, dct::DESCRIPTION.as_str());
    extra(
        "notes_en",
        graph
            .text_in(node, dct::DESCRIPTION.as_str(), "en")
            .filter(|t| Some(t) != notes.as_ref()),
    );
    extra("issued", graph.text(node, dct::ISSUED.as_str()));
    extra("modified", graph.text(node, dct::MODIFIED.as_str()));
    extra(
        "frequency",
        graph.value(node, dct::ACCRUAL_PERIODICITY.as_str()),
    );
    extra(
        "access_rights",
        graph.value(node, dct::ACCESS_RIGHTS.as_str()),
    );
    extra("theme", json_list(&graph.iris(node, dcat::THEME.as_str())));
    extra(
        "language",
        json_list(&graph.iris(node, dct::LANGUAGE.as_str())),
    );
    extra(
        "conforms_to",
        json_list(&graph.iris(node, dct::CONFORMS_TO.as_str())),
    );
    extra(
        "spatial_uri",
        json_list(&graph.iris(node, dct::SPATIAL.as_str())),
    );
    extra(
        "version_notes",
        graph.text(node, adms::VERSION_NOTES.as_str()),
    );
    if let Some(period) = graph.node(node, dct::TEMPORAL.as_str()) {
        extra(
            "temporal_start",
            graph
                .text(&period, dcat::START_DATE.as_str())
                .or_else(|| graph.text(&period, schema::START_DATE.as_str())),
        );
        extra(
            "temporal_end",
            graph
                .text(&period, dcat::END_DATE.as_str())
                .or_else(|| graph.text(&period, schema::END_DATE.as_str())),
        );
    }
    let publisher = graph.node(node, dct::PUBLISHER.as_str());
    if let Some(p) = &publisher {
        if let NamedOrBlankNode::NamedNode(n) = p {
            extra("publisher_uri", Some(n.as_str().to_owned()));
        }
        extra("publisher_name", graph.text(p, foaf::NAME.as_str()));
    }
    let (maintainer, maintainer_email) = match graph.node(node, dcat::CONTACT_POINT.as_str()) {
        Some(card) => (
            graph.text(&card, vcard::FN.as_str()),
            graph
                .value(&card, vcard::HAS_EMAIL.as_str())
                .map(|e| e.trim_start_matches("mailto:").to_owned()),
        ),
        None => (None, None),
    };

    let mut distributions: Vec<NamedOrBlankNode> = graph
        .objects(node, dcat::DISTRIBUTION_PROPERTY.as_str())
        .filter_map(node_of)
        .collect();
    distributions.sort_by_key(|n| n.to_string());
    distributions.dedup();
    let resources: Vec<Map<String, Value>> = distributions
        .iter()
        .map(|d| distribution(graph, d))
        .collect();
    let license = graph
        .iri(node, dct::LICENSE.as_str())
        .map(|l| license_id(&l))
        .or_else(|| {
            resources
                .iter()
                .find_map(|r| r.get("license")?.as_str().map(str::to_owned))
        });
    let tags: BTreeSet<String> = graph
        .literals(node, dcat::KEYWORD.as_str())
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let package = Draft {
        name,
        title,
        notes,
        url: graph.iri(node, dcat::LANDING_PAGE.as_str()),
        license_id: license,
        version: graph.text(node, dcat::VERSION.as_str()),
        maintainer,
        maintainer_email,
        author: None,
        author_email: None,
        tags: tags.into_iter().collect(),
        extras,
        resources,
        organization: publisher.as_ref().and_then(|p| organization(graph, p)),
    }
    .into_package();
    Ok((id, package))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://d.gov.vn/catalog> a dcat:Catalog, hydra:Collection ; dcat:dataset <https://d.gov.vn/dataset/ho-so> ;
  hydra:view <https://d.gov.vn/catalog?page=1> .
<https://d.gov.vn/catalog?page=1> hydra:next <https://d.gov.vn/catalog?page=2> ; hydra:nextPage <https://d.gov.vn/catalog?page=2> .
<https://d.gov.vn/dataset/ho-so> a dcat:Dataset ; dct:identifier "ho-so" ;
  dct:title "Hồ sơ"@vi, "Records"@en ; dct:description "Mô tả"@vi ;
  dcat:keyword "y tế"@vi, "health"@en ;
  dct:publisher <https://d.gov.vn/registry/agencies/G12> ;
  dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
  dcat:theme <https://d.gov.vn/registry/themes/health> ;
  dcat:distribution <https://d.gov.vn/dataset/ho-so/distribution/csv> .
<https://d.gov.vn/registry/agencies/G12> a foaf:Agent ; foaf:name "Bộ Y tế"@vi .
<https://d.gov.vn/dataset/ho-so/distribution/csv> a dcat:Distribution ;
  dcat:downloadURL <https://d.gov.vn/dataset/ho-so/distribution/csv/download> ;
  dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
  dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
  dcat:byteSize "42"^^xsd:nonNegativeInteger ;
  spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ; spdx:checksumValue "ABCD"^^xsd:hexBinary ] .
"#;

    #[test]
    fn a_dcat_ap_dataset_becomes_a_ckan_package() {
        let graph = Graph::parse(
            PAGE.as_bytes(),
            RdfFormat::Turtle,
            "https://d.gov.vn/catalog",
        )
        .unwrap();
        let nodes = graph.datasets();
        assert_eq!(nodes.len(), 1);
        let (id, p) = dataset(&graph, &nodes[0]).unwrap();
        assert_eq!(id, "https://d.gov.vn/dataset/ho-so");
        assert_eq!(p.body["name"], "ho-so");
        assert_eq!(p.body["title"], "Hồ sơ");
        assert_eq!(p.body["owner_org"], "g12");
        assert_eq!(p.organization.as_ref().unwrap().title, "Bộ Y tế");
        assert_eq!(p.body["license_id"], "CC-BY-4.0");
        assert_eq!(
            p.body["tags"],
            json!([{"name": "health"}, {"name": "y tế"}])
        );
        let r = &p.body["resources"][0];
        assert_eq!(
            r["url"],
            "https://d.gov.vn/dataset/ho-so/distribution/csv/download"
        );
        assert_eq!(
            (r["format"].as_str(), r["mimetype"].as_str()),
            (Some("CSV"), Some("text/csv"))
        );
        assert_eq!(
            (r["size"].as_u64(), r["hash"].as_str()),
            (Some(42), Some("sha256:abcd"))
        );
        let extras: BTreeMap<&str, &str> = p.body["extras"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["key"].as_str().unwrap(), e["value"].as_str().unwrap()))
            .collect();
        assert_eq!(extras["title_en"], "Records");
        assert_eq!(
            extras["theme"],
            r#"["https://d.gov.vn/registry/themes/health"]"#
        );
        let visited = HashSet::from(["https://d.gov.vn/catalog?page=1".to_owned()]);
        assert_eq!(
            graph.next_page(&visited).as_deref(),
            Some("https://d.gov.vn/catalog?page=2")
        );
    }

    #[test]
    fn datasets_sharing_a_name_get_names_of_their_own() {
        let page = r#"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
            <https://x.de/dataset/a1#dataset> a dcat:Dataset ; dct:title "A" .
            <https://x.de/dataset/b2#dataset> a dcat:Dataset ; dct:title "B" .
            <https://x.de/dataset/c3> a dcat:Dataset ; dct:title "C" ."#;
        let graph = Graph::parse(page.as_bytes(), RdfFormat::Turtle, "https://x.de/").unwrap();
        let mut records: Vec<(String, Listed)> = graph
            .datasets()
            .iter()
            .map(|d| {
                let (id, p) = dataset(&graph, d).unwrap();
                (id, Listed::Present(Box::new(p)))
            })
            .collect();
        distinct_names(&mut records);
        let names: BTreeSet<String> = records
            .iter()
            .map(|(_, l)| match l {
                Listed::Present(p) => p.name().to_owned(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.contains("c3"), "a name used once stays: {names:?}");
        assert!(names.iter().all(|n| is_valid_name(n)), "{names:?}");
    }

    #[test]
    fn formats_are_recognised() {
        assert_eq!(
            format_of(Some("text/turtle; charset=utf-8"), "x", b""),
            RdfFormat::Turtle
        );
        assert_eq!(format_of(None, "http://h/p-2.rdf", b""), RdfFormat::RdfXml);
        assert!(matches!(
            format_of(Some("application/json"), "x", b""),
            RdfFormat::JsonLd { .. }
        ));
        assert_eq!(
            format_of(
                Some("application/octet-stream"),
                "http://h/x",
                b"<?xml version"
            ),
            RdfFormat::RdfXml
        );
        assert_eq!(
            license_id("https://d.gov.vn/registry/licences/ODbL-1.0"),
            "ODbL-1.0"
        );
        assert_eq!(
            license_id("https://example.org/my-licence"),
            "https://example.org/my-licence"
        );
    }
}
