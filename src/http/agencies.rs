//! `/api/v1/agencies/{agency}`: an agency's yearly open-data lists (issued by its approver, immutable, with a manifest;
//! JSON, CSV or DCAT) and its open-data plan with progress; `/api/v1/reports/needs-attention`: published datasets whose
//! codes have since closed.
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use catalog::agency::PlanItem;
use catalog::store::Actor;
use registry::InputProblem;
use registry::model::LangText;
use serde::Deserialize;

use super::{ApiError, ApiQuery, AppState, Caller, Representation, negotiate, parse_json, typed};
use crate::accounts::{Principal, Role};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agencies/{agency}/open-data-lists", get(lists).post(issue))
        .route(
            "/agencies/{agency}/open-data-lists/{year}/{number}",
            get(list),
        )
        .route(
            "/agencies/{agency}/open-data-lists/{year}/{number}/manifest",
            get(manifest),
        )
        .route("/agencies/{agency}/plan", get(plan))
        .route("/agencies/{agency}/plan/{item}", put(put_item))
        .route("/reports/needs-attention", get(needs_attention))
}

async fn agency_code(state: &AppState, agency: &str) -> Result<String, ApiError> {
    state
        .registry
        .resolve_code("agencies", agency)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agency {agency:?} in the agencies list")))
}

fn approver_of(caller: Caller, agency: &str) -> Result<Principal, ApiError> {
    let p = caller.required()?;
    let ok =
        p.role == Role::Admin || (p.role == Role::Approver && p.agency.as_deref() == Some(agency));
    if ok {
        Ok(p)
    } else {
        Err(ApiError::Forbidden(format!(
            "only an approver of {agency} may do this"
        )))
    }
}

async fn lists(
    State(state): State<AppState>,
    Path(agency): Path<String>,
) -> Result<Response, ApiError> {
    let agency = agency_code(&state, &agency).await?;
    Ok(
        axum::Json(serde_json::json!({ "items": state.catalog.open_data_lists(&agency).await? }))
            .into_response(),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewList {
    year: i64,
    #[serde(default)]
    title: Option<LangText>,
    datasets: Vec<String>,
}

async fn issue(
    State(state): State<AppState>,
    Path(agency): Path<String>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let agency = agency_code(&state, &agency).await?;
    let principal = approver_of(caller, &agency)?;
    let body: NewList = parse_json(&body)?;
    let list = state
        .catalog
        .issue_open_data_list(
            &agency,
            body.year,
            body.title,
            &body.datasets,
            &Actor {
                name: &principal.name,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(list)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatQuery {
    format: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Path((agency, year, number)): Path<(String, i64, i64)>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<FormatQuery>,
) -> Result<Response, ApiError> {
    let agency = agency_code(&state, &agency).await?;
    let representation = negotiate(q.format.as_deref(), &headers)?;
    let list = state.catalog.open_data_list(&agency, year, number).await?;
    match representation {
        Representation::Json => Ok(axum::Json(list).into_response()),
        Representation::Csv => Ok(typed("text/csv; charset=utf-8", list.csv())),
        Representation::Rdf(kind) => {
            // The list as a DCAT catalogue of the datasets at their listed revisions.
            let mut records = Vec::new();
            for d in &list.datasets {
                let mut record = state.catalog.get(&d.id, None, false).await?;
                record.content = state.catalog.revision(&d.id, d.revision).await?;
                record.revision = d.revision;
                records.push(record);
            }
            let mut info = (*state.catalog_info).clone();
            info.title = list.title.clone();
            info.publisher = list.agency.clone();
            info.modified = Some(list.issued_at.clone());
            let triples =
                catalog::export::catalog_graph(&state.catalog, &info, &records, None).await?;
            let bytes = registry::skos::serialize(&triples, kind)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(typed(kind.media_type(), bytes))
        }
    }
}

async fn manifest(
    State(state): State<AppState>,
    Path((agency, year, number)): Path<(String, i64, i64)>,
) -> Result<Response, ApiError> {
    let agency = agency_code(&state, &agency).await?;
    let list = state.catalog.open_data_list(&agency, year, number).await?;
    Ok(typed("text/plain; charset=utf-8", list.manifest()))
}

async fn plan(
    State(state): State<AppState>,
    Path(agency): Path<String>,
) -> Result<Response, ApiError> {
    let agency = agency_code(&state, &agency).await?;
    Ok(axum::Json(state.catalog.plan(&agency).await?).into_response())
}

async fn put_item(
    State(state): State<AppState>,
    Path((agency, item)): Path<(String, String)>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let agency = agency_code(&state, &agency).await?;
    let principal = approver_of(caller, &agency)?;
    let body: PlanItem = parse_json(&body)?;
    if item.is_empty() {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "item",
            "an item id is required",
        )]));
    }
    Ok(axum::Json(
        state
            .catalog
            .put_plan_item(
                &agency,
                &item,
                body,
                &Actor {
                    name: &principal.name,
                },
            )
            .await?,
    )
    .into_response())
}

async fn needs_attention(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(
        axum::Json(serde_json::json!({ "items": state.catalog.needs_attention().await? }))
            .into_response(),
    )
}
