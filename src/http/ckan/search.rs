//! `package_search`: CKAN's `q`, `fq`, `rows`, `start`, `sort` and facets, run on the same search engine as
//! `/api/v1/search`.
use catalog::search::{SearchQuery, Sort};
use serde_json::{Map, Value, json};

use super::envelope::CkanError;
use super::organizations::org_name;
use super::{Labels, MAX_ROWS, rendered};
use crate::http::AppState;
use ckan::{int_param, string_param};

/// CKAN's facet field names and ours.
const FACET_FIELDS: &[(&str, &str)] = &[
    ("organization", "publisher"),
    ("groups", "theme"),
    ("res_format", "format"),
    ("license_id", "licence"),
    ("province", "province"),
    ("access_rights", "accessRight"),
    ("year", "year"),
];

fn facet_of(ckan: &str) -> Option<&'static str> {
    FACET_FIELDS
        .iter()
        .find(|(c, _)| *c == ckan)
        .map(|(_, ours)| *ours)
}

/// Parses `fq`: space-separated `field:value` or `field:"quoted value"` terms, each a filter (AND).
fn parse_fq(fq: &str) -> Result<Vec<(String, String)>, CkanError> {
    let mut out = Vec::new();
    let mut rest = fq.trim();
    while !rest.is_empty() {
        let Some((field, after)) = rest.split_once(':') else {
            return Err(CkanError::validation(
                "fq",
                format!("expected field:value, got {rest:?}"),
            ));
        };
        let field = field.trim().trim_start_matches('+');
        let ours = facet_of(field).ok_or_else(|| {
            CkanError::validation(
                "fq",
                format!(
                    "unknown field {field:?}; use one of {:?}",
                    FACET_FIELDS.iter().map(|f| f.0).collect::<Vec<_>>()
                ),
            )
        })?;
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| CkanError::validation("fq", "unterminated quote"))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            match after.find(char::is_whitespace) {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            }
        };
        if value.is_empty() {
            return Err(CkanError::validation(
                "fq",
                format!("empty value for {field}"),
            ));
        }
        let value = if ours == "publisher" {
            value.to_uppercase()
        } else {
            value.to_owned()
        };
        out.push((ours.to_owned(), value));
        rest = remaining.trim_start();
    }
    Ok(out)
}

pub(super) async fn package_search(
    state: &AppState,
    p: &Map<String, Value>,
) -> Result<String, CkanError> {
    let rows = int_param(p, "rows", 10, MAX_ROWS)?;
    let start = int_param(p, "start", 0, 1_000_000)?;
    let q = string_param(p, "q")?.filter(|q| !q.trim().is_empty() && q.trim() != "*:*");
    let filters = match string_param(p, "fq")? {
        Some(fq) => parse_fq(&fq)?,
        None => Vec::new(),
    };
    let sort = match string_param(p, "sort")?.as_deref().map(str::trim) {
        None | Some("") | Some("score desc") | Some("score desc, metadata_modified desc") => {
            Sort::Relevance
        }
        Some("metadata_modified desc") => Sort::Modified,
        Some("title_string asc") | Some("name asc") => Sort::Title,
        Some(other) => {
            return Err(CkanError::validation(
                "sort",
                format!(
                    "{other:?} is not supported; use score desc, metadata_modified desc, title_string asc or name asc"
                ),
            ));
        }
    };
    let facet_fields: Vec<String> = match p.get("facet.field") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|_| CkanError::validation("facet.field", "a JSON list of field names"))?,
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(_) => {
            return Err(CkanError::validation(
                "facet.field",
                "a JSON list of field names",
            ));
        }
    };
    if let Some(bad) = facet_fields.iter().find(|f| facet_of(f).is_none()) {
        return Err(CkanError::validation(
            "facet.field",
            format!("unknown facet field {bad:?}"),
        ));
    }
    let query = SearchQuery {
        q,
        filters,
        sort,
        offset: start,
        limit: rows.max(1),
        // Counted only when asked for, as CKAN does: a harvester paging through everything asks for none.
        skip_facets: facet_fields.is_empty(),
    };
    let results = crate::http::search::run(state, query)
        .await
        .map_err(|e| CkanError::internal(format!("{e:?}")))?;
    let mut labels = Labels::default();
    let packages = if rows > 0 {
        let ids: Vec<String> = results.items.iter().map(|h| h.id.clone()).collect();
        rendered::packages(state, &ids).await?
    } else {
        Vec::new()
    };
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    for field in &facet_fields {
        let ours = facet_of(field).expect("checked above");
        let counts = results.facets.get(ours).cloned().unwrap_or_default();
        let mut items = Vec::new();
        let mut plain = Map::new();
        for c in counts {
            let name = if ours == "publisher" {
                org_name(&c.value)
            } else {
                c.value.clone()
            };
            let display = match ours {
                "publisher" => labels.title(state, "agencies", &c.value).await,
                "theme" => labels.title(state, "themes", &c.value).await,
                "licence" => labels.title(state, "licences", &c.value).await,
                _ => c.value.clone(),
            };
            plain.insert(name.clone(), json!(c.count));
            items.push(json!({ "name": name, "display_name": display, "count": c.count }));
        }
        facets.insert(field.clone(), Value::Object(plain));
        search_facets.insert(field.clone(), json!({ "title": field, "items": items }));
    }
    let rest = json!({
        "count": results.total,
        "facets": facets,
        "search_facets": search_facets,
        "sort": string_param(p, "sort")?.unwrap_or_else(|| "score desc, metadata_modified desc".into()),
    });
    // The packages are rendered JSON already: spliced in as `results`, not parsed again.
    let rest = serde_json::to_string(&rest).map_err(CkanError::internal)?;
    let mut out = String::with_capacity(
        rest.len() + packages.iter().map(|p| p.len() + 1).sum::<usize>() + 16,
    );
    out.push_str("{\"results\":");
    out.push_str(&rendered::json_array(&packages));
    out.push(',');
    out.push_str(&rest[1..]);
    Ok(out)
}
