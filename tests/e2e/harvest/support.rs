//! The harvest scenarios' machinery: catalog datasets made and published through the API, the mock portal and the
//! harvester as `opendata` subprocesses, and the checks that the portal holds exactly the catalog.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

use crate::support::{ADMIN_TOKEN, TestApp};

pub(crate) const AGENCIES: &[&str] = &["G01", "G02", "G03", "G12"];
pub(crate) const PORTAL_TOKEN: &str = "portal-test-token";
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_opendata");

pub(crate) fn dataset_body(i: usize) -> Value {
    json!({
        "id": format!("ds-{i:04}"),
        "title": {"vi": format!("Dữ liệu thử nghiệm số {i}"), "en": format!("Test dataset {i}")},
        "description": {"vi": format!("Bộ dữ liệu mở thử nghiệm thứ {i} cho bộ thu thập."), "en": "A test dataset."},
        "publisher": AGENCIES[i % AGENCIES.len()],
        "themes": ["health"],
        "keywords": {"vi": ["thử nghiệm", format!("nhóm {}", i % 7)]},
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "languages": ["vi"],
        "distributions": [
            {"id": "csv", "title": {"vi": "Tệp CSV"}, "downloadUrl": format!("https://example.org/data/{i}.csv"), "format": "CSV"},
            {"id": "web", "accessUrl": format!("https://example.org/page/{i}")}
        ]
    })
}

pub(crate) async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(ADMIN_TOKEN);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string());
    }
    request.send().await.expect("request")
}

pub(crate) async fn publish(app: &TestApp, id: &str) {
    for action in ["submit", "publish"] {
        let r = app
            .post_json(
                &format!("/api/v1/datasets/{id}/{action}"),
                Some(ADMIN_TOKEN),
                &json!({}),
            )
            .await;
        assert_eq!(
            r.status(),
            200,
            "{action} {id}: {}",
            r.text().await.unwrap_or_default()
        );
    }
}

/// Creates and publishes datasets `range` through the API, a few at a time.
pub(crate) async fn create_published(app: &TestApp, range: std::ops::Range<usize>) {
    let ids: Vec<usize> = range.collect();
    for chunk in ids.chunks(8) {
        let mut tasks = tokio::task::JoinSet::new();
        for &i in chunk {
            let (client, base) = (app.client.clone(), app.base.clone());
            tasks.spawn(async move {
                let r = client
                    .post(format!("{base}/api/v1/datasets"))
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&dataset_body(i))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    r.status(),
                    201,
                    "create {i}: {}",
                    r.text().await.unwrap_or_default()
                );
                for action in ["submit", "publish"] {
                    let r = client
                        .post(format!("{base}/api/v1/datasets/ds-{i:04}/{action}"))
                        .bearer_auth(ADMIN_TOKEN)
                        .json(&json!({}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200, "{action} {i}");
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    }
}

/// What the portal must hold: the catalog's published datasets, as the CKAN API describes them.
pub(crate) async fn expected(app: &TestApp) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/datasets?limit=1000&cursor={c}"),
            None => "/api/v1/datasets?limit=1000".to_owned(),
        };
        let page = app.get_json(&path).await;
        for d in page["items"].as_array().unwrap() {
            out.insert(
                d["id"].as_str().unwrap().to_owned(),
                json!({
                    "title": d["title"]["vi"],
                    "organization": d["publisher"].as_str().unwrap().to_lowercase(),
                    "resources": d["distributions"].as_array().unwrap().len(),
                    "license_id": d["licence"],
                }),
            );
        }
        match page["next"].as_str() {
            Some(n) => cursor = Some(n.to_owned()),
            None => return out,
        }
    }
}

/// A mock portal subprocess; killed when dropped.
pub(crate) struct Portal {
    pub(crate) url: String,
    pub(crate) child: tokio::process::Child,
    pub(crate) data_dir: PathBuf,
}

impl Portal {
    pub(crate) async fn start(data_dir: &Path, extra: &[&str]) -> Portal {
        Portal::start_at(data_dir, "127.0.0.1:0", extra).await
    }

    pub(crate) async fn start_at(data_dir: &Path, bind: &str, extra: &[&str]) -> Portal {
        std::fs::create_dir_all(data_dir).unwrap();
        let log = std::fs::File::create(data_dir.join("portal.log")).unwrap();
        let mut child = tokio::process::Command::new(BIN)
            .args([
                "mock-portal",
                "--bind",
                bind,
                "--token",
                PORTAL_TOKEN,
                "--data-dir",
            ])
            .arg(data_dir)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("the mock portal starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(30),
            tokio::io::BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("the mock portal prints its address")
        .unwrap();
        let url = line
            .trim()
            .strip_prefix("mock portal listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Portal {
            url,
            child,
            data_dir: data_dir.to_owned(),
        }
    }

    /// Stops this process and starts another on the same store and address (the harvester's state is per target
    /// URL), with `extra` options.
    pub(crate) async fn restart(mut self, extra: &[&str]) -> Portal {
        self.child.kill().await.unwrap();
        let bind = self.url.trim_start_matches("http://").to_owned();
        Portal::start_at(&self.data_dir, &bind, extra).await
    }

    /// Restarts without faults, to read the store back reliably.
    pub(crate) async fn restart_clean(self) -> Portal {
        self.restart(&[]).await
    }

    pub(crate) async fn action(&self, action: &str, body: Value) -> Value {
        let client = reqwest::Client::new();
        let r = client
            .post(format!("{}/api/3/action/{action}", self.url))
            .header("authorization", PORTAL_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{action}");
        r.json::<Value>().await.unwrap()["result"].clone()
    }

    /// Every package, deleted ones included (paged: the portal caps `rows` at 1000 as CKAN does).
    pub(crate) async fn all_packages(&self) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let found = self
                .action(
                    "package_search",
                    json!({"rows": 1000, "start": out.len(), "include_deleted": true, "sort": "name asc"}),
                )
                .await;
            let page = found["results"].as_array().unwrap().clone();
            let total = found["count"].as_u64().unwrap() as usize;
            if page.is_empty() {
                assert_eq!(out.len(), total, "paging ended early");
                return out;
            }
            out.extend(page);
            if out.len() >= total {
                return out;
            }
        }
    }
}

pub(crate) struct Run {
    pub(crate) report: Value,
    pub(crate) stdout: String,
    pub(crate) success: bool,
    pub(crate) elapsed: Duration,
}

pub(crate) fn harvest_command(
    source: &str,
    portal: &Portal,
    state: &Path,
    report: &Path,
    extra: &[&str],
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args([
        "harvest",
        "--source",
        source,
        "--target",
        &portal.url,
        "--target-token",
        PORTAL_TOKEN,
    ])
    .arg("--state-dir")
    .arg(state)
    .arg("--report")
    .arg(report)
    .arg("--allow-private-sources")
    .args(extra)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    cmd
}

pub(crate) async fn harvest(
    label: &str,
    source: &str,
    portal: &Portal,
    state: &Path,
    extra: &[&str],
) -> Run {
    let report = state.join(format!("{label}.json"));
    let started = Instant::now();
    let out = harvest_command(source, portal, state, &report, extra)
        .output()
        .await
        .expect("the harvester runs");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap_or_default())
        .unwrap_or_else(|_| {
            panic!(
                "{label}: no report; stdout {stdout} stderr {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    eprintln!(
        "harvest figures [{label}]: created {} updated {} deleted {} skipped {} adopted {} failed {}; \
         writes {} (packages {}, organizations {}); requests {} retries {} rate-limited {}; {:.2} s",
        report["created"],
        report["updated"],
        report["deleted"],
        report["skipped"],
        report["adopted"],
        report["failed"],
        report["writes"],
        report["packageWrites"],
        report["organizationsCreated"],
        report["requests"],
        report["retries"],
        report["rateLimited"],
        elapsed.as_secs_f64()
    );
    Run {
        report,
        stdout,
        success: out.status.success(),
        elapsed,
    }
}

pub(crate) fn assert_clean(run: &Run) {
    assert!(
        run.success,
        "the harvest failed: {}\n{}",
        run.stdout, run.report["failures"]
    );
    assert_eq!(run.report["failed"], 0, "{}", run.report["failures"]);
}

/// The portal holds exactly the catalog's published datasets, each once and active, with the catalog's titles and
/// publishers, and every deleted package is one the catalog no longer publishes.
pub(crate) async fn assert_portal_equals_catalog(portal: &Portal, want: &BTreeMap<String, Value>) {
    let all = portal.all_packages().await;
    let names: Vec<&str> = all.iter().map(|p| p["name"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "a name twice");
    let uris: Vec<String> = all
        .iter()
        .filter_map(|p| {
            p["extras"]
                .as_array()?
                .iter()
                .find(|e| e["key"] == "uri")
                .map(|e| e["value"].to_string())
        })
        .collect();
    assert_eq!(
        uris.len(),
        all.len(),
        "every package names its source dataset"
    );
    assert_eq!(
        uris.iter().collect::<BTreeSet<_>>().len(),
        uris.len(),
        "two packages for one dataset"
    );
    let active: BTreeMap<&str, &Value> = all
        .iter()
        .filter(|p| p["state"] == "active")
        .map(|p| (p["name"].as_str().unwrap(), p))
        .collect();
    assert_eq!(
        active.keys().copied().collect::<Vec<_>>(),
        want.keys().map(String::as_str).collect::<Vec<_>>(),
        "the active packages are the catalog's published datasets"
    );
    for (name, w) in want {
        let p = active[name.as_str()];
        assert_eq!(p["title"], w["title"], "{name}");
        assert_eq!(p["organization"]["name"], w["organization"], "{name}");
        assert_eq!(
            p["resources"].as_array().unwrap().len() as u64,
            w["resources"].as_u64().unwrap(),
            "{name}"
        );
    }
}

pub(crate) fn changes_once_each(report: &Value) {
    let changes = report["changes"].as_array().unwrap();
    let records: BTreeSet<&str> = changes
        .iter()
        .map(|c| c["record"].as_str().unwrap())
        .collect();
    assert_eq!(
        records.len(),
        changes.len(),
        "a record written twice in one run"
    );
    assert_eq!(
        report["packageWrites"].as_u64().unwrap() as usize,
        changes.len()
    );
}

pub(crate) async fn run_ckanapi(portal: &Portal, want: &BTreeMap<String, Value>, dir: &Path) {
    let file = dir.join("expected.json");
    std::fs::write(&file, serde_json::to_vec(want).unwrap()).unwrap();
    let python = std::env::var("OPENDATA_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = tokio::process::Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/ckan/check_portal.py"
        ))
        .arg(&portal.url)
        .arg(PORTAL_TOKEN)
        .arg(&file)
        .output()
        .await
        .expect("python3 runs (the test suite needs Python with ckanapi)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("all checks passed"),
        "ckanapi checks failed:\n{text}"
    );
}
