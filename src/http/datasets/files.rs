//! A distribution's file: the upload (streamed into the content-addressed store by the catalog's one "add a file"
//! use case), the download (`ETag` = sha256, `Digest`, `Range`) and the CSV preview.
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use catalog::store::NewFile;
use registry::InputProblem;
use serde::Deserialize;
use utoipa::IntoParams;

use super::super::openapi::Problem;
use super::super::{ApiError, ApiPath, ApiQuery, AppState, Caller};
use super::{dataset_etag, expected};
use crate::accounts::Principal;
use catalog::preview::CsvPreview;
use catalog::store::AddedFile;

#[utoipa::path(
    put,
    path = "/api/v1/datasets/{id}/distributions/{did}/file",
    summary = "Upload a distribution's file (streamed, checksummed)",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("did" = String, Path, description = "the distribution id")),
    request_body(content = Vec<u8>, description = "the file, streamed; a CSV is also ingested for the data API", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "the stored file (sha256, size) and the dataset's new revision", body = AddedFile),
        (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a publisher of this agency", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such dataset (or not visible to the caller)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "the dataset cannot be edited now", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "over the upload limit; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a CSV with a ragged row or a bad encoding (the line is named); nothing changed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn upload(
    State(state): State<AppState>,
    ApiPath((id, did)): ApiPath<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let principal = caller.required()?;
    let media_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let added = state
        .catalog
        .add_file(
            &principal.curator(),
            &id,
            &NewFile {
                distribution: Some(&did),
                media_type,
                ..NewFile::default()
            },
            body.into_data_stream(),
            state.upload_limit,
            &expected(&headers),
        )
        .await?;
    let mut response = axum::Json(&added).into_response();
    response.headers_mut().insert(
        axum::http::header::ETAG,
        dataset_etag(&added.dataset).parse().expect("ascii"),
    );
    Ok(response)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct RevisionQuery {
    /// The file of that revision (old releases stay downloadable).
    revision: Option<i64>,
    /// Preview rows (default 20, at most 200).
    #[param(minimum = 0)]
    rows: Option<usize>,
}

async fn visible_distribution(
    state: &AppState,
    id: &str,
    did: &str,
    revision: Option<i64>,
    caller: Caller,
) -> Result<catalog::model::Distribution, ApiError> {
    let viewer = caller.0.as_ref().map(Principal::curator);
    Ok(state
        .catalog
        .visible_distribution(viewer.as_ref(), id, did, revision)
        .await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/distributions/{did}/download",
    summary = "Download a distribution's file",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("did" = String, Path, description = "the distribution id"), RevisionQuery),
    responses(
        (status = 200, description = "the file (`ETag` = sha256, `Digest`, `Range` supported)", body = serde_json::Value, content_type = "*/*"),
        (status = 206, description = "the requested range"),
        (status = 307, description = "an external distribution: its URL"),
        (status = 416, description = "the range is not satisfiable"),
        (status = 404, description = "no such dataset, distribution or file", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn download(
    State(state): State<AppState>,
    ApiPath((id, did)): ApiPath<(String, String)>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RevisionQuery>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let dist = visible_distribution(&state, &id, &did, q.revision, caller).await?;
    let Some(sha) = dist.file_sha256.clone() else {
        return match dist.download_url.or(dist.access_url) {
            Some(url) => Ok(axum::response::Redirect::temporary(&url).into_response()),
            None => Err(ApiError::NotFound("this distribution has no file".into())),
        };
    };
    let path = state.catalog.file_path(&sha)?;
    super::super::etag::serve_file(
        request,
        &path,
        &sha,
        dist.media_type
            .as_deref()
            .unwrap_or("application/octet-stream"),
        &format!("{id}-{did}"),
    )
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/datasets/{id}/distributions/{did}/preview",
    summary = "The first rows of a CSV file",
    tag = "catalog",
    params(("id" = String, Path, description = "the dataset id"), ("did" = String, Path, description = "the distribution id"), RevisionQuery),
    responses(
        (status = 200, description = "the first rows of a CSV file", body = CsvPreview),
        (status = 404, description = "no such dataset, distribution or file", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "the file is not readable as CSV", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(crate) async fn preview(
    State(state): State<AppState>,
    ApiPath((id, did)): ApiPath<(String, String)>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RevisionQuery>,
) -> Result<Response, ApiError> {
    let dist = visible_distribution(&state, &id, &did, q.revision, caller).await?;
    let sha = dist
        .file_sha256
        .ok_or_else(|| ApiError::NotFound("this distribution has no file".into()))?;
    let path = state.catalog.file_path(&sha)?;
    let rows = q.rows.unwrap_or(20).min(200);
    let preview = tokio::task::spawn_blocking(move || catalog::preview::csv_preview(&path, rows))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Unprocessable(vec![InputProblem::field("file", e)]))?;
    Ok(axum::Json(preview).into_response())
}
