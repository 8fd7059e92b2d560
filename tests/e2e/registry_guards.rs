//! Issue 16 (registry part): a change request is approved against the items its author saw. When another approved
//! request changed one of its items in between, approving it is refused naming the code, and nothing changes.
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, TestApp, spawn_app};

on_both_backends!(issue16_approving_a_request_whose_items_changed_since_is_refused,);

async fn propose(app: &TestApp, token: &str, reason: &str, changes: Value) -> i64 {
    let r = app
        .post_json(
            "/api/v1/registry/lists/themes/change-requests",
            Some(token),
            &json!({"reason": reason, "changes": changes}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    body["id"].as_i64().unwrap()
}

async fn approve(app: &TestApp, token: &str, id: i64) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/registry/lists/themes/change-requests/{id}/approve"),
        Some(token),
        &json!({}),
    )
    .await
}

async fn issue16_approving_a_request_whose_items_changed_since_is_refused(backend: Backend) {
    let app = spawn_app(backend, &["themes"]).await;
    let anna = app
        .token(json!({"name": "anna", "role": "steward", "lists": ["themes"]}))
        .await;
    let binh = app
        .token(json!({"name": "binh", "role": "steward", "lists": ["themes"]}))
        .await;
    // Two stewards propose, each from the list as it is now: one renames `health`, the other rewords it.
    let first = propose(
        &app,
        &anna,
        "Tên ngắn hơn",
        json!([{"op": "modify", "code": "health", "set": {"labels": {"vi": "Y tế"}}}]),
    )
    .await;
    let unrelated = propose(
        &app,
        &anna,
        "Thêm chủ đề",
        json!([{"op": "add", "item": {"code": "space", "labels": {"vi": "Vũ trụ", "en": "Space"}}}]),
    )
    .await;
    let second = propose(
        &app,
        &binh,
        "Tên đầy đủ",
        json!([{"op": "modify", "code": "health", "set": {"labels": {"vi": "Y tế và sức khỏe"}}}]),
    )
    .await;
    // The second is approved first.
    assert_eq!(approve(&app, &anna, second).await.status(), 200);
    let before = app
        .get_json("/api/v1/registry/lists/themes/items/health")
        .await;
    assert_eq!(before["labels"]["vi"], "Y tế và sức khỏe");

    // The first was written against the old `health`: approving it now would overwrite the newer label unseen.
    let r = approve(&app, &binh, first).await;
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("health"), "the code is named: {problem}");
    assert!(detail.contains("after it was proposed"), "{problem}");
    let after = app
        .get_json("/api/v1/registry/lists/themes/items/health")
        .await;
    assert_eq!(after, before, "nothing changed");
    let request = app
        .get_json(&format!(
            "/api/v1/registry/lists/themes/change-requests/{first}"
        ))
        .await;
    assert_eq!(
        request["status"], "proposed",
        "still open, to reject or redo"
    );

    // A request whose items nobody touched is still approved.
    assert_eq!(approve(&app, &binh, unrelated).await.status(), 200);
    let space = app
        .get_json("/api/v1/registry/lists/themes/items/space")
        .await;
    assert_eq!(space["labels"]["vi"], "Vũ trụ");
}
