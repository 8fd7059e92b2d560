//! The search index (tantivy): published datasets by title, description and keywords in Vietnamese and English, with
//! Vietnamese folding, typo tolerance, facets and sorting.
//!
//! Each text is indexed twice: folded (lowercase, diacritics removed, `đ` → `d`, so "du lieu dan cu" finds "dữ liệu
//! dân cư") and exact (lowercase only, boosted, so a query typed with its diacritics ranks exact matches first). Terms
//! of five letters or more also match at edit distance 1. The index lives on disk under the data directory; the change-log
//! sequence it reflects is stored as the commit payload, so a restart catches up from there instead of rebuilding
//! (`opendata reindex` rebuilds). One writer, owned by the projector; one long-lived reader, reloaded after each commit.
//!
//! The same index holds the items of the code lists people look up by name (provinces, communes, agencies: a `kind`
//! field keeps them apart), so one search box finds both ([`codes`]). Steward-curated synonyms are applied when a query
//! is read, not when documents are indexed, so changing them needs no reindex ([`synonyms`]); a query whose words are
//! never all found falls back to any of them, ranked by how many each result has; misspelt words get a
//! "did you mean" from the index's own terms, and titles complete as one types ([`suggest`]).
mod by_title;
pub mod codes;
mod query;
pub mod suggest;
pub mod synonyms;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer, TokenStream,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

use crate::quality::{Rating, max_points};
use crate::store::DatasetRecord;
use by_title::ByTitle;
use registry::model::LangText;

pub use codes::{CodeEntry, CodeHit, CodeRef};
pub use synonyms::Synonyms;

/// The facets offered, in display order.
pub const FACETS: &[&str] = &[
    "theme",
    "publisher",
    "format",
    "licence",
    "province",
    "accessRight",
    "year",
    "source",
    "quality",
];

/// What went wrong in the index.
#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct SearchError(pub String);

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        Self(e.to_string())
    }
}

/// How to order results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (newest first without a query).
    #[default]
    Relevance,
    /// Most recently modified first.
    Modified,
    /// By title (folded, A to Z).
    Title,
    /// Best metadata quality score first, then the most recently modified.
    Quality,
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Free text.
    pub q: Option<String>,
    /// `(facet, value)` filters; several values of one facet are OR-ed, different facets AND-ed.
    pub filters: Vec<(String, String)>,
    /// Order.
    pub sort: Sort,
    /// Results to skip.
    pub offset: usize,
    /// Page size.
    pub limit: usize,
    /// Leave the facet counts out (a caller that shows none: counting them is most of a large page's cost).
    pub skip_facets: bool,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// Dataset id.
    pub id: String,
    /// Title in Vietnamese and English, as the dataset API names it.
    pub title: LangText,
    /// A fragment of the description with the matched words in `<b>`, HTML-escaped.
    pub snippet: String,
    /// Publisher's agency code.
    pub publisher: String,
    /// Theme codes.
    pub themes: Vec<String>,
    /// Last publication, RFC 3339.
    pub modified: String,
    /// Relevance score (0 when sorted otherwise).
    pub score: f32,
    /// The metadata quality score of the published revision, as the index last computed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<QualityBadge>,
}

/// A dataset's metadata quality score in brief (the full report is at `/api/v1/datasets/{id}/quality`).
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct QualityBadge {
    /// Points earned.
    pub points: u32,
    /// The most a dataset can score.
    pub max_points: u32,
    /// Points as a whole percentage of the maximum (rounded down).
    pub percent: u32,
    /// The rating band (the facet value).
    pub rating: Rating,
}

impl QualityBadge {
    /// The badge of `points`.
    pub fn of(points: u32) -> Self {
        let max_points = max_points();
        Self {
            points,
            max_points,
            percent: points * 100 / max_points.max(1),
            rating: Rating::of(points, max_points),
        }
    }
}

/// A page of results with facet counts over all matches.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// The hits.
    pub items: Vec<SearchHit>,
    /// How many match.
    pub total: usize,
    /// Counts per facet value over all matches, most frequent first.
    pub facets: BTreeMap<String, Vec<FacetCount>>,
    /// True when no dataset has every word of the query: the results have some of them, most words first.
    pub relaxed: bool,
    /// The query with its unknown words replaced by the closest words of the index, when some word is unknown.
    pub did_you_mean: Option<String>,
    /// The synonyms the query was widened with (steward-curated), as `word → alternative` texts.
    pub synonyms: Vec<String>,
}

/// One facet value and how many matches have it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetCount {
    /// The value (a code, or a year).
    pub value: String,
    /// Matches.
    pub count: u64,
}

/// What the indexer needs of a dataset besides its record: provinces resolved from its spatial codes, and its
/// metadata quality score (which needs the registry and the link checks).
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Province codes covered.
    pub provinces: Vec<String>,
    /// The quality score's points, when it could be computed.
    pub quality: Option<u32>,
}

/// The facet values of a dataset as the index counts them: `(facet, value)` pairs, each pair once.
pub fn facet_values(record: &DatasetRecord, extras: &Extras) -> Vec<(&'static str, String)> {
    let c = &record.content;
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut facet = |name: &'static str, value: &str| {
        if !value.is_empty() && !out.iter().any(|(n, v)| *n == name && v == value) {
            out.push((name, value.to_owned()));
        }
    };
    for t in &c.themes {
        facet("theme", t);
    }
    facet("publisher", &c.publisher);
    for d in &c.distributions {
        if let Some(fmt) = &d.format {
            facet("format", fmt);
        }
    }
    if let Some(l) = &c.licence {
        facet("licence", l);
    }
    for p in &extras.provinces {
        facet("province", p);
    }
    if let Some(a) = &c.access_right {
        facet("accessRight", a);
    }
    let modified = record.published_at.as_deref().unwrap_or(&record.updated_at);
    let year = c
        .issued
        .map(|d| d.format("%Y").to_string())
        .unwrap_or_else(|| modified.chars().take(4).collect());
    facet("year", &year);
    // A harvested dataset by the catalogue it came from (issue 20); one described here has no source.
    if let Some(p) = &c.provenance {
        facet("source", &p.source);
    }
    if let Some(points) = extras.quality {
        facet("quality", QualityBadge::of(points).rating.as_str());
    }
    out
}

/// The searchable text of a dataset as the index reads it: its titles (vi, en) and its body (descriptions and
/// keywords in vi and en).
pub fn text_of(record: &DatasetRecord) -> (Vec<String>, Vec<String>) {
    let c = &record.content;
    let titles = [c.title.vi.clone(), c.title.en.clone()]
        .into_iter()
        .flatten()
        .collect();
    let mut body: Vec<String> = Vec::new();
    body.extend(c.description.vi.clone());
    body.extend(c.description.en.clone());
    body.extend(c.keywords.vi.iter().cloned());
    body.extend(c.keywords.en.iter().cloned());
    (titles, body)
}

struct Fields {
    kind: Field,
    list: Field,
    level: Field,
    status: Field,
    code_json: Field,
    id: Field,
    title_vi: Field,
    title_en: Field,
    text_fold: Field,
    text_exact: Field,
    title_fold: Field,
    title_exact: Field,
    facets: Field,
    publisher: Field,
    themes: Field,
    modified: Field,
    modified_text: Field,
    title_sort: Field,
    description: Field,
    quality: Field,
    quality_sort: Field,
}

/// The index, its one writer and its reader.
#[derive(Clone)]
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Arc<Mutex<IndexWriter>>,
    fields: Arc<Fields>,
    synonyms: Arc<RwLock<Arc<Synonyms>>>,
}

/// The `kind` of a dataset document.
const DATASET: &str = "dataset";
/// The `kind` of a code-list item document.
const CODE: &str = "code";

const FOLD: &str = "vi_fold";
const EXACT: &str = "vi_exact";

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str, stored: bool| {
        let o = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored { o.set_stored() } else { o }
    };
    let fields = Fields {
        kind: b.add_text_field("kind", STRING),
        list: b.add_text_field("list", STRING),
        level: b.add_text_field("level", STRING),
        status: b.add_text_field("status", STRING),
        code_json: b.add_text_field("code_json", STORED),
        id: b.add_text_field("id", STRING | STORED),
        title_vi: b.add_text_field("title_vi", STORED),
        title_en: b.add_text_field("title_en", STORED),
        text_fold: b.add_text_field("text_fold", text(FOLD, false)),
        text_exact: b.add_text_field("text_exact", text(EXACT, false)),
        title_fold: b.add_text_field("title_fold", text(FOLD, false)),
        title_exact: b.add_text_field("title_exact", text(EXACT, false)),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        publisher: b.add_text_field("publisher", STRING | STORED),
        themes: b.add_text_field("themes", STRING | STORED),
        modified: b.add_i64_field("modified", tantivy::schema::FAST | STORED),
        modified_text: b.add_text_field("modified_text", STORED),
        title_sort: b.add_text_field("title_sort", STRING | tantivy::schema::FAST),
        description: b.add_text_field("description", text(FOLD, true)),
        quality: b.add_u64_field("quality", STORED),
        quality_sort: b.add_i64_field("quality_sort", tantivy::schema::FAST),
    };
    (b.build(), fields)
}

fn register_tokenizers(index: &Index) {
    index.tokenizers().register(
        FOLD,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    index.tokenizers().register(
        EXACT,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

fn tokens(index: &Index, tokenizer: &str, text: &str) -> Vec<String> {
    let mut analyzer = index
        .tokenizers()
        .get(tokenizer)
        .expect("registered tokenizer");
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

impl SearchIndex {
    /// Opens the index under `dir`, creating it when missing (or when its schema is not ours: then it is rebuilt).
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        std::fs::create_dir_all(dir).map_err(|e| SearchError(e.to_string()))?;
        let mmap =
            tantivy::directory::MmapDirectory::open(dir).map_err(|e| SearchError(e.to_string()))?;
        let index = match Index::open_or_create(mmap, schema.clone()) {
            Ok(i) => i,
            Err(_) => {
                // An index from another schema version: start over (the projector refills it).
                std::fs::remove_dir_all(dir).map_err(|e| SearchError(e.to_string()))?;
                std::fs::create_dir_all(dir).map_err(|e| SearchError(e.to_string()))?;
                Index::create_in_dir(dir, schema)?
            }
        };
        let mut index = index;
        register_tokenizers(&index);
        // A query searches the index's segments on every core: one person's search answers sooner on a large
        // catalog (its segments are tens of thousands of documents each), at no cost to throughput under load.
        index.set_default_multithread_executor()?;
        let writer: IndexWriter = index.writer(50_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Arc::new(Mutex::new(writer)),
            fields: Arc::new(fields),
            synonyms: Arc::default(),
        })
    }

    /// Replaces the synonym groups applied to queries (each group: words or phrases meaning the same).
    pub fn set_synonyms(&self, groups: &[Vec<String>]) {
        let synonyms = Synonyms::new(groups, |text| tokens(&self.index, FOLD, text));
        if let Ok(mut s) = self.synonyms.write() {
            *s = Arc::new(synonyms);
        }
    }

    /// The synonym groups in force.
    pub fn synonyms(&self) -> Arc<Synonyms> {
        self.synonyms
            .read()
            .map(|s| Arc::clone(&s))
            .unwrap_or_default()
    }

    fn kind_query(&self, kind: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(self.fields.kind, kind),
            IndexRecordOption::Basic,
        ))
    }

    /// The change-log sequence the committed index reflects (0 for a new index).
    pub fn applied(&self) -> i64 {
        self.index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// Number of indexed datasets.
    pub fn len(&self) -> u64 {
        datasets_in(&self.reader.searcher())
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, record: &DatasetRecord, extras: &Extras) -> TantivyDocument {
        let f = &self.fields;
        let c = &record.content;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.kind, DATASET);
        doc.add_text(f.id, &record.id);
        let title_vi = c.title.vi.clone().unwrap_or_default();
        let title_en = c.title.en.clone().unwrap_or_default();
        doc.add_text(f.title_vi, &title_vi);
        doc.add_text(f.title_en, &title_en);
        for t in [&title_vi, &title_en] {
            doc.add_text(f.title_fold, t);
            doc.add_text(f.title_exact, t);
        }
        let mut body: Vec<&str> = vec![];
        body.extend(c.description.vi.as_deref());
        body.extend(c.description.en.as_deref());
        body.extend(c.keywords.vi.iter().map(String::as_str));
        body.extend(c.keywords.en.iter().map(String::as_str));
        for t in &body {
            doc.add_text(f.text_fold, t);
            doc.add_text(f.text_exact, t);
        }
        doc.add_text(
            f.description,
            c.description
                .vi
                .as_deref()
                .or(c.description.en.as_deref())
                .unwrap_or_default(),
        );
        doc.add_text(f.publisher, &c.publisher);
        for t in &c.themes {
            doc.add_text(f.themes, t);
        }
        let modified = record.published_at.as_deref().unwrap_or(&record.updated_at);
        let ts = chrono::DateTime::parse_from_rfc3339(modified)
            .map(|d| d.timestamp())
            .unwrap_or_default();
        doc.add_i64(f.modified, ts);
        doc.add_text(f.modified_text, modified);
        doc.add_text(f.title_sort, registry::text::fold(&title_vi));
        if let Some(points) = extras.quality {
            doc.add_u64(f.quality, u64::from(points));
        }
        doc.add_i64(f.quality_sort, quality_sort_key(extras.quality, ts));
        for (name, value) in facet_values(record, extras) {
            doc.add_facet(f.facets, Facet::from_path([name, value.as_str()]));
        }
        doc
    }

    /// Replaces (or, with `None`, removes) datasets, then commits recording `seq` and reloads the reader. Blocking.
    pub fn apply(
        &self,
        changes: &[(String, Option<(DatasetRecord, Extras)>)],
        seq: i64,
    ) -> Result<(), SearchError> {
        self.apply_with_codes(changes, &[], seq)
    }

    /// Like [`Self::apply`], also replacing every indexed item of each `(list, items)` given. Blocking.
    pub fn apply_with_codes(
        &self,
        changes: &[(String, Option<(DatasetRecord, Extras)>)],
        lists: &[(String, Vec<CodeEntry>)],
        seq: i64,
    ) -> Result<(), SearchError> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| SearchError("writer lock poisoned".into()))?;
        for (id, record) in changes {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
            if let Some((record, extras)) = record {
                writer.add_document(self.document(record, extras))?;
            }
        }
        for (list, items) in lists {
            writer.delete_term(Term::from_field_text(self.fields.list, list));
            for item in items {
                writer.add_document(self.code_document(item))?;
            }
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Removes everything (before a rebuild). Blocking.
    pub fn clear(&self) -> Result<(), SearchError> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| SearchError("writer lock poisoned".into()))?;
        writer.delete_all_documents()?;
        let mut commit = writer.prepare_commit()?;
        commit.set_payload("0");
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Runs a search over the datasets: every word (or one of its synonyms) must match. Blocking: call it under
    /// `spawn_blocking`.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        self.search_with(query, false)
    }

    /// Like [`Self::search`], for a person at a search box: when no dataset has every word, runs again for any of
    /// them (those with most words first; words found in more than half the datasets left out) and says so, and offers
    /// "did you mean" for words the index has never seen. Blocking.
    pub fn find(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        self.search_with(query, true)
    }

    fn search_with(&self, query: &SearchQuery, help: bool) -> Result<SearchResults, SearchError> {
        let text = query.q.as_deref().map(|q| self.read_text(q));
        let text = text.filter(|t| !t.is_empty());
        let mut results = self.run(query, text.as_ref().map(query::Text::all))?;
        if let Some(text) = &text {
            if help && results.total == 0 && text.len() > 1 {
                // Words found in most datasets say little on their own: the fallback leaves them out, rather than
                // ranking nearly the whole catalog by them.
                let searcher = self.reader.searcher();
                let common = self.len() / 2;
                let mut kept = Vec::new();
                for (i, segment) in text.segments().iter().enumerate() {
                    let matching = searcher.search(
                        &BooleanQuery::new(vec![
                            (Occur::Must, self.kind_query(DATASET)),
                            (Occur::Must, segment.box_clone()),
                        ]),
                        &Count,
                    )?;
                    if matching > 0 && (matching as u64) <= common.max(1) {
                        kept.push(i);
                    }
                }
                if !kept.is_empty() {
                    results = self.run(query, Some(text.any_of(&kept, 1)))?;
                    results.relaxed = results.total > 0;
                }
            }
            if help {
                results.did_you_mean = self.did_you_mean(&text.words);
            }
            results.synonyms.clone_from(&text.synonyms);
        }
        Ok(results)
    }

    fn run(
        &self,
        query: &SearchQuery,
        text: Option<Box<dyn Query>>,
    ) -> Result<SearchResults, SearchError> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, self.kind_query(DATASET))];
        let has_text = text.is_some();
        if let Some(t) = text {
            clauses.push((Occur::Must, t));
        }
        let mut by_facet: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, value) in &query.filters {
            by_facet
                .entry(name.as_str())
                .or_default()
                .push(value.as_str());
        }
        for (name, values) in &by_facet {
            let shoulds: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|v| {
                    let term = Term::from_facet(f.facets, &Facet::from_path([*name, *v]));
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
                    )
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(shoulds))));
        }
        let query_obj: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));

        let facet_collector = (!query.skip_facets).then(|| {
            let mut collector = FacetCollector::for_field("facets");
            for name in FACETS {
                collector.add_facet(Facet::from_path([*name]));
            }
            collector
        });
        let limit = query.limit.clamp(1, 1000);
        let top = TopDocs::with_limit(limit).and_offset(query.offset);
        let (total, facet_counts, hits): (usize, _, Vec<(f32, DocAddress)>) =
            match (query.sort, has_text) {
                (Sort::Relevance, true) => {
                    let (total, facets, docs) = searcher
                        .search(&query_obj, &(Count, facet_collector, top.order_by_score()))?;
                    (total, facets, docs)
                }
                (Sort::Quality, _) => {
                    let (total, facets, docs) = searcher.search(
                        &query_obj,
                        &(
                            Count,
                            facet_collector,
                            top.order_by_fast_field::<i64>("quality_sort", Order::Desc),
                        ),
                    )?;
                    (
                        total,
                        facets,
                        docs.into_iter().map(|(_, d)| (0.0, d)).collect(),
                    )
                }
                (Sort::Title, _) => {
                    let (total, facets, docs) = searcher.search(
                        &query_obj,
                        &(
                            Count,
                            facet_collector,
                            ByTitle::new("title_sort", query.offset, limit),
                        ),
                    )?;
                    (total, facets, docs.into_iter().map(|d| (0.0, d)).collect())
                }
                _ => {
                    let (total, facets, docs) = searcher.search(
                        &query_obj,
                        &(
                            Count,
                            facet_collector,
                            top.order_by_fast_field::<i64>("modified", Order::Desc),
                        ),
                    )?;
                    (
                        total,
                        facets,
                        docs.into_iter().map(|(_, d)| (0.0, d)).collect(),
                    )
                }
            };
        // Snippets come from the stored description, with the query's folded words highlighted.
        let words = query
            .q
            .as_deref()
            .map(|q| tokens(&self.index, FOLD, q))
            .unwrap_or_default();
        let snippets = if words.is_empty() {
            None
        } else {
            let shoulds: Vec<(Occur, Box<dyn Query>)> = words
                .iter()
                .map(|w| {
                    let term = Term::from_field_text(f.description, w);
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
                            as Box<dyn Query>,
                    )
                })
                .collect();
            Some(SnippetGenerator::create(
                &searcher,
                &BooleanQuery::new(shoulds),
                f.description,
            )?)
        };
        let mut items = Vec::with_capacity(hits.len());
        for (score, address) in hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let snippet = match &snippets {
                Some(generator) => {
                    let s = generator.snippet_from_doc(&doc);
                    if s.is_empty() {
                        html_escape(&first_chars(&text(f.description), 200))
                    } else {
                        s.to_html()
                    }
                }
                None => html_escape(&first_chars(&text(f.description), 200)),
            };
            items.push(SearchHit {
                id: text(f.id),
                title: LangText::new(Some(&text(f.title_vi)), Some(&text(f.title_en))),
                snippet,
                publisher: text(f.publisher),
                themes: doc
                    .get_all(f.themes)
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                modified: text(f.modified_text),
                score,
                quality: doc
                    .get_first(f.quality)
                    .and_then(|v| v.as_u64())
                    .and_then(|p| u32::try_from(p).ok())
                    .map(QualityBadge::of),
            });
        }
        let mut facets = BTreeMap::new();
        // Without facet counts (`skip_facets`), the map stays empty.
        if let Some(facet_counts) = &facet_counts {
            for name in FACETS {
                let root = Facet::from_path([*name]);
                let mut counts: Vec<FacetCount> = facet_counts
                    .get(root.to_path_string().as_str())
                    .map(|(facet, count)| FacetCount {
                        value: facet
                            .to_path()
                            .last()
                            .map(|s| (*s).to_owned())
                            .unwrap_or_default(),
                        count,
                    })
                    .collect();
                if *name == "quality" {
                    // Bands in their own order, best first, rather than by how many datasets each has.
                    counts.sort_by_key(|c| std::cmp::Reverse(Rating::parse(&c.value)));
                } else {
                    counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
                }
                facets.insert((*name).to_owned(), counts);
            }
        }
        Ok(SearchResults {
            items,
            total,
            facets,
            relaxed: false,
            did_you_mean: None,
            synonyms: Vec::new(),
        })
    }
}

/// The dataset documents a searcher sees (the index also holds code items; an index from before they were added has
/// datasets only).
pub fn datasets_in(searcher: &tantivy::Searcher) -> u64 {
    match searcher.schema().get_field("kind") {
        Ok(kind) => searcher
            .search(
                &TermQuery::new(
                    Term::from_field_text(kind, DATASET),
                    IndexRecordOption::Basic,
                ),
                &Count,
            )
            .map_or(0, |n| n as u64),
        Err(_) => searcher.num_docs(),
    }
}

/// The key the quality sort orders by: the points, then the modification time (newest first among equals). A
/// dataset whose score could not be computed sorts after every scored one.
fn quality_sort_key(points: Option<u32>, modified: i64) -> i64 {
    // 2^34 seconds reach the year 2514; the points (at most a few hundred) sit above them.
    let modified = modified.clamp(0, (1 << 34) - 1);
    points.map_or(-1, |p| (i64::from(p) << 34) | modified)
}

fn first_chars(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
