//! What a newcomer sees on the very first `opendata serve` (issue 22): the real binary on a fresh data directory with
//! every seed list and seed dataset, its readiness probed the way a load balancer does while it starts.
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_opendata");

#[tokio::test]
async fn issue_22_first_serve_logs_no_error_and_seed_datasets_carry_their_sources_dates() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("server.log");
    let mut command = tokio::process::Command::new(BIN);
    command
        .arg("serve")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--bind", "127.0.0.1:0"])
        .env_remove("RUST_LOG")
        .env("OPENDATA_ADMIN_TOKEN", "first-run-admin-token-0123456789");
    let (mut child, base) = crate::support::spawn_serve(command, &log_path).await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut not_ready_answers = 0;
    loop {
        match client.get(format!("{base}/readyz")).send().await {
            Ok(r) if r.status() == 200 => break,
            Ok(r) => {
                assert_eq!(r.status(), 503, "readiness while starting");
                not_ready_answers += 1;
            }
            Err(_) => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "not ready: {}",
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The seed datasets show the dates of their sources, not the day they were loaded.
    let dataset: Value = client
        .get(format!(
            "{base}/api/v1/datasets/administrative-units-2025-07-01"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let content = dataset.get("content").unwrap_or(&dataset);
    assert_eq!(content["issued"], "2025-10-18", "{dataset}");
    assert_eq!(content["modified"], "2025-10-18", "{dataset}");
    let turtle = client
        .get(format!("{base}/dataset/administrative-units-2025-06-30"))
        .header("Accept", "text/turtle")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        turtle.contains(r#"dct:issued "2025-01-04"^^xsd:date"#),
        "{turtle}"
    );
    assert!(
        turtle.contains(r#"dct:modified "2025-01-04"^^xsd:date"#),
        "{turtle}"
    );
    let page = client
        .get(format!("{base}/dataset/ethnic-groups"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("02/03/1979"),
        "the page shows the source's date"
    );

    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        errors.is_empty(),
        "a first start logs no ERROR line ({not_ready_answers} probes answered 503 while starting): {errors:#?}"
    );
}
