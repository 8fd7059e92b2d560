//! The stewards' pages: their code lists, a change proposal (add, rename, supersede with successors, retire, each with
//! its legal basis), a CSV import previewed before it becomes a change request, the review of others' requests with a
//! readable diff, and releases with their diff against the previous one. Same checks as the registry API: a steward
//! acts on the lists of their scope, and never approves their own request (the registry refuses it).
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

#[derive(Template)]
#[template(path = "manage_import.html")]
struct ImportPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    id: String,
    title: Txt,
    reason: String,
    /// The uploaded CSV, carried to the submit form so that it need not be sent again.
    csv: String,
    previewed: bool,
    summary: Vec<(&'static str, usize)>,
    unchanged: usize,
    rows: Vec<PlannedRow>,
    rejected: Vec<RejectedRow>,
}

struct RejectedRow {
    line: String,
    field: String,
    message: String,
}

struct ImportState {
    reason: String,
    csv: String,
    plan: Option<Result<Plan, Vec<registry::InputProblem>>>,
}

async fn import_page(
    state: &AppState,
    ctx: &Ctx,
    me: &SignedIn,
    list: &str,
    input: ImportState,
) -> Result<Response, ApiError> {
    me.principal.steward().authorize(list)?;
    let meta = state.registry.meta(list).await?;
    let title = list_title(ctx, &meta.title, list);
    let m = super::texts::of(ctx.lang);
    let (mut summary, mut unchanged, mut rows, mut rejected) = (vec![], 0, vec![], vec![]);
    let previewed = input.plan.is_some();
    match &input.plan {
        Some(Ok(plan)) => {
            summary = plan
                .summary()
                .into_iter()
                .map(|(k, n)| {
                    let label = match k {
                        "add" => m.added,
                        "modify" => m.changed,
                        "supersede" => m.superseded,
                        _ => m.retired,
                    };
                    (label, n)
                })
                .collect();
            unchanged = plan.unchanged;
            rows = planned_rows(m, plan);
        }
        Some(Err(problems)) => {
            rejected = problems
                .iter()
                .map(|p| RejectedRow {
                    line: p.line.map(|l| l.to_string()).unwrap_or_default(),
                    field: p.field.clone().unwrap_or_default(),
                    message: p.message.clone(),
                })
                .collect();
        }
        None => {}
    }
    let (c, m, f) = parts(ctx, me, m.import_csv, "lists");
    let page = ImportPage {
        c,
        m,
        f,
        id: list.to_owned(),
        title,
        reason: input.reason,
        csv: input.csv,
        previewed,
        summary,
        unchanged,
        rows,
        rejected,
    };
    Ok(render(ctx, &page))
}

/// `GET /manage/lists/{list}/import`.
pub async fn import_form(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ctx: Ctx,
    me: SignedIn,
) -> Response {
    let input = ImportState {
        reason: String::new(),
        csv: String::new(),
        plan: None,
    };
    let result = import_page(&state, &ctx, &me, &list, input).await;
    ctx.respond(result)
}

/// Plans a CSV import: the plan, the rejected rows, or a failure that is not the file's fault.
async fn plan_import(
    state: &AppState,
    list: &str,
    csv: &[u8],
) -> Result<Result<(Vec<registry::model::Change>, Plan), Vec<registry::InputProblem>>, ApiError> {
    match state.registry.parse_import(list, csv).await {
        Ok(planned) => Ok(Ok(planned)),
        Err(registry::RegistryError::Invalid(problems)) => Ok(Err(problems)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /manage/lists/{list}/import` (multipart): what the file would change, nothing changed yet.
pub async fn import_preview(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ctx: Ctx,
    Posted { me, form }: Posted,
) -> Response {
    let result = async {
        me.principal.steward().authorize(&list)?;
        let csv = form
            .file("file")
            .map(|f| f.bytes.to_vec())
            .or_else(|| form.get("csv").map(|s| s.as_bytes().to_vec()))
            .unwrap_or_default();
        let plan = plan_import(&state, &list, &csv)
            .await?
            .map(|(_, plan)| plan);
        let input = ImportState {
            reason: form.get("reason").unwrap_or("").to_owned(),
            csv: String::from_utf8_lossy(&csv).into_owned(),
            plan: Some(plan),
        };
        import_page(&state, &ctx, &me, &list, input).await
    }
    .await;
    ctx.respond(result)
}

/// `POST /manage/lists/{list}/import/submit`: the previewed file becomes a change request.
pub async fn import_submit(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ctx: Ctx,
    Posted { me, form }: Posted,
) -> Response {
    let result = async {
        me.principal.steward().authorize(&list)?;
        let csv = form.get("csv").unwrap_or("").as_bytes().to_vec();
        let changes = match plan_import(&state, &list, &csv).await? {
            Ok((changes, _)) => changes,
            Err(problems) => return Err(ApiError::Unprocessable(problems)),
        };
        let reason = form.get("reason").unwrap_or("CSV import");
        let request = state
            .registry
            .propose(&me.principal.steward(), &list, changes, reason)
            .await?;
        Ok(see(&format!(
            "/manage/lists/{list}/change-requests/{}",
            request.id
        )))
    }
    .await;
    ctx.respond(result)
}

/// `POST /manage/lists/{list}/releases`: freezes the list and shows the diff against the previous release.
pub async fn issue_release(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ctx: Ctx,
    Posted { me, form }: Posted,
) -> Response {
    let result = async {
        me.principal.steward().authorize(&list)?;
        let notes = form.lang_text("notes");
        let release = state
            .registry
            .create_release(&me.principal.steward(), &list, notes)
            .await?;
        Ok(see(&format!(
            "/manage/lists/{list}/releases/{}",
            release.number
        )))
    }
    .await;
    ctx.respond(result)
}

#[derive(Template)]
#[template(path = "manage_release.html")]
struct ReleasePage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    id: String,
    number: i64,
    notes: String,
    created: String,
    created_by: String,
    item_count: i64,
    manifest: String,
    has_previous: bool,
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<PlannedRow>,
}

/// `GET /manage/lists/{list}/releases/{number}`.
pub async fn release(
    State(state): State<AppState>,
    Path((list, number)): Path<(String, i64)>,
    ctx: Ctx,
    me: SignedIn,
) -> Response {
    let result = async {
        me.principal.steward().authorize(&list)?;
        let release = state.registry.release(&list, number).await?;
        let m = super::texts::of(ctx.lang);
        let name = |item: &registry::model::ItemData| {
            format!(
                "{} — {}",
                item.code,
                Txt::pick(ctx.lang, &item.labels, "").text
            )
        };
        let (mut added, mut removed, mut changed) = (vec![], vec![], vec![]);
        let has_previous = number > 1;
        if has_previous {
            let diff = state.registry.diff(&list, number - 1, number).await?;
            added = diff.added.iter().map(name).collect();
            removed = diff.removed.iter().map(name).collect();
            changed = diff
                .changed
                .iter()
                .map(|c| PlannedRow {
                    code: c.code.clone(),
                    kind: if c.status_before == c.status_after {
                        m.changed
                    } else {
                        ctx.lang.registered_status(c.status_after.as_str())
                    },
                    line: String::new(),
                    fields: c.fields.iter().map(DiffRow::from_field).collect(),
                })
                .collect();
        }
        let (c, m, f) = parts(
            &ctx,
            &me,
            format!("{list} · {} {number}", m.release),
            "lists",
        );
        Ok(render(
            &ctx,
            &ReleasePage {
                c,
                m,
                f,
                id: list.clone(),
                number,
                notes: Txt::pick(ctx.lang, &release.notes, "").text,
                created: ctx.lang.day_of(&release.created_at),
                created_by: release.created_by,
                item_count: release.item_count,
                manifest: release.manifest_sha256,
                has_previous,
                added,
                removed,
                changed,
            },
        ))
    }
    .await;
    ctx.respond(result)
}
