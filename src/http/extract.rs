//! Extractors: JSON bodies, queries and paths whose failures name the field, and the [`Caller`].
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use registry::InputProblem;
use serde::de::DeserializeOwned;

use super::*;
use crate::accounts::Principal;

/// A JSON body, deserialized with the path of the failing field reported (400 for bad syntax, 422 for bad content).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !is_json {
            return Err(ApiError::BadRequest(vec![InputProblem::field(
                "Content-Type",
                "expected application/json",
            )]));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(format!(
                        "the request body is larger than {REQUEST_BODY_LIMIT} bytes"
                    ))
                } else {
                    ApiError::BadRequest(vec![InputProblem::field("body", e.body_text())])
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, naming the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let field = if path == "." {
                "body".to_owned()
            } else {
                json_pointer_like(&path)
            };
            let problem = InputProblem::field(field, inner.to_string());
            if inner.is_syntax() || inner.is_eof() {
                Err(ApiError::BadRequest(vec![problem]))
            } else {
                Err(ApiError::Unprocessable(vec![problem]))
            }
        }
    }
}

/// `changes[0].item.code` → `changes/0/item/code`, the form every field path in our errors takes.
fn json_pointer_like(path: &str) -> String {
    path.replace("[", ".").replace(']', "").replace('.', "/")
}

/// Query parameters, with the failing parameter named on error (400).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                ApiError::BadRequest(vec![InputProblem::field(
                    if path == "." {
                        "query".to_owned()
                    } else {
                        path
                    },
                    e.into_inner().to_string(),
                )])
            })
    }
}

/// Path parameters, with the failing parameter named on error (400 problem+json, not axum's plain-text rejection).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let field = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    _ => "path".to_owned(),
                };
                Err(ApiError::BadRequest(vec![InputProblem::field(
                    field,
                    e.body_text(),
                )]))
            }
            Err(e) => Err(ApiError::Internal(e.body_text())),
        }
    }
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// The caller, if a valid token was sent.
pub struct Caller(pub Option<Principal>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already looked up by the rate limiter.
        if let Some(ratelimit::Authenticated(p)) = parts.extensions.get() {
            return Ok(Self(Some(p.clone())));
        }
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Self(None));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        match state.accounts.authenticate(token).await? {
            Some(p) => Ok(Self(Some(p))),
            None => Err(ApiError::Unauthorized),
        }
    }
}

impl Caller {
    /// The principal, or 401.
    pub fn required(self) -> Result<Principal, ApiError> {
        self.0.ok_or(ApiError::Unauthorized)
    }

    /// The caller, who must be an admin: 401 without credentials, 403 for other roles.
    pub fn admin(self, what: &str) -> Result<Principal, ApiError> {
        let principal = self.required()?;
        if principal.is_admin() {
            Ok(principal)
        } else {
            Err(ApiError::Forbidden(format!("only an admin {what}")))
        }
    }
}
