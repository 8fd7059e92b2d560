//! The curation web pages (issue 9), driven as a browser would drive them without JavaScript: sign-in with a token, the
//! session cookie's attributes, CSRF refusal, sign-out revoking the session, a publisher kept off another agency's
//! dataset, and the reviewed workflows end to end (a steward proposes, another approves; a publisher creates, uploads
//! and submits; the approver publishes).
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{Backend, TestApp, spawn_app};

on_both_backends!(
    issue16_a_stale_curation_form_shows_the_conflict_page,
    issue9_session_cookie_is_http_only_and_same_site_and_logout_revokes,
    issue9_form_posts_without_the_csrf_token_are_refused,
    issue9_publisher_cannot_open_another_agencys_dataset_form,
    issue9_steward_proposes_and_another_steward_approves,
    issue9_publisher_uploads_and_submits_and_approver_publishes,
    issue9_session_cookie_is_secure_behind_tls,
    issue9_approver_issues_the_yearly_list_and_edits_the_plan,
    issue9_password_sign_in_for_accounts_that_have_one,
);

use crate::support::CATALOG_SEEDS as SEEDS;

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// A browser without JavaScript: keeps its cookies, does not follow redirects.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&mut self, headers: &HeaderMap) {
        for v in headers.get_all(SET_COOKIE) {
            let text = v.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() && !text.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    async fn answer(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let r = req
            .header("accept", BROWSER_ACCEPT)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("request");
        let headers = r.headers().clone();
        self.remember(&headers);
        Answer {
            status: r.status(),
            headers,
            body: r.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let req = self.client.get(format!("{}{path}", self.base));
        self.answer(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let req = self.client.post(format!("{}{path}", self.base)).form(form);
        self.answer(req).await
    }

    async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Answer {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .multipart(form);
        self.answer(req).await
    }

    /// Signs in with a token; returns the answer to the sign-in post.
    async fn sign_in(&mut self, token: &str) -> Answer {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = hidden(&form.body, "csrf");
        self.post(
            "/login",
            &[("csrf", &csrf), ("token", token), ("next", "/manage")],
        )
        .await
    }

    /// The CSRF token of the forms on a page.
    async fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "GET {path}: {}", page.body);
        hidden(&page.body, "csrf")
    }
}

/// The value of the first hidden input named `name`.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {body}"))
        + marker.len();
    body[start..][..body[start..].find('"').unwrap()].to_owned()
}

async fn token(app: &TestApp, body: Value) -> String {
    app.token(body).await
}

/// A browser signed in as a new account.
async fn signed_in(app: &TestApp, account: Value) -> Browser {
    let token = app.token(account).await;
    let mut browser = Browser::new(app);
    let r = browser.sign_in(&token).await;
    assert_eq!(r.status, 303, "{}", r.body);
    browser
}

/// Creates the `schools` draft with the dataset form; returns the form's CSRF token.
async fn create_schools(browser: &mut Browser) -> String {
    let csrf = browser.csrf("/manage/datasets/new").await;
    let r = browser
        .post("/manage/datasets", &dataset_form(&csrf, "schools"))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    csrf
}

fn dataset_form<'a>(csrf: &'a str, id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("id", id),
        ("title_vi", "Danh sách trường học"),
        ("title_en", "Schools"),
        ("description_vi", "Các trường phổ thông đang hoạt động."),
        ("themes", "education"),
        ("licence", "CC-BY-4.0"),
        ("frequency", "ANNUAL"),
        ("access_right", "public"),
        ("keywords_vi", "giáo dục, trường học"),
        ("languages", "vi"),
    ]
}

async fn issue9_session_cookie_is_http_only_and_same_site_and_logout_revokes(backend: Backend) {
    let app = spawn_app(backend, &["agencies"]).await;
    let mut browser = Browser::new(&app);
    // Signed out, every curation page sends to the sign-in page and comes back.
    let r = browser.get("/manage/datasets").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/login?next=%2Fmanage%2Fdatasets");

    let r = browser.sign_in("not-a-token").await;
    assert_eq!(r.status, 401, "{}", r.body);

    let publisher = token(
        &app,
        json!({"name": "p", "role": "publisher", "agency": "G12"}),
    )
    .await;
    let r = browser.sign_in(&publisher).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/manage");
    let cookie = r
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("od_session="))
        .expect("a session cookie");
    assert!(cookie.contains("; HttpOnly"), "{cookie}");
    assert!(cookie.contains("; SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("; Max-Age="), "{cookie}");
    assert!(cookie.contains("; Path=/"), "{cookie}");

    let dashboard = browser.get("/manage").await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    assert!(dashboard.body.contains("p · người công bố · G12"));
    assert_eq!(dashboard.headers.get("cache-control").unwrap(), "no-store");

    // Signing out deletes the session: the same cookie replayed no longer works.
    let stolen = browser.cookie_header();
    let csrf = hidden(&dashboard.body, "csrf");
    let r = browser.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 303);
    let replay = app
        .client
        .get(app.url("/manage"))
        .header("cookie", stolen)
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert!(
        replay.url().path().starts_with("/login"),
        "{}",
        replay.url()
    );
}

async fn issue9_form_posts_without_the_csrf_token_are_refused(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let publisher = token(
        &app,
        json!({"name": "p", "role": "publisher", "agency": "G12"}),
    )
    .await;
    let mut browser = Browser::new(&app);

    // The sign-in form itself needs its token.
    browser.get("/login").await;
    let r = browser
        .post("/login", &[("token", publisher.as_str())])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    assert_eq!(browser.sign_in(&publisher).await.status, 303);
    let csrf = browser.csrf("/manage/datasets/new").await;
    let mut without = dataset_form(&csrf, "schools");
    without.retain(|(k, _)| *k != "csrf");
    let r = browser.post("/manage/datasets", &without).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let mut wrong = dataset_form("0000", "schools");
    wrong[0] = ("csrf", "0000");
    assert_eq!(browser.post("/manage/datasets", &wrong).await.status, 403);
    // Nothing was created.
    let r = app
        .client
        .get(app.url("/api/v1/datasets/schools"))
        .bearer_auth(&publisher)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let r = browser
        .post("/manage/datasets", &dataset_form(&csrf, "schools"))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/manage/datasets/schools");

    // A form refused by the catalog comes back with the problems and what was typed.
    let mut bad = dataset_form(&csrf, "schools-2");
    bad.retain(|(k, _)| *k != "themes");
    let r = browser.post("/manage/datasets", &bad).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("at least one theme is required"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"Danh sách trường học\""));
}

async fn issue9_publisher_cannot_open_another_agencys_dataset_form(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let mut mof = signed_in(
        &app,
        json!({"name": "mof", "role": "publisher", "agency": "G12"}),
    )
    .await;
    create_schools(&mut mof).await;

    let mut other = signed_in(
        &app,
        json!({"name": "mps", "role": "publisher", "agency": "G01"}),
    )
    .await;
    let r = other.get("/manage/datasets/schools").await;
    assert_eq!(r.status, 403, "{}", r.body);
    let csrf = other.csrf("/manage/datasets/new").await;
    let r = other
        .post("/manage/datasets/schools", &dataset_form(&csrf, "schools"))
        .await;
    assert_eq!(r.status, 403);
    let r = other.get("/manage/datasets").await;
    assert!(!r.body.contains("/manage/datasets/schools"));
}

async fn issue9_steward_proposes_and_another_steward_approves(backend: Backend) {
    let app = spawn_app(backend, &["themes"]).await;
    let anna = token(
        &app,
        json!({"name": "anna", "role": "steward", "lists": ["themes"]}),
    )
    .await;
    let binh = token(
        &app,
        json!({"name": "binh", "role": "steward", "lists": ["themes"]}),
    )
    .await;
    let mut a = Browser::new(&app);
    assert_eq!(a.sign_in(&anna).await.status, 303);
    let csrf = a.csrf("/manage/lists/themes/propose").await;
    let r = a
        .post(
            "/manage/lists/themes/propose",
            &[
                ("csrf", csrf.as_str()),
                ("op", "add"),
                ("code", "space"),
                ("label_vi", "Vũ trụ"),
                ("label_en", "Space"),
                ("legal_decision", "12/2026/QĐ-BKHCN"),
                ("legal_date", "2026-01-15"),
                ("reason", "Chủ đề mới"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let request = r.location().to_owned();
    assert!(request.starts_with("/manage/lists/themes/change-requests/"));
    let page = a.get(&request).await;
    assert!(page.body.contains("Vũ trụ"), "{}", page.body);
    // The proposer may not approve their own request.
    assert!(!page.body.contains("/approve"));

    let mut b = Browser::new(&app);
    assert_eq!(b.sign_in(&binh).await.status, 303);
    let dashboard = b.get("/manage").await;
    assert!(dashboard.body.contains(&request), "{}", dashboard.body);
    let csrf = b.csrf(&request).await;
    let r = b
        .post(&format!("{request}/approve"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let item = app
        .get_json("/api/v1/registry/lists/themes/items/space")
        .await;
    assert_eq!(item["labels"]["vi"], "Vũ trụ");
    assert_eq!(item["legalBasis"]["decision"], "12/2026/QĐ-BKHCN");

    // A release shows what changed since the previous one.
    let list = b.get("/manage/lists/themes").await;
    let csrf = hidden(&list.body, "csrf");
    let r = b
        .post("/manage/lists/themes/releases", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(b.get(r.location()).await.status, 200);

    // A CSV previewed shows the added row before anything changes.
    let body = "code,label_vi\nocean,Biển\n".to_owned();
    let csrf = b.csrf("/manage/lists/themes/import").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("reason", "thêm biển")
        .part(
            "file",
            reqwest::multipart::Part::bytes(body.into_bytes())
                .file_name("themes.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let r = b.post_multipart("/manage/lists/themes/import", form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Xem trước thay đổi"), "{}", r.body);
    assert!(r.body.contains("<code>ocean</code>"), "{}", r.body);
    assert_eq!(
        app.get("/api/v1/registry/lists/themes/items/ocean")
            .await
            .status(),
        404,
        "a preview changes nothing"
    );
    let csrf = hidden(&r.body, "csrf");
    let r = b
        .post(
            "/manage/lists/themes/import/submit",
            &[
                ("csrf", csrf.as_str()),
                ("csv", "code,label_vi\nocean,Biển\n"),
                ("reason", "thêm biển"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.location()
            .starts_with("/manage/lists/themes/change-requests/")
    );
}

async fn issue9_publisher_uploads_and_submits_and_approver_publishes(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let mut p = signed_in(
        &app,
        json!({"name": "p", "role": "publisher", "agency": "G12"}),
    )
    .await;
    let csrf = create_schools(&mut p).await;

    let csv = "ten,so_hoc_sinh\nTrường A,120\nTrường B,340\n";
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("file_title", "Danh sách")
        .text("format", "CSV")
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                .file_name("truong.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let r = p
        .post_multipart("/manage/datasets/schools/files", form)
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/manage/datasets/schools?uploaded=truong");
    let page = p.get(r.location()).await;
    let sha = registry::changelog::sha256_hex(csv.as_bytes());
    assert!(page.body.contains(&sha), "the checksum is shown");

    // The upload script streams the file as the body, with the CSRF token in a header.
    let raw = "/manage/datasets/schools/files/raw?name=notes.txt&title=Ghi%20ch%C3%BA";
    let req = p
        .client
        .post(format!("{}{raw}", p.base))
        .header("content-type", "text/plain")
        .body("ghi chú");
    assert_eq!(p.answer(req).await.status, 403, "no CSRF header");
    let req = p
        .client
        .post(format!("{}{raw}", p.base))
        .header("content-type", "text/plain")
        .header("x-csrf-token", &csrf)
        .body("ghi chú");
    let r = p.answer(req).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/manage/datasets/schools?uploaded=notes");
    // A file held elsewhere is a link; a link that is not http(s) is refused beside the form.
    let r = p
        .post(
            "/manage/datasets/schools/links",
            &[("csrf", csrf.as_str()), ("url", "javascript:alert(1)")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = p
        .post(
            "/manage/datasets/schools/links",
            &[
                ("csrf", csrf.as_str()),
                ("url", "https://example.org/data/truong-2023.csv"),
                ("link_title_vi", "Năm 2023"),
                ("format", "CSV"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = p.get("/manage/datasets/schools").await;
    assert!(
        page.body.contains("/distributions/truong-2023\""),
        "{}",
        page.body
    );

    // The text file is renamed, then removed again.
    let r = p
        .post(
            "/manage/datasets/schools/distributions/notes",
            &[
                ("csrf", csrf.as_str()),
                ("title_vi", "Ghi chú mới"),
                ("format", "TXT"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = p.get("/manage/datasets/schools").await;
    assert!(page.body.contains("value=\"Ghi chú mới\""), "{}", page.body);
    let r = p
        .post(
            "/manage/datasets/schools/distributions/notes",
            &[("csrf", csrf.as_str()), ("remove", "1")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = p.get("/manage/datasets/schools").await;
    assert!(!page.body.contains("/distributions/notes\""));
    assert!(page.body.contains("/distributions/truong\""));

    let r = p
        .post(
            "/manage/datasets/schools/submit",
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The publisher cannot publish.
    let r = p
        .post(
            "/manage/datasets/schools/publish",
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(r.status, 403);

    let mut a = signed_in(
        &app,
        json!({"name": "a", "role": "approver", "agency": "G12"}),
    )
    .await;
    let queue = a.get("/manage/queue").await;
    assert!(
        queue.body.contains("Danh sách trường học"),
        "{}",
        queue.body
    );
    let csrf = hidden(&queue.body, "csrf");
    let r = a
        .post(
            "/manage/datasets/schools/publish",
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let record = app.get_json("/api/v1/datasets/schools").await;
    assert_eq!(record["status"], "published");
    assert_eq!(record["distributions"][0]["fileSha256"], sha);
}

async fn issue9_session_cookie_is_secure_behind_tls(backend: Backend) {
    let app = crate::support::spawn_app_with(backend, &["agencies"], |c| c.hsts = true).await;
    let publisher = token(
        &app,
        json!({"name": "p", "role": "publisher", "agency": "G12"}),
    )
    .await;
    let mut browser = Browser::new(&app);
    let r = browser.sign_in(&publisher).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let cookie = r
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("od_session="))
        .expect("a session cookie");
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}

async fn issue9_approver_issues_the_yearly_list_and_edits_the_plan(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let mut p = signed_in(
        &app,
        json!({"name": "p", "role": "publisher", "agency": "G12"}),
    )
    .await;
    let csrf = create_schools(&mut p).await;
    // Without a file or link the dataset can still be described; the publisher submits it.
    assert_eq!(
        p.post(
            "/manage/datasets/schools/submit",
            &[("csrf", csrf.as_str())]
        )
        .await
        .status,
        303
    );
    let mut a = signed_in(
        &app,
        json!({"name": "a", "role": "approver", "agency": "G12"}),
    )
    .await;
    let csrf = a.csrf("/manage/queue").await;
    // Returning needs a reason.
    let r = a
        .post(
            "/manage/datasets/schools/return",
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        a.post(
            "/manage/datasets/schools/publish",
            &[("csrf", csrf.as_str())]
        )
        .await
        .status,
        303
    );
    // The publisher cannot issue the list.
    let publisher_csrf = p.csrf("/manage").await;
    let r = p
        .post(
            "/manage/agency/open-data-lists",
            &[
                ("csrf", publisher_csrf.as_str()),
                ("year", "2026"),
                ("datasets", "schools"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = a
        .post(
            "/manage/agency/open-data-lists",
            &[
                ("csrf", csrf.as_str()),
                ("year", "2026"),
                ("datasets", "schools"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let lists = app.get_json("/api/v1/agencies/G12/open-data-lists").await;
    assert_eq!(lists["items"][0]["datasets"][0]["id"], "schools", "{lists}");
    let r = a
        .post(
            "/manage/agency/plan",
            &[
                ("csrf", csrf.as_str()),
                ("item", "schools-plan"),
                ("title_vi", "Danh sách trường học"),
                ("target_date", "2026-12-31"),
                ("dataset", "schools"),
                ("status", "in-progress"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = a.get("/manage/agency").await;
    assert!(page.body.contains("schools-plan"), "{}", page.body);
    let plan = app.get_json("/api/v1/agencies/G12/plan").await;
    assert_eq!(plan["published"], 1, "{plan}");

    // The approver withdraws it, with a reason; its address then answers 410.
    let page = a.get("/manage/datasets/schools").await;
    assert!(page.body.contains("/manage/datasets/schools/withdraw"));
    let r = a
        .post(
            "/manage/datasets/schools/withdraw",
            &[("csrf", csrf.as_str()), ("reason", "Dữ liệu đã cũ")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(app.get("/api/v1/datasets/schools").await.status(), 410);
}

async fn issue9_password_sign_in_for_accounts_that_have_one(backend: Backend) {
    let app = spawn_app(backend, &["agencies"]).await;
    token(
        &app,
        json!({"name": "chi", "role": "publisher", "agency": "G12"}),
    )
    .await;
    let mut browser = Browser::new(&app);
    let form = browser.get("/login").await;
    assert!(
        !form.body.contains("name=\"password\""),
        "no account has a password yet"
    );

    let mut config = opendata::app::Config::new(&app.data_dir);
    config.database_url = app.database_url.clone();
    let accounts =
        opendata::accounts::Accounts::new(opendata::app::open_database(&config).await.unwrap());
    assert!(accounts.set_password("chi", "short").await.is_err());
    accounts
        .set_password("chi", "một mật khẩu đủ dài")
        .await
        .unwrap();

    let form = browser.get("/login").await;
    assert!(form.body.contains("name=\"password\""));
    for (name, password) in [
        ("chi", "sai mật khẩu rồi"),
        ("nobody", "một mật khẩu đủ dài"),
    ] {
        // Each sign-in page pairs its form with a fresh cookie.
        let csrf = hidden(&browser.get("/login").await.body, "csrf");
        let r = browser
            .post(
                "/login",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", name),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(r.status, 401, "{name}: {}", r.body);
    }
    let csrf = hidden(&browser.get("/login").await.body, "csrf");
    let r = browser
        .post(
            "/login",
            &[
                ("csrf", csrf.as_str()),
                ("username", "chi"),
                ("password", "một mật khẩu đủ dài"),
                ("next", "/manage/datasets"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "/manage/datasets");
    let page = browser.get("/manage").await;
    assert!(page.body.contains("chi · người công bố · G12"));
}

async fn issue16_a_stale_curation_form_shows_the_conflict_page(backend: Backend) {
    let app = spawn_app(backend, SEEDS).await;
    let mut p = signed_in(
        &app,
        json!({"name": "p", "role": "publisher", "agency": "G12"}),
    )
    .await;
    create_schools(&mut p).await;
    let page = p.get("/manage/datasets/schools").await;
    assert_eq!(
        hidden(&page.body, "revision"),
        "1",
        "the form carries the revision it edits"
    );
    let csrf = hidden(&page.body, "csrf");

    // Someone else saves a new description through the API meanwhile.
    let api = token(
        &app,
        json!({"name": "q", "role": "publisher", "agency": "G12"}),
    )
    .await;
    let r = app
        .client
        .patch(app.url("/api/v1/datasets/schools"))
        .bearer_auth(&api)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"description": {"vi": "Mô tả do người khác lưu."}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The form, still based on revision 1, changes the title: nothing is saved, both versions are shown.
    let mut form = dataset_form(&csrf, "schools");
    form.retain(|(k, _)| *k != "id" && *k != "title_vi");
    form.push(("title_vi", "Trường học đã sửa"));
    form.push(("revision", "1"));
    let r = p.post("/manage/datasets/schools", &form).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body
            .contains("Bộ dữ liệu đã thay đổi trong lúc bạn làm việc"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Trường học đã sửa"),
        "their version is shown"
    );
    assert!(
        r.body.contains("Mô tả do người khác lưu."),
        "the current version is shown"
    );
    assert!(
        r.body.contains("Các trường phổ thông đang hoạt động."),
        "their description too"
    );
    assert_eq!(
        hidden(&r.body, "revision"),
        "2",
        "applying again is based on the current revision"
    );
    let saved: Value = app
        .client
        .get(app.url("/api/v1/datasets/schools"))
        .bearer_auth(&api)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(saved["currentRevision"], 2);
    assert_eq!(
        saved["title"]["vi"], "Danh sách trường học",
        "nothing was saved"
    );
    assert_eq!(saved["description"]["vi"], "Mô tả do người khác lưu.");

    // Applying the change to the current revision saves it.
    let resend_csrf = hidden(&r.body, "csrf");
    let mut again: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| *k != "revision" && *k != "csrf")
        .copied()
        .collect();
    again.push(("csrf", &resend_csrf));
    again.push(("revision", "2"));
    let r = p.post("/manage/datasets/schools", &again).await;
    assert_eq!(r.status, 303, "{}", r.body);

    // A workflow form based on an old revision is refused the same way.
    let r = p
        .post(
            "/manage/datasets/schools/submit",
            &[("csrf", csrf.as_str()), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body
            .contains("Bộ dữ liệu đã thay đổi trong lúc bạn làm việc")
    );
    let r = p
        .post(
            "/manage/datasets/schools/submit",
            &[("csrf", csrf.as_str()), ("revision", "3")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}
