//! A list's items: pages with filters on both time axes (legal `validAt`, registry `asOf`), one item, its children,
//! ancestors and recorded versions.
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use registry::store::{ItemPage, ItemQuery, ItemVersion, ItemView};
use registry::{InputProblem, RegistryTime};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::openapi::{Listing, Problem};
use crate::http::{ApiError, ApiPath, ApiQuery, AppState};

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ItemsQuery {
    /// Only items with this status (that day, with `validAt`).
    #[param(pattern = "^(submitted|valid|superseded|retired|invalid|notYetValid)$")]
    status: Option<String>,
    /// Only the children of this code.
    parent: Option<String>,
    /// Only items of this level (e.g. `province`, `commune`).
    level: Option<String>,
    /// Words in the label or code, diacritics-insensitive.
    text: Option<String>,
    /// Legal validity: the items as the law stood that day.
    valid_at: Option<NaiveDate>,
    /// Registry time: what the registry recorded at that instant (RFC 3339).
    #[param(format = DateTime)]
    as_of: Option<String>,
    /// The `next` of a previous page.
    cursor: Option<String>,
    /// Items per page (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

const STATUSES: &[&str] = &[
    "submitted",
    "valid",
    "superseded",
    "retired",
    "invalid",
    "notYetValid",
];

/// The registry's one reading of an `asOf` parameter.
fn as_of(text: Option<&str>) -> Result<Option<RegistryTime>, ApiError> {
    text.map(RegistryTime::parse)
        .transpose()
        .map_err(|p| ApiError::BadRequest(vec![p]))
}

fn item_query(q: ItemsQuery) -> Result<ItemQuery, ApiError> {
    if let Some(s) = &q.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "status",
            format!("{s:?} is not one of {STATUSES:?}"),
        )]));
    }
    if q.limit.is_some_and(|l| l == 0 || l > 1000) {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "limit",
            "limit must be between 1 and 1000",
        )]));
    }
    Ok(ItemQuery {
        as_of: as_of(q.as_of.as_deref())?,
        status: q.status,
        parent: q.parent,
        level: q.level,
        text: q.text,
        valid_at: q.valid_at,
        cursor: q.cursor,
        limit: q.limit.unwrap_or(100),
    })
}

async fn page(state: &AppState, list: &str, query: ItemQuery) -> Result<Response, ApiError> {
    let page: ItemPage = state.registry.items(list, &query).await?;
    Ok(axum::Json(page).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/items",
    summary = "Page through a list's items (filters, legal and registry time)",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ItemsQuery),
    responses(
        (status = 200, description = "a page of items", body = ItemPage),
        (status = 404, description = "no such list", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn items(
    State(state): State<AppState>,
    ApiPath(list): ApiPath<String>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> Result<Response, ApiError> {
    page(&state, &list, item_query(q)?).await
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ItemQueryParams {
    /// Legal validity: the item's status that day.
    valid_at: Option<NaiveDate>,
    /// Registry time: the item as recorded at that instant (RFC 3339).
    #[param(format = DateTime)]
    as_of: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/items/{code}",
    summary = "Show an item by code or alternative notation",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("code" = String, Path, description = "the item code or any alternative notation"), ItemQueryParams),
    responses(
        (status = 200, description = "the item (on the chosen time axes)", body = ItemView),
        (status = 404, description = "no such list or item", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn item(
    State(state): State<AppState>,
    ApiPath((list, code)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ItemQueryParams>,
) -> Result<Response, ApiError> {
    let as_of = as_of(q.as_of.as_deref())?;
    if as_of.is_none() {
        // The registry as it is now: rendered once per registry generation.
        let json = state.registry.item_json(&list, &code, q.valid_at).await?;
        return Ok((
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            json.to_string(),
        )
            .into_response());
    }
    let view = state
        .registry
        .item(&list, &code, q.valid_at, as_of.as_ref())
        .await?;
    Ok(axum::Json(view).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/items/{code}/children",
    summary = "Page through an item's children",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("code" = String, Path, description = "the item code or any alternative notation"), ItemsQuery),
    responses(
        (status = 200, description = "a page of the item's children", body = ItemPage),
        (status = 404, description = "no such list or item", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn children(
    State(state): State<AppState>,
    ApiPath((list, code)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> Result<Response, ApiError> {
    let parent = state
        .registry
        .item(&list, &code, None, None)
        .await?
        .data
        .code;
    let mut query = item_query(q)?;
    query.parent = Some(parent);
    page(&state, &list, query).await
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/items/{code}/ancestors",
    summary = "An item's ancestors",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("code" = String, Path, description = "the item code or any alternative notation")),
    responses(
        (status = 200, description = "the item's ancestors, nearest first", body = Listing<ItemView>),
        (status = 404, description = "no such list or item", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn ancestors(
    State(state): State<AppState>,
    ApiPath((list, code)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(Listing::of(state.registry.ancestors(&list, &code).await?).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/registry/lists/{list}/items/{code}/history",
    summary = "An item's recorded versions",
    tag = "registry",
    params(("list" = String, Path, description = "the code list (e.g. `agencies`, `administrative-units`)"), ("code" = String, Path, description = "the item code or any alternative notation")),
    responses(
        (status = 200, description = "every recorded version of the item, oldest first", body = Listing<ItemVersion>),
        (status = 404, description = "no such list or item", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn history(
    State(state): State<AppState>,
    ApiPath((list, code)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(Listing::of(state.registry.item_history(&list, &code).await?).into_response())
}
