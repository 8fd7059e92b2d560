//! The public web site (issue 4): every page's status and content type, the language switch, escaping of whatever a
//! publisher typed, the sitemap, the 404 and 410 pages, and `/dataset/{id}` still answering RDF to RDF clients.
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app, spawn_app_with};

on_both_backends!(every_page_answers_html_from_the_seed_catalog);

/// What a browser sends.
const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

const SMALL_SEEDS: &[&str] = &[
    "agencies",
    "themes",
    "licences",
    "frequencies",
    "access-rights",
    "file-types",
    "data-classes",
];

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn browse(app: &TestApp, path: &str, cookie: Option<&str>) -> Page {
    let mut req = app
        .client
        .get(app.url(path))
        .header("accept", BROWSER_ACCEPT);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().await.expect("request");
    Page {
        status: r.status(),
        headers: r.headers().clone(),
        body: r.text().await.expect("body"),
    }
}

fn content_type(p: &Page) -> &str {
    p.headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn assert_html(p: &Page, path: &str, status: u16, lang: &str) {
    assert_eq!(p.status, status, "GET {path}: {}", p.body);
    assert_eq!(content_type(p), "text/html; charset=utf-8", "GET {path}");
    assert!(
        p.body.starts_with("<!DOCTYPE html>"),
        "GET {path}: {}",
        &p.body[..p.body.len().min(200)]
    );
    assert!(
        p.body.contains(&format!("<html lang=\"{lang}\">")),
        "GET {path} is not in {lang}"
    );
    // One h1, a skip link to the main content, no inline style or handler.
    assert_eq!(p.body.matches("<h1").count(), 1, "GET {path}");
    assert!(p.body.contains("href=\"#main\""), "GET {path}");
    assert!(p.body.contains("<main id=\"main\""), "GET {path}");
    assert!(!p.body.contains("style="), "GET {path} has an inline style");
    assert!(
        !p.body.contains(" onclick=") && !p.body.contains(" onload="),
        "GET {path}"
    );
}

/// The `<script type="application/ld+json">` block, parsed.
fn json_ld(body: &str) -> Value {
    let start = body
        .find("<script type=\"application/ld+json\">")
        .expect("a JSON-LD block")
        + "<script type=\"application/ld+json\">".len();
    let end = start + body[start..].find("</script>").expect("closed");
    serde_json::from_str(&body[start..end]).expect("JSON-LD parses")
}

/// Waits until the search index has caught up with a write.
async fn wait_searchable(app: &TestApp, q: &str, id: &str) {
    for _ in 0..100 {
        let v = app.get_json(&format!("/api/v1/search?q={q}")).await;
        if v["items"].as_array().unwrap().iter().any(|i| i["id"] == id) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{id} is not searchable after 10 s");
}

async fn every_page_answers_html_from_the_seed_catalog(backend: Backend) {
    let app = spawn_app_with(backend, &[], |c| c.seed = opendata::app::Seed::All).await;
    for path in [
        "/",
        "/search",
        "/search?q=dan+toc",
        "/search?q=don+vi+hanh+chinh&theme=localities&publisher=G12&sort=title",
        "/search?theme=society&theme=localities&cursor=20",
        "/dataset/ethnic-groups",
        "/dataset/administrative-units-2025-07-01",
        "/agency/G12",
        "/agency/000.00.00.G12",
        "/registry",
        "/registry/themes",
        "/registry/administrative-units",
        "/registry/administrative-units?level=&status=valid&q=ha+noi",
        "/registry/administrative-units?parent=01",
        "/registry/administrative-units/01",
        "/registry/agencies/G12",
        "/registry/agencies/000.00.00.G12",
    ] {
        let p = browse(&app, path, None).await;
        assert_html(&p, path, 200, "vi");
    }

    // Search: results with escaped, highlighted snippets; the facets' names come from the registry.
    let p = browse(&app, "/search?q=dan+toc", None).await;
    assert!(p.body.contains("/dataset/ethnic-groups"));
    assert!(p.body.contains("<b>"), "no highlight");
    assert!(p.body.contains("Xã hội"), "theme names from the registry");
    assert!(
        p.body.contains("Bộ Tài chính"),
        "agency names from the registry"
    );
    // A filter is shown as active, with a link that removes it.
    let p = browse(&app, "/search?q=don+vi+hanh+chinh&theme=localities", None).await;
    assert!(
        p.body.contains("href=\"/search?q=don+vi+hanh+chinh\""),
        "{}",
        p.body
    );
    assert!(p.body.contains("value=\"localities\" checked"));

    // The dataset page: metadata in words, files with checksums, a CSV preview, API examples, DCAT links, JSON-LD.
    let p = browse(&app, "/dataset/ethnic-groups", None).await;
    for needle in [
        "Danh mục 54 dân tộc Việt Nam",
        "Bộ Tài chính",
        "Creative Commons",
        "/dataset/ethnic-groups/distribution/ethnic-groups-csv/download",
        "<table class=\"preview\">",
        "<th scope=\"col\">",
        "Kinh",
        "curl https://data.example.gov.vn/api/v1/datasets/ethnic-groups",
        "import csv, io, urllib.request",
        "/dataset/ethnic-groups?format=ttl",
        "/dataset/ethnic-groups?format=jsonld",
        "/dataset/ethnic-groups?format=rdfxml",
        "phiên bản sửa đổi",
    ] {
        assert!(p.body.contains(needle), "the dataset page lacks {needle:?}");
    }
    let record = app.get_json("/api/v1/datasets/ethnic-groups").await;
    let sha = record["distributions"][0]["fileSha256"].as_str().unwrap();
    assert!(p.body.contains(sha), "the checksum is shown");
    let ld = json_ld(&p.body);
    assert_eq!(ld["@type"], "Dataset");
    assert_eq!(
        ld["@id"],
        "https://data.example.gov.vn/dataset/ethnic-groups"
    );
    assert_eq!(
        ld["license"],
        "https://creativecommons.org/licenses/by/4.0/"
    );
    assert_eq!(ld["distribution"][0]["@type"], "DataDownload");

    // RDF clients still get RDF at the same address.
    for (accept, media) in [
        (None, "text/turtle"),
        (Some("*/*"), "text/turtle"),
        (Some("text/turtle"), "text/turtle"),
        (Some("application/ld+json"), "application/ld+json"),
        (Some("application/rdf+xml"), "application/rdf+xml"),
    ] {
        let mut req = app.client.get(app.url("/dataset/ethnic-groups"));
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "{accept:?}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(media), "{accept:?} gave {ct}");
    }
    let r = app
        .client
        .get(app.url("/dataset/ethnic-groups?format=jsonld"))
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/ld+json"),
        "?format= wins over a browser's Accept"
    );

    // The agency page: its datasets and its yearly open-data lists, linked to the API's forms.
    let p = browse(&app, "/agency/G12", None).await;
    assert!(p.body.contains("Bộ Tài chính"));
    assert!(p.body.contains("/dataset/ethnic-groups"));
    assert!(
        p.body
            .contains("/api/v1/agencies/G12/open-data-lists/2025/1?format=csv")
    );
    assert!(
        p.body
            .contains("/api/v1/agencies/G12/open-data-lists/2025/1?format=ttl")
    );

    // Code lists: the list, its items (top level first), releases with diffs, downloads; an item with its successors.
    let p = browse(&app, "/registry", None).await;
    assert!(p.body.contains("href=\"/registry/administrative-units\""));
    let p = browse(&app, "/registry/administrative-units", None).await;
    assert!(p.body.contains("Thành phố Hà Nội"), "provinces first");
    assert!(!p.body.contains(">00001<"), "communes are one level down");
    assert!(
        p.body
            .contains("/api/v1/registry/lists/administrative-units/releases/1/diff/2")
    );
    assert!(
        p.body
            .contains("/api/v1/registry/lists/administrative-units?format=csv")
    );
    assert!(
        p.body
            .contains("/api/v1/registry/lists/administrative-units?format=ttl")
    );
    assert!(p.body.contains("rel=\"next\""), "paged");
    let p = browse(&app, "/registry/administrative-units?parent=01", None).await;
    assert!(
        p.body
            .contains("aria-current=\"page\">Thành phố Hà Nội</a>"),
        "the trail"
    );
    // Bắc Ninh (27) merged into the new Bắc Ninh (24, Bắc Giang's code) on 2025-07-01: its page names the successor.
    let p = browse(&app, "/registry/administrative-units/27", None).await;
    assert!(p.body.contains("Đã được thay thế"), "{}", p.body);
    assert!(
        p.body
            .contains("href=\"/registry/administrative-units/24\">Tỉnh Bắc Ninh (24)</a>")
    );
    assert!(
        p.body.contains("đến hết 30/06/2025"),
        "validTo is exclusive"
    );
    // The registry's item URIs dereference: machines are sent to the API.
    let r = app
        .client
        .get(app.url("/registry/themes/health"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "redirect followed");
    assert_eq!(r.url().path(), "/api/v1/registry/lists/themes/items/health");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "health");
    let r = app
        .client
        .get(app.url("/registry/themes"))
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );

    // The sitemap lists the home page, every published dataset and every code list; robots.txt points to it.
    let r = app.get("/sitemap.xml").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let sitemap = r.text().await.unwrap();
    assert!(sitemap.contains("<loc>https://data.example.gov.vn/</loc>"));
    let datasets = app.get_json("/api/v1/datasets").await;
    for d in datasets["items"].as_array().unwrap() {
        let loc = format!(
            "<loc>https://data.example.gov.vn/dataset/{}</loc>",
            d["id"].as_str().unwrap()
        );
        assert!(sitemap.contains(&loc), "{loc} missing");
    }
    for l in app.get_json("/api/v1/registry/lists").await["items"]
        .as_array()
        .unwrap()
    {
        let loc = format!(
            "<loc>https://data.example.gov.vn/registry/{}</loc>",
            l["id"].as_str().unwrap()
        );
        assert!(sitemap.contains(&loc), "{loc} missing");
    }
    let r = app.get("/robots.txt").await;
    assert_eq!(r.status(), 200);
    let robots = r.text().await.unwrap();
    assert!(robots.contains("Allow: /"));
    assert!(robots.contains("Sitemap: https://data.example.gov.vn/sitemap.xml"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_are_404_pages_and_static_files_are_cached() {
    let app = spawn_app(Backend::Sqlite, SMALL_SEEDS).await;
    for path in [
        "/dataset/no-such-dataset",
        "/registry/no-such-list",
        "/registry/themes/no-such-theme",
        "/agency/NOPE",
        "/no/such/page",
    ] {
        let p = browse(&app, path, None).await;
        assert_html(&p, path, 404, "vi");
        assert!(p.body.contains("Không tìm thấy trang"), "GET {path}");
        let p = browse(&app, &format!("{path}?lang=en"), None).await;
        assert_html(&p, path, 404, "en");
        assert!(p.body.contains("Page not found"), "GET {path}");
    }
    // API clients keep problem+json.
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // A bad search parameter is a 400 page naming the problem.
    let p = browse(&app, "/search?sort=sideways", None).await;
    assert_html(&p, "/search?sort=sideways", 400, "vi");
    assert!(p.body.contains("sideways"));

    for (file, media) in [
        ("site.css", "text/css"),
        ("site.js", "text/javascript"),
        ("icon.svg", "image/svg+xml"),
    ] {
        let r = app.get(&format!("/static/{file}")).await;
        assert_eq!(r.status(), 200, "{file}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(media)
        );
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    assert_eq!(app.get("/static/nope.css").await.status(), 404);
    // Pages link the assets with a content hash, and load nothing from elsewhere.
    let p = browse(&app, "/", None).await;
    assert!(p.body.contains("href=\"/static/site.css?v="));
    assert!(p.body.contains("src=\"/static/site.js?v="));
    assert!(!p.body.contains("src=\"http") && !p.body.contains("href=\"//"));
    assert!(
        p.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_is_vietnamese_then_english_by_query_and_remembered_in_a_cookie() {
    let app = spawn_app(Backend::Sqlite, SMALL_SEEDS).await;
    let p = browse(&app, "/registry", None).await;
    assert_html(&p, "/registry", 200, "vi");
    assert!(p.body.contains("Danh mục dùng chung"));
    assert!(p.headers.get("set-cookie").is_none(), "nothing to remember");
    // The switch link keeps the page and its query.
    assert!(p.body.contains("href=\"/registry?lang=en\""), "{}", p.body);

    let p = browse(&app, "/registry/themes?q=y+te&lang=en", None).await;
    assert_html(&p, "/registry/themes?lang=en", 200, "en");
    assert!(p.body.contains("Code lists") && p.body.contains("Health"));
    assert!(!p.body.contains("Trang chủ"), "every label is translated");
    let cookie = p.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    assert!(
        cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        p.body
            .contains("href=\"/registry/themes?q=y+te&#38;lang=vi\"")
    );

    // The cookie is enough afterwards; ?lang= overrides it.
    let p = browse(&app, "/", Some("lang=en")).await;
    assert_html(&p, "/", 200, "en");
    assert!(p.body.contains("Search datasets"));
    assert!(
        p.headers["vary"].to_str().unwrap().contains("Cookie"),
        "caches must keep the languages apart"
    );
    let p = browse(&app, "/?lang=vi", Some("lang=en")).await;
    assert_html(&p, "/", 200, "vi");
    assert!(
        p.headers["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("lang=vi;")
    );
    let p = browse(&app, "/", Some("lang=klingon")).await;
    assert_html(&p, "/", 200, "vi");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_publisher_typed_is_escaped_on_every_page() {
    let app = spawn_app(Backend::Sqlite, SMALL_SEEDS).await;
    let evil = "<script>alert(1)</script>\" onmouseover=\"x";
    let body = json!({
        "id": "evil-dataset",
        "title": {"vi": evil, "en": evil},
        "description": {"vi": "Mô tả </script><script>alert(2)</script> dân cư", "en": "<b onclick=\"y\">bold</b>"},
        "publisher": "G12",
        "themes": ["health"],
        "keywords": {"vi": ["<img src=x onerror=alert(3)>"]},
        "contactPoint": {"name": "<i>Phòng</i>", "email": "a\"b@example.org"},
        "licence": "CC-BY-4.0",
        "distributions": [{"id": "csv", "title": {"vi": evil}, "downloadUrl": "https://example.org/x.csv", "format": "CSV"}]
    });
    let r = app
        .post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &body)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    for action in ["submit", "publish"] {
        let r = app
            .post_json(
                &format!("/api/v1/datasets/evil-dataset/{action}"),
                Some(ADMIN_TOKEN),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 200, "{action}");
    }
    let r = app
        .client
        .put(app.url("/api/v1/agencies/G12/plan/evil-plan"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"title": {"vi": "<b>kế hoạch</b>"}, "targetDate": "2030-01-01", "dataset": "evil-dataset"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app
        .client
        .put(app.url("/api/v1/agencies/G12/plan/later"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"title": {"vi": "Sau này"}, "targetDate": "2031-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wait_searchable(&app, "alert", "evil-dataset").await;

    let check = |path: &str, body: &str| {
        for raw in [
            "<script>alert",
            "\" onmouseover=\"x",
            "<img src=x",
            "<b onclick",
            "<i>Phòng",
            "<b>kế hoạch",
        ] {
            assert!(!body.contains(raw), "GET {path} has {raw:?} unescaped");
        }
        // The site's script and, on the dataset page, the JSON-LD block: nothing else opens or closes a script.
        assert!(body.matches("<script").count() <= 2, "GET {path}");
        assert_eq!(
            body.matches("<script").count(),
            body.matches("</script>").count(),
            "GET {path}"
        );
    };
    for path in [
        "/",
        "/search?q=dan+cu",
        "/search?q=alert",
        "/dataset/evil-dataset",
        "/dataset/evil-dataset?lang=en",
        "/agency/G12",
    ] {
        let p = browse(&app, path, None).await;
        assert_eq!(p.status, 200, "GET {path}");
        check(path, &p.body);
    }
    let p = browse(&app, "/dataset/evil-dataset", None).await;
    assert!(
        p.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;&#34; onmouseover=&#34;x"),
        "the title is shown, escaped"
    );
    assert!(p.body.contains("&#60;img src=x onerror=alert(3)&#62;"));
    let ld = json_ld(&p.body);
    assert_eq!(ld["name"], evil, "the JSON-LD holds the title as typed");
    assert!(!p.body.contains("</script><script>alert(2)"));
    let p = browse(&app, "/search?q=dan+cu", None).await;
    assert!(
        p.body.contains("&lt;/script&gt;&lt;script&gt;alert(2)"),
        "the snippet is escaped"
    );
    let p = browse(&app, "/agency/G12", None).await;
    assert!(
        p.body
            .contains("Đã công bố 1 trên 2 tập dữ liệu theo kế hoạch"),
        "the plan's progress"
    );
    assert!(p.body.contains("&#60;b&#62;kế hoạch&#60;/b&#62;"));

    // Withdrawn: the page stays, with a notice, under 410 Gone; the sitemap forgets it.
    let sitemap = app.get("/sitemap.xml").await.text().await.unwrap();
    assert!(sitemap.contains("/dataset/evil-dataset</loc>"));
    let r = app
        .post_json(
            "/api/v1/datasets/evil-dataset/withdraw",
            Some(ADMIN_TOKEN),
            &json!({"reason": "<script>alert(4)</script>"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let p = browse(&app, "/dataset/evil-dataset", None).await;
    assert_html(&p, "/dataset/evil-dataset", 410, "vi");
    assert!(p.body.contains("đã bị rút khỏi danh mục"));
    assert!(p.body.contains("&#60;script&#62;alert(4)"));
    check("/dataset/evil-dataset (withdrawn)", &p.body);
    let sitemap = app.get("/sitemap.xml").await.text().await.unwrap();
    assert!(!sitemap.contains("evil-dataset"));
    let r = app.get("/dataset/evil-dataset").await;
    assert_eq!(r.status(), 410, "RDF clients get 410 too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dataset_page_is_never_answered_not_modified() {
    // The page shows live usage counts, which change without a change-log entry, so it carries no ETag (a browser
    // revalidating would otherwise be told "not modified" over stale counts, or over the other language); the DCAT
    // answers of the same URL keep theirs.
    let app = spawn_app(Backend::Sqlite, SMALL_SEEDS).await;
    let body = json!({
        "id": "plain-dataset",
        "title": {"vi": "Dữ liệu", "en": "Data"},
        "description": {"vi": "Mô tả"},
        "publisher": "G12",
        "themes": ["health"],
    });
    let r = app
        .post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &body)
        .await;
    assert_eq!(r.status(), 201);
    for action in ["submit", "publish"] {
        app.post_json(
            &format!("/api/v1/datasets/plain-dataset/{action}"),
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    }
    let vi = browse(&app, "/dataset/plain-dataset", None).await;
    let en = browse(&app, "/dataset/plain-dataset", Some("lang=en")).await;
    assert_html(&vi, "vi", 200, "vi");
    assert_html(&en, "en", 200, "en");
    assert!(!vi.headers.contains_key("etag"));
    assert!(!en.headers.contains_key("etag"));
    let r = app
        .client
        .get(app.url("/dataset/plain-dataset"))
        .header("accept", BROWSER_ACCEPT)
        .header("if-none-match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let turtle = app
        .client
        .get(app.url("/dataset/plain-dataset"))
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap();
    let tag = turtle.headers()["etag"].clone();
    let r = app
        .client
        .get(app.url("/dataset/plain-dataset"))
        .header("accept", "text/turtle")
        .header("if-none-match", tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
}
