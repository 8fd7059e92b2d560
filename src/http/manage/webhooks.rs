//! `/manage/webhooks` (issue 19): the signed-in account's webhooks (an admin's: every one) with their delivery log, a
//! re-send button per delivery, the form that registers one (its secret shown once, on the answer) and the stop
//! button. Same `crate::feedback` use cases and rules as `/api/v1/webhooks`.
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::session::{Posted, SignedIn};
use super::texts::ManageText;
use super::{Frame, parts, problems_shown, render, see};
use crate::feedback::webhooks::{Delivery, NewWebhook, Webhook};
use crate::http::pages::feedback_texts::{self, FeedbackText};
use crate::http::pages::{Chrome, Ctx};
use crate::http::{ApiError, AppState};

#[derive(Template)]
#[template(path = "manage_webhooks.html")]
struct WebhooksPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    t: &'static FeedbackText,
    hooks: Vec<(Webhook, Vec<Delivery>)>,
    /// The secret of the webhook just registered.
    secret: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    me: &SignedIn,
    secret: Option<String>,
) -> Result<Response, ApiError> {
    let t = feedback_texts::of(ctx.lang);
    let mut hooks = Vec::new();
    for hook in state.feedback.webhooks(&me.principal).await? {
        let log = state
            .feedback
            .deliveries(&me.principal, hook.id, None, 20)
            .await?
            .map(|p| p.items)
            .unwrap_or_default();
        hooks.push((hook, log));
    }
    let (c, m, f) = parts(ctx, me, t.webhooks_title, "feedback");
    Ok(render(
        ctx,
        &WebhooksPage {
            c,
            m,
            f,
            t,
            hooks,
            secret,
        },
    ))
}

/// `GET /manage/webhooks`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, me: SignedIn) -> Response {
    let result = page(&state, &ctx, &me, None).await;
    ctx.respond(result)
}

/// `POST /manage/webhooks`: registers one (`url`, `subjects` checked), then shows the secret once.
pub async fn register(State(state): State<AppState>, ctx: Ctx, posted: Posted) -> Response {
    let subjects = posted.form.all("subjects");
    let new = NewWebhook {
        url: posted.form.value("url").to_owned(),
        subjects: (!subjects.is_empty()).then_some(subjects),
    };
    match state
        .feedback
        .register_webhook(&posted.me.principal, new)
        .await
    {
        Ok(hook) => {
            let result = page(&state, &ctx, &posted.me, Some(hook.secret)).await;
            ctx.respond(result)
        }
        Err(e) => ctx.error(problems_shown(e.into())),
    }
}

/// `POST /manage/webhooks/{id}/deliveries/{delivery}/resend`.
pub async fn resend(
    State(state): State<AppState>,
    Path((id, delivery)): Path<(i64, i64)>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    match state
        .feedback
        .resend(&posted.me.principal, id, delivery)
        .await
    {
        Ok(true) => see("/manage/webhooks"),
        Ok(false) => ctx.error(ApiError::NotFound("no such delivery".into())),
        Err(e) => ctx.error(e.into()),
    }
}

/// `POST /manage/webhooks/{id}/stop`.
pub async fn stop(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    match state.feedback.stop_webhook(&posted.me.principal, id).await {
        Ok(true) => see("/manage/webhooks"),
        Ok(false) => ctx.error(ApiError::NotFound("no such webhook".into())),
        Err(e) => ctx.error(e.into()),
    }
}
