//! [`ApiError`], the one error type of the HTTP layer, rendered once as RFC 9457 problem+json.
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use registry::{InputProblem, RegistryError};
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document, as every error of the JSON APIs is answered (`application/problem+json`).
///
/// The one declaration of the body: `ApiError` renders it, and the OpenAPI document describes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`https://opendata.gov.vn/problems/{code}`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// A short machine-readable code (`bad-request`, `not-found`, `rate-limited`, ...).
    pub code: String,
    /// What went wrong, in words.
    pub detail: String,
    /// The input problems, each naming its field or line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<InputProblem>,
}

/// Every error an API call can end with.
#[derive(Debug)]
pub enum ApiError {
    /// A domain error.
    Registry(RegistryError),
    /// A catalog error.
    Catalog(catalog::CatalogError),
    /// No or an unknown token where one is needed.
    Unauthorized,
    /// The token's role does not allow this.
    Forbidden(String),
    /// Malformed request (syntax).
    BadRequest(Vec<InputProblem>),
    /// Well-formed but invalid request.
    Unprocessable(Vec<InputProblem>),
    /// Unknown route or resource.
    NotFound(String),
    /// None of the accepted media types can be produced.
    NotAcceptable(String),
    /// The body is over the limit; nothing was stored.
    PayloadTooLarge(String),
    /// The caller's rate-limit bucket is empty.
    TooManyRequests {
        /// Seconds until a request can pass again (the `Retry-After` header).
        retry_after_secs: u64,
    },
    /// Not there yet, but will be (the `Retry-After` header says when to ask again).
    Unavailable {
        /// What is not there yet.
        detail: String,
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// Something broke on our side (logged, never shown).
    Internal(String),
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        Self::Registry(e)
    }
}

impl From<catalog::CatalogError> for ApiError {
    fn from(e: catalog::CatalogError) -> Self {
        match e {
            catalog::CatalogError::Registry(r) => Self::Registry(r),
            other => Self::Catalog(other),
        }
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String, Vec<InputProblem>) {
        use RegistryError as R;
        match self {
            Self::Registry(e) => match e {
                R::ListNotFound(_)
                | R::ItemNotFound { .. }
                | R::ReleaseNotFound { .. }
                | R::ChangeRequestNotFound(_) => {
                    (StatusCode::NOT_FOUND, "not-found", e.to_string(), vec![])
                }
                R::ListExists(_) => (
                    StatusCode::CONFLICT,
                    "already-exists",
                    e.to_string(),
                    vec![],
                ),
                R::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone(), vec![]),
                R::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone(), vec![]),
                R::Invalid(p) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-input",
                    summarize(p),
                    p.clone(),
                ),
                R::Storage(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".into(),
                    vec![],
                ),
            },
            Self::Catalog(e) => {
                use catalog::CatalogError as C;
                match e {
                    C::NotFound(_) | C::RevisionNotFound { .. } => {
                        (StatusCode::NOT_FOUND, "not-found", e.to_string(), vec![])
                    }
                    C::Withdrawn(_) => (StatusCode::GONE, "withdrawn", e.to_string(), vec![]),
                    C::Invalid(p) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid-input",
                        summarize(p),
                        p.clone(),
                    ),
                    C::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone(), vec![]),
                    C::StaleRevision { .. } => (
                        StatusCode::PRECONDITION_FAILED,
                        "stale-revision",
                        e.to_string(),
                        vec![],
                    ),
                    C::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone(), vec![]),
                    C::Upload(catalog::files::UploadError::TooLarge { .. }) => (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too-large",
                        e.to_string(),
                        vec![],
                    ),
                    C::Upload(catalog::files::UploadError::Interrupted(m)) => {
                        let p = vec![InputProblem::field("body", m.clone())];
                        (StatusCode::BAD_REQUEST, "bad-request", summarize(&p), p)
                    }
                    C::Upload(catalog::files::UploadError::Io(_)) | C::Storage(_) => (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "internal error".into(),
                        vec![],
                    ),
                    C::Registry(r) => {
                        ApiError::Registry(RegistryError::Storage(r.to_string())).parts()
                    }
                }
            }
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid API token is required (Authorization: Bearer <token>)".into(),
                vec![],
            ),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone(), vec![]),
            Self::BadRequest(p) => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                summarize(p),
                p.clone(),
            ),
            Self::Unprocessable(p) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-input",
                summarize(p),
                p.clone(),
            ),
            Self::NotFound(m) => (StatusCode::NOT_FOUND, "not-found", m.clone(), vec![]),
            Self::PayloadTooLarge(m) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                m.clone(),
                vec![],
            ),
            Self::TooManyRequests { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                format!("too many requests; retry in {retry_after_secs} s"),
                vec![],
            ),
            Self::Unavailable { detail, .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                detail.clone(),
                vec![],
            ),
            Self::NotAcceptable(m) => (
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                m.clone(),
                vec![],
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error".into(),
                vec![],
            ),
        }
    }
}

fn summarize(problems: &[InputProblem]) -> String {
    match problems {
        [] => "invalid input".into(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Catalog(catalog::CatalogError::Withdrawn(record)) = &self {
            // A withdrawn dataset still answers with its metadata, under 410 Gone.
            return (StatusCode::GONE, axum::Json(record.as_ref())).into_response();
        }
        if let Self::Registry(RegistryError::Storage(m)) | Self::Internal(m) = &self {
            tracing::error!(error = %m, "internal error");
        }
        if let Self::Catalog(
            e @ (catalog::CatalogError::Storage(_)
            | catalog::CatalogError::Upload(catalog::files::UploadError::Io(_))),
        ) = &self
        {
            tracing::error!(error = %e, "internal error");
        }
        let (status, code, detail, errors) = self.parts();
        let body = Problem {
            kind: format!("https://opendata.gov.vn/problems/{code}"),
            title: status.canonical_reason().unwrap_or("error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail,
            errors,
        };
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Self::TooManyRequests { retry_after_secs }
        | Self::Unavailable {
            retry_after_secs, ..
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}
