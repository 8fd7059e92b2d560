//! Signing in through the OpenID Provider: `GET /login/oidc` starts the authorization code flow (a fresh `state`,
//! `nonce` and PKCE verifier kept server-side, the `state` also in a short-lived HttpOnly cookie binding the sign-in
//! to this browser) and `GET /login/oidc/callback` ends it: the code is refused when seen before, the `state` when it
//! is not this browser's pending one, and the ID token when `crate::oidc` finds it wrong; each refusal is a page that
//! says why (in the page's language), never a server error. A verified identity becomes a session (see
//! `manage::session`), or a page saying the account awaits a role or is disabled.
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::manage::account_texts::{self, AccountText};
use super::manage::session::{self, SESSION_COOKIE, SESSION_HOURS, same, set_cookie};
use super::pages::{Chrome, Ctx, cookie};
use super::{ApiError, AppState};
use crate::accounts::federated::{PendingSignIn, Purpose, SignedInAccount};
use crate::oidc::SignInFailure;

/// The cookie holding the pending sign-in's `state`.
const STATE_COOKIE: &str = "od_oidc";

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/oidc", get(start))
        .route("/login/oidc/callback", get(callback))
}

#[derive(Template)]
#[template(path = "account_message.html")]
struct MessagePage {
    c: Chrome,
    heading: &'static str,
    intro: Option<&'static str>,
    message: String,
    reason: &'static str,
    again: &'static str,
    again_href: &'static str,
}

fn again_href(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Curation => "/login",
        Purpose::Developer => "/developers",
    }
}

/// The page saying why a sign-in was refused.
pub fn failure_page(ctx: &Ctx, failure: SignInFailure, purpose: Purpose) -> Response {
    let a = account_texts::of(ctx.lang);
    tracing::info!(
        reason = failure.code(),
        "sign-in through the OpenID Provider refused"
    );
    let status = match failure {
        SignInFailure::Unreachable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let page = MessagePage {
        c: ctx.chrome(a.failed_title, "manage"),
        heading: a.failed_title,
        intro: Some(a.failed_intro),
        message: a.failure(failure).to_owned(),
        reason: failure.code(),
        again: a.try_again,
        again_href: again_href(purpose),
    };
    let mut response = super::manage::no_store(ctx.html(status, &page));
    clear_state_cookie(&mut response);
    response
}

fn account_page(
    ctx: &Ctx,
    a: &AccountText,
    title: &'static str,
    message: String,
    reason: &'static str,
) -> Response {
    let page = MessagePage {
        c: ctx.chrome(title, "manage"),
        heading: title,
        intro: None,
        message,
        reason,
        again: a.try_again,
        again_href: "/login",
    };
    super::manage::no_store(ctx.html(StatusCode::FORBIDDEN, &page))
}

fn clear_state_cookie(response: &mut Response) {
    set_cookie(
        response,
        &format!("{STATE_COOKIE}=; Path=/login/oidc; Max-Age=0; HttpOnly; SameSite=Lax"),
    );
}

/// `GET /login/oidc?next=…`: off to the provider.
async fn start(State(state): State<AppState>, ctx: Ctx) -> Response {
    let next = session::next_or_dashboard(ctx.param("next"));
    begin(&state, &ctx, Purpose::Curation, next).await
}

/// Starts a sign-in for `purpose`, coming back to `next`.
pub async fn begin(state: &AppState, ctx: &Ctx, purpose: Purpose, next: String) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return ctx.error(ApiError::NotFound(
            "no OpenID Provider is configured on this server".into(),
        ));
    };
    let started = match oidc.start(ctx.lang.code()).await {
        Ok(s) => s,
        Err(f) => return failure_page(ctx, f, purpose),
    };
    let pending = PendingSignIn {
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        purpose,
        next,
    };
    if let Err(e) = state.accounts.start_sign_in(&started.state, &pending).await {
        return ctx.error(e.into());
    }
    let mut response = Redirect::to(&started.url).into_response();
    set_cookie(
        &mut response,
        &format!(
            "{STATE_COOKIE}={}; Path=/login/oidc; Max-Age={}; HttpOnly; SameSite=Lax{}",
            started.state,
            crate::accounts::federated::PENDING_MINUTES * 60,
            session::secure(state)
        ),
    );
    super::manage::no_store(response)
}

/// `GET /login/oidc/callback?code=…&state=…`: the provider sends the browser back here.
async fn callback(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Response {
    let Some(oidc) = state.oidc.clone() else {
        return ctx.error(ApiError::NotFound(
            "no OpenID Provider is configured on this server".into(),
        ));
    };
    let returned_state = ctx.param("state").unwrap_or("").to_owned();
    let bound = cookie(&headers, STATE_COOKIE).is_some_and(|c| same(&c, &returned_state));
    if ctx.param("error").is_some() {
        // The pending sign-in is spent either way.
        let purpose = match bound {
            true => state
                .accounts
                .take_sign_in(&returned_state)
                .await
                .ok()
                .flatten()
                .map(|p| p.purpose),
            false => None,
        };
        return failure_page(
            &ctx,
            SignInFailure::ProviderError,
            purpose.unwrap_or(Purpose::Curation),
        );
    }
    let Some(code) = ctx.param("code").map(str::to_owned) else {
        return failure_page(&ctx, SignInFailure::WrongState, Purpose::Curation);
    };
    match state.accounts.code_seen_before(&code).await {
        Ok(true) => return failure_page(&ctx, SignInFailure::ReplayedCode, Purpose::Curation),
        Ok(false) => {}
        Err(e) => return ctx.error(e.into()),
    }
    if !bound || returned_state.is_empty() {
        return failure_page(&ctx, SignInFailure::WrongState, Purpose::Curation);
    }
    let pending = match state.accounts.take_sign_in(&returned_state).await {
        Ok(Some(p)) => p,
        Ok(None) => return failure_page(&ctx, SignInFailure::WrongState, Purpose::Curation),
        Err(e) => return ctx.error(e.into()),
    };
    let verified = match oidc
        .finish(
            &code,
            &pending.pkce_verifier,
            &pending.nonce,
            ctx.param("iss"),
        )
        .await
    {
        Ok(v) => v,
        Err(f) => return failure_page(&ctx, f, pending.purpose),
    };
    let a = account_texts::of(ctx.lang);
    let principal = match state
        .accounts
        .federated_sign_in(&verified.identity, pending.purpose)
        .await
    {
        Ok(SignedInAccount::Active(p)) => p,
        Ok(SignedInAccount::AwaitingRole { name }) => {
            return account_page(
                &ctx,
                a,
                a.awaiting_title,
                a.awaiting_role.replace("{}", &name),
                "awaiting-role",
            );
        }
        Ok(SignedInAccount::Disabled { name }) => {
            return account_page(
                &ctx,
                a,
                a.disabled_title,
                a.disabled.replace("{}", &name),
                "disabled",
            );
        }
        Err(e) => return ctx.error(e.into()),
    };
    let id = match state
        .accounts
        .open_session_with(
            &principal,
            chrono::Duration::hours(SESSION_HOURS),
            Some(&verified.id_token),
        )
        .await
    {
        Ok(id) => id,
        Err(e) => return ctx.error(e.into()),
    };
    let next = match pending.purpose {
        Purpose::Curation if !principal.curates() => "/developers".to_owned(),
        _ => pending.next,
    };
    let mut response = Redirect::to(&next).into_response();
    set_cookie(
        &mut response,
        &format!(
            "{SESSION_COOKIE}={id}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
            SESSION_HOURS * 3600,
            session::secure(&state)
        ),
    );
    clear_state_cookie(&mut response);
    super::manage::no_store(response)
}
