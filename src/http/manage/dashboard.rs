//! `/manage`: what needs the signed-in person — change requests of others to review (stewards), datasets returned or
//! still in draft and codes superseded under published datasets (publishers), datasets waiting for approval
//! (approvers).
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use catalog::model::WorkflowStatus;
use catalog::store::DatasetQuery;
use registry::model::RequestStatus;

use super::session::SignedIn;
use super::texts::ManageText;
use super::{Frame, parts, render};
use crate::http::pages::{Chrome, Ctx, Link};
use crate::http::{ApiError, AppState};

#[derive(Template)]
#[template(path = "manage_dashboard.html")]
struct DashboardPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    reviews: Vec<Review>,
    steward: bool,
    returned: Vec<DatasetLine>,
    drafts: Vec<DatasetLine>,
    publisher: bool,
    submitted: Vec<DatasetLine>,
    approver: bool,
    attention: Vec<Attention>,
    q: &'static crate::http::pages::quality::QualityText,
    broken: Vec<BrokenLine>,
}

/// A link of the agency's datasets whose latest check failed.
struct BrokenLine {
    link: Link,
    distribution: String,
    url: String,
    outcome: String,
    since: String,
}

struct Review {
    link: Link,
    list: String,
    reason: String,
    proposed_by: String,
}

/// A dataset in a list of the dashboard.
pub struct DatasetLine {
    /// Title linking to its form.
    pub link: Link,
    /// Why it was returned, if it was.
    pub note: String,
}

struct Attention {
    link: Link,
    codes: Vec<String>,
}

/// `GET /manage`.
pub async fn page(State(state): State<AppState>, ctx: Ctx, me: SignedIn) -> Response {
    let result = build(&state, &ctx, &me).await;
    ctx.respond(result)
}

/// The agency's datasets in one workflow state, as dashboard lines.
pub async fn datasets_in(
    state: &AppState,
    agency: Option<&str>,
    status: WorkflowStatus,
) -> Result<Vec<DatasetLine>, ApiError> {
    let page = state
        .catalog
        .list(&DatasetQuery {
            publisher: agency.map(str::to_owned),
            status: Some(status),
            public: false,
            limit: 200,
            ..DatasetQuery::default()
        })
        .await?;
    Ok(page
        .items
        .into_iter()
        .map(|d| DatasetLine {
            link: Link::new(
                d.content.title.vi.clone().unwrap_or_else(|| d.id.clone()),
                format!("/manage/datasets/{}", d.id),
            ),
            note: d.status_reason.unwrap_or_default(),
        })
        .collect())
}

async fn build(state: &AppState, ctx: &Ctx, me: &SignedIn) -> Result<Response, ApiError> {
    let p = &me.principal;
    let (c, m, f) = parts(ctx, me, texts_title(ctx), "dashboard");
    let curator = p.curator();
    let steward = p.curates_lists();
    let publisher = curator.creates_datasets();
    let approver = curator.review_scope().is_ok();
    let mut reviews = Vec::new();
    if steward {
        for list in state.registry.lists().await? {
            let id = list.meta.id.to_string();
            if !p.may_curate(&id) {
                continue;
            }
            for r in state
                .registry
                .change_requests(&id, Some(RequestStatus::Proposed))
                .await?
            {
                if r.proposed_by == p.name {
                    continue;
                }
                reviews.push(Review {
                    link: Link::new(
                        format!("{} #{}", m.request, r.id),
                        format!("/manage/lists/{id}/change-requests/{}", r.id),
                    ),
                    list: id.clone(),
                    reason: r.reason,
                    proposed_by: r.proposed_by,
                });
            }
        }
    }
    // An admin sees every agency's; the others their own.
    let agency = curator.workspace().unwrap_or(p.agency.as_deref());
    let (mut returned, mut drafts, mut attention) = (Vec::new(), Vec::new(), Vec::new());
    if publisher {
        returned = datasets_in(state, agency, WorkflowStatus::Returned).await?;
        drafts = datasets_in(state, agency, WorkflowStatus::Draft).await?;
        for entry in state.catalog.needs_attention().await? {
            if agency.is_some_and(|a| entry.publisher != a) {
                continue;
            }
            let id = entry.dataset.as_str();
            let codes = entry
                .codes
                .iter()
                .map(|c| {
                    format!(
                        "{} {} ({}){}",
                        c.list,
                        c.code,
                        c.status,
                        if c.current_successors.is_empty() {
                            String::new()
                        } else {
                            format!(": {} {}", m.attention_use, c.current_successors.join(", "))
                        }
                    )
                })
                .collect();
            attention.push(Attention {
                link: Link::new(id, format!("/manage/datasets/{id}")),
                codes,
            });
        }
    }
    let mut broken = Vec::new();
    if publisher {
        for b in state.catalog.broken_links(agency).await? {
            let id = b.dataset.as_str();
            broken.push(BrokenLine {
                link: Link::new(id, format!("/manage/datasets/{id}")),
                distribution: b.distribution.clone(),
                url: b.check.url.clone(),
                outcome: match (b.check.status, &b.check.error) {
                    (Some(status), _) => format!("HTTP {status}"),
                    (None, Some(error)) => error.clone(),
                    (None, None) => String::new(),
                },
                since: b.broken_since.chars().take(10).collect(),
            });
        }
    }
    let submitted = if approver {
        datasets_in(state, agency, WorkflowStatus::Submitted).await?
    } else {
        Vec::new()
    };
    let page = DashboardPage {
        c,
        m,
        f,
        reviews,
        steward,
        returned,
        drafts,
        publisher,
        submitted,
        approver,
        attention,
        q: crate::http::pages::quality::text(ctx.lang),
        broken,
    };
    Ok(render(ctx, &page))
}

fn texts_title(ctx: &Ctx) -> &'static str {
    super::texts::of(ctx.lang).dashboard
}
