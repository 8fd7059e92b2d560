//! Signing in to the curation pages: `/login` takes an API token (or an account name and password, for accounts that
//! have one) and opens a server-side session (a random id in an HttpOnly, SameSite=Lax cookie, stored only as its
//! sha256, with an expiry); `/logout` deletes it. Every form post
//! carries a CSRF token derived from the session id, and is refused with 403 without it. Sessions opened through the
//! OpenID Provider (`crate::http::oidc`) are the same sessions; signing out of one also signs out at the provider
//! (RP-initiated logout). Developer accounts (consumers) have sessions for the developer portal, not for `/manage`.
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};
use registry::changelog::sha256_hex;

use super::form::FormData;
use super::texts::ManageText;
use crate::accounts::{Principal, Role};
use crate::http::pages::{Chrome, Ctx, cookie};
use crate::http::{ApiError, AppState};

/// The session cookie.
pub const SESSION_COOKIE: &str = "od_session";
/// The cookie that pairs the sign-in form with its post (there is no session yet to derive a CSRF token from).
const LOGIN_COOKIE: &str = "od_login";
/// How long a session lasts.
pub(crate) const SESSION_HOURS: i64 = 8;

/// The CSRF token of a session: the session id cannot be read back from it, and another site cannot know it.
pub(crate) fn csrf_for(session_id: &str) -> String {
    sha256_hex(format!("csrf:{session_id}").as_bytes())
}

/// Compares without stopping at the first difference, so timing tells nothing about a token.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Someone signed in, on a page under `/manage`.
pub struct SignedIn {
    /// Who.
    pub principal: Principal,
    /// The token every form of the page must post back.
    pub csrf: String,
    pub(crate) session_id: String,
}

impl SignedIn {
    /// The name shown in the page header, with the role.
    pub fn label(&self, m: &ManageText) -> String {
        let role = match self.principal.role {
            Role::Admin => m.role_admin,
            Role::Steward => m.role_steward,
            Role::Publisher => m.role_publisher,
            Role::Approver => m.role_approver,
            Role::Consumer | Role::Harvester => m.role_consumer,
        };
        match &self.principal.agency {
            Some(a) => format!("{} · {role} · {a}", self.principal.name),
            None => format!("{} · {role}", self.principal.name),
        }
    }
}

/// Where a signed-out visitor is sent: GETs to the sign-in page (coming back afterwards), anything else refused.
fn signed_out(parts: &Parts) -> Response {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        let next = parts.uri.path_and_query().map_or("/manage", |p| p.as_str());
        let to = crate::http::pages::href("/login", [("next", next)]);
        Redirect::to(&to).into_response()
    } else {
        let ctx = Ctx::new(&parts.uri, &parts.headers);
        ctx.error(ApiError::Forbidden("sign in first".into()))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(signed_out(parts));
        };
        match state.accounts.session(&id).await {
            Ok(Some(principal))
                if !principal.curates() && parts.uri.path().starts_with("/manage") =>
            {
                Err(
                    Ctx::new(&parts.uri, &parts.headers).error(ApiError::Forbidden(
                        "this account has a developer key, not a curation role".into(),
                    )),
                )
            }
            Ok(Some(principal)) => Ok(Self {
                principal,
                csrf: csrf_for(&id),
                session_id: id,
            }),
            Ok(None) => Err(signed_out(parts)),
            Err(e) => Err(Ctx::new(&parts.uri, &parts.headers).error(e.into())),
        }
    }
}

/// The most a posted form may hold: forms are read whole, so files sent without the upload script are limited to this
/// (the script streams them, up to the upload limit).
pub const FORM_LIMIT: u64 = 64 * 1024 * 1024;

/// A form posted by someone signed in, with its CSRF token checked (403 otherwise). Both URL-encoded and multipart
/// bodies are read, up to [`FORM_LIMIT`] (and the upload limit).
pub struct Posted {
    /// Who posted.
    pub me: SignedIn,
    /// What.
    pub form: FormData,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let me = SignedIn::from_request_parts(&mut parts, state).await?;
        let ctx = Ctx::new(&parts.uri, &parts.headers);
        let form = FormData::read(&parts.headers, body, state.upload_limit.min(FORM_LIMIT))
            .await
            .map_err(|e| ctx.error(e))?;
        if !form.get("csrf").is_some_and(|t| same(t, &me.csrf)) {
            return Err(ctx.error(ApiError::Forbidden(
                "the form's CSRF token is missing or wrong; reload the page".into(),
            )));
        }
        Ok(Self { me, form })
    }
}

pub(crate) fn set_cookie(response: &mut Response, cookie: &str) {
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(cookie).expect("ascii cookie"),
    );
}

/// Only addresses of the curation pages are places to come back to (no open redirect).
pub(crate) fn next_or_dashboard(next: Option<&str>) -> String {
    next.filter(|n| {
        (*n == "/manage" || n.starts_with("/manage/") || n.starts_with("/manage?"))
            && !n.contains("//")
    })
    .unwrap_or("/manage")
    .to_owned()
}

#[derive(Template)]
#[template(path = "manage_login.html")]
struct LoginPage {
    c: Chrome,
    m: &'static ManageText,
    csrf: String,
    next: String,
    error: Option<String>,
    /// Some account has a password: offer that way in too.
    passwords: bool,
    /// An OpenID Provider is configured: offer it first.
    oidc: bool,
    oidc_href: String,
    a: &'static super::account_texts::AccountText,
}

async fn login_page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    next: &str,
    error: Option<String>,
) -> Response {
    let m = super::texts::of(ctx.lang);
    let passwords = state.accounts.has_passwords().await.unwrap_or(false);
    let csrf = crate::accounts::generate_token();
    let page = LoginPage {
        c: ctx.chrome(m.login_title, ""),
        m,
        csrf: csrf.clone(),
        next: next.to_owned(),
        error,
        passwords,
        oidc: state.oidc.is_some(),
        oidc_href: crate::http::pages::href("/login/oidc", [("next", next)]),
        a: super::account_texts::of(ctx.lang),
    };
    let mut response = super::no_store(ctx.html(status, &page));
    set_cookie(
        &mut response,
        &format!(
            "{LOGIN_COOKIE}={csrf}; Path=/login; Max-Age=3600; HttpOnly; SameSite=Strict{}",
            secure(state)
        ),
    );
    response
}

pub(crate) fn secure(state: &AppState) -> &'static str {
    // Behind TLS (the deployment says so by asking for HSTS) the cookies never travel in clear.
    if state.hsts { "; Secure" } else { "" }
}

/// `GET /login`.
pub async fn login_form(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Response {
    let next = next_or_dashboard(ctx.param("next"));
    if let Some(id) = cookie(&headers, SESSION_COOKIE)
        && matches!(state.accounts.session(&id).await, Ok(Some(p)) if p.curates())
    {
        return Redirect::to(&next).into_response();
    }
    login_page(&state, &ctx, StatusCode::OK, &next, None).await
}

/// A locked-out sign-in: `429` with `Retry-After` and the sign-in page saying how long to wait.
async fn locked_out(state: &AppState, ctx: &Ctx, next: &str, seconds: u64) -> Response {
    let m = super::texts::of(ctx.lang);
    let message = m.login_locked.replace("{}", &seconds.to_string());
    let mut response = login_page(
        state,
        ctx,
        StatusCode::TOO_MANY_REQUESTS,
        next,
        Some(message),
    )
    .await;
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&seconds.to_string()).expect("digits"),
    );
    response
}

/// `POST /login`: an API token becomes a session.
pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    client: crate::http::ratelimit::ClientAddress,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let form = match FormData::read(&headers, body, crate::http::REQUEST_BODY_LIMIT as u64).await {
        Ok(f) => f,
        Err(e) => return ctx.error(e),
    };
    let expected = cookie(&headers, LOGIN_COOKIE);
    let posted = form.get("csrf");
    if !matches!((&expected, posted), (Some(e), Some(p)) if same(e, p)) {
        return ctx.error(ApiError::Forbidden(
            "the sign-in form's CSRF token is missing or wrong; reload the page".into(),
        ));
    }
    let next = next_or_dashboard(form.get("next"));
    let m = super::texts::of(ctx.lang);
    // A password when the form has an account name, else a token.
    let (found, failed) = match form.get("username") {
        Some(name) => {
            // Refused before the password is hashed, while the name or the address is locked out.
            match state.accounts.sign_in_locked(name, client.0).await {
                Ok(Some(seconds)) => return locked_out(&state, &ctx, &next, seconds).await,
                Ok(None) => {}
                Err(e) => return ctx.error(e.into()),
            }
            let found = state
                .accounts
                .authenticate_password(name, form.get("password").unwrap_or(""))
                .await;
            match &found {
                Ok(None) => match state.accounts.sign_in_failed(name, client.0).await {
                    Ok(Some(seconds)) => return locked_out(&state, &ctx, &next, seconds).await,
                    Ok(None) => {}
                    Err(e) => return ctx.error(e.into()),
                },
                Ok(Some(_)) => {
                    if let Err(e) = state.accounts.sign_in_succeeded(name).await {
                        return ctx.error(e.into());
                    }
                }
                Err(_) => {}
            }
            (found, m.login_password_failed)
        }
        None => (
            state
                .accounts
                .authenticate(form.get("token").unwrap_or(""))
                .await,
            m.login_failed,
        ),
    };
    let principal = match found {
        Ok(Some(p)) if p.curates() => p,
        Ok(Some(_)) => {
            return login_page(
                &state,
                &ctx,
                StatusCode::FORBIDDEN,
                &next,
                Some(m.login_consumer.to_owned()),
            )
            .await;
        }
        Ok(None) => {
            return login_page(
                &state,
                &ctx,
                StatusCode::UNAUTHORIZED,
                &next,
                Some(failed.to_owned()),
            )
            .await;
        }
        Err(e) => return ctx.error(e.into()),
    };
    let id = match state
        .accounts
        .open_session(&principal, chrono::Duration::hours(SESSION_HOURS))
        .await
    {
        Ok(id) => id,
        Err(e) => return ctx.error(e.into()),
    };
    let mut response = Redirect::to(&next).into_response();
    set_cookie(
        &mut response,
        &format!(
            "{SESSION_COOKIE}={id}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
            SESSION_HOURS * 3600,
            secure(&state)
        ),
    );
    set_cookie(
        &mut response,
        &format!("{LOGIN_COOKIE}=; Path=/login; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    response
}

/// `POST /logout`: the session row is deleted, so the cookie is dead wherever it was copied; a session opened through
/// the OpenID Provider then goes on to the provider's logout (with the ID token as the hint), which comes back to
/// `/login`.
pub async fn logout(State(state): State<AppState>, ctx: Ctx, posted: Posted) -> Response {
    let id_token = match state.accounts.close_session(&posted.me.session_id).await {
        Ok(t) => t,
        Err(e) => return ctx.error(e.into()),
    };
    let mut to = "/login".to_owned();
    if let (Some(token), Some(oidc)) = (id_token, &state.oidc)
        && let Some(url) = oidc.logout_url(&token).await
    {
        to = url;
    }
    let mut response = Redirect::to(&to).into_response();
    set_cookie(
        &mut response,
        &format!(
            "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
            secure(&state)
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_curation_pages_are_places_to_come_back_to() {
        assert_eq!(next_or_dashboard(Some("/manage/queue")), "/manage/queue");
        assert_eq!(next_or_dashboard(Some("https://evil.example")), "/manage");
        assert_eq!(next_or_dashboard(Some("//evil.example/manage")), "/manage");
        assert_eq!(next_or_dashboard(Some("/manage//evil")), "/manage");
        assert_eq!(next_or_dashboard(Some("/managex")), "/manage");
        assert_eq!(next_or_dashboard(None), "/manage");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
