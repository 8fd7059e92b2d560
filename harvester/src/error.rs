//! The harvester's error type.

/// Why a harvest (or one step of it) failed.
#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    /// A request kept failing in a way worth retrying (5xx, timeout, dropped connection, 429) until the retries ran
    /// out.
    #[error("{0}")]
    Transient(String),
    /// The remote refused the request or answered something we cannot use; retrying will not help.
    #[error("{0}")]
    Rejected(String),
    /// The source could not be listed or parsed.
    #[error("source: {0}")]
    Source(String),
    /// The state store failed.
    #[error("state store: {0}")]
    State(#[from] sqlx::Error),
    /// Reading or writing a local file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The configuration cannot work.
    #[error("{0}")]
    Config(String),
}
