//! The registry issue's acceptance checks, on both backends.
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app};

on_both_backends!(
    seeded_lists_are_listed,
    agency_notations_are_one_item,
    administrative_units_two_time_axes_and_release_diff,
    csv_import_with_a_bad_line_changes_nothing,
    steward_workflow_and_roles,
    bad_json_is_named,
    as_of_reads_registry_time,
    validate_batch_reports_each_reference,
    releases_are_immutable_with_a_verifiable_manifest,
    skos_parses_in_rdflib_in_three_isomorphic_formats,
);

async fn seeded_lists_are_listed(backend: Backend) {
    let app = spawn_app(backend, &["agencies", "themes", "licences"]).await;
    let lists = app.get_json("/api/v1/registry/lists").await;
    let ids: Vec<&str> = lists["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["agencies", "licences", "themes"]);
    assert_eq!(lists["items"][2]["itemCounts"]["valid"], 12);
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
    let missing = app.get("/api/v1/registry/lists/nope").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
}

async fn agency_notations_are_one_item(backend: Backend) {
    let app = spawn_app(backend, &["agencies"]).await;
    let a = app
        .get_json("/api/v1/registry/lists/agencies/items/000.00.00.G12")
        .await;
    let b = app
        .get_json("/api/v1/registry/lists/agencies/items/G12")
        .await;
    assert_eq!(a, b);
    assert_eq!(a["code"], "G12");
    assert_eq!(
        a["uri"],
        "https://data.example.gov.vn/registry/agencies/G12"
    );
    assert!(
        a["notations"]
            .as_array()
            .unwrap()
            .contains(&json!({"type": "qcvn102", "value": "000.00.00.G12"}))
    );
    // The Ministry of Planning and Investment was absorbed by the Ministry of Finance on 2025-03-01.
    let g05 = app
        .get_json("/api/v1/registry/lists/agencies/items/000.00.00.G05?validAt=2025-03-01")
        .await;
    assert_eq!(g05["status"], "superseded");
    assert_eq!(g05["successors"], json!(["G12"]));
    assert!(
        a["predecessors"]
            .as_array()
            .unwrap()
            .contains(&json!("G05"))
    );
}

async fn administrative_units_two_time_axes_and_release_diff(backend: Backend) {
    let app = spawn_app(backend, &["administrative-units"]).await;
    let base = "/api/v1/registry/lists/administrative-units";
    let before = app
        .get_json(&format!("{base}/items/02?validAt=2025-06-30"))
        .await;
    assert_eq!(before["status"], "valid");
    let after = app
        .get_json(&format!("{base}/items/02?validAt=2025-07-02"))
        .await;
    assert_eq!(after["status"], "superseded");
    assert_eq!(after["successors"], json!(["08"]));
    assert_eq!(after["code"], "02");
    assert!(after["labels"]["vi"].as_str().unwrap().contains("Hà Giang"));

    let releases = app.get_json(&format!("{base}/releases")).await;
    assert_eq!(releases["items"].as_array().unwrap().len(), 2);
    let diff = app.get_json(&format!("{base}/releases/1/diff/2")).await;
    let closed: Vec<&str> = diff["changed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["code"].as_str().unwrap().len() == 2 && c["statusAfter"] == "superseded")
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(closed.len(), 29, "closed provinces: {closed:?}");
    assert!(closed.contains(&"02"));

    // Provinces valid on each side of the reform, through paging with a cursor.
    let count = |date: &'static str| {
        let app = &app;
        async move {
            let mut n = 0;
            let mut cursor = String::new();
            loop {
                let page = app
                    .get_json(&format!(
                        "{base}/items?level=province&validAt={date}&limit=10&cursor={cursor}"
                    ))
                    .await;
                n += page["items"].as_array().unwrap().len();
                match page["next"].as_str() {
                    Some(next) => cursor = next.to_owned(),
                    None => return n,
                }
            }
        }
    };
    assert_eq!(count("2025-06-30").await, 63);
    assert_eq!(count("2025-07-01").await, 34);

    // Hierarchy: a district's children and a commune's ancestors, before the reform.
    let children = app
        .get_json(&format!(
            "{base}/items/01/children?level=district&limit=1000"
        ))
        .await;
    assert!(!children["items"].as_array().unwrap().is_empty());
    let district = children["items"][0]["code"].as_str().unwrap().to_owned();
    let communes = app
        .get_json(&format!("{base}/items/{district}/children?limit=1"))
        .await;
    let commune = communes["items"][0]["code"].as_str().unwrap().to_owned();
    let ancestors = app
        .get_json(&format!("{base}/items/{commune}/ancestors"))
        .await;
    let chain: Vec<&str> = ancestors["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        chain.last(),
        Some(&"01"),
        "ancestors of {commune}: {chain:?}"
    );

    // Text search without diacritics.
    let found = app
        .get_json(&format!("{base}/items?text=ha%20giang&level=province"))
        .await;
    assert_eq!(found["items"][0]["code"], "02");

    // LGSP convention, from the same data.
    let meta: Value = app.get_json("/dmdc/Metadata/administrative-units").await;
    assert!(
        meta.as_array()
            .unwrap()
            .iter()
            .any(|c| c["PropertyCode"] == "Ma")
    );
    let rows = app
        .get_json("/dmdc/Category/administrative-units?validAt=2025-07-01")
        .await;
    let provinces = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["CapDo"] == "province")
        .count();
    assert_eq!(provinces, 34);
    let r = app
        .client
        .post(app.url("/dmdc/Category/administrative-units"))
        .json(&json!({"Ma": "08"}))
        .send()
        .await
        .unwrap();
    let rows: Value = r.json().await.unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
}

async fn export_csv(app: &TestApp, list: &str) -> String {
    let r = app
        .get(&format!("/api/v1/registry/lists/{list}?format=csv"))
        .await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

async fn import(app: &TestApp, token: &str, list: &str, csv: &[u8]) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/registry/lists/{list}/import")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_vec())
        .send()
        .await
        .unwrap()
}

async fn csv_import_with_a_bad_line_changes_nothing(backend: Backend) {
    let app = spawn_app(backend, &["administrative-units"]).await;
    let list = "administrative-units";
    let before = export_csv(&app, list).await;
    let cases: &[(&[u8], u64, &str)] = &[
        // Line 3: a code that does not match the pattern.
        (b"code,parent,level,label_vi\n99,,province,T\xe1\xbb\x89nh M\xe1\xbb\x9bi\n9x9,,province,Sai\n", 3, "pattern"),
        // Line 3: unknown parent.
        (b"code,parent,level,label_vi\n99,,province,Tinh A\n998,97,district,Huyen B\n", 3, "unknown parent"),
        // Line 3: duplicate of line 2.
        (b"code,parent,level,label_vi\n99,,province,Tinh A\n99,,province,Tinh B\n", 3, "duplicate"),
        // Line 3: a closed code made valid again.
        (b"code,parent,level,label_vi,status\n99,,province,Tinh A,valid\n02,,province,Ha Giang,valid\n", 3, "closed"),
        // Line 3: bad encoding (Latin-1 byte).
        (b"code,parent,level,label_vi\n99,,province,Tinh A\n98,,province,T\xecnh\n", 3, "UTF-8"),
        // Line 3: a ragged row.
        (b"code,parent,level,label_vi\n99,,province,Tinh A\n98,,province\n", 3, "fields"),
    ];
    for (csv, line, words) in cases {
        let r = import(&app, ADMIN_TOKEN, list, csv).await;
        assert_eq!(r.status(), 422, "case {words}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem: Value = r.json().await.unwrap();
        let errors = problem["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["line"] == *line && e["message"].as_str().unwrap().contains(words)),
            "case {words}: {problem}"
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("line {line}")),
            "{problem}"
        );
    }
    let after = export_csv(&app, list).await;
    assert!(before == after, "the list changed after failed imports");
    let requests = app
        .get_json(&format!("/api/v1/registry/lists/{list}/change-requests"))
        .await;
    assert_eq!(requests["items"].as_array().unwrap().len(), 0);

    // A good import becomes a change request with a preview; the export round-trips unchanged.
    let r = import(&app, ADMIN_TOKEN, list, before.as_bytes()).await;
    assert_eq!(
        r.status(),
        422,
        "re-importing the export changes nothing, so there is nothing to propose"
    );
    let good = "code,parent,level,label_vi,label_en\n99,,province,Tỉnh Thử,Test Province\n99001,99,commune,Xã Thử,\n";
    let r = app
        .client
        .post(app.url(&format!("/api/v1/registry/lists/{list}/import?dryRun=true")))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let preview: Value = r.json().await.unwrap();
    assert_eq!(preview["preview"]["summary"]["add"], 2);
    assert_eq!(
        export_csv(&app, list).await,
        before,
        "a dry run changes nothing"
    );
}

async fn steward_workflow_and_roles(backend: Backend) {
    let app = spawn_app(backend, &["themes", "agencies"]).await;
    let alice = app
        .token(json!({"name": "alice", "role": "steward", "lists": ["themes"]}))
        .await;
    let bob = app
        .token(json!({"name": "bob", "role": "steward", "lists": ["themes"]}))
        .await;
    let carol = app
        .token(json!({"name": "carol", "role": "steward", "lists": ["licences"]}))
        .await;
    let publisher = app
        .token(json!({"name": "pub", "role": "publisher", "agency": "G12"}))
        .await;
    let proposal = json!({
        "reason": "Add a theme for digital transformation",
        "changes": [{"op": "add", "item": {"code": "digital", "labels": {"vi": "Chuyển đổi số", "en": "Digital transformation"}}}]
    });
    let path = "/api/v1/registry/lists/themes/change-requests";
    assert_eq!(app.post_json(path, None, &proposal).await.status(), 401);
    assert_eq!(
        app.post_json(path, Some("wrong-token"), &proposal)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.post_json(path, Some(&publisher), &proposal)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post_json(path, Some(&carol), &proposal).await.status(),
        403
    );
    let r = app.post_json(path, Some(&alice), &proposal).await;
    assert_eq!(r.status(), 201);
    let request: Value = r.json().await.unwrap();
    let id = request["id"].as_i64().unwrap();
    assert_eq!(request["status"], "proposed");
    // Not applied yet.
    assert_eq!(
        app.get("/api/v1/registry/lists/themes/items/digital")
            .await
            .status(),
        404
    );
    let shown = app.get_json(&format!("{path}/{id}")).await;
    assert_eq!(shown["preview"]["summary"]["add"], 1);
    // The proposer cannot approve; a publisher and anonymous cannot either.
    assert_eq!(
        app.post_json(&format!("{path}/{id}/approve"), Some(&alice), &json!({}))
            .await
            .status(),
        409
    );
    assert_eq!(
        app.post_json(
            &format!("{path}/{id}/approve"),
            Some(&publisher),
            &json!({})
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        app.post_json(&format!("{path}/{id}/approve"), None, &json!({}))
            .await
            .status(),
        401
    );
    let r = app
        .post_json(&format!("{path}/{id}/approve"), Some(&bob), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let decided: Value = r.json().await.unwrap();
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decidedBy"], "bob");
    let item = app
        .get_json("/api/v1/registry/lists/themes/items/digital")
        .await;
    assert_eq!(item["labels"]["vi"], "Chuyển đổi số");
    // Deciding twice conflicts.
    assert_eq!(
        app.post_json(&format!("{path}/{id}/approve"), Some(&bob), &json!({}))
            .await
            .status(),
        409
    );

    // Supersede through a request; rejection needs a reason.
    let supersede = json!({
        "reason": "Merge into technology",
        "changes": [{"op": "supersede", "code": "digital", "successors": ["technology"], "validTo": "2026-01-01"}]
    });
    let themes = app
        .get_json("/api/v1/registry/lists/themes/items?limit=100")
        .await;
    assert!(
        themes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["code"] == "technology"),
        "{themes}"
    );
    let r = app.post_json(path, Some(&bob), &supersede).await;
    assert_eq!(r.status(), 201);
    let id2 = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(
        app.post_json(&format!("{path}/{id2}/reject"), Some(&alice), &json!({}))
            .await
            .status(),
        422
    );
    let r = app
        .post_json(
            &format!("{path}/{id2}/reject"),
            Some(&alice),
            &json!({"reason": "keep it"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.get_json("/api/v1/registry/lists/themes/items/digital")
            .await["registeredStatus"],
        "valid"
    );

    // Releases need a curator too.
    let rel = "/api/v1/registry/lists/themes/releases";
    assert_eq!(
        app.post_json(rel, Some(&publisher), &json!({}))
            .await
            .status(),
        403
    );
    assert_eq!(app.post_json(rel, None, &json!({})).await.status(), 401);
    let r = app
        .post_json(
            rel,
            Some(&alice),
            &json!({"notes": {"vi": "Thêm chủ đề chuyển đổi số"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let diff = app.get_json(&format!("{rel}/1/diff/2")).await;
    assert_eq!(diff["added"][0]["code"], "digital");
    // Only an admin creates tokens and lists.
    assert_eq!(
        app.post_json(
            "/api/v1/admin/tokens",
            Some(&alice),
            &json!({"name": "x", "role": "admin"})
        )
        .await
        .status(),
        403
    );
}

async fn bad_json_is_named(backend: Backend) {
    let app = spawn_app(backend, &["themes"]).await;
    let path = "/api/v1/registry/lists/themes/change-requests";
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body("{\"reason\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let unknown = json!({"reason": "x", "changes": [], "extra": 1});
    let r = app.post_json(path, Some(ADMIN_TOKEN), &unknown).await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("extra"), "{p}");
    let wrong_type = json!({"reason": "x", "changes": [{"op": "add", "item": {"code": 5, "labels": {"vi": "a"}}}]});
    let r = app.post_json(path, Some(ADMIN_TOKEN), &wrong_type).await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "changes/0/item/code", "{p}");
    let missing = json!({"reason": "x", "changes": [{"op": "supersede", "code": "health"}]});
    let r = app.post_json(path, Some(ADMIN_TOKEN), &missing).await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["changes/0/successors", "changes/0/validTo"], "{p}");
    let bad_pattern = json!({"reason": "x", "changes": [{"op": "add", "item": {"code": "Bad Code!", "labels": {"vi": "a"}}}]});
    let r = app.post_json(path, Some(ADMIN_TOKEN), &bad_pattern).await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "changes/0/code", "{p}");
    let r = app
        .get("/api/v1/registry/lists/themes/items?validAt=yesterday")
        .await;
    assert_eq!(r.status(), 400);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "validAt", "{p}");
    let r = app.get("/api/v1/registry/lists/themes/items?limit=0").await;
    assert_eq!(r.status(), 400);
    let requests = app
        .get_json("/api/v1/registry/lists/themes/change-requests")
        .await;
    assert_eq!(
        requests["items"].as_array().unwrap().len(),
        0,
        "nothing was half-applied"
    );
}

async fn as_of_reads_registry_time(backend: Backend) {
    let app = spawn_app(backend, &["themes"]).await;
    let item = "/api/v1/registry/lists/themes/items/health";
    let original = app.get_json(item).await;
    let stamp = original["updatedAt"].as_str().unwrap().to_owned();
    let etag = app.get(item).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let not_modified = app
        .client
        .get(app.url(item))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);
    let change = json!({"reason": "rename", "changes": [{"op": "modify", "code": "health", "set": {"labels": {"vi": "Y tế và sức khỏe"}}}]});
    let alice = app
        .token(json!({"name": "alice", "role": "steward", "lists": ["*"]}))
        .await;
    let r = app
        .post_json(
            "/api/v1/registry/lists/themes/change-requests",
            Some(&alice),
            &change,
        )
        .await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/registry/lists/themes/change-requests/{id}/approve"),
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let now = app.get_json(item).await;
    assert_eq!(now["labels"]["vi"], "Y tế và sức khỏe");
    let then = app.get_json(&format!("{item}?asOf={stamp}")).await;
    assert_eq!(then["labels"], original["labels"]);
    let page = app
        .get_json(&format!(
            "/api/v1/registry/lists/themes/items?asOf={stamp}&text=y%20te"
        ))
        .await;
    assert_eq!(page["items"][0]["labels"], original["labels"]);
    assert_eq!(
        app.get(&format!("{item}?asOf=2000-01-01T00:00:00Z"))
            .await
            .status(),
        404
    );
    // The ETag changed with the write.
    let modified = app
        .client
        .get(app.url(item))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(modified.status(), 200);
}

async fn validate_batch_reports_each_reference(backend: Backend) {
    let app = spawn_app(backend, &["agencies", "themes"]).await;
    let body = json!({"items": [
        {"list": "agencies", "code": "G12", "date": "2025-06-01"},
        {"list": "agencies", "code": "000.00.00.G05", "date": "2025-06-01"},
        {"list": "agencies", "code": "G05", "date": "2025-02-28"},
        {"list": "agencies", "code": "Z99"},
        {"list": "no-such-list", "code": "x"},
        {"list": "themes", "code": "health"},
    ]});
    let r = app
        .post_json("/api/v1/registry/validate", None, &body)
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let results: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        [
            "valid",
            "superseded",
            "valid",
            "unknown",
            "unknown",
            "valid"
        ]
    );
    assert_eq!(v["items"][1]["canonicalCode"], "G05");
    assert_eq!(v["items"][1]["currentSuccessors"], json!(["G12"]));
    let bad = app
        .post_json(
            "/api/v1/registry/validate",
            None,
            &json!({"items": [{"list": "agencies"}]}),
        )
        .await;
    assert_eq!(bad.status(), 422);
}

async fn releases_are_immutable_with_a_verifiable_manifest(backend: Backend) {
    let app = spawn_app(backend, &["agencies"]).await;
    let base = "/api/v1/registry/lists/agencies/releases";
    let release = app.get_json(&format!("{base}/1")).await;
    let manifest = app
        .get(&format!("{base}/1/manifest"))
        .await
        .text()
        .await
        .unwrap();
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(manifest.as_bytes())),
        release["manifestSha256"].as_str().unwrap()
    );
    // Release 1 still shows the pre-restructuring state though the list has moved on.
    let g05 = release["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "G05")
        .unwrap();
    assert_eq!(g05["status"], "valid");
    let csv = app
        .get(&format!("{base}/1?format=csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("code,"));
    assert_eq!(app.get(&format!("{base}/9")).await.status(), 404);
    assert_eq!(app.get(&format!("{base}/x/diff/1")).await.status(), 400);
}

async fn skos_parses_in_rdflib_in_three_isomorphic_formats(backend: Backend) {
    let app = spawn_app(backend, &["agencies", "themes"]).await;
    let dir = tempfile::tempdir().unwrap();
    for list in ["agencies", "themes"] {
        let mut args = Vec::new();
        for (accept, ext, rdflib_format) in [
            ("text/turtle", "ttl", "turtle"),
            ("application/ld+json", "jsonld", "json-ld"),
            ("application/rdf+xml", "rdf", "xml"),
        ] {
            let r = app
                .client
                .get(app.url(&format!("/api/v1/registry/lists/{list}")))
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with(accept)
            );
            let path = dir.path().join(format!("{list}.{ext}"));
            std::fs::write(&path, r.bytes().await.unwrap()).unwrap();
            args.push(format!("{}:{rdflib_format}", path.display()));
        }
        let python = std::env::var("OPENDATA_PYTHON").unwrap_or_else(|_| "python3".into());
        let out = std::process::Command::new(python)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/rdf/isomorphic.py"
            ))
            .args(&args)
            .output()
            .expect("python3 runs (the test suite needs Python with rdflib)");
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "rdflib check of {list} failed: {report}"
        );
        assert!(report.contains("isomorphic"), "{report}");
    }
    // The Turtle names the SKOS shape the issue asks for.
    let ttl = app
        .get("/api/v1/registry/lists/agencies?format=ttl")
        .await
        .text()
        .await
        .unwrap();
    for needle in [
        "skos:ConceptScheme",
        "skos:notation",
        "dct:isReplacedBy",
        "owl:deprecated",
        "dct:isVersionOf",
        "adms:status",
    ] {
        assert!(ttl.contains(needle), "missing {needle}");
    }
    assert!(!ttl.contains("sameAs"));
}
