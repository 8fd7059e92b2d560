//! Notifications (issue 19): a real SMTP server on the loopback (Python's `aiosmtpd`) receives the confirmation of a
//! subscription, the answer to a piece of feedback, the change notices of the watched dataset (the fields a
//! publication changed, a withdrawal's reason; nothing for a draft edit) and of a watched code list (the codes an
//! approved change request added and modified); a webhook receiver
//! in this test answers the first delivery with 500, sees the retry, and checks every delivery's HMAC-SHA256
//! signature; the delivery log shows both attempts and a re-send delivers again.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::feedback::{post, published};
use crate::on_both_backends;
use crate::support::{ADMIN_TOKEN, Backend, CATALOG_SEEDS, TestApp, spawn_app_with};

on_both_backends!(issue19_mail_and_signed_webhooks_reach_real_receivers);

/// An `aiosmtpd` server writing each message it receives as JSON (recipients, decoded subject and body) into a folder.
struct SmtpServer {
    child: Child,
    port: u16,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SMTP_SCRIPT: &str = r#"
import email, email.policy, json, os, sys
from aiosmtpd.controller import Controller

port, out = int(sys.argv[1]), sys.argv[2]

class Keep:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        record = {"from": envelope.mail_from, "to": envelope.rcpt_tos, "subject": str(msg["subject"]),
                  "body": msg.get_body(("plain",)).get_content()}
        name = os.path.join(out, "%06d.json" % len(os.listdir(out)))
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 OK"

controller = Controller(Keep(), hostname="127.0.0.1", port=port)
controller.start()
sys.stdin.read()
controller.stop()
"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_smtp() -> SmtpServer {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mails");
    std::fs::create_dir(&dir).unwrap();
    let port = free_port();
    let python = std::env::var("OPENDATA_PYTHON").unwrap_or_else(|_| "python3".into());
    let child = Command::new(python)
        .args(["-c", SMTP_SCRIPT, &port.to_string()])
        .arg(&dir)
        .stdin(Stdio::piped())
        .spawn()
        .expect("python3 with aiosmtpd (scripts/test installs it)");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "aiosmtpd did not start (is it installed? scripts/test installs it)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    SmtpServer {
        child,
        port,
        dir,
        _tmp: tmp,
    }
}

fn mails(dir: &Path) -> Vec<Value> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// Waits (up to 30 s) for a mail matching `pick`.
async fn mail_where(smtp: &SmtpServer, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        if let Some(m) = mails(&smtp.dir).into_iter().find(|m| pick(m)) {
            return m;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {what} arrived; mails: {:?}",
            mails(&smtp.dir)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn body_of(m: &Value) -> &str {
    m["body"].as_str().unwrap_or_default()
}

/// One request the webhook receiver saw.
#[derive(Clone, Debug)]
struct Seen {
    delivery: String,
    signature: String,
    body: Vec<u8>,
    answered: u16,
}

/// A webhook receiver on the loopback: the first request ever is answered 500, every later one 200.
async fn start_receiver() -> (String, Arc<Mutex<Vec<Seen>>>) {
    use axum::http::{HeaderMap, StatusCode};
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                let mut seen = kept.lock().unwrap();
                let answered = if seen.is_empty() { 500 } else { 200 };
                let header = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                seen.push(Seen {
                    delivery: header("x-opendata-delivery"),
                    signature: header("x-opendata-signature-256"),
                    body: body.to_vec(),
                    answered,
                });
                StatusCode::from_u16(answered).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

fn signed_by(secret: &str, s: &Seen) -> bool {
    let Some(hex_sig) = s.signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&s.body);
    mac.verify_slice(&sig).is_ok()
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(30), "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Subscribes with `body` and confirms through the link mailed to its address.
async fn subscribe_confirmed(app: &TestApp, smtp: &SmtpServer, body: Value) {
    let email = body["email"].clone();
    let (status, sub) = post(app, "/api/v1/subscriptions", None, body).await;
    assert_eq!(
        (status, sub["confirmed"].as_bool()),
        (202, Some(false)),
        "{sub}"
    );
    let confirm = mail_where(smtp, "confirmation", |m| {
        m["to"] == json!([email]) && body_of(m).contains("/subscriptions/confirm?token=")
    })
    .await;
    let link = body_of(&confirm)
        .split_whitespace()
        .find(|w| w.contains("/subscriptions/confirm?token="))
        .unwrap();
    let path = &link[link.find("/subscriptions/").unwrap()..];
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
}

async fn republish(app: &TestApp, id: &str, title: &str) {
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/datasets/{id}")))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"title": {"vi": title}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    for action in ["submit", "publish"] {
        let (status, body) = post(
            app,
            &format!("/api/v1/datasets/{id}/{action}"),
            Some(ADMIN_TOKEN),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{action}: {body}");
    }
}

async fn issue19_mail_and_signed_webhooks_reach_real_receivers(backend: Backend) {
    let smtp = start_smtp();
    let (hook_url, seen) = start_receiver().await;
    let app = spawn_app_with(backend, CATALOG_SEEDS, |c| {
        c.feedback.mail.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
        c.feedback.mail.tick = Duration::from_millis(200);
        c.feedback.webhooks.tick = Duration::from_millis(200);
        c.feedback.webhooks.backoff = Duration::from_millis(300);
        c.feedback.webhooks.allow_private = true;
    })
    .await;
    published(&app, "air-quality", "G12").await;
    let publisher = app
        .token(json!({"name": "p12", "role": "publisher", "agency": "G12"}))
        .await;
    let developer = app.token(json!({"name": "dev", "role": "consumer"})).await;

    // A webhook on datasets, registered by a developer's key.
    let (status, hook) = post(
        &app,
        "/api/v1/webhooks",
        Some(&developer),
        json!({"url": hook_url, "subjects": ["dataset"]}),
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let hook_id = hook["id"].as_i64().unwrap();

    // A subscription, confirmed through the mailed link; someone else watches the whole agency.
    subscribe_confirmed(
        &app,
        &smtp,
        json!({"email": "lan@example.vn", "dataset": "air-quality"}),
    )
    .await;
    subscribe_confirmed(
        &app,
        &smtp,
        json!({"email": "an@example.vn", "agency": "G12"}),
    )
    .await;

    // The answer reaches the address left with the feedback.
    let (_, thread) = post(
        &app,
        "/api/v1/feedback",
        None,
        json!({"dataset": "air-quality", "kind": "question", "email": "minh@example.vn",
               "message": "Có số liệu theo giờ không?"}),
    )
    .await;
    let id = thread["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/feedback/{id}/answer"),
        Some(&publisher),
        json!({"answer": "Có, từ tháng sau."}),
    )
    .await;
    assert_eq!(status, 200);
    let answer = mail_where(&smtp, "answer", |m| m["to"] == json!(["minh@example.vn"])).await;
    assert!(body_of(&answer).contains("Có, từ tháng sau."), "{answer}");
    assert!(body_of(&answer).contains("Có số liệu theo giờ không?"));
    assert!(
        answer["subject"]
            .as_str()
            .unwrap()
            .contains(&format!("#{id}"))
    );

    // A change to the watched dataset: a notice to the subscriber, events to the webhook.
    republish(&app, "air-quality", "Chất lượng không khí (theo giờ)").await;
    let notice = mail_where(&smtp, "change notice", |m| {
        m["to"] == json!(["lan@example.vn"])
            && body_of(m).contains("/subscriptions/unsubscribe?token=")
    })
    .await;
    assert!(
        body_of(&notice).contains("/dataset/air-quality"),
        "{notice}"
    );
    assert!(body_of(&notice).contains("Chất lượng không khí (theo giờ)"));
    // It says what changed since the revision public when the subscription was confirmed: the title, nothing else.
    assert!(
        body_of(&notice)
            .replace("\r\n", "\n")
            .contains("đã sửa / changed: tiêu đề (title)\n"),
        "{notice}"
    );
    let agency_notice = mail_where(&smtp, "the agency's change notice", |m| {
        m["to"] == json!(["an@example.vn"])
            && body_of(m).contains("/subscriptions/unsubscribe?token=")
    })
    .await;
    assert!(body_of(&agency_notice).contains("/dataset/air-quality"));
    // Unsubscribed through the notice's link: no more notices.
    let link = body_of(&agency_notice)
        .split_whitespace()
        .find(|w| w.contains("/subscriptions/unsubscribe?token="))
        .unwrap();
    let unsubscribe = &link[link.find("/subscriptions/").unwrap()..];
    assert_eq!(app.get(unsubscribe).await.status(), 200);
    assert_eq!(app.get(unsubscribe).await.status(), 404, "only once");

    // The first delivery was answered 500 and retried; every body is signed with the secret.
    wait_for("a retried delivery", || {
        let seen = seen.lock().unwrap();
        seen.len() >= 2 && seen[1..].iter().any(|s| s.delivery == seen[0].delivery)
    })
    .await;
    let first = seen.lock().unwrap()[0].clone();
    assert_eq!(first.answered, 500);
    assert!(seen.lock().unwrap().iter().all(|s| signed_by(&secret, s)));
    assert!(!signed_by("another secret", &first));
    let event: Value = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(event["kind"], "dataset");
    assert_eq!(event["id"], "air-quality");
    assert_eq!(event["delivery"].to_string(), first.delivery);

    // The delivery log shows both attempts.
    let log_of = |delivery: String| {
        let app = &app;
        let developer = developer.clone();
        async move {
            let r = app
                .client
                .get(app.url(&format!("/api/v1/webhooks/{hook_id}/deliveries?limit=200")))
                .bearer_auth(&developer)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let page: Value = r.json().await.unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["id"] == json!(delivery.parse::<i64>().unwrap()))
                .cloned()
                .unwrap()
        }
    };
    let delivery = log_of(first.delivery.clone()).await;
    assert_eq!(delivery["status"], "delivered", "{delivery}");
    assert_eq!(delivery["attempts"], 2);
    assert_eq!(delivery["log"][0]["status"], 500);
    assert_eq!(delivery["log"][1]["status"], 200);

    // Re-sent on request.
    let before = seen.lock().unwrap().len();
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/webhooks/{hook_id}/deliveries/{}/resend",
            first.delivery
        )))
        .bearer_auth(&developer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    wait_for("the re-sent delivery", || {
        let seen = seen.lock().unwrap();
        seen[before..].iter().any(|s| s.delivery == first.delivery)
    })
    .await;
    // Another developer sees none of it.
    let stranger = app.token(json!({"name": "dev2", "role": "consumer"})).await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/webhooks/{hook_id}/deliveries")))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The delivery log and the re-send button on the curation page (an admin sees every webhook).
    let mut admin = crate::manage::Browser::new(&app);
    assert_eq!(admin.sign_in(ADMIN_TOKEN).await.status, 303);
    let page = admin.get("/manage/webhooks").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&hook_url));
    let resend = format!(
        "/manage/webhooks/{hook_id}/deliveries/{}/resend",
        first.delivery
    );
    assert!(page.body.contains(&resend), "a re-send button per delivery");
    let csrf = crate::manage::hidden(&page.body, "csrf");
    let before = seen.lock().unwrap().len();
    let r = admin.post(&resend, &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    wait_for("the delivery re-sent from the page", || {
        let seen = seen.lock().unwrap();
        seen[before..].iter().any(|s| s.delivery == first.delivery)
    })
    .await;
    // Registered from the page: the secret is shown once.
    let r = admin
        .post(
            "/manage/webhooks",
            &[
                ("csrf", &csrf),
                ("url", &hook_url),
                ("subjects", "codeList"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let hooks = crate::feedback::get_as(&app, "/api/v1/webhooks", ADMIN_TOKEN).await;
    let second = &hooks["items"][1];
    assert_eq!(second["subjects"], json!(["codeList"]));
    assert_eq!(second["owner"], "admin");

    // A draft edit nobody sees tells no one; a withdrawal tells its reason.
    let notices_to_lan = || {
        mails(&smtp.dir)
            .into_iter()
            .filter(|m| {
                m["to"] == json!(["lan@example.vn"])
                    && body_of(m).contains("/subscriptions/unsubscribe?token=")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(notices_to_lan().len(), 1);
    let r = app
        .client
        .patch(app.url("/api/v1/datasets/air-quality"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"description": {"vi": "Bản nháp chưa công bố"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Several rounds of the notice and mail loops (200 ms each): the old code mailed a notice for this edit.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(notices_to_lan().len(), 1, "{:?}", notices_to_lan());
    let (status, body) = post(
        &app,
        "/api/v1/datasets/air-quality/withdraw",
        Some(ADMIN_TOKEN),
        json!({"reason": "Số liệu đo sai"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let withdrawn = mail_where(&smtp, "the withdrawal notice", |m| {
        m["to"] == json!(["lan@example.vn"]) && body_of(m).contains("withdrawn")
    })
    .await;
    assert!(
        body_of(&withdrawn).contains("đã rút khỏi công bố / withdrawn: Số liệu đo sai"),
        "{withdrawn}"
    );
    assert!(!body_of(&withdrawn).contains("published"), "{withdrawn}");

    // A code list's notice names the codes an approved change request added and changed.
    subscribe_confirmed(
        &app,
        &smtp,
        json!({"email": "thu@example.vn", "codeList": "themes"}),
    )
    .await;
    let steward = app
        .token(json!({"name": "thanh", "role": "steward", "lists": ["themes"]}))
        .await;
    let (status, request) = post(
        &app,
        "/api/v1/registry/lists/themes/change-requests",
        Some(&steward),
        json!({"reason": "Chủ đề mới", "changes": [
            {"op": "add", "item": {"code": "space", "labels": {"vi": "Vũ trụ", "en": "Space"}}},
            {"op": "modify", "code": "health", "set": {"labels": {"vi": "Y tế và sức khỏe"}}},
        ]}),
    )
    .await;
    assert_eq!(status, 201, "{request}");
    let (status, body) = post(
        &app,
        &format!(
            "/api/v1/registry/lists/themes/change-requests/{}/approve",
            request["id"]
        ),
        Some(ADMIN_TOKEN),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let list_notice = mail_where(&smtp, "the code list's notice", |m| {
        m["to"] == json!(["thu@example.vn"])
            && body_of(m).contains("/subscriptions/unsubscribe?token=")
    })
    .await;
    let text = body_of(&list_notice).replace("\r\n", "\n");
    assert!(
        text.contains("themes — thêm / added 1: space; sửa / modified 1: health\n"),
        "{text}"
    );
    drop(smtp);
}
