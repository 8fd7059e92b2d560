//! CKAN's envelope, error and parameters are the `ckan` crate's (shared with the mock national portal); this adds how
//! the catalog's and the registry's errors read as CKAN errors.
use axum::response::Response;
use serde_json::Value;

pub use ckan::{CkanFailure, CkanListSuccess, CkanSuccess};

/// A CKAN error of this server's actions: the `ckan` crate's, so that the domain errors convert into it with `?`.
pub(super) struct CkanError(ckan::CkanError);

impl CkanError {
    pub(super) fn validation(field: &str, message: impl Into<String>) -> Self {
        Self(ckan::CkanError::validation(field, message))
    }

    pub(super) fn not_found(what: impl Into<String>) -> Self {
        Self(ckan::CkanError::not_found(what))
    }

    pub(super) fn internal(e: impl std::fmt::Display) -> Self {
        Self(ckan::CkanError::internal(e))
    }
}

impl From<ckan::CkanError> for CkanError {
    fn from(e: ckan::CkanError) -> Self {
        Self(e)
    }
}

impl From<catalog::CatalogError> for CkanError {
    fn from(e: catalog::CatalogError) -> Self {
        match e {
            catalog::CatalogError::NotFound(m) => Self::not_found(format!("Not found: {m}")),
            catalog::CatalogError::Withdrawn(r) => {
                Self::not_found(format!("Not found: {} was withdrawn", r.id))
            }
            other => Self::internal(other),
        }
    }
}

impl From<registry::RegistryError> for CkanError {
    fn from(e: registry::RegistryError) -> Self {
        Self::internal(e)
    }
}

/// The answer to `action` on the site at `base`: its result in CKAN's envelope, or the error at its status.
pub(super) fn answer(base: &str, action: &str, outcome: Result<Value, CkanError>) -> Response {
    ckan::answer(base, action, outcome.map_err(|e| e.0))
}
