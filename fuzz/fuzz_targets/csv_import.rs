//! Registry CSV import: parse never panics; whatever parses writes back to a CSV that parses to the same items
//! (formula neutralisation included), and `unneutralize(neutralize(cell)) == cell` for every cell.
#![no_main]
use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use registry::Change;
use registry::csv_format::{neutralize, parse, unneutralize, write};

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(unneutralize(&neutralize(text)), text);
    }
    let meta = agencies_meta();
    let (changes, problems) = parse(&meta, data, &HashMap::new());
    if !problems.is_empty() || changes.is_empty() {
        return;
    }
    let items: Vec<_> = changes
        .into_iter()
        .map(|c| match c {
            Change::Put { item, .. } => item,
            other => panic!("a CSV row became {other:?}"),
        })
        .collect();
    let csv = write(&meta, &items);
    let (again, problems) = parse(&meta, &csv, &HashMap::new());
    assert!(
        problems.is_empty(),
        "re-import of an export failed: {problems:?}\n{}",
        String::from_utf8_lossy(&csv)
    );
    let again: Vec<_> = again
        .into_iter()
        .map(|c| match c {
            Change::Put { item, .. } => item,
            other => panic!("a CSV row became {other:?}"),
        })
        .collect();
    assert_eq!(items, again);
});
