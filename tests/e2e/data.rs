//! The tabular data API, on both backends: typed ingestion, filters, sorting, field selection, keyset paging, CSV and
//! NDJSON streaming, and a ragged upload refused with its line and nothing changed.
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app};

on_both_backends!(
    data_api_filters_pages_and_streams,
    declared_column_types_override_inference
);

use crate::support::CATALOG_SEEDS as SEEDS;

/// Uploads `body` as the CSV file of distribution `csv` of dataset `id`.
async fn upload(app: &TestApp, id: &str, body: &str) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/api/v1/datasets/{id}/distributions/csv/file")))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn data_api_filters_pages_and_streams(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let dataset = json!({
        "id": "measurements", "title": {"vi": "Quan trắc"}, "description": {"vi": "Số liệu quan trắc."},
        "publisher": "G12", "themes": ["environment"],
        "distributions": [{"id": "csv", "format": "CSV", "downloadUrl": "https://example.org/m.csv"}]
    });
    assert_eq!(
        app.post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &dataset)
            .await
            .status(),
        201
    );
    // A ragged row: refused with its line, and the dataset keeps no file.
    let r = upload(
        &app,
        "measurements",
        "station,day,value\nHN01,2025-01-01,12.5\nHN02,2025-01-01\n",
    )
    .await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["line"], 3, "{p}");
    let record: Value = app
        .client
        .get(app.url("/api/v1/datasets/measurements"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(record["currentRevision"], 1);
    assert!(record["distributions"][0]["fileSha256"].is_null());

    let mut csv = String::from("station,day,value,ok,code\n");
    for i in 0..2500 {
        csv.push_str(&format!(
            "HN{:02},2025-01-{:02},{}.5,{},0{}\n",
            i % 7,
            i % 28 + 1,
            i,
            i % 2 == 0,
            i % 10
        ));
    }
    assert_eq!(upload(&app, "measurements", &csv).await.status(), 200);
    for action in ["submit", "publish"] {
        app.post_json(
            &format!("/api/v1/datasets/measurements/{action}"),
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    }
    let base = "/api/v1/data/measurements/csv";
    let first = app.get_json(&format!("{base}?limit=3")).await;
    assert_eq!(first["total"], 2500);
    let types: Vec<(&str, &str)> = first["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        types,
        [
            ("station", "text"),
            ("day", "date"),
            ("value", "number"),
            ("ok", "boolean"),
            ("code", "text")
        ]
    );
    assert_eq!(
        first["items"][0],
        json!({"station": "HN00", "day": "2025-01-01", "value": 0.5, "ok": true, "code": "00"})
    );

    // Filters combine; keyset paging visits every match once.
    let mut seen = 0;
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(&format!(
                "{base}?station=HN03&value.gte=100&limit=50{cursor}"
            ))
            .await;
        assert_eq!(
            page["total"], 343,
            "HN03 is every 7th row from the 4th; 14 of them are below 100"
        );
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["station"], "HN03");
            assert!(item["value"].as_f64().unwrap() >= 100.0);
            seen += 1;
        }
        match page["next"].as_str() {
            Some(n) => cursor = format!("&cursor={n}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        page_total(&app, &format!("{base}?station=HN03&value.gte=100&limit=1")).await
    );
    let picked = app
        .get_json(&format!(
            "{base}?station.in=HN01,HN02&fields=station,value&sort=-value&limit=2"
        ))
        .await;
    assert_eq!(
        picked["items"][0],
        json!({"station": "HN02", "value": 2494.5})
    );
    let texts = app.get_json(&format!("{base}?q=hn06&limit=1")).await;
    assert_eq!(texts["total"], 357);

    // Streams: every row, in file order, as CSV and NDJSON.
    let streamed = app
        .get(&format!("{base}?format=csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(streamed.lines().count(), 2501);
    assert!(streamed.starts_with("station,day,value,ok,code\nHN00,2025-01-01,0.5,true,00\n"));
    let ndjson = app
        .get(&format!("{base}?format=ndjson&ok=false"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(ndjson.lines().count(), 1250);
    assert!(
        ndjson
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).unwrap()["ok"] == false)
    );

    // CKAN's datastore_search over the same (indexed) table: filters, q, sort and distinct, against counts made here
    // from the rows the test wrote.
    let rows: Vec<(String, f64, bool)> = (0..2500)
        .map(|i| (format!("HN{:02}", i % 7), i as f64 + 0.5, i % 2 == 0))
        .collect();
    let ds = "/api/3/action/datastore_search?resource_id=measurements.csv";
    let r = app
        .get_json(&format!(
            "{ds}&filters={}&sort=value%20desc&limit=5",
            urlencode(r#"{"station":"HN03","ok":"true"}"#)
        ))
        .await;
    let expected: Vec<f64> = {
        let mut v: Vec<f64> = rows
            .iter()
            .filter(|(s, _, ok)| s == "HN03" && *ok)
            .map(|(_, v, _)| *v)
            .collect();
        v.sort_by(|a, b| b.partial_cmp(a).unwrap());
        v
    };
    assert_eq!(r["result"]["total"], expected.len(), "{r}");
    let values: Vec<f64> = r["result"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, expected[..5]);
    let r = app
        .get_json(&format!(
            "{ds}&fields=station&distinct=true&sort=station%20asc&limit=3&offset=2"
        ))
        .await;
    let mut stations: Vec<&String> = rows.iter().map(|(s, _, _)| s).collect();
    stations.sort();
    stations.dedup();
    assert_eq!(r["result"]["total"], stations.len(), "{r}");
    assert_eq!(
        r["result"]["records"],
        json!(
            stations[2..5]
                .iter()
                .map(|s| json!({"station": s}))
                .collect::<Vec<_>>()
        )
    );
    let r = app
        .get_json(&format!("{ds}&q=hn06&fields=station,ok&distinct=true"))
        .await;
    assert_eq!(
        r["result"]["total"], 2,
        "HN06 with ok true and with ok false: {r}"
    );
    // Distinct rows sort only by a selected field; the error names the parameter.
    let r = app
        .get(&format!(
            "{ds}&fields=station&distinct=true&sort=value%20asc"
        ))
        .await;
    assert_eq!(r.status(), 409);
    let e: Value = r.json().await.unwrap();
    assert!(e["error"]["sort"].is_array(), "{e}");

    // Bad parameters are named.
    for (q, field) in [
        ("colour=red", "colour"),
        ("limit=0", "limit"),
        ("format=xml", "format"),
        ("value.gte=abc&limit=1", "value"),
    ] {
        let r = app.get(&format!("{base}?{q}")).await;
        assert!(
            r.status() == 400 || r.status() == 422,
            "{q}: {}",
            r.status()
        );
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], field, "{q}: {p}");
    }
    assert_eq!(
        app.get("/api/v1/data/measurements/nope").await.status(),
        404
    );
}

async fn page_total(app: &TestApp, path: &str) -> i64 {
    app.get_json(path).await["total"].as_i64().unwrap()
}

/// A publisher declares column types instead of the inferred ones (issue 5): a year kept as text, a count widened to a
/// number; a declaration a value does not fit, or that names no column, is refused naming the field and the line, on
/// upload and on edit, and changes nothing.
async fn declared_column_types_override_inference(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let dataset = json!({
        "id": "typed", "title": {"vi": "Kiểu cột"}, "description": {"vi": "Kiểu cột khai báo."},
        "publisher": "G12", "themes": ["environment"],
        "distributions": [{"id": "csv", "format": "CSV", "downloadUrl": "https://example.org/t.csv",
                           "columnTypes": {"year": "text", "day": "date"}}]
    });
    let r = app
        .post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &dataset)
        .await;
    assert_eq!(r.status(), 201);
    // A value that is not the declared date: refused with its line and column, nothing stored.
    let r = upload(
        &app,
        "typed",
        "year,day,count\n2025,2025-01-01,3\n2026,soon,4\n",
    )
    .await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["line"], 3, "{p}");
    assert_eq!(p["errors"][0]["field"], "day", "{p}");
    let get = |path: &'static str| {
        app.client
            .get(app.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .send()
    };
    let record: Value = get("/api/v1/datasets/typed")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(record["currentRevision"], 1);

    let r = upload(
        &app,
        "typed",
        "year,day,count\n2025,2025-01-01,3\n2026,2025-01-02,4\n",
    )
    .await;
    assert_eq!(r.status(), 200);
    let rows: Value = get("/api/v1/data/typed/csv")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let types: Vec<(&str, &str)> = rows["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        types,
        [("year", "text"), ("day", "date"), ("count", "integer")]
    );
    assert_eq!(rows["items"][0]["year"], "2025", "{rows}");

    // Edits are checked against the uploaded file before they are saved.
    let record: Value = get("/api/v1/datasets/typed")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let revision = record["currentRevision"].clone();
    let dist = record["distributions"][0].clone();
    let patch_with = |types: Value| {
        let mut d = dist.clone();
        d["columnTypes"] = types;
        app.client
            .patch(app.url("/api/v1/datasets/typed"))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/merge-patch+json")
            .body(json!({ "distributions": [d] }).to_string())
            .send()
    };
    let r = patch_with(json!({"year": "boolean"})).await.unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        p["errors"][0]["field"], "distributions/0/columnTypes/year",
        "{p}"
    );
    assert_eq!(p["errors"][0]["line"], 2, "{p}");
    let r = patch_with(json!({"nosuch": "text"})).await.unwrap();
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        p["errors"][0]["field"], "distributions/0/columnTypes/nosuch",
        "{p}"
    );
    let r = patch_with(json!({"year": "sometimes"})).await.unwrap();
    assert!(r.status().is_client_error(), "an unknown type is refused");
    let record: Value = get("/api/v1/datasets/typed")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        record["currentRevision"], revision,
        "a refused edit saved nothing"
    );

    let r = patch_with(json!({"count": "number"})).await.unwrap();
    assert_eq!(r.status(), 200);
    let rows: Value = get("/api/v1/data/typed/csv")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        rows["columns"][0]["type"], "integer",
        "year is inferred again: {rows}"
    );
    assert_eq!(rows["columns"][2]["type"], "number", "{rows}");
    assert_eq!(rows["items"][1]["count"], 4.0, "{rows}");
}

/// Percent-encodes a query-string value.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
