//! Issue 16: no lost update on datasets. Concurrent merge patches each apply to the base read inside the write
//! transaction; the dataset's `ETag` names its revision and a stale `If-Match` is refused with 412, on both backends.
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, CATALOG_SEEDS, TestApp, spawn_app};

on_both_backends!(
    issue16_concurrent_patches_lose_nothing,
    issue16_stale_if_match_on_workflow_gets_412,
);

fn sample() -> Value {
    json!({
        "id": "co-so-y-te",
        "title": {"vi": "Danh sách cơ sở y tế"},
        "description": {"vi": "Các cơ sở khám chữa bệnh."},
        "publisher": "G12",
        "themes": ["health"],
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "languages": ["vi"]
    })
}

async fn patch(
    app: &TestApp,
    token: &str,
    body: Value,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .patch(app.url("/api/v1/datasets/co-so-y-te"))
        .bearer_auth(token)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string());
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.unwrap()
}

async fn current(app: &TestApp, token: &str) -> (String, Value) {
    let r = app
        .client
        .get(app.url("/api/v1/datasets/co-so-y-te"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tag = r.headers()["etag"].to_str().unwrap().to_owned();
    (tag, r.json().await.unwrap())
}

async fn setup(backend: Backend) -> (TestApp, String, String) {
    let app = spawn_app(backend, CATALOG_SEEDS).await;
    let publisher = app
        .token(json!({"name": "p", "role": "publisher", "agency": "G12"}))
        .await;
    let approver = app
        .token(json!({"name": "a", "role": "approver", "agency": "G12"}))
        .await;
    let r = app
        .post_json("/api/v1/datasets", Some(&publisher), &sample())
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    (app, publisher, approver)
}

async fn issue16_concurrent_patches_lose_nothing(backend: Backend) {
    let (app, publisher, _) = setup(backend).await;
    let (tag, record) = current(&app, &publisher).await;
    assert!(tag.starts_with("\"r1-"), "the ETag names revision 1: {tag}");
    assert_eq!(record["currentRevision"], 1);

    // Without If-Match: each edit is merged into the revision current inside the write transaction.
    for i in 0..20 {
        let keywords = json!({"keywords": {"vi": [format!("từ khóa {i}")]}});
        let description = json!({"description": {"vi": format!("Mô tả {i}")}});
        let (a, b) = tokio::join!(
            patch(&app, &publisher, keywords, None),
            patch(&app, &publisher, description, None)
        );
        assert_eq!(a.status(), 200, "{}", a.text().await.unwrap());
        assert_eq!(b.status(), 200, "{}", b.text().await.unwrap());
        let (_, now) = current(&app, &publisher).await;
        assert_eq!(
            now["keywords"]["vi"],
            json!([format!("từ khóa {i}")]),
            "pair {i}: keywords lost"
        );
        assert_eq!(
            now["description"]["vi"],
            format!("Mô tả {i}"),
            "pair {i}: description lost"
        );
    }
    let (_, now) = current(&app, &publisher).await;
    assert_eq!(now["currentRevision"], 41, "every edit is its own revision");

    // With the same If-Match: exactly one of the two wins, the other is told its base is stale.
    for i in 0..20 {
        let (tag, before) = current(&app, &publisher).await;
        let keywords = json!({"keywords": {"vi": [format!("khóa {i}")]}});
        let description = json!({"description": {"vi": format!("Mô tả mới {i}")}});
        let (a, b) = tokio::join!(
            patch(&app, &publisher, keywords, Some(&tag)),
            patch(&app, &publisher, description, Some(&tag))
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412], "pair {i}");
        let (loser, keywords_won) = if a.status() == 412 {
            (a, false)
        } else {
            (b, true)
        };
        assert_eq!(loser.headers()["content-type"], "application/problem+json");
        let problem: Value = loser.json().await.unwrap();
        assert_eq!(problem["code"], "stale-revision");
        let (_, after) = current(&app, &publisher).await;
        assert_eq!(
            after["currentRevision"],
            before["currentRevision"].as_i64().unwrap() + 1,
            "pair {i}: one revision only"
        );
        if keywords_won {
            assert_eq!(after["keywords"]["vi"], json!([format!("khóa {i}")]));
            assert_eq!(after["description"], before["description"]);
        } else {
            assert_eq!(after["description"]["vi"], format!("Mô tả mới {i}"));
            assert_eq!(after["keywords"], before["keywords"]);
        }
    }

    // The answer of a write carries the new tag, which a following write can name.
    let (tag, _) = current(&app, &publisher).await;
    let r = patch(
        &app,
        &publisher,
        json!({"title": {"en": "Health"}}),
        Some(&tag),
    )
    .await;
    assert_eq!(r.status(), 200);
    let next = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(next, tag);
    let r = patch(
        &app,
        &publisher,
        json!({"title": {"en": "Health facilities"}}),
        Some(&next),
    )
    .await;
    assert_eq!(r.status(), 200);
    // A tag that names no revision of ours never matches; `*` always does.
    let r = patch(
        &app,
        &publisher,
        json!({"title": {"en": "X"}}),
        Some("W/\"r1-abc\""),
    )
    .await;
    assert_eq!(r.status(), 412);
    let r = patch(&app, &publisher, json!({"title": {"en": "Y"}}), Some("*")).await;
    assert_eq!(r.status(), 200);
    // A conditional read with the dataset's own tag is answered 304.
    let (tag, _) = current(&app, &publisher).await;
    let r = app
        .client
        .get(app.url("/api/v1/datasets/co-so-y-te"))
        .bearer_auth(&publisher)
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
}

async fn post(
    app: &TestApp,
    token: &str,
    action: &str,
    if_match: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/datasets/co-so-y-te/{action}")))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.unwrap()
}

async fn issue16_stale_if_match_on_workflow_gets_412(backend: Backend) {
    let (app, publisher, approver) = setup(backend).await;
    let (seen, _) = current(&app, &publisher).await;
    assert_eq!(
        patch(&app, &publisher, json!({"title": {"en": "Health"}}), None)
            .await
            .status(),
        200
    );
    // Submitting the revision seen before the edit: refused, nothing moves.
    let r = post(&app, &publisher, "submit", Some(&seen), json!({})).await;
    assert_eq!(r.status(), 412);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "stale-revision");
    let (fresh, record) = current(&app, &publisher).await;
    assert_eq!(record["status"], "draft");
    let r = post(&app, &publisher, "submit", Some(&fresh), json!({})).await;
    assert_eq!(r.status(), 200);
    let reviewed = r.headers()["etag"].to_str().unwrap().to_owned();

    // The publisher edits and submits again while the approver looks at the older revision.
    assert_eq!(
        patch(
            &app,
            &publisher,
            json!({"description": {"vi": "Đã sửa"}}),
            None
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        post(&app, &publisher, "submit", None, json!({}))
            .await
            .status(),
        200
    );
    for (action, body) in [
        ("publish", json!({})),
        ("return", json!({"reason": "thiếu mô tả"})),
    ] {
        let r = post(&app, &approver, action, Some(&reviewed), body).await;
        assert_eq!(r.status(), 412, "{action} of a revision not reviewed");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    let (tag, record) = current(&app, &approver).await;
    assert_eq!(record["status"], "submitted");
    assert!(record.get("publishedRevision").is_none());
    let r = post(&app, &approver, "publish", Some(&tag), json!({})).await;
    assert_eq!(r.status(), 200);
    let (published, record) = current(&app, &approver).await;
    assert_eq!(record["publishedRevision"], record["currentRevision"]);
    // Withdraw: stale refused, current accepted; and without If-Match it works as before.
    assert_eq!(
        patch(&app, &publisher, json!({"title": {"en": "Health 2"}}), None)
            .await
            .status(),
        200
    );
    let reason = json!({"reason": "sai dữ liệu"});
    assert_eq!(
        post(
            &app,
            &approver,
            "withdraw",
            Some(&published),
            reason.clone()
        )
        .await
        .status(),
        412
    );
    assert_eq!(
        post(&app, &approver, "withdraw", None, reason)
            .await
            .status(),
        200
    );
}
