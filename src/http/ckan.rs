//! `/api/3/action/{action}`: a CKAN-compatible Action API over the catalog, so CKAN clients (Python's `ckanapi`, the
//! national portal's harvesters) work unchanged: CKAN's `{help, success, result}` envelope, its error shape and its
//! field names. DCAT fields CKAN has no place for go to `extras`. GET with query parameters and POST with a JSON body
//! are both accepted. `package_search` runs on the same search engine as `/api/v1/search`.
use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalog::search::{SearchQuery, Sort};
use catalog::store::{DatasetQuery, DatasetRecord};
use registry::model::ItemData;
use serde_json::{Map, Value, json};

use super::AppState;
#[allow(unused_imports)]
use super::openapi::{CkanFailure, CkanListSuccess, CkanSuccess};

/// CKAN caps `rows` at 1000.
pub const MAX_ROWS: usize = 1000;

/// The routes.
pub fn router() -> Router<AppState> {
    // CKAN answers on both; ckanapi uses the unversioned form.
    Router::new()
        .route("/api/3/action/{action}", get(action).post(action))
        .route("/api/action/{action}", get(action).post(action))
}

/// A CKAN error: HTTP status, `__type`, and the message or field errors.
struct CkanError {
    status: StatusCode,
    kind: &'static str,
    fields: Map<String, Value>,
}

impl CkanError {
    fn validation(field: &str, message: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert(field.to_owned(), json!([message.into()]));
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "Validation Error",
            fields,
        }
    }

    fn not_found(what: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert("message".into(), json!(what.into()));
        Self {
            status: StatusCode::NOT_FOUND,
            kind: "Not Found Error",
            fields,
        }
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "CKAN API internal error");
        let mut fields = Map::new();
        fields.insert("message".into(), json!("Internal error"));
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "Internal Error",
            fields,
        }
    }
}

impl From<catalog::CatalogError> for CkanError {
    fn from(e: catalog::CatalogError) -> Self {
        match e {
            catalog::CatalogError::NotFound(m) => Self::not_found(format!("Not found: {m}")),
            catalog::CatalogError::Withdrawn(r) => {
                Self::not_found(format!("Not found: {} was withdrawn", r.id))
            }
            other => Self::internal(other),
        }
    }
}

impl From<registry::RegistryError> for CkanError {
    fn from(e: registry::RegistryError) -> Self {
        Self::internal(e)
    }
}

fn help(base: &str, action: &str) -> String {
    format!("{base}/api/3/action/help_show?name={action}")
}

fn envelope(base: &str, action: &str, outcome: Result<Value, CkanError>) -> Response {
    match outcome {
        Ok(result) => {
            axum::Json(json!({ "help": help(base, action), "success": true, "result": result }))
                .into_response()
        }
        Err(e) => {
            let mut error = e.fields;
            error.insert("__type".into(), json!(e.kind));
            (
                e.status,
                axum::Json(json!({ "help": help(base, action), "success": false, "error": error })),
            )
                .into_response()
        }
    }
}

/// Parameters from the query string or the JSON body, as JSON values (query values are strings).
fn params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, CkanError> {
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

fn string_param(p: &Map<String, Value>, name: &str) -> Result<Option<String>, CkanError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(CkanError::validation(name, "must be a string")),
    }
}

fn int_param(
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

fn bool_param(p: &Map<String, Value>, name: &str) -> Result<bool, CkanError> {
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

fn required(p: &Map<String, Value>, name: &str) -> Result<String, CkanError> {
    string_param(p, name)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CkanError::validation(name, "Missing value"))
}

const ALLOWED: &[(&str, &[&str])] = &[
    (
        "package_search",
        &[
            "q",
            "fq",
            "rows",
            "start",
            "sort",
            "facet.field",
            "facet",
            "facet.limit",
            "include_private",
        ],
    ),
    (
        "package_show",
        &["id", "use_default_schema", "include_tracking"],
    ),
    ("package_list", &["limit", "offset"]),
    (
        "organization_list",
        &["all_fields", "limit", "offset", "sort"],
    ),
    ("organization_show", &["id", "include_datasets"]),
    ("group_list", &["all_fields", "limit", "offset", "sort"]),
    ("tag_list", &["query", "all_fields"]),
    ("license_list", &[]),
    (
        "datastore_search",
        &[
            "resource_id",
            "limit",
            "offset",
            "filters",
            "q",
            "fields",
            "sort",
        ],
    ),
    ("status_show", &[]),
    ("help_show", &["name"]),
];

async fn action(
    State(state): State<AppState>,
    Path(action): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let base = state.registry.base_uri().to_owned();
    let outcome = async {
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == action) else {
            return Err(CkanError::not_found(format!(
                "Action name not known: {action}"
            )));
        };
        let p = params(&uri, &headers, &body)?;
        if let Some(unknown) = p
            .keys()
            .find(|k| !allowed.contains(&k.as_str()) && !k.starts_with('_'))
        {
            return Err(CkanError::validation(unknown, "Unknown parameter"));
        }
        match action.as_str() {
            "package_search" => package_search(&state, &p).await,
            "package_show" => {
                let id = required(&p, "id")?;
                let record = state.catalog.get(&id, None, true).await?;
                state
                    .usage
                    .record(&record.id, catalog::usage::UsageKind::ApiCall);
                Ok(package(&state, &record, &mut Labels::default()).await?)
            }
            "package_list" => package_list(&state, &p).await,
            "organization_list" => organization_list(&state, &p).await,
            "organization_show" => organization_show(&state, &p).await,
            "group_list" => group_list(&state, &p).await,
            "tag_list" => tag_list(&state).await,
            "license_list" => license_list(&state).await,
            "datastore_search" => datastore_search(&state, &p).await,
            "status_show" => Ok(json!({
                "site_title": state.catalog_info.title.vi,
                "site_description": state.catalog_info.description.vi,
                "site_url": base,
                "ckan_version": "2.10.0",
                "extensions": ["dcat"],
                "locale_default": "vi",
            })),
            "help_show" => Ok(json!(format!(
                "{} — see {base}/openapi.json",
                required(&p, "name")?
            ))),
            _ => unreachable!("every allowed action is handled"),
        }
    }
    .await;
    envelope(&base, &action, outcome)
}

/// Registry labels, loaded once per request.
#[derive(Default)]
struct Labels(BTreeMap<(String, String), Option<ItemData>>);

impl Labels {
    async fn get(&mut self, state: &AppState, list: &str, code: &str) -> Option<ItemData> {
        let key = (list.to_owned(), code.to_owned());
        if !self.0.contains_key(&key) {
            let item = state
                .registry
                .item(list, code, None, None)
                .await
                .ok()
                .map(|v| v.data);
            self.0.insert(key.clone(), item);
        }
        self.0.get(&key).cloned().flatten()
    }

    async fn title(&mut self, state: &AppState, list: &str, code: &str) -> String {
        self.get(state, list, code)
            .await
            .and_then(|i| i.labels.vi)
            .unwrap_or_else(|| code.to_owned())
    }
}

fn org_name(code: &str) -> String {
    code.to_lowercase()
}

async fn organization(state: &AppState, code: &str, labels: &mut Labels) -> Value {
    let item = labels.get(state, "agencies", code).await;
    json!({
        "id": code,
        "name": org_name(code),
        "title": item.as_ref().and_then(|i| i.labels.vi.clone()).unwrap_or_else(|| code.to_owned()),
        "display_name": item.as_ref().and_then(|i| i.labels.vi.clone()).unwrap_or_else(|| code.to_owned()),
        "description": item.as_ref().and_then(|i| i.labels.en.clone()).unwrap_or_default(),
        "type": "organization",
        "is_organization": true,
        "state": "active",
        "image_url": "",
        "approval_status": "approved",
    })
}

async fn package(
    state: &AppState,
    record: &DatasetRecord,
    labels: &mut Labels,
) -> Result<Value, CkanError> {
    let c = &record.content;
    let licence_title = match &c.licence {
        Some(l) => Some(labels.title(state, "licences", l).await),
        None => None,
    };
    let mut groups = Vec::new();
    for t in &c.themes {
        let title = labels.title(state, "themes", t).await;
        groups.push(json!({ "id": t, "name": t, "title": title, "display_name": title }));
    }
    let tags: Vec<Value> = c
        .keywords
        .vi
        .iter()
        .chain(&c.keywords.en)
        .map(|k| json!({ "name": k, "display_name": k, "state": "active" }))
        .collect();
    let resources: Vec<Value> = c
        .distributions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let url = if d.file_sha256.is_some() {
                format!("{}/distribution/{}/download", record.uri, d.id)
            } else {
                d.download_url.clone().or_else(|| d.access_url.clone()).unwrap_or_default()
            };
            json!({
                "id": format!("{}.{}", record.id, d.id),
                "package_id": record.id,
                "name": d.title.vi.clone().or_else(|| d.title.en.clone()).unwrap_or_else(|| d.id.clone()),
                "description": d.description.vi.clone().unwrap_or_default(),
                "url": url,
                "format": d.format.clone().unwrap_or_default(),
                "mimetype": d.media_type,
                "hash": d.file_sha256.as_ref().map(|h| format!("sha256:{h}")).unwrap_or_default(),
                "size": d.byte_size,
                "position": i,
                "state": "active",
                "url_type": if d.file_sha256.is_some() { "upload" } else { "" },
                "datastore_active": d.is_csv_file(),
            })
        })
        .collect();
    let mut extras = vec![("uri", Some(record.uri.clone()))];
    extras.push(("title_en", c.title.en.clone()));
    extras.push(("notes_en", c.description.en.clone()));
    extras.push(("publisher_code", Some(c.publisher.clone())));
    extras.push((
        "spatial_codes",
        Some(c.spatial.join(",")).filter(|s| !s.is_empty()),
    ));
    extras.push((
        "temporal_start",
        c.temporal
            .as_ref()
            .and_then(|t| t.start)
            .map(|d| d.to_string()),
    ));
    extras.push((
        "temporal_end",
        c.temporal
            .as_ref()
            .and_then(|t| t.end)
            .map(|d| d.to_string()),
    ));
    extras.push(("frequency", c.frequency.clone()));
    extras.push(("access_rights", c.access_right.clone()));
    extras.push(("data_class", c.data_class.clone()));
    extras.push((
        "language",
        Some(c.languages.join(",")).filter(|s| !s.is_empty()),
    ));
    extras.push(("issued", c.issued.map(|d| d.to_string())));
    extras.push(("modified", c.modified.map(|d| d.to_string())));
    extras.push((
        "contact_name",
        c.contact_point.as_ref().map(|p| p.name.clone()),
    ));
    extras.push((
        "contact_email",
        c.contact_point.as_ref().and_then(|p| p.email.clone()),
    ));
    extras.push((
        "conforms_to",
        Some(c.conforms_to.join(",")).filter(|s| !s.is_empty()),
    ));
    extras.push(("revision", Some(record.revision.to_string())));
    let extras: Vec<Value> = extras
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| json!({ "key": k, "value": v })))
        .collect();
    Ok(json!({
        "id": record.id,
        "name": record.id,
        "title": c.title.vi,
        "notes": c.description.vi,
        "url": c.landing_page.clone().unwrap_or_default(),
        "type": "dataset",
        "state": "active",
        "private": false,
        "metadata_created": record.first_published_at.as_deref().unwrap_or(&record.created_at),
        "metadata_modified": record.published_at.as_deref().unwrap_or(&record.updated_at),
        "license_id": c.licence,
        "license_title": licence_title,
        "owner_org": c.publisher,
        "organization": organization(state, &c.publisher, labels).await,
        "groups": groups,
        "tags": tags,
        "num_tags": tags.len(),
        "resources": resources,
        "num_resources": c.distributions.len(),
        "extras": extras,
        "maintainer": c.contact_point.as_ref().map(|p| p.name.clone()),
        "maintainer_email": c.contact_point.as_ref().and_then(|p| p.email.clone()),
    }))
}

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

async fn package_search(state: &AppState, p: &Map<String, Value>) -> Result<Value, CkanError> {
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
    };
    let results = super::search::run(state, query)
        .await
        .map_err(|e| CkanError::internal(format!("{e:?}")))?;
    let mut labels = Labels::default();
    let mut packages = Vec::new();
    if rows > 0 {
        let ids: Vec<String> = results.items.iter().map(|h| h.id.clone()).collect();
        for record in state.catalog.get_published_many(&ids).await? {
            packages.push(package(state, &record, &mut labels).await?);
        }
    }
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
    Ok(json!({
        "count": results.total,
        "results": packages,
        "facets": facets,
        "search_facets": search_facets,
        "sort": string_param(p, "sort")?.unwrap_or_else(|| "score desc, metadata_modified desc".into()),
    }))
}

async fn all_published(state: &AppState) -> Result<Vec<DatasetRecord>, CkanError> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = state
            .catalog
            .list(&DatasetQuery {
                public: true,
                cursor: cursor.clone(),
                limit: 1000,
                ..Default::default()
            })
            .await?;
        out.extend(page.items);
        match page.next {
            Some(n) => cursor = Some(n),
            None => return Ok(out),
        }
    }
}

fn window<T: Clone>(items: &[T], p: &Map<String, Value>) -> Result<Vec<T>, CkanError> {
    let offset = int_param(p, "offset", 0, usize::MAX)?;
    let limit = int_param(p, "limit", usize::MAX, usize::MAX)?;
    Ok(items.iter().skip(offset).take(limit).cloned().collect())
}

async fn package_list(state: &AppState, p: &Map<String, Value>) -> Result<Value, CkanError> {
    let ids: Vec<String> = all_published(state)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    Ok(json!(window(&ids, p)?))
}

async fn organization_list(state: &AppState, p: &Map<String, Value>) -> Result<Value, CkanError> {
    let all_fields = bool_param(p, "all_fields")?;
    let records = all_published(state).await?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in &records {
        *counts.entry(r.content.publisher.clone()).or_default() += 1;
    }
    let mut labels = Labels::default();
    let mut out = Vec::new();
    for item in state.registry.all_items("agencies").await? {
        if !all_fields {
            out.push(json!(org_name(&item.code)));
            continue;
        }
        let mut org = organization(state, &item.code, &mut labels).await;
        org["package_count"] = json!(counts.get(&item.code).copied().unwrap_or(0));
        out.push(org);
    }
    Ok(json!(window(&out, p)?))
}

async fn organization_show(state: &AppState, p: &Map<String, Value>) -> Result<Value, CkanError> {
    let id = required(p, "id")?;
    let code = state
        .registry
        .resolve_code("agencies", &id.to_uppercase())
        .await?
        .ok_or_else(|| CkanError::not_found(format!("Organization not found: {id}")))?;
    let mut labels = Labels::default();
    let mut org = organization(state, &code, &mut labels).await;
    let records: Vec<DatasetRecord> = all_published(state)
        .await?
        .into_iter()
        .filter(|r| r.content.publisher == code)
        .collect();
    org["package_count"] = json!(records.len());
    if bool_param(p, "include_datasets")? {
        let mut packages = Vec::new();
        for r in &records {
            packages.push(package(state, r, &mut labels).await?);
        }
        org["packages"] = json!(packages);
    }
    Ok(org)
}

async fn group_list(state: &AppState, p: &Map<String, Value>) -> Result<Value, CkanError> {
    let all_fields = bool_param(p, "all_fields")?;
    let records = all_published(state).await?;
    let mut out = Vec::new();
    for item in state.registry.all_items("themes").await? {
        if !all_fields {
            out.push(json!(item.code));
            continue;
        }
        let count = records
            .iter()
            .filter(|r| r.content.themes.contains(&item.code))
            .count();
        out.push(json!({
            "id": item.code, "name": item.code,
            "title": item.labels.vi, "display_name": item.labels.vi,
            "description": item.labels.en.unwrap_or_default(),
            "type": "group", "is_organization": false, "state": "active", "package_count": count,
        }));
    }
    Ok(json!(window(&out, p)?))
}

async fn tag_list(state: &AppState) -> Result<Value, CkanError> {
    let mut tags = std::collections::BTreeSet::new();
    for r in all_published(state).await? {
        tags.extend(
            r.content
                .keywords
                .vi
                .into_iter()
                .chain(r.content.keywords.en),
        );
    }
    Ok(json!(tags))
}

async fn license_list(state: &AppState) -> Result<Value, CkanError> {
    let items = state.registry.all_items("licences").await?;
    Ok(json!(
        items
            .into_iter()
            .map(|i| json!({
                "id": i.code,
                "title": i.labels.vi.clone().or(i.labels.en.clone()),
                "url": i.attributes.get("url").cloned().unwrap_or(Value::Null),
                "status": i.status,
                "od_conformance": "approved",
            }))
            .collect::<Vec<_>>()
    ))
}

/// `datastore_search` over the tabular data API: `resource_id` is `{dataset}.{distribution}` as in `package_show`.
async fn datastore_search(state: &AppState, p: &Map<String, Value>) -> Result<Value, CkanError> {
    let resource_id = required(p, "resource_id")?;
    let (dataset, distribution) = resource_id
        .split_once('.')
        .ok_or_else(|| CkanError::not_found(format!("Resource not found: {resource_id}")))?;
    let limit = int_param(p, "limit", 100, 32_000)?;
    let offset = int_param(p, "offset", 0, usize::MAX)?;
    let table = super::data::table_of(state, dataset, distribution, None, super::Caller(None))
        .await
        .map_err(|_| CkanError::not_found(format!("Resource not found: {resource_id}")))?;
    state
        .usage
        .record(dataset, catalog::usage::UsageKind::ApiCall);
    let mut query = catalog::tabular::DataQuery {
        with_total: true,
        ..Default::default()
    };
    match p.get("filters") {
        None | Some(Value::Null) => {}
        Some(f) => {
            let map = match f {
                Value::Object(m) => m.clone(),
                Value::String(s) => serde_json::from_str::<Map<String, Value>>(s)
                    .map_err(|_| CkanError::validation("filters", "a JSON object"))?,
                _ => return Err(CkanError::validation("filters", "a JSON object")),
            };
            for (k, v) in map {
                let value = match v {
                    Value::String(s) => s,
                    Value::Array(values) => {
                        let list = values
                            .iter()
                            .map(|v| {
                                v.as_str()
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .collect();
                        query.filters.push(catalog::tabular::Filter::In(k, list));
                        continue;
                    }
                    other => other.to_string(),
                };
                query.filters.push(catalog::tabular::Filter::Eq(k, value));
            }
        }
    }
    query.q = string_param(p, "q")?;
    if let Some(fields) = string_param(p, "fields")? {
        query.fields = fields
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
    }
    if let Some(sort) = string_param(p, "sort")? {
        let mut parts = sort.split_whitespace();
        let column = parts
            .next()
            .unwrap_or_default()
            .trim_matches('"')
            .to_owned();
        query.sort = Some(match parts.next() {
            Some(d) if d.eq_ignore_ascii_case("desc") => format!("-{column}"),
            _ => column,
        });
    }
    query.offset = Some(offset as i64);
    let page = state
        .catalog
        .query_rows(&table, &query, limit.max(1) as i64)
        .await
        .map_err(|e| match e {
            catalog::CatalogError::Invalid(problems) => {
                let field = problems
                    .first()
                    .and_then(|p| p.field.clone())
                    .unwrap_or_else(|| "filters".into());
                CkanError::validation(
                    &field,
                    problems
                        .first()
                        .map(|p| p.message.clone())
                        .unwrap_or_default(),
                )
            }
            other => CkanError::internal(other),
        })?;
    let records: Vec<Value> = if limit == 0 {
        Vec::new()
    } else {
        page.rows.into_iter().map(Value::Object).collect()
    };
    let fields: Vec<Value> = table
        .columns
        .iter()
        .map(|c| {
            let kind = match c.kind {
                catalog::tabular::ColumnType::Integer => "int",
                catalog::tabular::ColumnType::Number => "numeric",
                catalog::tabular::ColumnType::Boolean => "bool",
                catalog::tabular::ColumnType::Date => "date",
                catalog::tabular::ColumnType::Text => "text",
            };
            json!({ "id": c.name, "type": kind })
        })
        .collect();
    Ok(json!({
        "resource_id": resource_id,
        "fields": fields,
        "records": records,
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "_links": {
            "start": format!("/api/3/action/datastore_search?resource_id={resource_id}"),
            "next": format!("/api/3/action/datastore_search?resource_id={resource_id}&offset={}", offset + limit),
        },
    }))
}

// OpenAPI descriptions of the actions: one documented path per action (the handler above serves them all, by GET
// with query parameters or by POST with a JSON body).

/// Searches published datasets (the search engine of `/api/v1/search`).
#[utoipa::path(
    get,
    path = "/api/3/action/package_search",
    tag = "ckan",
    operation_id = "ckan_package_search",
    params(("q" = Option<String>, Query, description = "words; `field:value` terms also work"), ("fq" = Option<String>, Query, description = "filters: `organization:g12 groups:environment res_format:CSV license_id:... tags:...`"), ("rows" = Option<u32>, Query, description = "results (default 10)", minimum = 0, maximum = 1000), ("start" = Option<u32>, Query, description = "offset of the first result", minimum = 0, maximum = 1000000), ("sort" = Option<String>, Query, description = "`score desc`, `metadata_modified desc`, `title_string asc`, ..."), ("facet.field" = Option<String>, Query, description = "a JSON list of facet fields, e.g. `[\"organization\",\"groups\"]`"), ("facet" = Option<String>, Query, description = "`true` or `false`"), ("facet.limit" = Option<i32>, Query, description = "values per facet"), ("include_private" = Option<bool>, Query, description = "ignored: only published datasets are public")),
    responses(
        (status = 200, description = "`count`, `results` (packages), `facets`, `search_facets`", body = CkanSuccess),
    ),
)]
#[allow(dead_code)]
pub(crate) fn package_search_doc() {}

/// One published dataset as a CKAN package (resources, organization, groups, tags, extras).
#[utoipa::path(
    get,
    path = "/api/3/action/package_show",
    tag = "ckan",
    operation_id = "ckan_package_show",
    params(("id" = String, Query, description = "the dataset id or name"), ("use_default_schema" = Option<bool>, Query, description = "ignored"), ("include_tracking" = Option<bool>, Query, description = "ignored")),
    responses(
        (status = 200, description = "the package", body = CkanSuccess),
        (status = 404, description = "not found (CKAN's `Not Found Error`)", body = CkanFailure),
    ),
)]
#[allow(dead_code)]
pub(crate) fn package_show_doc() {}

/// The names of every published dataset.
#[utoipa::path(
    get,
    path = "/api/3/action/package_list",
    tag = "ckan",
    operation_id = "ckan_package_list",
    params(("limit" = Option<u32>, Query, description = "at most this many", minimum = 0), ("offset" = Option<u32>, Query, description = "skip this many", minimum = 0)),
    responses(
        (status = 200, description = "a list of names", body = CkanListSuccess),
    ),
)]
#[allow(dead_code)]
pub(crate) fn package_list_doc() {}

/// The agencies that publish datasets.
#[utoipa::path(
    get,
    path = "/api/3/action/organization_list",
    tag = "ckan",
    operation_id = "ckan_organization_list",
    params(("all_fields" = Option<bool>, Query, description = "whole objects instead of names"), ("limit" = Option<u32>, Query, description = "at most this many", minimum = 0, maximum = 1000), ("offset" = Option<u32>, Query, description = "skip this many", minimum = 0), ("sort" = Option<String>, Query, description = "`name asc` (default), `package_count desc`, ...")),
    responses(
        (status = 200, description = "names, or organizations with `all_fields`", body = CkanListSuccess),
    ),
)]
#[allow(dead_code)]
pub(crate) fn organization_list_doc() {}

/// One agency as a CKAN organization.
#[utoipa::path(
    get,
    path = "/api/3/action/organization_show",
    tag = "ckan",
    operation_id = "ckan_organization_show",
    params(("id" = String, Query, description = "the organization name (the agency code in lowercase)"), ("include_datasets" = Option<bool>, Query, description = "with its packages")),
    responses(
        (status = 200, description = "the organization", body = CkanSuccess),
        (status = 404, description = "not found (CKAN's `Not Found Error`)", body = CkanFailure),
    ),
)]
#[allow(dead_code)]
pub(crate) fn organization_show_doc() {}

/// The data themes as CKAN groups.
#[utoipa::path(
    get,
    path = "/api/3/action/group_list",
    tag = "ckan",
    operation_id = "ckan_group_list",
    params(("all_fields" = Option<bool>, Query, description = "whole objects instead of names"), ("limit" = Option<u32>, Query, description = "at most this many", minimum = 0, maximum = 1000), ("offset" = Option<u32>, Query, description = "skip this many", minimum = 0), ("sort" = Option<String>, Query, description = "`name asc` (default), `package_count desc`, ...")),
    responses(
        (status = 200, description = "names, or groups with `all_fields`", body = CkanListSuccess),
    ),
)]
#[allow(dead_code)]
pub(crate) fn group_list_doc() {}

/// The keywords of published datasets.
#[utoipa::path(
    get,
    path = "/api/3/action/tag_list",
    tag = "ckan",
    operation_id = "ckan_tag_list",
    params(("query" = Option<String>, Query, description = "only tags containing this"), ("all_fields" = Option<bool>, Query, description = "objects instead of names")),
    responses(
        (status = 200, description = "the tags", body = CkanListSuccess),
    ),
)]
#[allow(dead_code)]
pub(crate) fn tag_list_doc() {}

/// The licences of the registry.
#[utoipa::path(
    get,
    path = "/api/3/action/license_list",
    tag = "ckan",
    operation_id = "ckan_license_list",
    responses(
        (status = 200, description = "the licences (id, title, url)", body = CkanListSuccess),
    ),
)]
#[allow(dead_code)]
pub(crate) fn license_list_doc() {}

/// Rows of a CSV resource (over the tabular data API).
#[utoipa::path(
    get,
    path = "/api/3/action/datastore_search",
    tag = "ckan",
    operation_id = "ckan_datastore_search",
    params(("resource_id" = String, Query, description = "the resource id (`{dataset}.{distribution}`, as `package_show` gives it)"), ("limit" = Option<u32>, Query, description = "rows (default 100)", minimum = 0, maximum = 32000), ("offset" = Option<u32>, Query, description = "skip this many rows", minimum = 0), ("filters" = Option<String>, Query, description = "a JSON object of column → value"), ("q" = Option<String>, Query, description = "words in any text column"), ("fields" = Option<String>, Query, description = "columns, comma-separated"), ("sort" = Option<String>, Query, description = "`column asc|desc`")),
    responses(
        (status = 200, description = "`fields`, `records`, `total`, `_links`", body = CkanSuccess),
        (status = 404, description = "not found (CKAN's `Not Found Error`)", body = CkanFailure),
    ),
)]
#[allow(dead_code)]
pub(crate) fn datastore_search_doc() {}

/// The site's name and the CKAN version it emulates.
#[utoipa::path(
    get,
    path = "/api/3/action/status_show",
    tag = "ckan",
    operation_id = "ckan_status_show",
    responses(
        (status = 200, description = "site title, url, `ckan_version`", body = CkanSuccess),
    ),
)]
#[allow(dead_code)]
pub(crate) fn status_show_doc() {}
