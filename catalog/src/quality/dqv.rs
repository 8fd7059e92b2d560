//! A dataset's score in the W3C Data Quality Vocabulary, added to its DCAT description (`GET /dataset/{id}`): one
//! `dqv:QualityMeasurement` per indicator (its points as `dqv:value`), each `dqv:isMeasurementOf` a `dqv:Metric` that
//! is `dqv:inDimension` one of the MQA's five `dqv:Dimension`s, metric and dimension named in both languages.
//!
//! Every indicator is described, those that depend on the link checks too: DCAT answers are tagged by the change
//! log's head, and a link check that changes what a URL's datasets score writes a change-log entry for each of them
//! ([`super::links`]), so a cached answer never keeps a stale value. The metrics are anchors of the `/quality` page,
//! where every indicator is listed.
use oxrdf::{BlankNode, Literal, NamedNode, Triple};
use vocab::{dqv, rdf, skos, xsd};

use super::{Bilingual, QualityReport};

fn labels(node: &NamedNode, label: Bilingual, out: &mut Vec<Triple>) {
    for (text, lang) in [(label.vi, "vi"), (label.en, "en")] {
        out.push(Triple::new(
            node.clone(),
            skos::PREF_LABEL,
            Literal::new_language_tagged_literal_unchecked(text, lang),
        ));
    }
}

/// The DQV triples of `report` about the dataset `dataset` (its IRI), metrics minted under `base_uri`.
pub fn triples(base_uri: &str, dataset: &str, report: &QualityReport) -> Vec<Triple> {
    let base = base_uri.trim_end_matches('/');
    let dataset = NamedNode::new_unchecked(dataset);
    let mut out = Vec::new();
    let mut dimensions = Vec::new();
    for i in &report.indicators {
        let metric = NamedNode::new_unchecked(format!("{base}/quality#metric-{}", i.id));
        let dimension =
            NamedNode::new_unchecked(format!("{base}/quality#{}", i.dimension.as_str()));
        let measurement = BlankNode::default();
        out.push(Triple::new(
            dataset.clone(),
            dqv::HAS_QUALITY_MEASUREMENT,
            measurement.clone(),
        ));
        out.push(Triple::new(
            measurement.clone(),
            rdf::TYPE,
            dqv::QUALITY_MEASUREMENT,
        ));
        out.push(Triple::new(
            measurement.clone(),
            dqv::IS_MEASUREMENT_OF,
            metric.clone(),
        ));
        out.push(Triple::new(
            measurement.clone(),
            dqv::COMPUTED_ON,
            dataset.clone(),
        ));
        out.push(Triple::new(
            measurement,
            dqv::VALUE,
            Literal::new_typed_literal(i.points.to_string(), xsd::INTEGER),
        ));
        out.push(Triple::new(metric.clone(), rdf::TYPE, dqv::METRIC));
        out.push(Triple::new(
            metric.clone(),
            dqv::EXPECTED_DATA_TYPE,
            xsd::INTEGER,
        ));
        labels(&metric, i.label, &mut out);
        out.push(Triple::new(metric, dqv::IN_DIMENSION, dimension.clone()));
        if !dimensions.contains(&i.dimension) {
            dimensions.push(i.dimension);
            out.push(Triple::new(dimension.clone(), rdf::TYPE, dqv::DIMENSION));
            labels(&dimension, i.dimension.label(), &mut out);
        }
    }
    out
}
