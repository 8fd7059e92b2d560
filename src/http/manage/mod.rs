//! The curation web pages (`/login`, `/logout`, `/manage/...`): stewards curate code lists through reviewed change
//! requests and releases, publishers describe and upload their agency's datasets and submit them, approvers publish or
//! return them and issue the yearly open-data list. The pages call the same registry and catalog functions as the JSON
//! API, with the same role checks; they are server-rendered (askama), work without JavaScript (the script only adds
//! upload progress) and follow the site's strict Content-Security-Policy.
//!
//! Everything under `/manage` needs a session (see [`session`]); a signed-out visitor is sent to `/login`.
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use catalog::model::WorkflowStatus;

use super::AppState;
use super::pages::{Chrome, Ctx};

pub mod account_texts;
pub mod accounts;
pub mod approver;
pub mod conflict;
pub mod dashboard;
pub mod edits;
pub mod feedback;
pub mod form;
pub mod publisher;
pub mod session;
pub mod sources;
pub mod steward;
pub mod texts;
pub mod webhooks;

use session::SignedIn;
use texts::ManageText;

/// The routes, under the site's request body limit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/manage", get(dashboard::page))
        .route("/manage/lists", get(steward::lists))
        .route("/manage/lists/{list}", get(steward::list))
        .route(
            "/manage/lists/{list}/propose",
            get(steward::propose_form).post(steward::propose),
        )
        .route(
            "/manage/lists/{list}/change-requests/{id}",
            get(steward::request),
        )
        .route(
            "/manage/lists/{list}/change-requests/{id}/approve",
            post(steward::approve),
        )
        .route(
            "/manage/lists/{list}/change-requests/{id}/reject",
            post(steward::reject),
        )
        .route("/manage/lists/{list}/import", get(steward::import_form))
        .route(
            "/manage/lists/{list}/import/submit",
            post(steward::import_submit),
        )
        .route(
            "/manage/lists/{list}/releases",
            post(steward::issue_release),
        )
        .route(
            "/manage/lists/{list}/releases/{number}",
            get(steward::release),
        )
        .route(
            "/manage/datasets",
            get(publisher::datasets).post(publisher::create),
        )
        .route("/manage/datasets/new", get(publisher::new_form))
        .route(
            "/manage/datasets/{id}",
            get(publisher::dataset).post(publisher::update),
        )
        .route("/manage/datasets/{id}/submit", post(publisher::submit))
        .route("/manage/datasets/{id}/links", post(publisher::add_link))
        .route(
            "/manage/datasets/{id}/distributions/{did}",
            post(publisher::edit_distribution),
        )
        .route(
            "/manage/datasets/{id}/releases",
            post(publisher::mark_release),
        )
        .route(
            "/manage/datasets/{id}/revisions/{from}/diff/{to}",
            get(publisher::diff),
        )
        .route("/manage/datasets/{id}/publish", post(approver::publish))
        .route("/manage/datasets/{id}/return", post(approver::return_))
        .route("/manage/datasets/{id}/withdraw", post(approver::withdraw))
        .route("/manage/queue", get(approver::queue))
        .route("/manage/sources", get(sources::list).post(sources::add))
        .route("/manage/sources/runs/{id}", get(sources::run))
        .route("/manage/accounts", get(accounts::list))
        .route("/manage/accounts/{id}", get(accounts::account))
        .route("/manage/accounts/{id}/grant", post(accounts::grant))
        .route(
            "/manage/accounts/{id}/revoke-role",
            post(accounts::revoke_role),
        )
        .route("/manage/accounts/{id}/disable", post(accounts::disable))
        .route("/manage/accounts/{id}/enable", post(accounts::enable))
        .route("/manage/accounts/keys/{key}/tier", post(accounts::set_tier))
        .route(
            "/manage/accounts/keys/{key}/revoke",
            post(accounts::revoke_key),
        )
        .route("/manage/agency", get(approver::agency))
        .route("/manage/agency/open-data-lists", post(approver::issue_list))
        .route("/manage/agency/plan", post(approver::put_plan_item))
}

/// The routes that take files, kept apart so they get the upload size limit instead of the request body limit.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/manage/datasets/{id}/files", post(publisher::upload))
        .route("/manage/lists/{list}/import", post(steward::import_preview))
        .route(
            "/manage/datasets/{id}/files/raw",
            post(publisher::upload_raw),
        )
}

/// What every curation page shows around its content: who is signed in, the curation menu, the sign-out form.
pub struct Frame {
    /// `Name · role · agency`.
    pub me: String,
    /// The CSRF token for the page's forms.
    pub csrf: String,
    /// The curation menu for this role.
    pub nav: Vec<NavLink>,
}

/// An entry of the curation menu.
pub struct NavLink {
    /// Label.
    pub text: &'static str,
    /// Address.
    pub href: &'static str,
    /// The page is in this section.
    pub current: bool,
}

impl Frame {
    /// The frame for `me`, with `section` (`dashboard`, `lists`, `datasets`, `queue`, `agency`) marked current.
    pub fn new(me: &SignedIn, m: &'static ManageText, section: &str) -> Self {
        let curator = me.principal.curator();
        let mut nav = vec![("dashboard", m.dashboard, "/manage")];
        if me.principal.curates_lists() {
            nav.push(("lists", m.code_lists, "/manage/lists"));
        }
        if curator.workspace().is_ok() {
            nav.push(("datasets", m.datasets, "/manage/datasets"));
        }
        if curator.review_scope().is_ok() {
            nav.push(("queue", m.queue, "/manage/queue"));
        }
        if curator.role == catalog::CuratorRole::Approver {
            nav.push(("agency", m.open_data_list, "/manage/agency"));
        }
        if me.principal.is_admin() {
            nav.push(("sources", m.sources, "/manage/sources"));
            nav.push(("accounts", m.accounts, "/manage/accounts"));
        }
        if !matches!(curator.role, catalog::CuratorRole::Harvester) {
            nav.push(("feedback", m.feedback, "/manage/feedback"));
        }
        Self {
            me: me.label(m),
            csrf: me.csrf.clone(),
            nav: nav
                .into_iter()
                .map(|(key, text, href)| NavLink {
                    text,
                    href,
                    current: key == section,
                })
                .collect(),
        }
    }
}

/// The page's chrome, labels and frame in one go.
pub fn parts(
    ctx: &Ctx,
    me: &SignedIn,
    title: impl Into<String>,
    section: &str,
) -> (Chrome, &'static ManageText, Frame) {
    let m = texts::of(ctx.lang);
    let mut c = ctx.chrome(title, "manage");
    c.description = m.dashboard_intro.to_owned();
    (c, m, Frame::new(me, m, section))
}

/// Curation pages are personal: never stored by a cache.
pub fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Renders a curation page.
pub fn render(ctx: &Ctx, page: &impl Template) -> Response {
    no_store(ctx.html(StatusCode::OK, page))
}

/// Renders a form again with what went wrong (422), keeping what was typed.
pub fn render_problems(ctx: &Ctx, page: &impl Template) -> Response {
    no_store(ctx.html(StatusCode::UNPROCESSABLE_ENTITY, page))
}

/// After a successful post: see the result (303, so a reload does not post again).
pub fn see(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// After a refused write: the form again with the problems when the input was at fault, else an error page.
pub async fn form_again<Fut>(
    ctx: &Ctx,
    e: super::ApiError,
    again: impl FnOnce(Vec<String>) -> Fut,
) -> Response
where
    Fut: std::future::Future<Output = Result<Response, super::ApiError>>,
{
    match input_problems(&e) {
        Some(problems) => ctx.respond(again(problems).await),
        None => ctx.error(e),
    }
}

/// The problems of a refused write, as lines to show beside the form; `None` when it is not the user's input.
pub fn input_problems(e: &super::ApiError) -> Option<Vec<String>> {
    use registry::RegistryError as R;
    let problems = match e {
        super::ApiError::Registry(R::Invalid(p))
        | super::ApiError::Catalog(catalog::CatalogError::Invalid(p))
        | super::ApiError::Unprocessable(p)
        | super::ApiError::BadRequest(p) => p,
        super::ApiError::Registry(R::Conflict(m))
        | super::ApiError::Catalog(catalog::CatalogError::Conflict(m)) => {
            return Some(vec![m.clone()]);
        }
        _ => return None,
    };
    Some(problems.iter().map(ToString::to_string).collect())
}

/// A workflow state's label and its badge class.
pub fn workflow_label(m: &ManageText, status: WorkflowStatus) -> (&'static str, &'static str) {
    match status {
        WorkflowStatus::Draft => (m.st_draft, "status-pending"),
        WorkflowStatus::Submitted => (m.st_submitted, "status-pending"),
        WorkflowStatus::Published => (m.st_published, "status-valid"),
        WorkflowStatus::Returned => (m.st_returned, "status-closed"),
        WorkflowStatus::Withdrawn => (m.st_withdrawn, "status-closed"),
    }
}

/// A JSON value as a person reads it in a diff: text as is, lists joined, objects as `key: value` pairs; nothing as a
/// dash.
pub fn readable(value: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| readable(Some(v)))
            .collect::<Vec<_>>()
            .join(if items.iter().all(Value::is_string) {
                ", "
            } else {
                " | "
            }),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", readable(Some(v))))
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
    }
}

/// One row of a field-level diff.
pub struct DiffRow {
    /// The field.
    pub field: String,
    /// Before.
    pub before: String,
    /// After.
    pub after: String,
}

impl DiffRow {
    /// From the registry's field changes.
    pub fn from_field(f: &registry::plan::FieldChange) -> Self {
        Self {
            field: f.field.clone(),
            before: readable(f.before.as_ref()),
            after: readable(f.after.as_ref()),
        }
    }

    /// From the catalog's field differences of two revisions.
    pub fn from_catalog(diff: &[catalog::store::FieldDiff]) -> Vec<Self> {
        diff.iter()
            .map(|d| Self {
                field: d.field.clone(),
                before: readable(d.before.as_ref()),
                after: readable(d.after.as_ref()),
            })
            .collect()
    }
}

/// A refused input as [`super::ApiError::Unprocessable`], whose error page lists every problem (the page shows
/// details only for that kind).
pub fn problems_shown(e: super::ApiError) -> super::ApiError {
    use registry::RegistryError as R;
    match e {
        super::ApiError::Registry(R::Invalid(p))
        | super::ApiError::Catalog(catalog::CatalogError::Invalid(p)) => {
            super::ApiError::Unprocessable(p)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_values_read_as_text() {
        let v = serde_json::json!({"vi": "Vũ trụ", "en": "Space"});
        assert_eq!(readable(Some(&v)), "vi: Vũ trụ; en: Space");
        assert_eq!(readable(Some(&serde_json::json!(["a", "b"]))), "a, b");
        assert_eq!(readable(None), "—");
        assert_eq!(readable(Some(&serde_json::json!(3))), "3");
    }
}
