//! Content negotiation (`?format=` or `Accept`) and typed responses.
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use registry::InputProblem;

use super::*;

/// The representations a resource can be negotiated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// `application/json`.
    Json,
    /// `text/csv`.
    Csv,
    /// An RDF syntax.
    Rdf(registry::skos::RdfKind),
}

/// Picks the representation from `?format=` or, failing that, from `Accept` (by quality, JSON when anything goes).
pub fn negotiate(format: Option<&str>, headers: &HeaderMap) -> Result<Representation, ApiError> {
    use registry::skos::RdfKind;
    if let Some(f) = format {
        return match f {
            "json" => Ok(Representation::Json),
            "csv" => Ok(Representation::Csv),
            "ttl" | "turtle" => Ok(Representation::Rdf(RdfKind::Turtle)),
            "jsonld" => Ok(Representation::Rdf(RdfKind::JsonLd)),
            "rdfxml" | "rdf" => Ok(Representation::Rdf(RdfKind::RdfXml)),
            "nt" => Ok(Representation::Rdf(RdfKind::NTriples)),
            _ => Err(ApiError::BadRequest(vec![InputProblem::field(
                "format",
                format!("{f:?} is not one of json, csv, ttl, jsonld, rdfxml, nt"),
            )])),
        };
    }
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(Representation::Json);
    };
    let mut ranges: Vec<(f32, usize, &str)> = accept
        .split(',')
        .enumerate()
        .map(|(i, part)| {
            let mut bits = part.split(';');
            let media = bits.next().unwrap_or("").trim();
            let q = bits
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q, i, media)
        })
        .filter(|(q, _, _)| *q > 0.0)
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, media) in ranges {
        let found = match media {
            "application/json" | "application/*" | "*/*" => Some(Representation::Json),
            "text/csv" => Some(Representation::Csv),
            "text/turtle" => Some(Representation::Rdf(RdfKind::Turtle)),
            "application/ld+json" => Some(Representation::Rdf(RdfKind::JsonLd)),
            "application/rdf+xml" => Some(Representation::Rdf(RdfKind::RdfXml)),
            "application/n-triples" => Some(Representation::Rdf(RdfKind::NTriples)),
            _ => None,
        };
        if let Some(r) = found {
            return Ok(r);
        }
    }
    Err(ApiError::NotAcceptable(
        "available: application/json, text/csv, text/turtle, application/ld+json, application/rdf+xml".into(),
    ))
}

/// A body with a content type.
pub fn typed(content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
