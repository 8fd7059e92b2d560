//! The OpenAPI 3.1 document, generated with utoipa from the handlers' own `#[utoipa::path]` annotations (each next to
//! the handler it describes), served at `/openapi.json` with Swagger UI at `/docs`, and printed by `opendata openapi`
//! so that the committed copy (`openapi/openapi.json`) is checked against the code by a test.
//!
//! The answers every operation shares are added here once, by [`SharedResponses`], instead of on each handler: `429`
//! (every route is rate limited), `304` (every API GET carries an `ETag`), `400` where an operation takes parameters
//! or a body. Covered: the registry, catalog, agencies, search, tabular data, change feed, admin, health and the
//! CKAN-compatible Action API, and DCAT-AP's `/catalog` and `/dataset/{id}`. Not covered: `/sparql` and the LGSP
//! convention (`/dmdc/...`), whose contracts are the SPARQL protocol and LGSP specifications.
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

use super::AppState;
use ckan::{CkanFailure, CkanListSuccess, CkanSuccess};

pub use super::error::Problem;

/// Records complete in one answer (`items`): the answer of every listing that cannot grow past a page.
#[derive(Serialize, ToSchema)]
pub struct Listing<T> {
    /// The records.
    pub items: Vec<T>,
}

impl<T> Listing<T> {
    /// The answer listing `items`.
    pub fn of(items: Vec<T>) -> axum::Json<Self> {
        axum::Json(Self { items })
    }
}

/// The bytes of a file (a download).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(#[allow(dead_code)] Vec<u8>);

/// One page of a listing that also counts every match.
#[derive(ToSchema)]
pub struct CountedPage {
    /// The records of this page.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<()>,
    /// How many records match in all.
    pub total: u64,
    /// The cursor of the next page; `null` on the last one.
    pub next: Option<String>,
}

/// A free-form JSON object, for request bodies that are open by definition (a merge patch, a harvester's report).
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct Record(());

/// Adds the answers every operation shares, and the bearer-token security scheme.
pub struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (`opendata token create`, or `POST /api/v1/admin/tokens`)",
                    ))
                    .build(),
            ),
        );
        // The dataset content, a code list's metadata and a plan item refuse unknown fields, but they are also
        // flattened (`allOf`) into the dataset record, the list summary and the plan entry, and the dataset creation
        // body adds an `id` to its content: a closed schema would refuse those.
        for open in ["DatasetContent", "CodeListMeta", "PlanItem"] {
            if let Some(RefOr::T(utoipa::openapi::Schema::Object(content))) =
                components.schemas.get_mut(open)
            {
                content.additional_properties = None;
            }
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let unlimited = matches!(path.as_str(), "/healthz" | "/readyz");
            let has_etag = path.starts_with("/api/v1/");
            for (is_get, operation) in [
                (true, item.get.as_mut()),
                (false, item.post.as_mut()),
                (false, item.put.as_mut()),
                (false, item.patch.as_mut()),
                (false, item.delete.as_mut()),
            ] {
                let Some(operation) = operation else { continue };
                let takes_input = operation.request_body.is_some()
                    || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let ckan = path.starts_with("/api/3/");
                if takes_input {
                    if ckan {
                        // CKAN answers a `Validation Error` with 409 and a body that is not JSON with 400.
                        add(
                            operation,
                            "409",
                            ckan_failure("a parameter is invalid (`Validation Error`)"),
                        );
                        add(
                            operation,
                            "400",
                            ckan_failure("the body is not a JSON object (`Bad request`)"),
                        );
                    } else {
                        add(
                            operation,
                            "400",
                            problem("a parameter or the body is malformed"),
                        );
                    }
                }
                if is_get && has_etag {
                    add(
                        operation,
                        "304",
                        ResponseBuilder::new()
                            .description("not modified (the `If-None-Match` ETag still holds)")
                            .build()
                            .into(),
                    );
                }
                if !unlimited {
                    let refused = ResponseBuilder::new()
                        .description("rate limited: wait `Retry-After` seconds")
                        .header(
                            "Retry-After",
                            integer_header("seconds until a request passes again"),
                        )
                        .content(
                            "application/problem+json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("Problem")))
                                .build(),
                        );
                    add(operation, "429", refused.build().into());
                    // Every answer that drew from a bucket says how full it is (admin tokens draw from none).
                    for (status, response) in operation.responses.responses.iter_mut() {
                        if let (false, RefOr::T(response)) = (status.starts_with('5'), response) {
                            for (name, text) in [
                                ("RateLimit-Limit", "requests the bucket holds (the burst)"),
                                ("RateLimit-Remaining", "requests left in the bucket"),
                                ("RateLimit-Reset", "seconds until the bucket is full again"),
                            ] {
                                response
                                    .headers
                                    .entry(name.to_owned())
                                    .or_insert_with(|| integer_header(text));
                            }
                        }
                    }
                }
            }
        }
    }
}

fn integer_header(description: &str) -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::Integer),
        )
        .description(Some(description))
        .build()
}

fn add(operation: &mut Operation, status: &str, response: RefOr<utoipa::openapi::Response>) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert(response);
}

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn ckan_failure(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("CkanFailure")))
                .build(),
        )
        .build()
        .into()
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "opendata",
        description = "Open-data catalog and shared code-list registry: the JSON APIs. Errors are RFC 9457 \
            problem+json (CKAN's envelope on `/api/3/action/`); every route but the health checks is rate limited \
            and answers `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; reads carry weak ETags.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&SharedResponses),
    paths(
        super::health::healthz,
        super::health::ready,
        super::changes::changes,
        super::audit::checkpoint_key,
        super::audit::latest_checkpoint,
        super::audit::checkpoint,
        super::registry_api::lists::lists,
        super::registry_api::lists::create_list,
        super::registry_api::lists::list,
        super::registry_api::items::items,
        super::registry_api::items::item,
        super::registry_api::items::children,
        super::registry_api::items::ancestors,
        super::registry_api::items::history,
        super::registry_api::releases::releases,
        super::registry_api::releases::create_release,
        super::registry_api::releases::release,
        super::registry_api::releases::manifest,
        super::registry_api::releases::diff,
        super::registry_api::requests::change_requests,
        super::registry_api::requests::propose,
        super::registry_api::requests::change_request,
        super::registry_api::requests::approve,
        super::registry_api::requests::reject,
        super::registry_api::requests::import,
        super::registry_api::validation::validate,
        super::datasets::list,
        super::datasets::create,
        super::datasets::show,
        super::datasets::update,
        super::datasets::submit,
        super::datasets::publish,
        super::datasets::return_,
        super::datasets::withdraw,
        super::datasets::revisions,
        super::datasets::revision,
        super::datasets::diff,
        super::datasets::upload,
        super::datasets::download,
        super::datasets::preview,
        super::datasets::releases,
        super::datasets::create_release,
        super::datasets::usage,
        super::quality::dataset,
        super::quality::catalog_quality,
        super::quality::agency,
        super::quality::check_links,
        super::quality::validate_csv,
        super::agencies::lists,
        super::agencies::issue,
        super::agencies::list,
        super::agencies::manifest,
        super::agencies::plan,
        super::agencies::put_item,
        super::agencies::needs_attention,
        super::search::search,
        super::search::suggest,
        super::dcat::catalog_page,
        super::dcat::dataset,
        super::dcat::dump,
        super::dcat::dump_info,
        super::data::rows,
        super::admin::create_token,
        super::admin::record_harvest_run,
        super::admin::list_harvest_runs,
        super::admin::show_harvest_run,
        super::ckan::package_search_doc,
        super::ckan::package_show_doc,
        super::ckan::package_list_doc,
        super::ckan::organization_list_doc,
        super::ckan::organization_show_doc,
        super::ckan::group_list_doc,
        super::ckan::tag_list_doc,
        super::ckan::license_list_doc,
        super::ckan::datastore_search_doc,
        super::ckan::status_show_doc,
    ),
    components(schemas(
        Problem, CountedPage, Record, CkanSuccess, CkanListSuccess,
        CkanFailure, super::dcat::RdfFormatName
    )),
    tags(
        (name = "registry", description = "Shared code lists: items on two time axes, change requests, releases, validation"),
        (name = "catalog", description = "Datasets: revisions, workflow, distributions, releases, usage"),
        (name = "agencies", description = "Yearly open-data lists and plans"),
        (name = "quality", description = "Metadata quality scores, CSV validation reports and link checks"),
        (name = "search", description = "Full-text search with facets"),
        (name = "dcat", description = "DCAT-AP 3: the catalog page by page, one dataset, the whole catalog as one download"),
        (name = "data", description = "Rows of CSV distributions"),
        (name = "changes", description = "The change feed"),
        (name = "admin", description = "Tokens and harvest history (admin tokens)"),
        (name = "ckan", description = "CKAN-compatible Action API"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// The document as pretty-printed JSON (what `/openapi.json` serves and `openapi/openapi.json` holds).
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    // Issue 19's routes describe themselves apart; the shared answers are added to them too.
    let mut more = super::feedback::FeedbackApi::openapi();
    SharedResponses.modify(&mut more);
    doc.merge(more);
    let mut more = super::stats::StatsApi::openapi();
    SharedResponses.modify(&mut more);
    doc.merge(more);
    let mut text = doc
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    text.push('\n');
    text
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(serve))
        .route("/docs", get(docs))
        .route("/docs/{file}", get(docs_asset))
}

async fn serve() -> Response {
    static DOCUMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(document);
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
        .into_response()
}

/// Swagger UI (swagger-ui-dist, vendored under `static/swagger-ui/` with its licence), started by a script file so
/// the page keeps the site's Content-Security-Policy.
async fn docs() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("../../static/swagger-ui/index.html"),
    )
        .into_response()
}

async fn docs_asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, content_type): (&'static [u8], &str) = match file.as_str() {
        "swagger-ui-bundle.js" => (
            include_bytes!("../../static/swagger-ui/swagger-ui-bundle.js"),
            "text/javascript",
        ),
        "swagger-ui.css" => (
            include_bytes!("../../static/swagger-ui/swagger-ui.css"),
            "text/css",
        ),
        "start.js" => (
            include_bytes!("../../static/swagger-ui/start.js"),
            "text/javascript",
        ),
        _ => return super::ApiError::NotFound("no such file".into()).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed copy is what clients are generated from: it must be exactly what the code generates.
    #[test]
    fn the_committed_document_is_what_the_code_generates() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == document(),
            "{} differs from the generated document: run `cargo run -- openapi > openapi/openapi.json` and commit it",
            path.display()
        );
    }

    /// Every operation says what it answers on success and is tagged, and every error response of the JSON APIs is
    /// problem+json (CKAN's envelope under `/api/3/`, but for the rate limiter's 429).
    #[test]
    fn every_operation_is_described() {
        let doc: serde_json::Value = serde_json::from_str(&document()).unwrap();
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                let responses = op["responses"].as_object().unwrap();
                assert!(
                    responses.keys().any(|s| s.starts_with('2')),
                    "{method} {path} documents no success"
                );
                assert!(
                    op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                    "{method} {path} untagged"
                );
                for (status, response) in responses {
                    // 410 Gone answers a withdrawn dataset's metadata, as JSON; 416 is the file server's, bodiless; a
                    // node that is not ready says so in its health answer.
                    let exempt = ["410", "416"].contains(&status.as_str()) || path == "/readyz";
                    if (status.starts_with('4') || status.starts_with('5')) && !exempt {
                        let content = response["content"].as_object().unwrap();
                        // The rate limiter answers before any handler: problem+json everywhere.
                        let expected = if path.starts_with("/api/3/") && status != "429" {
                            "application/json"
                        } else {
                            "application/problem+json"
                        };
                        assert!(content.contains_key(expected), "{method} {path} {status}");
                    }
                }
            }
        }
        assert!(operations >= 60, "{operations} operations");
    }

    /// Issue 13: every JSON answer is described by its own type. A response schema that is a bare object (`{}` or
    /// `{"type": "object"}`, also behind a `$ref`) or a listing of bare objects is a placeholder; free-form fields
    /// stay allowed inside typed schemas (a harvest report, an item's typed attributes, CKAN's `result`).
    #[test]
    fn every_json_answer_has_a_typed_schema() {
        use serde_json::Value;

        fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
            match schema["$ref"].as_str() {
                Some(r) => {
                    let name = r.trim_start_matches("#/components/schemas/");
                    let target = &doc["components"]["schemas"][name];
                    assert!(target.is_object(), "dangling {r}");
                    resolve(doc, target)
                }
                None => schema,
            }
        }
        fn bare(doc: &Value, schema: &Value) -> bool {
            let schema = resolve(doc, schema);
            let has = |key: &str| match &schema[key] {
                Value::Object(m) => !m.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => false,
            };
            let composed = ["properties", "allOf", "oneOf", "anyOf", "enum"]
                .iter()
                .any(|k| has(k));
            match schema["type"].as_str() {
                _ if composed => false,
                Some("array") => bare(doc, &schema["items"]),
                // A map declares what it maps (`propertyNames`): rows keyed by column, attributes by name.
                Some("object") | None => !has("propertyNames"),
                Some(_) => false,
            }
        }

        let doc: Value = serde_json::from_str(&document()).unwrap();
        let mut placeholders = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for (status, response) in op["responses"].as_object().unwrap() {
                    let Some(schema) = response["content"]["application/json"].get("schema") else {
                        continue;
                    };
                    let at = format!("{method} {path} {status}");
                    if bare(&doc, schema) {
                        placeholders.push(at);
                        continue;
                    }
                    // Our own listings say what they list; CKAN's list actions answer names or whole objects by
                    // their own contract.
                    if !path.starts_with("/api/v1/") {
                        continue;
                    }
                    let resolved = resolve(&doc, schema);
                    for (name, property) in resolved["properties"].as_object().into_iter().flatten()
                    {
                        let property = resolve(&doc, property);
                        if property["type"] == "array" && bare(&doc, &property["items"]) {
                            placeholders.push(format!("{at}: {name}"));
                        }
                    }
                }
            }
        }
        assert!(
            placeholders.is_empty(),
            "JSON answers described by a placeholder instead of their type: {placeholders:#?}"
        );
    }
}
