//! `/`: the search box, themes with their dataset counts, the newest datasets and the catalog's numbers.
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use catalog::search::{SearchQuery, Sort};

use super::search::{HitView, hit_view};
use super::{Chrome, Ctx, Labels, href};
use crate::http::{ApiError, AppState};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    /// The search box's suggestion labels (shared with the search page).
    s: &'static super::search::SearchText,
    stats: Vec<(String, &'static str)>,
    themes: Vec<ThemeView>,
    newest: Vec<HitView>,
}

struct ThemeView {
    name: String,
    count: String,
    href: String,
}

/// `GET /`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    ctx.respond(build(&state, &ctx).await)
}

async fn build(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    let lang = ctx.lang;
    let t = ctx.t();
    let results = crate::http::search::run(
        state,
        SearchQuery {
            sort: Sort::Modified,
            limit: 6,
            ..SearchQuery::default()
        },
    )
    .await?;
    let labels = Labels::load(state, lang, &["themes", "agencies"]).await;
    let lists = state.registry.lists().await?.len();
    let facet = |name: &str| results.facets.get(name).cloned().unwrap_or_default();
    let themes = facet("theme")
        .into_iter()
        .map(|f| ThemeView {
            name: labels.name("themes", &f.value),
            count: lang.datasets_count(f.count as usize),
            href: href("/search", [("theme", f.value.as_str())]),
        })
        .collect();
    let stats = vec![
        (lang.int(results.total as i64), t.stat_datasets),
        (lang.int(facet("publisher").len() as i64), t.stat_publishers),
        (lang.int(lists as i64), t.stat_code_lists),
    ];
    let newest = results
        .items
        .iter()
        .map(|h| hit_view(lang, &labels, h))
        .collect();
    let page = HomePage {
        c: ctx.chrome(t.site_tagline, "home"),
        s: super::search::search_text(ctx.lang),
        stats,
        themes,
        newest,
    };
    Ok(ctx.html(StatusCode::OK, &page))
}
