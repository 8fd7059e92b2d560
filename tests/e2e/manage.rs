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
    issue9_session_cookie_is_http_only_and_same_site_and_logout_revokes,
    issue9_form_posts_without_the_csrf_token_are_refused,
    issue9_publisher_cannot_open_another_agencys_dataset_form,
    issue9_session_cookie_is_secure_behind_tls,
    issue9_password_sign_in_for_accounts_that_have_one,
);

use crate::support::CATALOG_SEEDS as SEEDS;

pub(crate) const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// A browser without JavaScript: keeps its cookies, does not follow redirects.
pub(crate) struct Browser {
    pub(crate) client: reqwest::Client,
    pub(crate) base: String,
    cookies: Vec<(String, String)>,
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: Vec::new(),
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn remember(&mut self, headers: &HeaderMap) {
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

    pub(crate) async fn answer(&mut self, req: reqwest::RequestBuilder) -> Answer {
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

    pub(crate) async fn get(&mut self, path: &str) -> Answer {
        let req = self.client.get(format!("{}{path}", self.base));
        self.answer(req).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let req = self.client.post(format!("{}{path}", self.base)).form(form);
        self.answer(req).await
    }

    pub(crate) async fn post_multipart(
        &mut self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> Answer {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .multipart(form);
        self.answer(req).await
    }

    /// Signs in with a token; returns the answer to the sign-in post.
    pub(crate) async fn sign_in(&mut self, token: &str) -> Answer {
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
    pub(crate) async fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "GET {path}: {}", page.body);
        hidden(&page.body, "csrf")
    }
}

/// The value of the first hidden input named `name`.
pub(crate) fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in {body}"))
        + marker.len();
    body[start..][..body[start..].find('"').unwrap()].to_owned()
}

pub(crate) async fn token(app: &TestApp, body: Value) -> String {
    app.token(body).await
}

/// A browser signed in as a new account.
pub(crate) async fn signed_in(app: &TestApp, account: Value) -> Browser {
    let token = app.token(account).await;
    let mut browser = Browser::new(app);
    let r = browser.sign_in(&token).await;
    assert_eq!(r.status, 303, "{}", r.body);
    browser
}

/// Creates the `schools` draft with the dataset form; returns the form's CSRF token.
pub(crate) async fn create_schools(browser: &mut Browser) -> String {
    let csrf = browser.csrf("/manage/datasets/new").await;
    let r = browser
        .post("/manage/datasets", &dataset_form(&csrf, "schools"))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    csrf
}

pub(crate) fn dataset_form<'a>(csrf: &'a str, id: &'a str) -> Vec<(&'a str, &'a str)> {
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
