//! Synonyms curated by stewards (the `search-synonyms` code list: one item per group of words or phrases that mean
//! the same, such as "sáp nhập", "hợp nhất", "sắp xếp"), matched against a query's folded words when it is read.
//!
//! They widen the query, not the documents: a changed list takes effect at once, without reindexing.
use std::collections::HashMap;

/// The code list holding the synonym groups.
pub const SYNONYMS_LIST: &str = "search-synonyms";

/// Synonym groups, each phrase as folded words.
#[derive(Debug, Default)]
pub struct Synonyms {
    groups: Vec<Vec<Vec<String>>>,
    /// Phrases by their first word: `(group, phrase)` indexes.
    by_first: HashMap<String, Vec<(usize, usize)>>,
}

/// A run of query words that is one phrase of a synonym group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'a> {
    /// How many query words the phrase covers.
    pub len: usize,
    /// The other phrases of its group, as folded words.
    pub alternatives: Vec<&'a [String]>,
}

impl Synonyms {
    /// Builds from groups of texts, each read into words by `words` (the index's folding tokenizer). Phrases without
    /// words and groups of fewer than two phrases are left out.
    pub fn new(groups: &[Vec<String>], words: impl Fn(&str) -> Vec<String>) -> Self {
        let mut out = Self::default();
        for group in groups {
            let mut phrases: Vec<Vec<String>> = group
                .iter()
                .map(|t| words(t))
                .filter(|w| !w.is_empty())
                .collect();
            phrases.sort();
            phrases.dedup();
            if phrases.len() < 2 {
                continue;
            }
            let g = out.groups.len();
            for (p, phrase) in phrases.iter().enumerate() {
                out.by_first
                    .entry(phrase[0].clone())
                    .or_default()
                    .push((g, p));
            }
            out.groups.push(phrases);
        }
        out
    }

    /// How many groups there are.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// True without groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The longest phrase of any group that the words starting at `words[0]` spell, with its alternatives.
    pub fn at(&self, words: &[String]) -> Option<Match<'_>> {
        let first = words.first()?;
        let (g, p) = self
            .by_first
            .get(first)?
            .iter()
            .filter(|(g, p)| words.starts_with(&self.groups[*g][*p]))
            .max_by_key(|(g, p)| self.groups[*g][*p].len())?;
        let group = &self.groups[*g];
        Some(Match {
            len: group[*p].len(),
            alternatives: group
                .iter()
                .enumerate()
                .filter(|(i, _)| i != p)
                .map(|(_, phrase)| phrase.as_slice())
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        registry::text::fold(text)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn query(text: &str) -> Vec<String> {
        words(text)
    }

    #[test]
    fn the_longest_phrase_wins_and_brings_its_group() {
        let s = Synonyms::new(
            &[
                vec!["sáp nhập".into(), "hợp nhất".into(), "sắp xếp".into()],
                vec!["TP".into(), "thành phố".into()],
                vec!["Hồ Chí Minh".into(), "HCM".into()],
                vec!["lonely".into()],
            ],
            words,
        );
        assert_eq!(s.len(), 3, "a group of one phrase is no synonym");
        let m = s.at(&query("sap nhap tinh")).unwrap();
        assert_eq!(m.len, 2);
        let alts: Vec<String> = m.alternatives.iter().map(|a| a.join(" ")).collect();
        assert_eq!(alts, ["hop nhat", "sap xep"]);
        assert_eq!(s.at(&query("sap")), None, "half a phrase is not the phrase");
        let m = s.at(&query("tp ho chi minh")).unwrap();
        assert_eq!(
            (m.len, m.alternatives[0].join(" ")),
            (1, "thanh pho".into())
        );
        assert_eq!(
            s.at(&query("ho chi minh")).unwrap().alternatives[0],
            ["hcm"]
        );
        assert_eq!(s.at(&query("tinh")), None);
    }
}
