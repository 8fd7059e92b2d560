//! Projections on disk that resume (real processes, killed with SIGKILL): the RDF store and the search index survive
//! a restart and catch up from the change-log sequence they recorded instead of being rebuilt; a kill during the
//! catch-up resumes at the next start; after `opendata reindex` the next start rebuilds; a kill during the build of the
//! whole-catalog dump leaves no partial dump, and the next start builds a whole one. After each start SQL, search and
//! SPARQL agree on the number of datasets and on a sample's content.
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, CATALOG_SEEDS, fresh_pg_database, spawn_serve};

on_both_backends!(
    projections_resume_from_disk_after_a_kill,
    a_kill_during_the_dump_build_leaves_no_partial_dump
);

const BIN: &str = env!("CARGO_BIN_EXE_opendata");
const BASE: &str = "http://data.restart.test";

struct Node {
    child: tokio::process::Child,
    base: String,
    client: reqwest::Client,
}

fn store_args(dir: &std::path::Path, database_url: &Option<String>) -> Vec<String> {
    let mut a = vec!["--data-dir".to_owned(), dir.display().to_string()];
    if let Some(url) = database_url {
        a.extend(["--database-url".to_owned(), url.clone()]);
    }
    a
}

impl Node {
    /// Starts `opendata serve` (the base URI fixed, so the stored projection stays valid across ports); `wait` for
    /// readiness or not.
    async fn start(dir: &std::path::Path, database_url: &Option<String>, wait: bool) -> Node {
        let log_path = dir.join("server.log");
        let mut command = tokio::process::Command::new(BIN);
        command
            .arg("serve")
            .args(store_args(dir, database_url))
            .args(["--bind", "127.0.0.1:0", "--no-rate-limits"])
            .args(["--base-uri", BASE])
            .args(["--seed-lists", &CATALOG_SEEDS.join(",")])
            .env("OPENDATA_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1");
        let (child, base) = spawn_serve(command, &log_path).await;
        let node = Node {
            child,
            base,
            client: reqwest::Client::new(),
        };
        let started = Instant::now();
        loop {
            match node.client.get(node.url("/readyz")).send().await {
                Ok(r) if r.status() == 200 => break,
                Ok(_) if !wait => break,
                _ => {}
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "not ready: {}",
                std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        node
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn get_json(&self, path: &str) -> Value {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    async fn sparql(&self, query: &str) -> Value {
        let r = self
            .client
            .get(self.url("/sparql"))
            .query(&[("query", query)])
            .header("accept", "application/sparql-results+json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    async fn publish(&self, id: &str) {
        let r = self
            .post(
                "/api/v1/datasets",
                &json!({
                    "id": id,
                    "title": {"vi": format!("Dữ liệu khởi động lại {id}"), "en": format!("Restart data {id}")},
                    "description": {"vi": "Mô tả.", "en": "Description."},
                    "publisher": "G12",
                    "themes": ["health"],
                    "keywords": {"vi": ["thử"]},
                    "licence": "CC-BY-4.0",
                    "accessRight": "public",
                    "distributions": [{"id": "web", "accessUrl": "https://example.org/data", "format": "HTML"}]
                }),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        for action in ["submit", "publish"] {
            let r = self
                .post(&format!("/api/v1/datasets/{id}/{action}"), &json!({}))
                .await;
            assert_eq!(r.status(), 200);
        }
    }

    /// SQL, search and SPARQL agree on the number of published datasets and on a sample's title (waiting up to 20 s
    /// for the projections to catch up); returns the count.
    async fn agree(&self, sample: &str) -> i64 {
        let sql = self.get_json("/api/v1/datasets").await["total"]
            .as_i64()
            .unwrap();
        let title = self.get_json(&format!("/api/v1/datasets/{sample}")).await["title"]["vi"]
            .as_str()
            .unwrap()
            .to_owned();
        let started = Instant::now();
        loop {
            let search = self.get_json("/api/v1/search?limit=1").await["total"]
                .as_i64()
                .unwrap();
            let n = self
                .sparql("SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> . ?c <http://www.w3.org/ns/dcat#dataset> ?d }")
                .await["results"]["bindings"][0]["n"]["value"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .unwrap();
            let titled = self
                .sparql(&format!(
                    "SELECT ?t WHERE {{ <{BASE}/dataset/{sample}> <http://purl.org/dc/terms/title> ?t FILTER(lang(?t) = \"vi\") }}"
                ))
                .await["results"]["bindings"][0]["t"]["value"]
                .as_str()
                .map(str::to_owned);
            if search == sql && n == sql && titled.as_deref() == Some(title.as_str()) {
                return sql;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "SQL {sql}, search {search}, SPARQL {n}, title {titled:?} vs {title:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn kill9(mut self) {
        self.child.kill().await.unwrap();
    }
}

fn log(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
}

async fn projections_resume_from_disk_after_a_kill(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().to_owned();
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_pg_database().await),
    };

    // First start: built from SQL.
    let node = Node::start(&dir, &database_url, true).await;
    for i in 0..30 {
        node.publish(&format!("r-{i:02}")).await;
    }
    assert_eq!(node.agree("r-07").await, 30 + seeded(&node).await);
    // Let the projection record where it is (it records at most every 5 s, after a flush), then kill.
    tokio::time::sleep(Duration::from_secs(6)).await;
    node.kill9().await;
    assert_eq!(log(&dir).matches("RDF projection built").count(), 1);

    // Second start: resumed from disk, not rebuilt; more writes, killed at once after the last acknowledgement.
    let node = Node::start(&dir, &database_url, true).await;
    assert_eq!(
        log(&dir)
            .matches("RDF projection resumed from disk")
            .count(),
        1,
        "{}",
        log(&dir)
    );
    assert_eq!(log(&dir).matches("RDF projection built").count(), 1);
    let before = node.agree("r-07").await;
    for i in 30..45 {
        node.publish(&format!("r-{i:02}")).await;
    }
    node.kill9().await;

    // Third start, killed during its catch-up; the fourth resumes and agrees.
    let node = Node::start(&dir, &database_url, false).await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    node.kill9().await;
    let node = Node::start(&dir, &database_url, true).await;
    assert_eq!(node.agree("r-40").await, before + 15);
    assert_eq!(log(&dir).matches("RDF projection built").count(), 1);
    node.kill9().await;

    // A rebuild on request: the next start builds the RDF projection anew.
    let out = tokio::process::Command::new(BIN)
        .arg("reindex")
        .args(store_args(&dir, &database_url))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let node = Node::start(&dir, &database_url, true).await;
    assert_eq!(node.agree("r-44").await, before + 15);
    assert_eq!(log(&dir).matches("RDF projection built").count(), 2);
    node.kill9().await;
}

/// Published datasets the node had before the test's own (none with these seed lists, but counted, not assumed).
async fn seeded(node: &Node) -> i64 {
    node.get_json("/api/v1/datasets").await["total"]
        .as_i64()
        .unwrap()
        - 30
}

/// A generated catalog large enough for the dump build to take a while; killed while the dump's temporary file is
/// being written, the next start serves no partial dump, builds a whole one (every published dataset in it) and SQL,
/// search and SPARQL agree.
async fn a_kill_during_the_dump_build_leaves_no_partial_dump(backend: Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().to_owned();
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(fresh_pg_database().await),
    };
    let out = tokio::process::Command::new(BIN)
        .arg("generate")
        .args(store_args(&dir, &database_url))
        .args(["--datasets", "3000"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The first dump is built once the node is ready (the projections first).
    let node = Node::start(&dir, &database_url, false).await;
    let building = dir.join("dump").join("catalog.nt.gz.tmp");
    let started = Instant::now();
    while !building.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the dump build never started: {}",
            log(&dir)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    node.kill9().await;
    assert!(!log(&dir).contains("catalog dump built"), "killed too late");

    // As soon as the next start answers: no dump (the partial one is not taken for one) until a whole one is built.
    let node = Node::start(&dir, &database_url, false).await;
    let r = node
        .client
        .get(node.url("/catalog/dump.nt.gz"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        503,
        "no dump is served before a whole one is built"
    );
    let started = Instant::now();
    while node
        .client
        .get(node.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        != 200
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "not ready: {}",
            log(&dir)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let total = node.agree("gen-001234").await;
    assert_eq!(total, 3000);
    let started = Instant::now();
    let info = loop {
        let r = node
            .client
            .get(node.url("/catalog/dump.json"))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            break r.json::<Value>().await.unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no dump: {}",
            log(&dir)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(info["datasets"], 3000, "{info}");
    let gz = node
        .client
        .get(node.url("/catalog/dump.nt.gz"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut nt = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut nt).unwrap();
    assert_eq!(
        nt.lines()
            .filter(|l| l.contains("> <http://www.w3.org/ns/dcat#dataset> <"))
            .count(),
        3000
    );
    assert!(nt.contains(&format!("<{BASE}/dataset/gen-001234>")));
    assert!(!building.exists());
    node.kill9().await;
}
