//! One DCAT document read leniently, its triples grouped by subject. Third-party catalogues are rarely perfect: one
//! IRI with a space, a bad language tag or a date such as `2020-13-45` must not cost the whole document (ckanext-dcat
//! and udata harvest the rest). So the document is parsed without IRI validation and every statement is then checked
//! here: a statement with an invalid IRI (subject, predicate or object), an invalid language tag or a typed literal
//! whose lexical form does not fit its XSD datatype is skipped with a warning naming it. A syntax error skips what the
//! parser cannot recover (up to the end of that statement) with a warning, and marks the document *lossy*: something
//! may be missing from it, so a listing holding it must not be taken as complete. A document of which nothing at all
//! could be read is an error, as before.
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use oxrdf::{Literal, NamedNode, NamedOrBlankNode, Term};
use oxrdfio::{RdfFormat, RdfParser};
use vocab::{dcat, hydra, rdf};

use crate::HarvestError;

/// Syntax errors reported at most per document (a binary file read as Turtle would give one per token).
const MAX_SYNTAX_ERRORS: usize = 100;
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// One page's triples, by subject.
#[derive(Default)]
pub(super) struct Graph {
    by_subject: HashMap<NamedOrBlankNode, Vec<(String, Term)>>,
    /// What was skipped, one line each, in document order.
    pub warnings: Vec<String>,
    /// A syntax error lost an unknown part of the document.
    pub lossy: bool,
}

pub(super) fn node_of(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        _ => None,
    }
}

pub(super) fn iri_of(term: &Term) -> Option<String> {
    match term {
        Term::NamedNode(n) => Some(n.as_str().to_owned()),
        _ => None,
    }
}

impl Graph {
    /// Parses `body` leniently (see the module doc). `base` resolves relative IRIs and names the document in warnings.
    pub(super) fn parse(body: &[u8], format: RdfFormat, base: &str) -> Result<Self, HarvestError> {
        let mut parser = RdfParser::from_format(format).lenient();
        if let Ok(with_base) = RdfParser::from_format(format).lenient().with_base_iri(base) {
            parser = with_base;
        }
        let mut graph = Graph::default();
        let mut statements = 0usize;
        let mut syntax_errors = 0usize;
        let mut first_error = None;
        for quad in parser.for_slice(body) {
            let quad = match quad {
                Ok(q) => q,
                Err(e) => {
                    syntax_errors += 1;
                    graph.lossy = true;
                    first_error.get_or_insert_with(|| e.to_string());
                    if syntax_errors > MAX_SYNTAX_ERRORS {
                        graph.warnings.push(format!(
                            "{base}: more than {MAX_SYNTAX_ERRORS} syntax errors, the rest of the document is not read"
                        ));
                        break;
                    }
                    graph
                        .warnings
                        .push(format!("{base}: syntax error, statement skipped: {e}"));
                    continue;
                }
            };
            statements += 1;
            if let Err(reason) = check_statement(&quad.subject, &quad.predicate, &quad.object) {
                graph.warnings.push(format!(
                    "{base}: statement skipped ({reason}): {} <{}> {}",
                    quad.subject,
                    quad.predicate.as_str(),
                    quad.object
                ));
                continue;
            }
            graph
                .by_subject
                .entry(quad.subject)
                .or_default()
                .push((quad.predicate.into_string(), quad.object));
        }
        if statements == 0
            && let Some(e) = first_error
        {
            return Err(HarvestError::Source(format!("{base}: {e}")));
        }
        Ok(graph)
    }

    pub(super) fn objects<'a>(
        &'a self,
        s: &NamedOrBlankNode,
        p: &str,
    ) -> impl Iterator<Item = &'a Term> + use<'a> {
        let p = p.to_owned();
        self.by_subject
            .get(s)
            .into_iter()
            .flatten()
            .filter(move |(pred, _)| *pred == p)
            .map(|(_, o)| o)
    }

    pub(super) fn has_type(&self, s: &NamedOrBlankNode, class: &str) -> bool {
        self.objects(s, rdf::TYPE.as_str())
            .any(|o| iri_of(o).as_deref() == Some(class))
    }

    /// The catalogue's datasets (`dcat:dataset` of a `dcat:Catalog`), else every `dcat:Dataset`, in a stable order.
    pub(super) fn datasets(&self) -> Vec<NamedOrBlankNode> {
        let dataset_class = dcat::DATASET.as_str();
        let catalog_class = dcat::CATALOG.as_str();
        let mut out: Vec<NamedOrBlankNode> = self
            .by_subject
            .keys()
            .filter(|s| self.has_type(s, catalog_class))
            .flat_map(|c| {
                self.objects(c, dcat::DATASET_PROPERTY.as_str())
                    .filter_map(node_of)
            })
            .collect();
        if out.is_empty() {
            out = self
                .by_subject
                .keys()
                .filter(|s| self.has_type(s, dataset_class))
                .cloned()
                .collect();
        }
        out.sort_by_key(|n| n.to_string());
        out.dedup();
        out
    }

    pub(super) fn next_page(&self, visited: &HashSet<String>) -> Option<String> {
        let mut candidates: Vec<String> = self
            .by_subject
            .values()
            .flatten()
            .filter(|(p, _)| *p == hydra::NEXT.as_str() || *p == hydra::NEXT_PAGE.as_str())
            .filter_map(|(_, o)| iri_of(o))
            .filter(|u| !visited.contains(u))
            .collect();
        candidates.sort();
        candidates.into_iter().next()
    }

    /// Literals of `p` as (language, text).
    pub(super) fn literals(&self, s: &NamedOrBlankNode, p: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .objects(s, p)
            .filter_map(|o| match o {
                Term::Literal(l) => Some((
                    l.language().unwrap_or_default().to_owned(),
                    l.value().trim().to_owned(),
                )),
                _ => None,
            })
            .filter(|(_, v)| !v.is_empty())
            .collect();
        out.sort();
        out
    }

    /// One text of `p`: Vietnamese first, then untagged, then English, then any.
    pub(super) fn text(&self, s: &NamedOrBlankNode, p: &str) -> Option<String> {
        let all = self.literals(s, p);
        for lang in ["vi", "", "en"] {
            if let Some((_, v)) = all.iter().find(|(l, _)| l.eq_ignore_ascii_case(lang)) {
                return Some(v.clone());
            }
        }
        all.into_iter().next().map(|(_, v)| v)
    }

    pub(super) fn text_in(&self, s: &NamedOrBlankNode, p: &str, lang: &str) -> Option<String> {
        self.literals(s, p)
            .into_iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(lang))
            .map(|(_, v)| v)
    }

    pub(super) fn iris(&self, s: &NamedOrBlankNode, p: &str) -> Vec<String> {
        let mut out: Vec<String> = self.objects(s, p).filter_map(iri_of).collect();
        out.sort();
        out.dedup();
        out
    }

    pub(super) fn iri(&self, s: &NamedOrBlankNode, p: &str) -> Option<String> {
        self.iris(s, p).into_iter().next()
    }

    pub(super) fn node(&self, s: &NamedOrBlankNode, p: &str) -> Option<NamedOrBlankNode> {
        let mut nodes: Vec<NamedOrBlankNode> = self.objects(s, p).filter_map(node_of).collect();
        nodes.sort_by_key(|n| n.to_string());
        nodes.into_iter().next()
    }

    /// An IRI or a literal, as text.
    pub(super) fn value(&self, s: &NamedOrBlankNode, p: &str) -> Option<String> {
        self.iri(s, p).or_else(|| self.text(s, p))
    }
}

/// Why a statement parsed without validation is not RDF: an invalid IRI, language tag or typed literal.
fn check_statement(s: &NamedOrBlankNode, p: &NamedNode, o: &Term) -> Result<(), String> {
    let iri = |n: &NamedNode| {
        NamedNode::new(n.as_str())
            .map(|_| ())
            .map_err(|e| format!("invalid IRI <{}>: {e}", n.as_str()))
    };
    if let NamedOrBlankNode::NamedNode(n) = s {
        iri(n)?;
    }
    iri(p)?;
    match o {
        Term::NamedNode(n) => iri(n),
        Term::Literal(l) => check_literal(l),
        _ => Ok(()),
    }
}

fn check_literal(l: &Literal) -> Result<(), String> {
    if let Some(lang) = l.language() {
        return Literal::new_language_tagged_literal(l.value(), lang)
            .map(|_| ())
            .map_err(|e| format!("invalid language tag {lang:?}: {e}"));
    }
    let datatype = l.datatype();
    NamedNode::new(datatype.as_str())
        .map_err(|e| format!("invalid datatype IRI <{}>: {e}", datatype.as_str()))?;
    let Some(local) = datatype.as_str().strip_prefix(XSD) else {
        return Ok(());
    };
    let value = l.value();
    use oxsdatatypes as xsd;
    let fits = match local {
        "date" => xsd::Date::from_str(value).is_ok(),
        "dateTime" => xsd::DateTime::from_str(value).is_ok(),
        "gYear" => xsd::GYear::from_str(value).is_ok(),
        "gYearMonth" => xsd::GYearMonth::from_str(value).is_ok(),
        "boolean" => xsd::Boolean::from_str(value).is_ok(),
        "decimal" => xsd::Decimal::from_str(value).is_ok(),
        "double" | "float" => xsd::Double::from_str(value).is_ok(),
        "duration" => xsd::Duration::from_str(value).is_ok(),
        "integer" | "long" | "int" => xsd::Integer::from_str(value).is_ok(),
        "nonNegativeInteger" | "positiveInteger" | "unsignedLong" | "unsignedInt" => {
            value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty()
                || value
                    .strip_prefix('+')
                    .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        }
        _ => true,
    };
    if fits {
        Ok(())
    } else {
        Err(format!("{value:?} is not a valid xsd:{local}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BROKEN: &str = r#"
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<http://ex.org/c> a dcat:Catalog ; dcat:dataset <http://ex.org/d1>, <http://ex.org/d3> .
<http://ex.org/d1> a dcat:Dataset ; dcat:landingPage <http://ex.org/land ing> ; dct:title "One"@en .
<http://ex.org/d3> a dcat:Dataset ; dct:issued "2020-13-45"^^xsd:date ; dct:title "Three"@e-n-g-l-i-s-h-x ;
  dct:modified "2021-02-03"^^xsd:date ; dct:title "Three" .
"#;

    #[test]
    fn a_bad_iri_or_literal_skips_its_statement_only() {
        let g = Graph::parse(BROKEN.as_bytes(), RdfFormat::Turtle, "http://ex.org/c").unwrap();
        assert_eq!(g.datasets().len(), 2);
        let d1 = NamedOrBlankNode::from(NamedNode::new("http://ex.org/d1").unwrap());
        let d3 = NamedOrBlankNode::from(NamedNode::new("http://ex.org/d3").unwrap());
        assert_eq!(
            g.text(&d1, "http://purl.org/dc/terms/title").as_deref(),
            Some("One")
        );
        assert_eq!(g.iri(&d1, dcat::LANDING_PAGE.as_str()), None);
        assert_eq!(g.text(&d3, "http://purl.org/dc/terms/issued"), None);
        assert_eq!(
            g.text(&d3, "http://purl.org/dc/terms/modified").as_deref(),
            Some("2021-02-03")
        );
        assert_eq!(
            g.text(&d3, "http://purl.org/dc/terms/title").as_deref(),
            Some("Three")
        );
        assert_eq!(g.warnings.len(), 3, "{:#?}", g.warnings);
        assert!(g.warnings[0].contains("land ing"), "{}", g.warnings[0]);
        assert!(!g.lossy);
    }

    #[test]
    fn a_syntax_error_skips_the_statement_and_marks_the_document_lossy() {
        let text = "<http://ex.org/a> a <http://www.w3.org/ns/dcat#Dataset> .\n<http://ex.org/b> <http://p> \"x\" \"y\" .\n\
                    <http://ex.org/e> a <http://www.w3.org/ns/dcat#Dataset> .\n";
        let g = Graph::parse(text.as_bytes(), RdfFormat::Turtle, "http://ex.org/").unwrap();
        assert!(g.lossy);
        assert_eq!(g.datasets().len(), 2, "{:#?}", g.warnings);
        assert!(Graph::parse(b"<html><body>not RDF", RdfFormat::Turtle, "http://ex.org/").is_err());
    }
}
