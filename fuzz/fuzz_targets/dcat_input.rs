//! The harvester's DCAT input (Turtle, RDF/XML, JSON-LD → CKAN packages): never panics, whatever the bytes. The first
//! byte picks the declared media type.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (kind, body) = data.split_first().unwrap_or((&0, data));
    let content_type = match kind % 4 {
        0 => "text/turtle",
        1 => "application/rdf+xml",
        2 => "application/ld+json",
        _ => "application/n-triples",
    };
    let _ = harvester::source::dcat::parse_packages(
        body,
        Some(content_type),
        "https://portal.example/catalog",
    );
});
