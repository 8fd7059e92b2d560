//! The stewards' pages: their code lists, a change proposal (add, rename, supersede with successors, retire, each with
//! its legal basis), a CSV import previewed before it becomes a change request, the review of others' requests with a
//! readable diff, and releases with their diff against the previous one ([`import`] and [`releases`] hold the last two).
//! Same rule as the registry API, the registry's own ([`registry::Steward`]): a steward acts on the lists of their
//! scope, and never approves their own request (the registry refuses it).
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use registry::model::{ChangeInput, LangText, RequestStatus};
use registry::plan::{ChangeKind, Plan};
use registry::store::ItemQuery;
use serde_json::{Map, Value, json};

use super::form::FormData;
use super::session::{Posted, SignedIn};
use super::texts::ManageText;
use super::{DiffRow, Frame, form_again, parts, readable, render, render_problems, see};
use crate::http::pages::{Chrome, Ctx, Link, Txt};
use crate::http::{ApiError, AppState};

mod import;
mod releases;

pub use import::{import_form, import_preview, import_submit};
pub use releases::{issue_release, release};

fn list_title(ctx: &Ctx, title: &LangText, id: &str) -> Txt {
    Txt::pick(ctx.lang, title, id)
}

fn request_status(m: &ManageText, status: RequestStatus) -> (&'static str, &'static str) {
    match status {
        RequestStatus::Proposed => (m.req_proposed, "status-pending"),
        RequestStatus::Approved => (m.req_approved, "status-valid"),
        RequestStatus::Rejected => (m.req_rejected, "status-closed"),
    }
}

#[derive(Template)]
#[template(path = "manage_lists.html")]
struct ListsPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    lists: Vec<ListRow>,
}

struct ListRow {
    link: Link,
    title: Txt,
    items: i64,
    proposed: usize,
    release: String,
}

/// `GET /manage/lists`: the lists the steward curates.
pub async fn lists(State(state): State<AppState>, ctx: Ctx, me: SignedIn) -> Response {
    let result = async {
        let mut rows = Vec::new();
        for l in state.registry.lists().await? {
            let id = l.meta.id.to_string();
            if !me.principal.may_curate(&id) {
                continue;
            }
            let proposed = state
                .registry
                .change_requests(&id, Some(RequestStatus::Proposed))
                .await?
                .len();
            rows.push(ListRow {
                link: Link::new(id.clone(), format!("/manage/lists/{id}")),
                title: list_title(&ctx, &l.meta.title, &id),
                items: l.item_counts.values().sum(),
                proposed,
                release: l.latest_release.map(|n| n.to_string()).unwrap_or_default(),
            });
        }
        let (c, m, f) = parts(&ctx, &me, super::texts::of(ctx.lang).my_lists, "lists");
        Ok(render(
            &ctx,
            &ListsPage {
                c,
                m,
                f,
                lists: rows,
            },
        ))
    }
    .await;
    ctx.respond(result)
}

#[derive(Template)]
#[template(path = "manage_list.html")]
struct ListPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    id: String,
    title: Txt,
    q: String,
    items: Vec<ItemRow>,
    more: bool,
    requests: Vec<RequestRow>,
    releases: Vec<Link>,
}

struct ItemRow {
    code: String,
    label: Txt,
    status: &'static str,
}

struct RequestRow {
    link: Link,
    status: (&'static str, &'static str),
    reason: String,
    proposed_by: String,
}

/// `GET /manage/lists/{list}`: items (filtered), change requests, releases.
pub async fn list(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ctx: Ctx,
    me: SignedIn,
) -> Response {
    let result = async {
        me.principal.steward().authorize(&list)?;
        let summary = state.registry.list(&list).await?;
        let q = ctx.param("q").unwrap_or("").trim().to_owned();
        let page = state
            .registry
            .items(
                &list,
                &ItemQuery {
                    text: (!q.is_empty()).then(|| q.clone()),
                    limit: 50,
                    ..ItemQuery::default()
                },
            )
            .await?;
        let m = super::texts::of(ctx.lang);
        let items = page
            .items
            .iter()
            .map(|i| ItemRow {
                code: i.data.code.clone(),
                label: Txt::pick(ctx.lang, &i.data.labels, &i.data.code),
                status: ctx.lang.registered_status(i.data.status.as_str()),
            })
            .collect();
        let requests = state
            .registry
            .change_requests(&list, None)
            .await?
            .into_iter()
            .map(|r| RequestRow {
                link: Link::new(
                    format!("#{}", r.id),
                    format!("/manage/lists/{list}/change-requests/{}", r.id),
                ),
                status: request_status(m, r.status),
                reason: r.reason,
                proposed_by: r.proposed_by,
            })
            .collect();
        let releases = state
            .registry
            .releases(&list)
            .await?
            .iter()
            .rev()
            .map(|r| {
                Link::new(
                    format!(
                        "{} {} · {}",
                        m.release,
                        r.number,
                        ctx.lang.day_of(&r.created_at)
                    ),
                    format!("/manage/lists/{list}/releases/{}", r.number),
                )
            })
            .collect();
        let title = list_title(&ctx, &summary.meta.title, &list);
        let (c, m, f) = parts(&ctx, &me, title.text.clone(), "lists");
        Ok(render(
            &ctx,
            &ListPage {
                c,
                m,
                f,
                id: list,
                title,
                q,
                items,
                more: page.next.is_some(),
                requests,
                releases,
            },
        ))
    }
    .await;
    ctx.respond(result)
}

#[derive(Template)]
#[template(path = "manage_propose.html")]
struct ProposePage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    id: String,
    title: Txt,
    form: FormData,
    problems: Vec<String>,
}

async fn propose_page(
    state: &AppState,
    ctx: &Ctx,
    me: &SignedIn,
    list: &str,
    form: FormData,
    problems: Vec<String>,
) -> Result<Response, ApiError> {
    me.principal.steward().authorize(list)?;
    let meta = state.registry.meta(list).await?;
    let title = list_title(ctx, &meta.title, list);
    let (c, m, f) = parts(ctx, me, m_propose(ctx), "lists");
    let page = ProposePage {
        c,
        m,
        f,
        id: list.to_owned(),
        title,
        form,
        problems: problems.clone(),
    };
    Ok(if problems.is_empty() {
        render(ctx, &page)
    } else {
        render_problems(ctx, &page)
    })
}

fn m_propose(ctx: &Ctx) -> &'static str {
    super::texts::of(ctx.lang).propose
}

/// `GET /manage/lists/{list}/propose`.
pub async fn propose_form(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ctx: Ctx,
    me: SignedIn,
) -> Response {
    let form = FormData::urlencoded(ctx.query_string().as_bytes());
    let result = propose_page(&state, &ctx, &me, &list, form, vec![]).await;
    ctx.respond(result)
}

/// The change a proposal form describes, in the API's wire form so that the registry checks it the same way.
fn change_from_form(form: &FormData) -> Value {
    // The named form fields that are filled, as a JSON object.
    let object = |pairs: &[(&str, &str)]| -> Map<String, Value> {
        pairs
            .iter()
            .filter_map(|(field, key)| form.get(key).map(|v| ((*field).to_owned(), json!(v))))
            .collect()
    };
    let legal = object(&[
        ("decision", "legal_decision"),
        ("date", "legal_date"),
        ("issuer", "legal_issuer"),
    ]);
    let legal = (!legal.is_empty()).then_some(Value::Object(legal));
    let op = form.get("op").unwrap_or("add");
    // What an added item is, and what a modification sets.
    let mut fields = object(&[("parent", "parent"), ("validFrom", "valid_from")]);
    let labels = object(&[("vi", "label_vi"), ("en", "label_en")]);
    if op == "add" || !labels.is_empty() {
        fields.insert("labels".into(), Value::Object(labels));
    }
    if let Some(l) = &legal {
        fields.insert("legalBasis".into(), l.clone());
    }
    let code = json!(form.get("code").unwrap_or(""));
    let mut change = Map::new();
    change.insert("op".into(), json!(op));
    match op {
        "add" => {
            fields.insert("code".into(), code);
            change.insert("item".into(), Value::Object(fields));
        }
        "modify" => {
            change.insert("code".into(), code);
            change.insert("set".into(), Value::Object(fields));
        }
        _ => {
            change.insert("code".into(), code);
            if op == "supersede" {
                change.insert("successors".into(), json!(form.list("successors")));
            }
            if let Some(v) = form.get("valid_to") {
                change.insert("validTo".into(), json!(v));
            }
            if let Some(l) = legal {
                change.insert("legalBasis".into(), l);
            }
        }
    }
    Value::Object(change)
}

/// `POST /manage/lists/{list}/propose`: the form becomes a change request.
pub async fn propose(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ctx: Ctx,
    Posted { me, form }: Posted,
) -> Response {
    let attempt = async {
        me.principal.steward().authorize(&list)?;
        let input: ChangeInput =
            crate::http::parse_json(change_from_form(&form).to_string().as_bytes())?;
        let change = input
            .into_change("changes/0")
            .map_err(ApiError::Unprocessable)?;
        let request = state
            .registry
            .propose(
                &me.principal.steward(),
                &list,
                vec![change],
                form.get("reason").unwrap_or(""),
            )
            .await?;
        Ok::<_, ApiError>(request.id)
    }
    .await;
    match attempt {
        Ok(id) => see(&format!("/manage/lists/{list}/change-requests/{id}")),
        Err(e) => {
            form_again(&ctx, e, |problems| {
                propose_page(&state, &ctx, &me, &list, form, problems)
            })
            .await
        }
    }
}

/// One planned change, for people.
struct PlannedRow {
    code: String,
    kind: &'static str,
    line: String,
    fields: Vec<DiffRow>,
}

fn kind_label(m: &ManageText, kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Add => m.added,
        ChangeKind::Modify => m.changed,
        ChangeKind::Supersede => m.superseded,
        ChangeKind::Retire => m.retired,
    }
}

fn planned_rows(m: &ManageText, plan: &Plan) -> Vec<PlannedRow> {
    plan.changes
        .iter()
        .map(|c| {
            let fields = if c.fields.is_empty() {
                // An added item: every field is new.
                match serde_json::to_value(&c.after) {
                    Ok(Value::Object(map)) => map
                        .iter()
                        .map(|(k, v)| DiffRow {
                            field: k.clone(),
                            before: readable(None),
                            after: readable(Some(v)),
                        })
                        .collect(),
                    _ => vec![],
                }
            } else {
                c.fields.iter().map(DiffRow::from_field).collect()
            };
            PlannedRow {
                code: c.code.clone(),
                kind: kind_label(m, c.kind),
                line: c.line.map(|l| l.to_string()).unwrap_or_default(),
                fields,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "manage_request.html")]
struct RequestPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    id: String,
    number: i64,
    status: (&'static str, &'static str),
    open: bool,
    own: bool,
    reason: String,
    proposed_by: String,
    proposed_at: String,
    decided_by: String,
    decision_reason: String,
    rows: Vec<PlannedRow>,
    problems: Vec<String>,
}

async fn request_page(
    state: &AppState,
    ctx: &Ctx,
    me: &SignedIn,
    list: &str,
    id: i64,
    problems: Vec<String>,
) -> Result<Response, ApiError> {
    me.principal.steward().authorize(list)?;
    let request = state.registry.change_request(id).await?;
    if request.list != list {
        return Err(registry::RegistryError::ChangeRequestNotFound(id).into());
    }
    let m = super::texts::of(ctx.lang);
    let open = request.status == RequestStatus::Proposed;
    let rows = if open {
        match state.registry.preview(list, &request.changes).await {
            Ok(plan) => planned_rows(m, &plan),
            Err(_) => vec![],
        }
    } else {
        vec![]
    };
    let (c, m, f) = parts(ctx, me, format!("{} #{id}", m.request), "lists");
    let page = RequestPage {
        c,
        m,
        f,
        id: list.to_owned(),
        number: id,
        status: request_status(m, request.status),
        open,
        own: request.proposed_by == me.principal.name,
        reason: request.reason,
        proposed_by: request.proposed_by,
        proposed_at: ctx.lang.day_of(&request.proposed_at),
        decided_by: request.decided_by.unwrap_or_default(),
        decision_reason: request.decision_reason.unwrap_or_default(),
        rows,
        problems: problems.clone(),
    };
    Ok(if problems.is_empty() {
        render(ctx, &page)
    } else {
        render_problems(ctx, &page)
    })
}

/// `GET /manage/lists/{list}/change-requests/{id}`: the request with what it would change, and the decision forms.
pub async fn request(
    State(state): State<AppState>,
    Path((list, id)): Path<(String, i64)>,
    ctx: Ctx,
    me: SignedIn,
) -> Response {
    let result = request_page(&state, &ctx, &me, &list, id, vec![]).await;
    ctx.respond(result)
}

async fn decide(
    state: AppState,
    list: String,
    id: i64,
    ctx: Ctx,
    posted: Posted,
    approve: bool,
) -> Response {
    let Posted { me, form } = posted;
    let attempt = async {
        state
            .registry
            .decide(
                &me.principal.steward(),
                &list,
                id,
                approve,
                form.get("reason"),
            )
            .await?;
        Ok::<_, ApiError>(())
    }
    .await;
    match attempt {
        Ok(()) => see(&format!("/manage/lists/{list}/change-requests/{id}")),
        Err(e) => {
            form_again(&ctx, e, |problems| {
                request_page(&state, &ctx, &me, &list, id, problems)
            })
            .await
        }
    }
}

/// `POST .../change-requests/{id}/approve`.
pub async fn approve(
    State(state): State<AppState>,
    Path((list, id)): Path<(String, i64)>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    decide(state, list, id, ctx, posted, true).await
}

/// `POST .../change-requests/{id}/reject`.
pub async fn reject(
    State(state): State<AppState>,
    Path((list, id)): Path<(String, i64)>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    decide(state, list, id, ctx, posted, false).await
}
