//! The registry's error type.
use std::fmt;

/// A problem found in input, located by field path or CSV line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InputProblem {
    /// Where: a JSON pointer-like field path (`changes/0/item/code`) or `line 3` for CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The 1-based CSV line, when the input was CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// What is wrong, in words.
    pub message: String,
}

impl InputProblem {
    /// A problem with a named field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            line: None,
            message: message.into(),
        }
    }

    /// A problem on a CSV line, optionally in a column.
    pub fn line(line: u64, column: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            field: column.map(str::to_owned),
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.line, &self.field) {
            (Some(line), Some(field)) => write!(f, "line {line}, column {field}: {}", self.message),
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            (None, Some(field)) => write!(f, "{field}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// Everything that can go wrong in the registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The code list does not exist.
    #[error("code list {0:?} not found")]
    ListNotFound(String),
    /// The item does not exist in the list (under any notation).
    #[error("item {code:?} not found in code list {list:?}")]
    ItemNotFound {
        /// The list.
        list: String,
        /// The code or notation asked for.
        code: String,
    },
    /// The release does not exist.
    #[error("release {number} of code list {list:?} not found")]
    ReleaseNotFound {
        /// The list.
        list: String,
        /// The release number.
        number: i64,
    },
    /// The change request does not exist.
    #[error("change request {0} not found")]
    ChangeRequestNotFound(i64),
    /// A code list with this id already exists.
    #[error("code list {0:?} already exists")]
    ListExists(String),
    /// The input is invalid; every problem found is listed.
    #[error("invalid input: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<InputProblem>),
    /// The operation conflicts with the current state (a decided change request, a self-approval, ...).
    #[error("{0}")]
    Conflict(String),
    /// The steward may not do this (see [`crate::steward`]).
    #[error("{0}")]
    Forbidden(String),
    /// The store failed.
    #[error("storage error: {0}")]
    Storage(String),
}

impl RegistryError {
    /// One invalid-input problem.
    pub fn invalid(problem: InputProblem) -> Self {
        Self::Invalid(vec![problem])
    }
}

impl From<sqlx::Error> for RegistryError {
    fn from(e: sqlx::Error) -> Self {
        Self::Storage(e.to_string())
    }
}
