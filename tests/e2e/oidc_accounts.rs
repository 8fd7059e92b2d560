//! Issue 17's account pages and developer portal, with the real OpenID Provider of `oidc`: a developer signs in
//! through the provider, creates a key, calls the API with it and sees the calls counted; an admin finds both accounts
//! on `/manage/accounts`, grants and revokes, sets a key's tier, and disables them: the session and the key stop in
//! the same second, and every change is in the change log. Where no provider is configured, developers register with
//! a name and an e-mail address.
use reqwest::StatusCode;
use serde_json::Value;

use crate::manage::hidden;
use crate::oidc::{Browser, Provider, app_for, free_port};
use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, spawn_app, spawn_app_with};

on_both_backends!(
    issue17_developer_keys_and_an_admin_disabling_accounts,
    issue17_developers_register_where_no_provider_is_configured,
    issue17_an_admin_puts_a_key_in_a_tier_and_its_daily_quota_holds,
);

/// The id in `/manage/accounts/{id}` of the row whose link text is `name`.
fn account_id(page: &str, name: &str) -> i64 {
    let at = page
        .find(&format!("\">{name}</a>"))
        .unwrap_or_else(|| panic!("no {name} in {page}"));
    let start = page[..at].rfind("/manage/accounts/").unwrap() + "/manage/accounts/".len();
    page[start..at].parse().unwrap()
}

async fn issue17_developer_keys_and_an_admin_disabling_accounts(backend: Backend) {
    let (app_port, op_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{app_port}");
    let provider = Provider::start(op_port, &base, &[]).await;
    let app = app_for(backend, app_port, &provider.issuer).await;
    let callback = format!("{base}/login/oidc/callback");

    // The developer signs in through the provider from the portal and becomes a consumer.
    let mut dev = Browser::new();
    let landing = dev.get(&format!("{base}/developers?lang=en")).await;
    assert_eq!(landing.status, StatusCode::OK);
    assert!(
        landing.body.contains("/developers/login"),
        "{}",
        landing.body
    );
    assert!(
        landing.body.contains("curl -H"),
        "examples for everyone: {}",
        landing.body
    );
    let back = dev
        .through_provider(
            &format!("{base}/developers/login"),
            &callback,
            "chi.developer",
        )
        .await;
    let signed_in = dev.get(&back).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(signed_in.location().unwrap().path(), "/developers");
    let portal = dev.get(&format!("{base}/developers")).await;
    assert!(portal.body.contains("Lê Minh Chi"), "{}", portal.body);
    let csrf = hidden(&portal.body, "csrf");

    // A key: named, shown once, usable at once.
    let created = dev
        .post(
            &format!("{base}/developers/keys"),
            &[("csrf", &csrf), ("name", "bản đồ")],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let marker = "id=\"new-key-secret\">";
    let at = created.body.find(marker).expect("the key is shown") + marker.len();
    let key = created.body[at..at + 68].to_owned();
    assert!(key.starts_with("odk_"), "{key}");
    let again = dev.get(&format!("{base}/developers")).await;
    assert!(!again.body.contains(&key), "the key is shown only once");
    assert!(again.body.contains("bản đồ"));
    let call = |key: String| {
        let client = app.client.clone();
        let url = app.url("/api/v1/admin/harvest-runs");
        async move {
            client
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Authenticated (403: a consumer is no admin), not anonymous (401).
    for _ in 0..3 {
        assert_eq!(call(key.clone()).await, StatusCode::FORBIDDEN);
    }
    let search = app
        .client
        .get(app.url("/api/v1/search?q=x"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(search.status(), StatusCode::OK);
    // The calls per day, in the chart's table (and the chart's description).
    let counted = dev.get(&format!("{base}/developers?lang=en")).await;
    assert!(
        counted.body.contains("<svg class=\"usage-chart\""),
        "{}",
        counted.body
    );
    assert!(
        counted
            .body
            .contains("4 calls in total over the last 14 days"),
        "{}",
        counted.body
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(
        counted
            .body
            .contains(&format!("<th scope=\"row\">{today}</th><td>4</td>")),
        "{}",
        counted.body
    );

    // A second key, revoked by its developer: it stops at once.
    let csrf = hidden(&counted.body, "csrf");
    let second = dev
        .post(
            &format!("{base}/developers/keys"),
            &[("csrf", &csrf), ("name", "thử")],
        )
        .await;
    let at = second.body.find(marker).unwrap() + marker.len();
    let second_key = second.body[at..at + 68].to_owned();
    assert_eq!(call(second_key.clone()).await, StatusCode::FORBIDDEN);
    let form_at = second.body.find("/revoke\"").unwrap();
    let start = second.body[..form_at].rfind("/developers/keys/").unwrap();
    let revoke = &second.body[start..form_at + "/revoke".len()];
    let csrf = hidden(&second.body, "csrf");
    let done = dev
        .post(&format!("{base}{revoke}"), &[("csrf", &csrf)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let refused = call(second_key).await;
    let still = call(key.clone()).await;
    // `revoke` is the newest key's form (newest first).
    assert_eq!(
        (refused, still),
        (StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN)
    );

    // A publisher signs in through the provider too.
    let mut publisher = Browser::new();
    let back = publisher
        .through_provider(
            &format!("{base}/login/oidc?next=/manage"),
            &callback,
            "an.publisher",
        )
        .await;
    publisher.get(&back).await;
    assert_eq!(
        publisher.get(&format!("{base}/manage")).await.status,
        StatusCode::OK
    );

    // The admin's account pages list them with their roles and agencies.
    let mut admin = crate::manage::Browser::new(&app);
    admin.sign_in(ADMIN_TOKEN).await;
    let list = admin.get("/manage/accounts?lang=en").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("Shared sign-in"), "{}", list.body);
    let chi = account_id(&list.body, "Lê Minh Chi");
    let an = account_id(&list.body, "Nguyễn Văn An");
    let page = admin.get(&format!("/manage/accounts/{an}?lang=en")).await;
    assert!(page.body.contains("G12"), "{}", page.body);

    // Grant: a steward needs lists (refused with the problem shown), then with one.
    let csrf = hidden(&page.body, "csrf");
    let refused = admin
        .post(
            &format!("/manage/accounts/{chi}/grant"),
            &[
                ("csrf", &csrf),
                ("role", "steward"),
                ("lists", ""),
                ("agency", ""),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("at least one code list"),
        "{}",
        refused.body
    );
    // Revoke the publisher's role: its session ends.
    let revoked = admin
        .post(
            &format!("/manage/accounts/{an}/revoke-role"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let out = publisher.get(&format!("{base}/manage")).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "no role, no session");
    let granted = admin
        .post(
            &format!("/manage/accounts/{an}/grant"),
            &[
                ("csrf", &csrf),
                ("role", "approver"),
                ("agency", "G12"),
                ("lists", ""),
            ],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);
    let page = admin.get(&format!("/manage/accounts/{an}?lang=en")).await;
    assert!(
        page.body.contains("id=\"account-role\">approver"),
        "{}",
        page.body
    );

    // Disabling the developer: the session and the key stop at once — the very next requests, sent without waiting or
    // retrying, are refused (no cache lets them through). Their wall time is not asserted: on a loaded CI machine it
    // says nothing about the product.
    let before = dev.get(&format!("{base}/developers")).await;
    assert!(before.body.contains("bản đồ"));
    let disabled = admin
        .post(
            &format!("/manage/accounts/{chi}/disable"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER, "{}", disabled.body);
    let key_after = call(key.clone()).await;
    let portal_after = dev.get(&format!("{base}/developers")).await;
    assert_eq!(key_after, StatusCode::UNAUTHORIZED, "the key stops");
    assert!(
        !portal_after.body.contains("bản đồ"),
        "the session stops: {}",
        portal_after.body
    );
    // Enabled again, the key works again (the session was ended for good).
    let enabled = admin
        .post(
            &format!("/manage/accounts/{chi}/enable"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::SEE_OTHER);
    assert_eq!(call(key.clone()).await, StatusCode::FORBIDDEN);

    // Every change is in the change log.
    let feed: Value = app.get_json("/api/v1/changes?limit=10000").await;
    let actions: Vec<(String, String)> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (action, subject) in [
        (
            "account.federated-create",
            format!("urn:opendata:account:{chi}"),
        ),
        ("account.revoke-role", format!("urn:opendata:account:{an}")),
        ("account.grant", format!("urn:opendata:account:{an}")),
        ("account.disable", format!("urn:opendata:account:{chi}")),
        ("account.enable", format!("urn:opendata:account:{chi}")),
        ("key.create", "urn:opendata:api-key:1".to_owned()),
        ("key.revoke", "urn:opendata:api-key:2".to_owned()),
    ] {
        assert!(
            actions.contains(&(action.to_owned(), subject.clone())),
            "{action} {subject} in {actions:?}"
        );
    }
    drop(app);
    provider.stop().await;
}

async fn issue17_developers_register_where_no_provider_is_configured(backend: Backend) {
    let app = spawn_app(backend, &[]).await;
    let mut dev = crate::manage::Browser::new(&app);
    let landing = dev.get("/developers?lang=en").await;
    assert_eq!(landing.status, StatusCode::OK);
    assert!(!landing.body.contains("/developers/login"));
    let csrf = hidden(&landing.body, "csrf");
    let bad = dev
        .post(
            "/developers/register",
            &[
                ("csrf", &csrf),
                ("name", "Phạm Hà"),
                ("email", "not-an-address"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let csrf = hidden(&bad.body, "csrf");
    let ok = dev
        .post(
            "/developers/register",
            &[
                ("csrf", &csrf),
                ("name", "Phạm Hà"),
                ("email", "ha@example.com"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let portal = dev.get("/developers?lang=en").await;
    assert!(portal.body.contains("Phạm Hà"), "{}", portal.body);
    assert!(portal.body.contains("not verified"), "{}", portal.body);
    // A developer is no curator.
    let manage = dev.get("/manage").await;
    assert_eq!(manage.status, StatusCode::FORBIDDEN);
}

async fn issue17_an_admin_puts_a_key_in_a_tier_and_its_daily_quota_holds(backend: Backend) {
    let app = spawn_app_with(backend, &[], |c| {
        c.rate_limits.tiers =
            vec![opendata::http::ratelimit::parse_tier("tiny=1000/s:1000@3").unwrap()];
    })
    .await;
    let mut dev = crate::manage::Browser::new(&app);
    let landing = dev.get("/developers?lang=en").await;
    let csrf = hidden(&landing.body, "csrf");
    let ok = dev
        .post(
            "/developers/register",
            &[
                ("csrf", &csrf),
                ("name", "Võ Lan"),
                ("email", "lan@example.com"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let csrf = dev.csrf("/developers").await;
    let created = dev
        .post("/developers/keys", &[("csrf", &csrf), ("name", "k")])
        .await;
    let marker = "id=\"new-key-secret\">";
    let at = created.body.find(marker).unwrap() + marker.len();
    let key = created.body[at..at + 68].to_owned();
    let call = || {
        app.client
            .get(app.url("/api/v1/search?q=x"))
            .bearer_auth(&key)
            .send()
    };
    // The default tier (10,000 a day) lets it through.
    for _ in 0..4 {
        assert_eq!(call().await.unwrap().status(), StatusCode::OK);
    }
    // The admin places it in the tiny tier (3 calls a day): it has had 4 today, so it is refused until midnight UTC.
    let mut admin = crate::manage::Browser::new(&app);
    admin.sign_in(ADMIN_TOKEN).await;
    let list = admin.get("/manage/accounts?lang=en").await;
    let id = account_id(&list.body, "Võ Lan");
    let page = admin.get(&format!("/manage/accounts/{id}?lang=en")).await;
    assert!(
        page.body.contains("<option value=\"tiny\">tiny</option>"),
        "{}",
        page.body
    );
    let csrf = hidden(&page.body, "csrf");
    let bad = admin
        .post(
            "/manage/accounts/keys/1/tier",
            &[("csrf", &csrf), ("tier", "gold")],
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown tier: {}",
        bad.body
    );
    let set = admin
        .post(
            "/manage/accounts/keys/1/tier",
            &[("csrf", &csrf), ("tier", "tiny")],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let refused = call().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&wait), "{wait}");
    let portal = dev.get("/developers?lang=en").await;
    assert!(
        portal.body.contains("Tier: tiny · Quota: 3 calls/day"),
        "{}",
        portal.body
    );
    // The quota is drawn on the chart when it is within its scale.
    assert!(portal.body.contains("stroke-dasharray"), "{}", portal.body);
    // Back in the default tier, it passes again.
    let back = admin
        .post(
            "/manage/accounts/keys/1/tier",
            &[("csrf", &hidden(&page.body, "csrf")), ("tier", "default")],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert_eq!(call().await.unwrap().status(), StatusCode::OK);
}
