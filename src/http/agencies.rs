//! `/api/v1/agencies/{agency}`: an agency's yearly open-data lists (issued by its approver, immutable, with a manifest;
//! JSON, CSV or DCAT) and its open-data plan with progress; `/api/v1/reports/needs-attention`: published datasets whose
//! codes have since closed.
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use catalog::agency::PlanItem;
use catalog::store::Actor;
use registry::InputProblem;
use registry::model::LangText;
use serde::Deserialize;

use utoipa::{IntoParams, ToSchema};

use super::openapi::{Listing, Problem};
use super::{
    ApiError, ApiPath, ApiQuery, AppState, Caller, Representation, negotiate, parse_json, typed,
};
use crate::accounts::Principal;

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
    if p.curator().may_approve(agency) {
        Ok(p)
    } else {
        Err(ApiError::Forbidden(format!(
            "only an approver of {agency} may do this"
        )))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies/{agency}/open-data-lists",
    summary = "An agency's yearly open-data lists",
    tag = "agencies",
    params(("agency" = String, Path, description = "the agency code, in any notation (`G12` or `000.00.00.G12`)")),
    responses(
        (status = 200, description = "the agency's issued open-data lists", body = Listing<catalog::agency::OpenDataList>),
        (status = 404, description = "no such agency", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn lists(
    State(state): State<AppState>,
    ApiPath(agency): ApiPath<String>,
) -> Result<Response, ApiError> {
    let agency = agency_code(&state, &agency).await?;
    Ok(Listing::of(state.catalog.open_data_lists(&agency).await?).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewList {
    /// The year the list is for.
    year: i64,
    /// The title by language (default: the agency's name and the year).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    title: Option<LangText>,
    /// The ids of the agency's published datasets it lists.
    datasets: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/agencies/{agency}/open-data-lists",
    summary = "Issue the yearly open-data list (approver)",
    tag = "agencies",
    params(("agency" = String, Path, description = "the agency code, in any notation (`G12` or `000.00.00.G12`)")),
    request_body(content = NewList, content_type = "application/json"),
    responses(
        (status = 201, description = "the issued list, immutable, with its sha256 manifest", body = catalog::agency::OpenDataList),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an approver of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such agency", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "conflicts with an issued list", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a dataset that is not this agency's or not published, naming it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn issue(
    State(state): State<AppState>,
    ApiPath(agency): ApiPath<String>,
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

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct FormatQuery {
    /// `json`, `csv`, `ttl`, `jsonld`, `rdfxml` or `nt` (instead of `Accept`).
    #[param(pattern = "^(json|csv|ttl|turtle|jsonld|rdfxml|rdf|nt)$")]
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies/{agency}/open-data-lists/{year}/{number}",
    summary = "Show an open-data list (JSON, CSV or DCAT)",
    tag = "agencies",
    params(("agency" = String, Path, description = "the agency code, in any notation (`G12` or `000.00.00.G12`)"), ("year" = i64, Path, description = "the list's year"), ("number" = i64, Path, description = "the list's number within the year"), FormatQuery),
    responses(
        (status = 200, description = "the list (JSON, CSV) or its DCAT catalogue (RDF)", content(
            (catalog::agency::OpenDataList = "application/json"), (String = "text/csv"), (String = "text/turtle"),
            (serde_json::Value = "application/ld+json"), (String = "application/rdf+xml"), (String = "application/n-triples"))),
        (status = 404, description = "no such agency or list", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "none of the accepted media types can be produced", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiPath((agency, year, number)): ApiPath<(String, i64, i64)>,
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

#[utoipa::path(
    get,
    path = "/api/v1/agencies/{agency}/open-data-lists/{year}/{number}/manifest",
    summary = "An open-data list's sha256 manifest",
    tag = "agencies",
    params(("agency" = String, Path, description = "the agency code, in any notation (`G12` or `000.00.00.G12`)"), ("year" = i64, Path, description = "the list's year"), ("number" = i64, Path, description = "the list's number within the year")),
    responses(
        (status = 200, description = "the sha256 manifest", body = String, content_type = "text/plain"),
        (status = 404, description = "no such agency or list", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn manifest(
    State(state): State<AppState>,
    ApiPath((agency, year, number)): ApiPath<(String, i64, i64)>,
) -> Result<Response, ApiError> {
    let agency = agency_code(&state, &agency).await?;
    let list = state.catalog.open_data_list(&agency, year, number).await?;
    Ok(typed("text/plain; charset=utf-8", list.manifest()))
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies/{agency}/plan",
    summary = "An agency's open-data plan and progress",
    tag = "agencies",
    params(("agency" = String, Path, description = "the agency code, in any notation (`G12` or `000.00.00.G12`)")),
    responses(
        (status = 200, description = "the open-data plan with its progress", body = catalog::agency::Plan),
        (status = 404, description = "no such agency", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn plan(
    State(state): State<AppState>,
    ApiPath(agency): ApiPath<String>,
) -> Result<Response, ApiError> {
    let agency = agency_code(&state, &agency).await?;
    Ok(axum::Json(state.catalog.plan(&agency).await?).into_response())
}

#[utoipa::path(
    put,
    path = "/api/v1/agencies/{agency}/plan/{item}",
    summary = "Add or change a plan item (approver)",
    tag = "agencies",
    params(("agency" = String, Path, description = "the agency code, in any notation (`G12` or `000.00.00.G12`)"), ("item" = String, Path, description = "the plan item id")),
    request_body(content = PlanItem, description = "the planned dataset (title, due date, dataset id once published)", content_type = "application/json"),
    responses(
        (status = 200, description = "the plan after the change", body = catalog::agency::Plan),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an approver of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such agency", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "an invalid item, naming the field", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn put_item(
    State(state): State<AppState>,
    ApiPath((agency, item)): ApiPath<(String, String)>,
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

#[utoipa::path(
    get,
    path = "/api/v1/reports/needs-attention",
    summary = "Published datasets whose codes were superseded",
    tag = "agencies",
    responses(
        (status = 200, description = "published datasets whose codes were superseded or retired since, with successors", body = Listing<catalog::agency::NeedsAttention>),
    ),
)]
pub(crate) async fn needs_attention(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Listing::of(state.catalog.needs_attention().await?).into_response())
}
