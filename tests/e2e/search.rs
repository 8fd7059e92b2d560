//! Search over the seed catalog, on both backends: Vietnamese folding, facets that count right, filters, sorting,
//! paging, and a write searchable within a second; and the help a person at the search box gets (issue 21): synonyms
//! from the steward's list (a change applies without reindexing), the any-word fallback, "did you mean", code items
//! beside the datasets with their validity, and suggestions as one types.
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app_with};

on_both_backends!(
    search_folds_vietnamese_and_counts_facets_right,
    search_box_finds_codes_synonyms_and_what_was_meant
);

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

fn encoded(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

async fn search_box_finds_codes_synonyms_and_what_was_meant(backend: Backend) {
    let app = spawn_app_with(backend, &[], |c| c.seed = opendata::app::Seed::All).await;

    // The phrase everyone used for the 2025 mergers, although the title says "sắp xếp, hợp nhất": synonyms.
    let r = search(&app, "q=sap%20nhap%20tinh").await;
    assert_eq!(ids(&r)[0], "province-mergers-2025", "{r}");
    assert_eq!(r["relaxed"], false);
    assert!(
        r["synonyms"][0]
            .as_str()
            .unwrap()
            .starts_with("sap nhap → "),
        "{r}"
    );
    // Titles are named as the dataset API names them.
    let hit = &r["items"][0];
    assert!(
        hit["title"]["vi"].as_str().unwrap().contains("hợp nhất"),
        "{hit}"
    );
    assert!(hit.get("titleVi").is_none() && hit.get("titleEn").is_none());

    // Code items beside the datasets: a valid province, and a closed one with its successor.
    let r = search(&app, &format!("q={}", encoded("Đà Nẵng"))).await;
    assert_eq!(r["codes"][0]["list"], "administrative-units", "{r}");
    assert_eq!(r["codes"][0]["code"], "48");
    assert_eq!(r["codes"][0]["status"], "valid");
    let r = search(&app, "q=tinh%20quang%20nam").await;
    let closed = r["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "49")
        .unwrap_or_else(|| panic!("no code 49 in {r}"));
    assert_eq!(closed["status"], "superseded");
    assert_eq!(closed["validTo"], "2025-07-01");
    assert_eq!(closed["successors"][0]["code"], "48");
    assert_eq!(closed["successors"][0]["label"]["vi"], "Thành phố Đà Nẵng");
    // Codes only beside the first page.
    let r = search(&app, "q=da%20nang&cursor=20").await;
    assert_eq!(r["codes"], json!([]));

    // No dataset has every word: any of them, most words first, and said so.
    let r = search(&app, "q=dan%20toc%20zzyzx").await;
    assert_eq!(r["relaxed"], true, "{r}");
    assert_eq!(ids(&r)[0], "ethnic-groups");
    // A word the index has never seen: the closest it has.
    let r = search(&app, "q=ngan%20hnag").await;
    assert_eq!(r["didYouMean"], "ngan hang", "{r}");
    assert_eq!(
        search(&app, "q=ngan%20hang").await["didYouMean"],
        Value::Null
    );

    // Suggestions as one types: the last word is the start of a word.
    let s = app
        .get_json(&format!("/api/v1/search/suggest?q={}", encoded("Đà Nẵ")))
        .await;
    assert!(
        s["codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "48"),
        "{s}"
    );
    let s = app.get_json("/api/v1/search/suggest?q=ethnic%20gr").await;
    assert_eq!(s["datasets"][0]["id"], "ethnic-groups", "{s}");
    assert_eq!(
        s["datasets"][0]["title"]["en"],
        "The 54 ethnic groups of Viet Nam"
    );
    for (q, field) in [
        ("", "q"),
        ("q=a&limit=0", "limit"),
        ("q=a&colour=red", "colour"),
    ] {
        let r = app.get(&format!("/api/v1/search/suggest?{q}")).await;
        assert_eq!(r.status(), 400, "{q}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], field, "{q}");
    }

    // A query is bounded.
    let r = app
        .get(&format!("/api/v1/search?q={}", "a".repeat(501)))
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "q");

    // A steward's new synonym group applies at once, without reindexing.
    assert_eq!(search(&app, "q=minorities").await["total"], 0);
    let steward = app
        .token(json!({"name": "lan", "role": "steward", "lists": ["search-synonyms"]}))
        .await;
    let path = "/api/v1/registry/lists/search-synonyms/change-requests";
    let proposal = json!({
        "reason": "People search for minorities",
        "changes": [{"op": "add", "item": {"code": "minority", "labels": {"vi": "dân tộc thiểu số", "en": "ethnic minorities"}, "attributes": {"terms": "minorities|dân tộc"}}}]
    });
    let r = app.post_json(path, Some(&steward), &proposal).await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = app
        .post_json(
            &format!("{path}/{id}/approve"),
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let started = std::time::Instant::now();
    loop {
        let r = search(&app, "q=minorities").await;
        if ids(&r).first().map(String::as_str) == Some("ethnic-groups") {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the new synonym is not applied: {r}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
