//! `/manage/sources` (issue 20, admins only): the catalogues this server harvests on schedule (URL, kind, agency map,
//! schedule), a form to add one, the latest runs; `/manage/sources/runs/{id}`: one run with every write, failure and
//! warning of its report. The sources and the scheduler are [`crate::harvest_sources`]; the runs are the history of
//! [`crate::harvest_runs`].
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::form::FormData;
use super::session::{Posted, SignedIn};
use super::texts::ManageText;
use super::{Frame, form_again, parts, render, render_problems, see};
use crate::harvest_runs::RunSummary;
use crate::harvest_sources::{HarvestSource, NewSource};
use crate::http::pages::{Chrome, Ctx, Lang};
use crate::http::{ApiError, AppState};

/// The page's own words.
struct SourcesText {
    intro: &'static str,
    configured: &'static str,
    none: &'static str,
    url: &'static str,
    kind: &'static str,
    agency_map: &'static str,
    agency_map_hint: &'static str,
    every: &'static str,
    every_hint: &'static str,
    next_run: &'static str,
    last_run: &'static str,
    add: &'static str,
    add_button: &'static str,
    runs: &'static str,
    no_runs: &'static str,
    run: &'static str,
    started: &'static str,
    counts: &'static str,
    changes: &'static str,
    failures: &'static str,
    warnings: &'static str,
    record: &'static str,
    action: &'static str,
    step: &'static str,
    reason: &'static str,
}

static VI: SourcesText = SourcesText {
    intro: "Các danh mục dữ liệu khác được thu thập vào danh mục này theo lịch. Bộ dữ liệu thu thập được chỉ xem ở đây, sửa tại nguồn.",
    configured: "Nguồn đã cấu hình",
    none: "Chưa có nguồn nào.",
    url: "Địa chỉ nguồn",
    kind: "Loại nguồn",
    agency_map: "Ánh xạ đơn vị",
    agency_map_hint: "JSON: đơn vị công bố ở nguồn (IRI, tên hoặc tổ chức) → mã cơ quan trong danh mục, ví dụ {\"g12\": \"G12\"}.",
    every: "Lịch chạy",
    every_hint: "Khoảng thời gian giữa hai lần chạy: 30s, 15m, 6h, 1d.",
    next_run: "Lần chạy tới",
    last_run: "Lần chạy gần nhất",
    add: "Thêm nguồn",
    add_button: "Thêm nguồn",
    runs: "Các lần thu thập gần đây",
    no_runs: "Chưa có lần thu thập nào.",
    run: "Lần thu thập",
    started: "Bắt đầu",
    counts: "Tạo mới / cập nhật / xoá / giữ nguyên / lỗi",
    changes: "Các thay đổi đã ghi",
    failures: "Lỗi",
    warnings: "Cảnh báo",
    record: "Bản ghi",
    action: "Thao tác",
    step: "Bước",
    reason: "Lý do",
};

static EN: SourcesText = SourcesText {
    intro: "Other catalogues harvested into this one on schedule. Harvested datasets are read-only here: they are edited at their source.",
    configured: "Configured sources",
    none: "No source yet.",
    url: "Source URL",
    kind: "Kind",
    agency_map: "Agency map",
    agency_map_hint: "JSON: the source's publishers (IRI, name or organization) → agency codes of the registry, e.g. {\"g12\": \"G12\"}.",
    every: "Schedule",
    every_hint: "Time between runs: 30s, 15m, 6h, 1d.",
    next_run: "Next run",
    last_run: "Last run",
    add: "Add a source",
    add_button: "Add the source",
    runs: "Latest runs",
    no_runs: "No run yet.",
    run: "Harvest run",
    started: "Started",
    counts: "Created / updated / deleted / unchanged / failed",
    changes: "Writes",
    failures: "Failures",
    warnings: "Warnings",
    record: "Record",
    action: "Action",
    step: "Step",
    reason: "Reason",
};

fn words(lang: Lang) -> &'static SourcesText {
    match lang {
        Lang::En => &EN,
        _ => &VI,
    }
}

#[derive(Template)]
#[template(path = "manage_sources.html")]
struct SourcesPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    s: &'static SourcesText,
    sources: Vec<HarvestSource>,
    runs: Vec<RunSummary>,
    problems: Vec<String>,
    typed: FormData,
    kinds: Vec<(&'static str, bool)>,
}

#[derive(Template)]
#[template(path = "manage_run.html")]
struct RunPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    s: &'static SourcesText,
    run: RunSummary,
    changes: Vec<(String, String, String)>,
    failures: Vec<(String, String, String)>,
    warnings: Vec<String>,
}

fn admin_only(me: &SignedIn) -> Result<(), ApiError> {
    if me.principal.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "{}: only admins configure harvest sources",
            me.principal.name
        )))
    }
}

async fn sources_page(
    state: &AppState,
    ctx: &Ctx,
    me: &SignedIn,
    typed: FormData,
    problems: Vec<String>,
) -> Result<Response, ApiError> {
    admin_only(me)?;
    let s = words(ctx.lang);
    let (c, m, f) = parts(ctx, me, s.configured, "sources");
    let chosen = typed.get("kind").unwrap_or("dcat").to_owned();
    let page = SourcesPage {
        c,
        m,
        f,
        s,
        sources: state.harvest_sources.list().await?,
        runs: state.harvest_runs.list(20, None).await?,
        kinds: ["dcat", "ckan", "changes"]
            .into_iter()
            .map(|k| (k, k == chosen))
            .collect(),
        problems: problems.clone(),
        typed,
    };
    Ok(if problems.is_empty() {
        render(ctx, &page)
    } else {
        render_problems(ctx, &page)
    })
}

/// `GET /manage/sources`.
pub async fn list(State(state): State<AppState>, ctx: Ctx, me: SignedIn) -> Response {
    let result = sources_page(&state, &ctx, &me, FormData::default(), vec![]).await;
    ctx.respond(result)
}

/// `POST /manage/sources`: adds a source, first run at the scheduler's next look.
pub async fn add(State(state): State<AppState>, ctx: Ctx, posted: Posted) -> Response {
    let Posted { me, form } = posted;
    if let Err(e) = admin_only(&me) {
        return ctx.error(e);
    }
    let new = NewSource {
        url: form.value("url").to_owned(),
        kind: form.value("kind").to_owned(),
        agency_map: form.value("agency_map").to_owned(),
        every: form.value("every").to_owned(),
    };
    match state
        .harvest_sources
        .add(&state.registry, new, &me.principal.name)
        .await
    {
        Ok(_) => see("/manage/sources"),
        Err(e) => {
            form_again(&ctx, e.into(), |problems| {
                sources_page(&state, &ctx, &me, form, problems)
            })
            .await
        }
    }
}

/// `GET /manage/sources/runs/{id}`.
pub async fn run(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ctx: Ctx,
    me: SignedIn,
) -> Response {
    let result = async {
        admin_only(&me)?;
        let run = state
            .harvest_runs
            .get(id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("harvest run {id}")))?;
        let s = words(ctx.lang);
        let (c, m, f) = parts(&ctx, &me, format!("{} {id}", s.run), "sources");
        let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let rows = |key: &str, a: &str, b: &str| -> Vec<(String, String, String)> {
            run.report[key]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| (text(v, "record"), text(v, a), text(v, b)))
                .collect()
        };
        let page = RunPage {
            changes: rows("changes", "action", "name"),
            failures: rows("failures", "step", "reason"),
            warnings: run.report["warnings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|w| w.as_str().map(str::to_owned))
                .collect(),
            c,
            m,
            f,
            s,
            run: run.summary,
        };
        Ok(render(&ctx, &page))
    }
    .await;
    ctx.respond(result)
}
