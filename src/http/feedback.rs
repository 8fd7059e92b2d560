//! The JSON API of what the public sends and what the server tells back (issue 19): `/api/v1/feedback` (threads on
//! datasets and code lists), `/api/v1/data-requests`, `/api/v1/subscriptions` and `/api/v1/webhooks`. Thin: each
//! handler parses, calls one `crate::feedback` use case and maps the result. A refused anonymous submission is a
//! 422 problem naming the field; a burst is a 429 problem saying when to come back; nothing is stored either way.
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::openapi::{Listing, Problem};
use super::ratelimit::ClientAddress;
use super::{ApiError, ApiJson, ApiPath, ApiQuery, AppState, Caller};
use crate::feedback::guard::TooMany;
use crate::feedback::mail::{NewSubscription, Subscription};
use crate::feedback::requests::{DataRequest, NewRequest, RequestDecision};
use crate::feedback::threads::{NewFeedback, Thread};
use crate::feedback::webhooks::{Delivery, NewWebhook, RegisteredWebhook, Webhook};
use crate::feedback::{Page, Target, client_hash};

/// The routes (full paths).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/feedback", get(threads).post(post_feedback))
        .route("/api/v1/feedback/queue", get(feedback_queue))
        .route("/api/v1/feedback/{id}", get(thread))
        .route("/api/v1/feedback/{id}/moderate", post(moderate_feedback))
        .route("/api/v1/feedback/{id}/answer", post(answer_feedback))
        .route("/api/v1/feedback/{id}/close", post(close_feedback))
        .route("/api/v1/data-requests", get(requests).post(post_request))
        .route("/api/v1/data-requests/queue", get(request_queue))
        .route("/api/v1/data-requests/{id}", get(request))
        .route(
            "/api/v1/data-requests/{id}/moderate",
            post(moderate_request),
        )
        .route("/api/v1/data-requests/{id}/route", post(route_request))
        .route("/api/v1/data-requests/{id}/decide", post(decide_request))
        .route("/api/v1/data-requests/{id}/dataset", post(link_dataset))
        .route("/api/v1/data-requests/{id}/votes", post(vote))
        .route("/api/v1/subscriptions", post(subscribe))
        .route("/api/v1/subscriptions/confirm", post(confirm))
        .route("/api/v1/subscriptions/unsubscribe", post(unsubscribe))
        .route("/api/v1/webhooks", get(webhooks).post(register_webhook))
        .route("/api/v1/webhooks/{id}", get(webhook).delete(stop_webhook))
        .route("/api/v1/webhooks/{id}/deliveries", get(deliveries))
        .route(
            "/api/v1/webhooks/{id}/deliveries/{delivery}/resend",
            post(resend),
        )
}

/// The OpenAPI description of these routes, merged into the document.
#[derive(OpenApi)]
#[openapi(
    paths(
        threads, post_feedback, feedback_queue, thread, moderate_feedback, answer_feedback, close_feedback,
        requests, post_request, request_queue, request, moderate_request, route_request, decide_request,
        link_dataset, vote, subscribe, confirm, unsubscribe, webhooks, register_webhook, webhook, stop_webhook,
        deliveries, resend,
    ),
    tags(
        (name = "feedback", description = "Feedback on datasets and code lists, data requests, subscriptions"),
        (name = "webhooks", description = "Change-feed events POSTed to developers, signed with HMAC-SHA256"),
    )
)]
pub struct FeedbackApi;

/// The 429 of a burst: a problem saying how long to wait, with `Retry-After`.
pub fn too_many(t: TooMany) -> Response {
    let body = Problem {
        kind: "https://opendata.gov.vn/problems/too-many-submissions".into(),
        title: "Too Many Requests".into(),
        status: 429,
        code: "too-many-submissions".into(),
        detail: format!(
            "too many submissions from this address in a short time; nothing was stored; retry in {} s",
            t.retry_after_secs
        ),
        errors: vec![],
    };
    let mut r = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(t.retry_after_secs));
    r
}

fn found<T>(value: Option<T>, what: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::NotFound(format!("no {what}")))
}

/// Feedback as posted.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedbackBody {
    /// The dataset it is about (exactly one of `dataset` and `codeList`).
    #[serde(default)]
    dataset: Option<String>,
    /// The code list it is about.
    #[serde(default)]
    code_list: Option<String>,
    /// `question`, `error` or `suggestion`.
    kind: String,
    /// 10 to 4000 characters, at most 2 links.
    message: String,
    /// Your name, optional.
    #[serde(default)]
    name: Option<String>,
    /// Your e-mail address, optional: the answer is sent there, and it is never shown.
    #[serde(default)]
    email: Option<String>,
    /// Leave empty (a trap for robots).
    #[serde(default)]
    website: Option<String>,
}

/// Which threads.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// Threads on this dataset.
    dataset: Option<String>,
    /// Threads on this code list.
    code_list: Option<String>,
    /// A previous page's `next`.
    cursor: Option<i64>,
    /// Threads per page, 1 to 200 (default 50).
    limit: Option<i64>,
}

/// A page of cursor pagination.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// A previous page's `next`.
    cursor: Option<i64>,
    /// Records per page, 1 to 200 (default 50).
    limit: Option<i64>,
}

/// A moderator's decision.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Moderation {
    /// `approve` (made public) or `reject` (never shown).
    decision: ModerationDecision,
}

/// Approve or reject.
#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ModerationDecision {
    /// Made public.
    Approve,
    /// Never shown.
    Reject,
}

/// An answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// 2 to 8000 characters.
    answer: String,
}

/// Posts feedback on a published dataset or a code list, without an account; held for moderation.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback", request_body = FeedbackBody, responses(
    (status = 201, description = "stored, waiting for moderation", body = Thread),
    (status = 422, description = "refused, naming the field (length, links, e-mail, the honeypot `website`, an \
        unknown target); nothing stored", body = Problem, content_type = "application/problem+json"),
))]
pub async fn post_feedback(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<FeedbackBody>,
) -> Result<Response, ApiError> {
    let new = NewFeedback {
        dataset: body.dataset,
        code_list: body.code_list,
        kind: body.kind,
        message: body.message,
        name: body.name,
        email: body.email,
        website: body.website,
    };
    Ok(
        match state
            .feedback
            .post_feedback(new, &client_hash(address))
            .await?
        {
            Ok(thread) => (StatusCode::CREATED, Json(thread)).into_response(),
            Err(t) => too_many(t),
        },
    )
}

/// Public threads (open, answered, closed), newest first, on one dataset or code list or on everything.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback", params(ThreadQuery), responses(
    (status = 200, body = Page<Thread>),
))]
pub async fn threads(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ThreadQuery>,
) -> Result<Json<Page<Thread>>, ApiError> {
    let target = match (q.dataset, q.code_list) {
        (Some(d), _) => Some(Target::Dataset(d)),
        (None, Some(l)) => Some(Target::CodeList(l)),
        _ => None,
    };
    Ok(Json(
        state
            .feedback
            .public_threads(target.as_ref(), q.cursor, q.limit.unwrap_or(50))
            .await?,
    ))
}

/// One thread (pending and rejected ones only for those who may answer them).
#[utoipa::path(get, path = "/api/v1/feedback/{id}", tag = "feedback", params(("id" = i64, Path)), responses(
    (status = 200, body = Thread),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
pub async fn thread(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
) -> Result<Json<Thread>, ApiError> {
    let t = state.feedback.thread(id, caller.0.as_ref()).await?;
    Ok(Json(found(t, "such feedback")?))
}

/// The caller's queue: pending and open threads on what they may answer (their agency's datasets, their lists).
#[utoipa::path(get, path = "/api/v1/feedback/queue", tag = "feedback", security(("bearer" = [])), responses(
    (status = 200, body = Listing<Thread>),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn feedback_queue(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Listing<Thread>>, ApiError> {
    let p = caller.required()?;
    Ok(Listing::of(state.feedback.feedback_queue(&p).await?))
}

/// Moderates a pending thread: approved it is public, rejected it is never shown.
#[utoipa::path(post, path = "/api/v1/feedback/{id}/moderate", tag = "feedback", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Moderation, responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 200, body = Thread),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "not pending", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "the decision is not approve or reject", body = Problem,
        content_type = "application/problem+json"),
))]
pub async fn moderate_feedback(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
    ApiJson(body): ApiJson<Moderation>,
) -> Result<Json<Thread>, ApiError> {
    let p = caller.required()?;
    let approve = body.decision == ModerationDecision::Approve;
    let t = state.feedback.moderate_feedback(&p, id, approve).await?;
    Ok(Json(found(t, "such feedback")?))
}

/// Answers a thread (publishing it if it was pending); the author is e-mailed the answer if they left an address.
#[utoipa::path(post, path = "/api/v1/feedback/{id}/answer", tag = "feedback", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AnswerBody, responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 200, body = Thread),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "closed, answered or rejected", body = Problem,
        content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
pub async fn answer_feedback(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<Json<Thread>, ApiError> {
    let p = caller.required()?;
    let t = state.feedback.answer_feedback(&p, id, &body.answer).await?;
    Ok(Json(found(t, "such feedback")?))
}

/// Closes an open or answered thread.
#[utoipa::path(post, path = "/api/v1/feedback/{id}/close", tag = "feedback", security(("bearer" = [])),
    params(("id" = i64, Path)), responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 200, body = Thread),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
pub async fn close_feedback(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
) -> Result<Json<Thread>, ApiError> {
    let p = caller.required()?;
    let t = state.feedback.close_feedback(&p, id).await?;
    Ok(Json(found(t, "such feedback")?))
}

/// A data request as posted.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestBody {
    /// What data, 5 to 200 characters.
    title: String,
    /// Why and in what form, 10 to 4000 characters, at most 2 links.
    description: String,
    /// Your name, optional.
    #[serde(default)]
    name: Option<String>,
    /// Your e-mail address, optional: the decisions are sent there, and it is never shown.
    #[serde(default)]
    email: Option<String>,
    /// Leave empty (a trap for robots).
    #[serde(default)]
    website: Option<String>,
}

/// Asks for data that is not published, without an account; held for moderation.
#[utoipa::path(post, path = "/api/v1/data-requests", tag = "feedback", request_body = RequestBody, responses(
    (status = 201, description = "stored, waiting for moderation", body = DataRequest),
    (status = 422, description = "refused, naming the field; nothing stored", body = Problem,
        content_type = "application/problem+json"),
))]
pub async fn post_request(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<RequestBody>,
) -> Result<Response, ApiError> {
    let new = NewRequest {
        title: body.title,
        description: body.description,
        name: body.name,
        email: body.email,
        website: body.website,
    };
    Ok(
        match state
            .feedback
            .post_request(new, &client_hash(address))
            .await?
        {
            Ok(r) => (StatusCode::CREATED, Json(r)).into_response(),
            Err(t) => too_many(t),
        },
    )
}

/// The public list of data requests with their status and votes, newest first.
#[utoipa::path(get, path = "/api/v1/data-requests", tag = "feedback", params(PageQuery), responses(
    (status = 200, body = Page<DataRequest>),
))]
pub async fn requests(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<DataRequest>>, ApiError> {
    Ok(Json(
        state
            .feedback
            .public_requests(q.cursor, q.limit.unwrap_or(50))
            .await?,
    ))
}

/// One data request.
#[utoipa::path(get, path = "/api/v1/data-requests/{id}", tag = "feedback", params(("id" = i64, Path)),
    responses(
    (status = 200, body = DataRequest),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
pub async fn request(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
) -> Result<Json<DataRequest>, ApiError> {
    let r = state.feedback.request(id, caller.0.as_ref()).await?;
    Ok(Json(found(r, "such data request")?))
}

/// What waits for the caller: an admin moderates and routes, an agency decides and links.
#[utoipa::path(get, path = "/api/v1/data-requests/queue", tag = "feedback", security(("bearer" = [])),
    responses(
    (status = 200, body = Listing<DataRequest>),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn request_queue(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Listing<DataRequest>>, ApiError> {
    let p = caller.required()?;
    Ok(Listing::of(state.feedback.request_queue(&p).await?))
}

/// An admin moderates a pending data request.
#[utoipa::path(post, path = "/api/v1/data-requests/{id}/moderate", tag = "feedback", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Moderation, responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 200, body = DataRequest),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
pub async fn moderate_request(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
    ApiJson(body): ApiJson<Moderation>,
) -> Result<Json<DataRequest>, ApiError> {
    let p = caller.required()?;
    let approve = body.decision == ModerationDecision::Approve;
    let r = state.feedback.moderate_request(&p, id, approve).await?;
    Ok(Json(found(r, "such data request")?))
}

/// Where a request goes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteBody {
    /// An agency code of the registry.
    agency: String,
}

/// An admin routes a data request to an agency.
#[utoipa::path(post, path = "/api/v1/data-requests/{id}/route", tag = "feedback", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RouteBody, responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 200, body = DataRequest),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
pub async fn route_request(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
    ApiJson(body): ApiJson<RouteBody>,
) -> Result<Json<DataRequest>, ApiError> {
    let p = caller.required()?;
    let r = state.feedback.route_request(&p, id, &body.agency).await?;
    Ok(Json(found(r, "such data request")?))
}

/// An agency's decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `accept` or `decline`.
    decision: RequestDecision,
    /// Why it is declined (required then).
    #[serde(default)]
    reason: Option<String>,
}

/// The agency the request is routed to accepts it, or declines it with a reason.
#[utoipa::path(post, path = "/api/v1/data-requests/{id}/decide", tag = "feedback", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionBody, responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 200, body = DataRequest),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
pub async fn decide_request(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<DataRequest>, ApiError> {
    let p = caller.required()?;
    let r = state
        .feedback
        .decide_request(&p, id, body.decision, body.reason.as_deref())
        .await?;
    Ok(Json(found(r, "such data request")?))
}

/// The dataset that answers a request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetBody {
    /// A dataset published by the agency.
    dataset: String,
}

/// The agency links the published dataset that answers an accepted request.
#[utoipa::path(post, path = "/api/v1/data-requests/{id}/dataset", tag = "feedback", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DatasetBody, responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 200, body = DataRequest),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
pub async fn link_dataset(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
    ApiJson(body): ApiJson<DatasetBody>,
) -> Result<Json<DataRequest>, ApiError> {
    let p = caller.required()?;
    let r = state.feedback.link_dataset(&p, id, &body.dataset).await?;
    Ok(Json(found(r, "such data request")?))
}

/// The votes of a request.
#[derive(Serialize, ToSchema)]
pub struct Votes {
    /// Votes now.
    votes: i64,
}

/// One vote for a public data request, once per client address.
#[utoipa::path(post, path = "/api/v1/data-requests/{id}/votes", tag = "feedback", params(("id" = i64, Path)),
    responses(
    (status = 200, body = Votes),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "voted already, or decided", body = Problem,
        content_type = "application/problem+json"),
))]
pub async fn vote(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ClientAddress(address): ClientAddress,
) -> Result<Json<Votes>, ApiError> {
    let votes = state.feedback.vote(id, &client_hash(address)).await?;
    Ok(Json(Votes {
        votes: found(votes, "such data request")?,
    }))
}

/// A subscription as asked.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionBody {
    /// The address to notify (a confirmation link is sent there first).
    email: String,
    /// Watch a dataset (exactly one of `dataset`, `codeList`, `agency`).
    #[serde(default)]
    dataset: Option<String>,
    /// Watch a code list.
    #[serde(default)]
    code_list: Option<String>,
    /// Watch an agency's datasets.
    #[serde(default)]
    agency: Option<String>,
    /// Leave empty (a trap for robots).
    #[serde(default)]
    website: Option<String>,
}

/// Subscribes an address to a dataset, a code list or an agency; notices start once the mailed link is followed.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "feedback", request_body = SubscriptionBody,
    responses(
    (status = 202, description = "a confirmation link was mailed", body = Subscription),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
pub async fn subscribe(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<SubscriptionBody>,
) -> Result<Response, ApiError> {
    let new = NewSubscription {
        email: body.email,
        dataset: body.dataset,
        code_list: body.code_list,
        agency: body.agency,
        website: body.website,
    };
    Ok(
        match state.feedback.subscribe(new, &client_hash(address)).await? {
            Ok(s) => (StatusCode::ACCEPTED, Json(s)).into_response(),
            Err(t) => too_many(t),
        },
    )
}

/// The token of a confirmation or unsubscribe link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// As in the mailed link.
    token: String,
}

/// Confirms a subscription (the mailed link's token).
#[utoipa::path(post, path = "/api/v1/subscriptions/confirm", tag = "feedback", request_body = TokenBody,
    responses(
    (status = 200, body = Subscription),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
pub async fn confirm(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<Subscription>, ApiError> {
    let s = state.feedback.confirm(&body.token).await?;
    Ok(Json(found(s, "subscription with this token")?))
}

/// Ends a subscription (the token of a notice's unsubscribe link).
#[utoipa::path(post, path = "/api/v1/subscriptions/unsubscribe", tag = "feedback", request_body = TokenBody,
    responses(
    (status = 204, description = "ended"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<StatusCode, ApiError> {
    if state.feedback.unsubscribe(&body.token).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no subscription with this token".into()))
    }
}

/// Registers a webhook (any API token): change-feed events from now on are POSTed to it, signed.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = NewWebhook, responses(
    (status = 201, description = "registered; the secret is shown this once", body = RegisteredWebhook),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
pub async fn register_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<(StatusCode, Json<RegisteredWebhook>), ApiError> {
    let p = caller.required()?;
    let hook = state.feedback.register_webhook(&p, body).await?;
    Ok((StatusCode::CREATED, Json(hook)))
}

/// The caller's webhooks (an admin's: every one).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), responses(
    (status = 200, body = Listing<Webhook>),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn webhooks(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Listing<Webhook>>, ApiError> {
    let p = caller.required()?;
    Ok(Listing::of(state.feedback.webhooks(&p).await?))
}

/// One webhook of the caller's.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)), responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 200, body = Webhook),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
pub async fn webhook(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
) -> Result<Json<Webhook>, ApiError> {
    let p = caller.required()?;
    Ok(Json(found(
        state.feedback.webhook(&p, id).await?,
        "such webhook",
    )?))
}

/// Stops a webhook of the caller's; its delivery log stays.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)), responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 204, description = "stopped"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
pub async fn stop_webhook(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    let p = caller.required()?;
    if state.feedback.stop_webhook(&p, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such webhook".into()))
    }
}

/// A webhook's delivery log, newest first, each delivery with its attempts.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path), PageQuery), responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 200, body = Page<Delivery>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
pub async fn deliveries(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
    caller: Caller,
) -> Result<Json<Page<Delivery>>, ApiError> {
    let p = caller.required()?;
    let page = state
        .feedback
        .deliveries(&p, id, q.cursor, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(found(page, "such webhook")?))
}

/// Sends a delivery again at the next tick.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery}/resend", tag = "webhooks",
    security(("bearer" = [])), params(("id" = i64, Path), ("delivery" = i64, Path)), responses(
    (status = 401, description = "no valid token", body = Problem, content_type = "application/problem+json"),
    (status = 202, description = "queued again"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "the webhook is stopped", body = Problem,
        content_type = "application/problem+json"),
))]
pub async fn resend(
    State(state): State<AppState>,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    let p = caller.required()?;
    if state.feedback.resend(&p, id, delivery).await? {
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(ApiError::NotFound("no such delivery".into()))
    }
}
