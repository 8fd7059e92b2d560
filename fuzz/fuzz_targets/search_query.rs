//! The search query (free text `q`, facet filters, paging) against a real tantivy index: never panics; errors are
//! clean `SearchError`s.
#![no_main]
use std::sync::OnceLock;

use catalog::search::{SearchIndex, SearchQuery, Sort};
use libfuzzer_sys::fuzz_target;

fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<(tempfile::TempDir, SearchIndex)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let index = SearchIndex::open(dir.path()).unwrap();
            (dir, index)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Layout: q \n facet=value \n facet=value ... ; first byte picks sort and paging.
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
    let _ = index().search(&query);
});
