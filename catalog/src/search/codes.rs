//! Code-list items in the search index, so one search box finds a province, a commune or an agency beside the
//! datasets: each item by its labels, code and notations, with its validity (a closed code shows its successors).
//!
//! Items are indexed as they stand in the registry when their list last changed; the indexer reads them through the
//! registry's public API ([`crate::indexer`]).
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::{CODE, SearchError, SearchIndex};
use registry::model::LangText;

/// The code lists whose items the search box finds.
pub const SEARCHED_LISTS: &[&str] = &["administrative-units", "agencies"];

/// Another item named by a code item (its successor, its parent), with its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeRef {
    /// Code.
    pub code: String,
    /// Label.
    pub label: LangText,
}

/// A code-list item as the search box shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CodeHit {
    /// The code list.
    pub list: String,
    /// The code.
    pub code: String,
    /// Label.
    pub label: LangText,
    /// Level within the list (province, commune, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Status when indexed, legal validity included: valid, superseded, retired, notYetValid, submitted or invalid.
    pub status: String,
    /// The day the code stopped (or stops) being valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
    /// What replaced a closed code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub successors: Vec<CodeRef>,
    /// The item it belongs to (a commune's province).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<CodeRef>,
}

/// What the index reads of an item: what it shows, and what else it searches.
#[derive(Debug, Clone)]
pub struct CodeEntry {
    /// Shown.
    pub hit: CodeHit,
    /// Definition, indexed with the bodies (not looked up by the search box, which reads labels).
    pub definition: LangText,
    /// Other notations of the code (such as `000.00.00.G01`), searched.
    pub notations: Vec<String>,
}

impl SearchIndex {
    pub(super) fn code_document(&self, entry: &CodeEntry) -> TantivyDocument {
        let f = &self.fields;
        let hit = &entry.hit;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.kind, CODE);
        doc.add_text(f.list, &hit.list);
        if let Some(level) = &hit.level {
            doc.add_text(f.level, level);
        }
        doc.add_text(f.status, &hit.status);
        doc.add_text(
            f.code_json,
            serde_json::to_string(hit).expect("a code hit serializes"),
        );
        let mut titles: Vec<&str> = vec![hit.code.as_str()];
        titles.extend(hit.label.vi.as_deref());
        titles.extend(hit.label.en.as_deref());
        titles.extend(entry.notations.iter().map(String::as_str));
        for t in titles {
            doc.add_text(f.title_fold, t);
            doc.add_text(f.title_exact, t);
        }
        let mut body: Vec<&str> = Vec::new();
        body.extend(entry.definition.vi.as_deref());
        body.extend(entry.definition.en.as_deref());
        for t in body {
            doc.add_text(f.text_fold, t);
            doc.add_text(f.text_exact, t);
        }
        doc
    }

    /// The code items best matching `q` (at most `limit`): all its words, or all but one from three words on; valid
    /// codes and provinces first among equals. Blocking.
    pub fn search_codes(&self, q: &str, limit: usize) -> Result<Vec<CodeHit>, SearchError> {
        // Labels, codes and notations only: what a code item is looked up by (and half the work of a dataset search).
        let text = self.read_text_in(q, super::query::Scope::Titles);
        if text.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let f = &self.fields;
        let matching = if text.len() >= 3 {
            text.any(text.len() - 1)
        } else {
            text.all()
        };
        let prefer = |field, value: &str, score: f32| -> (Occur, Box<dyn Query>) {
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, value),
                        IndexRecordOption::Basic,
                    )),
                    score,
                )),
            )
        };
        let query = BooleanQuery::new(vec![
            (Occur::Must, self.kind_query(CODE)),
            (Occur::Must, Box::new(BoostQuery::new(matching, 1.0))),
            prefer(f.status, "valid", 1.0),
            prefer(f.level, "province", 1.5),
            prefer(f.level, "level-1", 1.5),
        ]);
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(limit.min(100)).order_by_score(),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let json = doc
                .get_first(f.code_json)
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            hits.push(serde_json::from_str(json).map_err(|e| SearchError(e.to_string()))?);
        }
        Ok(hits)
    }
}
