//! The quality API: a dataset's score with its CSV files' validation reports and its links' latest checks, the
//! catalog's and an agency's totals with their daily history, and running the link checks now (admins). The score is
//! computed from the revision on every read, so an edit changes it at once; link checks change it without a
//! change-log entry, so these routes stay outside the ETag layer. A publisher can also have a CSV file validated before
//! uploading it (the upload itself refuses rows of the wrong length, so the report of a stored file never shows them).
//! The figures are `catalog::quality`'s.
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use catalog::quality::links::BrokenLink;
use catalog::quality::store::{DatasetQuality, DayQuality, QualitySummary, QualityTotals};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::openapi::Problem;
use super::{ApiError, ApiPath, ApiQuery, AppState, Caller};
use crate::accounts::Principal;
use crate::link_checks::LinkRun;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/datasets/{id}/quality", get(dataset))
        .route("/api/v1/quality", get(catalog_quality))
        .route("/api/v1/agencies/{agency}/quality", get(agency))
        .route("/api/v1/admin/link-checks", post(check_links))
        .route("/api/v1/quality/csv", post(validate_csv))
}

/// Days of history answered.
const HISTORY_DAYS: u32 = 365;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DatasetQualityQuery {
    /// Score this revision instead (the public may ask up to the published one).
    #[param(minimum = 1)]
    revision: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/quality",
    summary = "A dataset's quality: score, CSV validation reports, link checks",
    tag = "quality",
    params(("id" = String, Path, description = "the dataset id"), DatasetQualityQuery),
    responses(
        (status = 200, description = "the score of the revision shown (the published one for the public, the current one for its staff) with every indicator, its points and a hint; the validation report of each stored CSV file; the latest check of each link held elsewhere", body = DatasetQuality),
        (status = 404, description = "no such dataset or revision (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "withdrawn: the metadata, with `status: withdrawn`", body = catalog::store::DatasetRecord),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn dataset(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DatasetQualityQuery>,
) -> Result<Response, ApiError> {
    let viewer = caller.0.as_ref().map(Principal::curator);
    let detail = state
        .catalog
        .dataset_quality_detail(viewer.as_ref(), &id, q.revision)
        .await?;
    Ok(axum::Json(detail).into_response())
}

/// The catalog's quality.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CatalogQuality {
    /// The totals now, over the published datasets.
    #[serde(flatten)]
    #[schema(value_type = QualitySummary)]
    summary: std::sync::Arc<QualitySummary>,
    /// The whole catalog's totals per day, oldest first (recorded after each link-check run).
    history: Vec<DayQuality>,
}

#[utoipa::path(
    get,
    path = "/api/v1/quality",
    summary = "The catalog's quality: totals, per agency, per indicator, history",
    tag = "quality",
    responses(
        (status = 200, description = "the published datasets' scores summed for the catalog, each agency and each indicator, and the daily history", body = CatalogQuality),
    ),
)]
pub(crate) async fn catalog_quality(State(state): State<AppState>) -> Result<Response, ApiError> {
    let summary = state.quality_memo.get(&state.catalog).await?;
    let history = state.catalog.quality_history(None, HISTORY_DAYS).await?;
    Ok(axum::Json(CatalogQuality { summary, history }).into_response())
}

/// An agency's quality.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgencyQualityView {
    /// The agency's code.
    agency: String,
    /// Its published datasets' totals.
    totals: QualityTotals,
    /// Its totals per day, oldest first.
    history: Vec<DayQuality>,
    /// Links of its datasets whose latest check failed (of every dataset not withdrawn for its own staff, of the
    /// published ones for everyone else).
    broken_links: Vec<BrokenLink>,
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies/{agency}/quality",
    summary = "An agency's quality: average score, trend, broken links",
    tag = "quality",
    params(("agency" = String, Path, description = "the agency's code (any notation)")),
    responses(
        (status = 200, description = "the agency's totals, daily history and broken links", body = AgencyQualityView),
        (status = 404, description = "no such agency", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn agency(
    State(state): State<AppState>,
    ApiPath(agency): ApiPath<String>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let code = state
        .registry
        .resolve_code("agencies", &agency)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agency {agency}")))?;
    let summary = state.catalog.quality_summary_of(Some(&code)).await?;
    let totals = summary
        .agencies
        .iter()
        .find(|a| a.agency == code)
        .map(|a| a.totals.clone())
        .unwrap_or_default();
    let staff = caller.0.as_ref().is_some_and(|p| {
        p.is_admin() || p.curator().workspace().ok().flatten() == Some(code.as_str())
    });
    let broken_links = state
        .catalog
        .broken_links(Some(&code))
        .await?
        .into_iter()
        .filter(|b| staff || summary.scores.iter().any(|(id, _, _)| *id == b.dataset))
        .collect();
    let history = state
        .catalog
        .quality_history(Some(&code), HISTORY_DAYS)
        .await?;
    Ok(axum::Json(AgencyQualityView {
        agency: code,
        totals,
        history,
        broken_links,
    })
    .into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CheckQuery {
    /// Check every link now, not only those due (never checked, or last checked a day ago).
    force: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/link-checks",
    summary = "Check the links of distributions held elsewhere now (admin)",
    tag = "quality",
    params(CheckQuery),
    responses(
        (status = 200, description = "the checks made (at most 200 links a run, politely spaced per host; the SSRF guard applies); the day's quality totals are then kept in the history", body = LinkRun),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn check_links(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CheckQuery>,
) -> Result<Response, ApiError> {
    caller.admin("checks links")?;
    let run = state
        .link_checker
        .run(&state.catalog, q.force.unwrap_or(false))
        .await?;
    crate::link_checks::record_today(&state.catalog).await?;
    Ok(axum::Json(run).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/quality/csv",
    summary = "Validate a CSV file before uploading it",
    tag = "quality",
    request_body(content = String, description = "the CSV file", content_type = "text/csv"),
    responses(
        (status = 200, description = "the validation report: encoding, delimiter, header problems, rows of the wrong length, type errors, blank and duplicate rows (located by row, line and column as Frictionless does), missing values per column; nothing is stored", body = catalog::quality::csv_report::CsvReport),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn validate_csv(
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.required()?;
    let report = tokio::task::spawn_blocking(move || {
        let sha256 = registry::changelog::sha256_hex(&body);
        catalog::quality::csv_report::validate(&sha256, &body)
    })
    .await
    .map_err(catalog::CatalogError::storage)?;
    Ok(axum::Json(report).into_response())
}
