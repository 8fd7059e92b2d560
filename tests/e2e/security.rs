//! Hardening checks: security headers, CORS, body limits as problem+json, and the audit chain verified by the CLI.
use serde_json::{Value, json};

use crate::support::{ADMIN_TOKEN, Backend, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_cors_and_body_limits() {
    let app = spawn_app(Backend::Sqlite, &["themes"]).await;
    let r = app.get("/api/v1/registry/lists").await;
    let h = r.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(
        h.get("strict-transport-security").is_none(),
        "HSTS only when configured"
    );
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/search"))
        .header("origin", "https://example.org")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    // A body over the limit is refused from its declared length, before it is read: the request is sent as raw
    // headers only, so the check cannot race the client still writing 33 MB into a closed socket.
    let (status, content_type) = declared_oversize_post(
        &app.base,
        "/api/v1/registry/lists/themes/change-requests",
        33 * 1024 * 1024,
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(content_type, "application/problem+json");
    // Under the limit, a large body is read in full (a 4 MB batch of 60,000 references to validate).
    let batch = json!({"items": vec![json!({"list": "themes", "code": "health"}); 60_000]});
    let r = app
        .post_json("/api/v1/registry/validate", None, &batch)
        .await;
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["summary"]["valid"], 60_000);
    // Deeply nested JSON is refused, not a stack overflow.
    let deep = format!("{{\"q\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let r = app
        .client
        .post(app.url("/api/3/action/package_search"))
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_names_the_first_tampered_entry() {
    let app = spawn_app(Backend::Sqlite, &["themes"]).await;
    let change = json!({"reason": "r", "changes": [{"op": "modify", "code": "health", "set": {"labels": {"vi": "Y tế"}}}]});
    let r = app
        .post_json(
            "/api/v1/registry/lists/themes/change-requests",
            Some(ADMIN_TOKEN),
            &change,
        )
        .await;
    assert_eq!(r.status(), 201);
    let dir = app.data_dir.clone();
    let verify = |dir: std::path::PathBuf| {
        std::process::Command::new(env!("CARGO_BIN_EXE_opendata"))
            .args(["audit", "verify", "--data-dir"])
            .arg(dir)
            .output()
            .unwrap()
    };
    let out = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || verify(dir)
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("verified"));
    // Alter one entry behind the application's back.
    let db = registry::Database::open_sqlite(&dir).await.unwrap();
    sqlx::query("UPDATE change_log SET actor = 'mallory' WHERE seq = 3")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let out = tokio::task::spawn_blocking(move || verify(dir))
        .await
        .unwrap();
    assert!(!out.status.success());
    // Each finding is a line on standard output; the summary of the failure goes to standard error.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("entry 3"), "{stdout}");
    let _: Value = json!(null);
}

/// Sends a POST whose headers declare `length` bytes of JSON and no body, and returns the status and content type.
async fn declared_oversize_post(base: &str, path: &str, length: usize) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the end of the headers (the server may keep the socket open waiting for the body).
    loop {
        let n = tokio::time::timeout(std::time::Duration::from_secs(30), stream.read(&mut buf))
            .await
            .expect("an answer within 30 s")
            .unwrap();
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let content_type = text
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    (status, content_type)
}
