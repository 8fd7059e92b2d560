//! Action parameters: from the query string, a form body or a JSON body, read with CKAN's coercions and its
//! validation messages.
use axum::http::{HeaderMap, Uri};
use serde_json::{Map, Value};

use crate::CkanError;

/// Parameters from the query string and the body (a form or a JSON object), as JSON values (query and form values
/// are strings).
pub fn params(
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, CkanError> {
    let mut out = Map::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        out.insert(k.into_owned(), Value::String(v.into_owned()));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(out);
    }
    let form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form {
        for (k, v) in form_urlencoded::parse(body) {
            out.insert(k.into_owned(), Value::String(v.into_owned()));
        }
        return Ok(out);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => {
            out.extend(map);
            Ok(out)
        }
        Ok(_) => Err(CkanError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "Bad request",
            "Bad request - JSON Error: Request data JSON decoded to a non-object",
        )),
        Err(e) => Err(CkanError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "Bad request",
            format!("Bad request - JSON Error: {e}"),
        )),
    }
}

/// A text parameter (a number is taken as its text); absent or null is `None`.
pub fn string_param(p: &Map<String, Value>, name: &str) -> Result<Option<String>, CkanError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(CkanError::validation(name, "must be a string")),
    }
}

/// A non-negative integer parameter at most `max`, `default` when absent.
pub fn int_param(
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

/// A boolean parameter (`true`/`false`, `True`/`False`, `1`/`0`, `yes`/`no`); absent is false.
pub fn bool_param(p: &Map<String, Value>, name: &str) -> Result<bool, CkanError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" | "" => Ok(false),
            _ => Err(CkanError::validation(name, "must be true or false")),
        },
        Some(_) => Err(CkanError::validation(name, "must be true or false")),
    }
}

/// A text parameter that must be there and not empty.
pub fn required(p: &Map<String, Value>, name: &str) -> Result<String, CkanError> {
    string_param(p, name)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CkanError::validation(name, "Missing value"))
}
