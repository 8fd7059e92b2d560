//! The curation workflows end to end, driven as a browser without JavaScript would drive them (issue 9): a steward
//! proposes and another approves; a publisher creates, uploads and submits and the approver publishes; the yearly
//! open-data list and plan; and the conflict page a stale form meets (issue 16). The browser and its helpers are in
//! [`crate::manage`].
use serde_json::{Value, json};

use crate::manage::*;
use crate::on_both_backends;
use crate::support::{Backend, spawn_app};

on_both_backends!(
    issue9_steward_proposes_and_another_steward_approves,
    issue9_publisher_uploads_and_submits_and_approver_publishes,
    issue9_approver_issues_the_yearly_list_and_edits_the_plan,
    issue16_a_stale_curation_form_shows_the_conflict_page,
);

use crate::support::CATALOG_SEEDS as SEEDS;

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
