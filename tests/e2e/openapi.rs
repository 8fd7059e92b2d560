//! The OpenAPI document and Swagger UI (issue 5): `/openapi.json` serves what the code generates (the committed copy
//! is checked by a unit test beside the generator), `/docs` and its assets are served from the binary under the
//! site's Content-Security-Policy.
use serde_json::Value;

use crate::support::{Backend, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_and_swagger_ui_are_served() {
    let app = spawn_app(Backend::Sqlite, &["themes"]).await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let text = r.text().await.unwrap();
    assert_eq!(text, opendata::http::openapi::document());
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/registry/lists/{list}/items",
        "/api/v1/datasets/{id}",
        "/api/v1/search",
        "/api/v1/data/{dataset}/{distribution}",
        "/api/v1/admin/tokens",
        "/api/3/action/package_search",
        "/api/v1/datasets/{id}/usage",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
    // Every limited operation documents its 429 with Retry-After.
    let refused = &doc["paths"]["/api/v1/search"]["get"]["responses"]["429"];
    assert!(refused["headers"]["Retry-After"].is_object(), "{refused}");
    let accepted = &doc["paths"]["/api/v1/search"]["get"]["responses"]["200"];
    for name in ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"] {
        assert!(accepted["headers"][name].is_object(), "{name}: {accepted}");
    }
    assert!(
        doc["paths"]["/healthz"]["get"]["responses"]["200"]["headers"].is_null(),
        "the health check is not limited"
    );

    let r = app.get("/docs").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("/docs/swagger-ui-bundle.js") && html.contains("/docs/start.js"));
    for (asset, kind) in [
        ("/docs/swagger-ui-bundle.js", "text/javascript"),
        ("/docs/swagger-ui.css", "text/css"),
        ("/docs/start.js", "text/javascript"),
    ] {
        let r = app.get(asset).await;
        assert_eq!(r.status(), 200, "{asset}");
        assert_eq!(r.headers()["content-type"], kind, "{asset}");
    }
    let r = app.get("/docs/nothing.js").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}
