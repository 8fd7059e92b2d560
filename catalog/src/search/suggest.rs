//! Helping a search along: completions as one types (titles of datasets and labels of codes whose words start with
//! what was typed), and "did you mean" for words the index has never seen, taken from the index's own words.
use std::collections::HashMap;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{Searcher, TantivyDocument, Term};

use super::{CODE, CodeHit, DATASET, FOLD, SearchError, SearchIndex, tokens};
use registry::model::LangText;

/// Dictionary entries read at most per word (a bound on the work one request can ask for).
const SCAN: usize = 20_000;
/// Completions of the last word tried at most (the most frequent).
const COMPLETIONS: usize = 30;
/// Unknown words looked up at most per query (the rest are kept as typed).
const CORRECTED: usize = 4;

/// A dataset offered as a completion.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetSuggestion {
    /// Dataset id.
    pub id: String,
    /// Title.
    pub title: LangText,
}

/// Completions of what has been typed.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestions {
    /// Datasets whose titles match.
    pub datasets: Vec<DatasetSuggestion>,
    /// Code items whose labels match.
    pub codes: Vec<CodeHit>,
}

/// Edit distance between `a` and `b` (insertions, deletions, substitutions and swaps of two neighbours, each 1), or
/// `None` when above `max`.
fn distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut rows: Vec<Vec<usize>> = vec![(0..width).collect()];
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1; width];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let previous = &rows[i];
            row[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(row[j] + 1);
            if i > 0 && j > 0 && *ca == b[j - 1] && a[i - 1] == *cb {
                row[j + 1] = row[j + 1].min(rows[i - 1][j - 1] + 1);
            }
        }
        if row.iter().min().is_some_and(|m| *m > max) {
            return None;
        }
        rows.push(row);
    }
    rows.last().map(|r| r[b.len()]).filter(|d| *d <= max)
}

/// The dictionary words of `fields` starting with `prefix`, with their document frequencies (summed over segments).
fn words_starting(
    searcher: &Searcher,
    fields: &[Field],
    prefix: &str,
) -> Result<HashMap<String, u64>, SearchError> {
    let mut out: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        for field in fields {
            let inverted = segment.inverted_index(*field)?;
            let mut stream = inverted
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .into_stream()
                .map_err(|e| SearchError(e.to_string()))?;
            let mut read = 0;
            while stream.advance() && read < SCAN {
                read += 1;
                let Ok(key) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if !key.starts_with(prefix) {
                    break;
                }
                *out.entry(key.to_owned()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
    }
    Ok(out)
}

impl SearchIndex {
    /// The query with each word the index has never seen replaced by the closest word it has (edit distance 1, or 2
    /// from five letters; the most frequent among equals); `None` when every word is known or none has a close word.
    pub fn did_you_mean(&self, words: &[String]) -> Option<String> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let fields = [f.title_fold, f.text_fold];
        let mut changed = false;
        let mut looked_up = 0;
        let mut out = Vec::with_capacity(words.len());
        for word in words {
            let known = fields.iter().any(|field| {
                searcher
                    .doc_freq(&Term::from_field_text(*field, word))
                    .is_ok_and(|n| n > 0)
            });
            let chars: Vec<char> = word.chars().collect();
            if known
                || chars.len() < 3
                || chars.iter().all(char::is_ascii_digit)
                || looked_up == CORRECTED
            {
                out.push(word.clone());
                continue;
            }
            looked_up += 1;
            let max = if chars.len() >= 5 { 2 } else { 1 };
            // Misspellings rarely touch the first letter; reading only its words keeps this cheap.
            let first: String = chars[..1].iter().collect();
            let best = words_starting(&searcher, &fields, &first)
                .ok()?
                .into_iter()
                .filter_map(|(w, n)| {
                    let wc: Vec<char> = w.chars().collect();
                    distance(&chars, &wc, max).map(|d| (d, std::cmp::Reverse(n), w))
                })
                .min();
            match best {
                Some((_, _, w)) => {
                    changed = true;
                    out.push(w);
                }
                None => out.push(word.clone()),
            }
        }
        changed.then(|| out.join(" "))
    }

    /// Datasets (at most `limit`) and code items (at most 3) whose titles or labels have the typed words, the last
    /// one as the start of a word (unless the text ends with a space). Blocking.
    pub fn suggest(&self, typed: &str, limit: usize) -> Result<Suggestions, SearchError> {
        let f = &self.fields;
        let words = tokens(&self.index, FOLD, typed);
        let complete = typed.ends_with(char::is_whitespace);
        let Some((last, before)) = words.split_last() else {
            return Ok(Suggestions::default());
        };
        let searcher = self.reader.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !before.is_empty() {
            clauses.push((Occur::Must, self.read_text(&before.join(" ")).all()));
        }
        if complete {
            clauses.push((Occur::Must, self.read_text(last).all()));
        } else {
            let mut completions: Vec<(String, u64)> =
                words_starting(&searcher, &[f.title_fold], last)?
                    .into_iter()
                    .collect();
            completions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            completions.truncate(COMPLETIONS);
            if completions.is_empty() {
                return Ok(Suggestions::default());
            }
            let terms = completions
                .into_iter()
                .map(|(w, _)| {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(f.title_fold, &w),
                            IndexRecordOption::WithFreqs,
                        )) as Box<dyn Query>,
                    )
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(terms))));
        }
        let of_kind = |kind: &str, limit: usize| -> Result<Vec<TantivyDocument>, SearchError> {
            let mut all = vec![(Occur::Must, self.kind_query(kind))];
            all.extend(clauses.iter().map(|(o, q)| (*o, q.box_clone())));
            let top = searcher.search(
                &BooleanQuery::new(all),
                &TopDocs::with_limit(limit.clamp(1, 20)).order_by_score(),
            )?;
            top.into_iter()
                .map(|(_, a)| searcher.doc(a).map_err(SearchError::from))
                .collect()
        };
        let text = |doc: &TantivyDocument, field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let datasets = of_kind(DATASET, limit)?
            .iter()
            .map(|d| DatasetSuggestion {
                id: text(d, f.id),
                title: LangText::new(Some(&text(d, f.title_vi)), Some(&text(d, f.title_en))),
            })
            .collect();
        let codes = of_kind(CODE, 3)?
            .iter()
            .filter_map(|d| serde_json::from_str(&text(d, f.code_json)).ok())
            .collect();
        Ok(Suggestions { datasets, codes })
    }
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn distances_are_bounded() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(distance(&c("holidyas"), &c("holidays"), 2), Some(1));
        assert_eq!(distance(&c("hnag"), &c("hang"), 1), Some(1));
        assert_eq!(distance(&c("ngan"), &c("ngang"), 1), Some(1));
        assert_eq!(distance(&c("nhap"), &c("nhat"), 1), Some(1));
        assert_eq!(distance(&c("tinh"), &c("thanh"), 1), None);
        assert_eq!(distance(&c("a"), &c("abcd"), 2), None);
    }
}
