//! The harvester (issue 6) with real processes on loopback: the catalog server in process, the mock national portal
//! and the harvester as `opendata` subprocesses, the portal read back with Python's ckanapi.
//!
//! - (a) 1,000 catalog datasets reach the portal, and ckanapi finds them all there;
//! - (b) after 10 edits, 5 withdrawals and 5 creations the next run makes exactly 20 writes (from the change feed,
//!   and from a full CKAN listing, which also skips the rest);
//! - (c) with 20 % of requests hit by faults of every kind the run converges: portal = catalog, no duplicates, every
//!   write counted once;
//! - (d) a harvester killed with SIGKILL mid-run is finished by the next run: portal = catalog, no duplicates;
//! - (e) the catalog's own DCAT pages (Turtle, RDF/XML, JSON-LD), saved to files on a static file server, harvest too.
//!
//! Each run prints its figures (`harvest figures: ...`, visible with `--nocapture`).
pub(crate) mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::CATALOG_SEEDS as SEEDS;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app};
use support::{
    AGENCIES, BIN, PORTAL_TOKEN, Portal, assert_clean, assert_portal_equals_catalog, call,
    changes_once_each, create_published, expected, harvest, harvest_command, publish, run_ckanapi,
};

on_both_backends!(
    catalog_reaches_the_portal_and_the_next_run_writes_only_what_changed,
    runs_are_recorded_in_the_catalog_and_private_sources_are_refused
);

/// Datasets of the faults and kill scenarios.
const N: usize = 200;
/// Datasets of the main scenario (issue 6: 1,000 datasets reach the portal and ckanapi finds them all).
const N_MAIN: usize = 1000;

/// (a) and (b): the change feed and a full CKAN listing, each into its own portal.
async fn catalog_reaches_the_portal_and_the_next_run_writes_only_what_changed(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let started = Instant::now();
    create_published(&app, 0..N_MAIN).await;
    eprintln!(
        "harvest figures: {N_MAIN} datasets created and published in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().unwrap();
    let feed_portal = Portal::start(&dir.path().join("portal-feed"), &[]).await;
    let list_portal = Portal::start(&dir.path().join("portal-list"), &[]).await;
    let feed_state = dir.path().join("state-feed");
    let list_state = dir.path().join("state-list");
    let ckan_source = ["--source-kind", "ckan", "--concurrency", "8"];

    let (first, first_list) = tokio::join!(
        harvest(
            "feed-1",
            &app.base,
            &feed_portal,
            &feed_state,
            &["--concurrency", "8"]
        ),
        harvest("list-1", &app.base, &list_portal, &list_state, &ckan_source),
    );
    assert_clean(&first);
    assert_clean(&first_list);
    assert_eq!(
        first.report["sourceKind"], "changes",
        "the change feed is detected"
    );
    for run in [&first, &first_list] {
        assert_eq!(run.report["created"], N_MAIN);
        assert_eq!(run.report["organizationsCreated"], AGENCIES.len());
        assert_eq!(run.report["writes"], N_MAIN + AGENCIES.len());
        changes_once_each(&run.report);
    }
    assert!(
        first.stdout.contains(&format!("{N_MAIN} created")),
        "{}",
        first.stdout
    );
    let want = expected(&app).await;
    assert_eq!(want.len(), N_MAIN);
    assert_portal_equals_catalog(&feed_portal, &want).await;
    assert_portal_equals_catalog(&list_portal, &want).await;
    run_ckanapi(&feed_portal, &want, dir.path()).await;

    // Nothing changed: nothing written.
    let (idle, idle_list) = tokio::join!(
        harvest("feed-idle", &app.base, &feed_portal, &feed_state, &[]),
        harvest(
            "list-idle",
            &app.base,
            &list_portal,
            &list_state,
            &ckan_source
        ),
    );
    assert_clean(&idle);
    assert_clean(&idle_list);
    assert_eq!(idle.report["writes"], 0);
    assert_eq!(
        (
            idle_list.report["writes"].as_u64(),
            idle_list.report["skipped"].as_u64()
        ),
        (Some(0), Some(N_MAIN as u64))
    );

    // (b) 10 edits (published), 5 withdrawals, 5 creations.
    for i in 0..10 {
        let id = format!("ds-{i:04}");
        let r = call(
            &app,
            reqwest::Method::PATCH,
            &format!("/api/v1/datasets/{id}"),
            Some(json!({"title": {"vi": format!("Dữ liệu thử nghiệm số {i} (đã sửa)")}})),
        )
        .await;
        assert_eq!(r.status(), 200, "edit {id}");
        publish(&app, &id).await;
    }
    // A draft edit that is not published changes nothing public: no write for it.
    let r = call(
        &app,
        reqwest::Method::PATCH,
        "/api/v1/datasets/ds-0050",
        Some(json!({"title": {"vi": "Nháp"}})),
    )
    .await;
    assert_eq!(r.status(), 200);
    for i in 20..25 {
        let r = app
            .post_json(
                &format!("/api/v1/datasets/ds-{i:04}/withdraw"),
                Some(ADMIN_TOKEN),
                &json!({"reason": "thu hồi"}),
            )
            .await;
        assert_eq!(r.status(), 200, "withdraw {i}");
    }
    create_published(&app, N_MAIN..N_MAIN + 5).await;
    let want = expected(&app).await;
    assert_eq!(want.len(), N_MAIN);

    let (second, second_list) = tokio::join!(
        harvest("feed-2", &app.base, &feed_portal, &feed_state, &[]),
        harvest("list-2", &app.base, &list_portal, &list_state, &ckan_source),
    );
    for run in [&second, &second_list] {
        assert_clean(run);
        let r = &run.report;
        assert_eq!(
            (
                r["created"].as_u64(),
                r["updated"].as_u64(),
                r["deleted"].as_u64(),
                r["writes"].as_u64()
            ),
            (Some(5), Some(10), Some(5), Some(20)),
            "exactly 20 writes: {}",
            run.stdout
        );
        changes_once_each(r);
    }
    assert_eq!(
        second_list.report["skipped"],
        N_MAIN - 15,
        "the full listing skips the rest"
    );
    assert_portal_equals_catalog(&feed_portal, &want).await;
    assert_portal_equals_catalog(&list_portal, &want).await;
    run_ckanapi(&feed_portal, &want, dir.path()).await;
    eprintln!(
        "harvest figures: first run {:.2} s ({N_MAIN} datasets), run after 20 changes {:.2} s (feed) / {:.2} s (full listing)",
        first.elapsed.as_secs_f64(),
        second.elapsed.as_secs_f64(),
        second_list.elapsed.as_secs_f64()
    );
}

/// (c) 20 % of portal requests hit by a fault of every kind: one run converges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_faults_of_every_kind_one_run_converges() {
    let app = spawn_app(Backend::Sqlite, SEEDS).await;
    create_published(&app, 0..N).await;
    let dir = tempfile::tempdir().unwrap();
    let portal = Portal::start(
        &dir.path().join("portal"),
        &[
            "--fault-rate",
            "0.2",
            "--stall",
            "3s",
            "--fault-retry-after",
            "1",
        ],
    )
    .await;
    let state = dir.path().join("state");
    let run = harvest(
        "faults",
        &app.base,
        &portal,
        &state,
        &[
            "--timeout",
            "1s",
            "--concurrency",
            "8",
            "--max-attempts",
            "15",
        ],
    )
    .await;
    assert_clean(&run);
    let r = &run.report;
    assert_eq!(r["created"], N, "{}", run.stdout);
    assert_eq!(
        r["writes"],
        N + AGENCIES.len(),
        "every write counted once: {}",
        run.stdout
    );
    assert!(
        r["retries"].as_u64().unwrap() > 0 && r["rateLimited"].as_u64().unwrap() > 0,
        "{}",
        run.stdout
    );
    changes_once_each(r);
    let portal = portal.restart_clean().await;
    let want = expected(&app).await;
    assert_portal_equals_catalog(&portal, &want).await;

    // A full listing of the same source (same state) finds nothing to write: every record is skipped from the state,
    // so the faulty portal is not even asked.
    let portal = portal
        .restart(&["--fault-rate", "0.2", "--stall", "3s"])
        .await;
    let again = harvest(
        "faults-again",
        &app.base,
        &portal,
        &state,
        &[
            "--source-kind",
            "ckan",
            "--timeout",
            "1s",
            "--concurrency",
            "8",
            "--max-attempts",
            "15",
        ],
    )
    .await;
    assert_clean(&again);
    assert_eq!(
        (
            again.report["writes"].as_u64(),
            again.report["skipped"].as_u64()
        ),
        (Some(0), Some(N as u64)),
        "{}",
        again.stdout
    );
}

/// (d) SIGKILL in the middle of a run; the next run finishes the job without a duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_midway_is_finished_by_the_next() {
    let app = spawn_app(Backend::Sqlite, SEEDS).await;
    create_published(&app, 0..N).await;
    let dir = tempfile::tempdir().unwrap();
    let portal = Portal::start(
        &dir.path().join("portal"),
        // 40 ms a request keeps the run (200 creates, 4 at a time) going for seconds, so the probe below sees it
        // part done; at 15 ms a faster harvester could finish between two probes.
        &["--latency", "40", "--fault-rate", "0.1", "--stall", "3s"],
    )
    .await;
    let state = dir.path().join("state");
    let report = state.join("killed.json");
    let mut child = harvest_command(
        &app.base,
        &portal,
        &state,
        &report,
        &["--timeout", "1s", "--concurrency", "4"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Kill it once a good part, but not all, is on the portal. The probe meets the portal's faults too: a stalled
    // probe is dropped after half a second and asked again rather than waited on for the stall's 3 s.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "the harvest made no progress");
        let count = async {
            let r = client
                .post(format!("{}/api/3/action/package_list", portal.url))
                .json(&json!({}))
                .send()
                .await
                .ok()?;
            let v: Value = r.json().await.ok()?;
            Some(v["result"].as_array()?.len())
        }
        .await;
        if count.is_some_and(|c| c >= N / 3) {
            eprintln!(
                "harvest figures: killed at {} of {N} packages",
                count.unwrap()
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().await.unwrap(); // SIGKILL
    assert!(
        !report.exists(),
        "the killed run did not get to write its report"
    );
    let run = harvest(
        "after-kill",
        &app.base,
        &portal,
        &state,
        &["--timeout", "1s", "--concurrency", "4"],
    )
    .await;
    assert_clean(&run);
    let r = &run.report;
    let done = r["created"].as_u64().unwrap()
        + r["skipped"].as_u64().unwrap()
        + r["adopted"].as_u64().unwrap();
    assert_eq!(
        done, N as u64,
        "every dataset accounted for: {}",
        run.stdout
    );
    assert!(
        r["skipped"].as_u64().unwrap() > 0,
        "the work of the killed run is kept: {}",
        run.stdout
    );
    let portal = portal.restart_clean().await;
    assert_portal_equals_catalog(&portal, &expected(&app).await).await;
}

/// Saves the catalog's DCAT pages as static files (page 1 Turtle, 2 RDF/XML, 3 JSON-LD) whose Hydra links point at
/// each other on `files`, and answers the first page's URL.
async fn save_dcat_pages(app: &TestApp, dir: &Path, files: &str, page_size: usize) -> String {
    let formats = [("ttl", "ttl"), ("rdfxml", "rdf"), ("jsonld", "jsonld")];
    let pages = expected(app).await.len().div_ceil(page_size).max(1);
    for page in 1..=pages {
        let (format, ext) = formats[(page - 1) % formats.len()];
        let r = app
            .get(&format!(
                "/catalog?page={page}&page_size={page_size}&format={format}"
            ))
            .await;
        assert_eq!(r.status(), 200, "page {page}");
        let mut text = r.text().await.unwrap();
        // The static pages are found by number: drop the cursor `hydra:next` carries (`after=` an id).
        for amp in ["&amp;", "\\u0026", "&"] {
            let key = format!("{amp}after=");
            while let Some(at) = text.find(&key) {
                let end = text[at + key.len()..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '%'))
                    .map_or(text.len(), |e| at + key.len() + e);
                text.replace_range(at..end, "");
            }
        }
        for n in 1..=pages {
            let target = format!("{files}/catalog-{n}.{}", formats[(n - 1) % formats.len()].1);
            for amp in ["&", "&amp;", "\\u0026"] {
                text = text.replace(
                    &format!(
                        "https://data.example.gov.vn/catalog?page={n}{amp}page_size={page_size}"
                    ),
                    &target,
                );
            }
        }
        std::fs::write(dir.join(format!("catalog-{page}.{ext}")), text).unwrap();
    }
    format!("{files}/catalog-1.ttl")
}

/// (e) A DCAT catalogue (the catalog's own pages, saved as files on a plain static file server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dcat_catalogue_on_a_static_file_server_harvests() {
    let app = spawn_app(Backend::Sqlite, SEEDS).await;
    create_published(&app, 0..50).await;
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let files_url = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(&files));
    tokio::spawn(async move { axum::serve(listener, router).await });

    let source = save_dcat_pages(&app, &files, &files_url, 20).await;
    let portal = Portal::start(&dir.path().join("portal"), &[]).await;
    let state = dir.path().join("state");
    let first = harvest("dcat-1", &source, &portal, &state, &[]).await;
    assert_clean(&first);
    assert_eq!(first.report["sourceKind"], "dcat");
    assert_eq!(first.report["created"], 50, "{}", first.stdout);
    let want = expected(&app).await;
    assert_portal_equals_catalog(&portal, &want).await;
    // The DCAT mapping: licence, formats, checksums-free external files, the publisher's agency.
    let p = portal
        .action("package_show", json!({"id": "ds-0007"}))
        .await;
    assert_eq!(p["license_id"], "CC-BY-4.0");
    assert_eq!(p["organization"]["name"], "g12");
    let formats: BTreeSet<&str> = p["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["format"].as_str())
        .collect();
    assert!(formats.contains("CSV"), "{p}");
    let extras: BTreeMap<&str, &str> = p["extras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["key"].as_str().unwrap(), e["value"].as_str().unwrap()))
        .collect();
    assert_eq!(extras["uri"], "https://data.example.gov.vn/dataset/ds-0007");
    assert_eq!(extras["title_en"], "Test dataset 7");
    run_ckanapi(&portal, &want, dir.path()).await;

    // The same pages again: nothing to write. Then 2 withdrawals and 1 edit, pages saved again.
    let idle = harvest("dcat-idle", &source, &portal, &state, &[]).await;
    assert_clean(&idle);
    assert_eq!(
        (
            idle.report["writes"].as_u64(),
            idle.report["skipped"].as_u64()
        ),
        (Some(0), Some(50))
    );
    for id in ["ds-0003", "ds-0030"] {
        let r = app
            .post_json(
                &format!("/api/v1/datasets/{id}/withdraw"),
                Some(ADMIN_TOKEN),
                &json!({"reason": "x"}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let r = call(
        &app,
        reqwest::Method::PATCH,
        "/api/v1/datasets/ds-0011",
        Some(json!({"description": {"vi": "Mô tả mới."}})),
    )
    .await;
    assert_eq!(r.status(), 200);
    publish(&app, "ds-0011").await;
    for f in std::fs::read_dir(&files).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let source = save_dcat_pages(&app, &files, &files_url, 20).await;
    let second = harvest("dcat-2", &source, &portal, &state, &[]).await;
    assert_clean(&second);
    let r = &second.report;
    assert_eq!(
        (
            r["updated"].as_u64(),
            r["deleted"].as_u64(),
            r["skipped"].as_u64(),
            r["writes"].as_u64()
        ),
        (Some(1), Some(2), Some(47), Some(3)),
        "{}",
        second.stdout
    );
    assert_portal_equals_catalog(&portal, &expected(&app).await).await;
}

/// Every run's report reaches the catalog's admin API (`--record-to`), whole; a source on a loopback address is
/// refused unless the operator allows it (SSRF), naming the address, and nothing is written.
async fn runs_are_recorded_in_the_catalog_and_private_sources_are_refused(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    create_published(&app, 0..5).await;
    let dir = tempfile::tempdir().unwrap();
    let portal = Portal::start(&dir.path().join("portal"), &[]).await;

    // Without --allow-private-sources a loopback source is refused before anything is read or written.
    let out = tokio::process::Command::new(BIN)
        .args(["harvest", "--source", &app.base, "--target", &portal.url])
        .args(["--target-token", PORTAL_TOKEN, "--state-dir"])
        .arg(dir.path().join("state-refused"))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("127.0.0.1") && stdout.contains("--allow-private-sources"),
        "the refusal names the address and the way out: {stdout}"
    );
    assert!(portal.all_packages().await.is_empty(), "nothing written");

    let state = dir.path().join("state");
    let run = harvest(
        "recorded",
        &app.base,
        &portal,
        &state,
        &["--record-to", &app.base, "--record-token", ADMIN_TOKEN],
    )
    .await;
    assert_clean(&run);
    assert!(run.stdout.contains("recorded as "), "{}", run.stdout);
    let runs = app
        .client
        .get(app.url("/api/v1/admin/harvest-runs"))
        .send()
        .await
        .unwrap();
    assert_eq!(runs.status(), 401, "the history is the admin's");
    let runs: Value = app
        .client
        .get(app.url("/api/v1/admin/harvest-runs"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = runs["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{runs}");
    assert_eq!(items[0]["created"], 5);
    assert_eq!(items[0]["failed"], 0);
    assert_eq!(items[0]["recordedBy"], "admin");
    let id = items[0]["id"].as_i64().unwrap();
    let one: Value = app
        .client
        .get(app.url(&format!("/api/v1/admin/harvest-runs/{id}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        one["report"], run.report,
        "the whole report, as the harvester wrote it"
    );
    assert_eq!(one["report"]["changes"].as_array().unwrap().len(), 5);

    // A report that does not add up is refused, naming the field, and not recorded.
    let mut bad = run.report.clone();
    bad["failed"] = json!(3);
    let r = app
        .post_json("/api/v1/admin/harvest-runs", Some(ADMIN_TOKEN), &bad)
        .await;
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    assert!(problem.to_string().contains("failed"), "{problem}");
    let r = app
        .client
        .get(app.url("/api/v1/admin/harvest-runs/999"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let after: Value = app
        .client
        .get(app.url("/api/v1/admin/harvest-runs"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["items"].as_array().unwrap().len(), 1);
}
