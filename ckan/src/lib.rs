//! CKAN's Action API protocol, written once for the two servers here that speak it: the catalog's CKAN-compatible API
//! (`src/http/ckan/`) and the mock national portal (`portal`). It owns the answer envelope (`{help, success: true,
//! result}`, or `{help, success: false, error}` with the error's `__type` and its message or field errors, at the
//! error's HTTP status, as CKAN 2.10's `api` controller answers) and the action parameters, read from the query string,
//! a form or a JSON body with CKAN's coercions and validation messages ([`params`]).
mod params;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value, json};

pub use params::{bool_param, int_param, params, required, string_param};

/// A CKAN error: HTTP status, `__type`, and the message or the field errors.
#[derive(Debug)]
pub struct CkanError {
    status: StatusCode,
    kind: &'static str,
    fields: Map<String, Value>,
}

impl CkanError {
    /// An error of `kind` (`Bad Request`, `Authorization Error`, ...) with a message.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert("message".into(), json!(message.into()));
        Self {
            status,
            kind,
            fields,
        }
    }

    /// A `Validation Error` naming one parameter, at 409 as CKAN answers a `ValidationError`.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert(field.to_owned(), json!([message.into()]));
        Self::invalid(fields)
    }

    /// A `Validation Error` with one list of messages per parameter at fault.
    pub fn invalid(fields: Map<String, Value>) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            kind: "Validation Error",
            fields,
        }
    }

    /// A `Not Found Error`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found Error", message)
    }

    /// An `Authorization Error`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Authorization Error", message)
    }

    /// An `Internal Error`: the cause is logged, never shown.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "CKAN action failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Error",
            "Internal error",
        )
    }

    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// CKAN's answer envelope: `success` is true and `result` holds the action's result.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CkanSuccess {
    /// A URL documenting the action.
    pub help: String,
    /// Always `true` here.
    pub success: bool,
    /// The action's result.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub result: Value,
}

/// CKAN's answer envelope for the actions that answer a list (`package_list`, `organization_list`, ...).
// Only a schema: a list is sent as a `CkanSuccess` whose `result` is an array.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CkanListSuccess {
    /// A URL documenting the action.
    pub help: String,
    /// Always `true` here.
    pub success: bool,
    /// Names, or whole objects with `all_fields`.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<serde_json::Value>))]
    pub result: (),
}

/// CKAN's error envelope: `success` is false and `error` has `__type` (`Validation Error`, `Not Found Error`, ...) and
/// either `message` or one list of messages per invalid parameter.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CkanFailure {
    /// A URL documenting the action.
    pub help: String,
    /// Always `false` here.
    pub success: bool,
    /// `__type` plus `message` or the parameters at fault.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub error: Map<String, Value>,
}

/// The answer to `action` on the site at `base`: its result in the envelope, or the error at its status.
pub fn answer(base: &str, action: &str, outcome: Result<Value, CkanError>) -> Response {
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

/// Like [`answer`], for a result already rendered as JSON (`result` must be one whole JSON value): the envelope is
/// written around it, so a large result is not parsed into a [`Value`] and serialized again.
pub fn answer_raw(base: &str, action: &str, outcome: Result<String, CkanError>) -> Response {
    match outcome {
        Ok(result) => {
            let help = format!("{base}/api/3/action/help_show?name={action}");
            let help = serde_json::to_string(&help).expect("a string serializes");
            let mut body = String::with_capacity(result.len() + help.len() + 40);
            body.push_str("{\"help\":");
            body.push_str(&help);
            body.push_str(",\"success\":true,\"result\":");
            body.push_str(&result);
            body.push('}');
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response()
        }
        Err(e) => answer(base, action, Err(e)),
    }
}
