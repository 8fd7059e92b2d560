//! `/api/v1/stats` and `/stats.csv`: the indicators of the public statistics page (issue 19) as JSON or CSV
//! (`?format=csv` or `Accept: text/csv` on the API). The published datasets are counted by the search index's facets;
//! the rest is `crate::feedback::stats`'s.
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalog::search::SearchQuery;
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use super::{ApiError, ApiQuery, AppState};
use crate::feedback::stats::{Count, Indicators};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/stats", get(stats))
        .route("/stats.csv", get(stats_csv))
}

/// The OpenAPI description of these routes, merged into the document.
#[derive(OpenApi)]
#[openapi(
    paths(stats),
    tags((name = "stats", description = "The published indicators of the open-data services"))
)]
pub struct StatsApi;

/// Every indicator, now.
pub async fn gather(state: &AppState) -> Result<Indicators, ApiError> {
    let results = super::search::run(
        state,
        SearchQuery {
            limit: 1,
            ..SearchQuery::default()
        },
    )
    .await?;
    let facet = |name: &str| -> Vec<Count> {
        results
            .facets
            .get(name)
            .map(|values| {
                values
                    .iter()
                    .map(|f| Count {
                        code: f.value.clone(),
                        count: f.count,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(state
        .feedback
        .indicators(
            &state.usage,
            results.total as u64,
            facet("publisher"),
            facet("theme"),
        )
        .await?)
}

/// The format asked for.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// `json` (the default) or `csv`.
    format: Option<String>,
}

fn csv_response(ind: &Indicators) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"stats.csv\"",
            ),
        ],
        crate::feedback::stats::csv(ind),
    )
        .into_response()
}

/// The indicators of `/stats`: datasets per agency and per theme, agencies with open data and with this year's
/// open-data list, plan completion, downloads and API calls per month, feedback answered and the median days to
/// answer.
#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", params(StatsQuery), responses(
    (status = 200, description = "the indicators as JSON, or as CSV rows `indicator,key,value`", content(
        (Indicators = "application/json"), (String = "text/csv"))),
))]
pub async fn stats(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<StatsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let wants_csv = match q.format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::BadRequest(vec![registry::InputProblem::field(
                "format",
                format!("{other:?} is not json or csv"),
            )]));
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.starts_with("text/csv")),
    };
    let ind = gather(&state).await?;
    Ok(if wants_csv {
        csv_response(&ind)
    } else {
        Json(ind).into_response()
    })
}

/// `GET /stats.csv`.
pub async fn stats_csv(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(csv_response(&gather(&state).await?))
}
