//! `/stats`: the published indicators of the open-data services (issue 19) as a page — figures, tables with
//! server-rendered SVG bars (drawn like `/quality`'s: an SVG with `role="img"` and its value in words beside it), a
//! month chart of downloads and API calls with its numbers in a table — and links to the same figures as JSON and CSV.
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::feedback_texts::{self, FeedbackText};
use super::{Chrome, Ctx, Labels, href};
use crate::feedback::stats::Count;
use crate::http::{ApiError, AppState};

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    c: Chrome,
    f: &'static FeedbackText,
    figures: Vec<(String, String)>,
    tables: Vec<BarTable>,
    shares: Vec<BarRow>,
    months: Vec<MonthBars>,
    chart_title: String,
    answers: Vec<AnswerRow>,
}

/// A table of counts with bars.
struct BarTable {
    id: &'static str,
    heading: &'static str,
    column: &'static str,
    rows: Vec<BarRow>,
}

/// One row of a bar table.
struct BarRow {
    label: String,
    href: String,
    value: String,
    /// 0–100: the bar's length.
    percent: u32,
}

struct MonthBars {
    month: String,
    downloads: u64,
    api_calls: u64,
    x_downloads: u32,
    x_api: u32,
    y_downloads: u32,
    y_api: u32,
    h_downloads: u32,
    h_api: u32,
}

struct AnswerRow {
    agency: String,
    received: u64,
    answered: u64,
    median: String,
}

/// Chart height in SVG units.
const HEIGHT: u32 = 100;
/// One month's width in SVG units.
const MONTH: u32 = 30;

fn percent(part: u64, whole: u64) -> u32 {
    if whole == 0 {
        0
    } else {
        ((part as f64 / whole as f64) * 100.0).round().min(100.0) as u32
    }
}

fn bars(counts: &[Count], labels: &Labels, list: &str, filter: &str, ctx: &Ctx) -> Vec<BarRow> {
    let most = counts.iter().map(|c| c.count).max().unwrap_or(0);
    counts
        .iter()
        .map(|c| BarRow {
            label: labels.name(list, &c.code),
            href: if list == "agencies" {
                format!("/agency/{}", registry::store::encode_segment(&c.code))
            } else {
                href("/search", [(filter, c.code.as_str())])
            },
            value: ctx.lang.int(c.count as i64),
            percent: percent(c.count, most),
        })
        .collect()
}

fn days(ctx: &Ctx, d: Option<f64>) -> String {
    match d {
        None => "—".into(),
        Some(d) => {
            let s = format!("{d:.2}");
            if ctx.lang == super::Lang::Vi {
                s.replace('.', ",")
            } else {
                s
            }
        }
    }
}

/// `GET /stats`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    ctx.respond(build(&state, &ctx).await)
}

async fn build(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    let f = feedback_texts::of(ctx.lang);
    let ind = crate::http::stats::gather(state).await?;
    let labels = Labels::load(state, ctx.lang, &["agencies", "themes"]).await;
    let a = &ind.agencies;
    let fb = &ind.feedback;
    let share = |part: u64, whole: u64| format!("{} / {} ({}%)", part, whole, percent(part, whole));
    let with_list = f.with_yearly_list.replace("{}", &a.year.to_string());
    let figures = vec![
        (f.datasets.to_owned(), ctx.lang.int(ind.datasets as i64)),
        (
            f.with_open_data.to_owned(),
            share(a.with_open_data, a.agencies),
        ),
        (with_list.clone(), share(a.with_yearly_list, a.agencies)),
        (
            f.plan_completion.to_owned(),
            share(a.plan_published, a.plan_items),
        ),
        (
            f.feedback_answered.to_owned(),
            share(fb.answered, fb.received),
        ),
        (f.median_days.to_owned(), days(ctx, fb.median_days)),
    ];
    let shares = [
        (f.with_open_data.to_owned(), a.with_open_data, a.agencies),
        (with_list, a.with_yearly_list, a.agencies),
        (f.plan_completion.to_owned(), a.plan_published, a.plan_items),
        (f.feedback_answered.to_owned(), fb.answered, fb.received),
    ]
    .into_iter()
    .map(|(label, part, whole)| BarRow {
        label,
        href: String::new(),
        value: share(part, whole),
        percent: percent(part, whole),
    })
    .collect();
    let most = ind
        .usage
        .iter()
        .map(|m| m.downloads.max(m.api_calls))
        .max()
        .unwrap_or(0)
        .max(1);
    let height = |n: u64| ((n as f64 / most as f64) * f64::from(HEIGHT)).round() as u32;
    let months: Vec<MonthBars> = ind
        .usage
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let x = i as u32 * MONTH;
            let (hd, ha) = (height(m.downloads), height(m.api_calls));
            MonthBars {
                month: m.month.clone(),
                downloads: m.downloads,
                api_calls: m.api_calls,
                x_downloads: x + 4,
                x_api: x + 15,
                y_downloads: HEIGHT - hd,
                y_api: HEIGHT - ha,
                h_downloads: hd,
                h_api: ha,
            }
        })
        .collect();
    let (downloads, api_calls) = ind
        .usage
        .iter()
        .fold((0, 0), |(d, a), m| (d + m.downloads, a + m.api_calls));
    let chart_title = format!(
        "{}: {} {}, {} {} ({} – {})",
        f.usage_heading,
        f.downloads,
        ctx.lang.int(downloads as i64),
        f.api_calls,
        ctx.lang.int(api_calls as i64),
        months.first().map(|m| m.month.as_str()).unwrap_or_default(),
        months.last().map(|m| m.month.as_str()).unwrap_or_default(),
    );
    let answers = fb
        .per_agency
        .iter()
        .map(|t| AnswerRow {
            agency: t
                .agency
                .as_deref()
                .map(|a| labels.name("agencies", a))
                .unwrap_or_else(|| f.stewards.to_owned()),
            received: t.received,
            answered: t.answered,
            median: days(ctx, t.median_days),
        })
        .collect();
    let mut c = ctx.chrome(f.stats_title, "");
    c.description = f.stats_intro.to_owned();
    let page = StatsPage {
        c,
        f,
        figures,
        tables: vec![
            BarTable {
                id: "agency-heading",
                heading: f.per_agency,
                column: f.agencies_heading,
                rows: bars(&ind.per_agency, &labels, "agencies", "publisher", ctx),
            },
            BarTable {
                id: "theme-heading",
                heading: f.per_theme,
                column: f.theme,
                rows: bars(&ind.per_theme, &labels, "themes", "theme", ctx),
            },
        ],
        shares,
        months,
        chart_title,
        answers,
    };
    Ok(ctx.html(StatusCode::OK, &page))
}
