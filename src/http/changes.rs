//! `/api/v1/changes`: the change feed — every applied write in commit order, with the sequence as cursor, for the
//! harvester, webhooks and other nodes. Actors and details stay private (the audit trail is for admins).
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, ApiQuery, AppState};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(changes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedQuery {
    cursor: Option<i64>,
    limit: Option<i64>,
}

async fn changes(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<Response, ApiError> {
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
    Ok(axum::Json(json!({ "items": items, "next": next, "head": head })).into_response())
}
