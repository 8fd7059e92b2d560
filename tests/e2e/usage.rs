//! Usage metrics (issue 5): page views, downloads and API calls per dataset and day, counted from real requests
//! (browser pages, downloads with and without a resumed range, the JSON, data and CKAN APIs), nothing counted for
//! failures or unknown ids, the chart on the dataset page, and the counts flushed to SQL so that a second node on the
//! same store sees them.
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app, spawn_app_with};

on_both_backends!(usage_counts_views_downloads_and_api_calls);

use crate::support::CATALOG_SEEDS as SEEDS;

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async fn published_dataset(app: &TestApp) {
    let dataset = json!({
        "id": "air-quality", "title": {"vi": "Chất lượng không khí", "en": "Air quality"},
        "description": {"vi": "Chỉ số chất lượng không khí theo trạm."},
        "publisher": "G12", "themes": ["environment"],
        "distributions": [{"id": "csv", "format": "CSV", "downloadUrl": "https://example.org/aq.csv"}]
    });
    let r = app
        .post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &dataset)
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .client
        .put(app.url("/api/v1/datasets/air-quality/distributions/csv/file"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body("station,aqi\nHN01,42\nHN02,57\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for action in ["submit", "publish"] {
        let r = app
            .post_json(
                &format!("/api/v1/datasets/air-quality/{action}"),
                Some(ADMIN_TOKEN),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 200, "{action}");
    }
}

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> u16 {
    let mut req = app.client.get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap().status().as_u16()
}

fn today_of(report: &Value) -> (u64, u64, u64) {
    let day = report["days"].as_array().unwrap().last().unwrap();
    (
        day["views"].as_u64().unwrap(),
        day["downloads"].as_u64().unwrap(),
        day["apiCalls"].as_u64().unwrap(),
    )
}

async fn usage_counts_views_downloads_and_api_calls(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    published_dataset(&app).await;
    let before = app.get_json("/api/v1/datasets/air-quality/usage").await;
    assert_eq!(today_of(&before), (0, 0, 0), "{before}");

    // Two page views in a browser.
    for _ in 0..2 {
        assert_eq!(
            get_with(&app, "/dataset/air-quality", &[("accept", BROWSER)]).await,
            200
        );
    }
    // Two downloads (one through each URL), a resumed range that is the same download, and a first range that is not.
    let dl = "/dataset/air-quality/distribution/csv/download";
    assert_eq!(get_with(&app, dl, &[]).await, 200);
    assert_eq!(
        get_with(
            &app,
            "/api/v1/datasets/air-quality/distributions/csv/download",
            &[]
        )
        .await,
        200
    );
    assert_eq!(get_with(&app, dl, &[("range", "bytes=5-")]).await, 206);
    assert_eq!(get_with(&app, dl, &[("range", "bytes=0-3")]).await, 206);
    // API calls: the JSON record, the DCAT description, the data API and CKAN's package_show (POST, as ckanapi does).
    assert_eq!(
        get_with(&app, "/api/v1/datasets/air-quality", &[]).await,
        200
    );
    assert_eq!(
        get_with(&app, "/dataset/air-quality", &[("accept", "text/turtle")]).await,
        200
    );
    assert_eq!(
        get_with(&app, "/api/v1/data/air-quality/csv?limit=1", &[]).await,
        200
    );
    let r = app
        .post_json(
            "/api/3/action/package_show",
            None,
            &json!({"id": "air-quality"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Nothing counts for failures, unknown ids, or reading the usage itself.
    assert_eq!(
        get_with(&app, "/api/v1/datasets/no-such-dataset", &[]).await,
        404
    );
    assert_eq!(
        get_with(&app, "/api/v1/data/air-quality/csv?nosuchcolumn=1", &[]).await / 100,
        4
    );
    assert_eq!(
        get_with(&app, "/api/v1/datasets/air-quality/usage", &[]).await,
        200
    );
    assert_eq!(
        get_with(&app, "/api/v1/datasets/no-such-dataset/usage", &[]).await,
        404
    );

    let report = app.get_json("/api/v1/datasets/air-quality/usage").await;
    assert_eq!(today_of(&report), (2, 3, 4), "{report}");
    assert_eq!(report["days"].as_array().unwrap().len(), 30);
    assert_eq!(report["totals"]["downloads"], 3);
    // No personal data in the answer: counts and days only.
    let day = report["days"][29].as_object().unwrap();
    let mut keys: Vec<&str> = day.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["apiCalls", "day", "downloads", "views"]);

    // A span is validated.
    let r = app
        .get("/api/v1/datasets/air-quality/usage?from=2026-01-02&to=2026-01-01")
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .get("/api/v1/datasets/air-quality/usage?from=2020-01-01&to=2026-01-01")
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .get("/api/v1/datasets/air-quality/usage?from=yesterday")
        .await;
    assert_eq!(r.status(), 400);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "from", "{p}");

    // The page shows the totals and a chart with one bar group per day.
    let page = app
        .client
        .get(app.url("/dataset/air-quality?lang=en"))
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap();
    assert!(
        page.headers().get("etag").is_none(),
        "pages with live counts are not tagged"
    );
    let html = page.text().await.unwrap();
    // Rendered before its own view is counted.
    assert!(html.contains("Page views: <strong>2</strong>"), "{html}");
    assert!(html.contains("Downloads: <strong>3</strong>"));
    assert_eq!(html.matches("<rect class=\"bar-views\"").count(), 30);

    // The counts reach SQL within a flush interval: a second node on the same store, which has no counts of its own,
    // sees them.
    let database_url = match backend {
        Backend::Postgres => app.database_url.clone().unwrap(),
        Backend::Sqlite => format!("sqlite://{}", app.data_dir.join("opendata.db").display()),
    };
    let other = spawn_app_with(backend, &[], |c| c.database_url = Some(database_url)).await;
    let started = Instant::now();
    loop {
        let report = other.get_json("/api/v1/datasets/air-quality/usage").await;
        // The other node's own read of the usage does not count; the page view of the check above does.
        if today_of(&report) == (3, 3, 4) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not flushed: {report}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
