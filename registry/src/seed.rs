//! Loading the seed code lists shipped in `datasets/registry/` (one folder per list: `list.json` and CSV steps).
//!
//! Each step is imported through the same CSV parser and planner as a steward's import, applied as the `seed` actor,
//! and followed by a release carrying the step's notes.
use std::path::Path;

use serde::Deserialize;

use crate::error::RegistryError;
use crate::model::{CodeListMeta, LangText};
use crate::steward::Steward;
use crate::store::Registry;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    file: String,
    #[serde(default)]
    release: Option<StepRelease>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRelease {
    #[serde(default)]
    notes: LangText,
}

/// What a seed load did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SeedReport {
    /// `(list, items, releases)` per list loaded.
    pub lists: Vec<(String, usize, usize)>,
}

/// Loads every list folder under `dir` (sorted by name). Fails on the first bad file, naming it.
pub async fn load_dir(
    registry: &Registry,
    dir: &Path,
    only: Option<&[&str]>,
) -> Result<SeedReport, RegistryError> {
    let mut folders: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| {
            RegistryError::Storage(format!("cannot read seed folder {}: {e}", dir.display()))
        })?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("list.json").is_file())
        .collect();
    folders.sort();
    let mut report = SeedReport::default();
    for folder in folders {
        let name = folder
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if only.is_some_and(|o| !o.contains(&name.as_str())) {
            continue;
        }
        report.lists.push(load_list(registry, &folder).await?);
    }
    Ok(report)
}

/// Loads one list folder.
pub async fn load_list(
    registry: &Registry,
    folder: &Path,
) -> Result<(String, usize, usize), RegistryError> {
    let bad = |what: String| RegistryError::Storage(format!("seed {}: {what}", folder.display()));
    let text = std::fs::read_to_string(folder.join("list.json")).map_err(|e| bad(e.to_string()))?;
    let mut value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let steps: Vec<Step> = serde_json::from_value(
        value
            .as_object_mut()
            .and_then(|o| o.remove("steps"))
            .unwrap_or(serde_json::Value::Array(vec![])),
    )
    .map_err(|e| bad(format!("steps: {e}")))?;
    let meta: CodeListMeta = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    let id = meta.id.to_string();
    registry.create_list(&Steward::system("seed"), meta).await?;
    let mut releases = 0;
    for step in steps {
        let bytes = std::fs::read(folder.join(&step.file))
            .map_err(|e| bad(format!("{}: {e}", step.file)))?;
        let (changes, _) = registry
            .parse_import(&id, &bytes)
            .await
            .map_err(|e| bad(format!("{}: {e}", step.file)))?;
        registry
            .apply_direct(&id, &changes, "seed", &format!("seed {}", step.file))
            .await?;
        if let Some(release) = step.release {
            registry
                .create_release(&Steward::system("seed"), &id, release.notes)
                .await?;
            releases += 1;
        }
    }
    let items = registry.all_items(&id).await?.len();
    Ok((id, items, releases))
}
