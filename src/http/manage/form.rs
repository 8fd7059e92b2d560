//! Posted forms: `application/x-www-form-urlencoded` pairs (a name may repeat, as checkboxes and multiple selects
//! send it) and `multipart/form-data` with files, read whole up to a limit. The multipart reader only knows what
//! browsers send (RFC 7578: one `Content-Disposition` per part, no nested multiparts).
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use registry::InputProblem;

use crate::http::ApiError;

/// A file sent with a form.
#[derive(Debug, Clone)]
pub struct FilePart {
    /// The field's name.
    pub name: String,
    /// The file name the browser gave.
    pub file_name: String,
    /// The declared media type.
    pub content_type: Option<String>,
    /// The content.
    pub bytes: Bytes,
}

/// A posted form.
#[derive(Debug, Clone, Default)]
pub struct FormData {
    fields: Vec<(String, String)>,
    files: Vec<FilePart>,
}

impl FormData {
    /// Reads a form body of at most `limit` bytes.
    pub async fn read(headers: &HeaderMap, body: Body, limit: u64) -> Result<Self, ApiError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
            ApiError::PayloadTooLarge(format!("the form is larger than {limit} bytes"))
        })?;
        if content_type.starts_with("multipart/form-data") {
            let boundary = content_type
                .split(';')
                .filter_map(|p| p.trim().strip_prefix("boundary="))
                .map(|b| b.trim_matches('"').to_owned())
                .next()
                .ok_or_else(|| bad("Content-Type", "multipart without a boundary"))?;
            Self::multipart(&bytes, &boundary)
        } else {
            Ok(Self::urlencoded(&bytes))
        }
    }

    /// Every name-value pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.fields
    }

    /// A form from name-value pairs (a stored record shown in its form).
    pub fn from_pairs(pairs: Vec<(&str, String)>) -> Self {
        Self {
            fields: pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            files: Vec::new(),
        }
    }

    /// Parses `a=1&b=2`.
    pub fn urlencoded(bytes: &[u8]) -> Self {
        Self {
            fields: form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            files: Vec::new(),
        }
    }

    fn multipart(body: &Bytes, boundary: &str) -> Result<Self, ApiError> {
        let delimiter = format!("--{boundary}");
        let mut out = Self::default();
        let mut rest = body.clone();
        // Skip the preamble up to the first delimiter.
        let start =
            find(&rest, delimiter.as_bytes()).ok_or_else(|| bad("body", "no multipart part"))?;
        rest = rest.slice(start + delimiter.len()..);
        loop {
            if rest.starts_with(b"--") {
                return Ok(out);
            }
            rest = rest.slice(
                skip_line_end(&rest)
                    .ok_or_else(|| bad("body", "malformed multipart delimiter"))?..,
            );
            let head_end =
                find(&rest, b"\r\n\r\n").ok_or_else(|| bad("body", "a part has no headers"))?;
            let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
            rest = rest.slice(head_end + 4..);
            let end_marker = format!("\r\n{delimiter}");
            let end = find(&rest, end_marker.as_bytes())
                .ok_or_else(|| bad("body", "a part is not terminated"))?;
            let content = rest.slice(..end);
            rest = rest.slice(end + end_marker.len()..);
            let mut name = None;
            let mut file_name = None;
            let mut content_type = None;
            for line in head.split("\r\n") {
                let Some((key, value)) = line.split_once(':') else {
                    continue;
                };
                match key.trim().to_ascii_lowercase().as_str() {
                    "content-disposition" => {
                        name = parameter(value, "name");
                        file_name = parameter(value, "filename");
                    }
                    "content-type" => content_type = Some(value.trim().to_owned()),
                    _ => {}
                }
            }
            let name = name.ok_or_else(|| bad("body", "a part has no name"))?;
            match file_name {
                Some(file_name) => {
                    // An empty file input still sends a part, with no name and no content.
                    if !(file_name.is_empty() && content.is_empty()) {
                        out.files.push(FilePart {
                            name,
                            file_name,
                            content_type,
                            bytes: content,
                        });
                    }
                }
                None => out
                    .fields
                    .push((name, String::from_utf8_lossy(&content).into_owned())),
            }
        }
    }

    /// The first value of a field, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The first value of a field, or nothing (for templates).
    pub fn value(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// True when the field has this value (a selected option).
    pub fn is(&self, name: &str, value: &str) -> bool {
        self.get(name) == Some(value)
    }

    /// Every non-blank value of a field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A field's lines or comma-separated values (keywords, successor codes).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .unwrap_or("")
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A text in both languages from the fields `{prefix}_vi` and `{prefix}_en`.
    pub fn lang_text(&self, prefix: &str) -> registry::model::LangText {
        registry::model::LangText {
            vi: self.get(&format!("{prefix}_vi")).map(str::to_owned),
            en: self.get(&format!("{prefix}_en")).map(str::to_owned),
        }
    }

    /// The first file sent under `name`.
    pub fn file(&self, name: &str) -> Option<&FilePart> {
        self.files.iter().find(|f| f.name == name)
    }
}

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::BadRequest(vec![InputProblem::field(field, message)])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn skip_line_end(rest: &[u8]) -> Option<usize> {
    if rest.starts_with(b"\r\n") {
        Some(2)
    } else if rest.starts_with(b"\n") {
        Some(1)
    } else {
        None
    }
}

/// `name="x"` in a `Content-Disposition` value.
fn parameter(value: &str, key: &str) -> Option<String> {
    value.split(';').map(str::trim).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_multipart_body_gives_fields_and_files() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n\
             a,b\r\n1,2\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n\r\n--XyZ--\r\n";
        let form = FormData::multipart(&Bytes::from(body), "XyZ").unwrap();
        assert_eq!(form.get("csrf"), Some("abc"));
        let file = form.file("file").unwrap();
        assert_eq!(file.file_name, "a.csv");
        assert_eq!(file.content_type.as_deref(), Some("text/csv"));
        assert_eq!(&file.bytes[..], b"a,b\r\n1,2\r\n");
        assert!(form.file("empty").is_none());
    }

    #[test]
    fn repeated_names_and_lists() {
        let form = FormData::urlencoded(b"themes=A&themes=B&themes=&kw=x%2C+y%0Az");
        assert_eq!(form.all("themes"), ["A", "B"]);
        assert_eq!(form.list("kw"), ["x", "y", "z"]);
        assert_eq!(form.get("missing"), None);
    }

    #[test]
    fn a_truncated_body_is_refused() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc";
        assert!(FormData::multipart(&Bytes::from(body), "XyZ").is_err());
    }
}
