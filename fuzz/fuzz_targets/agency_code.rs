//! The agency-code grammar (`^[A-Y][0-9]{2}(\.[0-9A-Z]+)*$`, Decision 20/2020/QĐ-TTg) as the registry applies it:
//! matching never panics; a matching code's parent prefixes match too; a code written to the registry CSV with its
//! QCVN 102 notation parses back to the same code and notation.
#![no_main]
use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use registry::csv_format::{parse, write};
use registry::{Change, ItemData, ItemStatus, LangText, Notation};

include!("common.rs");

fuzz_target!(|data: &[u8]| {
    let Ok(code) = std::str::from_utf8(data) else {
        return;
    };
    let meta = agencies_meta();
    let re = meta.code_regex();
    if !re.is_match(code) {
        return;
    }
    // Display = the segments joined by '.'; parse = split; every proper prefix is a valid (parent) code.
    let segments: Vec<&str> = code.split('.').collect();
    assert_eq!(segments.join("."), code);
    for n in 1..segments.len() {
        let parent = segments[..n].join(".");
        assert!(
            re.is_match(&parent),
            "parent {parent} of {code} does not match"
        );
    }
    let item = ItemData {
        code: code.to_owned(),
        parent: None,
        level: Some("level-1".to_owned()),
        labels: LangText::new(Some("Cơ quan"), None),
        definition: LangText::default(),
        status: ItemStatus::Valid,
        valid_from: None,
        valid_to: None,
        legal_basis: None,
        successors: vec![],
        notations: vec![Notation {
            kind: "qcvn102".to_owned(),
            value: format!("000.00.00.{code}"),
        }],
        exact_match: vec![],
        close_match: vec![],
        attributes: Default::default(),
    };
    let csv = write(&meta, [&item]);
    let (changes, problems) = parse(&meta, &csv, &HashMap::new());
    assert!(problems.is_empty(), "{problems:?}");
    match changes.as_slice() {
        [Change::Put { item: back, .. }] => assert_eq!(back, &item),
        other => panic!("{other:?}"),
    }
});
