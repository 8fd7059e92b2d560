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

fn list(dir: &std::path::Path) -> Vec<Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opendata"))
        .args(["backup", "list", "--json", "--backup-dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
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

    // Online: the server keeps running while the backup is taken, into a backup folder where it is verified by a
    // scratch restore (on PostgreSQL: pg_dump, then pg_restore into a scratch database).
    let folder = tempfile::tempdir().unwrap();
    let backups = folder.path().to_owned();
    let (dir, url, b) = (
        app.data_dir.clone(),
        app.database_url.clone(),
        backups.clone(),
    );
    let out = tokio::task::spawn_blocking(move || {
        run(
            &["backup", "--backup-dir", b.to_str().unwrap()],
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
    assert!(String::from_utf8_lossy(&out.stdout).contains("verified"));
    let listed = list(&backups);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["verified"], true);
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let file = backups.join(format!("opendata-{id}.tar"));
    let names: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [format!("opendata-{id}.tar")],
        "no scratch copy is left"
    );

    let restored_dir = tempfile::tempdir().unwrap();
    let target = restored_dir.path().join("data");
    let restored_url = match backend {
        Backend::Postgres => Some(fresh_pg_database().await),
        Backend::Sqlite => None,
    };
    let (t, u, b) = (target.clone(), restored_url.clone(), backups.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(
            &[
                "backup",
                "restore",
                &id,
                "--backup-dir",
                b.to_str().unwrap(),
            ],
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
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("change log verified"), "{said}");
    assert!(said.contains("(current)"), "{said}");
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

/// The server's scheduler takes a verified backup at once (none is recent) and deletes what `--keep` drops: of 100
/// older daily backups, only the 6 newest days and the newest of each of the 2 previous months stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_are_pruned_by_the_policy() {
    use chrono::{Datelike, Duration, Utc};
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    let today = Utc::now().date_naive();
    let fakes: Vec<chrono::NaiveDateTime> = (1..=100)
        .map(|d| (today - Duration::days(d)).and_hms_opt(12, 0, 0).unwrap())
        .collect();
    for t in &fakes {
        let name = format!("opendata-{}.tar", t.format("%Y%m%dT%H%M%SZ"));
        std::fs::write(backups.join(name), b"an old backup").unwrap();
    }
    std::fs::write(backups.join("README.txt"), b"not a backup").unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_opendata"))
        .args(["serve", "--bind", "127.0.0.1:0", "--seed-lists", "agencies"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("OPENDATA_BACKUP_DIR", &backups)
        .env("OPENDATA_BACKUP_EVERY", "1h")
        .env("OPENDATA_BACKUP_KEEP", "daily=7,monthly=3")
        .env("OPENDATA_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let fake_ids: Vec<String> = fakes
        .iter()
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .collect();
    let mut new = None;
    for _ in 0..240 {
        let now_listed = list(&backups);
        if let Some(b) = now_listed
            .iter()
            .find(|b| !fake_ids.contains(&b["id"].as_str().unwrap().to_owned()))
        {
            // Pruning follows the rename at once; wait for it.
            if now_listed.len() < 20 {
                new = Some(b.clone());
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    child.kill().await.unwrap();
    let new = new.expect("a scheduled backup within 60 s, then pruning");
    assert_eq!(new["verified"], true);
    assert_eq!(new["backend"], "sqlite");
    assert!(new["schemaVersion"].as_i64().unwrap() > 9000);
    let new_id = new["id"].as_str().unwrap().to_owned();
    let day = chrono::NaiveDateTime::parse_from_str(&new_id, "%Y%m%dT%H%M%SZ")
        .unwrap()
        .date();
    // Expected, by hand: the new one, the 6 days before it, the newest of each of the 2 months before its month.
    let mut expected: std::collections::BTreeSet<String> = [new_id.clone()].into();
    for d in 1..7 {
        expected.insert(format!(
            "{}T120000Z",
            (day - Duration::days(d)).format("%Y%m%d")
        ));
    }
    let first = day.with_day(1).unwrap();
    for back in 1..=2 {
        let month = first - chrono::Months::new(back);
        let newest = fakes
            .iter()
            .filter(|t| t.year() == month.year() && t.month() == month.month())
            .max()
            .unwrap();
        expected.insert(newest.format("%Y%m%dT%H%M%SZ").to_string());
    }
    let left: std::collections::BTreeSet<String> = list(&backups)
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, expected);
    assert!(backups.join("README.txt").exists());
    let stray: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.ends_with(".unverified") || n.ends_with(".partial"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// A backup of a store one migration behind (the newest migration left out) restores with today's binary, migrates
/// forward and serves its data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_from_before_a_migration_restores_and_migrates_forward() {
    use registry::db::Migrations;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("old");
    let sets = [
        registry::db::REGISTRY_MIGRATIONS,
        catalog::store::CATALOG_MIGRATIONS,
        opendata::accounts::ACCOUNT_MIGRATIONS,
        opendata::harvest_runs::HARVEST_RUN_MIGRATIONS,
    ];
    let newest = sets
        .iter()
        .flat_map(|s| s.steps.iter().map(|step| step.0))
        .max()
        .unwrap();
    let db = registry::Database::open_sqlite(&data).await.unwrap();
    for set in sets {
        let older: Vec<_> = set
            .steps
            .iter()
            .copied()
            .filter(|s| s.0 != newest)
            .collect();
        db.migrate(Migrations {
            steps: Box::leak(older.into_boxed_slice()),
        })
        .await
        .unwrap();
    }
    let registry = registry::Registry::new(db.clone(), "https://data.example.gov.vn");
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/registry");
    registry::seed::load_dir(&registry, &seeds, Some(&["agencies", "themes"]))
        .await
        .unwrap();
    db.close().await;

    let backups = dir.path().join("backups");
    let out = run(
        &["backup", "--backup-dir", backups.to_str().unwrap()],
        &data,
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = list(&backups);
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let old_version = listed[0]["schemaVersion"].as_i64().unwrap();
    assert!(
        old_version < newest,
        "the backup was taken before migration {newest}"
    );

    let target = dir.path().join("restored");
    let out = run(
        &[
            "backup",
            "restore",
            &id,
            "--backup-dir",
            backups.to_str().unwrap(),
        ],
        &target,
        None,
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(&format!("schema {old_version} migrated to ")),
        "{said}"
    );
    assert!(said.contains("change log verified"), "{said}");

    let copy = spawn_app_with(Backend::Sqlite, &[], |c| c.data_dir = target.clone()).await;
    let lists = copy.get_json("/api/v1/registry/lists").await;
    let ids: Vec<&str> = lists["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"agencies") && ids.contains(&"themes"),
        "{ids:?}"
    );
    let agencies = copy.get("/api/v1/registry/lists/agencies?format=csv").await;
    assert_eq!(agencies.status(), 200);
    // The migrated store takes writes that need the newest migration (an admin token is bootstrapped).
    assert_eq!(
        copy.post_json(
            "/api/v1/admin/tokens",
            Some(ADMIN_TOKEN),
            &json!({"name": "steward-after-restore", "role": "steward", "lists": ["agencies"]})
        )
        .await
        .status(),
        201
    );
}
