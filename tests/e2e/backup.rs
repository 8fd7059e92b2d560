//! Backup and restore round trip, on both backends: an online backup of a running server, restored into a new store,
//! serves the same lists, items, datasets, revisions, files and audit chain.
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, fresh_pg_database, spawn_app, spawn_app_with};

on_both_backends!(backup_and_restore_round_trip);

use crate::support::CATALOG_SEEDS as SEEDS;

async fn fingerprint(app: &TestApp) -> Value {
    let mut lists = Vec::new();
    for list in app.get_json("/api/v1/registry/lists").await["items"]
        .as_array()
        .unwrap()
    {
        let id = list["id"].as_str().unwrap();
        let csv = app
            .get(&format!("/api/v1/registry/lists/{id}?format=csv"))
            .await
            .text()
            .await
            .unwrap();
        let releases = app
            .get_json(&format!("/api/v1/registry/lists/{id}/releases"))
            .await;
        let manifests: Vec<Value> = releases["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["manifestSha256"].clone())
            .collect();
        lists.push(json!({ "id": id, "csv": csv, "manifests": manifests }));
    }
    let mut datasets = Vec::new();
    for d in app.get_json("/api/v1/datasets?limit=1000").await["items"]
        .as_array()
        .unwrap()
    {
        let id = d["id"].as_str().unwrap();
        let revisions: Value = app
            .client
            .get(app.url(&format!("/api/v1/datasets/{id}/revisions")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut files = Vec::new();
        for dist in d["distributions"].as_array().unwrap() {
            if dist["fileSha256"].is_string() {
                let bytes = app
                    .get(&format!(
                        "/dataset/{id}/distribution/{}/download",
                        dist["id"].as_str().unwrap()
                    ))
                    .await
                    .bytes()
                    .await
                    .unwrap();
                use sha2::Digest;
                files.push(hex::encode(sha2::Sha256::digest(&bytes)));
            }
        }
        datasets.push(json!({ "record": d, "revisions": revisions, "files": files }));
    }
    let head = app.get_json("/api/v1/changes?limit=1").await["head"].clone();
    json!({ "lists": lists, "datasets": datasets, "head": head })
}

fn run(args: &[&str], dir: &std::path::Path, url: Option<&str>) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_opendata"));
    cmd.args(args).arg("--data-dir").arg(dir);
    if let Some(u) = url {
        cmd.args(["--database-url", u]);
    }
    cmd.output().unwrap()
}

async fn backup_and_restore_round_trip(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let body = json!({
        "id": "facilities", "title": {"vi": "Cơ sở y tế"}, "description": {"vi": "Danh sách."},
        "publisher": "G12", "themes": ["health"],
        "distributions": [{"id": "csv", "format": "CSV", "downloadUrl": "https://example.org/f.csv"}]
    });
    assert_eq!(
        app.post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &body)
            .await
            .status(),
        201
    );
    let r = app
        .client
        .put(app.url("/api/v1/datasets/facilities/distributions/csv/file"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body("ma,ten\n01,Bạch Mai\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for action in ["submit", "publish"] {
        app.post_json(
            &format!("/api/v1/datasets/facilities/{action}"),
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    }
    let before = fingerprint(&app).await;

    // Online: the server keeps running while the backup is taken.
    let file = app.data_dir.join("backup.tar");
    let (dir, url, file2) = (app.data_dir.clone(), app.database_url.clone(), file.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(
            &["backup", "--to", file2.to_str().unwrap()],
            &dir,
            url.as_deref(),
        )
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let restored_dir = tempfile::tempdir().unwrap();
    let target = restored_dir.path().join("data");
    let restored_url = match backend {
        Backend::Postgres => Some(fresh_pg_database().await),
        Backend::Sqlite => None,
    };
    let (t, u, f) = (target.clone(), restored_url.clone(), file.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(
            &["restore", "--from", f.to_str().unwrap()],
            &t,
            u.as_deref(),
        )
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("change log verified"));
    // Restoring over an existing store is refused.
    let (t, u, f) = (target.clone(), restored_url.clone(), file.clone());
    let again = tokio::task::spawn_blocking(move || {
        run(
            &["restore", "--from", f.to_str().unwrap()],
            &t,
            u.as_deref(),
        )
    })
    .await
    .unwrap();
    assert!(!again.status.success());

    let copy = spawn_app_with(backend, &[], |c| {
        c.data_dir = target.clone();
        c.database_url = restored_url.clone();
    })
    .await;
    let after = fingerprint(&copy).await;
    assert_eq!(before["head"], after["head"]);
    assert_eq!(before["lists"], after["lists"]);
    assert_eq!(before["datasets"], after["datasets"]);
    // The restored copy searches and answers SPARQL after rebuilding its projections.
    let found = copy.get_json("/api/v1/search?q=co%20so%20y%20te").await;
    assert_eq!(found["items"][0]["id"], "facilities");
}
