//! The whole-catalog dump for harvesters (`/catalog/dump.nt.gz`), on both backends: it appears on its own after start,
//! holds exactly the published datasets, conforms to DCAT-AP, is named by its sha256 (`ETag`, `Digest`, 304), resumes
//! with `Range`, and follows a change.
use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::Digest;

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, CATALOG_SEEDS, TestApp, spawn_app};

on_both_backends!(the_dump_is_the_published_catalog_and_follows_changes);

fn dataset(id: &str) -> Value {
    json!({
        "id": id,
        "title": {"vi": format!("Tập dữ liệu {id}"), "en": format!("Dataset {id}")},
        "description": {"vi": "Mô tả.", "en": "Description."},
        "publisher": "G12",
        "themes": ["health"],
        "keywords": {"vi": ["thử"]},
        "frequency": "ANNUAL",
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "languages": ["vi"],
        "contactPoint": {"name": "Phòng Dữ liệu", "email": "dulieu@example.gov.vn"},
        "distributions": [{"id": "web", "accessUrl": "https://example.org/data", "format": "HTML"}]
    })
}

async fn post(app: &TestApp, path: &str, body: Value, status: u16) {
    let r = app.post_json(path, Some(ADMIN_TOKEN), &body).await;
    assert_eq!(r.status(), status, "{path}: {}", r.text().await.unwrap());
}

/// Waits until the dump describes `published` datasets at a sequence past `after`.
async fn dump_with(app: &TestApp, published: i64, after: i64) -> Value {
    let started = Instant::now();
    loop {
        let r = app.get("/catalog/dump.json").await;
        if r.status() == 200 {
            let info: Value = r.json().await.unwrap();
            if info["datasets"].as_i64() == Some(published) && info["seq"].as_i64().unwrap() > after
            {
                return info;
            }
        } else {
            assert_eq!(r.status(), 503, "before the first build");
            assert!(r.headers().contains_key("retry-after"));
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "no dump of {published} datasets after seq {after}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn published_total(app: &TestApp) -> i64 {
    app.get_json("/api/v1/datasets").await["total"]
        .as_i64()
        .unwrap()
}

async fn the_dump_is_the_published_catalog_and_follows_changes(backend: Backend) {
    let app = spawn_app(backend, CATALOG_SEEDS).await;
    for id in ["dump-a", "dump-b", "dump-draft"] {
        post(&app, "/api/v1/datasets", dataset(id), 201).await;
    }
    for id in ["dump-a", "dump-b"] {
        for action in ["submit", "publish"] {
            post(
                &app,
                &format!("/api/v1/datasets/{id}/{action}"),
                json!({}),
                200,
            )
            .await;
        }
    }
    let total = published_total(&app).await;
    assert!(total >= 2);
    let info = dump_with(&app, total, 0).await;

    // The file is what its description and its ETag say.
    let r = app.get("/catalog/dump.nt.gz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/gzip");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let digest = r.headers()["digest"].to_str().unwrap().to_owned();
    let gz = r.bytes().await.unwrap();
    let sha = hex::encode(sha2::Sha256::digest(&gz));
    assert_eq!(etag, format!("\"{sha}\""));
    assert_eq!(info["sha256"], sha.as_str());
    assert_eq!(info["bytes"].as_u64().unwrap(), gz.len() as u64);
    assert!(digest.starts_with("sha-256="), "{digest}");
    let mut nt = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut nt)
        .unwrap();
    assert_eq!(nt.lines().count() as u64, info["triples"].as_u64().unwrap());
    let links = |nt: &str| {
        nt.lines()
            .filter(|l| l.contains("> <http://www.w3.org/ns/dcat#dataset> <"))
            .count() as i64
    };
    assert_eq!(links(&nt), total, "every published dataset once");
    assert!(nt.contains("/dataset/dump-a>"));
    assert!(
        !nt.contains("/dataset/dump-draft>"),
        "drafts are not published"
    );
    let titles = nt
        .lines()
        .filter(|l| {
            l.ends_with("/catalog> <http://purl.org/dc/terms/title> \"Danh mục dữ liệu mở\"@vi .")
        })
        .count();
    assert_eq!(titles, 1, "the catalog described once");

    // The whole file conforms to DCAT-AP 3 (core and range shapes), checked by pyshacl.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dump.nt");
    std::fs::write(&path, &nt).unwrap();
    let out = std::process::Command::new(format!(
        "{}/tests/rdf/dcat_ap_conforms.sh",
        env!("CARGO_MANIFEST_DIR")
    ))
    .args([path.display().to_string(), "nt".into()])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // 304 for the same dump, a range resumes, a range past the end is refused.
    let r = app
        .client
        .get(app.url("/catalog/dump.nt.gz"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = app
        .client
        .get(app.url("/catalog/dump.nt.gz"))
        .header("range", "bytes=10-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap(), gz.slice(10..));
    let r = app
        .client
        .get(app.url("/catalog/dump.nt.gz"))
        .header("range", format!("bytes={}-", gz.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);

    // A withdrawal reaches the dump on its own; the old ETag no longer matches.
    post(
        &app,
        "/api/v1/datasets/dump-b/withdraw",
        json!({"reason": "superseded"}),
        200,
    )
    .await;
    assert_eq!(published_total(&app).await, total - 1);
    let after = dump_with(&app, total - 1, info["seq"].as_i64().unwrap()).await;
    assert_ne!(after["sha256"], info["sha256"]);
    let r = app
        .client
        .get(app.url("/catalog/dump.nt.gz"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut nt = String::new();
    flate2::read::GzDecoder::new(&r.bytes().await.unwrap()[..])
        .read_to_string(&mut nt)
        .unwrap();
    assert_eq!(links(&nt), total - 1);
    assert!(!nt.contains("/dataset/dump-b>"));
}
