//! Loading the seed open datasets shipped in `datasets/catalog/`: one folder per dataset with `dataset.json` (the
//! content plus `id`; a distribution may name a local `file`, uploaded like any other) and the data files, then
//! `open-data-lists.json`. Everything goes through the same store calls as the API, as the `seed` actor; the CSV
//! files' validation reports are computed before the load returns.
use std::path::Path;

use serde_json::Value;

use crate::curator::{Curator, Expected, Transition};
use crate::error::CatalogError;
use crate::files::FileStore;
use crate::model::DatasetContent;
use crate::store::Catalog;

fn bad(path: &Path, what: impl std::fmt::Display) -> CatalogError {
    CatalogError::Storage(format!("seed {}: {what}", path.display()))
}

/// Loads every dataset folder under `dir` (sorted), publishes each, then issues the open-data lists. Returns the
/// number of datasets loaded.
pub async fn load_dir(
    catalog: &Catalog,
    files: &FileStore,
    dir: &Path,
) -> Result<usize, CatalogError> {
    let curator = Curator::system("seed");
    let actor = curator.actor();
    let mut folders: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| bad(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("dataset.json").is_file())
        .collect();
    folders.sort();
    for folder in &folders {
        let path = folder.join("dataset.json");
        let mut doc: Value =
            serde_json::from_slice(&std::fs::read(&path).map_err(|e| bad(&path, e))?)
                .map_err(|e| bad(&path, e))?;
        let id = doc
            .as_object_mut()
            .and_then(|o| o.remove("id"))
            .and_then(|v| v.as_str().map(str::to_owned));
        if let Some(distributions) = doc.get_mut("distributions").and_then(Value::as_array_mut) {
            for d in distributions {
                let Some(obj) = d.as_object_mut() else {
                    continue;
                };
                let Some(file) = obj.remove("file") else {
                    continue;
                };
                let file_path = folder.join(file.as_str().unwrap_or_default());
                let bytes = tokio::fs::read(&file_path)
                    .await
                    .map_err(|e| bad(&file_path, e))?;
                let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes)]);
                let stored = files
                    .store(stream, u64::MAX)
                    .await
                    .map_err(|e| bad(&file_path, e))?;
                obj.insert("fileSha256".into(), Value::String(stored.sha256));
                obj.insert("byteSize".into(), Value::from(stored.byte_size));
            }
        }
        let content: DatasetContent = serde_json::from_value(doc).map_err(|e| bad(&path, e))?;
        let record = catalog
            .create(&curator, id, content)
            .await
            .map_err(|e| bad(&path, e))?;
        for transition in [Transition::Submit, Transition::Publish] {
            catalog
                .transition(&curator, &record.id, transition, None, &Expected::Any)
                .await
                .map_err(|e| bad(&path, e))?;
        }
    }
    let lists_path = dir.join("open-data-lists.json");
    if lists_path.is_file() {
        let lists: Vec<Value> =
            serde_json::from_slice(&std::fs::read(&lists_path).map_err(|e| bad(&lists_path, e))?)
                .map_err(|e| bad(&lists_path, e))?;
        for l in lists {
            let agency = l["agency"].as_str().unwrap_or_default();
            let year = l["year"].as_i64().unwrap_or_default();
            let title = serde_json::from_value(l["title"].clone()).ok();
            let ids: Vec<String> = l["datasets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            catalog
                .issue_open_data_list(agency, year, title, &ids, &actor)
                .await
                .map_err(|e| bad(&lists_path, e))?;
        }
    }
    // The seed files' validation reports, before anyone asks (an upload computes its own as it arrives).
    catalog.backfill_csv_reports().await?;
    Ok(folders.len())
}
