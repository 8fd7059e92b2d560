//! DCAT-AP export and SPARQL, on both backends: conformance with the real validator, rdflib isomorphism of the three
//! syntaxes, and the same dataset count from the API, the export and SPARQL.
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app};

on_both_backends!(
    dcat_catalog_conforms_and_sparql_agrees,
    seed_catalog_conforms_with_lists_plans_and_attention
);

use crate::support::CATALOG_SEEDS as SEEDS;

fn dataset(id: &str, publisher: &str, theme: &str) -> Value {
    json!({
        "id": id,
        "title": {"vi": format!("Tập dữ liệu {id}"), "en": format!("Dataset {id}")},
        "description": {"vi": "Mô tả.", "en": "Description."},
        "publisher": publisher,
        "themes": [theme],
        "keywords": {"vi": ["thử"]},
        "frequency": "ANNUAL",
        "licence": "CC-BY-4.0",
        "accessRight": "public",
        "languages": ["vi", "en"],
        "contactPoint": {"name": "Phòng Dữ liệu", "email": "dulieu@example.gov.vn"},
        "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
        "distributions": [{"id": "web", "accessUrl": "https://example.org/data", "format": "HTML"}]
    })
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
        assert_eq!(r.status(), 200, "{action} {id}");
    }
}

fn run(script: &str, args: &[String]) -> (bool, String) {
    let out = std::process::Command::new(script)
        .args(args)
        .output()
        .expect("script runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn sparql_count(app: &TestApp, query: &str) -> i64 {
    let r = app
        .client
        .get(app.url("/sparql"))
        .query(&[("query", query)])
        .header("accept", "application/sparql-results+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["results"]["bindings"][0]["n"]["value"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn dcat_catalog_conforms_and_sparql_agrees(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    for (id, publisher, theme) in [
        ("ds-health", "G12", "health"),
        ("ds-edu", "G03", "education"),
        ("ds-draft", "G12", "health"),
    ] {
        let r = app
            .post_json(
                "/api/v1/datasets",
                Some(ADMIN_TOKEN),
                &dataset(id, publisher, theme),
            )
            .await;
        assert_eq!(r.status(), 201, "{id}: {}", r.text().await.unwrap());
    }
    let r = app
        .client
        .put(app.url("/api/v1/datasets/ds-health/distributions/csv/file"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    publish(&app, "ds-health").await;
    publish(&app, "ds-edu").await;
    // Two releases of ds-health, with different files.
    let release = |v: &'static str| {
        let app = &app;
        async move {
            let r = app
                .post_json(
                    "/api/v1/datasets/ds-health/releases",
                    Some(ADMIN_TOKEN),
                    &json!({"version": v, "notes": {"vi": "Bản phát hành"}}),
                )
                .await;
            assert_eq!(r.status(), 201, "release {v}");
        }
    };
    release("v1").await;
    let r = app
        .client
        .put(app.url("/api/v1/datasets/ds-health/distributions/csv/file"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body("a,b\n1,2\n3,4\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    publish(&app, "ds-health").await;
    release("v2").await;

    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    // Every Hydra page conforms to DCAT-AP (core and range shapes).
    let mut page = 1;
    loop {
        let r = app
            .get(&format!("/catalog?page_size=1&page={page}&format=ttl"))
            .await;
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        let path = dir.path().join(format!("page{page}.ttl"));
        std::fs::write(&path, &body).unwrap();
        let (ok, report) = run(
            &format!("{root}/tests/rdf/dcat_ap_conforms.sh"),
            &[path.display().to_string(), "turtle".into()],
        );
        assert!(ok, "page {page}: {report}");
        if !body.contains("hydra/core#next>") {
            break;
        }
        page += 1;
        assert!(page < 10);
    }
    assert_eq!(page, 2, "two published datasets, one per page");

    // The whole catalog in three syntaxes parses in rdflib and is isomorphic.
    let mut args = Vec::new();
    for (format, ext, rdflib) in [
        ("ttl", "ttl", "turtle"),
        ("jsonld", "jsonld", "json-ld"),
        ("rdfxml", "rdf", "xml"),
    ] {
        let body = app
            .get(&format!("/catalog?page_size=1000&format={format}"))
            .await
            .bytes()
            .await
            .unwrap();
        let path = dir.path().join(format!("all.{ext}"));
        std::fs::write(&path, &body).unwrap();
        args.push(format!("{}:{rdflib}", path.display()));
    }
    let python = std::env::var("OPENDATA_PYTHON").unwrap_or_else(|_| "python3".into());
    let (ok, report) = run(
        &python,
        &[&[format!("{root}/tests/rdf/isomorphic.py")][..], &args].concat(),
    );
    assert!(ok, "{report}");

    // Counts agree: API total, export, SPARQL (once the projection has caught up).
    let total = app.get_json("/api/v1/datasets").await["total"]
        .as_i64()
        .unwrap();
    assert_eq!(total, 2);
    let nt = app
        .get("/catalog?page_size=1000&format=nt")
        .await
        .text()
        .await
        .unwrap();
    let exported = nt
        .lines()
        .filter(|l| l.contains("> <http://www.w3.org/ns/dcat#dataset> <"))
        .count();
    assert_eq!(exported as i64, total, "{nt}");
    assert!(nt.contains("<http://publications.europa.eu/resource/authority/data-theme/HEAL>"));
    assert!(nt.contains("<http://publications.europa.eu/resource/authority/data-theme/EDUC>"));
    // One uploaded distribution, shown in the dataset and in each of its two releases, each with its checksum.
    assert_eq!(
        nt.matches("<http://spdx.org/rdf/terms#checksumValue>")
            .count(),
        3
    );
    let health = "<https://data.example.gov.vn/dataset/ds-health>";
    let v1 = "<https://data.example.gov.vn/dataset/ds-health/releases/v1>";
    let v2 = "<https://data.example.gov.vn/dataset/ds-health/releases/v2>";
    for triple in [
        format!("{health} <http://www.w3.org/ns/dcat#hasVersion> {v1} ."),
        format!("{health} <http://www.w3.org/ns/dcat#hasVersion> {v2} ."),
        format!("{health} <http://www.w3.org/ns/dcat#hasCurrentVersion> {v2} ."),
        format!("{v2} <http://www.w3.org/ns/dcat#previousVersion> {v1} ."),
        format!("{v1} <http://purl.org/dc/terms/isVersionOf> {health} ."),
        format!("{v1} <http://www.w3.org/ns/dcat#version> \"v1\" ."),
    ] {
        assert!(nt.contains(&triple), "missing {triple}");
    }
    assert!(
        nt.contains("/dataset/ds-health/distribution/csv/download?revision="),
        "a release's file URL names its revision"
    );
    assert!(!nt.contains("sameAs"));
    let count = "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?c a <http://www.w3.org/ns/dcat#Catalog> ; <http://www.w3.org/ns/dcat#dataset> ?d }";
    let mut n = 0;
    for _ in 0..40 {
        n = sparql_count(&app, count).await;
        if n == total {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(n, total);
    // A withdrawal reaches SPARQL within 2 seconds; the dataset URI answers 410 with its description.
    let r = app
        .post_json(
            "/api/v1/datasets/ds-edu/withdraw",
            Some(ADMIN_TOKEN),
            &json!({"reason": "test"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let started = std::time::Instant::now();
    while sparql_count(&app, count).await != 1 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "SPARQL did not follow the withdrawal"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Nothing of its description is left in the store: the dataset, its distributions, its blank nodes.
    let left = sparql_count(
        &app,
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?s), '/dataset/ds-edu')) }",
    )
    .await;
    assert_eq!(left, 0, "triples of the withdrawn dataset remain");
    let gone = app.get("/dataset/ds-edu?format=ttl").await;
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("ds-edu"));
    // SKOS code lists are in the same store.
    let themes = sparql_count(
        &app,
        "SELECT (COUNT(?c) AS ?n) WHERE { ?c <http://www.w3.org/2004/02/skos/core#inScheme> ?s . FILTER(STRENDS(STR(?s), '/registry/themes')) }",
    )
    .await;
    assert_eq!(themes, 12);
    // Bad queries and writes are refused.
    let r = app
        .client
        .get(app.url("/sparql"))
        .query(&[("query", "SELEC nothing")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .post(app.url("/sparql"))
        .header("content-type", "application/sparql-update")
        .body("DROP ALL")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .post(app.url("/sparql"))
        .header("content-type", "application/sparql-query")
        .header("accept", "text/csv")
        .body("SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("/dataset/ds-health"));
}

/// The shipped seed catalog: every Hydra page conforms, the agencies' 2025 open-data lists verify against their
/// manifests, plans count progress, and the needs-attention report finds the codes closed by the 2025 reform.
async fn seed_catalog_conforms_with_lists_plans_and_attention(backend: Backend) {
    let app =
        crate::support::spawn_app_with(backend, &[], |c| c.seed = opendata::app::Seed::All).await;
    let total = app.get_json("/api/v1/datasets").await["total"]
        .as_i64()
        .unwrap();
    assert!(total >= 8, "at least 8 seed datasets, got {total}");
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut page = 1;
    loop {
        let body = app
            .get(&format!("/catalog?page_size=4&page={page}&format=ttl"))
            .await
            .text()
            .await
            .unwrap();
        let path = dir.path().join(format!("seed{page}.ttl"));
        std::fs::write(&path, &body).unwrap();
        let (ok, report) = run(
            &format!("{root}/tests/rdf/dcat_ap_conforms.sh"),
            &[path.display().to_string(), "turtle".into()],
        );
        assert!(ok, "seed catalog page {page}: {report}");
        if !body.contains("hydra/core#next>") {
            break;
        }
        page += 1;
    }
    assert_eq!(page as i64, (total + 3) / 4);
    // Following hydra:next (which continues after the page's last id) walks the same pages: every dataset once.
    let dataset_iris = |nt: &str| -> Vec<String> {
        nt.lines()
            .filter(|l| l.contains("> <http://www.w3.org/ns/dcat#dataset> <"))
            .map(|l| {
                l.rsplit_once("> <")
                    .unwrap()
                    .1
                    .trim_end_matches(" .")
                    .to_owned()
            })
            .collect()
    };
    let (mut seen, mut pages) = (Vec::new(), 0);
    let mut next = Some(format!("{}/catalog?page_size=4", app.base));
    while let Some(url) = next.take() {
        pages += 1;
        assert!(pages <= 10, "hydra:next loops");
        let path = url
            .split_once("/catalog")
            .map(|(_, p)| format!("/catalog{p}"))
            .unwrap();
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .header("accept", "application/n-triples")
            .send()
            .await
            .unwrap();
        let link_header = response
            .headers()
            .get("link")
            .expect("a catalog page carries a Link header")
            .to_str()
            .unwrap()
            .to_owned();
        let nt = response.text().await.unwrap();
        // The Link header (RFC 8288) names the same first, last, next and previous pages as hydra:view.
        let hydra_link = |property: &str| {
            nt.lines()
                .find(|l| l.contains(&format!("<http://www.w3.org/ns/hydra/core#{property}> <")))
                .map(|l| {
                    l.rsplit_once("> <")
                        .unwrap()
                        .1
                        .trim_end_matches(" .")
                        .trim_end_matches('>')
                        .to_owned()
                })
        };
        for (property, rel) in [
            ("first", "first"),
            ("last", "last"),
            ("next", "next"),
            ("previous", "prev"),
        ] {
            let in_header = link_header
                .split(", ")
                .find(|l| l.ends_with(&format!("; rel=\"{rel}\"")))
                .map(|l| {
                    l.split_once('>')
                        .unwrap()
                        .0
                        .trim_start_matches('<')
                        .to_owned()
                });
            assert_eq!(
                in_header,
                hydra_link(property),
                "rel={rel} in {link_header}"
            );
        }
        let numbered = app
            .get(&format!("/catalog?page_size=4&page={pages}&format=nt"))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            dataset_iris(&nt),
            dataset_iris(&numbered),
            "page {pages} by cursor ({path}) and by number"
        );
        seen.extend(dataset_iris(&nt));
        next = hydra_link("next");
        if let Some(n) = &next {
            assert!(
                n.contains("after="),
                "hydra:next continues after an id: {n}"
            );
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no dataset twice");
    assert_eq!(seen.len() as i64, total, "every dataset once");
    let r = app.get("/catalog?after=&format=nt").await;
    assert_eq!(r.status(), 400, "an empty after is refused");
    // Pages out of range are refused by name; 2^63 once overflowed the offset (schemathesis found it).
    for page in ["0", "1000000001", "9223372036854775808"] {
        let r = app.get(&format!("/catalog?page={page}&format=nt")).await;
        assert_eq!(r.status(), 400, "page={page}");
        let problem: serde_json::Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "page", "{problem}");
    }
    // Every seed distribution is a file we hold, so every one carries its sha256; every dataset an EU theme.
    let nt = app
        .get("/catalog?page_size=1000&format=nt")
        .await
        .text()
        .await
        .unwrap();
    let distributions = nt
        .matches("> <http://www.w3.org/ns/dcat#distribution> <")
        .count();
    assert!(distributions >= total as usize);
    assert_eq!(
        nt.matches("<http://spdx.org/rdf/terms#checksumValue>")
            .count(),
        distributions
    );
    let themed = nt
        .lines()
        .filter(|l| l.contains("<http://www.w3.org/ns/dcat#theme> <http://publications.europa.eu/resource/authority/data-theme/"))
        .map(|l| l.split(' ').next().unwrap())
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        themed.len() as i64,
        total,
        "every dataset has an EU data theme"
    );

    // Open-data lists: immutable numbered documents whose manifest hashes to the recorded sha256.
    let lists = app
        .get_json("/api/v1/agencies/000.00.00.G12/open-data-lists")
        .await;
    let first = &lists["items"][0];
    assert_eq!(first["year"], 2025);
    assert_eq!(first["number"], 1);
    let manifest = app
        .get("/api/v1/agencies/G12/open-data-lists/2025/1/manifest")
        .await
        .text()
        .await
        .unwrap();
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(manifest.as_bytes())),
        first["manifestSha256"].as_str().unwrap()
    );
    let csv = app
        .get("/api/v1/agencies/G12/open-data-lists/2025/1?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("stt,id,title_vi"));
    let ttl = app
        .get("/api/v1/agencies/G12/open-data-lists/2025/1?format=ttl")
        .await;
    assert_eq!(ttl.status(), 200);
    let path = dir.path().join("list.ttl");
    std::fs::write(&path, ttl.text().await.unwrap()).unwrap();
    let (ok, report) = run(
        &format!("{root}/tests/rdf/dcat_ap_conforms.sh"),
        &[path.display().to_string(), "turtle".into()],
    );
    assert!(ok, "open-data list DCAT: {report}");
    let approver = app
        .token(json!({"name": "g12-approver", "role": "approver", "agency": "G12"}))
        .await;
    let publisher = app
        .token(json!({"name": "g12-publisher", "role": "publisher", "agency": "G12"}))
        .await;
    let body = json!({"year": 2025, "datasets": ["ethnic-groups"]});
    assert_eq!(
        app.post_json(
            "/api/v1/agencies/G12/open-data-lists",
            Some(&publisher),
            &body
        )
        .await
        .status(),
        403
    );
    let r = app
        .post_json(
            "/api/v1/agencies/G12/open-data-lists",
            Some(&approver),
            &body,
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.json::<Value>().await.unwrap()["number"],
        2,
        "an amendment gets the next number"
    );
    let foreign = json!({"year": 2025, "datasets": ["public-holidays"]});
    let r = app
        .post_json(
            "/api/v1/agencies/G12/open-data-lists",
            Some(&approver),
            &foreign,
        )
        .await;
    assert_eq!(r.status(), 422);

    // The plan: progress counts published datasets.
    let put = |item: &str, body: Value| {
        let app = &app;
        let approver = approver.clone();
        let url = app.url(&format!("/api/v1/agencies/G12/plan/{item}"));
        async move {
            app.client
                .put(url)
                .bearer_auth(approver)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let r = put("ethnic", json!({"title": {"vi": "Danh mục dân tộc"}, "targetDate": "2025-12-31", "dataset": "ethnic-groups"})).await;
    assert_eq!(r.status(), 200);
    let r = put(
        "budget",
        json!({"title": {"vi": "Ngân sách"}, "targetDate": "2099-12-31"}),
    )
    .await;
    let plan: Value = r.json().await.unwrap();
    assert_eq!(
        (plan["planned"].as_i64(), plan["published"].as_i64()),
        (Some(2), Some(1))
    );

    // Needs attention: the pre-reform dataset names provinces that were closed, with their successors.
    let report = app.get_json("/api/v1/reports/needs-attention").await;
    let old = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["dataset"] == "administrative-units-2025-06-30")
        .expect("the pre-reform dataset needs attention");
    let ha_giang = old["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "02")
        .unwrap();
    assert_eq!(ha_giang["currentSuccessors"], json!(["08"]));
}
