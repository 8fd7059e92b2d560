//! Issue 20, harvesting other agencies' catalogs: real DCAT-AP examples of several countries
//! (`tests/fixtures/dcat-examples/`, see its README for sources and licences) served by a plain static file server and
//! harvested with the counts rdflib finds, including documents with invalid IRIs, literals and language tags (each
//! broken statement skipped with a warning, never the whole document) and one that rdflib refuses outright for a syntax
//! error; a second run writes nothing. The same files are then harvested into an opendata server
//! (`--target-kind opendata`): every dataset rdflib finds is created or reported as a failure naming the code the
//! registry cannot place, and a rerun writes nothing.
use std::collections::BTreeMap;
use std::path::Path;

use crate::harvest::support as harvest_support;

use harvest_support::{Portal, assert_clean, harvest};

use crate::aggregate_opendata::{harvest_into, published};
use crate::on_both_backends;
use crate::support::CATALOG_SEEDS;
use crate::support::{Backend, spawn_app_with};

on_both_backends!(real_dcat_ap_examples_harvest_into_an_opendata_server);

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dcat-examples");

/// The datasets rdflib finds in each file (null when it refuses the file).
async fn rdflib_counts(files: &[std::path::PathBuf]) -> BTreeMap<String, Option<u64>> {
    let python = std::env::var("OPENDATA_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = tokio::process::Command::new(python)
        .arg(format!("{FIXTURES}/count_datasets.py"))
        .args(files)
        .output()
        .await
        .expect("python3 runs (the test suite needs Python with rdflib)");
    assert!(
        out.status.success(),
        "count_datasets.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn serve(dir: &Path) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let router = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(dir));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// The example files copied into `dir/files`, with the datasets rdflib finds in each (for the German V3 example,
/// which rdflib refuses, in its corrected form).
async fn examples(dir: &Path) -> (std::path::PathBuf, BTreeMap<String, u64>) {
    let files_dir = dir.join("files");
    std::fs::create_dir_all(&files_dir).unwrap();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if [".ttl", ".rdf", ".jsonld"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            std::fs::copy(&path, files_dir.join(&name)).unwrap();
            files.push(files_dir.join(name));
        }
    }
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    // The German V3 example as published is refused by rdflib; corrected by hand (the missing `;` and the skos
    // prefix) it says what the document meant: that count is what the lenient harvest must reach from the original.
    let broken = std::fs::read_to_string(files_dir.join("de-dcat-ap-de-3-dataset.ttl")).unwrap();
    let corrected = format!(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n{}",
        broken.replacen(
            "dcterms:publisher _:finanzministerium\n",
            "dcterms:publisher _:finanzministerium ;\n",
            1
        )
    );
    let corrected_path = dir.join("corrected.ttl");
    std::fs::write(&corrected_path, corrected).unwrap();
    let mut counts = rdflib_counts(&files).await;
    assert_eq!(
        counts["de-dcat-ap-de-3-dataset.ttl"], None,
        "rdflib refuses it"
    );
    let corrected_count = rdflib_counts(&[corrected_path]).await["corrected.ttl"];
    assert_eq!(corrected_count, Some(1));
    counts.insert("de-dcat-ap-de-3-dataset.ttl".into(), corrected_count);

    let counts = counts
        .into_iter()
        .map(|(file, count)| {
            let count = count.unwrap_or_else(|| panic!("rdflib refused {file}"));
            (file, count)
        })
        .collect();
    (files_dir, counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_dcat_ap_examples_harvest_with_the_counts_rdflib_finds() {
    let dir = tempfile::tempdir().unwrap();
    let (files_dir, counts) = examples(dir.path()).await;
    let url = serve(&files_dir);
    // One portal per file: the German simple example is one dataset published in two syntaxes, which a shared portal
    // would rightly hold once.
    let state = dir.path().join("state");
    let mut portals = BTreeMap::new();
    for (file, &count) in &counts {
        let portal = Portal::start(&dir.path().join(format!("portal-{file}")), &[]).await;
        let source = format!("{url}/{file}");
        let run = harvest(file, &source, &portal, &state, &["--source-kind", "dcat"]).await;
        assert_clean(&run);
        let r = &run.report;
        assert_eq!(r["created"].as_u64(), Some(count), "{file}: {}", run.stdout);
        let warnings: Vec<&str> = r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        eprintln!("{file}: {count} datasets, {} warnings", warnings.len());
        match file.as_str() {
            "vn-invalid-iris.ttl" => {
                for bad in [
                    "trang chủ/giá đất",
                    "dan so|2024.csv",
                    "2024-13-45",
                    "notalanguagetag",
                    "\"many\"",
                ] {
                    assert!(
                        warnings.iter().any(|w| w.contains(bad)),
                        "no warning names {bad:?}: {warnings:#?}"
                    );
                }
                assert_eq!(warnings.len(), 5, "{warnings:#?}");
                // Only the broken statements went: the rest of each dataset is there.
                let p = portal
                    .action("package_show", serde_json::json!({"id": "dan-so"}))
                    .await;
                let extras: BTreeMap<&str, &str> = p["extras"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| (e["key"].as_str().unwrap(), e["value"].as_str().unwrap()))
                    .collect();
                assert_eq!(extras.get("modified"), Some(&"2025-01-31"), "{p}");
                assert!(!extras.contains_key("issued"), "{p}");
                let resource = &p["resources"][0];
                assert_eq!(
                    resource["url"], "https://data.example.gov.vn/dataset/dan-so",
                    "{p}"
                );
            }
            "es-nti-risp-dataset.ttl" => {
                // As published, the licence IRI holds a space ("...%20la%20i nformacion%20catastral/..."): that
                // statement goes, the dataset stays.
                assert_eq!(warnings.len(), 1, "{warnings:#?}");
                assert!(warnings[0].contains("i nformacion"), "{warnings:#?}");
            }
            "de-dcat-ap-de-3-dataset.ttl" => {
                assert!(
                    warnings.iter().any(|w| w.contains("syntax error")),
                    "{warnings:#?}"
                );
                assert!(
                    warnings.iter().any(|w| w.contains("not deleted this run")),
                    "{warnings:#?}"
                );
            }
            _ => {}
        }
        let active = portal
            .all_packages()
            .await
            .iter()
            .filter(|p| p["state"] == "active")
            .count() as u64;
        assert_eq!(active, count, "{file}: every dataset is on the portal once");
        portals.insert(file.clone(), portal);
    }

    // Nothing changed: a second pass over every file writes nothing.
    for (file, portal) in &portals {
        let source = format!("{url}/{file}");
        let run = harvest(
            &format!("{file}-again"),
            &source,
            portal,
            &state,
            &["--source-kind", "dcat"],
        )
        .await;
        assert_clean(&run);
        assert_eq!(run.report["writes"], 0, "{file}: {}", run.stdout);
    }
}

async fn real_dcat_ap_examples_harvest_into_an_opendata_server(backend: Backend) {
    // The same files into an opendata server (`--target-kind opendata`), one per file, every publisher of the examples
    // mapped by `agency-map.json` to the Ministry of Finance (G12, a registry agency): each dataset rdflib finds is either created or a
    // failure naming what the registry cannot place (no theme, a theme the registry does not map such as the EU
    // `GOVE` or the Spanish example's misspelt `SOC`, a publisher given no IRI or name), never dropped silently and
    // never given an invented code.
    let dir = tempfile::tempdir().unwrap();
    let (files_dir, counts) = examples(dir.path()).await;
    let url = serve(&files_dir);
    let map_path = format!("{FIXTURES}/agency-map.json");
    let mut created_total = 0;
    for (file, &count) in &counts {
        let national = spawn_app_with(backend, CATALOG_SEEDS, |c| {
            c.base_uri = "https://national.example.gov.vn".into()
        })
        .await;
        let token = national
            .token(serde_json::json!({"name": "harvester", "role": "harvester"}))
            .await;
        let source = format!("{url}/{file}");
        let od_state = dir.path().join(format!("state-od-{file}"));
        let args = ["--source-kind", "dcat", "--agency-map", map_path.as_str()];
        let run = harvest_into(file, &source, &national, &token, &od_state, &args).await;
        let r = &run.report;
        let created = r["created"].as_u64().unwrap();
        let failures = r["failures"].as_array().unwrap();
        eprintln!("{file} -> opendata: {created} created, failures {failures:#?}");
        assert_eq!(
            created + failures.len() as u64,
            count,
            "{file}: {}",
            run.stdout
        );
        for f in failures {
            let reason = f["reason"].as_str().unwrap();
            assert!(
                ["no theme", "none of the themes", "no publisher"]
                    .iter()
                    .any(|r| reason.starts_with(r)),
                "{file}: {reason}"
            );
        }
        created_total += created;
        let got = published(&national).await;
        assert_eq!(got.len() as u64, created, "{file}");
        for d in got.values() {
            let content = if d["content"].is_object() {
                &d["content"]
            } else {
                d
            };
            assert_eq!(content["publisher"], "G12", "{file}: {d}");
        }
        let again = harvest_into(
            &format!("{file}-again"),
            &source,
            &national,
            &token,
            &od_state,
            &args,
        )
        .await;
        assert_eq!(again.report["writes"], 0, "{file}: {}", again.stdout);
    }
    // The Norwegian series example, one German and two Spanish datasets carry themes and publishers the registry maps.
    assert_eq!(created_total, 4);
}
