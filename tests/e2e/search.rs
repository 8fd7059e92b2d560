//! Search over the seed catalog, on both backends: Vietnamese folding, facets that count right, filters, sorting,
//! paging, and a write searchable within a second.
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app_with};

on_both_backends!(search_folds_vietnamese_and_counts_facets_right);

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn search(app: &TestApp, query: &str) -> Value {
    app.get_json(&format!("/api/v1/search?{query}")).await
}

async fn search_folds_vietnamese_and_counts_facets_right(backend: Backend) {
    let app = spawn_app_with(backend, &[], |c| c.seed = opendata::app::Seed::All).await;
    let total = app.get_json("/api/v1/datasets").await["total"]
        .as_i64()
        .unwrap();
    let all = search(&app, "").await;
    assert_eq!(all["total"].as_i64().unwrap(), total);

    // Without diacritics, and with d for đ.
    let r = search(&app, "q=don%20vi%20hanh%20chinh").await;
    let top: Vec<String> = ids(&r).into_iter().take(3).collect();
    assert!(
        top.iter().any(|id| id.starts_with("administrative-units")),
        "top three: {top:?}"
    );
    let r = search(&app, "q=dan%20toc").await;
    assert_eq!(ids(&r)[0], "ethnic-groups");
    // With diacritics: the same datasets, exact matches first.
    let exact = search(&app, "q=d%C3%A2n%20t%E1%BB%99c").await;
    assert_eq!(ids(&exact)[0], "ethnic-groups");
    // A typo in a longer word still finds it.
    let typo = search(&app, "q=holidyas").await;
    assert!(ids(&typo).contains(&"public-holidays".to_owned()), "{typo}");
    // Snippets are escaped HTML with the matched words in <b>.
    let snippet = r["items"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<b>"), "{snippet}");

    // Every facet count equals the total when filtering by that value; filters combine.
    for facet in [
        "theme",
        "publisher",
        "format",
        "licence",
        "province",
        "accessRight",
        "year",
    ] {
        let counts = all["facets"][facet].as_array().unwrap().clone();
        assert!(
            !counts.is_empty() || facet == "province",
            "facet {facet} has no values"
        );
        for c in counts.iter().take(4) {
            let value = c["value"].as_str().unwrap();
            let filtered = search(&app, &format!("{facet}={value}")).await;
            assert_eq!(filtered["total"], c["count"], "{facet}={value}");
        }
    }
    let localities = search(&app, "theme=localities").await["total"]
        .as_i64()
        .unwrap();
    let both = search(&app, "theme=localities&publisher=G12").await;
    assert!(both["total"].as_i64().unwrap() <= localities);
    assert!(
        ids(&both)
            .iter()
            .all(|id| id.starts_with("administrative-units")),
        "{both}"
    );
    let either = search(&app, "theme=labour&theme=finance").await["total"]
        .as_i64()
        .unwrap();
    assert!(either >= 2, "values of one facet are OR-ed");

    // Sorting and paging.
    let by_title = search(&app, "sort=title&limit=100").await;
    let titles: Vec<String> = by_title["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| registry::text::fold(i["title"]["vi"].as_str().unwrap()))
        .collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted);
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = search(&app, &format!("sort=modified&limit=4{cursor}")).await;
        seen.extend(ids(&page));
        match page["next"].as_str() {
            Some(n) => cursor = format!("&cursor={n}"),
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, total);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len() as i64, total, "pages do not overlap");

    // Bad parameters are named.
    for (q, field) in [
        ("limit=0", "limit"),
        ("sort=best", "sort"),
        ("colour=red", "colour"),
        ("cursor=-1", "cursor"),
    ] {
        let r = app.get(&format!("/api/v1/search?{q}")).await;
        assert_eq!(r.status(), 400, "{q}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], field);
    }

    // A new publication is searchable within a second.
    let body = json!({
        "id": "air-quality", "title": {"vi": "Chất lượng không khí Hà Nội"}, "description": {"vi": "Chỉ số AQI theo giờ."},
        "publisher": "G12", "themes": ["environment"], "distributions": [{"id": "web", "accessUrl": "https://example.org/aqi"}]
    });
    assert_eq!(
        app.post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &body)
            .await
            .status(),
        201
    );
    for action in ["submit", "publish"] {
        app.post_json(
            &format!("/api/v1/datasets/air-quality/{action}"),
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    }
    let started = std::time::Instant::now();
    loop {
        if ids(&search(&app, "q=khong%20khi").await).contains(&"air-quality".to_owned()) {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "not searchable within a second"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}
