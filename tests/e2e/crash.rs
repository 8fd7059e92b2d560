//! Crash safety with real processes: `opendata serve` (and `opendata reindex`) as child processes killed with SIGKILL
//! in the middle of a registry CSV import being applied, a release, a file upload and a reindex, while a writer keeps
//! creating datasets. After each restart: the change-log chain verifies (`opendata audit verify`), every write that was
//! acknowledged is there, each interrupted operation is all there or not at all, no partial file is visible, and the
//! projections catch up with SQL. (A harvest killed mid-run is `harvest::a_run_killed_midway_is_finished_by_the_next`.)
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, fresh_pg_database, spawn_serve};

on_both_backends!(killed_mid_operation_nothing_acknowledged_is_lost_and_nothing_is_half_done);

const BIN: &str = env!("CARGO_BIN_EXE_opendata");

struct Store {
    dir: PathBuf,
    database_url: Option<String>,
}

impl Store {
    fn args(&self) -> Vec<String> {
        let mut a = vec!["--data-dir".to_owned(), self.dir.display().to_string()];
        if let Some(url) = &self.database_url {
            a.extend(["--database-url".to_owned(), url.clone()]);
        }
        a
    }

    /// `opendata audit verify` on this store must pass.
    async fn verify(&self) {
        let out = tokio::process::Command::new(BIN)
            .args(["audit", "verify"])
            .args(self.args())
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "audit verify failed after a crash: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

struct Server {
    child: tokio::process::Child,
    base: String,
    client: reqwest::Client,
}

impl Server {
    async fn start(store: &Store) -> Server {
        let log_path = store.dir.join("server.log");
        let mut command = tokio::process::Command::new(BIN);
        command
            .arg("serve")
            .args(store.args())
            .args(["--bind", "127.0.0.1:0", "--no-rate-limits"])
            // Fixed, so the stored RDF projection stays valid from one start to the next (it is minted under it).
            .args(["--base-uri", "http://crash.test"])
            .args([
                "--seed-lists",
                "agencies,themes,licences,file-types,administrative-units",
            ])
            .env("OPENDATA_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("RUST_LOG", "warn");
        let (child, base) = spawn_serve(command, &log_path).await;
        let server = Server {
            child,
            base,
            client: reqwest::Client::new(),
        };
        let started = Instant::now();
        loop {
            if let Ok(r) = server.client.get(server.url("/readyz")).send().await
                && r.status() == 200
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "the server did not become ready: {}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
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

    /// SIGKILL, no shutdown of any kind.
    async fn kill9(mut self) {
        self.child.kill().await.unwrap();
    }
}

fn dataset(id: &str) -> Value {
    json!({
        "id": id, "title": {"vi": format!("Dữ liệu {id}")}, "description": {"vi": "Tạo trong lúc máy chủ bị dừng đột ngột."},
        "publisher": "G12", "themes": ["health"],
        "distributions": [{"id": "csv", "title": {"vi": "Tệp"}, "format": "CSV", "accessUrl": "https://example.org/trang"}]
    })
}

/// Creates drafts one after another until stopped; remembers the ones the server acknowledged (201).
fn writer(
    server: &Server,
    prefix: &'static str,
    acked: Arc<Mutex<Vec<String>>>,
) -> tokio::task::JoinHandle<()> {
    let (client, base) = (server.client.clone(), server.base.clone());
    tokio::spawn(async move {
        for i in 0.. {
            let id = format!("{prefix}-{i:05}");
            let r = client
                .post(format!("{base}/api/v1/datasets"))
                .bearer_auth(ADMIN_TOKEN)
                .json(&dataset(&id))
                .send()
                .await;
            match r {
                Ok(r) if r.status() == 201 => acked.lock().unwrap().push(id),
                Ok(r) => panic!("create {id}: {}", r.status()),
                Err(_) => return, // the server is gone
            }
        }
    })
}

async fn assert_all_acked_present(server: &Server, acked: &Mutex<Vec<String>>) {
    let ids = acked.lock().unwrap().clone();
    assert!(!ids.is_empty(), "the writer got some writes acknowledged");
    for id in &ids {
        let r = server
            .client
            .get(server.url(&format!("/api/v1/datasets/{id}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "acknowledged dataset {id} lost in the crash"
        );
    }
}

/// Items of the administrative units with codes 90000 and up (the ones the big import adds).
async fn imported_count(server: &Server) -> usize {
    let csv = server
        .get("/api/v1/registry/lists/administrative-units?format=csv")
        .await
        .text()
        .await
        .unwrap();
    csv.lines()
        .filter(|l| l.len() > 5 && l.as_bytes()[0] == b'9' && l.as_bytes()[5] == b',')
        .count()
}

/// Fires a request and kills the server `after` later, whatever the request is doing.
async fn kill_during(
    server: Server,
    request: reqwest::RequestBuilder,
    after: Duration,
) -> Option<reqwest::StatusCode> {
    let pending = tokio::spawn(async move { request.send().await.ok().map(|r| r.status()) });
    tokio::time::sleep(after).await;
    server.kill9().await;
    pending.await.unwrap()
}

async fn killed_mid_operation_nothing_acknowledged_is_lost_and_nothing_is_half_done(
    backend: Backend,
) {
    let tmp = tempfile::tempdir().unwrap();
    let _log = LogOnPanic(tmp.path().join("server.log"));
    let store = Store {
        dir: tmp.path().to_path_buf(),
        database_url: match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_pg_database().await),
        },
    };

    // 1. A registry CSV import of 9,001 new units, applied on approval while a writer creates datasets; SIGKILL
    //    mid-approval.
    let server = Server::start(&store).await;
    // Change requests are approved by someone other than their author.
    let r = server
        .post(
            "/api/v1/admin/tokens",
            &json!({"name": "reviewer", "role": "steward", "lists": ["administrative-units"]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let reviewer = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let writing = writer(&server, "a", acked.clone());
    // The writer has had a write acknowledged before the long import takes the write gate (on a loaded machine it
    // could otherwise wait behind the import and the approval until the kill, and prove nothing).
    let started = std::time::Instant::now();
    while acked.lock().unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no write acknowledged in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut csv = String::from("code,parent,level,label_vi\n99,,province,Tỉnh Thử Nghiệm\n");
    for code in 90000..99000 {
        csv.push_str(&format!("{code},99,commune,Xã Thử {code}\n"));
    }
    let r = server
        .client
        .post(server.url("/api/v1/registry/lists/administrative-units/import"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let request: Value = r.json().await.unwrap();
    let cr = request["id"].as_i64().expect("a change request id");
    let approve = server
        .client
        .post(server.url(&format!(
            "/api/v1/registry/lists/administrative-units/change-requests/{cr}/approve"
        )))
        .bearer_auth(&reviewer)
        .json(&json!({}));
    let answered = kill_during(server, approve, Duration::from_millis(150)).await;
    writing.await.unwrap();
    store.verify().await;
    let server = Server::start(&store).await;
    assert_all_acked_present(&server, &acked).await;
    let n = imported_count(&server).await;
    let state = server
        .get_json(&format!(
            "/api/v1/registry/lists/administrative-units/change-requests/{cr}"
        ))
        .await;
    eprintln!(
        "crash during the approval: answered {answered:?}, {n} units there, request {}",
        state["status"]
    );
    if answered.is_some_and(|s| s.is_success()) {
        assert_eq!(n, 9000, "an acknowledged approval is all there");
    }
    assert!(
        n == 0 || n == 9000,
        "the import is all there or not at all: {n} of 9000"
    );
    if n == 0 {
        let r = server
            .client
            .post(server.url(&format!(
                "/api/v1/registry/lists/administrative-units/change-requests/{cr}/approve"
            )))
            .bearer_auth(&reviewer)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "the request can still be approved after the crash"
        );
        assert_eq!(imported_count(&server).await, 9000);
    }

    // 2. A release of that list, SIGKILL just after it was asked for.
    let before: Value = server
        .get_json("/api/v1/registry/lists/administrative-units/releases")
        .await;
    let releases_before = before["items"].as_array().unwrap().len();
    let acked_b = Arc::new(Mutex::new(Vec::new()));
    let writing = writer(&server, "b", acked_b.clone());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let release = server
        .client
        .post(server.url("/api/v1/registry/lists/administrative-units/releases"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"notes": {"vi": "Phát hành thử"}}));
    let answered = kill_during(server, release, Duration::from_millis(30)).await;
    writing.await.unwrap();
    store.verify().await;
    let server = Server::start(&store).await;
    assert_all_acked_present(&server, &acked).await;
    assert_all_acked_present(&server, &acked_b).await;
    let after: Value = server
        .get_json("/api/v1/registry/lists/administrative-units/releases")
        .await;
    let releases = after["items"].as_array().unwrap();
    eprintln!(
        "crash during a release: answered {answered:?}, {} releases before, {} after",
        releases_before,
        releases.len()
    );
    if answered.is_some_and(|s| s.is_success()) {
        assert_eq!(
            releases.len(),
            releases_before + 1,
            "an acknowledged release is there"
        );
    }
    assert!(releases.len() <= releases_before + 1);
    if releases.len() == releases_before + 1 {
        // The release that made it is whole: its manifest lists every item of the list.
        let number = releases
            .iter()
            .filter_map(|r| r["number"].as_i64())
            .max()
            .unwrap();
        let r = server
            .get(&format!(
                "/api/v1/registry/lists/administrative-units/releases/{number}/manifest"
            ))
            .await;
        assert_eq!(r.status(), 200);
        let manifest = r.text().await.unwrap();
        assert!(
            manifest.contains("98999"),
            "the release has the last imported unit"
        );
    }

    // 3. A 48 MB upload, SIGKILL after about half of it was sent: no partial file anywhere, the distribution keeps
    //    no file, and the same upload then works.
    assert_eq!(
        server
            .post("/api/v1/datasets", &dataset("upload"))
            .await
            .status(),
        201
    );
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let upload = server
        .client
        .put(server.url("/api/v1/datasets/upload/distributions/csv/file"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .header("content-length", (48 * 1024 * 1024).to_string())
        .body(body);
    let pending = tokio::spawn(async move { upload.send().await.ok().map(|r| r.status()) });
    let mut line = b"ma,ten,gia_tri\n".to_vec();
    let row = b"HN01,Tram quan trac Ha Noi,12.5\n";
    while line.len() + row.len() <= 1024 * 1024 {
        line.extend_from_slice(row);
    }
    for _ in 0..24 {
        tx.send(Ok(line.clone())).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill9().await;
    drop(tx);
    assert_eq!(
        pending.await.unwrap().filter(|s| s.is_success()),
        None,
        "never acknowledged"
    );
    store.verify().await;
    let tmp_files: Vec<_> = std::fs::read_dir(store.dir.join("files").join("tmp"))
        .map(|d| d.collect())
        .unwrap_or_default();
    eprintln!(
        "after the killed upload: {} file(s) in files/tmp before restart",
        tmp_files.len()
    );
    let server = Server::start(&store).await;
    assert_eq!(
        std::fs::read_dir(store.dir.join("files").join("tmp"))
            .unwrap()
            .count(),
        0,
        "the partial upload is gone at start"
    );
    for file in walk(&store.dir.join("files")) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit()) {
            let bytes = std::fs::read(&file).unwrap();
            assert_eq!(
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
                name,
                "a stored file is whole: its name is its checksum"
            );
        }
    }
    let ds = server
        .client
        .get(server.url("/api/v1/datasets/upload"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let dist = &ds["distributions"][0];
    assert!(
        dist.get("fileSha256").is_none_or(Value::is_null)
            && dist.get("byteSize").is_none_or(Value::is_null),
        "the distribution points to no file: {dist}"
    );
    let r = server
        .client
        .put(server.url("/api/v1/datasets/upload/distributions/csv/file"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(line.clone())
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "the upload works after the crash: {}",
        r.status()
    );

    // 4. A reindex killed mid-way: the next start catches the index up with SQL.
    for i in 0..40 {
        let id = format!("pub-{i:03}");
        assert_eq!(
            server
                .post("/api/v1/datasets", &dataset(&id))
                .await
                .status(),
            201
        );
        for action in ["submit", "publish"] {
            let r = server
                .post(&format!("/api/v1/datasets/{id}/{action}"), &json!({}))
                .await;
            assert_eq!(r.status(), 200);
        }
    }
    server.kill9().await;
    let mut reindex = tokio::process::Command::new(BIN)
        .arg("reindex")
        .args(store.args())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let finished = reindex.try_wait().unwrap().is_some();
    reindex.kill().await.ok();
    eprintln!("reindex killed (it had finished already: {finished})");
    store.verify().await;
    let server = Server::start(&store).await;
    let started = Instant::now();
    loop {
        let r = server
            .get_json("/api/v1/search?q=du%20lieu%20pub&limit=1")
            .await;
        let all = server.get_json("/api/v1/search?limit=1").await;
        if all["total"] == 40 && r["total"].as_u64().is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the index did not catch up with SQL: {} of 40",
            all["total"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_all_acked_present(&server, &acked).await;
    server.kill9().await;
}

/// Prints the end of the servers' log when the test fails, so a failure in CI says what the servers saw.
struct LogOnPanic(PathBuf);

impl Drop for LogOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.0).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            eprintln!(
                "the servers' log ({} lines), the last 60:\n{}",
                lines.len(),
                lines[lines.len().saturating_sub(60)..].join("\n")
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
