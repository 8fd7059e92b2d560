//! CKAN's answer envelope, written once: `{help, success: true, result}`, or `{help, success: false, error}` with the
//! error's `__type` and its message or field errors, at the error's HTTP status. The same types give the OpenAPI
//! schemas of the answers, so the document cannot drift from what is sent.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// A CKAN error: HTTP status, `__type`, and the message or field errors.
pub(super) struct CkanError {
    status: StatusCode,
    kind: &'static str,
    fields: Map<String, Value>,
}

impl CkanError {
    pub(super) fn validation(field: &str, message: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert(field.to_owned(), json!([message.into()]));
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "Validation Error",
            fields,
        }
    }

    pub(super) fn not_found(what: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert("message".into(), json!(what.into()));
        Self {
            status: StatusCode::NOT_FOUND,
            kind: "Not Found Error",
            fields,
        }
    }

    pub(super) fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "CKAN API internal error");
        let mut fields = Map::new();
        fields.insert("message".into(), json!("Internal error"));
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "Internal Error",
            fields,
        }
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

/// CKAN's answer envelope: `success` is true and `result` holds the action's result.
#[derive(Serialize, ToSchema)]
pub struct CkanSuccess {
    /// A URL documenting the action.
    pub help: String,
    /// Always `true` here.
    pub success: bool,
    /// The action's result.
    #[schema(value_type = Object)]
    pub result: Value,
}

// Only a schema: a list is sent as a `CkanSuccess` whose `result` is an array.
/// CKAN's answer envelope for the actions that answer a list (`package_list`, `organization_list`, ...).
#[derive(ToSchema)]
pub struct CkanListSuccess {
    /// A URL documenting the action.
    pub help: String,
    /// Always `true` here.
    pub success: bool,
    /// Names, or whole objects with `all_fields`.
    #[schema(value_type = Vec<serde_json::Value>)]
    pub result: (),
}

/// CKAN's error envelope: `success` is false and `error` has `__type` (`Validation Error`, `Not Found Error`, ...) and
/// either `message` or one list of messages per invalid parameter.
#[derive(Serialize, ToSchema)]
pub struct CkanFailure {
    /// A URL documenting the action.
    pub help: String,
    /// Always `false` here.
    pub success: bool,
    /// `__type` plus `message` or the parameters at fault.
    #[schema(value_type = Object)]
    pub error: Map<String, Value>,
}

/// The answer to `action` on the site at `base`: its result in the envelope, or the error at its status.
pub(super) fn answer(base: &str, action: &str, outcome: Result<Value, CkanError>) -> Response {
    let help = format!("{base}/api/3/action/help_show?name={action}");
    match outcome {
        Ok(result) => axum::Json(CkanSuccess {
            help,
            success: true,
            result,
        })
        .into_response(),
        Err(e) => {
            let mut error = e.fields;
            error.insert("__type".into(), json!(e.kind));
            let body = CkanFailure {
                help,
                success: false,
                error,
            };
            (e.status, axum::Json(body)).into_response()
        }
    }
}
