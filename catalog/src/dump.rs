//! The whole-catalog dump for harvesters: every published dataset's DCAT-AP description, with the catalog node and
//! its data services, as one gzipped N-Triples file.
//!
//! It is written page by page from SQL (the same export as `/catalog`), so memory stays bounded by a page whatever the
//! catalog's size; written to a temporary file, synced and renamed, so a reader (or a restart after a crash) only ever
//! sees a whole dump; and described beside it (`catalog.nt.gz.json`: the change-log sequence it was built at, its
//! sha256, size and counts). The server rebuilds it in the background after changes; the HTTP layer serves it with
//! the sha256 as `ETag` and with `Range`.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use flate2::Compression;
use flate2::write::GzEncoder;
use oxrdf::{NamedOrBlankNode, Triple};
use registry::skos::{RdfKind, serialize};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Catalog;
use crate::dcat::CatalogInfo;
use crate::error::CatalogError;
use crate::store::DatasetQuery;

/// The file being written.
const TMP: &str = "catalog.nt.gz.tmp";
/// The description of the dump being served.
const META: &str = "catalog.json";
/// Datasets read and serialized at a time.
const PAGE: usize = 500;

/// What a built dump holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DumpInfo {
    /// The change-log sequence the dump was built at: it holds every change up to it.
    pub seq: i64,
    /// sha256 of the file (hex), the download's `ETag`.
    pub sha256: String,
    /// Size of the file in bytes (compressed).
    pub bytes: u64,
    /// Published datasets in it.
    pub datasets: u64,
    /// Triples in it.
    pub triples: u64,
    /// When it was finished, RFC 3339.
    pub built_at: String,
    /// How long the build took, in milliseconds.
    pub build_ms: u64,
    /// The base URI its IRIs are made from: a node started with another one rebuilds the dump rather than serve it.
    #[serde(default)]
    pub base_uri: String,
}

impl DumpInfo {
    /// The file's name: named by its hash, so a download never mixes two builds.
    pub fn file_name(&self) -> String {
        format!(
            "catalog-{}.nt.gz",
            &self.sha256[..16.min(self.sha256.len())]
        )
    }
}

/// The dump of one node: its folder and the dump it serves.
#[derive(Debug, Clone)]
pub struct Dump {
    dir: PathBuf,
    current: Arc<RwLock<Option<DumpInfo>>>,
    building: Arc<tokio::sync::Mutex<()>>,
}

impl Dump {
    /// Opens the dump folder (made if missing), takes the dump found there when its description matches the file and
    /// it was built with `base_uri`, and removes what an interrupted build left.
    pub fn open(dir: &Path, base_uri: &str) -> Result<Self, CatalogError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| CatalogError::Storage(format!("dump folder {}: {e}", dir.display())))?;
        for leftover in [TMP.to_owned(), format!("{META}.tmp")] {
            let _ = std::fs::remove_file(dir.join(leftover));
        }
        let found = std::fs::read(dir.join(META))
            .ok()
            .and_then(|b| serde_json::from_slice::<DumpInfo>(&b).ok())
            .filter(|info| {
                info.base_uri == base_uri
                    && std::fs::metadata(dir.join(info.file_name()))
                        .is_ok_and(|m| m.len() == info.bytes)
            });
        Ok(Self {
            dir: dir.to_owned(),
            current: Arc::new(RwLock::new(found)),
            building: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The dump being served, if one has been built.
    pub fn current(&self) -> Option<DumpInfo> {
        self.current.read().expect("dump lock").clone()
    }

    /// The file of a dump.
    pub fn path(&self, dump: &DumpInfo) -> PathBuf {
        self.dir.join(dump.file_name())
    }

    /// Whether the dump misses changes up to `head` (or there is none).
    pub fn is_stale(&self, head: i64) -> bool {
        self.current().is_none_or(|d| d.seq < head)
    }

    /// Builds the dump anew from the published datasets and swaps it in; one build at a time.
    pub async fn build(
        &self,
        catalog: &Catalog,
        info: &CatalogInfo,
    ) -> Result<DumpInfo, CatalogError> {
        let _one_at_a_time = self.building.lock().await;
        let started = Instant::now();
        let seq = catalog.registry().version_tag().await?;
        let tmp = self.dir.join(TMP);
        let io = |what: &str, e: std::io::Error| CatalogError::Storage(format!("dump {what}: {e}"));
        let file = std::fs::File::create(&tmp).map_err(|e| io("create", e))?;
        let mut out = Some(GzEncoder::new(
            Hashing::new(std::io::BufWriter::with_capacity(1 << 20, file)),
            Compression::fast(),
        ));
        let catalog_node = NamedOrBlankNode::from(oxrdf::NamedNode::new_unchecked(format!(
            "{}/catalog",
            catalog.registry().base_uri()
        )));
        let (mut datasets, mut triples) = (0u64, 0u64);
        let mut cursor = None;
        let mut first = true;
        loop {
            let page = catalog
                .list(&DatasetQuery {
                    public: true,
                    cursor: cursor.take(),
                    limit: PAGE,
                    skip_total: true,
                    ..DatasetQuery::default()
                })
                .await?;
            let mut graph = crate::export::catalog_graph_in(
                catalog,
                info,
                &page.items,
                None,
                crate::dcat::TripleOrder::AsBuilt,
            )
            .await?;
            if !first {
                // The catalog's own description once, at the top; later pages add only their datasets to it.
                graph.retain(|t| !describes_catalog(t, &catalog_node));
            }
            first = false;
            datasets += page.items.len() as u64;
            triples += graph.len() as u64;
            let text = serialize(&graph, RdfKind::NTriples).map_err(|e| io("serialize", e))?;
            drop(graph);
            // Compression is the CPU-heavy part: off the async threads.
            let mut encoder = out.take().expect("encoder");
            encoder =
                tokio::task::spawn_blocking(move || encoder.write_all(&text).map(|()| encoder))
                    .await
                    .map_err(|e| CatalogError::Storage(format!("dump: {e}")))?
                    .map_err(|e| io("write", e))?;
            out = Some(encoder);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let encoder = out.take().expect("encoder");
        let hashing = tokio::task::spawn_blocking(move || -> std::io::Result<Hashing> {
            let mut hashing = encoder.finish()?;
            hashing.inner.flush()?;
            hashing.inner.get_ref().sync_all()?;
            Ok(hashing)
        })
        .await
        .map_err(|e| CatalogError::Storage(format!("dump: {e}")))?
        .map_err(|e| io("finish", e))?;
        let built = DumpInfo {
            seq,
            sha256: hex::encode(hashing.hasher.finalize()),
            bytes: hashing.bytes,
            datasets,
            triples,
            built_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            build_ms: started.elapsed().as_millis() as u64,
            base_uri: catalog.registry().base_uri().to_owned(),
        };
        std::fs::rename(&tmp, self.path(&built)).map_err(|e| io("rename", e))?;
        let meta_tmp = self.dir.join(format!("{META}.tmp"));
        std::fs::write(
            &meta_tmp,
            serde_json::to_vec_pretty(&built).expect("serializes"),
        )
        .map_err(|e| io("describe", e))?;
        std::fs::rename(&meta_tmp, self.dir.join(META)).map_err(|e| io("describe", e))?;
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        let previous = self
            .current
            .write()
            .expect("dump lock")
            .replace(built.clone());
        // The previous file stays for downloads under way (and `Range` resumes of it); older ones go.
        let keep = [Some(built.file_name()), previous.map(|p| p.file_name())];
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.filter_map(Result::ok) {
                let name = entry.file_name().to_string_lossy().into_owned();
                let is_dump = name.starts_with("catalog-") && name.ends_with(".nt.gz");
                if is_dump && !keep.iter().flatten().any(|k| *k == name) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(built)
    }
}

/// A triple of the catalog node other than its `dcat:dataset` links.
fn describes_catalog(t: &Triple, catalog_node: &NamedOrBlankNode) -> bool {
    &t.subject == catalog_node && t.predicate != vocab::dcat::DATASET_PROPERTY
}

/// A writer that hashes and counts what passes through it.
struct Hashing {
    inner: std::io::BufWriter<std::fs::File>,
    hasher: Sha256,
    bytes: u64,
}

impl Hashing {
    fn new(inner: std::io::BufWriter<std::fs::File>) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dump described and present on disk is served again by a node with the same base URI, and not by one started
    /// with another (its IRIs would name the other host).
    #[test]
    fn a_dump_is_kept_only_for_the_base_uri_it_was_built_with() {
        let dir = tempfile::tempdir().expect("tempdir");
        let info = DumpInfo {
            seq: 7,
            sha256: "ab".repeat(32),
            bytes: 3,
            datasets: 1,
            triples: 1,
            built_at: "2026-12-05T00:00:00Z".into(),
            build_ms: 1,
            base_uri: "http://data.example.test".into(),
        };
        std::fs::write(dir.path().join(info.file_name()), b"abc").expect("file");
        std::fs::write(
            dir.path().join(META),
            serde_json::to_vec(&info).expect("json"),
        )
        .expect("meta");
        let same = Dump::open(dir.path(), "http://data.example.test").expect("open");
        assert_eq!(same.current(), Some(info.clone()));
        let other = Dump::open(dir.path(), "http://127.0.0.1:8080").expect("open");
        assert_eq!(other.current(), None);
        assert!(other.is_stale(0));
    }
}
