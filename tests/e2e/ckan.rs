//! The CKAN-compatible Action API driven by Python's real `ckanapi` client over the seed catalog, on both backends.
use crate::on_both_backends;
use crate::support::{Backend, spawn_app_with};

on_both_backends!(ckanapi_client_works_against_the_action_api);

async fn ckanapi_client_works_against_the_action_api(backend: Backend) {
    let app = spawn_app_with(backend, &[], |c| c.seed = opendata::app::Seed::All).await;
    let python = std::env::var("OPENDATA_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ckan/check_ckanapi.py");
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .arg(base)
            .output()
    })
    .await
    .unwrap()
    .expect("python3 runs (the test suite needs Python with ckanapi)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "ckanapi checks failed:\n{report}");
    assert!(report.contains("all checks passed"), "{report}");
    // CKAN's envelope and error shape, as raw JSON.
    let r = app.get("/api/3/action/package_search?rows=abc").await;
    assert_eq!(r.status(), 409, "CKAN answers a Validation Error with 409");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["success"], false);
    assert_eq!(v["error"]["__type"], "Validation Error");
    assert!(v["error"]["rows"].is_array());
    let r = app.get("/api/3/action/no_such_action").await;
    assert_eq!(r.status(), 404);
}
