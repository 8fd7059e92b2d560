//! The catalog's error type.
use registry::{InputProblem, RegistryError};

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
    /// The registry or the store failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        Self::Registry(RegistryError::from(e))
    }
}
