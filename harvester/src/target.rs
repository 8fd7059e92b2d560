//! Where packages go: [`Target`], and its CKAN Action API implementation [`CkanTarget`] (also used to read CKAN
//! sources). Reads, updates and deletes are retried by the client (repeating them is harmless); a create is sent once
//! per call, because repeating a create whose answer was lost could make a second package: the sync engine first
//! looks the name up and adopts what it finds (see [`crate::sync`]).
use std::future::Future;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::HarvestError;
use crate::client::Http;
use crate::package::{Organization, Package};

/// How a CKAN action failed.
#[derive(Debug)]
pub enum ActionError {
    /// 404 `Not Found Error`.
    NotFound,
    /// 409 `Validation Error`: the error dict (field -> messages).
    Invalid(Map<String, Value>),
    /// Timeouts, dropped connections, 5xx, until the retries ran out: the request may have been applied.
    Transient(String),
    /// Anything else: 403, 400, an answer that is not CKAN's envelope.
    Rejected(String),
}

impl ActionError {
    /// Is this a 409 saying the name is taken?
    pub fn is_name_taken(&self) -> bool {
        match self {
            ActionError::Invalid(errors) => errors.contains_key("name"),
            _ => false,
        }
    }
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActionError::NotFound => write!(f, "not found"),
            ActionError::Invalid(errors) => {
                write!(f, "validation error: {}", Value::Object(errors.clone()))
            }
            ActionError::Transient(reason) => write!(f, "{reason}"),
            ActionError::Rejected(reason) => write!(f, "{reason}"),
        }
    }
}

impl From<ActionError> for HarvestError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Transient(r) => HarvestError::Transient(r),
            other => HarvestError::Rejected(other.to_string()),
        }
    }
}

/// A catalogue that takes packages.
pub trait Target: Send + Sync {
    /// The package with this id or name, in whatever state (a deleted package still holds its name).
    fn show(
        &self,
        id_or_name: &str,
    ) -> impl Future<Output = Result<Option<Value>, ActionError>> + Send;
    /// Creates the package, sending the request once; answers the new package's id.
    fn create(&self, package: &Package)
    -> impl Future<Output = Result<String, ActionError>> + Send;
    /// Replaces the package `id` with `package` (and makes it active again when `reactivate`).
    fn update(
        &self,
        id: &str,
        package: &Package,
        reactivate: bool,
    ) -> impl Future<Output = Result<(), ActionError>> + Send;
    /// Deletes the package `id`; a package already gone is not an error.
    fn delete(&self, id: &str) -> impl Future<Output = Result<(), ActionError>> + Send;
    /// Makes sure the organization exists; answers whether this call created it.
    fn ensure_organization(
        &self,
        organization: &Organization,
    ) -> impl Future<Output = Result<bool, ActionError>> + Send;
}

/// A CKAN portal's Action API.
pub struct CkanTarget {
    http: Arc<Http>,
    base: String,
    token: Option<String>,
}

impl CkanTarget {
    /// The portal at `base` (its Action API under `{base}/api/3/action/`).
    pub fn new(http: Arc<Http>, base: &str, token: Option<String>) -> Self {
        let base = base.trim_end_matches('/');
        let base = base
            .strip_suffix("/api/3/action")
            .or_else(|| base.strip_suffix("/api/action"))
            .unwrap_or(base)
            .to_owned();
        Self { http, base, token }
    }

    /// The portal's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Calls `action` with a JSON body; `idempotent` lets the client retry transient failures.
    pub async fn call(
        &self,
        action: &str,
        body: &Value,
        idempotent: bool,
    ) -> Result<Value, ActionError> {
        let url = format!("{}/api/3/action/{action}", self.base);
        let answer = self
            .http
            .send(
                || {
                    let mut request = self.http.client().post(&url).json(body);
                    if let Some(token) = &self.token {
                        request = request.header(reqwest::header::AUTHORIZATION, token);
                    }
                    request
                },
                idempotent,
            )
            .await
            .map_err(|e| match e {
                HarvestError::Transient(r) => ActionError::Transient(r),
                other => ActionError::Rejected(other.to_string()),
            })?;
        let mut envelope: Value = match serde_json::from_slice(&answer.body) {
            Ok(v) => v,
            // A 2xx whose body is not JSON is most likely cut short: the action may have been applied.
            Err(_) if answer.status.is_success() => {
                return Err(ActionError::Transient(format!(
                    "{action}: {} with a body that is not JSON",
                    answer.status
                )));
            }
            Err(_) => {
                return Err(ActionError::Rejected(format!(
                    "{action}: {} {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                        .chars()
                        .take(200)
                        .collect::<String>()
                )));
            }
        };
        if answer.status.is_success() && envelope["success"] == json!(true) {
            return Ok(envelope["result"].take());
        }
        let error = envelope
            .get("error")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let kind = error.get("__type").and_then(Value::as_str).unwrap_or("");
        match (answer.status.as_u16(), kind) {
            (404, _) | (_, "Not Found Error") => Err(ActionError::NotFound),
            (409, _) | (_, "Validation Error") => {
                let mut fields = error;
                fields.remove("__type");
                Err(ActionError::Invalid(fields))
            }
            (status, _) => Err(ActionError::Rejected(format!(
                "{action}: {status} {}",
                Value::Object(error)
            ))),
        }
    }
}

impl CkanTarget {
    async fn organization_exists(&self, name: &str) -> Result<bool, ActionError> {
        match self
            .call("organization_show", &json!({ "id": name }), true)
            .await
        {
            Ok(_) => Ok(true),
            Err(ActionError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl Target for CkanTarget {
    async fn show(&self, id_or_name: &str) -> Result<Option<Value>, ActionError> {
        match self
            .call("package_show", &json!({ "id": id_or_name }), true)
            .await
        {
            Ok(package) => Ok(Some(package)),
            Err(ActionError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn create(&self, package: &Package) -> Result<String, ActionError> {
        let created = self
            .call(
                "package_create",
                &Value::Object(package.body.clone()),
                false,
            )
            .await?;
        created
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ActionError::Rejected("package_create answered no id".into()))
    }

    async fn update(
        &self,
        id: &str,
        package: &Package,
        reactivate: bool,
    ) -> Result<(), ActionError> {
        let mut body = package.body.clone();
        body.insert("id".into(), json!(id));
        if reactivate {
            body.insert("state".into(), json!("active"));
        }
        self.call("package_update", &Value::Object(body), true)
            .await
            .map(|_| ())
    }

    async fn delete(&self, id: &str) -> Result<(), ActionError> {
        match self
            .call("package_delete", &json!({ "id": id }), true)
            .await
        {
            Ok(_) | Err(ActionError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn ensure_organization(&self, organization: &Organization) -> Result<bool, ActionError> {
        if self.organization_exists(&organization.name).await? {
            return Ok(false);
        }
        // Sent once per attempt, like a package create: after a lost answer, look before sending again.
        let body = json!({ "name": organization.name, "title": organization.title });
        let mut attempt = 0;
        let mut maybe_applied = false;
        loop {
            attempt += 1;
            match self.call("organization_create", &body, false).await {
                Ok(_) => return Ok(true),
                Err(ActionError::Transient(reason)) => {
                    if attempt >= self.http.policy().max_attempts {
                        return Err(ActionError::Transient(reason));
                    }
                    maybe_applied = true;
                    tokio::time::sleep(self.http.policy().backoff(attempt)).await;
                    if self.organization_exists(&organization.name).await? {
                        return Ok(true);
                    }
                }
                Err(e @ ActionError::Invalid(_)) => {
                    // The name is taken: by our own earlier attempt, or by another worker meanwhile.
                    return if self.organization_exists(&organization.name).await? {
                        Ok(maybe_applied)
                    } else {
                        Err(e)
                    };
                }
                Err(e) => return Err(e),
            }
        }
    }
}
