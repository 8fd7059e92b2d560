//! Issue 20: one opendata server aggregates others (`opendata harvest --target-kind opendata`). An agency's catalog
//! (server A) is read two ways into a national one (server B, another base URI): as its multi-page DCAT catalogue
//! saved to static files, and through the mock CKAN portal it was first harvested into. Counts equal rdflib's; codes
//! are mapped through B's registry and the agency map, never invented (an unmappable publisher is a failure naming
//! it); provenance is on the page and in DCAT (`dct:source`, `adms:identifier`) and B's DCAT still conforms to
//! DCAT-AP; an edit and a withdrawal at the source reach B; a rerun with no change writes nothing; harvested datasets
//! are read-only on B's curation pages.
use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::CATALOG_SEEDS as SEEDS;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app, spawn_app_with};

use crate::harvest::support as harvest_support;

use harvest_support::{BIN, Portal, assert_clean, call, create_published, harvest, publish};

on_both_backends!(agency_catalogs_aggregate_into_a_second_opendata_server);

const NATIONAL: &str = "https://national.example.gov.vn";

/// The published datasets of `app`, by id, with their content.
pub(crate) async fn published(app: &TestApp) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/api/v1/datasets?limit=100".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get_json(&path).await;
        for d in page["items"].as_array().unwrap() {
            out.insert(d["id"].as_str().unwrap().to_owned(), d.clone());
        }
        match page["next"].as_str() {
            Some(n) => cursor = Some(n.to_owned()),
            None => return out,
        }
    }
}

/// Saves A's DCAT pages (Turtle) as static files whose Hydra links point at each other; answers the first page's URL.
pub(crate) async fn save_pages(app: &TestApp, dir: &Path, files: &str, page_size: usize) -> String {
    for f in std::fs::read_dir(dir).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let pages = published(app).await.len().div_ceil(page_size).max(1);
    for page in 1..=pages {
        let r = app
            .get(&format!(
                "/catalog?page={page}&page_size={page_size}&format=ttl"
            ))
            .await;
        assert_eq!(r.status(), 200);
        let mut text = r.text().await.unwrap();
        // The static pages are found by number: drop the cursor `hydra:next` carries (`after=` an id).
        while let Some(at) = text.find("&after=") {
            let end = text[at + 7..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '%'))
                .map_or(text.len(), |e| at + 7 + e);
            text.replace_range(at..end, "");
        }
        for n in 1..=pages {
            text = text.replace(
                &format!("https://data.example.gov.vn/catalog?page={n}&page_size={page_size}"),
                &format!("{files}/catalog-{n}.ttl"),
            );
        }
        std::fs::write(dir.join(format!("catalog-{page}.ttl")), text).unwrap();
    }
    format!("{files}/catalog-1.ttl")
}

/// The datasets rdflib finds over every saved page.
fn rdflib_count(dir: &Path) -> u64 {
    let python = std::env::var("OPENDATA_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = r#"
import sys, glob, rdflib
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
g = rdflib.Graph()
for f in glob.glob(sys.argv[1] + "/*.ttl"):
    g.parse(f, format="turtle")
print(len({d for c in g.subjects(rdflib.RDF.type, DCAT.Catalog) for d in g.objects(c, DCAT.dataset)}))
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(dir)
        .output()
        .expect("python3 with rdflib");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Runs the harvester into the opendata server `target`.
pub(crate) async fn harvest_into(
    label: &str,
    source: &str,
    target: &TestApp,
    token: &str,
    state: &Path,
    extra: &[&str],
) -> harvest_support::Run {
    let report = state.join(format!("{label}.json"));
    std::fs::create_dir_all(state).unwrap();
    let out = tokio::process::Command::new(BIN)
        .args(["harvest", "--source", source, "--target", &target.base])
        .args(["--target-kind", "opendata", "--target-token", token])
        .arg("--state-dir")
        .arg(state)
        .arg("--report")
        .arg(&report)
        .arg("--allow-private-sources")
        .args(extra)
        .output()
        .await
        .expect("the harvester runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap_or_default())
        .unwrap_or_else(|_| {
            panic!(
                "{label}: no report; stdout {stdout} stderr {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    eprintln!("aggregate [{label}]: {stdout}");
    harvest_support::Run {
        report,
        stdout,
        success: out.status.success(),
        elapsed: std::time::Duration::ZERO,
    }
}

fn counts(run: &harvest_support::Run) -> (u64, u64, u64, u64, u64) {
    let r = &run.report;
    let n = |k: &str| r[k].as_u64().unwrap();
    (
        n("created"),
        n("updated"),
        n("deleted"),
        n("skipped"),
        n("writes"),
    )
}

fn conforms(file: &Path) -> (bool, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rdf/dcat_ap_conforms.sh");
    let out = std::process::Command::new(script)
        .arg(file)
        .arg("turtle")
        .output()
        .expect("the conformance script runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn agency_catalogs_aggregate_into_a_second_opendata_server(backend: Backend) {
    let agency = spawn_app(backend, SEEDS).await;
    create_published(&agency, 0..25).await;
    let national = spawn_app_with(backend, SEEDS, |c| c.base_uri = NATIONAL.into()).await;
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let files_url = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(&files));
    tokio::spawn(async move { axum::serve(listener, router).await });

    // (1) The agency's DCAT catalogue, 3 pages of 10, into the national catalog.
    let source = save_pages(&agency, &files, &files_url, 10).await;
    let want = rdflib_count(&files);
    assert_eq!(want, 25);
    let harvester = national
        .token(json!({"name": "national-harvester", "role": "harvester"}))
        .await;
    let state = dir.path().join("state-dcat");
    let first = harvest_into("dcat-1", &source, &national, &harvester, &state, &[]).await;
    assert_clean(&first);
    assert_eq!(counts(&first).0, want, "{}", first.stdout);
    let got = published(&national).await;
    assert_eq!(got.len() as u64, want);
    let d = national.get_json("/api/v1/datasets/ds-0007").await;
    let content = if d["content"].is_object() {
        &d["content"]
    } else {
        &d
    };
    assert_eq!(content["publisher"], "G12", "{d}");
    assert_eq!(content["themes"], json!(["health"]), "{d}");
    assert_eq!(content["licence"], "CC-BY-4.0", "{d}");
    assert_eq!(content["accessRight"], "public", "{d}");
    assert_eq!(content["title"]["en"], "Test dataset 7", "{d}");
    let provenance = &content["provenance"];
    assert_eq!(provenance["source"], source.as_str(), "{d}");
    assert_eq!(
        provenance["identifier"],
        "https://data.example.gov.vn/dataset/ds-0007"
    );
    // Provenance in DCAT, and the national catalog's DCAT still conforms to DCAT-AP.
    let ttl = national
        .get("/dataset/ds-0007?format=ttl")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        ttl.contains("https://data.example.gov.vn/dataset/ds-0007"),
        "{ttl}"
    );
    assert!(
        ttl.contains("http://purl.org/dc/terms/source") || ttl.contains("dct:source"),
        "{ttl}"
    );
    assert!(
        ttl.contains("adms:identifier") || ttl.contains("http://www.w3.org/ns/adms#identifier"),
        "{ttl}"
    );
    let path = dir.path().join("national.ttl");
    let catalog = national
        .get("/catalog?page_size=100&format=ttl")
        .await
        .text()
        .await
        .unwrap();
    std::fs::write(&path, catalog).unwrap();
    let (ok, report) = conforms(&path);
    assert!(ok, "the national catalog's DCAT: {report}");
    // On the page, and read-only on the curation pages.
    let page = national
        .client
        .get(national.url("/dataset/ds-0007?lang=en"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Harvested from"), "{page}");
    assert!(page.contains(source.as_str()), "{page}");
    // Read-only on the curation pages, even for an admin: a notice naming the source, no form, a post refused.
    let mut admin = crate::manage::signed_in(
        &national,
        json!({"name": "national-admin", "role": "admin"}),
    )
    .await;
    let form = admin.get("/manage/datasets/ds-0007").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains(source.as_str()), "{}", form.body);
    assert!(!form.body.contains("name=\"title_vi\""), "{}", form.body);
    assert!(!form.body.contains("/withdraw\""), "{}", form.body);
    let csrf = admin.csrf("/manage").await;
    let r = admin
        .post(
            "/manage/datasets/ds-0007",
            &[
                ("csrf", csrf.as_str()),
                ("title_vi", "Sửa tại chỗ"),
                ("description_vi", "Sửa tại chỗ."),
                ("themes", "health"),
                ("languages", "vi"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // The search facet "source": every harvested dataset under its catalogue.
    let mut found = Value::Null;
    for _ in 0..50 {
        found = national
            .client
            .get(national.url("/api/v1/search"))
            .query(&[("source", source.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if found["total"] == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(found["total"], want, "{found}");
    assert_eq!(
        found["facets"]["source"],
        json!([{"value": source, "count": want}]),
        "{found}"
    );
    let page = national
        .client
        .get(national.url("/search"))
        .query(&[("source", source.as_str()), ("lang", "en")])
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Harvested from"),
        "the facet's legend: {page}"
    );
    assert!(
        page.contains("/dataset/ds-00"),
        "a harvested dataset listed: {page}"
    );
    // Harvested datasets are the harvester's: the agency's publisher cannot edit them, the harvester cannot touch a
    // dataset described here.
    let publisher = national
        .token(json!({"name": "g12-publisher", "role": "publisher", "agency": "G12"}))
        .await;
    let r = national
        .client
        .patch(national.url("/api/v1/datasets/ds-0007"))
        .bearer_auth(&publisher)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"description": {"vi": "Sửa tại chỗ."}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap());
    let mut local = harvest_support::dataset_body(900);
    local["publisher"] = json!("G12");
    let r = national
        .client
        .post(national.url("/api/v1/datasets"))
        .bearer_auth(&harvester)
        .json(&local)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        403,
        "a harvester writes only harvested datasets"
    );

    // (2) Nothing changed: nothing written.
    let head = national.get_json("/api/v1/changes?limit=1").await["head"].clone();
    assert!(!head.is_null(), "the change feed names its head");
    let idle = harvest_into("dcat-idle", &source, &national, &harvester, &state, &[]).await;
    assert_clean(&idle);
    assert_eq!(counts(&idle), (0, 0, 0, want, 0), "{}", idle.stdout);
    assert_eq!(
        national.get_json("/api/v1/changes?limit=1").await["head"],
        head,
        "the national change log did not move"
    );

    // (3) An edit and a withdrawal at the source reach the national catalog.
    let r = call(
        &agency,
        reqwest::Method::PATCH,
        "/api/v1/datasets/ds-0011",
        Some(json!({"description": {"vi": "Mô tả mới từ nguồn."}})),
    )
    .await;
    assert_eq!(r.status(), 200);
    publish(&agency, "ds-0011").await;
    let r = agency
        .post_json(
            "/api/v1/datasets/ds-0003/withdraw",
            Some(ADMIN_TOKEN),
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let source = save_pages(&agency, &files, &files_url, 10).await;
    let second = harvest_into("dcat-2", &source, &national, &harvester, &state, &[]).await;
    assert_clean(&second);
    assert_eq!(counts(&second), (0, 1, 1, 23, 2), "{}", second.stdout);
    let d = national.get_json("/api/v1/datasets/ds-0011").await;
    assert!(d.to_string().contains("Mô tả mới từ nguồn."), "{d}");
    assert_eq!(national.get("/api/v1/datasets/ds-0003").await.status(), 410);
    assert_eq!(published(&national).await.len(), 24);

    // (4) Through the mock CKAN portal: the agency harvested into the portal, the portal into a third catalog, its
    // organizations mapped to agencies by the agency map. A publisher missing from the map is a failure naming it.
    let portal = Portal::start(&dir.path().join("portal"), &[]).await;
    let to_portal = harvest(
        "to-portal",
        &agency.base,
        &portal,
        &dir.path().join("state-portal"),
        &[],
    )
    .await;
    assert_clean(&to_portal);
    let third = spawn_app_with(backend, SEEDS, |c| c.base_uri = NATIONAL.into()).await;
    let third_harvester = third
        .token(json!({"name": "third-harvester", "role": "harvester"}))
        .await;
    let map = dir.path().join("agencies.json");
    std::fs::write(
        &map,
        json!({"g01": "G01", "g02": "G02", "g03": "G03"}).to_string(),
    )
    .unwrap();
    let ckan_state = dir.path().join("state-ckan");
    let args = [
        "--source-kind",
        "ckan",
        "--agency-map",
        map.to_str().unwrap(),
    ];
    let partial = harvest_into(
        "ckan-1",
        &portal.url,
        &third,
        &third_harvester,
        &ckan_state,
        &args,
    )
    .await;
    assert!(!partial.success);
    let failures = partial.report["failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    assert!(
        failures
            .iter()
            .all(|f| f["reason"].as_str().unwrap().contains("g12")),
        "{failures:#?}"
    );
    std::fs::write(
        &map,
        json!({"g01": "G01", "g02": "G02", "g03": "G03", "g12": "G12"}).to_string(),
    )
    .unwrap();
    let full = harvest_into(
        "ckan-2",
        &portal.url,
        &third,
        &third_harvester,
        &ckan_state,
        &args,
    )
    .await;
    assert_clean(&full);
    let on_portal = portal
        .all_packages()
        .await
        .into_iter()
        .filter(|p| p["state"] == "active")
        .count();
    assert_eq!(published(&third).await.len(), on_portal);
    assert_eq!(on_portal, 24);
    let head = third.get_json("/api/v1/changes?limit=1").await["head"].clone();
    assert!(!head.is_null(), "the change feed names its head");
    let again = harvest_into(
        "ckan-3",
        &portal.url,
        &third,
        &third_harvester,
        &ckan_state,
        &args,
    )
    .await;
    assert_clean(&again);
    assert_eq!(again.report["writes"], 0, "{}", again.stdout);
    assert_eq!(
        third.get_json("/api/v1/changes?limit=1").await["head"],
        head,
        "the third catalog's change log did not move"
    );

    // (5) An edit and a deletion on the CKAN portal reach the third catalog.
    portal
        .action(
            "package_patch",
            json!({"id": "ds-0012", "notes": "Mô tả sửa trên cổng."}),
        )
        .await;
    portal
        .action("package_delete", json!({"id": "ds-0013"}))
        .await;
    let changed = harvest_into(
        "ckan-4",
        &portal.url,
        &third,
        &third_harvester,
        &ckan_state,
        &args,
    )
    .await;
    assert_clean(&changed);
    let (created, updated, deleted, _, writes) = counts(&changed);
    assert_eq!(
        (created, updated, deleted, writes),
        (0, 1, 1, 2),
        "{}",
        changed.stdout
    );
    let d = third.get_json("/api/v1/datasets/ds-0012").await;
    assert!(d.to_string().contains("Mô tả sửa trên cổng."), "{d}");
    assert_eq!(third.get("/api/v1/datasets/ds-0013").await.status(), 410);
    assert_eq!(published(&third).await.len(), 23);
}
