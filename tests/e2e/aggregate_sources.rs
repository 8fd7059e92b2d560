//! Issue 20, sources run by the server: an admin configures a source on `/manage/sources` (bad input refused beside
//! the form, naming the field; a publisher refused the page), the server harvests it on its schedule into its own
//! catalog, and the run has its page with every write.
use std::time::Duration;

use serde_json::json;

use crate::aggregate_opendata::{published, save_pages};
use crate::harvest::support::create_published;
use crate::manage::signed_in;
use crate::on_both_backends;
use crate::support::CATALOG_SEEDS as SEEDS;
use crate::support::{Backend, spawn_app, spawn_app_with};

on_both_backends!(admins_configure_sources_the_server_harvests_on_schedule);

async fn admins_configure_sources_the_server_harvests_on_schedule(backend: Backend) {
    let agency = spawn_app(backend, SEEDS).await;
    create_published(&agency, 0..12).await;
    let national = spawn_app_with(backend, SEEDS, |c| {
        c.base_uri = "https://national.example.gov.vn".into();
        c.harvest_tick = Duration::from_millis(300);
        c.harvest_private_sources = true;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let files_url = format!("http://{}", listener.local_addr().unwrap());
    let router =
        axum::Router::new().fallback_service(tower_http::services::ServeDir::new(dir.path()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let source = save_pages(&agency, dir.path(), &files_url, 5).await;

    // Only admins see the page.
    let mut publisher = signed_in(
        &national,
        json!({"name": "p", "role": "publisher", "agency": "G12"}),
    )
    .await;
    assert_eq!(publisher.get("/manage/sources").await.status, 403);
    let mut admin = signed_in(&national, json!({"name": "a", "role": "admin"})).await;
    let page = admin.get("/manage/sources").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("href=\"/manage/sources\""),
        "in the menu"
    );
    let csrf = admin.csrf("/manage/sources").await;

    // Refused input: the form again (422) naming each field, nothing stored.
    let r = admin
        .post(
            "/manage/sources",
            &[
                ("csrf", csrf.as_str()),
                ("url", "ftp://x"),
                ("kind", "sparql"),
                ("agency_map", r#"{"g12": "Z99"}"#),
                ("every", "1s"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    for field in ["url", "kind", "agencyMap", "every", "Z99"] {
        assert!(r.body.contains(field), "{field}: {}", r.body);
    }
    assert!(!r.body.contains("/manage/sources/runs/"), "{}", r.body);

    let r = admin
        .post(
            "/manage/sources",
            &[
                ("csrf", csrf.as_str()),
                ("url", source.as_str()),
                ("kind", "dcat"),
                ("agency_map", ""),
                ("every", "1h"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // The server runs it on its own, as its harvester, and records the run.
    let mut got = 0;
    for _ in 0..200 {
        got = published(&national).await.len();
        if got == 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(got, 12, "the scheduled harvest brought every dataset");
    let mut page = admin.get("/manage/sources").await;
    for _ in 0..50 {
        if page.body.contains("/manage/sources/runs/1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        page = admin.get("/manage/sources").await;
    }
    assert!(page.body.contains(source.as_str()), "{}", page.body);
    assert!(
        page.body.contains("/manage/sources/runs/1"),
        "{}",
        page.body
    );
    let run = admin.get("/manage/sources/runs/1").await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert!(run.body.contains("ds-0007"), "{}", run.body);
    assert_eq!(
        run.body.matches("<td>created</td>").count(),
        12,
        "{}",
        run.body
    );
    let d = national.get_json("/api/v1/datasets/ds-0007").await;
    let content = if d["content"].is_object() {
        &d["content"]
    } else {
        &d
    };
    assert_eq!(content["provenance"]["source"], source.as_str(), "{d}");
    assert_eq!(admin.get("/manage/sources/runs/99").await.status, 404);
}
