//! A CSV file imported into a code list: previewed first (what each line would change, the lines refused), then
//! proposed as one change request.
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use registry::plan::Plan;

use super::{PlannedRow, list_title, planned_rows};
use crate::http::manage::session::{Posted, SignedIn};
use crate::http::manage::texts::ManageText;
use crate::http::manage::{Frame, parts, render, see};
use crate::http::pages::{Chrome, Ctx, Txt};
use crate::http::{ApiError, AppState};

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
    let m = crate::http::manage::texts::of(ctx.lang);
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
