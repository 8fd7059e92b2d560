//! Replays every input kept in `fuzz/regressions/<target>/` (crashes the fuzzers found, plus seeds) through the same
//! checks as the fuzz targets in `fuzz/fuzz_targets/`, so a fixed crash stays fixed in the normal test suite.
use std::collections::HashMap;
use std::path::PathBuf;

use catalog::search::{SearchIndex, SearchQuery, Sort};
use registry::Change;
use registry::csv_format::{neutralize, parse, unneutralize, write};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no inputs in {}", dir.display());
    out
}

fn agencies_meta() -> registry::CodeListMeta {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../datasets/registry/agencies/list.json")).unwrap();
    v.as_object_mut().unwrap().retain(|k, _| {
        matches!(
            k.as_str(),
            "id" | "title"
                | "description"
                | "ownerAgency"
                | "codePattern"
                | "levels"
                | "licence"
                | "notationTypes"
                | "attributes"
        )
    });
    serde_json::from_value(v).unwrap()
}

fn puts(changes: Vec<Change>) -> Vec<registry::ItemData> {
    changes
        .into_iter()
        .map(|c| match c {
            Change::Put { item, .. } => item,
            other => panic!("a CSV row became {other:?}"),
        })
        .collect()
}

#[test]
fn csv_import_inputs_round_trip() {
    let meta = agencies_meta();
    for (path, data) in inputs("csv_import") {
        if let Ok(text) = std::str::from_utf8(&data) {
            assert_eq!(unneutralize(&neutralize(text)), text, "{}", path.display());
        }
        let (changes, problems) = parse(&meta, &data, &HashMap::new());
        if !problems.is_empty() || changes.is_empty() {
            continue;
        }
        let items = puts(changes);
        let (again, problems) = parse(&meta, &write(&meta, &items), &HashMap::new());
        assert!(problems.is_empty(), "{}: {problems:?}", path.display());
        assert_eq!(items, puts(again), "{}", path.display());
    }
}

#[test]
fn agency_code_inputs_keep_the_grammar() {
    let re = agencies_meta().code_regex();
    for (path, data) in inputs("agency_code") {
        let Ok(code) = std::str::from_utf8(&data) else {
            continue;
        };
        if !re.is_match(code) {
            continue;
        }
        let segments: Vec<&str> = code.split('.').collect();
        for n in 1..segments.len() {
            assert!(re.is_match(&segments[..n].join(".")), "{}", path.display());
        }
    }
}

#[test]
fn search_query_inputs_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    for (_, data) in inputs("search_query") {
        let text = String::from_utf8_lossy(&data);
        let mut lines = text.split('\n');
        let q = lines.next().map(str::to_owned);
        let filters = lines
            .filter_map(|l| l.split_once('='))
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        let b = data.first().copied().unwrap_or(0);
        let query = SearchQuery {
            q,
            filters,
            sort: match b % 4 {
                0 => Sort::Relevance,
                1 => Sort::Modified,
                2 => Sort::Quality,
                _ => Sort::Title,
            },
            offset: usize::from(b) * 1000,
            limit: usize::from(b),
            skip_facets: b % 2 == 1,
        };
        let _ = index.search(&query);
    }
}

#[test]
fn data_filter_inputs_do_not_panic() {
    for (_, data) in inputs("data_filter") {
        let Ok(query) = std::str::from_utf8(&data) else {
            continue;
        };
        if let Ok(q) = opendata::http::data::parse_data_query(query) {
            assert!(
                q.limit
                    .is_none_or(|l| (1..=opendata::http::data::MAX_LIMIT).contains(&l))
            );
            assert!(q.cursor.is_none_or(|c| c >= 0));
        }
    }
}

#[test]
fn dcat_inputs_do_not_panic() {
    for (path, data) in inputs("dcat_input") {
        let (kind, body) = data.split_first().unwrap_or((&0, &data[..]));
        let content_type = match kind % 4 {
            0 => "text/turtle",
            1 => "application/rdf+xml",
            2 => "application/ld+json",
            _ => "application/n-triples",
        };
        let parsed = harvester::source::dcat::parse_packages(
            body,
            Some(content_type),
            "https://portal.example/catalog",
        );
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("seed-"))
        {
            let packages = parsed.unwrap();
            assert!(
                packages.iter().any(Result::is_ok),
                "{}: no package",
                path.display()
            );
        }
    }
}
