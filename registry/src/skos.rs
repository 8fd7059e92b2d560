//! Code lists as SKOS linked data, serialized by oxigraph's RDF serializers (Turtle, JSON-LD, RDF/XML, N-Triples).
//!
//! A list is a `skos:ConceptScheme`, an item a `skos:Concept` with typed `skos:notation`s (one datatype per notation
//! type), `prefLabel@vi/@en`, `broader`/`narrower`, `adms:status` from the EU concept-status vocabulary,
//! `owl:deprecated` and `dct:isReplacedBy` for closed items, and legal validity as a `dct:PeriodOfTime`. Releases are
//! versions of the scheme (`dct:isVersionOf`, `dcat:version`); `owl:sameAs` is never used between an item and a version.
use oxrdf::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use oxrdfio::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use vocab::{adms, concept_status, dcat, dct, owl, rdf, reg, skos, xsd};

use crate::model::{CodeListMeta, ItemData, ItemStatus, LangText, Release};
use crate::store::Registry;

/// The RDF formats we serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdfKind {
    /// `text/turtle`.
    Turtle,
    /// `application/ld+json`.
    JsonLd,
    /// `application/rdf+xml`.
    RdfXml,
    /// `application/n-triples`.
    NTriples,
}

impl RdfKind {
    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Turtle => "text/turtle; charset=utf-8",
            Self::JsonLd => "application/ld+json",
            Self::RdfXml => "application/rdf+xml",
            Self::NTriples => "application/n-triples",
        }
    }

    fn format(self) -> RdfFormat {
        match self {
            Self::Turtle => RdfFormat::Turtle,
            Self::JsonLd => RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
            Self::RdfXml => RdfFormat::RdfXml,
            Self::NTriples => RdfFormat::NTriples,
        }
    }
}

/// Below this many triples N-Triples are written on one thread.
const PARALLEL_NTRIPLES_FROM: usize = 20_000;

/// Serializes triples in `kind` with the usual prefixes. N-Triples, one statement a line, are written in consecutive
/// shares on every core for a large graph (a catalogue page of 1,000 datasets is some 46,000 triples) and joined.
pub fn serialize(triples: &[Triple], kind: RdfKind) -> Result<Vec<u8>, std::io::Error> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if kind == RdfKind::NTriples && threads > 1 && triples.len() >= PARALLEL_NTRIPLES_FROM {
        let share = triples.len().div_ceil(threads);
        let parts: Vec<Result<Vec<u8>, std::io::Error>> = std::thread::scope(|scope| {
            let handles: Vec<_> = triples
                .chunks(share)
                .map(|chunk| scope.spawn(move || serialize_one_thread(chunk, kind)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("an N-Triples writer thread panicked"))
                .collect()
        });
        let mut out = Vec::with_capacity(parts.iter().flatten().map(Vec::len).sum());
        for part in parts {
            out.extend_from_slice(&part?);
        }
        return Ok(out);
    }
    serialize_one_thread(triples, kind)
}

fn serialize_one_thread(triples: &[Triple], kind: RdfKind) -> Result<Vec<u8>, std::io::Error> {
    if kind == RdfKind::NTriples {
        return Ok(ntriples(triples));
    }
    let mut serializer = RdfSerializer::from_format(kind.format());
    for (prefix, ns) in [
        ("skos", skos::NAMESPACE),
        ("dct", dct::NAMESPACE),
        ("dcat", dcat::NAMESPACE),
        ("adms", adms::NAMESPACE),
        ("owl", owl::NAMESPACE),
        ("xsd", xsd::NAMESPACE),
        ("reg", reg::NAMESPACE),
    ] {
        serializer = serializer
            .with_prefix(prefix, ns)
            .expect("static prefixes are valid IRIs");
    }
    let mut writer = serializer.for_writer(Vec::new());
    for t in triples {
        writer.serialize_triple(t)?;
    }
    writer.finish()
}

/// N-Triples: each triple as oxrdf displays it (its canonical N-Triples form) and " .", exactly what oxttl's
/// serializer writes, but formatted into a `String` rather than through an `io::Write` adapter, which cost a call
/// chain per character (the quoted strings are written a character at a time): twice as fast on a catalogue page.
fn ntriples(triples: &[Triple]) -> Vec<u8> {
    use std::fmt::Write;
    let mut out = String::with_capacity(triples.len() * 160);
    for t in triples {
        writeln!(out, "{t} .").expect("writing to a String cannot fail");
    }
    out.into_bytes()
}

struct Graph(Vec<Triple>);

impl Graph {
    fn add(&mut self, s: impl Into<NamedOrBlankNode>, p: vocab_ref::P, o: impl Into<Term>) {
        self.0.push(Triple::new(s, p.into_owned(), o));
    }

    fn texts(&mut self, s: &NamedNode, p: vocab_ref::P, text: &LangText) {
        for (lang, value) in [("vi", &text.vi), ("en", &text.en)] {
            if let Some(v) = value {
                let lit = Literal::new_language_tagged_literal_unchecked(v.as_str(), lang);
                self.add(s.clone(), p, lit);
            }
        }
    }
}

mod vocab_ref {
    pub type P = oxrdf::NamedNodeRef<'static>;
}

fn node(iri: String) -> NamedNode {
    // Every IRI we mint is built from a checked base and percent-encoded segments.
    NamedNode::new(iri.clone()).unwrap_or_else(|_| NamedNode::new_unchecked(iri))
}

fn status_iri(status: ItemStatus) -> vocab_ref::P {
    match status {
        ItemStatus::Submitted => concept_status::PROPOSED,
        ItemStatus::Valid => concept_status::CURRENT,
        ItemStatus::Superseded => concept_status::DEPRECATED,
        ItemStatus::Retired => concept_status::RETIRED,
        ItemStatus::Invalid => concept_status::INVALID,
    }
}

/// The triples describing a list, its items and its releases.
pub fn list_graph(
    registry: &Registry,
    meta: &CodeListMeta,
    items: &[ItemData],
    releases: &[Release],
) -> Vec<Triple> {
    let mut g = Graph(Vec::new());
    let list = meta.id.as_str();
    let scheme = node(registry.list_uri(list));
    g.add(scheme.clone(), rdf::TYPE, skos::CONCEPT_SCHEME.into_owned());
    g.texts(&scheme, dct::TITLE, &meta.title);
    g.texts(&scheme, dct::DESCRIPTION, &meta.description);
    g.add(
        scheme.clone(),
        dct::IDENTIFIER,
        Literal::new_simple_literal(list),
    );
    if let Some(agency) = &meta.owner_agency {
        g.add(
            scheme.clone(),
            dct::PUBLISHER,
            node(registry.item_uri("agencies", agency)),
        );
    }
    if let Some(licence) = &meta.licence {
        g.add(
            scheme.clone(),
            dct::LICENSE,
            node(registry.item_uri("licences", licence)),
        );
    }
    for r in releases {
        let version = node(registry.release_uri(list, r.number));
        g.add(scheme.clone(), dct::HAS_VERSION, version.clone());
        g.add(
            version.clone(),
            rdf::TYPE,
            skos::CONCEPT_SCHEME.into_owned(),
        );
        g.add(version.clone(), dct::IS_VERSION_OF, scheme.clone());
        g.add(
            version.clone(),
            dcat::VERSION,
            Literal::new_simple_literal(r.number.to_string()),
        );
        g.texts(&version, dct::TITLE, &r.meta.title);
        g.texts(&version, adms::VERSION_NOTES, &r.notes);
        g.add(
            version.clone(),
            dct::ISSUED,
            Literal::new_typed_literal(r.created_at.clone(), xsd::DATE_TIME),
        );
        g.add(
            version,
            reg::MANIFEST_SHA256,
            Literal::new_simple_literal(r.manifest_sha256.clone()),
        );
    }
    let notation_type = |kind: &str| node(format!("{}/notation/{kind}", registry.list_uri(list)));
    for item in items {
        let concept = node(registry.item_uri(list, &item.code));
        g.add(concept.clone(), rdf::TYPE, skos::CONCEPT.into_owned());
        g.add(concept.clone(), skos::IN_SCHEME, scheme.clone());
        for (kind, value) in item.all_notations() {
            g.add(
                concept.clone(),
                skos::NOTATION,
                Literal::new_typed_literal(value, notation_type(kind)),
            );
        }
        g.texts(&concept, skos::PREF_LABEL, &item.labels);
        g.texts(&concept, skos::DEFINITION, &item.definition);
        match &item.parent {
            Some(parent) => {
                let parent = node(registry.item_uri(list, parent));
                g.add(concept.clone(), skos::BROADER, parent.clone());
                g.add(parent, skos::NARROWER, concept.clone());
            }
            None => {
                g.add(concept.clone(), skos::TOP_CONCEPT_OF, scheme.clone());
                g.add(scheme.clone(), skos::HAS_TOP_CONCEPT, concept.clone());
            }
        }
        g.add(
            concept.clone(),
            adms::STATUS,
            status_iri(item.status).into_owned(),
        );
        if item.status.is_closed() {
            g.add(
                concept.clone(),
                owl::DEPRECATED,
                Literal::new_typed_literal("true", xsd::BOOLEAN),
            );
        }
        for s in &item.successors {
            let successor = node(registry.item_uri(list, s));
            g.add(concept.clone(), dct::IS_REPLACED_BY, successor.clone());
            g.add(successor, dct::REPLACES, concept.clone());
        }
        if item.valid_from.is_some() || item.valid_to.is_some() {
            let period = BlankNode::default();
            g.add(concept.clone(), dct::VALID, period.clone());
            g.add(period.clone(), rdf::TYPE, dct::PERIOD_OF_TIME.into_owned());
            if let Some(d) = item.valid_from {
                g.add(
                    period.clone(),
                    dcat::START_DATE,
                    Literal::new_typed_literal(d.to_string(), xsd::DATE),
                );
            }
            if let Some(d) = item.valid_to {
                g.add(
                    period,
                    dcat::END_DATE,
                    Literal::new_typed_literal(d.to_string(), xsd::DATE),
                );
            }
        }
        if let Some(basis) = &item.legal_basis {
            let text = [
                basis.decision.clone(),
                basis.issuer.clone(),
                basis.date.map(|d| d.to_string()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            g.add(
                concept.clone(),
                reg::LEGAL_BASIS,
                Literal::new_simple_literal(text),
            );
        }
        for iri in &item.exact_match {
            g.add(concept.clone(), skos::EXACT_MATCH, node(iri.clone()));
        }
        for iri in &item.close_match {
            g.add(concept.clone(), skos::CLOSE_MATCH, node(iri.clone()));
        }
        for (name, value) in &item.attributes {
            let predicate = node(format!("{}/attribute/{name}", registry.list_uri(list)));
            let kind = meta.attributes.get(name).map(|d| d.kind);
            let lit = match (kind, value) {
                (Some(crate::model::AttributeType::Uri), serde_json::Value::String(s)) => {
                    g.0.push(Triple::new(concept.clone(), predicate, node(s.clone())));
                    continue;
                }
                (Some(crate::model::AttributeType::Date), serde_json::Value::String(s)) => {
                    Literal::new_typed_literal(s.as_str(), xsd::DATE)
                }
                (_, serde_json::Value::String(s)) => Literal::new_simple_literal(s.as_str()),
                (_, serde_json::Value::Bool(b)) => Literal::from(*b),
                (_, serde_json::Value::Number(n)) if n.is_i64() => {
                    Literal::new_typed_literal(n.to_string(), xsd::INTEGER)
                }
                (_, v) => Literal::new_typed_literal(v.to_string(), xsd::DECIMAL),
            };
            g.0.push(Triple::new(concept.clone(), predicate, lit));
        }
    }
    g.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn ntriples_are_what_oxttl_writes() {
        use oxrdf::{BlankNode, Literal, NamedNode};
        let s = NamedNode::new_unchecked("http://example.org/a?b=c&d=%20");
        let p = NamedNode::new_unchecked("http://example.org/p");
        let texts = [
            "plain",
            "Tiếng Việt: Hà Nội",
            "quote \" backslash \\ newline \n return \r tab \t",
            "controls \u{0} \u{7} \u{8} \u{b} \u{c} \u{1f} \u{7f} \u{fffe} end",
            "",
        ];
        let mut triples = Vec::new();
        for text in texts {
            triples.push(Triple::new(
                s.clone(),
                p.clone(),
                Literal::new_simple_literal(text),
            ));
            triples.push(Triple::new(
                s.clone(),
                p.clone(),
                Literal::new_language_tagged_literal_unchecked(text, "vi"),
            ));
            triples.push(Triple::new(
                BlankNode::new_unchecked("b1"),
                p.clone(),
                Literal::new_typed_literal(
                    text,
                    NamedNode::new_unchecked("http://www.w3.org/2001/XMLSchema#date"),
                ),
            ));
        }
        triples.push(Triple::new(
            s.clone(),
            p.clone(),
            BlankNode::new_unchecked("b1"),
        ));
        let mut writer = RdfSerializer::from_format(RdfFormat::NTriples).for_writer(Vec::new());
        for t in &triples {
            writer.serialize_triple(t).unwrap();
        }
        let expected = writer.finish().unwrap();
        assert_eq!(
            String::from_utf8(ntriples(&triples)).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        assert_eq!(
            serialize(&triples, RdfKind::NTriples).unwrap(),
            ntriples(&triples)
        );
    }

    use super::*;

    /// A large graph's N-Triples, written in shares on several threads, are byte for byte what one thread writes.
    #[test]
    fn large_ntriples_written_in_shares_are_what_one_thread_writes() {
        let triples: Vec<Triple> = (0..PARALLEL_NTRIPLES_FROM + 1234)
            .map(|n| {
                Triple::new(
                    NamedNode::new_unchecked(format!("http://example.test/s/{n}")),
                    skos::PREF_LABEL.into_owned(),
                    Literal::new_language_tagged_literal_unchecked(format!("nhãn \"{n}\"\n"), "vi"),
                )
            })
            .collect();
        let joined = serialize(&triples, RdfKind::NTriples).expect("serializes");
        let single = serialize_one_thread(&triples, RdfKind::NTriples).expect("serializes");
        assert_eq!(joined, single);
        assert_eq!(
            joined.iter().filter(|b| **b == b'\n').count(),
            triples.len()
        );
    }
}
