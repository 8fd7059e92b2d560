//! Issue 16: `opendata audit verify` checks state against the change log (each altered row, file or log entry is
//! named, with a non-zero exit), signed checkpoints catch a rewritten history, and failed password sign-ins lock out.
use std::process::Command;

use reqwest::StatusCode;
use reqwest::header::{RETRY_AFTER, SET_COOKIE};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, CATALOG_SEEDS, TestApp, spawn_app};

on_both_backends!(
    issue16_altered_state_is_caught_and_named,
    issue16_a_rewritten_log_is_refused_against_a_saved_checkpoint,
    issue16_failed_password_sign_ins_lock_out,
);

/// Runs `opendata audit verify --json` on the app's store; returns whether it passed and the report.
fn audit(app: &TestApp, extra: &[&str]) -> (bool, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opendata"));
    cmd.args(["audit", "verify", "--json", "--data-dir"])
        .arg(&app.data_dir)
        .args(extra);
    if let Some(url) = &app.database_url {
        cmd.args(["--database-url", url]);
    }
    let out = cmd.output().expect("the opendata binary runs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(
        out.status.success(),
        report["ok"].as_bool().unwrap(),
        "the exit status says what the report says: {report}"
    );
    (out.status.success(), report)
}

/// The findings naming `subject` (of `kind`).
fn named<'a>(report: &'a Value, kind: &str, subject: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind && f["subject"] == subject)
        .collect()
}

async fn sql(app: &TestApp) -> sqlx::AnyPool {
    let mut config = opendata::app::Config::new(&app.data_dir);
    config.database_url = app.database_url.clone();
    opendata::app::open_database(&config)
        .await
        .unwrap()
        .pool()
        .clone()
}

fn sha256(bytes: &[u8]) -> String {
    registry::changelog::sha256_hex(bytes)
}

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let r = app.post_json(path, Some(ADMIN_TOKEN), &body).await;
    assert!(r.status().is_success(), "POST {path}: {}", r.status());
    r.json().await.unwrap()
}

/// A published dataset with an uploaded file and a second revision, a registry release and an issued open-data
/// list; returns the file's sha256.
async fn populate(app: &TestApp) -> String {
    created(app, "/api/v1/registry/lists/themes/releases", json!({})).await;
    let dataset = json!({
        "id": "facilities",
        "title": {"vi": "Danh sách cơ sở y tế", "en": "Health facilities"},
        "description": {"vi": "Các cơ sở khám chữa bệnh.", "en": "Health facilities."},
        "publisher": "G12",
        "themes": ["health"],
        "frequency": "ANNUAL",
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "languages": ["vi"],
        "distributions": [{"id": "csv", "format": "CSV", "downloadUrl": "https://example.org/f.csv"}]
    });
    created(app, "/api/v1/datasets", dataset).await;
    let file = "ma,ten\n01,Bệnh viện Bạch Mai\n".as_bytes();
    let r = app
        .client
        .put(app.url("/api/v1/datasets/facilities/distributions/csv/file"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(file.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for action in ["submit", "publish"] {
        created(
            app,
            &format!("/api/v1/datasets/facilities/{action}"),
            json!({}),
        )
        .await;
    }
    created(
        app,
        "/api/v1/agencies/G12/open-data-lists",
        json!({"year": 2025, "datasets": ["facilities"]}),
    )
    .await;
    sha256(file)
}

async fn issue16_altered_state_is_caught_and_named(backend: Backend) {
    let app = spawn_app(backend, CATALOG_SEEDS).await;
    let file = populate(&app).await;
    let (ok, report) = audit(&app, &[]);
    assert!(ok, "an untouched store passes: {report}");
    assert_eq!(report["files"]["files"], 1);
    let pool = sql(&app).await;

    // A code's label changed in registry_items, its own hash column recomputed.
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT code, content FROM registry_items WHERE list_id = 'themes' ORDER BY code LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let code: String = row.get(0);
    let mut content: Value = serde_json::from_str(&row.get::<String, _>(1)).unwrap();
    content["labels"]["vi"] = json!("Nhãn đã bị sửa");
    let content = content.to_string();
    sqlx::query("UPDATE registry_items SET content = $1, content_sha256 = $2 WHERE list_id = 'themes' AND code = $3")
        .bind(&content)
        .bind(sha256(content.as_bytes()))
        .bind(&code)
        .execute(&pool)
        .await
        .unwrap();
    let (ok, report) = audit(&app, &[]);
    assert!(!ok);
    let item = named(&report, "item", &format!("themes/{code}"));
    assert!(
        item.iter()
            .any(|f| f["problem"].as_str().unwrap().contains("change-log entry")),
        "the item is named against its change-log entry: {report}"
    );

    // An old revision of a dataset, its sha256 column recomputed.
    let old: String = sqlx::query(
        "SELECT content FROM catalog_revisions WHERE dataset_id = 'facilities' AND number = 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap()
    .get(0);
    let old = old.replace("Health facilities", "Altered facilities");
    sqlx::query("UPDATE catalog_revisions SET content = $1, sha256 = $2 WHERE dataset_id = 'facilities' AND number = 1")
        .bind(&old)
        .bind(sha256(old.as_bytes()))
        .execute(&pool)
        .await
        .unwrap();
    let (ok, report) = audit(&app, &[]);
    assert!(!ok);
    assert!(
        !named(&report, "dataset-revision", "facilities revision 1").is_empty(),
        "{report}"
    );
    assert!(named(&report, "dataset-revision", "facilities revision 2").is_empty());

    // An issued open-data list: another revision listed, its manifest hash recomputed in the row and the content.
    let text: String =
        sqlx::query("SELECT content FROM catalog_open_data_lists WHERE agency = 'G12'")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
    let mut list: catalog::agency::OpenDataList = serde_json::from_str(&text).unwrap();
    list.datasets[0].revision = 1;
    list.manifest_sha256 = sha256(list.manifest().as_bytes());
    sqlx::query("UPDATE catalog_open_data_lists SET content = $1, manifest_sha256 = $2 WHERE agency = 'G12'")
        .bind(serde_json::to_string(&list).unwrap())
        .bind(&list.manifest_sha256)
        .execute(&pool)
        .await
        .unwrap();
    let (ok, report) = audit(&app, &[]);
    assert!(!ok);
    assert!(
        !named(&report, "open-data-list", "G12 2025/1").is_empty(),
        "{report}"
    );

    // A stored file, changed on disk.
    let path = app
        .data_dir
        .join("files/sha256")
        .join(&file[..2])
        .join(&file);
    std::fs::write(&path, b"ma,ten\n01,Altered\n").unwrap();
    let (ok, report) = audit(&app, &[]);
    assert!(!ok);
    assert!(!named(&report, "file", &file).is_empty(), "{report}");
    let (ok, skipped) = audit(&app, &["--skip-files"]);
    assert!(!ok);
    assert!(named(&skipped, "file", &file).is_empty());

    // A change-log row.
    sqlx::query("UPDATE change_log SET actor = 'mallory' WHERE seq = 2")
        .execute(&pool)
        .await
        .unwrap();
    let (ok, report) = audit(&app, &[]);
    assert!(!ok);
    assert!(
        !named(&report, "change-log", "entry 2").is_empty(),
        "{report}"
    );
    assert_eq!(report["chain"]["firstBadSeq"], 2);
    // Everything altered before is still named, and nothing untouched is.
    let kinds: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "change-log",
            "dataset-revision",
            "file",
            "item",
            "open-data-list"
        ]
        .into_iter()
        .collect(),
        "{report}"
    );
}

/// Rewrites the change log from entry `from` on, recomputing every hash so that the chain itself verifies.
async fn rewrite_history(pool: &sqlx::AnyPool, from: i64) {
    use sqlx::Row;
    sqlx::query("UPDATE change_log SET actor = 'mallory' WHERE seq = $1")
        .bind(from)
        .execute(pool)
        .await
        .unwrap();
    let rows = sqlx::query(
        "SELECT seq, recorded_at, actor, action, subject, before_sha256, after_sha256, detail, prev_hash \
         FROM change_log WHERE seq >= $1 ORDER BY seq",
    )
    .bind(from)
    .fetch_all(pool)
    .await
    .unwrap();
    let mut prev: String = rows[0].get(8);
    for row in &rows {
        let seq: i64 = row.get(0);
        let recorded_at: String = row.get(1);
        let (actor, action, subject): (String, String, String) =
            (row.get(2), row.get(3), row.get(4));
        let (before, after): (Option<String>, Option<String>) = (row.get(5), row.get(6));
        let detail: String = row.get(7);
        let entry = registry::changelog::NewEntry {
            actor: &actor,
            action: &action,
            subject: &subject,
            before: before.as_deref(),
            after: after.as_deref(),
            detail: serde_json::from_str(&detail).unwrap(),
        };
        let hash = registry::changelog::entry_hash(&prev, seq, &recorded_at, &entry);
        sqlx::query("UPDATE change_log SET prev_hash = $1, entry_hash = $2 WHERE seq = $3")
            .bind(&prev)
            .bind(&hash)
            .bind(seq)
            .execute(pool)
            .await
            .unwrap();
        prev = hash;
    }
}

async fn issue16_a_rewritten_log_is_refused_against_a_saved_checkpoint(backend: Backend) {
    let app = spawn_app(backend, &["themes"]).await;
    // A release is signed at once.
    created(&app, "/api/v1/registry/lists/themes/releases", json!({})).await;
    // The release's own entry: other entries may follow it before the signer wakes, so the checkpoint covers at least
    // the release, not necessarily the head read here.
    let feed = app.get_json("/api/v1/changes?limit=1000").await;
    let release_seq = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["action"] == "release.create")
        .and_then(|e| e["seq"].as_i64())
        .expect("the release is in the change feed");
    let mut checkpoint = Value::Null;
    for _ in 0..100 {
        let r = app.get("/api/v1/audit/checkpoints/latest").await;
        if r.status() == 200 {
            checkpoint = r.json().await.unwrap();
            if checkpoint["seq"].as_i64().unwrap_or(0) >= release_seq {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        checkpoint["seq"].as_i64().unwrap_or(0) >= release_seq,
        "the release (entry {release_seq}) was signed: {checkpoint}"
    );
    let head = checkpoint["seq"].as_i64().unwrap();
    let key = app.get_json("/.well-known/opendata-checkpoint-key").await;
    assert_eq!(key["algorithm"], "Ed25519");
    assert_eq!(key["publicKey"], checkpoint["publicKey"]);
    assert_eq!(
        app.get_json(&format!("/api/v1/audit/checkpoints/{head}"))
            .await,
        checkpoint
    );
    assert_eq!(
        app.get("/api/v1/audit/checkpoints/999999").await.status(),
        404
    );
    assert_eq!(app.get("/api/v1/audit/checkpoints/x").await.status(), 400);

    // Another agency keeps a copy.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("checkpoint.json");
    std::fs::write(&saved, checkpoint.to_string()).unwrap();
    let saved = saved.to_str().unwrap();
    let (ok, report) = audit(&app, &["--checkpoint", saved]);
    assert!(ok, "today's log extends the checkpoint: {report}");

    // More writes: the log still extends it.
    created(&app, "/api/v1/registry/lists/themes/releases", json!({})).await;
    let (ok, _) = audit(&app, &["--checkpoint", saved]);
    assert!(ok);

    // A forged checkpoint file is refused by its signature.
    let mut forged = checkpoint.clone();
    forged["seq"] = json!(head - 1);
    let forged_path = dir.path().join("forged.json");
    std::fs::write(&forged_path, forged.to_string()).unwrap();
    let (ok, report) = audit(&app, &["--checkpoint", forged_path.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        report["findings"].to_string().contains("signature"),
        "{report}"
    );

    // Someone with the database rewrites an entry before the checkpoint and recomputes the chain: the chain alone
    // verifies, the checkpoint does not.
    let pool = sql(&app).await;
    rewrite_history(&pool, 2).await;
    let (ok, report) = audit(&app, &["--skip-files"]);
    assert!(ok, "a consistent rewrite passes the chain check: {report}");
    let (ok, report) = audit(&app, &["--checkpoint", saved]);
    assert!(!ok);
    let subject = format!("seq {head} ({})", checkpoint["signedAt"].as_str().unwrap());
    let refused = named(&report, "checkpoint", &subject);
    assert!(
        refused
            .iter()
            .any(|f| f["problem"].as_str().unwrap().contains("rewritten")),
        "{report}"
    );
}

/// The sign-in form's CSRF token and its cookie.
async fn login_form(app: &TestApp) -> (String, String) {
    let r = app.get("/login").await;
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("od_login="))
        .expect("sign-in cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body = r.text().await.unwrap();
    let marker = "name=\"csrf\" value=\"";
    let start = body.find(marker).expect("csrf field") + marker.len();
    let csrf = body[start..][..body[start..].find('"').unwrap()].to_owned();
    (csrf, cookie)
}

/// Posts a password sign-in; returns the status, `Retry-After` and the page.
async fn sign_in(app: &TestApp, name: &str, password: &str) -> (StatusCode, Option<u64>, String) {
    let (csrf, cookie) = login_form(app).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(app.url("/login?lang=en"))
        .header("cookie", cookie)
        .header("accept", "text/html")
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", name),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let retry = r
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (r.status(), retry, r.text().await.unwrap())
}

async fn issue16_failed_password_sign_ins_lock_out(backend: Backend) {
    use opendata::lockout::{FREE_PER_ACCOUNT, FREE_PER_ADDRESS};
    let app = spawn_app(backend, &["agencies"]).await;
    app.token(json!({"name": "chi", "role": "publisher", "agency": "G12"}))
        .await;
    let mut config = opendata::app::Config::new(&app.data_dir);
    config.database_url = app.database_url.clone();
    let accounts =
        opendata::accounts::Accounts::new(opendata::app::open_database(&config).await.unwrap());
    let password = "một mật khẩu đủ dài";
    accounts.set_password("chi", password).await.unwrap();

    // The free failures answer 401; the one that reaches the limit locks the account out.
    for i in 1..FREE_PER_ACCOUNT {
        let (status, _, _) = sign_in(&app, "chi", "sai mật khẩu rồi").await;
        assert_eq!(status, 401, "failure {i}");
    }
    let (status, retry, page) = sign_in(&app, "chi", "sai mật khẩu rồi").await;
    assert_eq!(status, 429, "{page}");
    assert_eq!(retry, Some(1));
    assert!(page.contains("Too many failed sign-ins"), "{page}");
    // While locked, even the right password is refused.
    let (status, retry, _) = sign_in(&app, "chi", password).await;
    assert_eq!(status, 429);
    assert!(retry.is_some_and(|s| s >= 1));
    // The lock-out is in the audit trail.
    let feed = app.get_json("/api/v1/changes?limit=10000").await;
    assert!(
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "sign-in.lockout"),
        "{feed}"
    );
    // After the delay the right password signs in (and forgets the account's failures).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _, page) = sign_in(&app, "chi", password).await;
    assert_eq!(status, 303, "{page}");

    // Per address: guessing at other names from the same address locks the address out too.
    let mut failures = FREE_PER_ACCOUNT;
    let locked_at = loop {
        failures += 1;
        let (status, retry, _) =
            sign_in(&app, &format!("nobody{failures}"), "whatever-guess").await;
        if status == 429 {
            assert_eq!(retry, Some(1));
            break failures;
        }
        assert_eq!(status, 401);
        assert!(failures < FREE_PER_ADDRESS + 5, "the address never locked");
    };
    assert_eq!(locked_at, FREE_PER_ADDRESS);
    let (status, _, _) = sign_in(&app, "chi", password).await;
    assert_eq!(status, 429, "the address is locked for every name");
    // Nothing here broke the audit.
    let (ok, report) = audit(&app, &["--skip-files"]);
    assert!(ok, "{report}");
}
