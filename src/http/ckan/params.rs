//! Action parameters: read by the `ckan` crate (query string, form or JSON body, with CKAN's coercions and messages);
//! here only the `offset`/`limit` window of the list actions.
use serde_json::{Map, Value};

use super::envelope::CkanError;

/// The `offset`/`limit` window of a list action.
pub(super) fn window<T: Clone>(items: &[T], p: &Map<String, Value>) -> Result<Vec<T>, CkanError> {
    let offset = ckan::int_param(p, "offset", 0, usize::MAX)?;
    let limit = ckan::int_param(p, "limit", usize::MAX, usize::MAX)?;
    Ok(items.iter().skip(offset).take(limit).cloned().collect())
}
