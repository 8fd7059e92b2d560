//! Rate limits and metrics (issue 5): a bounded burst on loopback held to the configured quota, 429s as
//! problem+json with `Retry-After`, per-account buckets by role, admins exempt, invalid tokens limited by address,
//! the stricter bucket of expensive endpoints, and the counters `/metrics` exposes.
use std::time::{Duration, Instant};

use opendata::app::{Rate, RateLimits};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app_with};

on_both_backends!(
    anonymous_burst_is_held_to_the_quota,
    tokens_get_their_own_buckets,
    expensive_endpoints_have_a_stricter_bucket
);

fn header(r: &reqwest::Response, name: &str) -> Option<u64> {
    r.headers().get(name)?.to_str().ok()?.parse().ok()
}

async fn get_as(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.expect("request")
}

/// Checks a refusal: 429, `Retry-After`, problem+json with code `rate-limited`, an empty bucket.
async fn assert_refused(r: reqwest::Response, limit: u64) {
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry = header(&r, "retry-after").expect("Retry-After on a 429");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(header(&r, "ratelimit-limit"), Some(limit));
    assert_eq!(header(&r, "ratelimit-remaining"), Some(0));
    assert!(header(&r, "ratelimit-reset").is_some());
    assert_eq!(
        r.headers()["content-type"],
        "application/problem+json",
        "429 content type"
    );
    let body: Value = r.json().await.expect("problem json");
    assert_eq!(body["status"], 429);
    assert_eq!(body["code"], "rate-limited");
}

/// Several clients send ten times the anonymous quota for ten seconds: the server accepts the burst plus the rate
/// times the duration, within 10%, and answers every other request with a well-formed 429, never a 5xx.
async fn anonymous_burst_is_held_to_the_quota(backend: Backend) {
    const RATE: u32 = 5;
    const BURST: u32 = 5;
    const CLIENTS: u32 = 5;
    const SPAN: Duration = Duration::from_secs(10);
    let app = spawn_app_with(backend, &[], |c| {
        c.rate_limits = RateLimits {
            anonymous: Rate::per_second(RATE, BURST),
            ..RateLimits::default()
        };
    })
    .await;
    let path = "/api/v1/registry/lists";
    // Each client sends 2 requests a second per unit of quota: CLIENTS * 2 * RATE = 10x the quota.
    let every = Duration::from_secs(1) / (2 * RATE);
    // One open connection per client first (/healthz is never limited), so no connection set-up delays the start.
    let warm: Vec<_> = (0..CLIENTS)
        .map(|_| tokio::spawn(app.client.get(app.url("/healthz")).send()))
        .collect();
    for r in warm {
        assert_eq!(r.await.unwrap().unwrap().status(), 200);
    }
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let client = app.client.clone();
            let url = app.url(path);
            tokio::spawn(async move {
                // Spread the clients over one interval.
                tokio::time::sleep(every * i / CLIENTS).await;
                let mut tick = tokio::time::interval(every);
                let mut seen = Vec::new();
                while started.elapsed() < SPAN {
                    tick.tick().await;
                    let sent = Instant::now();
                    let r = client.get(&url).send().await.expect("request");
                    seen.push((sent, r));
                }
                seen
            })
        })
        .collect();
    let mut answers = Vec::new();
    for c in clients {
        answers.extend(c.await.expect("client task"));
    }
    let first = answers.iter().map(|(t, _)| *t).min().unwrap();
    let last = answers.iter().map(|(t, _)| *t).max().unwrap();
    let span = last.duration_since(first).as_secs_f64();
    let sent = answers.len();
    let mut accepted = 0u64;
    let mut refused = 0u64;
    for (_, r) in answers {
        assert!(
            !r.status().is_server_error(),
            "5xx under load: {}",
            r.status()
        );
        if r.status() == StatusCode::OK {
            accepted += 1;
            assert_eq!(header(&r, "ratelimit-limit"), Some(BURST.into()));
            let remaining = header(&r, "ratelimit-remaining").expect("RateLimit-Remaining");
            assert!(remaining < BURST.into());
            assert!(header(&r, "ratelimit-reset").is_some());
        } else {
            refused += 1;
            assert_refused(r, BURST.into()).await;
        }
    }
    let expected = f64::from(RATE) * span + f64::from(BURST);
    eprintln!(
        "{backend:?}: {sent} requests in {span:.2} s, {accepted} accepted (expected {expected:.1}), {refused} refused"
    );
    assert!(
        sent as f64 >= 9.0 * f64::from(RATE) * span,
        "the clients sent only {sent} requests, not ten times the quota"
    );
    assert!(
        (accepted as f64 - expected).abs() <= 0.1 * expected,
        "accepted {accepted}, expected {expected:.1} ± 10%"
    );
    // Probes and the scrape are never limited, even with the bucket empty.
    assert_eq!(app.get("/healthz").await.status(), 200);
    let r = app.get("/metrics").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("ratelimit-limit").is_none());
    let text = r.text().await.unwrap();
    let series = |line: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
    };
    assert_eq!(
        series(r#"opendata_ratelimit_rejections_total{bucket="anonymous"}"#),
        Some(refused),
        "{text}"
    );
    assert_eq!(
        series(
            r#"opendata_http_requests_total{method="GET",route="/api/v1/registry/lists",status="2xx"}"#
        ),
        Some(accepted),
        "{text}"
    );
    assert_eq!(
        series(
            r#"opendata_http_requests_total{method="GET",route="/api/v1/registry/lists",status="4xx"}"#
        ),
        Some(refused),
        "{text}"
    );
    assert!(text.contains(
        r#"opendata_http_request_duration_seconds_count{method="GET",route="/api/v1/registry/lists",status="2xx"}"#
    ));
    assert_eq!(series("opendata_rdf_projection_lag "), Some(0), "{text}");
    // The quad count is taken in the background (it walks the store): a later scrape shows it.
    let mut quads = None;
    for _ in 0..50 {
        let text = app.get("/metrics").await.text().await.unwrap();
        quads = text.lines().find_map(|l| {
            l.strip_prefix("opendata_rdf_store_quads ")?
                .trim()
                .parse::<u64>()
                .ok()
        });
        if quads.is_some_and(|n| n > 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(quads.is_some_and(|n| n > 0), "quads: {quads:?}");
    assert!(
        series("opendata_search_index_documents ").is_some(),
        "{text}"
    );
    assert_eq!(
        series(r#"opendata_ratelimit_tracked_keys{bucket="anonymous"}"#),
        Some(1),
        "{text}"
    );
}

/// Admins are never limited; each account has its own bucket at its role's quota; an invalid token is 401 and is
/// counted against its address like no token at all.
async fn tokens_get_their_own_buckets(backend: Backend) {
    // Per minute: nothing refills during the test.
    let per_minute = |burst| Rate {
        count: 1,
        per: Duration::from_secs(60),
        burst,
    };
    let app = spawn_app_with(backend, &[], |c| {
        c.rate_limits = RateLimits {
            anonymous: per_minute(3),
            keyed: per_minute(4),
            roles: vec![(opendata::accounts::Role::Consumer, per_minute(6))],
            ..RateLimits::default()
        };
    })
    .await;
    let path = "/api/v1/datasets";
    for _ in 0..20 {
        let r = get_as(&app, path, Some(ADMIN_TOKEN)).await;
        assert_eq!(r.status(), 200, "admins are never limited");
        assert!(r.headers().get("ratelimit-limit").is_none());
    }
    let consumer = app
        .token(json!({"name": "reader", "role": "consumer"}))
        .await;
    let steward = app
        .token(json!({"name": "keeper", "role": "steward", "lists": ["*"]}))
        .await;

    // An invalid token: 401, counted against the address.
    let r = get_as(&app, path, Some("odt_not-a-token")).await;
    assert_eq!(r.status(), 401);
    assert_eq!(header(&r, "ratelimit-limit"), Some(3));
    assert_eq!(header(&r, "ratelimit-remaining"), Some(2));
    for remaining in [1, 0] {
        let r = get_as(&app, path, None).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "ratelimit-remaining"), Some(remaining));
    }
    assert_refused(get_as(&app, path, None).await, 3).await;
    // The address's bucket is empty: a made-up token does not get around it.
    assert_refused(get_as(&app, path, Some("odt_not-a-token")).await, 3).await;
    assert_refused(
        app.client
            .get(app.url(path))
            .header("authorization", "Basic Zm9vOmJhcg==")
            .send()
            .await
            .unwrap(),
        3,
    )
    .await;

    // The consumer's own bucket, at the consumer quota, untouched by the anonymous traffic from the same address.
    for remaining in (0..6).rev() {
        let r = get_as(&app, path, Some(&consumer)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "ratelimit-limit"), Some(6));
        assert_eq!(header(&r, "ratelimit-remaining"), Some(remaining));
    }
    assert_refused(get_as(&app, path, Some(&consumer)).await, 6).await;
    // Another account is another bucket, at the default keyed quota.
    let r = get_as(&app, path, Some(&steward)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "ratelimit-limit"), Some(4));
    assert_eq!(header(&r, "ratelimit-remaining"), Some(3));
    // Still nothing for the admin.
    assert_eq!(get_as(&app, path, Some(ADMIN_TOKEN)).await.status(), 200);

    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains(r#"opendata_ratelimit_rejections_total{bucket="anonymous"} 3"#));
    assert!(text.contains(r#"opendata_ratelimit_rejections_total{bucket="consumer"} 1"#));
}

/// `/sparql` and `/catalog` draw from the stricter expensive bucket, apart from the general one.
async fn expensive_endpoints_have_a_stricter_bucket(backend: Backend) {
    let per_minute = |burst| Rate {
        count: 1,
        per: Duration::from_secs(60),
        burst,
    };
    let app = spawn_app_with(backend, &[], |c| {
        c.rate_limits = RateLimits {
            anonymous: per_minute(10),
            expensive_anonymous: per_minute(2),
            expensive_keyed: per_minute(3),
            ..RateLimits::default()
        };
    })
    .await;
    let sparql = "/sparql?query=ASK%20%7B%7D";
    let r = app.get(sparql).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "ratelimit-limit"), Some(2));
    assert_eq!(header(&r, "ratelimit-remaining"), Some(1));
    let r = app.get("/catalog").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "ratelimit-remaining"), Some(0));
    assert_refused(app.get(sparql).await, 2).await;
    // The general bucket is untouched.
    let r = app.get("/api/v1/registry/lists").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "ratelimit-limit"), Some(10));
    assert_eq!(header(&r, "ratelimit-remaining"), Some(9));
    // A key has its own, larger expensive bucket.
    let consumer = app
        .token(json!({"name": "reader", "role": "consumer"}))
        .await;
    let r = get_as(&app, sparql, Some(&consumer)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "ratelimit-limit"), Some(3));
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(r#"opendata_ratelimit_rejections_total{bucket="expensive-anonymous"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"route="/sparql""#));
}
