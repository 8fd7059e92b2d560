//! `/api/v1/changes`: the change feed — every applied write in commit order, with the sequence as cursor, for the
//! harvester, webhooks and other nodes. Actors and details stay private (the audit trail is for admins).
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use registry::changelog::FeedEntry;

use super::openapi::Problem;
use super::{ApiError, ApiQuery, AppState};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(changes))
}

/// The change feed's parameters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next` of a previous page: entries after this sequence.
    cursor: Option<i64>,
    /// Entries per page, 1 to 10000 (default 1000).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<i64>,
}

/// A page of the change feed.
#[derive(Serialize, ToSchema)]
pub struct FeedPage {
    /// The entries, oldest first.
    pub items: Vec<FeedEntry>,
    /// The cursor of the next page (`null` when this page is empty).
    pub next: Option<String>,
    /// The store's current version (the latest sequence).
    pub head: i64,
}

/// The change feed: applied writes in commit order.
#[utoipa::path(get, path = "/api/v1/changes", tag = "changes", params(FeedQuery), responses(
    (status = 200, body = FeedPage),
    (status = 400, description = "a parameter is malformed or out of range", body = Problem,
        content_type = "application/problem+json"),
))]
pub async fn changes(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<axum::Json<FeedPage>, ApiError> {
    let limit = q.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::BadRequest(vec![registry::InputProblem::field(
            "limit",
            "between 1 and 10000",
        )]));
    }
    let after = q.cursor.unwrap_or(0).max(0);
    let items = registry::changelog::feed(state.registry.database().pool(), after, limit).await?;
    let next = items.last().map(|e| e.seq.to_string());
    let head = state.registry.version_tag().await?;
    Ok(axum::Json(FeedPage { items, next, head }))
}
