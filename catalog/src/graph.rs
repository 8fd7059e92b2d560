//! The RDF projection: an oxigraph store holding the DCAT description of every published dataset and the SKOS graph
//! of every code list, fed from the change log. Each list is a named graph. A dataset's own triples (the dataset, its
//! distributions, its blank nodes) are in the default graph, and the descriptions of the codes datasets point to (an
//! agency, a theme, a licence) each in a named graph of that code, stored once however many datasets use it: a named
//! graph per dataset would store every triple in six indexes instead of three and repeat each code's description in
//! every dataset, about four times the disk (26 KB a dataset against 6 KB; see BENCHMARKS.md). SPARQL sees the union.
//!
//! SQL stays the only store a write must reach. The projection follows the change log: as a
//! [`crate::changes::Projector`] it re-projects every dataset and list named by entries after the last applied sequence
//! from their state in SQL, so applying an entry twice is harmless.
//!
//! On disk ([`Projection::open`], oxigraph's RocksDB storage) it survives restarts: beside the store, `state.json`
//! records the sequence applied, the format and the base URI it was built for. It is written only after the store has
//! been flushed to disk, so it never claims more than the store holds (a crash, even a power loss, only means a few
//! entries are applied again), and it is removed before a rebuild starts, so a rebuild cut short starts over. A
//! restart catches up from the recorded sequence; a full rebuild happens only when there is no state, when the format
//! or the base URI changed, or on request (`opendata reindex`). [`Projection::new`] keeps everything in memory.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::changes::{Applying, Batch, Projector};
use crate::dcat::CatalogInfo;
use crate::error::CatalogError;
use crate::store::{Catalog, DatasetQuery};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Quad, Term, Triple};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryResults, SparqlEvaluator};
use oxigraph::store::Store;

/// The projection and what it needs to refresh itself.
#[derive(Clone)]
pub struct Projection {
    store: Store,
    catalog: Catalog,
    info: Arc<CatalogInfo>,
    applied: Arc<AtomicI64>,
    /// On disk: where the applied sequence is recorded, and when it last was.
    state: Option<Arc<StateFile>>,
    /// The last count of quads and when it was taken (counting walks the whole store).
    counted: Arc<Mutex<Counted>>,
}

#[derive(Default)]
struct Counted {
    quads: Option<usize>,
    at: Option<Instant>,
    counting: bool,
}

/// What the on-disk store holds; a store whose state differs from what this code would build is rebuilt.
const FORMAT: u32 = 2;
/// The applied sequence is recorded (after a flush of the store) at most this often while changes flow.
const RECORD_EVERY: Duration = Duration::from_secs(5);
/// Memory the bulk loader of a rebuild may use for its sorted batches (RocksDB's own caches come on top).
const BULK_LOAD_MB: usize = 256;

#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct State {
    format: u32,
    base_uri: String,
    applied: i64,
}

struct StateFile {
    path: PathBuf,
    recorded: Mutex<(Instant, i64)>,
}

/// What a SPARQL query can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SparqlError {
    /// The query does not parse (updates are not accepted here either).
    #[error("SPARQL syntax error: {0}")]
    Syntax(String),
    /// The query ran past the time limit and was cancelled.
    #[error("the query took longer than {0:?} and was cancelled")]
    Timeout(Duration),
    /// The result has more rows or triples than allowed.
    #[error("the result has more than {0} rows or triples; add a LIMIT")]
    TooLarge(usize),
    /// Evaluation failed.
    #[error("SPARQL evaluation error: {0}")]
    Evaluation(String),
}

/// The result formats the endpoint answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsFormat {
    /// `application/sparql-results+json`.
    Json,
    /// `application/sparql-results+xml`.
    Xml,
    /// `text/csv`.
    Csv,
    /// `text/tab-separated-values`.
    Tsv,
}

impl Projection {
    /// An empty projection in memory (built by [`Projection::rebuild`] at every start).
    pub fn new(catalog: Catalog, info: CatalogInfo) -> Result<Self, CatalogError> {
        let store = Store::new().map_err(|e| storage(e.to_string()))?;
        Ok(Self {
            store,
            catalog,
            info: Arc::new(info),
            applied: Arc::new(AtomicI64::new(0)),
            state: None,
            counted: Arc::default(),
        })
    }

    /// The projection kept on disk in `dir` (made if missing), resuming from the sequence recorded there when the
    /// store was built by this format for this base URI; otherwise it starts empty and [`Projection::resumable`] is
    /// false.
    pub fn open(dir: &Path, catalog: Catalog, info: CatalogInfo) -> Result<Self, CatalogError> {
        std::fs::create_dir_all(dir).map_err(|e| storage(format!("{}: {e}", dir.display())))?;
        let store = Store::open(dir.join("store")).map_err(|e| storage(e.to_string()))?;
        let path = dir.join("state.json");
        let applied = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<State>(&b).ok())
            .filter(|s| s.format == FORMAT && s.base_uri == catalog.registry().base_uri())
            .map_or(0, |s| s.applied);
        Ok(Self {
            store,
            catalog,
            info: Arc::new(info),
            applied: Arc::new(AtomicI64::new(applied)),
            state: Some(Arc::new(StateFile {
                path,
                recorded: Mutex::new((Instant::now(), applied)),
            })),
            counted: Arc::default(),
        })
    }

    /// Whether the store holds a projection to catch up from (else [`Projection::rebuild`] it).
    pub fn resumable(&self) -> bool {
        self.state.is_some() && self.applied() > 0
    }

    /// Takes up a stored projection: the catalog's own description is projected anew (the configuration may have
    /// changed); the datasets and lists then catch up from the recorded sequence.
    pub async fn resume(&self) -> Result<(), CatalogError> {
        self.project_catalog_node().await
    }

    /// Removes the on-disk state so that the next start rebuilds (`opendata reindex`).
    pub fn forget(dir: &Path) -> Result<(), CatalogError> {
        match std::fs::remove_file(dir.join("state.json")) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(storage(e.to_string())),
        }
    }

    /// Records `applied` beside an on-disk store, after flushing the store so that the record never runs ahead of it;
    /// at most every [`RECORD_EVERY`] unless `now`.
    async fn record(&self, applied: i64, now: bool) -> Result<(), CatalogError> {
        let Some(state) = self.state.clone() else {
            return Ok(());
        };
        {
            let recorded = state.recorded.lock().expect("state lock");
            if recorded.1 == applied || (!now && recorded.0.elapsed() < RECORD_EVERY) {
                return Ok(());
            }
        }
        let store = self.store.clone();
        let body = serde_json::to_vec(&State {
            format: FORMAT,
            base_uri: self.catalog.registry().base_uri().to_owned(),
            applied,
        })
        .expect("serializes");
        tokio::task::spawn_blocking(move || -> Result<(), String> {
            store.flush().map_err(|e| e.to_string())?;
            write_synced(&state.path, &body).map_err(|e| e.to_string())?;
            *state.recorded.lock().expect("state lock") = (Instant::now(), applied);
            Ok(())
        })
        .await
        .map_err(|e| storage(e.to_string()))?
        .map_err(storage)
    }

    /// The last change-log sequence applied.
    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::SeqCst)
    }

    /// Number of quads. Walks the whole store (tens of millions of quads at national scale): call it off the async
    /// threads, and prefer [`Projection::recent_len`] for anything periodic.
    pub fn len(&self) -> usize {
        self.store.len().unwrap_or(0)
    }

    /// The number of quads as last counted, counting again in the background (one count at a time) when that count
    /// is older than `max_age`; `None` until the first count ends.
    pub fn recent_len(&self, max_age: Duration) -> Option<usize> {
        let mut counted = self.counted.lock().expect("count lock");
        let stale = counted.at.is_none_or(|at| at.elapsed() > max_age);
        if stale && !counted.counting {
            counted.counting = true;
            let (store, slot) = (self.store.clone(), self.counted.clone());
            std::thread::spawn(move || {
                let quads = store.len().ok();
                let mut counted = slot.lock().expect("count lock");
                counted.quads = quads.or(counted.quads);
                counted.at = Some(Instant::now());
                counted.counting = false;
            });
        }
        counted.quads
    }

    /// The catalog's own node, `{base}/catalog`, which links every projected dataset.
    fn catalog_node(&self) -> NamedNode {
        NamedNode::new_unchecked(format!("{}/catalog", self.catalog.registry().base_uri()))
    }

    /// Datasets in the projection: the `dcat:dataset` links of the catalog node, one per projected dataset. Walks
    /// those links: call it off the async threads.
    pub fn dataset_count(&self) -> usize {
        let catalog = self.catalog_node();
        self.store
            .quads_for_pattern(
                Some(catalog.as_ref().into()),
                Some(vocab::dcat::DATASET_PROPERTY),
                None,
                None,
            )
            .count()
    }

    /// Code lists in the projection: the named graphs under the registry's base (one per list with content).
    pub fn list_count(&self) -> usize {
        let prefix = format!("{}/registry/", self.catalog.registry().base_uri());
        self.store
            .named_graphs()
            .filter_map(Result::ok)
            .filter(|g| {
                matches!(g, oxigraph::model::NamedOrBlankNode::NamedNode(n)
                if n.as_str().strip_prefix(&prefix).is_some_and(|list| !list.contains('/')))
            })
            .count()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rebuilds everything from SQL; returns the number of quads loaded (code lists and datasets).
    ///
    /// The store is emptied first, so the code lists and the datasets go through oxigraph's bulk loader: quads are sorted into files that
    /// the store takes in whole, instead of one transaction per dataset (at 1,000,000 datasets that is the difference
    /// between minutes and hours). SQL is read a page at a time, and the loader, on its own thread, takes the pages
    /// from a short queue, so memory stays bounded by the loader's batch and a few pages.
    pub async fn rebuild(&self) -> Result<u64, CatalogError> {
        let head = self.catalog.registry().version_tag().await?;
        if let Some(state) = &self.state {
            // A rebuild cut short must not be taken for a whole projection.
            if let Some(dir) = state.path.parent() {
                Self::forget(dir)?;
            }
        }
        self.applied.store(0, Ordering::SeqCst);
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.clear())
            .await
            .map_err(|e| storage(e.to_string()))?
            .map_err(|e| storage(e.to_string()))?;
        self.project_catalog_node().await?;
        let lists = self.catalog.registry().lists().await?;
        let (pages, mut received) = tokio::sync::mpsc::channel::<Vec<Quad>>(4);
        let store = self.store.clone();
        let loader = tokio::task::spawn_blocking(move || -> Result<u64, String> {
            let mut loaded = 0u64;
            let mut loader = store
                .bulk_loader()
                .with_max_memory_size_in_megabytes(BULK_LOAD_MB)
                .without_atomicity();
            loader
                .load_quads(
                    std::iter::from_fn(|| received.blocking_recv()).flat_map(|page| {
                        loaded += page.len() as u64;
                        page
                    }),
                )
                .map_err(|e| e.to_string())?;
            loader.commit().map_err(|e| e.to_string())?;
            Ok(loaded)
        });
        let catalog = self.catalog_node();
        let mut cursor = None;
        let mut described = std::collections::HashSet::new();
        let fed = async {
            // The code lists go through the bulk loader too (the 10,821 administrative units took 2.5 s of a first
            // start as a transaction).
            for list in &lists {
                let quads = self.list_quads(list.meta.id.as_str()).await?;
                if pages.send(quads).await.is_err() {
                    return Ok(());
                }
            }
            loop {
                let page = self
                    .catalog
                    .list(&DatasetQuery {
                        public: true,
                        cursor: cursor.take(),
                        limit: 500,
                        skip_total: true,
                        ..DatasetQuery::default()
                    })
                    .await?;
                let graphs = crate::export::dataset_graphs(&self.catalog, &page.items).await?;
                let mut quads = Vec::new();
                for (record, triples) in page.items.iter().zip(graphs) {
                    let dataset = NamedNode::new_unchecked(record.uri.clone());
                    quads.push(Quad::new(
                        catalog.clone(),
                        vocab::dcat::DATASET_PROPERTY,
                        dataset.clone(),
                        GraphName::DefaultGraph,
                    ));
                    let (own, shared) = split_description(&dataset, triples);
                    quads.extend(own.into_iter().map(|t| t.in_graph(GraphName::DefaultGraph)));
                    // Each code's description once per rebuild.
                    for (subject, triples) in shared {
                        if described.insert(subject.clone()) {
                            quads.extend(triples.into_iter().map(|t| t.in_graph(subject.clone())));
                        }
                    }
                }
                if pages.send(quads).await.is_err() {
                    // The loader stopped: its error is reported below.
                    break;
                }
                match page.next {
                    Some(n) => cursor = Some(n),
                    None => break,
                }
            }
            Ok::<_, CatalogError>(())
        }
        .await;
        drop(pages);
        let loaded = loader
            .await
            .map_err(|e| storage(e.to_string()))?
            .map_err(|e| storage(format!("bulk load: {e}")))?;
        fed?;
        self.applied.store(head, Ordering::SeqCst);
        self.record(head, true).await?;
        Ok(loaded)
    }

    /// Re-projects the datasets and lists a batch names and records the batch as applied.
    async fn apply_batch(&self, batch: &Batch) -> Result<(), CatalogError> {
        for list in &batch.lists {
            self.project_list(list).await?;
        }
        for id in &batch.datasets {
            self.project_dataset(id).await?;
        }
        self.applied.store(batch.last_seq, Ordering::SeqCst);
        self.record(batch.last_seq, false).await
    }

    async fn replace_graph(
        &self,
        graph: NamedNode,
        triples: Vec<oxrdf::Triple>,
    ) -> Result<(), CatalogError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            store.remove_named_graph(&graph)?;
            if !triples.is_empty() {
                let quads: Vec<Quad> = triples
                    .into_iter()
                    .map(|t| t.in_graph(graph.clone()))
                    .collect();
                store.extend(quads)?;
            }
            Ok::<_, oxigraph::store::StorageError>(())
        })
        .await
        .map_err(|e| storage(e.to_string()))?
        .map_err(|e| storage(e.to_string()))
    }

    async fn project_catalog_node(&self) -> Result<(), CatalogError> {
        let triples = crate::export::catalog_graph(&self.catalog, &self.info, &[], None).await?;
        let graph = self.catalog_node();
        self.replace_graph(graph, triples).await
    }

    async fn project_dataset(&self, id: &str) -> Result<(), CatalogError> {
        let dataset = NamedNode::new_unchecked(self.catalog.dataset_uri(id));
        let triples = match self.catalog.get(id, None, true).await {
            Ok(record) => crate::export::dataset_graph(&self.catalog, &record).await?,
            Err(CatalogError::NotFound(_) | CatalogError::Withdrawn(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        let catalog = self.catalog_node();
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            replace_description(&store, &catalog, &dataset, triples)
        })
        .await
        .map_err(|e| storage(e.to_string()))?
        .map_err(|e| storage(e.to_string()))
    }

    async fn project_list(&self, list: &str) -> Result<(), CatalogError> {
        let graph = NamedNode::new_unchecked(self.catalog.registry().list_uri(list));
        let triples = self.list_triples(list).await?;
        self.replace_graph(graph, triples).await
    }

    /// A code list's SKOS description (none for a list that does not exist).
    async fn list_triples(&self, list: &str) -> Result<Vec<oxrdf::Triple>, CatalogError> {
        let registry = self.catalog.registry();
        match registry.meta(list).await {
            Ok(meta) => {
                let items = registry.all_items(list).await?;
                let releases = registry.releases(list).await?;
                Ok(registry::skos::list_graph(
                    registry, &meta, &items, &releases,
                ))
            }
            Err(registry::RegistryError::ListNotFound(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// A code list's description as quads in its own graph, for the bulk loader.
    async fn list_quads(&self, list: &str) -> Result<Vec<Quad>, CatalogError> {
        let graph = NamedNode::new_unchecked(self.catalog.registry().list_uri(list));
        Ok(self
            .list_triples(list)
            .await?
            .into_iter()
            .map(|t| t.in_graph(graph.clone()))
            .collect())
    }

    /// Evaluates a read-only SPARQL query over the union of all graphs. Blocking: call it under `spawn_blocking`.
    /// Returns the media type and the serialized result.
    pub fn query(
        &self,
        query: &str,
        results: ResultsFormat,
        graphs: registry::skos::RdfKind,
        timeout: Duration,
        max_results: usize,
    ) -> Result<(&'static str, Vec<u8>), SparqlError> {
        let token = CancellationToken::new();
        let canceller = token.clone();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let timer = std::thread::spawn(move || {
            if done_rx.recv_timeout(timeout).is_err() {
                canceller.cancel();
            }
        });
        let outcome = self.evaluate(query, results, graphs, token, max_results);
        let _ = done_tx.send(());
        let _ = timer.join();
        match outcome {
            Err(SparqlError::Evaluation(m)) if m.contains("cancel") => {
                Err(SparqlError::Timeout(timeout))
            }
            other => other,
        }
    }

    fn evaluate(
        &self,
        query: &str,
        results: ResultsFormat,
        graphs: registry::skos::RdfKind,
        token: CancellationToken,
        max_results: usize,
    ) -> Result<(&'static str, Vec<u8>), SparqlError> {
        let mut prepared = SparqlEvaluator::new()
            .with_cancellation_token(token)
            .parse_query(query)
            .map_err(|e| SparqlError::Syntax(e.to_string()))?;
        // Without FROM / FROM NAMED, the default graph is the union of every dataset's and list's graph.
        if prepared.dataset().is_default_dataset() {
            prepared.dataset_mut().set_default_graph_as_union();
        }
        let evaluated = prepared
            .on_store(&self.store)
            .execute()
            .map_err(|e| SparqlError::Evaluation(e.to_string()))?;
        let eval =
            |e: oxigraph::sparql::QueryEvaluationError| SparqlError::Evaluation(e.to_string());
        let io = |e: std::io::Error| SparqlError::Evaluation(e.to_string());
        let (format, media) = match results {
            ResultsFormat::Json => (QueryResultsFormat::Json, "application/sparql-results+json"),
            ResultsFormat::Xml => (QueryResultsFormat::Xml, "application/sparql-results+xml"),
            ResultsFormat::Csv => (QueryResultsFormat::Csv, "text/csv; charset=utf-8"),
            ResultsFormat::Tsv => (
                QueryResultsFormat::Tsv,
                "text/tab-separated-values; charset=utf-8",
            ),
        };
        match evaluated {
            QueryResults::Boolean(b) => {
                let out = QueryResultsSerializer::from_format(format)
                    .serialize_boolean_to_writer(Vec::new(), b)
                    .map_err(io)?;
                Ok((media, out))
            }
            QueryResults::Solutions(solutions) => {
                let mut writer = QueryResultsSerializer::from_format(format)
                    .serialize_solutions_to_writer(Vec::new(), solutions.variables().to_vec())
                    .map_err(io)?;
                for (n, solution) in solutions.enumerate() {
                    if n == max_results {
                        return Err(SparqlError::TooLarge(max_results));
                    }
                    writer.serialize(&solution.map_err(eval)?).map_err(io)?;
                }
                Ok((media, writer.finish().map_err(io)?))
            }
            QueryResults::Graph(triples) => {
                let mut all = Vec::new();
                for (n, t) in triples.enumerate() {
                    if n == max_results {
                        return Err(SparqlError::TooLarge(max_results));
                    }
                    all.push(t.map_err(eval)?);
                }
                let out = registry::skos::serialize(&all, graphs).map_err(io)?;
                Ok((graphs.media_type(), out))
            }
        }
    }
}

impl Projector for Projection {
    fn name(&self) -> &'static str {
        "RDF projection"
    }

    fn applied(&self) -> i64 {
        Projection::applied(self)
    }

    fn apply<'a>(&'a self, batch: &'a Batch) -> Applying<'a> {
        Box::pin(self.apply_batch(batch))
    }
}

/// Writes a small file whole: a temporary file, synced, renamed over the old one, and the folder synced.
fn write_synced(path: &Path, body: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(body)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn storage(message: String) -> CatalogError {
    CatalogError::Registry(registry::RegistryError::Storage(format!(
        "projection: {message}"
    )))
}

/// Whether `subject` belongs to the description of `dataset`: the dataset itself, what is minted under its IRI (its
/// distributions) and blank nodes (a period, a checksum), as opposed to the codes it points to (an agency, a theme, a
/// licence), which many datasets share.
fn owned_by(dataset: &NamedNode, subject: &NamedOrBlankNode) -> bool {
    match subject {
        NamedOrBlankNode::BlankNode(_) => true,
        NamedOrBlankNode::NamedNode(n) => n
            .as_str()
            .strip_prefix(dataset.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('#')),
    }
}

/// A dataset's description split into what it owns and, by subject, the descriptions of the codes it points to.
fn split_description(
    dataset: &NamedNode,
    triples: Vec<Triple>,
) -> (Vec<Triple>, Vec<(NamedNode, Vec<Triple>)>) {
    let mut own = Vec::new();
    let mut shared: Vec<(NamedNode, Vec<Triple>)> = Vec::new();
    for t in triples {
        match &t.subject {
            NamedOrBlankNode::NamedNode(n) if !owned_by(dataset, &t.subject) => {
                match shared.iter_mut().find(|(s, _)| s == n) {
                    Some((_, ts)) => ts.push(t),
                    None => shared.push((n.clone(), vec![t])),
                }
            }
            _ => own.push(t),
        }
    }
    (own, shared)
}

/// Replaces a dataset's description in one transaction: what it owns, in the default graph, found by walking from the
/// dataset through the objects it owns; the catalog's link to it; and the description of each code it points to, in a
/// named graph of that code's own (replaced whole, so the latest description wins and a code described by a million
/// datasets is stored once). Empty `triples` removes the dataset (withdrawn or deleted).
fn replace_description(
    store: &Store,
    catalog: &NamedNode,
    dataset: &NamedNode,
    triples: Vec<Triple>,
) -> Result<(), oxigraph::store::StorageError> {
    let mut tx = store.start_transaction()?;
    let mut old = Vec::new();
    let mut todo = vec![NamedOrBlankNode::from(dataset.clone())];
    let mut seen = std::collections::HashSet::new();
    while let Some(subject) = todo.pop() {
        if !seen.insert(subject.clone()) {
            continue;
        }
        for quad in tx.quads_for_pattern(
            Some(subject.as_ref()),
            None,
            None,
            Some(oxigraph::model::GraphNameRef::DefaultGraph),
        ) {
            let quad = quad?;
            match &quad.object {
                Term::NamedNode(n) if owned_by(dataset, &NamedOrBlankNode::from(n.clone())) => {
                    todo.push(n.clone().into());
                }
                Term::BlankNode(b) => todo.push(b.clone().into()),
                _ => {}
            }
            old.push(quad);
        }
    }
    for quad in &old {
        tx.remove(quad);
    }
    let link = Quad::new(
        catalog.clone(),
        vocab::dcat::DATASET_PROPERTY,
        dataset.clone(),
        GraphName::DefaultGraph,
    );
    if triples.is_empty() {
        tx.remove(&link);
    } else {
        tx.insert(&link);
        let (own, shared) = split_description(dataset, triples);
        for t in own {
            tx.insert(&t.in_graph(GraphName::DefaultGraph));
        }
        for (subject, triples) in shared {
            tx.remove_named_graph(&subject)?;
            for t in triples {
                tx.insert(&t.in_graph(subject.clone()));
            }
        }
    }
    tx.commit()
}
