//! The authorization matrix: every write endpoint called as every role, each answer checked (401 without a valid token,
//! 403 with the wrong role or agency, success for the roles allowed).
use serde_json::{Value, json};

use crate::support::{ADMIN_TOKEN, Backend, TestApp, spawn_app};

use crate::support::CATALOG_SEEDS as SEEDS;
const ROLES: &[&str] = &[
    "anonymous",
    "bad-token",
    "consumer",
    "steward",
    "other-steward",
    "publisher",
    "other-publisher",
    "approver",
    "admin",
];

struct Tokens(Vec<(&'static str, Option<String>)>);

impl Tokens {
    fn get(&self, role: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(r, _)| *r == role)
            .and_then(|(_, t)| t.as_deref())
    }
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> u16 {
    let mut req = app.client.request(method.parse().unwrap(), app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some((content_type, body)) = body {
        req = req.header("content-type", content_type).body(body);
    }
    req.send().await.unwrap().status().as_u16()
}

fn dataset(id: &str) -> String {
    json!({
        "id": id, "title": {"vi": "Dữ liệu"}, "description": {"vi": "Mô tả"}, "publisher": "G12", "themes": ["health"],
        "distributions": [{"id": "web", "accessUrl": "https://example.org/x"}]
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_endpoint_as_every_role() {
    let app = spawn_app(Backend::Sqlite, SEEDS).await;
    let mut tokens = vec![
        ("anonymous", None),
        ("bad-token", Some("not-a-token".to_owned())),
        ("admin", Some(ADMIN_TOKEN.to_owned())),
    ];
    for (role, body) in [
        ("consumer", json!({"name": "c", "role": "consumer"})),
        (
            "steward",
            json!({"name": "s", "role": "steward", "lists": ["themes"]}),
        ),
        (
            "other-steward",
            json!({"name": "s2", "role": "steward", "lists": ["licences"]}),
        ),
        (
            "publisher",
            json!({"name": "p", "role": "publisher", "agency": "G12"}),
        ),
        (
            "other-publisher",
            json!({"name": "p2", "role": "publisher", "agency": "G01"}),
        ),
        (
            "approver",
            json!({"name": "a", "role": "approver", "agency": "G12"}),
        ),
    ] {
        tokens.push((role, Some(app.token(body).await)));
    }
    let tokens = Tokens(tokens);
    let mut failures = Vec::new();
    let mut n = 0;
    let mut check = |endpoint: &str, role: &str, got: u16, want: u16| {
        n += 1;
        if got != want {
            failures.push(format!("{endpoint} as {role}: got {got}, want {want}"));
        }
    };
    let ok_for = |role: &str, allowed: &[&str], success: u16| -> u16 {
        match role {
            "anonymous" | "bad-token" => 401,
            r if allowed.contains(&r) => success,
            _ => 403,
        }
    };
    for (i, role) in ROLES.iter().enumerate() {
        let token = tokens.get(role);
        let letter = (b'a' + i as u8) as char;
        // Registry.
        let list = json!({"id": format!("list-{i}"), "title": {"vi": "Danh mục"}, "codePattern": "[a-z]+"}).to_string();
        let got = call(
            &app,
            "POST",
            "/api/v1/registry/lists",
            token,
            Some(("application/json", list)),
        )
        .await;
        check(
            "POST registry/lists",
            role,
            got,
            ok_for(role, &["admin"], 201),
        );
        let cr = json!({"reason": "r", "changes": [{"op": "add", "item": {"code": format!("new-{letter}"), "labels": {"vi": "x"}}}]}).to_string();
        let got = call(
            &app,
            "POST",
            "/api/v1/registry/lists/themes/change-requests",
            token,
            Some(("application/json", cr)),
        )
        .await;
        check(
            "POST change-requests",
            role,
            got,
            ok_for(role, &["steward", "admin"], 201),
        );
        let csv = format!("code,label_vi\nimported-{letter},Nhập\n");
        let got = call(
            &app,
            "POST",
            "/api/v1/registry/lists/themes/import",
            token,
            Some(("text/csv", csv)),
        )
        .await;
        check(
            "POST import",
            role,
            got,
            ok_for(role, &["steward", "admin"], 201),
        );
        let got = call(
            &app,
            "POST",
            "/api/v1/registry/lists/themes/releases",
            token,
            Some(("application/json", "{}".into())),
        )
        .await;
        check(
            "POST releases",
            role,
            got,
            ok_for(role, &["steward", "admin"], 201),
        );
        // A request by someone else, decided by this role.
        let cr = json!({"reason": "r", "changes": [{"op": "add", "item": {"code": format!("decided-{letter}"), "labels": {"vi": "x"}}}]});
        let r = app
            .post_json(
                "/api/v1/registry/lists/themes/change-requests",
                Some(ADMIN_TOKEN),
                &cr,
            )
            .await;
        let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let got = call(
            &app,
            "POST",
            &format!("/api/v1/registry/lists/themes/change-requests/{id}/approve"),
            token,
            None,
        )
        .await;
        // The admin proposed it, so the admin may not approve it: someone else must.
        let want = if *role == "admin" {
            409
        } else {
            ok_for(role, &["steward"], 200)
        };
        check("POST approve", role, got, want);
        let token_body = json!({"name": format!("new-{i}"), "role": "consumer"}).to_string();
        let got = call(
            &app,
            "POST",
            "/api/v1/admin/tokens",
            token,
            Some(("application/json", token_body)),
        )
        .await;
        check(
            "POST admin/tokens",
            role,
            got,
            ok_for(role, &["admin"], 201),
        );

        // Catalog.
        let id = format!("ds-{i}");
        let got = call(
            &app,
            "POST",
            "/api/v1/datasets",
            token,
            Some(("application/json", dataset(&id))),
        )
        .await;
        check(
            "POST datasets",
            role,
            got,
            ok_for(role, &["publisher", "admin"], 201),
        );
        let fixture = format!("fx-{i}");
        assert_eq!(
            call(
                &app,
                "POST",
                "/api/v1/datasets",
                Some(ADMIN_TOKEN),
                Some(("application/json", dataset(&fixture)))
            )
            .await,
            201
        );
        let path = format!("/api/v1/datasets/{fixture}");
        let patch = json!({"title": {"vi": format!("Đổi {role}")}}).to_string();
        let got = call(
            &app,
            "PATCH",
            &path,
            token,
            Some(("application/merge-patch+json", patch)),
        )
        .await;
        check(
            "PATCH dataset",
            role,
            got,
            ok_for(role, &["publisher", "approver", "admin"], 200),
        );
        let got = call(
            &app,
            "PUT",
            &format!("{path}/distributions/csv/file"),
            token,
            Some(("text/csv", "a,b\n1,2\n".into())),
        )
        .await;
        check(
            "PUT file",
            role,
            got,
            ok_for(role, &["publisher", "approver", "admin"], 200),
        );
        let got = call(&app, "POST", &format!("{path}/submit"), token, None).await;
        check(
            "POST submit",
            role,
            got,
            ok_for(role, &["publisher", "approver", "admin"], 200),
        );
        if got != 200 {
            call(
                &app,
                "POST",
                &format!("{path}/submit"),
                Some(ADMIN_TOKEN),
                None,
            )
            .await;
        }
        let got = call(&app, "POST", &format!("{path}/publish"), token, None).await;
        check(
            "POST publish",
            role,
            got,
            ok_for(role, &["approver", "admin"], 200),
        );
        if got != 200 {
            call(
                &app,
                "POST",
                &format!("{path}/publish"),
                Some(ADMIN_TOKEN),
                None,
            )
            .await;
        }
        let release = json!({"version": format!("v{i}")}).to_string();
        let got = call(
            &app,
            "POST",
            &format!("{path}/releases"),
            token,
            Some(("application/json", release)),
        )
        .await;
        check(
            "POST dataset releases",
            role,
            got,
            ok_for(role, &["publisher", "approver", "admin"], 201),
        );
        let list = json!({"year": 2025, "datasets": [fixture]}).to_string();
        let got = call(
            &app,
            "POST",
            "/api/v1/agencies/G12/open-data-lists",
            token,
            Some(("application/json", list)),
        )
        .await;
        check(
            "POST open-data-lists",
            role,
            got,
            ok_for(role, &["approver", "admin"], 201),
        );
        let item = json!({"title": {"vi": "Kế hoạch"}, "targetDate": "2026-12-31"}).to_string();
        let got = call(
            &app,
            "PUT",
            &format!("/api/v1/agencies/G12/plan/item-{i}"),
            token,
            Some(("application/json", item)),
        )
        .await;
        check(
            "PUT plan item",
            role,
            got,
            ok_for(role, &["approver", "admin"], 200),
        );
        let got = call(
            &app,
            "POST",
            &format!("{path}/withdraw"),
            token,
            Some(("application/json", json!({"reason": "x"}).to_string())),
        )
        .await;
        check(
            "POST withdraw",
            role,
            got,
            ok_for(role, &["approver", "admin"], 200),
        );
        // Return needs a submitted dataset.
        let ret = format!("rt-{i}");
        call(
            &app,
            "POST",
            "/api/v1/datasets",
            Some(ADMIN_TOKEN),
            Some(("application/json", dataset(&ret))),
        )
        .await;
        call(
            &app,
            "POST",
            &format!("/api/v1/datasets/{ret}/submit"),
            Some(ADMIN_TOKEN),
            None,
        )
        .await;
        let got = call(
            &app,
            "POST",
            &format!("/api/v1/datasets/{ret}/return"),
            token,
            Some(("application/json", json!({"reason": "x"}).to_string())),
        )
        .await;
        check(
            "POST return",
            role,
            got,
            ok_for(role, &["approver", "admin"], 200),
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {n} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(n, 16 * ROLES.len(), "16 write endpoints, every role");
}
