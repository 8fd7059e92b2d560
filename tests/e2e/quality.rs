//! Quality (issue 18) on both backends: the metadata score (a missing licence costs exactly its indicators' points, an
//! edit changes the score at once, hints on the dataset page in both languages, the catalog-wide page), the CSV
//! validation report checked against Python's `frictionless` on the same file (computed ahead of time, at upload and
//! when seeding), a dead link flagged after a check, and search's quality facet and sort (kept in step with the
//! link checks).
use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, CATALOG_SEEDS, TestApp, spawn_app_with};

on_both_backends!(
    a_missing_licence_costs_exactly_its_points,
    csv_report_agrees_with_frictionless,
    a_dead_link_is_flagged_after_a_check,
    dcat_carries_the_score_in_dqv_and_conforms,
    search_facets_and_sorts_by_quality,
    csv_reports_are_computed_before_anyone_asks,
);

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async fn app(backend: Backend) -> TestApp {
    spawn_app_with(backend, CATALOG_SEEDS, |c| {
        c.link_checks.every = None;
        // The dead link of the test is on loopback, which the SSRF guard refuses otherwise.
        c.link_checks.allow_private = true;
    })
    .await
}

/// A dataset that meets every indicator that does not depend on a link check, but spatial coverage (the 21,000
/// administrative units would make every test load them).
fn complete(id: &str) -> Value {
    json!({
        "id": id,
        "title": {"vi": "Chất lượng không khí", "en": "Air quality"},
        "description": {"vi": "Chỉ số chất lượng không khí theo trạm."},
        "publisher": "G12",
        "themes": ["environment"],
        "keywords": {"vi": ["không khí"], "en": ["air"]},
        "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "contactPoint": {"name": "Phòng Dữ liệu", "email": "dulieu@example.gov.vn"},
        "dataClass": "master",
        "issued": "2024-01-01",
        "modified": "2024-06-01",
        "distributions": [{"id": "csv", "format": "CSV", "downloadUrl": "https://example.org/aq.csv"}]
    })
}

async fn create(app: &TestApp, body: &Value) {
    let r = app
        .post_json("/api/v1/datasets", Some(ADMIN_TOKEN), body)
        .await;
    let status = r.status();
    assert_eq!(status, 201, "{}", r.text().await.unwrap());
}

async fn upload(app: &TestApp, id: &str, did: &str, csv: &str) {
    let r = app
        .client
        .put(app.url(&format!("/api/v1/datasets/{id}/distributions/{did}/file")))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn publish(app: &TestApp, id: &str) {
    for action in ["submit", "publish"] {
        let r = app
            .post_json(
                &format!("/api/v1/datasets/{id}/{action}"),
                Some(ADMIN_TOKEN),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 200, "{action}");
    }
}

async fn quality(app: &TestApp, id: &str) -> Value {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/datasets/{id}/quality")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn points(v: &Value) -> u64 {
    v["score"]["points"].as_u64().unwrap()
}

fn indicators(v: &Value) -> Vec<(String, u64, u64)> {
    v["score"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_owned(),
                i["points"].as_u64().unwrap(),
                i["maxPoints"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn page(app: &TestApp, path: &str) -> String {
    let r = app
        .client
        .get(app.url(path))
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

async fn a_missing_licence_costs_exactly_its_points(backend: Backend) {
    let app = app(backend).await;
    create(&app, &complete("with-licence")).await;
    let mut without = complete("without-licence");
    without.as_object_mut().unwrap().remove("licence");
    create(&app, &without).await;
    for id in ["with-licence", "without-licence"] {
        upload(&app, id, "csv", "station,aqi\nHN01,42\nHN02,57\n").await;
    }
    let full = quality(&app, "with-licence").await;
    let less = quality(&app, "without-licence").await;
    // Everything but spatial coverage is met (the file is the catalog's own, so no link to check).
    let unmet: Vec<String> = indicators(&full)
        .into_iter()
        .filter(|i| i.1 < i.2)
        .map(|i| i.0)
        .collect();
    assert_eq!(unmet, vec!["spatial".to_owned()], "{:#}", full["score"]);
    let max = points(&full);
    let changed: Vec<(String, u64, u64)> = indicators(&full)
        .into_iter()
        .zip(indicators(&less))
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (a.0, a.1, b.1))
        .collect();
    // The licence feeds two MQA indicators: its presence (20) and its being in the EU vocabulary (10); without it
    // both earn nothing and nothing else moves.
    assert_eq!(
        changed,
        vec![
            ("licence".to_owned(), 20, 0),
            ("licenceVocabulary".to_owned(), 10, 0)
        ]
    );
    assert_eq!(points(&full) - points(&less), 30);
    let hint = less["score"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "licence")
        .unwrap()["hint"]
        .clone();

    // An edit is a new revision, scored at once.
    let r = app
        .client
        .patch(app.url("/api/v1/datasets/without-licence"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"licence": "CC-BY-4.0"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let edited = quality(&app, "without-licence").await;
    assert_eq!(points(&edited), max);
    assert!(edited["revision"].as_i64().unwrap() > less["revision"].as_i64().unwrap());
    let r = app
        .client
        .patch(app.url("/api/v1/datasets/without-licence"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"licence": null}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(points(&quality(&app, "without-licence").await), max - 30);

    // The publisher sees the draft's score and what to fix on its form, before submitting.
    let publisher = app
        .token(json!({"name": "lan", "role": "publisher", "agency": "G12"}))
        .await;
    let mut browser = crate::manage::Browser::new(&app);
    assert_eq!(browser.sign_in(&publisher).await.status, 303);
    let form = browser.get("/manage/datasets/without-licence").await.body;
    assert!(form.contains("Chất lượng siêu dữ liệu"), "{form}");
    assert!(form.contains(hint["vi"].as_str().unwrap()));

    // The public sees the published revision's score, with the hint in either language.
    publish(&app, "with-licence").await;
    publish(&app, "without-licence").await;
    let public = app
        .get_json("/api/v1/datasets/without-licence/quality")
        .await;
    assert_eq!(points(&public), max - 30);
    let vi = page(&app, "/dataset/without-licence?lang=vi").await;
    assert!(vi.contains("Chất lượng siêu dữ liệu"), "{vi}");
    let most = full["score"]["maxPoints"].as_u64().unwrap();
    assert!(vi.contains(&format!("<strong>{}</strong> / {most}", max - 30)));
    assert!(vi.contains(hint["vi"].as_str().unwrap()));
    let en = page(&app, "/dataset/without-licence?lang=en").await;
    assert!(en.contains("Metadata quality"));
    assert!(en.contains(hint["en"].as_str().unwrap()));
    let en_full = page(&app, "/dataset/with-licence?lang=en").await;
    assert!(!en_full.contains(hint["en"].as_str().unwrap()));
    assert!(en_full.contains(&format!("<strong>{max}</strong> / ")));

    // Catalog and agency totals.
    let catalog = app.get_json("/api/v1/quality").await;
    assert_eq!(catalog["catalog"]["datasets"], 2);
    assert_eq!(catalog["catalog"]["points"], 2 * max - 30);
    let licence = catalog["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "licence")
        .unwrap();
    assert_eq!(licence["met"], 1);
    let agency = app.get_json("/api/v1/agencies/G12/quality").await;
    assert_eq!(agency["totals"]["datasets"], 2);
    assert_eq!(agency["totals"]["points"], 2 * max - 30);
    let quality_page = page(&app, "/quality?lang=en").await;
    assert!(quality_page.contains("Data quality"));
    assert!(
        quality_page.contains("aria-label=\"50%\""),
        "licence met by 1 of 2"
    );
    let vi_page = page(&app, "/quality?lang=vi").await;
    assert!(vi_page.contains("Chất lượng dữ liệu"));

    // The agency page: its average now, and its trend once a day was kept (after a link-check run).
    let percent = agency["totals"]["percent"].as_u64().unwrap();
    let before = page(&app, "/agency/G12?lang=en").await;
    assert!(
        before.contains(&format!("Average score: <strong>{percent}%</strong>")),
        "{before}"
    );
    assert!(before.contains("No daily figures yet"));
    let r = app
        .post_json("/api/v1/admin/link-checks", Some(ADMIN_TOKEN), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let after = page(&app, "/agency/G12?lang=vi").await;
    assert!(after.contains("Diễn biến theo ngày"));
    assert!(
        after.contains(&format!("aria-label=\"{percent}%\"")),
        "{after}"
    );
    let history = app.get_json("/api/v1/agencies/G12/quality").await["history"].clone();
    assert_eq!(history[0]["percent"], percent);
    assert_eq!(history[0]["datasets"], 2);

    // The catalog's totals are kept between reads, and follow the next publication at once.
    let r = app
        .client
        .patch(app.url("/api/v1/datasets/without-licence"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"licence": "CC0-1.0"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let unchanged = app.get_json("/api/v1/quality").await;
    assert_eq!(
        unchanged["catalog"]["points"],
        2 * max - 30,
        "the public totals count published revisions"
    );
    publish(&app, "without-licence").await;
    let after = app.get_json("/api/v1/quality").await;
    assert_eq!(after["catalog"]["points"], 2 * max);
}

/// A duplicate header and a type error past the 100 rows Frictionless infers types from; with `ragged`, also a row
/// with an extra value and one short of a value (which the upload refuses, so those are validated before uploading).
fn broken_csv(ragged: bool) -> String {
    let mut lines = vec!["station,aqi,aqi,day".to_owned()];
    for i in 1..=110 {
        lines.push(format!(
            "HN{i:03},{},{},2024-01-{:02}",
            i % 90,
            i % 7,
            i % 28 + 1
        ));
    }
    if ragged {
        lines[3] = "HN003,12,3,2024-01-04,extra".into();
        lines[7] = "HN007,15,1".into();
    }
    lines[105] = "HN105,many,2,2024-01-22".into();
    lines.join("\n") + "\n"
}

type Located = BTreeSet<(String, u64, Option<u64>)>;

fn located(report: &Value) -> Located {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            // The line of each problem: one row per line in these files.
            assert_eq!(p["line"], p["row"], "{p}");
            (
                p["kind"].as_str().unwrap().to_owned(),
                p["row"].as_u64().unwrap(),
                p["column"].as_u64(),
            )
        })
        .collect()
}

fn expected(problems: &[(&str, u64, Option<u64>)]) -> Located {
    problems
        .iter()
        .map(|(k, r, c)| ((*k).to_owned(), *r, *c))
        .collect()
}

/// What `frictionless validate` (Python) reports for `csv`: (type, row, field), the header being row 1.
async fn frictionless(csv: &str) -> Located {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file.csv"), csv).unwrap();
    let python = std::env::var("OPENDATA_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import json, sys
from frictionless import validate
report = validate(sys.argv[1])
for task in report.tasks:
    for e in task.errors:
        print(json.dumps([e.type, getattr(e, "row_number", None), getattr(e, "field_number", None)]))
"#;
    let out = tokio::task::spawn_blocking(move || {
        // Frictionless refuses absolute paths unless trusted: it reads the file from its folder.
        std::process::Command::new(python)
            .current_dir(dir.path())
            .arg("-c")
            .arg(script)
            .arg("file.csv")
            .output()
    })
    .await
    .unwrap()
    .expect("python runs (the test suite needs Python with frictionless)");
    assert!(
        out.status.success(),
        "frictionless failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v[0].as_str().unwrap().to_owned(),
                // Frictionless locates label errors by field only.
                v[1].as_u64().unwrap_or(1),
                v[2].as_u64(),
            )
        })
        .collect()
}

async fn csv_report_agrees_with_frictionless(backend: Backend) {
    let app = app(backend).await;
    // Before uploading: a broken row, a short row, a duplicate header and a type error, each with line and column.
    let ragged = broken_csv(true);
    let r = app
        .client
        .post(app.url("/api/v1/quality/csv"))
        .header("content-type", "text/csv")
        .body(ragged.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "validation is for publishers");
    let r = app
        .client
        .post(app.url("/api/v1/quality/csv"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(ragged.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["rows"], 110);
    let ours = located(&report);
    assert_eq!(
        ours,
        expected(&[
            ("duplicate-label", 1, Some(3)),
            ("extra-cell", 4, Some(5)),
            ("missing-cell", 8, Some(4)),
            ("type-error", 106, Some(2)),
        ]),
        "{report:#}"
    );
    assert_eq!(
        ours,
        frictionless(&ragged).await,
        "ours and frictionless's differ"
    );

    // A stored file: its report comes with the dataset's quality, computed once per file hash.
    create(&app, &complete("broken-csv")).await;
    let stored = broken_csv(false);
    upload(&app, "broken-csv", "csv", &stored).await;
    let q = quality(&app, "broken-csv").await;
    let files = q["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["distribution"], "csv");
    let report = &files[0]["report"];
    let ours = located(report);
    assert_eq!(
        ours,
        expected(&[
            ("duplicate-label", 1, Some(3)),
            ("type-error", 106, Some(2))
        ]),
        "{report:#}"
    );
    assert_eq!(
        ours,
        frictionless(&stored).await,
        "ours and frictionless's differ"
    );
    assert_eq!(report["columns"][1]["type"], "integer");
    assert_eq!(report["columns"][3]["type"], "date");
    assert_eq!(quality(&app, "broken-csv").await["files"], q["files"]);

    // The public sees the report on the dataset page, located, in either language.
    publish(&app, "broken-csv").await;
    let vi = page(&app, "/dataset/broken-csv?lang=vi").await;
    assert!(vi.contains("Kiểm tra tệp CSV"), "{vi}");
    assert!(vi.contains("csv: 110 dòng · 2 lỗi"));
    assert!(vi.contains("<th scope=\"row\">Tên cột trùng</th><td>1</td><td>3</td>"));
    assert!(vi.contains("<th scope=\"row\">Sai kiểu dữ liệu</th><td>106</td><td>2</td>"));
    let en = page(&app, "/dataset/broken-csv?lang=en").await;
    assert!(en.contains("<th scope=\"row\">Value of the wrong type</th><td>106</td><td>2</td>"));
}

async fn a_dead_link_is_flagged_after_a_check(backend: Backend) {
    // A loopback server: one file that answers, everything else 404.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server =
        axum::Router::new().route("/live.csv", axum::routing::get(|| async { "a,b\n1,2\n" }));
    let served = tokio::spawn(async move { axum::serve(listener, server).await });
    let live = format!("http://{addr}/live.csv");
    let dead = format!("http://{addr}/gone.csv");

    let app = app(backend).await;
    let mut body = complete("linked");
    body["distributions"] = json!([
        {"id": "live", "format": "CSV", "downloadUrl": live},
        {"id": "dead", "format": "CSV", "downloadUrl": dead},
    ]);
    create(&app, &body).await;
    let before = quality(&app, "linked").await;
    assert!(before["links"].as_array().unwrap().is_empty());
    let unchecked = indicators(&before)
        .into_iter()
        .find(|i| i.0 == "downloadUrlAnswers")
        .unwrap();
    assert_eq!(unchecked.1, 0, "links earn nothing until checked");

    // Only an admin runs the checks.
    let r = app
        .post_json("/api/v1/admin/link-checks", None, &json!({}))
        .await;
    assert_eq!(r.status(), 401);
    let r = app
        .post_json("/api/v1/admin/link-checks", Some(ADMIN_TOKEN), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let run: Value = r.json().await.unwrap();
    assert_eq!(run["checked"], 2, "{run:#}");
    assert_eq!(run["broken"], 1, "{run:#}");

    let after = quality(&app, "linked").await;
    let links = after["links"].as_array().unwrap();
    let dead_check = links.iter().find(|l| l["url"] == dead.as_str()).unwrap();
    assert_eq!(dead_check["ok"], false);
    assert_eq!(dead_check["status"], 404);
    let live_check = links.iter().find(|l| l["url"] == live.as_str()).unwrap();
    assert_eq!(live_check["ok"], true);
    let answers = after["score"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "downloadUrlAnswers")
        .unwrap();
    assert_eq!(
        answers["points"], 15,
        "one of two links answers: {answers:#}"
    );
    assert!(answers["missing"][0].as_str().unwrap().contains("broken"));
    assert_eq!(points(&after), points(&before) + 15 + 25);

    // The agency's staff see it among their broken links (the dataset is a draft: the public does not).
    let agency: Value = app
        .client
        .get(app.url("/api/v1/agencies/G12/quality"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let broken = agency["brokenLinks"].as_array().unwrap();
    assert_eq!(broken.len(), 1, "{agency:#}");
    assert_eq!(broken[0]["dataset"], "linked");
    assert_eq!(broken[0]["distribution"], "dead");
    assert_eq!(broken[0]["check"]["status"], 404);
    let public = app.get_json("/api/v1/agencies/G12/quality").await;
    assert!(public["brokenLinks"].as_array().unwrap().is_empty());
    // And on their dashboard, in Vietnamese by default.
    let publisher = app
        .token(json!({"name": "lan", "role": "publisher", "agency": "G12"}))
        .await;
    let mut browser = crate::manage::Browser::new(&app);
    assert_eq!(browser.sign_in(&publisher).await.status, 303);
    let dashboard = browser.get("/manage").await.body;
    assert!(dashboard.contains("Liên kết hỏng"), "{dashboard}");
    assert!(
        dashboard.contains(&format!("<code>{dead}</code>: HTTP 404")),
        "{dashboard}"
    );
    assert!(!dashboard.contains(&format!("<code>{live}</code>")));
    // The run kept today's totals in the history (nothing is published yet: zero datasets, but a day recorded).
    let today = chrono::Utc::now().date_naive().to_string();
    let history = app.get_json("/api/v1/quality").await["history"].clone();
    assert_eq!(history.as_array().unwrap().len(), 1, "{history:#}");
    assert_eq!(history[0]["day"], today.as_str());
    assert_eq!(history[0]["datasets"], 0);

    // Checked again only when due; forced, the history grows.
    let r = app
        .post_json("/api/v1/admin/link-checks", Some(ADMIN_TOKEN), &json!({}))
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["checked"], 0);
    let r = app
        .post_json(
            "/api/v1/admin/link-checks?force=true",
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["checked"], 2);
    served.abort();
}

async fn dcat_carries_the_score_in_dqv_and_conforms(backend: Backend) {
    let app = app(backend).await;
    let mut without = complete("dqv");
    without.as_object_mut().unwrap().remove("licence");
    create(&app, &without).await;
    upload(&app, "dqv", "csv", "station,aqi\nHN01,42\n").await;
    publish(&app, "dqv").await;
    let nt = app
        .get("/dataset/dqv?format=nt")
        .await
        .text()
        .await
        .unwrap();
    let dataset = "<https://data.example.gov.vn/dataset/dqv>";
    let measurements = nt
        .lines()
        .filter(|l| {
            l.starts_with(dataset) && l.contains("<http://www.w3.org/ns/dqv#hasQualityMeasurement>")
        })
        .count();
    let indicators = quality(&app, "dqv").await["score"]["indicators"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(measurements, indicators, "{nt}");
    assert!(nt.contains("<http://www.w3.org/ns/dqv#QualityMeasurement>"));
    // The licence's measurement says 0.
    assert_eq!(dqv_value(&nt, "licence"), 0, "{nt}");
    // Still DCAT-AP 3 (core and range shapes) with the measurements in it.
    let ttl = app
        .get("/dataset/dqv?format=ttl")
        .await
        .text()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dqv.ttl");
    std::fs::write(&path, ttl).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rdf/dcat_ap_conforms.sh");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(script)
            .arg(&path)
            .arg("turtle")
            .output()
    })
    .await
    .unwrap()
    .expect("the conformance script runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `dqv:value` of indicator `id`'s measurement in an N-Triples description.
fn dqv_value(nt: &str, id: &str) -> u64 {
    let metric = format!("<https://data.example.gov.vn/quality#metric-{id}>");
    let node = nt
        .lines()
        .find(|l| {
            l.ends_with(&format!(
                "<http://www.w3.org/ns/dqv#isMeasurementOf> {metric} ."
            ))
        })
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no measurement of {id}: {nt}"))
        .to_owned();
    let line = nt
        .lines()
        .find(|l| l.starts_with(&format!("{node} <http://www.w3.org/ns/dqv#value> ")))
        .unwrap();
    line.split('"').nth(1).unwrap().parse().unwrap()
}

/// The search API's quality of each hit, by id, in the order given.
fn hit_points(page: &Value) -> Vec<(String, u64)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap().to_owned(),
                h["quality"]["points"].as_u64().expect("a quality score"),
            )
        })
        .collect()
}

async fn search_facets_and_sorts_by_quality(backend: Backend) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server =
        axum::Router::new().route("/live.csv", axum::routing::get(|| async { "a,b\n1,2\n" }));
    let served = tokio::spawn(async move { axum::serve(listener, server).await });

    let app = app(backend).await;
    create(&app, &complete("best")).await;
    let mut less = complete("less");
    less.as_object_mut().unwrap().remove("licence");
    create(&app, &less).await;
    create(
        &app,
        &json!({
            "id": "bare",
            "title": {"vi": "Tối thiểu"},
            "description": {"vi": "Ít siêu dữ liệu."},
            "publisher": "G12",
            "themes": ["environment"]
        }),
    )
    .await;
    let mut linked = complete("linked");
    linked["distributions"] =
        json!([{"id": "live", "format": "CSV", "downloadUrl": format!("http://{addr}/live.csv")}]);
    create(&app, &linked).await;
    let ids = ["best", "less", "bare", "linked"];
    for id in ids {
        publish(&app, id).await;
    }
    let mut expected: Vec<(String, u64, String)> = Vec::new();
    for id in ids {
        let q = quality(&app, id).await;
        expected.push((
            id.to_owned(),
            points(&q),
            q["score"]["rating"].as_str().unwrap().to_owned(),
        ));
    }

    // Sorted by score, best first; each hit carries the score the quality API gives.
    let started = std::time::Instant::now();
    let sorted = loop {
        let found = app.get_json("/api/v1/search?sort=quality&limit=10").await;
        if found["total"] == 4 {
            break found;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{found:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    let hits = hit_points(&sorted);
    for (id, p, _) in &expected {
        assert!(hits.contains(&(id.clone(), *p)), "{id} {p}: {hits:?}");
    }
    assert!(
        hits.windows(2).all(|w| w[0].1 >= w[1].1),
        "best first: {hits:?}"
    );
    assert_eq!(hits.last().unwrap().0, "bare", "{hits:?}");
    assert!(
        expected[0].1 > expected[1].1 && expected[1].1 > expected[2].1,
        "{expected:?}"
    );

    // The facet counts the rating bands, and filters on them.
    let facet = sorted["facets"]["quality"].as_array().unwrap().clone();
    let counted: u64 = facet.iter().map(|f| f["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 4, "{facet:?}");
    for f in &facet {
        let rating = f["value"].as_str().unwrap();
        let with: BTreeSet<&str> = expected
            .iter()
            .filter(|e| e.2 == rating)
            .map(|e| e.0.as_str())
            .collect();
        assert_eq!(f["count"].as_u64().unwrap(), with.len() as u64, "{rating}");
        let filtered = app
            .get_json(&format!("/api/v1/search?quality={rating}"))
            .await;
        let found: BTreeSet<String> = hit_points(&filtered).into_iter().map(|h| h.0).collect();
        assert_eq!(
            found,
            with.iter()
                .map(|s| (*s).to_owned())
                .collect::<BTreeSet<_>>(),
            "{rating}"
        );
    }
    let r = app.get("/api/v1/search?sort=score").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("quality"));

    // A link check that finds the link answering raises the score; the index and the DCAT description (its DQV
    // measurement and its ETag) follow through the change log.
    let before = expected[3].1;
    let dcat = app.get("/dataset/linked?format=nt").await;
    let etag = dcat.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        dqv_value(&dcat.text().await.unwrap(), "downloadUrlAnswers"),
        0
    );
    let r = app
        .post_json("/api/v1/admin/link-checks", Some(ADMIN_TOKEN), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let now = points(&quality(&app, "linked").await);
    assert!(now > before, "{before} -> {now}");
    let started = std::time::Instant::now();
    loop {
        let found = app.get_json("/api/v1/search?sort=quality&limit=10").await;
        if hit_points(&found).contains(&("linked".to_owned(), now)) {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the index still has the old score: {found:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let dcat = app
        .client
        .get(app.url("/dataset/linked?format=nt"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(dcat.status(), 200, "not a stale 304");
    assert_eq!(
        dqv_value(&dcat.text().await.unwrap(), "downloadUrlAnswers"),
        30
    );
    let feed = app.get_json("/api/v1/changes?limit=10000").await;
    let moved: Vec<&Value> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "dataset.link-state")
        .collect();
    // One entry for `linked` (its URL now answers), and one for each of `best` and `less`, whose shared URL on
    // example.org was unchecked and is now broken (no route out of the test machine): each dataset once per move.
    let subjects: Vec<&str> = moved
        .iter()
        .map(|e| e["subject"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        subjects.iter().filter(|s| **s == "linked").count(),
        1,
        "{subjects:?}"
    );
    assert!(!subjects.contains(&"bare"), "{subjects:?}");
    // A check that sees the same again logs nothing.
    let r = app
        .post_json(
            "/api/v1/admin/link-checks?force=true",
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let feed = app.get_json("/api/v1/changes?limit=10000").await;
    let again = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "dataset.link-state")
        .count();
    assert_eq!(again, moved.len());

    // The search page: the facet, the sort and each result's rating, in both languages.
    let vi = page(&app, "/search?sort=quality").await;
    assert!(vi.contains("Chất lượng siêu dữ liệu"), "{vi}");
    assert!(vi.contains("<option value=\"quality\" selected>"), "{vi}");
    assert!(vi.contains("class=\"quality-badge\">Chất lượng:"), "{vi}");
    let en = page(&app, "/search?sort=quality&lang=en").await;
    assert!(en.contains("Metadata quality"));
    assert!(en.contains("class=\"quality-badge\">Quality:"));
    served.abort();
}

/// Removes every stored file (the catalog's content-addressed store under the data directory).
fn remove_stored_files(dir: &std::path::Path) -> usize {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "sha256") {
                removed += std::fs::read_dir(&path)
                    .unwrap()
                    .flatten()
                    .map(|d| std::fs::read_dir(d.path()).map_or(0, |f| f.count()))
                    .sum::<usize>();
                std::fs::remove_dir_all(&path).unwrap();
            } else {
                removed += remove_stored_files(&path);
            }
        }
    }
    removed
}

async fn csv_reports_are_computed_before_anyone_asks(backend: Backend) {
    let app = spawn_app_with(backend, &[], |c| {
        c.seed = opendata::app::Seed::All;
        c.link_checks.every = None;
    })
    .await;
    create(&app, &complete("uploaded")).await;
    upload(&app, "uploaded", "csv", &broken_csv(false)).await;
    // With the files gone, only a report computed before this request can answer.
    assert!(remove_stored_files(&app.data_dir) > 1);
    let uploaded = quality(&app, "uploaded").await;
    let files = uploaded["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{uploaded:#}");
    assert_eq!(files[0]["report"]["valid"], false);
    assert!(files[0]["report"]["rows"].as_u64().unwrap() > 100);
    // The seed datasets' files, reported while seeding.
    for id in ["ethnic-groups", "administrative-units-2025-07-01"] {
        let seeded = app
            .get_json(&format!("/api/v1/datasets/{id}/quality"))
            .await;
        let files = seeded["files"].as_array().unwrap();
        assert!(!files.is_empty(), "{id}: {seeded:#}");
        for f in files {
            assert!(f["report"]["rows"].as_u64().unwrap() > 0, "{id}: {f:#}");
        }
    }
    // The pass over the whole catalog for files without a report ran once, to its end, and is recorded: later
    // starts do not scan every dataset again.
    let db = match &app.database_url {
        Some(url) => registry::Database::connect(url).await.unwrap(),
        None => registry::Database::open_sqlite(&app.data_dir)
            .await
            .unwrap(),
    };
    let started = std::time::Instant::now();
    loop {
        let done = sqlx::query("SELECT done_at FROM catalog_chores WHERE name = 'csv-reports'")
            .fetch_optional(db.pool())
            .await
            .unwrap();
        if done.is_some() {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the CSV report pass is recorded as done"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    db.close().await;
}
