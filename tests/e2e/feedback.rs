//! The public talks back (issue 19): feedback on a dataset and on a code list posted without an account, moderated,
//! answered by the publishing agency (or the list's stewards) and closed; a data request moderated, routed, decided
//! and linked to its dataset, with votes; spam (the honeypot filled, too many links, a burst) refused with a problem
//! naming the field, and nothing stored.
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, CATALOG_SEEDS, TestApp, spawn_app, spawn_app_with};

on_both_backends!(
    issue19_feedback_is_moderated_answered_and_closed,
    issue19_data_request_is_routed_decided_and_linked,
    issue19_spam_is_refused_and_nothing_stored,
    issue19_forms_post_and_the_agency_answers_on_its_pages,
    issue19_stats_publish_the_indicators_as_a_page_json_and_csv,
);

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Creates and publishes `id` under `agency` as the admin.
pub async fn published(app: &TestApp, id: &str, agency: &str) {
    let dataset = json!({
        "id": id, "title": {"vi": "Chất lượng không khí", "en": "Air quality"},
        "description": {"vi": "Chỉ số chất lượng không khí theo trạm."},
        "publisher": agency, "themes": ["environment"],
        "distributions": [{"id": "csv", "format": "CSV", "downloadUrl": "https://example.org/aq.csv"}]
    });
    let r = app
        .post_json("/api/v1/datasets", Some(ADMIN_TOKEN), &dataset)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    for action in ["submit", "publish"] {
        let r = app
            .post_json(
                &format!("/api/v1/datasets/{id}/{action}"),
                Some(ADMIN_TOKEN),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 200, "{action}");
    }
}

/// POSTs `body` with `token` and returns the status and the JSON answer.
pub async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let r = app.post_json(path, token, &body).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn get_as(app: &TestApp, path: &str, token: &str) -> Value {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().await.unwrap()
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|p| p["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn issue19_feedback_is_moderated_answered_and_closed(backend: Backend) {
    let app = spawn_app(backend, CATALOG_SEEDS).await;
    published(&app, "air-quality", "G12").await;
    let publisher = app
        .token(json!({"name": "p12", "role": "publisher", "agency": "G12"}))
        .await;
    let other = app
        .token(json!({"name": "p01", "role": "publisher", "agency": "G01"}))
        .await;
    let steward = app
        .token(json!({"name": "s", "role": "steward", "lists": ["themes"]}))
        .await;

    // Anyone posts, without an account; the thread waits for moderation and is not public yet.
    let (status, thread) = post(
        &app,
        "/api/v1/feedback",
        None,
        json!({"dataset": "air-quality", "kind": "error", "name": "Lan",
               "message": "Trạm HN02 báo chỉ số 57 nhưng bản đồ ghi 75.", "email": "lan@example.vn"}),
    )
    .await;
    assert_eq!(status, 201, "{thread}");
    assert_eq!(thread["status"], "pending");
    assert_eq!(thread["agency"], "G12");
    assert_eq!(thread["replyByEmail"], true);
    assert!(thread.get("email").is_none(), "the address is never shown");
    let id = thread["id"].as_i64().unwrap();
    let public = app.get_json("/api/v1/feedback?dataset=air-quality").await;
    assert_eq!(public["items"], json!([]), "pending threads are not public");
    assert_eq!(
        app.get(&format!("/api/v1/feedback/{id}")).await.status(),
        404
    );

    // The agency's queue holds it; another agency's does not, and may not touch it.
    let queue = get_as(&app, "/api/v1/feedback/queue", &publisher).await;
    assert_eq!(queue["items"][0]["id"], id);
    let queue = get_as(&app, "/api/v1/feedback/queue", &other).await;
    assert_eq!(queue["items"], json!([]));
    let (status, problem) = post(
        &app,
        &format!("/api/v1/feedback/{id}/moderate"),
        Some(&other),
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(status, 403, "{problem}");
    let (status, _) = post(
        &app,
        &format!("/api/v1/feedback/{id}/moderate"),
        None,
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(status, 401);

    // Approved, it is public.
    let (status, thread) = post(
        &app,
        &format!("/api/v1/feedback/{id}/moderate"),
        Some(&publisher),
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!((status, thread["status"].as_str()), (200, Some("open")));
    let public = app.get_json("/api/v1/feedback?dataset=air-quality").await;
    assert_eq!(public["items"][0]["id"], id);
    assert!(public["items"][0].get("email").is_none());

    // Answered by the agency, then closed; closing twice is a conflict.
    let (status, problem) = post(
        &app,
        &format!("/api/v1/feedback/{id}/answer"),
        Some(&publisher),
        json!({"answer": ""}),
    )
    .await;
    assert_eq!((status, fields(&problem)), (422, vec!["answer".to_owned()]));
    let (status, thread) = post(
        &app,
        &format!("/api/v1/feedback/{id}/answer"),
        Some(&publisher),
        json!({"answer": "Cảm ơn chị Lan, bản đồ đã được sửa thành 57."}),
    )
    .await;
    assert_eq!(status, 200, "{thread}");
    assert_eq!(thread["status"], "answered");
    assert_eq!(thread["answeredBy"], "p12");
    assert!(thread["daysToAnswer"].as_f64().unwrap() >= 0.0);
    let (status, thread) = post(
        &app,
        &format!("/api/v1/feedback/{id}/close"),
        Some(&publisher),
        json!({}),
    )
    .await;
    assert_eq!((status, thread["status"].as_str()), (200, Some("closed")));
    let (status, _) = post(
        &app,
        &format!("/api/v1/feedback/{id}/close"),
        Some(&publisher),
        json!({}),
    )
    .await;
    assert_eq!(status, 409);

    // The thread shows on the dataset page, the answer with it.
    let page = app
        .client
        .get(app.url("/dataset/air-quality"))
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Trạm HN02 báo chỉ số 57"),
        "the thread is on the page"
    );
    assert!(
        page.contains("bản đồ đã được sửa thành 57"),
        "with its answer"
    );
    assert!(!page.contains("lan@example.vn"), "never the address");

    // On a code list, the list's stewards answer; a publisher may not.
    let (status, thread) = post(
        &app,
        "/api/v1/feedback",
        None,
        json!({"codeList": "themes", "kind": "suggestion",
               "message": "Nên thêm chủ đề về biến đổi khí hậu."}),
    )
    .await;
    assert_eq!(status, 201, "{thread}");
    let list_id = thread["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/feedback/{list_id}/answer"),
        Some(&publisher),
        json!({"answer": "Không phải việc của tôi."}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, thread) = post(
        &app,
        &format!("/api/v1/feedback/{list_id}/answer"),
        Some(&steward),
        json!({"answer": "Đã ghi nhận, sẽ đề xuất trong lần phát hành tới."}),
    )
    .await;
    assert_eq!(status, 200, "{thread}");
    assert_eq!(
        thread["status"], "answered",
        "answering publishes a pending thread"
    );
    let public = app.get_json("/api/v1/feedback?codeList=themes").await;
    assert_eq!(public["items"][0]["id"], list_id);
    let page = app
        .client
        .get(app.url("/registry/themes"))
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("biến đổi khí hậu"),
        "the thread is on the list page"
    );

    // A rejected post is never shown.
    let (_, thread) = post(
        &app,
        "/api/v1/feedback",
        None,
        json!({"dataset": "air-quality", "kind": "question", "message": "Mua bán hàng giá rẻ, liên hệ ngay."}),
    )
    .await;
    let spam = thread["id"].as_i64().unwrap();
    let (status, thread) = post(
        &app,
        &format!("/api/v1/feedback/{spam}/moderate"),
        Some(&publisher),
        json!({"decision": "reject"}),
    )
    .await;
    assert_eq!((status, thread["status"].as_str()), (200, Some("rejected")));
    assert_eq!(
        app.get(&format!("/api/v1/feedback/{spam}")).await.status(),
        404
    );
    let public = app.get_json("/api/v1/feedback").await;
    assert_eq!(public["items"].as_array().unwrap().len(), 2);
}

async fn issue19_data_request_is_routed_decided_and_linked(backend: Backend) {
    let app = spawn_app(backend, CATALOG_SEEDS).await;
    let publisher = app
        .token(json!({"name": "p12", "role": "publisher", "agency": "G12"}))
        .await;
    let other = app
        .token(json!({"name": "p01", "role": "publisher", "agency": "G01"}))
        .await;
    let (status, request) = post(
        &app,
        "/api/v1/data-requests",
        None,
        json!({"title": "Chất lượng không khí theo giờ",
               "description": "Số liệu các trạm quan trắc theo từng giờ, dạng CSV.",
               "email": "minh@example.vn"}),
    )
    .await;
    assert_eq!(status, 201, "{request}");
    assert_eq!(request["status"], "pending");
    let id = request["id"].as_i64().unwrap();
    let list = app.get_json("/api/v1/data-requests").await;
    assert_eq!(list["items"], json!([]), "pending requests are not public");

    // Only an admin moderates and routes.
    let (status, _) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/moderate"),
        Some(&publisher),
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, request) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/moderate"),
        Some(ADMIN_TOKEN),
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!((status, request["status"].as_str()), (200, Some("open")));

    // One vote per address.
    let (status, votes) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/votes"),
        None,
        json!({}),
    )
    .await;
    assert_eq!((status, votes["votes"].as_i64()), (200, Some(1)));
    let (status, _) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/votes"),
        None,
        json!({}),
    )
    .await;
    assert_eq!(status, 409);

    let (status, problem) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/route"),
        Some(ADMIN_TOKEN),
        json!({"agency": "NOPE"}),
    )
    .await;
    assert_eq!((status, fields(&problem)), (422, vec!["agency".to_owned()]));
    let (status, request) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/route"),
        Some(ADMIN_TOKEN),
        json!({"agency": "G12"}),
    )
    .await;
    assert_eq!((status, request["status"].as_str()), (200, Some("routed")));
    assert_eq!(
        get_as(&app, "/api/v1/data-requests/queue", &publisher).await["items"][0]["id"],
        id
    );

    // The agency decides: another agency may not; declining needs a reason.
    let (status, _) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/decide"),
        Some(&other),
        json!({"decision": "accept"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, problem) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/decide"),
        Some(&publisher),
        json!({"decision": "decline"}),
    )
    .await;
    assert_eq!((status, fields(&problem)), (422, vec!["reason".to_owned()]));
    let (status, request) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/decide"),
        Some(&publisher),
        json!({"decision": "accept"}),
    )
    .await;
    assert_eq!(
        (status, request["status"].as_str()),
        (200, Some("accepted"))
    );

    // Linked once published, by that agency.
    let (status, problem) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/dataset"),
        Some(&publisher),
        json!({"dataset": "air-quality"}),
    )
    .await;
    assert_eq!(
        (status, fields(&problem)),
        (422, vec!["dataset".to_owned()])
    );
    published(&app, "air-quality", "G12").await;
    let (status, request) = post(
        &app,
        &format!("/api/v1/data-requests/{id}/dataset"),
        Some(&publisher),
        json!({"dataset": "air-quality"}),
    )
    .await;
    assert_eq!(status, 200, "{request}");
    assert_eq!(request["status"], "published");
    assert_eq!(request["dataset"], "air-quality");
    let list = app.get_json("/api/v1/data-requests").await;
    assert_eq!(list["items"][0]["status"], "published");
    assert_eq!(list["items"][0]["votes"], 1);
    assert!(list["items"][0].get("email").is_none());

    // A second request, declined with its reason.
    let (_, second) = post(
        &app,
        "/api/v1/data-requests",
        None,
        json!({"title": "Danh sách thuê bao di động", "description": "Toàn bộ số điện thoại đăng ký."}),
    )
    .await;
    let second = second["id"].as_i64().unwrap();
    post(
        &app,
        &format!("/api/v1/data-requests/{second}/route"),
        Some(ADMIN_TOKEN),
        json!({"agency": "G12"}),
    )
    .await;
    let (status, request) = post(
        &app,
        &format!("/api/v1/data-requests/{second}/decide"),
        Some(&publisher),
        json!({"decision": "decline", "reason": "Dữ liệu cá nhân, không thể công khai."}),
    )
    .await;
    assert_eq!(
        (status, request["status"].as_str()),
        (200, Some("declined"))
    );
    assert_eq!(request["reason"], "Dữ liệu cá nhân, không thể công khai.");
    let page = app
        .client
        .get(app.url("/data-requests"))
        .header("accept", BROWSER)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Dữ liệu cá nhân, không thể công khai."));
    assert!(page.contains("Chất lượng không khí theo giờ"));
}

async fn issue19_spam_is_refused_and_nothing_stored(backend: Backend) {
    let app = spawn_app_with(backend, CATALOG_SEEDS, |c| {
        c.feedback.burst.count = 3;
    })
    .await;
    published(&app, "air-quality", "G12").await;
    let good = json!({"dataset": "air-quality", "kind": "question",
                      "message": "Dữ liệu được cập nhật bao lâu một lần?"});
    let with = |key: &str, value: Value| {
        let mut v = good.clone();
        v[key] = value;
        v
    };
    for (body, field) in [
        (with("website", json!("http://spam.example")), "website"),
        (
            with(
                "message",
                json!("Mua ngay http://a.example http://b.example http://c.example"),
            ),
            "message",
        ),
        (with("message", json!("ngắn")), "message"),
        (with("email", json!("không phải địa chỉ")), "email"),
        (with("kind", json!("rant")), "kind"),
        (with("dataset", json!("no-such-dataset")), "dataset"),
        (with("name", json!("Click https://spam.example")), "name"),
    ] {
        let (status, problem) = post(&app, "/api/v1/feedback", None, body).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["code"], "invalid-input");
        assert_eq!(fields(&problem), vec![field.to_owned()], "{problem}");
        assert!(!problem["detail"].as_str().unwrap().is_empty());
    }
    let (status, problem) = post(
        &app,
        "/api/v1/data-requests",
        None,
        json!({"title": "Dữ liệu", "description": "www.a.vn www.b.vn www.c.vn rẻ", "website": "x"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        fields(&problem),
        vec!["website", "description"],
        "{problem}"
    );

    // A burst: three pass, the fourth is refused with a clear 429 and Retry-After.
    for _ in 0..3 {
        let (status, _) = post(&app, "/api/v1/feedback", None, good.clone()).await;
        assert_eq!(status, 201);
    }
    let r = app.post_json("/api/v1/feedback", None, &good).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "too-many-submissions");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was stored")
    );
    let (status, _) = post(
        &app,
        "/api/v1/data-requests",
        None,
        json!({"title": "Bản đồ ngập lụt", "description": "Bản đồ các vùng ngập theo mùa."}),
    )
    .await;
    assert_eq!(status, 429, "the burst covers every kind of submission");

    // Nothing refused was stored: only the three good threads wait.
    let queue = get_as(&app, "/api/v1/feedback/queue", ADMIN_TOKEN).await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 3);
    let requests = get_as(&app, "/api/v1/data-requests/queue", ADMIN_TOKEN).await;
    assert_eq!(requests["items"], json!([]));
}

async fn issue19_forms_post_and_the_agency_answers_on_its_pages(backend: Backend) {
    use crate::manage::{Browser, hidden, signed_in};
    let app = spawn_app(backend, CATALOG_SEEDS).await;
    published(&app, "air-quality", "G12").await;
    let mut visitor = Browser::new(&app);
    let page = visitor.get("/dataset/air-quality").await;
    assert!(
        page.body.contains("id=\"feedback-form\""),
        "the form is on the page"
    );

    // The honeypot filled: the form comes back with the problem and what was typed; nothing is stored.
    let trap = visitor
        .post(
            "/feedback",
            &[
                ("dataset", "air-quality"),
                ("kind", "question"),
                ("message", "Số liệu có theo giờ không ạ?"),
                ("website", "http://spam.example"),
            ],
        )
        .await;
    assert_eq!(trap.status, 422);
    assert!(trap.body.contains("Để trống ô này"), "{}", trap.body);
    assert!(
        trap.body.contains("Số liệu có theo giờ không ạ?"),
        "typed text kept"
    );
    let queue = get_as(&app, "/api/v1/feedback/queue", ADMIN_TOKEN).await;
    assert_eq!(queue["items"], json!([]));

    let sent = visitor
        .post(
            "/feedback",
            &[
                ("dataset", "air-quality"),
                ("kind", "question"),
                ("message", "Số liệu có theo giờ không ạ?"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert!(
        sent.location()
            .starts_with("/dataset/air-quality?feedback=sent")
    );

    // The agency moderates and answers on its curation page.
    let mut publisher = signed_in(
        &app,
        json!({"name": "p12", "role": "publisher", "agency": "G12"}),
    )
    .await;
    let queue = publisher.get("/manage/feedback").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("Số liệu có theo giờ không ạ?"));
    let csrf = hidden(&queue.body, "csrf");
    let id = get_as(&app, "/api/v1/feedback/queue", ADMIN_TOKEN).await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let r = publisher
        .post(
            &format!("/manage/feedback/{id}/moderate"),
            &[("csrf", &csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = publisher
        .post(
            &format!("/manage/feedback/{id}/answer"),
            &[
                ("csrf", &csrf),
                ("answer", "Có, tệp theo giờ sẽ có từ tháng sau."),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = visitor.get("/dataset/air-quality").await;
    assert!(page.body.contains("tệp theo giờ sẽ có từ tháng sau"));

    // Another agency's publisher may not answer it.
    let mut other = signed_in(
        &app,
        json!({"name": "p01", "role": "publisher", "agency": "G01"}),
    )
    .await;
    let csrf = other.csrf("/manage/feedback").await;
    let r = other
        .post(&format!("/manage/feedback/{id}/close"), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, 403);

    // A data request through its form.
    let r = visitor
        .post(
            "/data-requests",
            &[
                ("title", "Bản đồ ngập lụt"),
                (
                    "description",
                    "Bản đồ các vùng ngập theo mùa, dạng GeoJSON.",
                ),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let requests = get_as(&app, "/api/v1/data-requests/queue", ADMIN_TOKEN).await;
    assert_eq!(requests["items"][0]["title"], "Bản đồ ngập lụt");
}

async fn issue19_stats_publish_the_indicators_as_a_page_json_and_csv(backend: Backend) {
    let app = spawn_app(backend, CATALOG_SEEDS).await;
    published(&app, "air-quality", "G12").await;
    let year = chrono_year();
    let (status, list) = post(
        &app,
        "/api/v1/agencies/G12/open-data-lists",
        Some(ADMIN_TOKEN),
        json!({"year": year, "datasets": ["air-quality"]}),
    )
    .await;
    assert_eq!(status, 201, "{list}");
    let publisher = app
        .token(json!({"name": "p12", "role": "publisher", "agency": "G12"}))
        .await;
    for message in ["Có số liệu theo giờ không?", "Trạm HN02 ở đâu vậy?"] {
        post(
            &app,
            "/api/v1/feedback",
            None,
            json!({"dataset": "air-quality", "kind": "question", "message": message}),
        )
        .await;
    }
    let (status, _) = post(
        &app,
        "/api/v1/feedback/1/answer",
        Some(&publisher),
        json!({"answer": "Có, từ tháng sau."}),
    )
    .await;
    assert_eq!(status, 200);
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/datasets/air-quality").await.status(), 200);
    }
    // The search index counts the published catalog: wait for it to hold the dataset.
    let mut stats = Value::Null;
    for _ in 0..100 {
        stats = app.get_json("/api/v1/stats").await;
        if stats["datasets"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(stats["datasets"], 1, "{stats}");
    assert_eq!(stats["perAgency"], json!([{"code": "G12", "count": 1}]));
    assert_eq!(stats["perTheme"][0]["code"], "environment");
    let agencies = &stats["agencies"];
    assert!(agencies["agencies"].as_u64().unwrap() > 1, "{agencies}");
    assert_eq!(agencies["withOpenData"], 1);
    assert_eq!(agencies["withYearlyList"], 1);
    assert_eq!(agencies["year"], year);
    let months = stats["usage"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert!(months[11]["apiCalls"].as_u64().unwrap() >= 3, "{months:?}");
    let feedback = &stats["feedback"];
    assert_eq!(
        (feedback["received"].as_u64(), feedback["answered"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(feedback["medianDays"].as_f64().unwrap() >= 0.0);
    assert_eq!(feedback["perAgency"][0]["agency"], "G12");

    let csv = app.get("/stats.csv").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("indicator,key,value\n"), "{csv}");
    for row in [
        "datasets,published,1",
        "datasets_per_agency,G12,1",
        "agencies,with_open_data,1",
        "feedback,received,2",
        "feedback,answered,1",
    ] {
        assert!(csv.lines().any(|l| l == row), "{row} in {csv}");
    }
    let same = app
        .get("/api/v1/stats?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(same.lines().count(), csv.lines().count());
    assert_eq!(app.get("/api/v1/stats?format=xml").await.status(), 400);

    for lang in ["vi", "en"] {
        let page = app
            .client
            .get(app.url(&format!("/stats?lang={lang}")))
            .header("accept", BROWSER)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("role=\"img\""), "SVG charts");
        assert!(page.contains(if lang == "vi" {
            "Số liệu thống kê"
        } else {
            "Statistics"
        }));
        assert!(page.contains("/stats.csv"));
    }
}

fn chrono_year() -> i64 {
    i64::from(chrono::Datelike::year(&chrono::Utc::now()))
}
