//! DCAT-AP conformance of the export, checked with the SHACL shapes in `../shared/conformance`.
use std::path::PathBuf;
use std::process::Command;

use registry::skos::{RdfKind, serialize};
use serde_json::json;

use super::*;
use vocab::hydra;

const BASE: &str = "https://data.example.gov.vn";

fn item(value: serde_json::Value) -> ItemData {
    serde_json::from_value(value).expect("fixture item")
}

fn items() -> Vec<(&'static str, ItemData)> {
    vec![
        (
            "agencies",
            item(json!({"code": "G12", "labels": {"vi": "Bộ Y tế", "en": "Ministry of Health"}})),
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
        next_after: None,
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

fn objects<'t>(triples: &'t [Triple], s: &NamedOrBlankNode, p: NamedNodeRef<'t>) -> Vec<&'t Term> {
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
    let report =
        validate("untyped", &untyped, RdfKind::Turtle).expect_err("an untyped licence violates");
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
    let ds =
        |id: &str| NamedOrBlankNode::from(NamedNode::new_unchecked(format!("{BASE}/dataset/{id}")));
    assert!(objects(&triples, &ds("co-so-kham-chua-benh"), dcat::THEME).contains(&&heal.into()));
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
    let has =
        |p: NamedNodeRef<'_>, o: &Term| triples.iter().any(|t| t.predicate == p && &t.object == o);
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
        names.contains(&&Literal::new_language_tagged_literal_unchecked("Bộ Y tế", "vi").into())
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
