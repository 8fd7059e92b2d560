//! `/api/3/action/{action}`: a CKAN-compatible Action API over the catalog, so CKAN clients (Python's `ckanapi`, the
//! national portal's harvesters) work unchanged: CKAN's `{help, success, result}` envelope, its error shape and its
//! field names. DCAT fields CKAN has no place for go to `extras`. GET with query parameters and POST with a JSON body
//! are both accepted. `package_search` runs on the same search engine as `/api/v1/search`.
mod datastore;
mod dicts;
mod envelope;
mod organizations;
mod packages;
mod params;
mod rendered;
mod search;

pub use rendered::RenderedPackages;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use registry::model::ItemData;
use serde_json::json;

pub use envelope::{CkanFailure, CkanListSuccess, CkanSuccess};

use super::AppState;
use ckan::{params, required};
use envelope::{CkanError, answer};

/// CKAN caps `rows` at 1000.
pub const MAX_ROWS: usize = 1000;

/// The routes.
pub fn router() -> Router<AppState> {
    // CKAN answers on both; ckanapi uses the unversioned form.
    Router::new()
        .route("/api/3/action/{action}", get(action).post(action))
        .route("/api/action/{action}", get(action).post(action))
}

/// The actions answered, each with the parameters it takes (any other, unless `_`-prefixed, is refused).
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
            "distinct",
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
            "package_search" => search::package_search(&state, &p).await.map(Answer::Raw),
            "package_show" => {
                let id = required(&p, "id")?;
                let record = state.catalog.get(&id, None, true).await?;
                state
                    .usage
                    .record(&record.id, catalog::usage::UsageKind::ApiCall);
                let json = rendered::packages(&state, std::slice::from_ref(&record.id)).await?;
                match json.into_iter().next() {
                    Some(json) => Ok(Answer::Raw(json.to_string())),
                    // Withdrawn between the two reads.
                    None => Err(CkanError::not_found(format!("Not found: {id}"))),
                }
            }
            other => answer_value(&state, other, &p, &base)
                .await
                .map(Answer::Value),
        }
    }
    .await;
    match outcome {
        Ok(Answer::Raw(json)) => ckan::answer_raw(&base, &action, Ok(json)),
        Ok(Answer::Value(value)) => answer(&base, &action, Ok(value)),
        Err(e) => answer(&base, &action, Err(e)),
    }
}

/// A result rendered as JSON already, or a value to serialize.
enum Answer {
    Raw(String),
    Value(serde_json::Value),
}

/// The actions whose result is built as a [`serde_json::Value`].
async fn answer_value(
    state: &AppState,
    action: &str,
    p: &serde_json::Map<String, serde_json::Value>,
    base: &str,
) -> Result<serde_json::Value, CkanError> {
    match action {
        "package_list" => packages::package_list(state, p).await,
        "organization_list" => organizations::organization_list(state, p).await,
        "organization_show" => organizations::organization_show(state, p).await,
        "group_list" => organizations::group_list(state, p).await,
        "tag_list" => packages::tag_list(state).await,
        "license_list" => packages::license_list(state).await,
        "datastore_search" => datastore::datastore_search(state, p).await,
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
            required(p, "name")?
        ))),
        _ => unreachable!("every allowed action is handled"),
    }
}

/// Registry labels, looked up once per request (the registry keeps them between requests too).
#[derive(Default)]
struct Labels(BTreeMap<(String, String), Option<Arc<ItemData>>>);

impl Labels {
    async fn get(&mut self, state: &AppState, list: &str, code: &str) -> Option<Arc<ItemData>> {
        let key = (list.to_owned(), code.to_owned());
        if !self.0.contains_key(&key) {
            let item = state.registry.current_item(list, code).await.ok().flatten();
            self.0.insert(key.clone(), item);
        }
        self.0.get(&key).cloned().flatten()
    }

    async fn title(&mut self, state: &AppState, list: &str, code: &str) -> String {
        self.get(state, list, code)
            .await
            .and_then(|i| i.labels.vi.clone())
            .unwrap_or_else(|| code.to_owned())
    }
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
    params(("resource_id" = String, Query, description = "the resource id (`{dataset}.{distribution}`, as `package_show` gives it)"), ("limit" = Option<u32>, Query, description = "rows (default 100)", minimum = 0, maximum = 32000), ("offset" = Option<u32>, Query, description = "skip this many rows", minimum = 0), ("filters" = Option<String>, Query, description = "a JSON object of column → value"), ("q" = Option<String>, Query, description = "words in any text column"), ("fields" = Option<String>, Query, description = "columns, comma-separated"), ("sort" = Option<String>, Query, description = "`column asc|desc`"), ("distinct" = Option<bool>, Query, description = "only distinct rows of the fields")),
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
