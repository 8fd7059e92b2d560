//! Unit tests of the score and the CSV report.
use registry::model::ItemData;

use super::*;
use crate::model::{ContactPoint, Distribution, Keywords, Period};

fn item(code: &str, exact: &[&str], media: Option<&str>) -> ItemData {
    let mut v = serde_json::json!({"code": code, "labels": {"en": code}, "status": "valid"});
    v["exactMatch"] = serde_json::json!(exact);
    if let Some(m) = media {
        v["attributes"] = serde_json::json!({ "mediaType": m });
    }
    serde_json::from_value(v).expect("item")
}

fn lookup(list: &str, code: &str) -> Option<ItemData> {
    match (list, code) {
        ("file-types", "CSV") => Some(item(
            "CSV",
            &["http://publications.europa.eu/resource/authority/file-type/CSV"],
            Some("text/csv"),
        )),
        ("file-types", "PDF") => Some(item("PDF", &[], Some("application/pdf"))),
        ("licences", "CC-BY-4.0") => Some(item(
            "CC-BY-4.0",
            &["http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"],
            None,
        )),
        ("access-rights", "PUBLIC") => Some(item(
            "PUBLIC",
            &["http://publications.europa.eu/resource/authority/access-right/PUBLIC"],
            None,
        )),
        _ => None,
    }
}

fn complete() -> DatasetContent {
    let mut file = Distribution::new("data");
    file.file_sha256 = Some("ab".repeat(32));
    file.byte_size = Some(10);
    file.format = Some("CSV".into());
    serde_json::from_value::<DatasetContent>(serde_json::json!({
        "title": {"vi": "Dữ liệu"}, "description": {"vi": "Mô tả"}, "publisher": "G12", "themes": ["ECON"],
    }))
    .map(|mut c| {
        c.keywords = Keywords { vi: vec!["a".into()], en: vec![] };
        c.spatial = vec!["01".into()];
        c.temporal = Some(Period { start: "2024-01-01".parse().ok(), end: None });
        c.licence = Some("CC-BY-4.0".into());
        c.access_right = Some("PUBLIC".into());
        c.contact_point = Some(ContactPoint { name: "Phòng A".into(), email: Some("a@example.gov.vn".into()) });
        c.data_class = Some("OPEN".into());
        c.issued = "2024-01-01".parse().ok();
        c.modified = "2024-02-01".parse().ok();
        c.distributions = vec![file];
        c
    })
    .expect("content")
}

fn score_with(content: &DatasetContent, state: LinkState) -> QualityReport {
    let links = move |_: &str| state;
    score(
        content,
        &QualityContext {
            lookup: &lookup,
            links: &links,
        },
    )
}

#[test]
fn a_complete_dataset_scores_the_maximum() {
    let report = score_with(&complete(), LinkState::Unchecked);
    let missing: Vec<_> = report.missing().map(|i| i.id).collect();
    assert_eq!(missing, Vec::<&str>::new());
    assert_eq!(report.points, max_points());
    assert_eq!(report.rating, Rating::Excellent);
    assert_eq!(max_points(), 385);
}

#[test]
fn a_missing_licence_costs_exactly_the_licence_indicators() {
    let full = score_with(&complete(), LinkState::Unchecked);
    let mut c = complete();
    c.licence = None;
    let without = score_with(&c, LinkState::Unchecked);
    let licence =
        indicator("licence").unwrap().points + indicator("licenceVocabulary").unwrap().points;
    assert_eq!(full.points - without.points, licence);
    let hint = &without.indicator("licence").unwrap().hint;
    assert!(hint.en.contains("licence") && hint.vi.contains("giấy phép"));
}

#[test]
fn external_links_count_only_once_checked_and_answering() {
    let mut c = complete();
    let mut d = Distribution::new("elsewhere");
    d.download_url = Some("https://example.org/data.csv".into());
    d.format = Some("PDF".into());
    c.distributions.push(d);
    let unchecked = score_with(&c, LinkState::Unchecked);
    let answers = score_with(&c, LinkState::Answers);
    let broken = score_with(&c, LinkState::Broken);
    let access = unchecked.indicator("accessUrlAnswers").unwrap();
    assert_eq!(access.points, 25, "one of two distributions answers");
    assert!(access.missing[0].contains("not checked"));
    assert_eq!(answers.indicator("accessUrlAnswers").unwrap().points, 50);
    assert_eq!(broken.points, unchecked.points);
    assert!(broken.indicator("downloadUrlAnswers").unwrap().missing[0].contains("broken"));
    assert_eq!(
        answers.indicator("machineReadable").unwrap().points,
        10,
        "PDF is not machine-readable"
    );
}

#[test]
fn csv_report_locates_broken_rows_and_duplicate_headers() {
    let csv = "id,name,name,amount\n1,Hà Nội,a,10\n2,Huế,b,20,extra\n3,Đà Nẵng,c,x\n4,Cần Thơ,d\n1,Hà Nội,a,10\n";
    let r = csv_report::validate("h", csv.as_bytes());
    let found: Vec<(&str, Option<u64>, Option<u32>)> = r
        .problems
        .iter()
        .map(|p| (p.kind.as_str(), p.row, p.column))
        .collect();
    assert_eq!(
        found,
        vec![
            ("duplicate-label", Some(1), Some(3)),
            ("extra-cell", Some(3), Some(5)),
            ("missing-cell", Some(5), Some(4)),
            ("duplicate-row", Some(6), None),
        ]
    );
    assert_eq!(r.rows, 5);
    // "x" among four values is too many for an integer column (Frictionless's 90 % of the sampled rows).
    assert_eq!(r.columns[3].kind, csv_report::CellType::Text);
    assert_eq!(r.columns[3].missing, 1);
    // Frictionless infers types on the first 100 rows and only then checks values: "six" past them is a type error; a
    // blank line inside or at the end is a blank row. (Checked with `frictionless validate` 5.21.)
    let mut rows = vec!["n,day".to_owned()];
    for i in 1..=120 {
        rows.push(format!("{i},2024-01-{:02}", i % 28 + 1));
    }
    rows[110] = "six,2024-01-06".into();
    rows[5] = ",2024-01-05".into();
    rows.insert(9, String::new());
    let typed = csv_report::validate("h", (rows.join("\n") + "\n\n").as_bytes());
    let found: Vec<(&str, Option<u64>, Option<u32>)> = typed
        .problems
        .iter()
        .map(|p| (p.kind.as_str(), p.row, p.column))
        .collect();
    assert_eq!(
        found,
        vec![
            ("blank-row", Some(10), None),
            ("type-error", Some(112), Some(1)),
            ("blank-row", Some(123), None),
        ]
    );
    assert_eq!(typed.problems[1].line, Some(112));
    assert_eq!(typed.columns[0].kind, csv_report::CellType::Integer);
    assert_eq!(typed.columns[0].missing, 1);
    assert_eq!(typed.columns[1].kind, csv_report::CellType::Date);
    assert_eq!(typed.rows, 122);
    // A quoted value over two lines is one row: rows and lines part ways.
    let multi = csv_report::validate("h", "a,b\n1,2\n \n\"x\ny\",4\n\n5,6\n".as_bytes());
    type Located<'a> = (&'a str, Option<u64>, Option<u64>, Option<u32>);
    let found: Vec<Located> = multi
        .problems
        .iter()
        .map(|p| (p.kind.as_str(), p.row, p.line, p.column))
        .collect();
    assert_eq!(
        found,
        vec![
            ("missing-cell", Some(3), Some(3), Some(2)),
            ("blank-row", Some(5), Some(6), None)
        ]
    );
    assert_eq!(r.duplicate_rows, 1);
    assert!(!r.valid);
    let semi = csv_report::validate("h", "a;b\n1;2\n".as_bytes());
    assert_eq!(semi.delimiter, ";");
    assert!(semi.valid, "{:?}", semi.problems);
    let latin1 = csv_report::validate("h", b"a,b\n\xe9,1\n");
    assert_eq!(latin1.encoding, "unknown");
}

mod properties {
    use proptest::prelude::*;

    use super::csv_report;

    proptest! {
        /// Any bytes: no panic, and the report is consistent with itself.
        #[test]
        fn any_bytes_give_a_consistent_report(bytes in proptest::collection::vec(
            prop_oneof![Just(b','), Just(b';'), Just(b'"'), Just(b'\n'), Just(b'\r'), Just(b'a'), Just(b'1'), Just(0xC3u8), any::<u8>()],
            0..300,
        )) {
            let r = csv_report::validate("h", &bytes);
            let counted: u64 = r.counts.values().sum();
            prop_assert!(counted >= r.problems.len() as u64);
            prop_assert_eq!(r.valid, counted == 0);
            for p in &r.problems {
                if let Some(row) = p.row {
                    prop_assert!(row <= r.rows + 1, "{:?} past {} rows", p, r.rows);
                }
            }
        }

        /// A well-formed table (unique column names, every row complete, no repeated row) written by a CSV writer:
        /// every row is counted and no structural problem is reported.
        #[test]
        fn a_well_formed_table_has_no_structural_problem(
            width in 1usize..5,
            cells in proptest::collection::vec("[a-z0-9 ,\"]{1,4}", 0..60),
        ) {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record((0..width).map(|i| format!("c{i}"))).unwrap();
            let mut rows = std::collections::BTreeSet::new();
            for (n, chunk) in cells.chunks(width).filter(|c| c.len() == width).enumerate() {
                // A leading row number keeps every row distinct (and never blank).
                let mut row: Vec<String> = chunk.to_vec();
                row[0] = format!("{n}{}", row[0]);
                if rows.insert(row.clone()) {
                    w.write_record(&row).unwrap();
                }
            }
            let bytes = w.into_inner().unwrap();
            let r = csv_report::validate("h", &bytes);
            prop_assert_eq!(r.rows, rows.len() as u64);
            prop_assert_eq!(r.columns.len(), width);
            for p in &r.problems {
                prop_assert_eq!(p.kind.as_str(), "type-error", "{:?}", p);
            }
        }
    }
}
