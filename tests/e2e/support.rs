//! Test support: a real server on port 0 over a fresh SQLite file or a fresh PostgreSQL database on a throwaway
//! PostgreSQL server that this test process starts (initdb + pg_ctl on a free loopback port) and a watchdog stops.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use opendata::app::{Application, Config, Rate, RateLimits, Seed};
use serde_json::Value;

pub const ADMIN_TOKEN: &str = "test-admin-token";

/// The code lists a dataset's codes are checked against: enough to create and publish datasets.
pub const CATALOG_SEEDS: &[&str] = &[
    "agencies",
    "themes",
    "licences",
    "frequencies",
    "access-rights",
    "file-types",
    "data-classes",
];

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    /// The PostgreSQL database, when on PostgreSQL.
    pub database_url: Option<String>,
    pub data_dir: std::path::PathBuf,
    pub client: reqwest::Client,
    pub _dir: tempfile::TempDir,
    pub shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.expect("json")
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    /// Creates an account through the admin API and returns its token.
    pub async fn token(&self, body: Value) -> String {
        let r = self
            .post_json("/api/v1/admin/tokens", Some(ADMIN_TOKEN), &body)
            .await;
        assert_eq!(r.status(), 201, "create token {body}");
        let v: Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_owned()
    }
}

/// Rate limits no test reaches.
pub fn unthrottled() -> RateLimits {
    let lavish = Rate::per_second(100_000, 100_000);
    RateLimits {
        anonymous: lavish,
        keyed: lavish,
        expensive_anonymous: lavish,
        expensive_keyed: lavish,
        ..RateLimits::default()
    }
}

pub async fn spawn_app(backend: Backend, seed: &[&str]) -> TestApp {
    spawn_app_with(backend, seed, |_| {}).await
}

/// Like [`spawn_app`], with a chance to adjust the configuration.
pub async fn spawn_app_with(
    backend: Backend,
    seed: &[&str],
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::new(dir.path());
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.base_uri = "https://data.example.gov.vn".into();
    config.seed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/registry");
    config.seed = if seed.is_empty() {
        Seed::Nothing
    } else {
        Seed::Only(seed.iter().map(|s| s.to_string()).collect())
    };
    config.admin_token = Some(ADMIN_TOKEN.into());
    // The limiter runs in every test but throttles none; tests/e2e/limits.rs sets its own quotas.
    config.rate_limits = unthrottled();
    if let Backend::Postgres = backend {
        config.database_url = Some(fresh_pg_database().await);
    }
    adjust(&mut config);
    let database_url = config.database_url.clone();
    let data_dir = config.data_dir.clone();
    let app = Application::build(config)
        .await
        .expect("application builds");
    let addr = app.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    let base = format!("http://{addr}");
    // Ready once the RDF projection is built.
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..600 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "the server did not become ready within 30 s");
    TestApp {
        base,
        data_dir,
        database_url,
        client,
        _dir: dir,
        shutdown: Some(tx),
    }
}

struct PgServer {
    port: u16,
}

fn pg_bin(name: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("OPENDATA_PG_BIN") {
        return Path::new(&dir).join(name);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join(name).exists())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions
        .pop()
        .map(|d| d.join(name))
        .unwrap_or_else(|| PathBuf::from(name))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root (PostgreSQL refuses to run as root).
fn pg_command(tool: &str) -> Command {
    let bin = pg_bin(tool);
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_pg() -> PgServer {
    let root = std::env::temp_dir().join(format!(
        "opendata-pg-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&root).unwrap();
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&root)
            .status()
            .unwrap()
            .success();
        assert!(ok, "chown of the PostgreSQL test folder failed");
    }
    let data = root.join("data");
    let out = pg_command("initdb")
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ])
        .stdout(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run initdb ({}): {e}; install postgresql",
                pg_bin("initdb").display()
            )
        });
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let opts = format!(
        "-p {port} -h 127.0.0.1 -k {} -F -c max_connections=300 -c fsync=off",
        root.display()
    );
    let out = pg_command("pg_ctl")
        .arg("-D")
        .arg(&data)
        .args(["-o", &opts, "-l"])
        .arg(root.join("log"))
        .args(["-w", "start"])
        .output()
        .expect("pg_ctl runs");
    assert!(
        out.status.success(),
        "pg_ctl start failed: {} {}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(root.join("log")).unwrap_or_default()
    );
    // The watchdog stops the server and removes its folder once this test process is gone, however it ends.
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop}; rm -rf '{root}'",
        pid = std::process::id(),
        stop = if is_root() {
            format!(
                "runuser -u postgres -- '{}' -D '{}' stop -m immediate",
                pg_bin("pg_ctl").display(),
                data.display()
            )
        } else {
            format!(
                "'{}' -D '{}' stop -m immediate",
                pg_bin("pg_ctl").display(),
                data.display()
            )
        },
        root = root.display(),
    );
    // Deliberately not waited for: it must outlive this process.
    let _watchdog = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("watchdog starts");
    std::mem::forget(_watchdog);
    PgServer { port }
}

static PG: OnceLock<PgServer> = OnceLock::new();

/// A new, empty database on the shared throwaway server.
pub async fn fresh_pg_database() -> String {
    let server = PG.get_or_init(start_pg);
    use sqlx::Connection;
    let admin_url = format!("postgres://postgres@127.0.0.1:{}/postgres", server.port);
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to the test PostgreSQL");
    let name = format!("t_{}", uuid_like());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    conn.close().await.ok();
    format!("postgres://postgres@127.0.0.1:{}/{name}", server.port)
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Declares one test per backend for an `async fn(Backend)` scenario.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// Spawns `opendata serve` (built by the caller, with `--bind 127.0.0.1:0`): the system picks a free port and the
/// server prints it on stdout, so no other process can take the port between choosing and binding it (as it can when
/// a test picks a free port first). Everything the server prints, on stdout and stderr, is appended to `log`; returns
/// the child and the base URL once the server listens (it may not be ready yet).
pub async fn spawn_serve(
    mut command: tokio::process::Command,
    log: &Path,
) -> (tokio::process::Child, String) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("the server's log opens");
    let mut child = command
        .stderr(stderr)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("opendata serve starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let log_path = log.to_path_buf();
    // Drains stdout for the server's whole life (a full pipe would block it) into the log.
    tokio::spawn(async move {
        let mut tx = Some(tx);
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .await
            .ok();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix("listening on ")
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(url.trim().to_owned());
            }
            if let Some(f) = file.as_mut() {
                let _ = f.write_all(format!("{line}\n").as_bytes()).await;
            }
        }
    });
    match tokio::time::timeout(std::time::Duration::from_secs(300), rx).await {
        Ok(Ok(base)) => (child, base),
        outcome => panic!(
            "the server did not start listening ({}): {}",
            if outcome.is_err() {
                "timed out"
            } else {
                "it exited"
            },
            std::fs::read_to_string(log).unwrap_or_default()
        ),
    }
}
