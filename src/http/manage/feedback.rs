//! `/manage/feedback` (issue 19): the queue of feedback threads the signed-in curator may handle (their agency's
//! datasets, the code lists they curate; an admin everything) with the moderate, answer and close forms, and the data
//! requests waiting for them (an admin moderates and routes, an agency accepts or declines and links the dataset).
//! The forms call the same `crate::feedback` use cases, with the same permission rules, as the JSON API.
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::session::{Posted, SignedIn};
use super::texts::ManageText;
use super::{Frame, parts, problems_shown, render, see};
use crate::feedback::Target;
use crate::feedback::requests::{DataRequestStatus, RequestDecision};
use crate::feedback::threads::ThreadStatus;
use crate::http::pages::feedback::{RequestView, ThreadView, request_view, thread_view};
use crate::http::pages::feedback_texts::{self, FeedbackText};
use crate::http::pages::{Chrome, Ctx, Labels, Link};
use crate::http::{ApiError, AppState};

#[derive(Template)]
#[template(path = "manage_feedback.html")]
struct QueuePage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    t: &'static FeedbackText,
    threads: Vec<QueuedThread>,
    requests: Vec<QueuedRequest>,
    agencies: Vec<(String, String)>,
}

struct QueuedThread {
    view: ThreadView,
    on: Link,
    pending: bool,
    reply_by_email: bool,
}

struct QueuedRequest {
    view: RequestView,
    moderate: bool,
    route: bool,
    decide: bool,
    link: bool,
}

/// `GET /manage/feedback`.
pub async fn queue(State(state): State<AppState>, ctx: Ctx, me: SignedIn) -> Response {
    let result = async {
        let t = feedback_texts::of(ctx.lang);
        let threads = state.feedback.feedback_queue(&me.principal).await?;
        let requests = state.feedback.request_queue(&me.principal).await?;
        let labels = Labels::load(&state, ctx.lang, &["agencies"]).await;
        let admin = me.principal.is_admin();
        let agencies = if admin {
            state
                .registry
                .all_items("agencies")
                .await?
                .into_iter()
                .map(|i| (labels.name("agencies", &i.code), i.code))
                .collect()
        } else {
            Vec::new()
        };
        let threads = threads
            .iter()
            .map(|th| QueuedThread {
                on: match &th.target {
                    Target::Dataset(id) => Link::new(id, th.target.page("")),
                    other => Link::new(other.id(), other.page("")),
                },
                pending: th.status == ThreadStatus::Pending,
                reply_by_email: th.reply_by_email,
                view: thread_view(&ctx, th),
            })
            .collect();
        let requests = requests
            .iter()
            .map(|r| QueuedRequest {
                moderate: admin && r.status == DataRequestStatus::Pending,
                route: admin
                    && matches!(
                        r.status,
                        DataRequestStatus::Pending
                            | DataRequestStatus::Open
                            | DataRequestStatus::Declined
                    ),
                decide: r.status == DataRequestStatus::Routed,
                link: r.status == DataRequestStatus::Accepted,
                view: request_view(&ctx, &labels, r),
            })
            .collect();
        let (c, m, f) = parts(&ctx, &me, t.queue_title, "feedback");
        Ok(render(
            &ctx,
            &QueuePage {
                c,
                m,
                f,
                t,
                threads,
                requests,
                agencies,
            },
        ))
    }
    .await;
    ctx.respond(result)
}

/// The answer to a form post: back to the queue, or the problems.
fn after<T>(ctx: &Ctx, result: Result<Option<T>, registry::RegistryError>, what: &str) -> Response {
    match result {
        Ok(Some(_)) => see("/manage/feedback"),
        Ok(None) => ctx.error(ApiError::NotFound(format!("no {what}"))),
        Err(e) => ctx.error(problems_shown(e.into())),
    }
}

/// `POST /manage/feedback/{id}/moderate` (`decision` = `approve` or `reject`).
pub async fn moderate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let approve = posted.form.is("decision", "approve");
    let r = state
        .feedback
        .moderate_feedback(&posted.me.principal, id, approve)
        .await;
    after(&ctx, r, "such feedback")
}

/// `POST /manage/feedback/{id}/answer`.
pub async fn answer(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let r = state
        .feedback
        .answer_feedback(&posted.me.principal, id, posted.form.value("answer"))
        .await;
    after(&ctx, r, "such feedback")
}

/// `POST /manage/feedback/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let r = state
        .feedback
        .close_feedback(&posted.me.principal, id)
        .await;
    after(&ctx, r, "such feedback")
}

/// `POST /manage/data-requests/{id}/moderate`.
pub async fn moderate_request(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let approve = posted.form.is("decision", "approve");
    let r = state
        .feedback
        .moderate_request(&posted.me.principal, id, approve)
        .await;
    after(&ctx, r, "such data request")
}

/// `POST /manage/data-requests/{id}/route`.
pub async fn route_request(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let r = state
        .feedback
        .route_request(&posted.me.principal, id, posted.form.value("agency"))
        .await;
    after(&ctx, r, "such data request")
}

/// `POST /manage/data-requests/{id}/decide` (`decision` = `accept` or `decline`, with `reason`).
pub async fn decide_request(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let decision = if posted.form.is("decision", "accept") {
        RequestDecision::Accept
    } else {
        RequestDecision::Decline
    };
    let r = state
        .feedback
        .decide_request(
            &posted.me.principal,
            id,
            decision,
            posted.form.get("reason"),
        )
        .await;
    after(&ctx, r, "such data request")
}

/// `POST /manage/data-requests/{id}/dataset`.
pub async fn link_dataset(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let r = state
        .feedback
        .link_dataset(&posted.me.principal, id, posted.form.value("dataset"))
        .await;
    after(&ctx, r, "such data request")
}

/// The routes (under `/manage`, signed in).
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/manage/feedback", get(queue))
        .route("/manage/feedback/{id}/moderate", post(moderate))
        .route("/manage/feedback/{id}/answer", post(answer))
        .route("/manage/feedback/{id}/close", post(close))
        .route(
            "/manage/data-requests/{id}/moderate",
            post(moderate_request),
        )
        .route("/manage/data-requests/{id}/route", post(route_request))
        .route("/manage/data-requests/{id}/decide", post(decide_request))
        .route("/manage/data-requests/{id}/dataset", post(link_dataset))
        .route(
            "/manage/webhooks",
            get(super::webhooks::list).post(super::webhooks::register),
        )
        .route(
            "/manage/webhooks/{id}/deliveries/{delivery}/resend",
            post(super::webhooks::resend),
        )
        .route("/manage/webhooks/{id}/stop", post(super::webhooks::stop))
}
