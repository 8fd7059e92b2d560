//! The approvers' pages: the queue of submitted datasets, each with its diff since the last published revision and
//! the publish and return forms; the agency page where the yearly open-data list is issued and the open-data plan is
//! edited. Same checks as the catalog API: an approver acts on their own agency only.
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use catalog::agency::PlanItem;
use catalog::model::WorkflowStatus;
use catalog::store::{Actor, DatasetQuery, diff_fields};

use super::publisher::transition;
use super::session::{Posted, SignedIn};
use super::texts::ManageText;
use super::{DiffRow, Frame, parts, render, see};
use crate::accounts::Principal;
use crate::http::pages::{Chrome, Ctx, Link, Txt};
use crate::http::{ApiError, AppState};

#[derive(Template)]
#[template(path = "manage_queue.html")]
struct QueuePage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    entries: Vec<QueueEntry>,
}

struct QueueEntry {
    id: String,
    /// The revision reviewed (sent back with the decision).
    revision: i64,
    link: Link,
    submitted_by: String,
    never_published: bool,
    rows: Vec<DiffRow>,
}

/// The agency whose datasets `p` approves: `None` for an admin (every agency), refused for other roles.
fn approver_agency(p: &Principal) -> Result<Option<String>, ApiError> {
    Ok(p.curator().review_scope()?.map(str::to_owned))
}

/// `GET /manage/queue`: submitted datasets with what changed since their published revision.
pub async fn queue(State(state): State<AppState>, ctx: Ctx, me: SignedIn) -> Response {
    let result = async {
        let agency = approver_agency(&me.principal)?;
        let page = state
            .catalog
            .list(&DatasetQuery {
                publisher: agency,
                status: Some(WorkflowStatus::Submitted),
                public: false,
                limit: 200,
                ..DatasetQuery::default()
            })
            .await?;
        let mut entries = Vec::new();
        for d in page.items {
            let after = serde_json::to_value(&d.content).expect("content serializes");
            let before = match d.published_revision {
                Some(n) => serde_json::to_value(state.catalog.revision(&d.id, n).await?)
                    .expect("content serializes"),
                None => serde_json::json!({}),
            };
            let submitted_by = state
                .catalog
                .revisions(&d.id)
                .await?
                .last()
                .map(|r| r.author.clone())
                .unwrap_or_default();
            entries.push(QueueEntry {
                link: Link::new(
                    Txt::pick(ctx.lang, &d.content.title, &d.id).text,
                    format!("/manage/datasets/{}", d.id),
                ),
                revision: d.current_revision,
                id: d.id,
                submitted_by,
                never_published: d.published_revision.is_none(),
                rows: DiffRow::from_catalog(&diff_fields(&before, &after)),
            });
        }
        let (c, m, f) = parts(&ctx, &me, super::texts::of(ctx.lang).queue, "queue");
        Ok(render(&ctx, &QueuePage { c, m, f, entries }))
    }
    .await;
    ctx.respond(result)
}

/// `POST /manage/datasets/{id}/publish`.
pub async fn publish(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    transition(
        &state,
        &ctx,
        posted,
        &id,
        catalog::Transition::Publish,
        "/manage/queue",
    )
    .await
}

/// `POST /manage/datasets/{id}/return`: back to the publisher, with a reason.
pub async fn return_(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    transition(
        &state,
        &ctx,
        posted,
        &id,
        catalog::Transition::Return,
        "/manage/queue",
    )
    .await
}

/// `POST /manage/datasets/{id}/withdraw`: no longer public (its address answers 410 with the metadata), with a reason.
pub async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let to = format!("/manage/datasets/{id}");
    transition(
        &state,
        &ctx,
        posted,
        &id,
        catalog::Transition::Withdraw,
        &to,
    )
    .await
}

#[derive(Template)]
#[template(path = "manage_agency.html")]
struct AgencyPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    agency: String,
    year: i32,
    published: Vec<Link>,
    lists: Vec<Link>,
    plan: Vec<PlanRow>,
}

struct PlanRow {
    id: String,
    title: String,
    target: String,
    dataset: String,
    state: &'static str,
}

/// The approver's own agency: the yearly list and the plan are an agency's, so an admin has none here.
fn own_agency(p: &Principal) -> Result<String, ApiError> {
    approver_agency(p)?.ok_or_else(|| {
        ApiError::Forbidden("only an agency's approver issues its open-data list".into())
    })
}

/// `GET /manage/agency`: the yearly open-data lists and the plan of the approver's agency.
pub async fn agency(State(state): State<AppState>, ctx: Ctx, me: SignedIn) -> Response {
    let result = async {
        let agency = own_agency(&me.principal)?;
        let m = super::texts::of(ctx.lang);
        let published = state
            .catalog
            .list(&DatasetQuery {
                publisher: Some(agency.clone()),
                public: true,
                limit: 1000,
                ..DatasetQuery::default()
            })
            .await?
            .items
            .into_iter()
            .map(|d| Link::new(Txt::pick(ctx.lang, &d.content.title, &d.id).text, d.id))
            .collect();
        let lists = state
            .catalog
            .open_data_lists(&agency)
            .await?
            .into_iter()
            .rev()
            .map(|l| {
                Link::new(
                    format!(
                        "{} {} · {} {} · {}",
                        m.year,
                        l.year,
                        ctx.t().list_number,
                        l.number,
                        ctx.lang.day_of(&l.issued_at)
                    ),
                    format!(
                        "/api/v1/agencies/{agency}/open-data-lists/{}/{}",
                        l.year, l.number
                    ),
                )
            })
            .collect();
        let plan = state
            .catalog
            .plan(&agency)
            .await?
            .items
            .into_iter()
            .map(|e| PlanRow {
                title: Txt::pick(ctx.lang, &e.item.title, &e.id).text,
                target: ctx.lang.date(e.item.target_date),
                dataset: e.item.dataset.clone().unwrap_or_default(),
                state: ctx.lang.plan_state(e.published, e.overdue, &e.item.status),
                id: e.id,
            })
            .collect();
        let (c, m, f) = parts(&ctx, &me, m.open_data_list, "agency");
        let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
        Ok(render(
            &ctx,
            &AgencyPage {
                c,
                m,
                f,
                agency,
                year,
                published,
                lists,
                plan,
            },
        ))
    }
    .await;
    ctx.respond(result)
}

fn year_of(text: Option<&str>) -> Result<i64, ApiError> {
    text.and_then(|y| y.parse().ok()).ok_or_else(|| {
        ApiError::Unprocessable(vec![registry::InputProblem::field("year", "a year")])
    })
}

/// `POST /manage/agency/open-data-lists`: issues the yearly list of the chosen published datasets.
pub async fn issue_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Posted { me, form }: Posted,
) -> Response {
    let result = async {
        let agency = own_agency(&me.principal)?;
        let title = Some(form.lang_text("title")).filter(|t| t.vi.is_some());
        state
            .catalog
            .issue_open_data_list(
                &agency,
                year_of(form.get("year"))?,
                title,
                &form.all("datasets"),
                &Actor {
                    name: &me.principal.name,
                },
            )
            .await?;
        Ok(see("/manage/agency"))
    }
    .await;
    ctx.respond(result.map_err(super::problems_shown))
}

/// `POST /manage/agency/plan`: adds or replaces a plan item.
pub async fn put_plan_item(
    State(state): State<AppState>,
    ctx: Ctx,
    Posted { me, form }: Posted,
) -> Response {
    let result = async {
        let agency = own_agency(&me.principal)?;
        let target_date = form
            .get("target_date")
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| {
                ApiError::Unprocessable(vec![registry::InputProblem::field(
                    "targetDate",
                    "a date (YYYY-MM-DD)",
                )])
            })?;
        let item = PlanItem {
            title: form.lang_text("title"),
            target_date,
            dataset: form.get("dataset").map(str::to_owned),
            status: form.get("status").unwrap_or("planned").to_owned(),
            note: None,
        };
        state
            .catalog
            .put_plan_item(
                &agency,
                form.get("item").unwrap_or(""),
                item,
                &Actor {
                    name: &me.principal.name,
                },
            )
            .await?;
        Ok(see("/manage/agency"))
    }
    .await;
    ctx.respond(result.map_err(super::problems_shown))
}
