//! Action parameters: from the query string, a form body or a JSON body, read with CKAN's coercions and its
//! validation messages.
use axum::http::{HeaderMap, Uri};
use serde_json::{Map, Value};

use super::envelope::CkanError;

/// Parameters from the query string or the JSON body, as JSON values (query values are strings).
pub(super) fn params(
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, CkanError> {
    let mut out = Map::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        out.insert(k.into_owned(), Value::String(v.into_owned()));
    }
    if !body.iter().all(u8::is_ascii_whitespace) {
        let content_type = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if content_type.starts_with("application/x-www-form-urlencoded") {
            for (k, v) in form_urlencoded::parse(body) {
                out.insert(k.into_owned(), Value::String(v.into_owned()));
            }
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => out.extend(map),
                Ok(_) => return Err(CkanError::validation("body", "a JSON object is expected")),
                Err(e) => {
                    return Err(CkanError::validation(
                        "body",
                        format!("malformed JSON: {e}"),
                    ));
                }
            }
        }
    }
    Ok(out)
}

pub(super) fn string_param(
    p: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, CkanError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(CkanError::validation(name, "must be a string")),
    }
}

pub(super) fn int_param(
    p: &Map<String, Value>,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, CkanError> {
    let value = match p.get(name) {
        None | Some(Value::Null) => return Ok(default),
        Some(Value::Number(n)) => n.as_u64().map(|n| n as usize),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    match value {
        Some(v) if v <= max => Ok(v),
        Some(_) => Err(CkanError::validation(
            name,
            format!("Must be less than or equal to {max}"),
        )),
        None => Err(CkanError::validation(name, "Invalid integer")),
    }
}

pub(super) fn bool_param(p: &Map<String, Value>, name: &str) -> Result<bool, CkanError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" || s == "True" || s == "1" => Ok(true),
        Some(Value::String(s)) if s == "false" || s == "False" || s == "0" || s.is_empty() => {
            Ok(false)
        }
        Some(_) => Err(CkanError::validation(name, "must be true or false")),
    }
}

pub(super) fn required(p: &Map<String, Value>, name: &str) -> Result<String, CkanError> {
    string_param(p, name)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CkanError::validation(name, "Missing value"))
}

/// The `offset`/`limit` window of a list action.
pub(super) fn window<T: Clone>(items: &[T], p: &Map<String, Value>) -> Result<Vec<T>, CkanError> {
    let offset = int_param(p, "offset", 0, usize::MAX)?;
    let limit = int_param(p, "limit", usize::MAX, usize::MAX)?;
    Ok(items.iter().skip(offset).take(limit).cloned().collect())
}
