//! The catalog issue's JSON API checks, on both backends.
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app, spawn_app_with};

on_both_backends!(
    dataset_lifecycle_with_revisions_and_workflow,
    dataset_codes_are_checked_against_the_registry,
    files_are_content_addressed_and_old_releases_stay_downloadable,
);

use crate::support::CATALOG_SEEDS as SEEDS;

fn sample(publisher: &str) -> Value {
    json!({
        "title": {"vi": "Danh sách cơ sở y tế", "en": "Health facilities"},
        "description": {"vi": "Các cơ sở khám chữa bệnh đang hoạt động.", "en": "Active health facilities."},
        "publisher": publisher,
        "themes": ["health"],
        "keywords": {"vi": ["y tế", "bệnh viện"]},
        "frequency": "ANNUAL",
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "languages": ["vi"],
        "distributions": [{"id": "csv", "downloadUrl": "https://example.org/facilities.csv", "format": "CSV"}]
    })
}

async fn patch(app: &TestApp, token: &str, id: &str, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/api/v1/datasets/{id}")))
        .bearer_auth(token)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn dataset_lifecycle_with_revisions_and_workflow(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let publisher = app
        .token(json!({"name": "mof-pub", "role": "publisher", "agency": "000.00.00.G12"}))
        .await;
    let approver = app
        .token(json!({"name": "mof-appr", "role": "approver", "agency": "G12"}))
        .await;
    let other = app
        .token(json!({"name": "mps-pub", "role": "publisher", "agency": "G01"}))
        .await;

    let r = app
        .post_json("/api/v1/datasets", None, &sample("G12"))
        .await;
    assert_eq!(r.status(), 401);
    let r = app
        .post_json("/api/v1/datasets", Some(&other), &sample("G12"))
        .await;
    assert_eq!(r.status(), 403, "a publisher of G01 cannot create for G12");
    let r = app
        .post_json(
            "/api/v1/datasets",
            Some(&publisher),
            &sample("000.00.00.G12"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id, "danh-sach-co-so-y-te");
    assert_eq!(
        created["publisher"], "G12",
        "notations are stored as the agency's code"
    );
    assert_eq!(created["status"], "draft");
    assert_eq!(
        created["uri"],
        format!("https://data.example.gov.vn/dataset/{id}")
    );
    let first_saved = created["updatedAt"].as_str().unwrap().to_owned();

    // A draft is invisible to the public and to other agencies.
    assert_eq!(
        app.get(&format!("/api/v1/datasets/{id}")).await.status(),
        404
    );
    assert_eq!(
        patch(&app, &other, &id, json!({"title": {"vi": "X"}}))
            .await
            .status(),
        403
    );

    // A PATCH of the title makes revision 2, whose diff against revision 1 shows the title.
    let r = patch(
        &app,
        &publisher,
        &id,
        json!({"title": {"vi": "Danh sách cơ sở y tế 2025"}, "message": "năm 2025"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["currentRevision"], 2);
    assert_eq!(
        updated["title"]["en"], "Health facilities",
        "a merge patch keeps what it does not name"
    );
    let revs: Value = app
        .client
        .get(app.url(&format!("/api/v1/datasets/{id}/revisions")))
        .bearer_auth(&publisher)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revs["items"][1]["message"], "năm 2025");
    let diff: Value = app
        .client
        .get(app.url(&format!("/api/v1/datasets/{id}/revisions/1/diff/2")))
        .bearer_auth(&publisher)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(diff["changes"].as_array().unwrap().len(), 1, "{diff}");
    assert_eq!(diff["changes"][0]["field"], "title");
    assert_eq!(diff["changes"][0]["before"]["vi"], "Danh sách cơ sở y tế");
    let old: Value = app
        .client
        .get(app.url(&format!("/api/v1/datasets/{id}?asOf={first_saved}")))
        .bearer_auth(&publisher)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(old["title"]["vi"], "Danh sách cơ sở y tế");
    // A PATCH that changes nothing makes no revision; a bad one names its field and changes nothing.
    let r = patch(
        &app,
        &publisher,
        &id,
        json!({"title": {"vi": "Danh sách cơ sở y tế 2025"}}),
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["currentRevision"], 2);
    let r = patch(&app, &publisher, &id, json!({"themes": []})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["field"],
        "themes"
    );
    let r = patch(&app, &publisher, &id, json!({"themes": "health"})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["field"],
        "themes"
    );

    // Workflow: submit, the publisher cannot publish, the approver can.
    let path = |a: &str| format!("/api/v1/datasets/{id}/{a}");
    assert_eq!(
        app.post_json(&path("publish"), Some(&approver), &json!({}))
            .await
            .status(),
        409,
        "not submitted yet"
    );
    assert_eq!(
        app.post_json(&path("submit"), Some(&publisher), &json!({}))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post_json(&path("publish"), Some(&publisher), &json!({}))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_json(&path("return"), Some(&approver), &json!({}))
            .await
            .status(),
        422,
        "a reason is needed"
    );
    assert_eq!(
        app.post_json(
            &path("return"),
            Some(&approver),
            &json!({"reason": "thiếu mô tả"})
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.post_json(&path("submit"), Some(&publisher), &json!({}))
            .await
            .status(),
        200
    );
    let r = app
        .post_json(&path("publish"), Some(&approver), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["publishedRevision"], 2);
    let public = app.get_json(&format!("/api/v1/datasets/{id}")).await;
    assert_eq!(public["title"]["vi"], "Danh sách cơ sở y tế 2025");

    // Editing a published dataset keeps the public on the published revision.
    patch(
        &app,
        &publisher,
        &id,
        json!({"title": {"vi": "Bản nháp mới"}}),
    )
    .await;
    assert_eq!(
        app.get_json(&format!("/api/v1/datasets/{id}")).await["title"]["vi"],
        "Danh sách cơ sở y tế 2025"
    );
    let list = app.get_json("/api/v1/datasets").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
    let drafts: Value = app
        .client
        .get(app.url("/api/v1/datasets?status=draft"))
        .bearer_auth(&approver)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(drafts["total"], 1);
    assert_eq!(app.get("/api/v1/datasets?status=draft").await.status(), 401);

    // Withdrawal keeps the metadata behind a 410.
    assert_eq!(
        app.post_json(&path("withdraw"), Some(&publisher), &json!({"reason": "x"}))
            .await
            .status(),
        403
    );
    let r = app
        .post_json(
            &path("withdraw"),
            Some(&approver),
            &json!({"reason": "dữ liệu sai"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let gone = app.get(&format!("/api/v1/datasets/{id}")).await;
    assert_eq!(gone.status(), 410);
    let body: Value = gone.json().await.unwrap();
    assert_eq!(body["status"], "withdrawn");
    assert_eq!(body["statusReason"], "dữ liệu sai");
    assert_eq!(body["title"]["vi"], "Danh sách cơ sở y tế 2025");
    assert_eq!(app.get_json("/api/v1/datasets").await["total"], 0);
}

async fn dataset_codes_are_checked_against_the_registry(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let admin = crate::support::ADMIN_TOKEN;
    let cases = [
        (json!({"themes": ["no-such-theme"]}), "themes/0", "unknown"),
        (json!({"publisher": "G05"}), "publisher", "G12"),
        (json!({"licence": "WTFPL"}), "licence", "unknown"),
        (
            json!({"distributions": [{"id": "a", "downloadUrl": "https://x.org/a", "format": "NOPE"}]}),
            "distributions/0/format",
            "unknown",
        ),
        (
            json!({"title": {"vi": null, "en": "only English"}}),
            "title/vi",
            "required",
        ),
        (json!({"landingPage": "not a url"}), "landingPage", "IRI"),
        (
            json!({"distributions": [{"id": "a"}]}),
            "distributions/0/accessUrl",
            "needs",
        ),
    ];
    for (change, field, words) in cases {
        let mut body = sample("G12");
        json_patch::merge(&mut body, &change);
        let r = app.post_json("/api/v1/datasets", Some(admin), &body).await;
        assert_eq!(r.status(), 422, "{change}");
        let p: Value = r.json().await.unwrap();
        let hit = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == field && e["message"].as_str().unwrap().contains(words));
        assert!(hit, "{change}: {p}");
    }
    assert_eq!(app.get_json("/api/v1/datasets").await["total"], 0);
    // A dataset about 2024 may still name the Ministry of Planning and Investment, closed in 2025.
    let mut old = sample("G05");
    old["referenceDate"] = json!("2024-12-31");
    let r = app.post_json("/api/v1/datasets", Some(admin), &old).await;
    assert_eq!(r.status(), 201);
}

async fn upload(app: &TestApp, token: &str, id: &str, did: &str, body: &[u8]) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/datasets/{id}/distributions/{did}/file")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

async fn files_are_content_addressed_and_old_releases_stay_downloadable(backend: Backend) {
    let app = spawn_app_with(backend, SEEDS, |c| c.max_upload_bytes = 64 * 1024).await;
    let mut body = sample("G12");
    body["id"] = json!("facilities");
    body["distributions"] = json!([{"id": "csv", "format": "CSV", "title": {"vi": "Tệp CSV"}}]);
    let r = app
        .post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &body)
        .await;
    assert_eq!(
        r.status(),
        422,
        "a distribution without a file or URL is refused"
    );
    body["distributions"] =
        json!([{"id": "csv", "format": "CSV", "downloadUrl": "https://example.org/old.csv"}]);
    let r = app
        .post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &body)
        .await;
    assert_eq!(r.status(), 201);

    let v1 = "ma,ten\n01,Bệnh viện Bạch Mai\n02,Bệnh viện Chợ Rẫy\n".as_bytes();
    let r = upload(&app, ADMIN_TOKEN, "facilities", "csv", v1).await;
    assert_eq!(r.status(), 200);
    let up: Value = r.json().await.unwrap();
    assert_eq!(up["file"]["sha256"], sha256(v1));
    assert_eq!(up["file"]["byteSize"], v1.len());
    assert_eq!(up["dataset"]["distributions"][0]["fileSha256"], sha256(v1));
    assert_eq!(up["dataset"]["distributions"][0]["mediaType"], "text/csv");

    // Over the limit: 413 and nothing stored, the dataset unchanged.
    let big = vec![b'x'; 65 * 1024];
    let r = upload(&app, ADMIN_TOKEN, "facilities", "csv", &big).await;
    assert_eq!(r.status(), 413);
    let stored: Vec<_> = walk(&app.data_dir.join("files"));
    assert_eq!(stored.len(), 1, "only the first file is stored: {stored:?}");
    // An interrupted upload (the client promises 1000 bytes, sends 10 and hangs up) leaves no file behind.
    {
        use tokio::io::AsyncWriteExt;
        let addr = app.base.trim_start_matches("http://").to_owned();
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "PUT /api/v1/datasets/facilities/distributions/csv/file HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\n0123456789"
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.shutdown().await.unwrap();
        drop(socket);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let stored: Vec<_> = walk(&app.data_dir.join("files"));
        assert_eq!(stored.len(), 1, "no partial file: {stored:?}");
    }
    let current: Value = app
        .client
        .get(app.url("/api/v1/datasets/facilities"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["currentRevision"], 2);

    for action in ["submit", "publish"] {
        let r = app
            .post_json(
                &format!("/api/v1/datasets/facilities/{action}"),
                Some(ADMIN_TOKEN),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 200, "{action}");
    }
    let r = app
        .post_json(
            "/api/v1/datasets/facilities/releases",
            Some(ADMIN_TOKEN),
            &json!({"version": "2025.1", "notes": {"vi": "Bản đầu"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let release: Value = r.json().await.unwrap();
    assert_eq!(release["revision"], 2);

    // Public download: checksum, ETag, Range, preview.
    let url = "/dataset/facilities/distribution/csv/download";
    let r = app.get(url).await;
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", sha256(v1)));
    assert_eq!(r.bytes().await.unwrap().as_ref(), v1);
    let r = app
        .client
        .get(app.url(url))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = app
        .client
        .get(app.url(url))
        .header("range", "bytes=0-6")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &v1[..7]);
    let preview = app
        .get_json("/api/v1/datasets/facilities/distributions/csv/preview?rows=1")
        .await;
    assert_eq!(preview["columns"], json!(["ma", "ten"]));
    assert_eq!(preview["rows"], json!([["01", "Bệnh viện Bạch Mai"]]));
    assert_eq!(preview["truncated"], true);

    // A new file and a new publication; the released revision's file is still served with its checksum.
    let v2 = "ma,ten\n01,Bệnh viện Bạch Mai\n".as_bytes();
    assert_eq!(
        upload(&app, ADMIN_TOKEN, "facilities", "csv", v2)
            .await
            .status(),
        200
    );
    for action in ["submit", "publish"] {
        app.post_json(
            &format!("/api/v1/datasets/facilities/{action}"),
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    }
    assert_eq!(app.get(url).await.bytes().await.unwrap().as_ref(), v2);
    let old = app.get(&format!("{url}?revision=2")).await;
    assert_eq!(old.status(), 200);
    assert_eq!(
        old.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", sha256(v1))
    );
    assert_eq!(sha256(&old.bytes().await.unwrap()), sha256(v1));
    let releases = app.get_json("/api/v1/datasets/facilities/releases").await;
    assert_eq!(releases["items"][0]["version"], "2025.1");
    let dup = app
        .post_json(
            "/api/v1/datasets/facilities/releases",
            Some(ADMIN_TOKEN),
            &json!({"version": "2025.1"}),
        )
        .await;
    assert_eq!(dup.status(), 409, "versions are immutable");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The change feed lists every write in order, with a cursor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_feed_pages_in_commit_order() {
    let app = spawn_app(Backend::Sqlite, &["themes"]).await;
    let first = app.get_json("/api/v1/changes?limit=5").await;
    let seqs: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    let next = first["next"].as_str().unwrap();
    let second = app
        .get_json(&format!("/api/v1/changes?limit=5&cursor={next}"))
        .await;
    assert_eq!(second["items"][0]["seq"], 6);
    let head = first["head"].as_i64().unwrap();
    let tail = app
        .get_json(&format!("/api/v1/changes?cursor={head}"))
        .await;
    assert!(tail["items"].as_array().unwrap().is_empty());
    assert!(tail["next"].is_null());
    assert!(
        first["items"][0].get("actor").is_none(),
        "actors stay private"
    );
    assert_eq!(app.get("/api/v1/changes?limit=0").await.status(), 400);
}
