//! `/api/v1/registry`: code lists, items on two time axes, hierarchy, change requests, CSV import, releases and diffs,
//! batch validation. Reads are public; writes need a steward of the list (or an admin), as the registry's
//! [`registry::Steward`] rule says.
//!
//! One module per resource: [`lists`], [`items`], [`releases`], [`requests`] (change requests and CSV import) and
//! [`validation`]. Every JSON answer is a registry type (or a thin wrapper adding links), so the OpenAPI document
//! describes it from the same declaration.
use axum::Router;
use axum::routing::{get, post};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ApiError, AppState, Caller};
use crate::accounts::Principal;

pub(crate) mod items;
pub(crate) mod lists;
pub(crate) mod releases;
pub(crate) mod requests;
pub(crate) mod validation;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/lists", get(lists::lists).post(lists::create_list))
        .route("/lists/{list}", get(lists::list))
        .route("/lists/{list}/items", get(items::items))
        .route("/lists/{list}/items/{code}", get(items::item))
        .route("/lists/{list}/items/{code}/children", get(items::children))
        .route(
            "/lists/{list}/items/{code}/ancestors",
            get(items::ancestors),
        )
        .route("/lists/{list}/items/{code}/history", get(items::history))
        .route(
            "/lists/{list}/releases",
            get(releases::releases).post(releases::create_release),
        )
        .route("/lists/{list}/releases/{number}", get(releases::release))
        .route(
            "/lists/{list}/releases/{number}/manifest",
            get(releases::manifest),
        )
        .route(
            "/lists/{list}/releases/{from}/diff/{to}",
            get(releases::diff),
        )
        .route(
            "/lists/{list}/change-requests",
            get(requests::change_requests).post(requests::propose),
        )
        .route(
            "/lists/{list}/change-requests/{id}",
            get(requests::change_request),
        )
        .route(
            "/lists/{list}/change-requests/{id}/approve",
            post(requests::approve),
        )
        .route(
            "/lists/{list}/change-requests/{id}/reject",
            post(requests::reject),
        )
        .route("/lists/{list}/import", post(requests::import))
        .route("/validate", post(validation::validate))
}

/// The signed-in caller, refused unless the registry lets them change `list`. Asked before anything is read, so a
/// stranger learns nothing from the answer; the use case asks the same rule again.
fn steward_of(caller: Caller, list: &str) -> Result<Principal, ApiError> {
    let principal = caller.required()?;
    principal.steward().authorize(list)?;
    Ok(principal)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct FormatQuery {
    /// `json`, `csv`, `ttl`, `jsonld`, `rdfxml` or `nt` (instead of `Accept`).
    #[param(pattern = "^(json|csv|ttl|turtle|jsonld|rdfxml|rdf|nt)$")]
    format: Option<String>,
}
