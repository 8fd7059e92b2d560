//! Reading free text into tantivy queries: one clause per word (folded, exact when typed with diacritics, typo
//! tolerant from five letters), a run of words that is a synonym phrase widened to its group, and the any-word form
//! used when no document has them all, ranked by how many of the words a document has.
use tantivy::Term;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::IndexRecordOption;

use super::{EXACT, FOLD, Fields, SearchIndex, tokens};

/// The score each matched segment adds in the any-word form: more than any text score, so coverage ranks first.
const COVERAGE: f32 = 100.0;

/// A query's text, read.
pub(crate) struct Text {
    /// The folded words, in order.
    pub words: Vec<String>,
    /// One clause per segment: a word, or a synonym phrase with its alternatives.
    segments: Vec<Box<dyn Query>>,
    /// The synonyms applied, as `phrase → alternative, alternative`.
    pub synonyms: Vec<String>,
}

impl Text {
    /// True without words.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// Every segment must match.
    pub fn all(&self) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            self.segments
                .iter()
                .map(|s| (Occur::Must, s.box_clone()))
                .collect(),
        ))
    }

    /// Each segment's clause, in order.
    pub fn segments(&self) -> &[Box<dyn Query>] {
        &self.segments
    }

    /// At least `minimum` segments must match; each matched segment adds [`COVERAGE`], so documents with more of the
    /// words come first, then by relevance.
    pub fn any(&self, minimum: usize) -> Box<dyn Query> {
        self.any_of(&(0..self.segments.len()).collect::<Vec<_>>(), minimum)
    }

    /// Like [`Self::any`], over the segments at `kept` only.
    pub fn any_of(&self, kept: &[usize], minimum: usize) -> Box<dyn Query> {
        let clauses: Vec<Box<dyn Query>> = kept
            .iter()
            .filter_map(|i| self.segments.get(*i))
            .map(|s| {
                Box::new(BooleanQuery::new(vec![
                    (
                        Occur::Must,
                        Box::new(ConstScoreQuery::new(s.box_clone(), COVERAGE)) as Box<dyn Query>,
                    ),
                    (Occur::Should, s.box_clone()),
                ])) as Box<dyn Query>
            })
            .collect();
        Box::new(BooleanQuery::union_with_minimum_required_clauses(
            clauses,
            minimum.max(1),
        ))
    }
}

fn boosted(query: Box<dyn Query>, boost: f32) -> (Occur, Box<dyn Query>) {
    (Occur::Should, Box::new(BoostQuery::new(query, boost)))
}

/// Where words are looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Titles and bodies (datasets).
    Everywhere,
    /// Titles only (code items: their labels, codes and notations).
    Titles,
}

impl Scope {
    /// The folded fields with their boosts.
    fn folded(self, f: &Fields) -> Vec<(tantivy::schema::Field, f32)> {
        match self {
            Self::Everywhere => vec![(f.title_fold, 2.0), (f.text_fold, 1.0)],
            Self::Titles => vec![(f.title_fold, 2.0)],
        }
    }

    /// The exact fields with their boosts.
    fn exact(self, f: &Fields) -> Vec<(tantivy::schema::Field, f32)> {
        match self {
            Self::Everywhere => vec![(f.title_exact, 3.0), (f.text_exact, 1.5)],
            Self::Titles => vec![(f.title_exact, 3.0)],
        }
    }
}

/// One word: folded in titles (×2) and bodies, typo tolerant from five letters (half weight) when the index has never
/// seen the word as typed, and exact (×3, ×1.5) when typed with diacritics.
///
/// A word the index knows is taken as spelt right: expanding it to every term one edit away would union their
/// postings for nothing (at 1,000,000 datasets, "luong" alone then matched 224,000 and cost 65-110 ms).
fn word_clause(
    f: &Fields,
    scope: Scope,
    word: &str,
    exact: Option<&str>,
    searcher: &tantivy::Searcher,
) -> Box<dyn Query> {
    let mut shoulds = Vec::new();
    let known = scope.folded(f).into_iter().any(|(field, _)| {
        searcher
            .doc_freq(&Term::from_field_text(field, word))
            .is_ok_and(|n| n > 0)
    });
    for (field, boost) in scope.folded(f) {
        let term = Term::from_field_text(field, word);
        shoulds.push(boosted(
            Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
            boost,
        ));
        if !known && word.chars().count() >= 5 {
            shoulds.push(boosted(
                Box::new(FuzzyTermQuery::new(term, 1, true)),
                boost * 0.5,
            ));
        }
    }
    if let Some(exact) = exact.filter(|e| *e != word) {
        for (field, boost) in scope.exact(f) {
            let term = Term::from_field_text(field, exact);
            shoulds.push(boosted(
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                boost,
            ));
        }
    }
    Box::new(BooleanQuery::new(shoulds))
}

/// A synonym's phrase, exactly (no typo tolerance: abbreviations are short and precise), in titles (×2) and bodies.
fn phrase_clause(f: &Fields, scope: Scope, words: &[String]) -> Box<dyn Query> {
    let mut shoulds = Vec::new();
    for (field, boost) in scope.folded(f) {
        let terms: Vec<Term> = words
            .iter()
            .map(|w| Term::from_field_text(field, w))
            .collect();
        let query: Box<dyn Query> = if terms.len() == 1 {
            Box::new(TermQuery::new(
                terms[0].clone(),
                IndexRecordOption::WithFreqs,
            ))
        } else {
            Box::new(PhraseQuery::new(terms))
        };
        shoulds.push(boosted(query, boost));
    }
    Box::new(BooleanQuery::new(shoulds))
}

impl SearchIndex {
    /// Reads a query's text into segments looked for everywhere, applying the synonyms in force.
    pub(crate) fn read_text(&self, q: &str) -> Text {
        self.read_text_in(q, Scope::Everywhere)
    }

    /// Reads a query's text into segments looked for in `scope`, applying the synonyms in force.
    pub(crate) fn read_text_in(&self, q: &str, scope: Scope) -> Text {
        let f = &self.fields;
        let folded = tokens(&self.index, FOLD, q);
        let exact = tokens(&self.index, EXACT, q);
        // Both tokenizers split alike; if they ever disagree, the exact boost is left out.
        let exact = (exact.len() == folded.len()).then_some(exact);
        let synonyms = self.synonyms();
        let searcher = self.reader.searcher();
        let mut segments = Vec::new();
        let mut applied = Vec::new();
        let mut i = 0;
        while i < folded.len() {
            let words_of = |from: usize, to: usize| -> Vec<Box<dyn Query>> {
                (from..to)
                    .map(|j| {
                        word_clause(
                            f,
                            scope,
                            &folded[j],
                            exact.as_ref().map(|e| e[j].as_str()),
                            &searcher,
                        )
                    })
                    .collect()
            };
            match synonyms.at(&folded[i..]) {
                Some(m) => {
                    let own: Vec<(Occur, Box<dyn Query>)> = words_of(i, i + m.len)
                        .into_iter()
                        .map(|c| (Occur::Must, c))
                        .collect();
                    let mut shoulds: Vec<(Occur, Box<dyn Query>)> =
                        vec![(Occur::Should, Box::new(BooleanQuery::new(own)))];
                    for alt in &m.alternatives {
                        shoulds.push(boosted(phrase_clause(f, scope, alt), 0.8));
                    }
                    applied.push(format!(
                        "{} → {}",
                        folded[i..i + m.len].join(" "),
                        m.alternatives
                            .iter()
                            .map(|a| a.join(" "))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    segments.push(Box::new(BooleanQuery::new(shoulds)) as Box<dyn Query>);
                    i += m.len;
                }
                None => {
                    segments.extend(words_of(i, i + 1));
                    i += 1;
                }
            }
        }
        Text {
            words: folded,
            segments,
            synonyms: applied,
        }
    }
}
