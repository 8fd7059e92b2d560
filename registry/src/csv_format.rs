//! The registry's CSV format, for import and export: one row per item, columns named after the item's fields.
//!
//! Columns: `code, parent, level, label_vi, label_en, definition_vi, definition_en, status, valid_from, valid_to,
//! legal_basis_decision, legal_basis_date, legal_basis_issuer, successors, exact_match, close_match`, plus
//! `notation:<type>` and `attr:<name>` for the list's declared notation types and attributes. Multiple values are
//! separated by `|`. On import a row is the desired state of the columns present; columns absent from the file keep the
//! item's current values, so a file may carry only the columns it changes.
use std::collections::{BTreeMap, HashMap};

use crate::error::InputProblem;
use crate::model::{
    Change, CodeListMeta, ItemData, ItemStatus, LangText, LegalBasis, Notation, parse_date,
};

const FIXED: &[&str] = &[
    "code",
    "parent",
    "level",
    "label_vi",
    "label_en",
    "definition_vi",
    "definition_en",
    "status",
    "valid_from",
    "valid_to",
    "legal_basis_decision",
    "legal_basis_date",
    "legal_basis_issuer",
    "successors",
    "exact_match",
    "close_match",
];

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell` is quotes (`'`) followed by a formula start: such a cell must gain one more quote on export, or
/// [`unneutralize`] would take its own quote for the one [`neutralize`] adds.
fn quoted_formula(cell: &str) -> bool {
    cell.starts_with('\'') && cell.trim_start_matches('\'').starts_with(FORMULA_START)
}

/// Neutralizes spreadsheet formulas: a cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading
/// `'`, so a spreadsheet shows it as text instead of running it (OWASP CSV injection). [`unneutralize`] undoes it on
/// import, so exports still round-trip (a cell that already is quotes before a formula start gets one more quote, so
/// that it round-trips too).
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_START) || quoted_formula(cell) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Reverses [`neutralize`].
pub fn unneutralize(cell: &str) -> &str {
    if quoted_formula(cell) {
        &cell[1..]
    } else {
        cell
    }
}

/// The header of an export of `meta`'s items.
pub fn header(meta: &CodeListMeta) -> Vec<String> {
    FIXED
        .iter()
        .map(|s| (*s).to_owned())
        .chain(meta.notation_types.iter().map(|t| format!("notation:{t}")))
        .chain(meta.attributes.keys().map(|a| format!("attr:{a}")))
        .collect()
}

/// One item as a CSV record in the order of [`header`].
pub fn record(meta: &CodeListMeta, item: &ItemData) -> Vec<String> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let basis = item.legal_basis.clone().unwrap_or_default();
    let mut out = vec![
        item.code.clone(),
        opt(&item.parent),
        opt(&item.level),
        opt(&item.labels.vi),
        opt(&item.labels.en),
        opt(&item.definition.vi),
        opt(&item.definition.en),
        item.status.as_str().to_owned(),
        date(item.valid_from),
        date(item.valid_to),
        opt(&basis.decision),
        date(basis.date),
        opt(&basis.issuer),
        item.successors.join("|"),
        item.exact_match.join("|"),
        item.close_match.join("|"),
    ];
    for t in &meta.notation_types {
        out.push(
            item.notations
                .iter()
                .filter(|n| &n.kind == t)
                .map(|n| n.value.as_str())
                .collect::<Vec<_>>()
                .join("|"),
        );
    }
    for a in meta.attributes.keys() {
        out.push(match item.attributes.get(a) {
            None => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        });
    }
    out
}

/// Writes the items as CSV.
pub fn write<'a>(meta: &CodeListMeta, items: impl IntoIterator<Item = &'a ItemData>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header(meta)).expect("writing to memory");
    for item in items {
        w.write_record(
            record(meta, item)
                .iter()
                .map(|c| neutralize(c).into_owned()),
        )
        .expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

/// Parses an import into one [`Change::Put`] per row. Returns the rows that parsed and every problem found, each with
/// its line, so the caller can also plan the good rows and report all problems at once.
pub fn parse(
    meta: &CodeListMeta,
    bytes: &[u8],
    current: &HashMap<String, ItemData>,
) -> (Vec<Change>, Vec<InputProblem>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1;
        return (
            vec![],
            vec![InputProblem::line(
                line,
                None,
                "not valid UTF-8 (save the file as UTF-8)",
            )],
        );
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            return (
                vec![],
                vec![InputProblem::line(
                    1,
                    None,
                    format!("unreadable header: {e}"),
                )],
            );
        }
        None => {
            return (
                vec![],
                vec![InputProblem::line(
                    1,
                    None,
                    "the file is empty: a header row is required",
                )],
            );
        }
    };
    let mut problems = Vec::new();
    let columns: Vec<String> = header.iter().map(|c| c.trim().to_owned()).collect();
    let mut index = HashMap::new();
    for (i, c) in columns.iter().enumerate() {
        let known = FIXED.contains(&c.as_str())
            || c.strip_prefix("notation:")
                .is_some_and(|t| meta.notation_types.iter().any(|n| n == t))
            || c.strip_prefix("attr:")
                .is_some_and(|a| meta.attributes.contains_key(a));
        if !known {
            problems.push(InputProblem::line(
                1,
                Some(c),
                "unknown column for this list",
            ));
        }
        if index.insert(c.clone(), i).is_some() {
            problems.push(InputProblem::line(1, Some(c), "column appears twice"));
        }
    }
    for required in ["code", "label_vi"] {
        if !index.contains_key(required) {
            problems.push(InputProblem::line(
                1,
                Some(required),
                "required column missing",
            ));
        }
    }
    if !problems.is_empty() {
        return (vec![], problems);
    }

    let mut changes = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(InputProblem::line(
                    line,
                    None,
                    format!("unreadable row: {e}"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != columns.len() {
            problems.push(InputProblem::line(
                line,
                None,
                format!("expected {} fields, found {}", columns.len(), record.len()),
            ));
            continue;
        }
        let cell = |name: &str| -> Option<&str> {
            index.get(name).map(|i| unneutralize(record[*i].trim()))
        };
        let present = |name: &str| index.contains_key(name);
        let nonempty = |name: &str| cell(name).filter(|s| !s.is_empty());
        let code = cell("code").unwrap_or_default().to_owned();
        if code.is_empty() {
            problems.push(InputProblem::line(line, Some("code"), "code is empty"));
            continue;
        }
        let base = current.get(&code).cloned().unwrap_or_else(|| ItemData {
            code: code.clone(),
            parent: None,
            level: None,
            labels: LangText::default(),
            definition: LangText::default(),
            status: ItemStatus::Valid,
            valid_from: None,
            valid_to: None,
            legal_basis: None,
            successors: Vec::new(),
            notations: Vec::new(),
            exact_match: Vec::new(),
            close_match: Vec::new(),
            attributes: BTreeMap::new(),
        });
        let mut item = base;
        let mut row_problems = Vec::new();
        let mut date_cell = |name: &str| -> Option<chrono::NaiveDate> {
            nonempty(name).and_then(|s| match parse_date(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    row_problems.push(InputProblem::line(line, Some(name), e));
                    None
                }
            })
        };
        let list = |name: &str| -> Vec<String> {
            nonempty(name)
                .map(|s| {
                    s.split('|')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let text = |name: &str| nonempty(name).map(str::to_owned);
        if present("parent") {
            item.parent = text("parent");
        }
        if present("level") {
            item.level = text("level");
        }
        if present("label_vi") {
            item.labels.vi = text("label_vi");
        }
        if present("label_en") {
            item.labels.en = text("label_en");
        }
        if present("definition_vi") {
            item.definition.vi = text("definition_vi");
        }
        if present("definition_en") {
            item.definition.en = text("definition_en");
        }
        if present("valid_from") {
            item.valid_from = date_cell("valid_from");
        }
        if present("valid_to") {
            item.valid_to = date_cell("valid_to");
        }
        if [
            "legal_basis_decision",
            "legal_basis_date",
            "legal_basis_issuer",
        ]
        .iter()
        .any(|c| present(c))
        {
            let mut basis = item.legal_basis.clone().unwrap_or_default();
            if present("legal_basis_decision") {
                basis.decision = text("legal_basis_decision");
            }
            if present("legal_basis_date") {
                basis.date = date_cell("legal_basis_date");
            }
            if present("legal_basis_issuer") {
                basis.issuer = text("legal_basis_issuer");
            }
            item.legal_basis = Some(basis).filter(|b: &LegalBasis| !b.is_empty());
        }
        if present("status") {
            item.status = match nonempty("status").map(str::parse::<ItemStatus>) {
                None => ItemStatus::Valid,
                Some(Ok(s)) => s,
                Some(Err(e)) => {
                    row_problems.push(InputProblem::line(line, Some("status"), e));
                    item.status
                }
            };
        }
        if present("successors") {
            item.successors = list("successors");
        }
        if present("exact_match") {
            item.exact_match = list("exact_match");
        }
        if present("close_match") {
            item.close_match = list("close_match");
        }
        for t in &meta.notation_types {
            let column = format!("notation:{t}");
            if present(&column) {
                item.notations.retain(|n| &n.kind != t);
                item.notations
                    .extend(list(&column).into_iter().map(|value| Notation {
                        kind: t.clone(),
                        value,
                    }));
            }
        }
        item.notations.sort();
        for (name, def) in &meta.attributes {
            let column = format!("attr:{name}");
            if present(&column) {
                match nonempty(&column) {
                    None => {
                        item.attributes.remove(name);
                    }
                    Some(v) => match def.parse_text(v) {
                        Ok(value) => {
                            item.attributes.insert(name.clone(), value);
                        }
                        Err(e) => row_problems.push(InputProblem::line(line, Some(&column), e)),
                    },
                }
            }
        }
        if row_problems.is_empty() {
            changes.push(Change::Put {
                item,
                line: Some(line),
            });
        } else {
            problems.extend(row_problems);
        }
    }
    (changes, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AttributeDef, AttributeType, CodeListId};

    fn meta() -> CodeListMeta {
        CodeListMeta {
            id: CodeListId::parse("file-types").unwrap(),
            title: LangText::new(Some("Định dạng"), None),
            description: LangText::default(),
            owner_agency: None,
            code_pattern: "[A-Z_]+".into(),
            levels: vec![],
            licence: None,
            notation_types: vec!["ext".into()],
            attributes: [(
                "size".to_owned(),
                AttributeDef {
                    kind: AttributeType::Integer,
                    description: None,
                },
            )]
            .into(),
        }
    }

    #[test]
    fn export_then_import_is_a_round_trip() {
        let csv = "code,label_vi,label_en,notation:ext,attr:size,successors\nCSV,\"Tệp CSV, phân cách\",CSV,csv|tsv,3,\n";
        let (changes, problems) = parse(&meta(), csv.as_bytes(), &HashMap::new());
        assert!(problems.is_empty(), "{problems:?}");
        let items: Vec<ItemData> = changes
            .into_iter()
            .map(|c| match c {
                Change::Put { item, .. } => item,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(items[0].labels.vi.as_deref(), Some("Tệp CSV, phân cách"));
        assert_eq!(items[0].notations.len(), 2);
        assert_eq!(items[0].attributes["size"], serde_json::json!(3));
        let written = write(&meta(), &items);
        let (again, problems) = parse(&meta(), &written, &HashMap::new());
        assert!(problems.is_empty());
        assert!(matches!(&again[0], Change::Put { item, .. } if *item == items[0]));
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let csv = b"code,label_vi,attr:size,valid_from\nA,a,1,\nB,b,many,\nC,c,2,2025-13-01\nD\n";
        let (_, problems) = parse(&meta(), csv, &HashMap::new());
        let found: Vec<_> = problems
            .iter()
            .map(|p| (p.line, p.field.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (Some(3), Some("attr:size")),
                (Some(4), Some("valid_from")),
                (Some(5), None)
            ]
        );
        let (_, problems) = parse(&meta(), b"code,label_vi,colour\n", &HashMap::new());
        assert_eq!(problems[0].field.as_deref(), Some("colour"));
        let (_, problems) = parse(
            &meta(),
            b"code,label_vi\nA,ok\nB,caf\xe9\n",
            &HashMap::new(),
        );
        assert_eq!(problems[0].line, Some(3));
    }
}

#[cfg(test)]
mod injection_tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized_and_round_trip() {
        for evil in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
        ] {
            let safe = neutralize(evil);
            assert!(safe.starts_with('\''), "{evil}");
            assert_eq!(unneutralize(&safe), evil);
        }
        assert_eq!(neutralize("Hà Nội"), "Hà Nội");
        assert_eq!(
            unneutralize("'quoted"),
            "'quoted",
            "a quote before ordinary text is data"
        );
    }
}
