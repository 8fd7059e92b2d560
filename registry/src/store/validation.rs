//! Batch validation of (list, code, date) references, following successors to the codes valid at the date.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use super::Registry;
use crate::error::RegistryError;
use crate::model::{ItemData, LangText, StatusAt};

/// One entry of a batch validation.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CodeCheck {
    /// The code list.
    pub list: String,
    /// The code or any notation.
    pub code: String,
    /// The legal date (default: today).
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// The answer for one [`CodeCheck`].
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CodeCheckResult {
    /// The list asked for.
    pub list: String,
    /// The code asked for.
    pub code: String,
    /// The date checked.
    pub date: NaiveDate,
    /// `valid`, `superseded`, `retired`, `notYetValid`, `submitted`, `invalid` or `unknown`.
    pub result: String,
    /// The item's code when the input was another notation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical_code: Option<String>,
    /// The item's URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The item's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<LangText>,
    /// Direct successors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub successors: Vec<String>,
    /// Successors followed transitively to the codes valid at the date.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub current_successors: Vec<String>,
}

/// The most references one validation call may check.
pub const MAX_BATCH: usize = 100_000;

/// The answer to a batch validation: one result per reference, in order, and the count of each result.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidationReport {
    /// How many references got each result (`valid`, `superseded`, `unknown`, ...).
    pub summary: std::collections::BTreeMap<String, usize>,
    /// One result per reference, in the order asked.
    pub items: Vec<CodeCheckResult>,
}

impl Registry {
    /// Validates a batch of at most [`MAX_BATCH`] references and counts the results.
    pub async fn validation_report(
        &self,
        checks: &[CodeCheck],
    ) -> Result<ValidationReport, RegistryError> {
        if checks.len() > MAX_BATCH {
            return Err(RegistryError::invalid(crate::error::InputProblem::field(
                "items",
                format!("at most {MAX_BATCH} references per call"),
            )));
        }
        let items = self.validate(checks).await?;
        let mut summary = std::collections::BTreeMap::new();
        for r in &items {
            *summary.entry(r.result.clone()).or_default() += 1;
        }
        Ok(ValidationReport { summary, items })
    }

    /// Checks a batch of (list, code, date) references.
    pub async fn validate(
        &self,
        checks: &[CodeCheck],
    ) -> Result<Vec<CodeCheckResult>, RegistryError> {
        let today = chrono::Utc::now().date_naive();
        let mut loaded: HashMap<String, Option<Arc<LoadedList>>> = HashMap::new();
        let mut out = Vec::with_capacity(checks.len());
        for check in checks {
            if !loaded.contains_key(&check.list) {
                let entry = self.loaded_list(&check.list).await?;
                loaded.insert(check.list.clone(), entry);
            }
            let date = check.date.unwrap_or(today);
            let mut result = CodeCheckResult {
                list: check.list.clone(),
                code: check.code.clone(),
                date,
                result: "unknown".into(),
                canonical_code: None,
                uri: None,
                label: None,
                successors: Vec::new(),
                current_successors: Vec::new(),
            };
            if let Some(Some(list)) = loaded.get(&check.list)
                && let Some(item) = list.1.get(&check.code).and_then(|c| list.0.get(c))
            {
                let status = item.status_at(date);
                result.result = serde_json::to_value(status)
                    .expect("status")
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                if item.code != check.code {
                    result.canonical_code = Some(item.code.clone());
                }
                result.uri = Some(self.item_uri(&check.list, &item.code));
                result.label = Some(item.labels.clone());
                if matches!(status, StatusAt::Superseded) {
                    result.successors = item.successors.clone();
                    result.current_successors = current_successors(&list.0, item, date);
                }
            }
            out.push(result);
        }
        Ok(out)
    }
}

/// A list's items by code and the code of every notation, for batch validation.
/// A list's current items by code, and every notation's code.
pub(super) type LoadedList = (HashMap<String, ItemData>, HashMap<String, String>);

impl Registry {
    /// A list's current items and notations (`None`: no such list), read once per registry generation: every dataset
    /// write checks its codes, and reading and parsing the 10,821 administrative units for each one cost more than the
    /// write itself.
    async fn loaded_list(&self, list: &str) -> Result<Option<Arc<LoadedList>>, RegistryError> {
        let generation = self.db.registry_generation() as i64;
        if let Some(loaded) = self.loaded_lists.get(generation, &list.to_owned()) {
            return Ok(loaded);
        }
        let entry = match self.meta(list).await {
            Ok(_) => {
                let mut conn = self.db.pool().acquire().await?;
                let items = Self::current_items(&mut conn, list).await?;
                let mut notations = HashMap::new();
                for item in items.values() {
                    for (_, n) in item.all_notations() {
                        notations.insert(n.to_owned(), item.code.clone());
                    }
                }
                Some(Arc::new((items, notations)))
            }
            Err(RegistryError::ListNotFound(_)) => None,
            Err(e) => return Err(e),
        };
        self.loaded_lists
            .put(generation, list.to_owned(), entry.clone());
        Ok(entry)
    }
}

/// Follows successors until codes valid at `date` (breadth first, cycles ignored).
fn current_successors(
    items: &HashMap<String, ItemData>,
    item: &ItemData,
    date: NaiveDate,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = HashSet::from([item.code.clone()]);
    let mut queue: std::collections::VecDeque<String> = item.successors.iter().cloned().collect();
    while let Some(code) = queue.pop_front() {
        if !seen.insert(code.clone()) {
            continue;
        }
        match items.get(&code) {
            Some(s) if s.status_at(date) == StatusAt::Superseded => {
                queue.extend(s.successors.iter().cloned())
            }
            Some(s) if s.status_at(date) == StatusAt::Valid => out.push(code),
            _ => {}
        }
    }
    out.sort();
    out
}
