//! The developer portal, `/developers`: a developer signs in through the OpenID Provider (`/developers/login`), or,
//! where none is configured, registers with a name and an e-mail address (not verified: no mail is sent); then
//! creates, names and revokes their own consumer keys (each shown once, stored hashed; see
//! [`crate::accounts::keys`]), sees each key's calls per day against its tier's daily quota as a chart (an SVG with a
//! title, a description and the figures as a table), and finds the API documentation with examples in curl, Python
//! and JavaScript. The session is the curation pages' (`manage::session`), whatever the account's role.
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::manage::account_texts::{self, AccountText};
use super::manage::form::FormData;
use super::manage::session::{self, Posted, SESSION_COOKIE, SESSION_HOURS, same, set_cookie};
use super::manage::texts::ManageText;
use super::pages::{Chrome, Ctx, cookie};
use super::{ApiError, AppState};
use crate::accounts::Principal;
use crate::accounts::federated::Purpose;

/// The cookie pairing the registration form with its post.
const REGISTER_COOKIE: &str = "od_register";
/// Days in each key's chart.
const CHART_DAYS: u32 = 14;
const CHART_WIDTH: u32 = 280;
const CHART_HEIGHT: u32 = 100;
const BAR_WIDTH: u32 = 16;

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/developers", get(page))
        .route("/developers/login", get(login))
        .route("/developers/register", post(register))
        .route("/developers/keys", post(create_key))
        .route("/developers/keys/{id}/revoke", post(revoke_key))
}

struct Me {
    name: String,
    email: Option<String>,
    unverified: bool,
    csrf: String,
}

struct Bar {
    x: u32,
    y: f64,
    height: f64,
    label: String,
}

struct DayRow {
    day: String,
    calls: u64,
}

struct KeyView {
    id: i64,
    name: String,
    created_at: String,
    tier: String,
    daily: u64,
    revoked: bool,
    chart_title: String,
    chart_desc: String,
    bars: Vec<Bar>,
    quota_y: Option<f64>,
    from: String,
    to: String,
    days: Vec<DayRow>,
}

#[derive(Template)]
#[template(path = "developers.html")]
struct DevelopersPage {
    c: Chrome,
    m: &'static ManageText,
    a: &'static AccountText,
    me: Option<Me>,
    problems: Vec<String>,
    created: Option<(String, String)>,
    keys: Vec<KeyView>,
    oidc: bool,
    register_csrf: String,
    examples: Vec<(&'static str, String)>,
    chart_width: u32,
    chart_height: u32,
    bar_width: u32,
}

/// The signed-in developer, if any (any role: the portal is for everyone with an account).
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<(Principal, String)> {
    let id = cookie(headers, SESSION_COOKIE)?;
    let principal = state.accounts.session(&id).await.ok()??;
    Some((principal, id))
}

/// The examples, calling this server as the browser reached it (over TLS when the deployment says it is behind it).
fn examples(headers: &HeaderMap, tls: bool) -> Vec<(&'static str, String)> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("data.example.gov.vn");
    let base = format!("{}://{host}", if tls { "https" } else { "http" });
    vec![
        (
            "curl",
            format!(
                "curl -H \"Authorization: Bearer $OPENDATA_KEY\" \\\n  \"{base}/api/v1/search?q=ng%C3%A2n+s%C3%A1ch&limit=5\""
            ),
        ),
        (
            "Python",
            format!(
                "import os, requests\n\nr = requests.get(\n    \"{base}/api/v1/search\",\n    params={{\"q\": \"ngân sách\", \"limit\": 5}},\n    headers={{\"Authorization\": f\"Bearer {{os.environ['OPENDATA_KEY']}}\"}},\n    timeout=30,\n)\nr.raise_for_status()\nfor hit in r.json()[\"items\"]:\n    print(hit[\"id\"], hit[\"title\"].get(\"vi\"))"
            ),
        ),
        (
            "JavaScript",
            format!(
                "const r = await fetch(\"{base}/api/v1/search?q=\" + encodeURIComponent(\"ngân sách\") + \"&limit=5\", {{\n  headers: {{ Authorization: `Bearer ${{process.env.OPENDATA_KEY}}` }},\n}});\nif (!r.ok) throw new Error(`HTTP ${{r.status}}`);\nconst {{ items }} = await r.json();\nfor (const hit of items) console.log(hit.id, hit.title.vi);"
            ),
        ),
    ]
}

async fn key_views(
    state: &AppState,
    a: &AccountText,
    account: i64,
) -> Result<Vec<KeyView>, ApiError> {
    if let Err(e) = state.accounts.flush_key_calls().await {
        tracing::warn!(error = %e, "flushing key call counts failed; the chart may lag");
    }
    let mut views = Vec::new();
    for k in state.accounts.keys(Some(account)).await? {
        let tier = state.key_tiers.get(k.tier.as_deref());
        let days = if k.revoked_at.is_none() {
            state.accounts.key_usage(k.id, CHART_DAYS).await?
        } else {
            vec![]
        };
        let total: u64 = days.iter().map(|d| d.calls).sum();
        let peak = days.iter().map(|d| d.calls).max().unwrap_or(0);
        // The scale shows the busiest day, and the quota when it is within reach (else the bars would vanish).
        let top = (peak.max(1) as f64 * 1.25).max(if tier.daily as f64 <= peak as f64 * 4.0 {
            tier.daily as f64 * 1.1
        } else {
            0.0
        });
        let h = f64::from(CHART_HEIGHT);
        let step = CHART_WIDTH / CHART_DAYS;
        let bars = days
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let height = d.calls as f64 / top * h;
                Bar {
                    x: i as u32 * step + (step - BAR_WIDTH) / 2,
                    y: h - height,
                    height,
                    label: format!("{}: {} {}", d.day, d.calls, a.calls.to_lowercase()),
                }
            })
            .collect();
        views.push(KeyView {
            id: k.id,
            chart_title: a.chart_title.replace("{}", &k.name),
            chart_desc: a
                .chart_desc
                .replace("{0}", &total.to_string())
                .replace("{1}", &CHART_DAYS.to_string())
                .replace("{2}", &tier.daily.to_string()),
            quota_y: (tier.daily as f64 <= top).then(|| h - tier.daily as f64 / top * h),
            from: days.first().map(|d| d.day.clone()).unwrap_or_default(),
            to: days.last().map(|d| d.day.clone()).unwrap_or_default(),
            days: days
                .iter()
                .map(|d| DayRow {
                    day: d.day.clone(),
                    calls: d.calls,
                })
                .collect(),
            bars,
            name: k.name,
            created_at: k
                .created_at
                .get(..16)
                .unwrap_or(&k.created_at)
                .replace('T', " "),
            tier: if tier.name == super::ratelimit::DEFAULT_TIER {
                a.default_tier.to_owned()
            } else {
                tier.name.clone()
            },
            daily: tier.daily,
            revoked: k.revoked_at.is_some(),
        });
    }
    Ok(views)
}

async fn render_page(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    status: StatusCode,
    problems: Vec<String>,
    created: Option<(String, String)>,
) -> Response {
    let a = account_texts::of(ctx.lang);
    let m = super::manage::texts::of(ctx.lang);
    let me = signed_in(state, headers).await;
    let keys = match &me {
        Some((p, _)) => match key_views(state, a, p.id).await {
            Ok(k) => k,
            Err(e) => return ctx.error(e),
        },
        None => vec![],
    };
    let me = match me {
        Some((p, session_id)) => {
            let email = state
                .accounts
                .account(p.id)
                .await
                .ok()
                .flatten()
                .and_then(|s| s.email.map(|e| (e, s.federated)));
            Some(Me {
                name: p.name,
                unverified: email.as_ref().is_some_and(|(_, federated)| !federated),
                email: email.map(|(e, _)| e),
                csrf: session::csrf_for(&session_id),
            })
        }
        None => None,
    };
    let register_csrf = crate::accounts::generate_token();
    let mut c = ctx.chrome(a.developers, "");
    c.description = a.developers_intro.to_owned();
    let page = DevelopersPage {
        c,
        m,
        a,
        me,
        problems,
        created,
        keys,
        oidc: state.oidc.is_some(),
        register_csrf: register_csrf.clone(),
        examples: examples(headers, state.hsts),
        chart_width: CHART_WIDTH,
        chart_height: CHART_HEIGHT,
        bar_width: BAR_WIDTH,
    };
    let mut response = super::manage::no_store(ctx.html(status, &page));
    set_cookie(
        &mut response,
        &format!(
            "{REGISTER_COOKIE}={register_csrf}; Path=/developers; Max-Age=3600; HttpOnly; SameSite=Strict{}",
            session::secure(state)
        ),
    );
    response
}

/// `GET /developers`.
async fn page(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Response {
    render_page(&state, &ctx, &headers, StatusCode::OK, vec![], None).await
}

/// `GET /developers/login`: through the provider, back to the portal.
async fn login(State(state): State<AppState>, ctx: Ctx) -> Response {
    super::oidc::begin(&state, &ctx, Purpose::Developer, "/developers".into()).await
}

/// `POST /developers/register`: name and e-mail address, where no provider is configured.
async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    if state.oidc.is_some() {
        return ctx.error(ApiError::Forbidden(
            "developers sign in through the OpenID Provider here".into(),
        ));
    }
    let form = match FormData::read(&headers, body, 64 * 1024).await {
        Ok(f) => f,
        Err(e) => return ctx.error(e),
    };
    let expected = cookie(&headers, REGISTER_COOKIE);
    if !matches!((&expected, form.get("csrf")), (Some(e), Some(p)) if same(e, p)) {
        return ctx.error(ApiError::Forbidden(
            "the registration form's CSRF token is missing or wrong; reload the page".into(),
        ));
    }
    let principal = match state
        .accounts
        .register_developer(form.value("name"), form.value("email"))
        .await
    {
        Ok(p) => p,
        Err(e) => {
            let e: ApiError = e.into();
            return match super::manage::input_problems(&e) {
                Some(problems) => {
                    render_page(
                        &state,
                        &ctx,
                        &headers,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        problems,
                        None,
                    )
                    .await
                }
                None => ctx.error(e),
            };
        }
    };
    let id = match state
        .accounts
        .open_session(&principal, chrono::Duration::hours(SESSION_HOURS))
        .await
    {
        Ok(id) => id,
        Err(e) => return ctx.error(e.into()),
    };
    let mut response = Redirect::to("/developers").into_response();
    set_cookie(
        &mut response,
        &format!(
            "{SESSION_COOKIE}={id}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
            SESSION_HOURS * 3600,
            session::secure(&state)
        ),
    );
    response
}

/// `POST /developers/keys`: a new key, shown on the answered page only.
async fn create_key(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    posted: Posted,
) -> Response {
    let Posted { me, form } = posted;
    match state
        .accounts
        .create_key(me.principal.id, form.value("name"), &me.principal.name)
        .await
    {
        Ok((key, secret)) => {
            render_page(
                &state,
                &ctx,
                &headers,
                StatusCode::CREATED,
                vec![],
                Some((key.name, secret)),
            )
            .await
        }
        Err(e) => {
            let e: ApiError = e.into();
            match super::manage::input_problems(&e) {
                Some(problems) => {
                    render_page(
                        &state,
                        &ctx,
                        &headers,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        problems,
                        None,
                    )
                    .await
                }
                None => ctx.error(e),
            }
        }
    }
}

/// `POST /developers/keys/{id}/revoke`: one of the developer's own keys stops at once.
async fn revoke_key(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let me = &posted.me;
    match state
        .accounts
        .revoke_key(id, Some(me.principal.id), &me.principal.name)
        .await
    {
        Ok(()) => Redirect::to("/developers").into_response(),
        Err(e) => ctx.error(super::manage::problems_shown(e.into())),
    }
}
