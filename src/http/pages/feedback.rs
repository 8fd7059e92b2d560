//! The public pages of issue 19: the feedback thread and forms on the dataset and code-list pages ([`voice`], shown by
//! `templates/feedback_section.html`), the form posts (`POST /feedback`, `POST /subscriptions`), `/data-requests` with
//! its form and votes, and the pages of the mailed confirm and unsubscribe links. The forms work without JavaScript;
//! a refused post shows the form again with what was typed and what went wrong (422, or 429 after a burst), and
//! stores nothing. Every form calls the same `crate::feedback` use case as the JSON API.
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::feedback_texts::{self, FeedbackText};
use super::{Chrome, Ctx, Labels, Link, href};
use crate::feedback::requests::{DataRequest, DataRequestStatus, NewRequest};
use crate::feedback::threads::{FeedbackKind, NewFeedback, Thread, ThreadStatus};
use crate::feedback::{Target, client_hash};
use crate::http::manage::form::FormData;
use crate::http::ratelimit::ClientAddress;
use crate::http::{ApiError, AppState};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feedback", post(post_feedback))
        .route("/subscriptions", post(subscribe))
        .route("/subscriptions/confirm", get(confirm))
        .route("/subscriptions/unsubscribe", get(unsubscribe))
        .route("/data-requests", get(requests).post(post_request))
        .route("/data-requests/{id}/vote", post(vote))
        .route("/stats", get(super::stats::page))
}

/// What a form post carried back, to show again.
#[derive(Default)]
pub struct Typed {
    pub kind: String,
    pub message: String,
    pub name: String,
    pub email: String,
}

/// The feedback block of a dataset or code-list page: the public threads, the form, the subscription form.
pub struct Voice {
    pub f: &'static FeedbackText,
    /// `dataset` or `codeList`: the form field naming the target.
    pub field: &'static str,
    /// The dataset or list id.
    pub id: String,
    pub threads: Vec<ThreadView>,
    /// Just sent (after the redirect).
    pub sent: bool,
    /// Just subscribed.
    pub subscribed: bool,
    /// What went wrong with the last post.
    pub problems: Vec<String>,
    pub typed: Typed,
}

/// One thread as shown.
pub struct ThreadView {
    pub id: i64,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub message: String,
    pub author: String,
    pub date: String,
    pub answer: Option<String>,
    pub answered_by: String,
    pub answered_date: String,
}

/// A thread kind's label.
pub fn kind_label(f: &FeedbackText, kind: FeedbackKind) -> &'static str {
    match kind {
        FeedbackKind::Question => f.kind_question,
        FeedbackKind::Error => f.kind_error,
        FeedbackKind::Suggestion => f.kind_suggestion,
    }
}

/// A thread status's label and badge class.
pub fn status_label(f: &FeedbackText, s: ThreadStatus) -> (&'static str, &'static str) {
    match s {
        ThreadStatus::Pending => (f.st_pending, "status-pending"),
        ThreadStatus::Open => (f.st_open, "status-pending"),
        ThreadStatus::Answered => (f.st_answered, "status-valid"),
        ThreadStatus::Closed => (f.st_closed, "status-closed"),
        ThreadStatus::Rejected => (f.st_rejected, "status-closed"),
    }
}

/// A thread as shown in `ctx`'s language.
pub fn thread_view(ctx: &Ctx, t: &Thread) -> ThreadView {
    let f = feedback_texts::of(ctx.lang);
    let (status, status_class) = status_label(f, t.status);
    ThreadView {
        id: t.id,
        kind: kind_label(f, t.kind),
        status,
        status_class,
        message: t.message.clone(),
        author: t
            .author_name
            .clone()
            .unwrap_or_else(|| f.anonymous.to_owned()),
        date: ctx.lang.day_of(&t.created_at),
        answer: t.answer.clone(),
        answered_by: t.answered_by.clone().unwrap_or_default(),
        answered_date: t
            .answered_at
            .as_deref()
            .map(|a| ctx.lang.day_of(a))
            .unwrap_or_default(),
    }
}

/// The feedback block of `target`'s page.
pub async fn voice(state: &AppState, ctx: &Ctx, target: Target) -> Result<Voice, ApiError> {
    let page = state
        .feedback
        .public_threads(Some(&target), None, 50)
        .await?;
    Ok(Voice {
        f: feedback_texts::of(ctx.lang),
        field: match target {
            Target::CodeList(_) => "codeList",
            _ => "dataset",
        },
        id: target.id().to_owned(),
        threads: page.items.iter().map(|t| thread_view(ctx, t)).collect(),
        sent: ctx.param("feedback") == Some("sent"),
        subscribed: ctx.param("subscribed") == Some("1"),
        problems: Vec::new(),
        typed: Typed::default(),
    })
}

#[derive(Template)]
#[template(path = "feedback_form.html")]
struct FormPage {
    c: Chrome,
    voice: Voice,
    back: String,
}

/// The page of `target`, where a post comes back to.
fn back_to(target: &Target) -> String {
    Target::page(target, "")
}

/// The problems of a refused post, as lines (field label: message).
fn problem_lines(f: &FeedbackText, e: &ApiError) -> Option<Vec<String>> {
    let lines = crate::http::manage::input_problems(e)?;
    Some(
        lines
            .into_iter()
            .map(|l| {
                let (field, rest) = l.split_once(": ").unwrap_or(("", &l));
                let label = match field {
                    "message" => f.message,
                    "name" => f.name,
                    "email" => f.email,
                    "kind" => f.kind,
                    "website" => f.honeypot,
                    "title" => f.request_title,
                    "description" => f.request_description,
                    _ => return l.clone(),
                };
                format!("{label}: {rest}")
            })
            .collect(),
    )
}

/// `POST /feedback`: the form of the dataset and code-list pages.
pub async fn post_feedback(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddress(address): ClientAddress,
    body: Bytes,
) -> Response {
    let form = FormData::urlencoded(&body);
    let target = match (form.get("dataset"), form.get("codeList")) {
        (Some(d), None) => Target::Dataset(d.to_owned()),
        (None, Some(l)) => Target::CodeList(l.to_owned()),
        _ => {
            return ctx.error(ApiError::BadRequest(vec![registry::InputProblem::field(
                "dataset",
                "name exactly one of dataset and codeList",
            )]));
        }
    };
    let opt = |k: &str| form.get(k).map(str::to_owned);
    let new = NewFeedback {
        dataset: form.get("dataset").map(str::to_owned),
        code_list: form.get("codeList").map(str::to_owned),
        kind: form.value("kind").to_owned(),
        message: form.value("message").to_owned(),
        name: opt("name"),
        email: opt("email"),
        website: opt("website"),
    };
    let back = back_to(&target);
    let outcome = state
        .feedback
        .post_feedback(new, &client_hash(address))
        .await;
    let f = feedback_texts::of(ctx.lang);
    let (status, problems) = match outcome {
        Ok(Ok(_)) => {
            return Redirect::to(&format!("{back}?feedback=sent#feedback-heading")).into_response();
        }
        Ok(Err(too_many)) => (
            StatusCode::TOO_MANY_REQUESTS,
            vec![
                f.too_many
                    .replace("{}", &too_many.retry_after_secs.to_string()),
            ],
        ),
        Err(e) => {
            let e = ApiError::from(e);
            match problem_lines(f, &e) {
                Some(p) => (StatusCode::UNPROCESSABLE_ENTITY, p),
                None => return ctx.error(e),
            }
        }
    };
    let page = FormPage {
        c: ctx.chrome(f.form_title, ""),
        voice: Voice {
            f,
            field: if matches!(target, Target::CodeList(_)) {
                "codeList"
            } else {
                "dataset"
            },
            id: target.id().to_owned(),
            threads: Vec::new(),
            sent: false,
            subscribed: false,
            problems,
            typed: Typed {
                kind: form.value("kind").to_owned(),
                message: form.value("message").to_owned(),
                name: form.value("name").to_owned(),
                email: form.value("email").to_owned(),
            },
        },
        back,
    };
    ctx.html(status, &page)
}

#[derive(Template)]
#[template(path = "feedback_notice.html")]
struct NoticePage {
    c: Chrome,
    heading: &'static str,
    text: String,
    back: Link,
}

fn notice(
    ctx: &Ctx,
    status: StatusCode,
    heading: &'static str,
    text: String,
    back: Link,
) -> Response {
    let page = NoticePage {
        c: ctx.chrome(heading, ""),
        heading,
        text,
        back,
    };
    ctx.html(status, &page)
}

/// `POST /subscriptions`: the subscription form of the dataset and code-list pages.
pub async fn subscribe(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddress(address): ClientAddress,
    body: Bytes,
) -> Response {
    let form = FormData::urlencoded(&body);
    let f = feedback_texts::of(ctx.lang);
    let new = crate::feedback::mail::NewSubscription {
        email: form.value("email").to_owned(),
        dataset: form.get("dataset").map(str::to_owned),
        code_list: form.get("codeList").map(str::to_owned),
        agency: form.get("agency").map(str::to_owned),
        website: form.get("website").map(str::to_owned),
    };
    let target = match (&new.dataset, &new.code_list, &new.agency) {
        (Some(d), _, _) => Target::Dataset(d.clone()),
        (_, Some(l), _) => Target::CodeList(l.clone()),
        (_, _, Some(a)) => Target::Agency(a.clone()),
        _ => Target::Agency(String::new()),
    };
    let back = back_to(&target);
    match state.feedback.subscribe(new, &client_hash(address)).await {
        Ok(Ok(_)) => {
            Redirect::to(&format!("{back}?subscribed=1#subscribe-heading")).into_response()
        }
        Ok(Err(too_many)) => notice(
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            f.subscribe_heading,
            f.too_many
                .replace("{}", &too_many.retry_after_secs.to_string()),
            Link::new(f.back, back),
        ),
        Err(e) => {
            let e = ApiError::from(e);
            match problem_lines(f, &e) {
                Some(p) => notice(
                    &ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    f.subscribe_heading,
                    format!("{} {}", f.form_problems, p.join("; ")),
                    Link::new(f.back, back),
                ),
                None => ctx.error(e),
            }
        }
    }
}

/// `GET /subscriptions/confirm?token=`: the link of the confirmation mail.
pub async fn confirm(State(state): State<AppState>, ctx: Ctx) -> Response {
    let f = feedback_texts::of(ctx.lang);
    let token = ctx.param("token").unwrap_or_default().to_owned();
    match state.feedback.confirm(&token).await {
        Ok(Some(s)) => notice(
            &ctx,
            StatusCode::OK,
            f.confirmed_title,
            f.confirmed_text.to_owned(),
            Link::new(f.back, back_to(&s.target)),
        ),
        Ok(None) => notice(
            &ctx,
            StatusCode::NOT_FOUND,
            f.bad_token_title,
            f.bad_token_text.to_owned(),
            Link::new(f.back, "/"),
        ),
        Err(e) => ctx.error(e.into()),
    }
}

/// `GET /subscriptions/unsubscribe?token=`: the link of every notice.
pub async fn unsubscribe(State(state): State<AppState>, ctx: Ctx) -> Response {
    let f = feedback_texts::of(ctx.lang);
    let token = ctx.param("token").unwrap_or_default().to_owned();
    match state.feedback.unsubscribe(&token).await {
        Ok(true) => notice(
            &ctx,
            StatusCode::OK,
            f.unsubscribed_title,
            f.unsubscribed_text.to_owned(),
            Link::new(f.back, "/"),
        ),
        Ok(false) => notice(
            &ctx,
            StatusCode::NOT_FOUND,
            f.bad_token_title,
            f.bad_token_text.to_owned(),
            Link::new(f.back, "/"),
        ),
        Err(e) => ctx.error(e.into()),
    }
}

/// A data request as shown.
pub struct RequestView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub author: String,
    pub date: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub agency: Option<String>,
    pub reason: Option<String>,
    pub dataset: Option<Link>,
    pub votes: i64,
    pub votable: bool,
}

/// A request status's label and badge class.
pub fn request_status(f: &FeedbackText, s: DataRequestStatus) -> (&'static str, &'static str) {
    match s {
        DataRequestStatus::Pending => (f.rq_pending, "status-pending"),
        DataRequestStatus::Open => (f.rq_open, "status-pending"),
        DataRequestStatus::Routed => (f.rq_routed, "status-pending"),
        DataRequestStatus::Accepted => (f.rq_accepted, "status-valid"),
        DataRequestStatus::Declined => (f.rq_declined, "status-closed"),
        DataRequestStatus::Published => (f.rq_published, "status-valid"),
        DataRequestStatus::Rejected => (f.rq_rejected, "status-closed"),
    }
}

/// A request as shown, agency names from `labels`.
pub fn request_view(ctx: &Ctx, labels: &Labels, r: &DataRequest) -> RequestView {
    let f = feedback_texts::of(ctx.lang);
    let (status, status_class) = request_status(f, r.status);
    RequestView {
        id: r.id,
        title: r.title.clone(),
        description: r.description.clone(),
        author: r
            .author_name
            .clone()
            .unwrap_or_else(|| f.anonymous.to_owned()),
        date: ctx.lang.day_of(&r.created_at),
        status,
        status_class,
        agency: r.agency.as_deref().map(|a| labels.name("agencies", a)),
        reason: r.reason.clone(),
        dataset: r
            .dataset
            .as_deref()
            .map(|d| Link::new(d, back_to(&Target::Dataset(d.to_owned())))),
        votes: r.votes,
        votable: matches!(
            r.status,
            DataRequestStatus::Open | DataRequestStatus::Routed | DataRequestStatus::Accepted
        ),
    }
}

#[derive(Template)]
#[template(path = "data_requests.html")]
struct RequestsPage {
    c: Chrome,
    f: &'static FeedbackText,
    requests: Vec<RequestView>,
    next: Option<String>,
    sent: bool,
    voted: bool,
    problems: Vec<String>,
    typed_title: String,
    typed_description: String,
    typed_name: String,
    typed_email: String,
}

async fn requests_page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    problems: Vec<String>,
    form: Option<&FormData>,
) -> Result<Response, ApiError> {
    let f = feedback_texts::of(ctx.lang);
    let cursor = ctx.param("cursor").and_then(|c| c.parse().ok());
    let page = state.feedback.public_requests(cursor, 50).await?;
    let labels = Labels::load(state, ctx.lang, &["agencies"]).await;
    let typed = |k: &str| form.map(|f| f.value(k).to_owned()).unwrap_or_default();
    let page = RequestsPage {
        c: ctx.chrome(f.requests_title, ""),
        f,
        requests: page
            .items
            .iter()
            .map(|r| request_view(ctx, &labels, r))
            .collect(),
        next: page
            .next
            .map(|n| href("/data-requests", [("cursor", n.as_str())])),
        sent: ctx.param("sent") == Some("1"),
        voted: ctx.param("voted") == Some("1"),
        problems,
        typed_title: typed("title"),
        typed_description: typed("description"),
        typed_name: typed("name"),
        typed_email: typed("email"),
    };
    Ok(ctx.html(status, &page))
}

/// `GET /data-requests`: the public list with votes, and the form.
pub async fn requests(State(state): State<AppState>, ctx: Ctx) -> Response {
    let result = requests_page(&state, &ctx, StatusCode::OK, Vec::new(), None).await;
    ctx.respond(result)
}

/// `POST /data-requests`: the form.
pub async fn post_request(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddress(address): ClientAddress,
    body: Bytes,
) -> Response {
    let form = FormData::urlencoded(&body);
    let f = feedback_texts::of(ctx.lang);
    let opt = |k: &str| form.get(k).map(str::to_owned);
    let new = NewRequest {
        title: form.value("title").to_owned(),
        description: form.value("description").to_owned(),
        name: opt("name"),
        email: opt("email"),
        website: opt("website"),
    };
    let (status, problems) = match state
        .feedback
        .post_request(new, &client_hash(address))
        .await
    {
        Ok(Ok(_)) => return Redirect::to("/data-requests?sent=1#request-form").into_response(),
        Ok(Err(t)) => (
            StatusCode::TOO_MANY_REQUESTS,
            vec![f.too_many.replace("{}", &t.retry_after_secs.to_string())],
        ),
        Err(e) => {
            let e = ApiError::from(e);
            match problem_lines(f, &e) {
                Some(p) => (StatusCode::UNPROCESSABLE_ENTITY, p),
                None => return ctx.error(e),
            }
        }
    };
    let result = requests_page(&state, &ctx, status, problems, Some(&form)).await;
    ctx.respond(result)
}

/// `POST /data-requests/{id}/vote`.
pub async fn vote(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    ClientAddress(address): ClientAddress,
) -> Response {
    match state.feedback.vote(id, &client_hash(address)).await {
        Ok(Some(_)) => {
            Redirect::to(&format!("/data-requests?voted=1#request-{id}")).into_response()
        }
        Ok(None) => ctx.error(ApiError::NotFound("no such data request".into())),
        Err(registry::RegistryError::Conflict(_)) => {
            Redirect::to(&format!("/data-requests#request-{id}")).into_response()
        }
        Err(e) => ctx.error(e.into()),
    }
}
