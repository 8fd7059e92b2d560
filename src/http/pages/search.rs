//! `/search`: the search API's engine as a page. Facet values are checkboxes that combine (OR within a facet, AND
//! across facets), each facet counted without its own filter so other values stay selectable; active filters can be
//! removed one by one; sorting and paging keep everything else.
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use catalog::search::{FACETS, FacetCount, SearchHit, SearchQuery, Sort};

use super::{Chrome, Ctx, Labels, Lang, Link, Txt, href};
use crate::http::{ApiError, AppState};

/// Results per page.
const PAGE_SIZE: usize = 20;
/// Facet values shown before "more".
const SHOWN_VALUES: usize = 8;

/// One result as the home and search pages show it.
pub struct HitView {
    /// The dataset page.
    pub href: String,
    /// Title.
    pub title: Txt,
    /// The search engine's snippet: already HTML-escaped, the matched words in `<b>`.
    pub snippet: String,
    /// The publisher, linked to its agency page.
    pub publisher: Link,
    /// Themes, linked to the search filtered by each.
    pub themes: Vec<Link>,
    /// Last publication day.
    pub modified: String,
}

/// A hit with names in the page's language.
pub fn hit_view(lang: Lang, labels: &Labels, h: &SearchHit) -> HitView {
    let title = registry::model::LangText::new(Some(&h.title_vi), Some(&h.title_en));
    HitView {
        href: format!("/dataset/{}", registry::store::encode_segment(&h.id)),
        title: Txt::pick(lang, &title, &h.id),
        snippet: h.snippet.clone(),
        publisher: Link::new(
            labels.name("agencies", &h.publisher),
            format!("/agency/{}", registry::store::encode_segment(&h.publisher)),
        ),
        themes: h
            .themes
            .iter()
            .map(|t| {
                Link::new(
                    labels.name("themes", t),
                    href("/search", [("theme", t.as_str())]),
                )
            })
            .collect(),
        modified: lang.day_of(&h.modified),
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    sorts: Vec<SortOption>,
    facets: Vec<FacetView>,
    active: Vec<ActiveFilter>,
    clear_href: String,
    hits: Vec<HitView>,
    summary: String,
    previous: Option<String>,
    next: Option<String>,
}

struct SortOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

struct FacetView {
    legend: &'static str,
    shown: Vec<FacetValue>,
    more: Vec<FacetValue>,
}

struct FacetValue {
    id: String,
    param: &'static str,
    value: String,
    label: String,
    count: String,
    checked: bool,
}

struct ActiveFilter {
    label: String,
    remove_label: String,
    href: String,
}

fn facet_list(facet: &str) -> Option<&'static str> {
    Some(match facet {
        "theme" => "themes",
        "publisher" => "agencies",
        "format" => "file-types",
        "licence" => "licences",
        "province" => "administrative-units",
        "accessRight" => "access-rights",
        _ => return None,
    })
}

fn facet_legend(t: &super::Text, facet: &str) -> &'static str {
    match facet {
        "theme" => t.facet_theme,
        "publisher" => t.facet_publisher,
        "format" => t.facet_format,
        "licence" => t.facet_licence,
        "province" => t.facet_province,
        "accessRight" => t.facet_access_right,
        _ => t.facet_year,
    }
}

fn sort_value(sort: Sort) -> &'static str {
    match sort {
        Sort::Relevance => "relevance",
        Sort::Modified => "modified",
        Sort::Title => "title",
    }
}

/// `GET /search`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    ctx.respond(build(&state, &ctx).await)
}

async fn build(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    let lang = ctx.lang;
    let t = ctx.t();
    let query = crate::http::search::parse_query(&ctx.query_string())?;
    let mut query = SearchQuery {
        limit: PAGE_SIZE,
        ..query
    };
    query.filters.sort();
    query.filters.dedup();
    let results = crate::http::search::run(state, query.clone()).await?;
    // Each facet with an active filter is counted without it, so its other values can be added (OR).
    let mut facets = results.facets.clone();
    for name in FACETS {
        if query.filters.iter().any(|(f, _)| f == name) {
            let others = SearchQuery {
                filters: query
                    .filters
                    .iter()
                    .filter(|(f, _)| f != name)
                    .cloned()
                    .collect(),
                offset: 0,
                limit: 1,
                ..query.clone()
            };
            let counts = crate::http::search::run(state, others).await?.facets;
            if let Some(c) = counts.get(*name) {
                facets.insert((*name).to_owned(), c.clone());
            }
        }
    }

    let mut labels = Labels::load(
        state,
        lang,
        &[
            "themes",
            "agencies",
            "file-types",
            "licences",
            "access-rights",
        ],
    )
    .await;
    let provinces: Vec<String> = facets
        .get("province")
        .into_iter()
        .flatten()
        .map(|f| f.value.clone())
        .chain(
            query
                .filters
                .iter()
                .filter(|(f, _)| f == "province")
                .map(|(_, v)| v.clone()),
        )
        .collect();
    labels
        .add(
            state,
            "administrative-units",
            provinces.iter().map(String::as_str),
        )
        .await;
    let name_of = |facet: &str, value: &str| match facet_list(facet) {
        Some(list) => labels.name(list, value),
        None => value.to_owned(),
    };

    // The page's state as query pairs, to build every link from.
    let q = query.q.clone().unwrap_or_default();
    let sort = sort_value(query.sort);
    let state_pairs = |filters: &[(String, String)], offset: usize| -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !q.is_empty() {
            pairs.push(("q", q.clone()));
        }
        if query.sort != Sort::Relevance {
            pairs.push(("sort", sort.to_owned()));
        }
        for (f, v) in filters {
            pairs.push((f.as_str(), v.clone()));
        }
        if offset > 0 {
            pairs.push(("cursor", offset.to_string()));
        }
        href("/search", pairs.iter().map(|(k, v)| (*k, v.as_str())))
    };

    let mut facet_views = Vec::new();
    for (i, name) in FACETS.iter().enumerate() {
        let mut counts: Vec<FacetCount> = facets.get(*name).cloned().unwrap_or_default();
        for (f, v) in &query.filters {
            if f == name && !counts.iter().any(|c| &c.value == v) {
                counts.push(FacetCount {
                    value: v.clone(),
                    count: 0,
                });
            }
        }
        if *name == "year" {
            counts.sort_by(|a, b| b.value.cmp(&a.value));
        }
        let mut values: Vec<FacetValue> = counts
            .iter()
            .enumerate()
            .map(|(j, c)| FacetValue {
                id: format!("facet-{i}-{j}"),
                param: name,
                value: c.value.clone(),
                label: name_of(name, &c.value),
                count: lang.int(c.count as i64),
                checked: query
                    .filters
                    .iter()
                    .any(|(f, v)| f == name && v == &c.value),
            })
            .collect();
        if values.is_empty() {
            continue;
        }
        // Checked values are always in view.
        values.sort_by_key(|v| !v.checked);
        let more = if values.len() > SHOWN_VALUES + 2 {
            values.split_off(SHOWN_VALUES)
        } else {
            vec![]
        };
        facet_views.push(FacetView {
            legend: facet_legend(t, name),
            shown: values,
            more,
        });
    }

    let active = query
        .filters
        .iter()
        .map(|(f, v)| {
            let label = format!("{}: {}", facet_legend(t, f), name_of(f, v));
            let rest: Vec<(String, String)> = query
                .filters
                .iter()
                .filter(|(f2, v2)| !(f2 == f && v2 == v))
                .cloned()
                .collect();
            ActiveFilter {
                remove_label: lang.remove_filter(&label),
                label,
                href: state_pairs(&rest, 0),
            }
        })
        .collect();

    let offset = query.offset;
    let shown = results.items.len();
    let summary = if results.total == 0 {
        t.no_results.to_owned()
    } else {
        lang.result_range(
            (offset + 1).min(results.total),
            offset + shown,
            results.total,
        )
    };
    let previous =
        (offset > 0).then(|| state_pairs(&query.filters, offset.saturating_sub(PAGE_SIZE)));
    let next = (offset + shown < results.total && shown > 0)
        .then(|| state_pairs(&query.filters, offset + PAGE_SIZE));

    let sorts = [
        (Sort::Relevance, t.sort_relevance),
        (Sort::Modified, t.sort_modified),
        (Sort::Title, t.sort_title),
    ]
    .into_iter()
    .map(|(s, label)| SortOption {
        value: sort_value(s),
        label,
        selected: s == query.sort,
    })
    .collect();
    let title = if q.is_empty() {
        t.search_title.to_owned()
    } else {
        format!("{q} – {}", t.search_title)
    };
    let page = SearchPage {
        c: ctx.chrome(title, "search"),
        hits: results
            .items
            .iter()
            .map(|h| hit_view(lang, &labels, h))
            .collect(),
        clear_href: state_pairs(&[], 0),
        q,
        sorts,
        facets: facet_views,
        active,
        summary,
        previous,
        next,
    };
    Ok(ctx.html(StatusCode::OK, &page))
}
