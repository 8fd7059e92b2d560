//! Ordering by title far into the results. tantivy's `order_by_string_fast_field` looks up the text of each of the
//! `offset + limit` best documents of every segment one at a time, decompressing a dictionary block per look-up
//! (quickwit-oss/tantivy#2776): a page at `start=99,000` cost 100,000 look-ups, and a harvester paging through the
//! whole catalog by name (CKAN's `sort=name asc`, pages of 1,000) spent most of the server's CPU there. [`ByTitle`]
//! gives the same order (text, then document address) but reads the texts a segment keeps in one pass over its
//! dictionary, in ordinal order.
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// The ordinal a document without a title sorts under (after every title).
const MISSING: u64 = u64::MAX;

/// The documents at `offset..offset + limit` in the order of a string fast field (ascending).
pub struct ByTitle {
    field: String,
    offset: usize,
    limit: usize,
}

impl ByTitle {
    /// Orders by the string fast field `field`.
    pub fn new(field: &str, offset: usize, limit: usize) -> Self {
        Self {
            field: field.to_owned(),
            offset,
            limit,
        }
    }
}

/// One segment's share: the `keep` first documents by ordinal.
pub struct ByTitleSegment {
    column: Option<StrColumn>,
    segment: SegmentOrdinal,
    keep: usize,
    found: Vec<(u64, DocId)>,
}

impl ByTitleSegment {
    /// Keeps the `keep` smallest `(ordinal, document)` pairs.
    fn trim(&mut self) {
        if self.found.len() > self.keep {
            self.found.select_nth_unstable(self.keep);
            self.found.truncate(self.keep);
        }
    }
}

impl SegmentCollector for ByTitleSegment {
    type Fruit = Vec<(Option<Vec<u8>>, DocAddress)>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if self.keep == 0 {
            return;
        }
        let ord = self
            .column
            .as_ref()
            .and_then(|c| c.ords().first(doc))
            .unwrap_or(MISSING);
        self.found.push((ord, doc));
        // Memory stays within twice what is kept, whatever the number of matches.
        if self.found.len() >= self.keep.saturating_mul(2).max(1024) {
            self.trim();
        }
    }

    fn harvest(mut self) -> Self::Fruit {
        self.trim();
        self.found.sort_unstable();
        let mut texts: Vec<Vec<u8>> = Vec::with_capacity(self.found.len());
        if let Some(column) = &self.column {
            let ords: Vec<u64> = self
                .found
                .iter()
                .map(|(ord, _)| *ord)
                .take_while(|ord| *ord != MISSING)
                .collect();
            // One pass over the dictionary; an error leaves the remaining documents without their text (they sort
            // last), which only changes the order, never the set.
            let _ = column
                .dictionary()
                .sorted_ords_to_term_cb(&ords, |bytes| texts.push(bytes.to_vec()));
        }
        let segment = self.segment;
        let mut texts = texts.into_iter();
        self.found
            .into_iter()
            .map(|(_, doc)| (texts.next(), DocAddress::new(segment, doc)))
            .collect()
    }
}

impl Collector for ByTitle {
    type Fruit = Vec<DocAddress>;
    type Child = ByTitleSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<ByTitleSegment> {
        Ok(ByTitleSegment {
            column: reader.fast_fields().str(&self.field)?,
            segment,
            keep: self.offset.saturating_add(self.limit),
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        segments: Vec<Vec<(Option<Vec<u8>>, DocAddress)>>,
    ) -> tantivy::Result<Vec<DocAddress>> {
        let mut all: Vec<(Option<Vec<u8>>, DocAddress)> = segments.into_iter().flatten().collect();
        // Titles first (ascending), documents without one last; equal titles by document address.
        all.sort_unstable_by(|a, b| match (&a.0, &b.0) {
            (Some(x), Some(y)) => x.cmp(y).then(a.1.cmp(&b.1)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.1.cmp(&b.1),
        });
        Ok(all
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .map(|(_, doc)| doc)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::AllQuery;
    use tantivy::schema::{FAST, STORED, STRING, Schema, Value};
    use tantivy::{Index, Order, TantivyDocument, doc};

    use super::ByTitle;

    /// An index of `n` documents over three segments, titles in a scrambled order, some repeated.
    fn index(n: u64) -> (Index, tantivy::schema::Field) {
        let mut b = Schema::builder();
        let title = b.add_text_field("title_sort", STRING | FAST | STORED);
        let index = Index::create_in_ram(b.build());
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).expect("writer");
        for i in 0..n {
            // Every seventh title repeats another's; the others are unique.
            let key = if i % 7 == 0 {
                i / 7
            } else {
                (i * 7919) % 100_003
            };
            writer
                .add_document(doc!(title => format!("t{key:06}")))
                .expect("add");
            if i == n / 3 || i == 2 * n / 3 {
                writer.commit().expect("commit");
            }
        }
        writer.commit().expect("commit");
        (index, title)
    }

    fn titles(
        searcher: &tantivy::Searcher,
        field: tantivy::schema::Field,
        docs: &[tantivy::DocAddress],
    ) -> Vec<String> {
        docs.iter()
            .map(|d| {
                let doc: TantivyDocument = searcher.doc(*d).expect("doc");
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn same_order_as_tantivys_string_sort_at_any_offset() {
        let (index, field) = index(3000);
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        for (offset, limit) in [
            (0, 10),
            (0, 3000),
            (995, 10),
            (1500, 1000),
            (2990, 50),
            (3500, 10),
        ] {
            let ours = searcher
                .search(&AllQuery, &ByTitle::new("title_sort", offset, limit))
                .expect("ours");
            let theirs: Vec<tantivy::DocAddress> = searcher
                .search(
                    &AllQuery,
                    &TopDocs::with_limit(limit)
                        .and_offset(offset)
                        .order_by_string_fast_field("title_sort", Order::Asc),
                )
                .expect("theirs")
                .into_iter()
                .map(|(_, d)| d)
                .collect();
            assert_eq!(ours.len(), theirs.len(), "{offset}+{limit}");
            // Equal titles may come in another document order; the titles, position by position, may not.
            assert_eq!(
                titles(&searcher, field, &ours),
                titles(&searcher, field, &theirs),
                "{offset}+{limit}"
            );
            let mut sorted = titles(&searcher, field, &ours);
            sorted.sort();
            assert_eq!(sorted, titles(&searcher, field, &ours));
        }
        // Pages partition the whole: every document exactly once.
        let mut seen = std::collections::BTreeSet::new();
        for page in 0..4 {
            for d in searcher
                .search(&AllQuery, &ByTitle::new("title_sort", page * 1000, 1000))
                .expect("page")
            {
                assert!(seen.insert(d), "{d:?} twice");
            }
        }
        assert_eq!(seen.len(), 3000);
    }
}
