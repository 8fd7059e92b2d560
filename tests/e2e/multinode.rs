//! Two `opendata serve` nodes on one PostgreSQL database, each with its own projections fed from the shared change
//! log: a write through node A is visible in search and SPARQL on node B within 2 seconds.
use serde_json::json;

use crate::support::{ADMIN_TOKEN, Backend, spawn_app, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_one_node_reaches_the_other_within_two_seconds() {
    let a = spawn_app(Backend::Postgres, &["agencies", "themes", "licences"]).await;
    let url = a.database_url.clone().expect("a PostgreSQL node");
    let b = spawn_app_with(Backend::Postgres, &[], |c| {
        c.database_url = Some(url.clone())
    })
    .await;
    assert_ne!(a.base, b.base);
    let body = json!({
        "id": "shared-write", "title": {"vi": "Dữ liệu chia sẻ giữa hai nút"}, "description": {"vi": "Ghi qua nút A."},
        "publisher": "G12", "themes": ["health"], "distributions": [{"id": "web", "accessUrl": "https://example.org/x"}]
    });
    assert_eq!(
        a.post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &body)
            .await
            .status(),
        201
    );
    for action in ["submit", "publish"] {
        let r = a
            .post_json(
                &format!("/api/v1/datasets/shared-write/{action}"),
                Some(ADMIN_TOKEN),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let started = std::time::Instant::now();
    let sparql = "SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> . FILTER(STRENDS(STR(?d), '/dataset/shared-write')) }";
    let (mut in_search, mut in_sparql) = (false, false);
    while !(in_search && in_sparql) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "search {in_search}, SPARQL {in_sparql} after 2 s"
        );
        if !in_search {
            let r = b.get_json("/api/v1/search?q=chia%20se").await;
            in_search = r["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == "shared-write");
        }
        if !in_sparql {
            let r: serde_json::Value = b
                .client
                .get(b.url("/sparql"))
                .query(&[("query", sparql)])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            in_sparql = r["results"]["bindings"][0]["n"]["value"] == "1";
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    eprintln!(
        "visible on node B after {} ms",
        started.elapsed().as_millis()
    );
    // And the other way round, for the registry: a code-list change through B is served by A. Node A has rendered
    // the item (and the labels of the CKAN package) before the change; it keeps renderings only while the change
    // log shows no code-list change, so the new label reaches it too (issue 15: the rendered-item cache).
    let path = "/api/v1/registry/lists/themes/items/health";
    let before = a.get_json(path).await["labels"]["vi"].clone();
    let package = "/api/3/action/package_show?id=shared-write";
    assert_eq!(
        a.get_json(package).await["result"]["groups"][0]["title"],
        before
    );
    let change = json!({"reason": "r", "changes": [{"op": "modify", "code": "health", "set": {"labels": {"vi": "Sức khỏe cộng đồng"}}}]});
    let steward = b
        .token(json!({"name": "alice", "role": "steward", "lists": ["*"]}))
        .await;
    let r = b
        .post_json(
            "/api/v1/registry/lists/themes/change-requests",
            Some(&steward),
            &change,
        )
        .await;
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"].clone();
    let item = a
        .get_json("/api/v1/registry/lists/themes/change-requests")
        .await;
    assert_eq!(item["items"].as_array().unwrap().len(), 1);
    let r = b
        .post_json(
            &format!("/api/v1/registry/lists/themes/change-requests/{id}/approve"),
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Node B made the change: it serves the new label at once.
    assert_eq!(b.get_json(path).await["labels"]["vi"], "Sức khỏe cộng đồng");
    let started = std::time::Instant::now();
    loop {
        let label = a.get_json(path).await["labels"]["vi"].clone();
        let group = a.get_json(package).await["result"]["groups"][0]["title"].clone();
        if label == "Sức khỏe cộng đồng" && group == "Sức khỏe cộng đồng" {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "node A still serves {label} / {group} for the changed theme"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
