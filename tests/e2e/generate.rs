//! `opendata generate` is deterministic and writes a catalog the rest of the product serves.
use crate::support::{Backend, spawn_app_with};

fn generate(dir: &std::path::Path, n: &str, seed: &str) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opendata"))
        .args(["generate", "--datasets", n, "--seed", seed, "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_catalogs_are_deterministic_and_served() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (pa, pb) = (a.path().to_owned(), b.path().to_owned());
    tokio::task::spawn_blocking(move || {
        generate(&pa, "300", "7");
        generate(&pb, "300", "7");
    })
    .await
    .unwrap();
    let mut contents = Vec::new();
    for dir in [a.path(), b.path()] {
        let app = spawn_app_with(Backend::Sqlite, &[], |c| c.data_dir = dir.to_owned()).await;
        let page = app.get_json("/api/v1/datasets?limit=1000").await;
        assert_eq!(page["total"], 300);
        let items: Vec<serde_json::Value> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let mut d = d.clone();
                for volatile in [
                    "createdAt",
                    "updatedAt",
                    "firstPublishedAt",
                    "publishedAt",
                    "uri",
                ] {
                    d.as_object_mut().unwrap().remove(volatile);
                }
                d
            })
            .collect();
        let found = app.get_json("/api/v1/search?q=khong%20khi").await;
        assert!(found["total"].as_u64().unwrap() > 0);
        contents.push(items);
    }
    assert_eq!(
        contents[0], contents[1],
        "the same seed gives the same catalog"
    );
}
