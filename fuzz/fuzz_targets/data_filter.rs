//! The data API's query-string parser (`col=v`, `col.gt=`, `col.in=a,b`, `sort`, `fields`, `cursor`, `limit`,
//! `format`): never panics; an accepted `limit` is in range and an accepted `cursor` is non-negative.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(q) = opendata::http::data::parse_data_query(query) {
        assert!(
            q.limit
                .is_none_or(|l| (1..=opendata::http::data::MAX_LIMIT).contains(&l))
        );
        assert!(q.cursor.is_none_or(|c| c >= 0));
    }
});
