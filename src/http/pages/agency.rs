//! `/agency/{code}`: what an agency publishes — its datasets, its yearly open-data lists (with links to the API's
//! CSV, JSON and DCAT forms) and how far its open-data plan has come.
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use catalog::store::DatasetQuery;
use registry::store::encode_segment;

use super::{Chrome, Ctx, Labels, Link, Txt, href};
use crate::http::{ApiError, AppState};

#[derive(Template)]
#[template(path = "agency.html")]
struct AgencyPage {
    c: Chrome,
    name: Txt,
    code: String,
    registry_href: String,
    notations: Vec<String>,
    datasets: Vec<DatasetRow>,
    years: Vec<YearView>,
    plan_summary: String,
    plan_planned: usize,
    plan_published: usize,
    plan: Vec<PlanRow>,
    quality: super::quality::AgencyBlock,
}

struct DatasetRow {
    title: Txt,
    href: String,
    themes: Vec<Link>,
    modified: String,
}

struct YearView {
    year: i64,
    lists: Vec<ListView>,
}

struct ListView {
    title: Txt,
    number: i64,
    issued: String,
    count: String,
    links: Vec<Link>,
}

struct PlanRow {
    title: Txt,
    target: String,
    state: &'static str,
    dataset: Option<Link>,
}

/// `GET /agency/{code}` (any notation of the agency).
pub async fn page(State(state): State<AppState>, Path(code): Path<String>, ctx: Ctx) -> Response {
    ctx.respond(build(&state, &ctx, &code).await)
}

async fn build(state: &AppState, ctx: &Ctx, code: &str) -> Result<Response, ApiError> {
    let lang = ctx.lang;
    let t = ctx.t();
    let view = state.registry.item("agencies", code, None, None).await?;
    let code = view.data.code.clone();
    let labels = Labels::load(state, lang, &["themes"]).await;

    let mut datasets = Vec::new();
    let mut cursor = None;
    loop {
        let page = state
            .catalog
            .list(&DatasetQuery {
                publisher: Some(code.clone()),
                public: true,
                cursor,
                limit: 500,
                ..DatasetQuery::default()
            })
            .await?;
        for r in &page.items {
            datasets.push(DatasetRow {
                title: Txt::pick(lang, &r.content.title, &r.id),
                href: format!("/dataset/{}", encode_segment(&r.id)),
                themes: r
                    .content
                    .themes
                    .iter()
                    .map(|th| {
                        Link::new(
                            labels.name("themes", th),
                            href("/search", [("theme", th.as_str())]),
                        )
                    })
                    .collect(),
                modified: r
                    .published_at
                    .as_deref()
                    .map(|d| lang.day_of(d))
                    .unwrap_or_default(),
            });
        }
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }

    let api = format!("/api/v1/agencies/{}/open-data-lists", encode_segment(&code));
    let mut years: Vec<YearView> = Vec::new();
    for l in state
        .catalog
        .open_data_lists(&code)
        .await?
        .into_iter()
        .rev()
    {
        let base = format!("{api}/{}/{}", l.year, l.number);
        let view = ListView {
            title: Txt::pick(lang, &l.title, &format!("{} {}", l.year, l.number)),
            number: l.number,
            issued: lang.day_of(&l.issued_at),
            count: lang.datasets_count(l.datasets.len()),
            links: vec![
                Link::new("CSV", href(&base, [("format", "csv")])),
                Link::new("JSON", href(&base, [("format", "json")])),
                Link::new("DCAT (Turtle)", href(&base, [("format", "ttl")])),
                Link::new(t.manifest, format!("{base}/manifest")),
            ],
        };
        match years.last_mut() {
            Some(y) if y.year == l.year => y.lists.push(view),
            _ => years.push(YearView {
                year: l.year,
                lists: vec![view],
            }),
        }
    }

    let plan = state.catalog.plan(&code).await?;
    let plan_rows = plan
        .items
        .iter()
        .map(|e| PlanRow {
            title: Txt::pick(lang, &e.item.title, &e.id),
            target: lang.date(e.item.target_date),
            state: lang.plan_state(e.published, e.overdue, &e.item.status),
            dataset: e
                .item
                .dataset
                .as_ref()
                .map(|d| Link::new(d.clone(), format!("/dataset/{}", encode_segment(d)))),
        })
        .collect();

    let name = Txt::pick(lang, &view.data.labels, &code);
    let code_for_quality = code.clone();
    let page = AgencyPage {
        c: ctx.chrome(name.text.clone(), ""),
        name,
        registry_href: format!("/registry/agencies/{}", encode_segment(&code)),
        notations: view
            .data
            .notations
            .iter()
            .map(|n| format!("{} ({})", n.value, n.kind))
            .collect(),
        code,
        datasets,
        years,
        plan_summary: lang.plan_progress(plan.published, plan.planned),
        plan_planned: plan.planned,
        plan_published: plan.published,
        plan: plan_rows,
        quality: super::quality::agency_block(state, lang, &code_for_quality).await?,
    };
    Ok(ctx.html(StatusCode::OK, &page))
}
