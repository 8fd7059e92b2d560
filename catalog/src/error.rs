//! The catalog's error type: one enum for every catalog operation, each variant saying what the caller can do about it.
use registry::{InputProblem, RegistryError};

use crate::files::UploadError;

/// Everything that can go wrong in the catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No such dataset (or not visible to the caller).
    #[error("dataset {0:?} not found")]
    NotFound(String),
    /// No such revision.
    #[error("revision {revision} of dataset {id:?} not found")]
    RevisionNotFound {
        /// The dataset.
        id: String,
        /// The revision number.
        revision: i64,
    },
    /// The dataset was withdrawn; its metadata is still shown.
    #[error("dataset {:?} was withdrawn", .0.id)]
    Withdrawn(Box<crate::store::DatasetRecord>),
    /// The input is invalid; every problem found is listed.
    #[error("invalid input: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<InputProblem>),
    /// The operation does not fit the dataset's current state.
    #[error("{0}")]
    Conflict(String),
    /// The writer based its change on a revision that is no longer the current one (`If-Match`, or the revision a
    /// form carried): nothing was written.
    #[error(
        "dataset {id:?} is at revision {current}, not the one this change was based on; reload it and apply the change again"
    )]
    StaleRevision {
        /// The dataset.
        id: String,
        /// Its current revision.
        current: i64,
    },
    /// The curator's role does not allow this on this agency's datasets.
    #[error("{0}")]
    Forbidden(String),
    /// An uploaded file could not be stored.
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// A store of the catalog failed: a corrupt row, the file store, the search index, the RDF store.
    #[error("catalog storage error: {0}")]
    Storage(String),
    /// The registry or the SQL store failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl CatalogError {
    /// A storage failure described by `e`.
    pub fn storage(e: impl std::fmt::Display) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        Self::Registry(RegistryError::from(e))
    }
}

impl From<crate::search::SearchError> for CatalogError {
    fn from(e: crate::search::SearchError) -> Self {
        Self::Storage(format!("search index: {}", e.0))
    }
}

impl From<oxigraph::store::StorageError> for CatalogError {
    fn from(e: oxigraph::store::StorageError) -> Self {
        Self::Storage(format!("RDF store: {e}"))
    }
}
