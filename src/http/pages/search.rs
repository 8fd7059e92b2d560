//! `/search`: the search API's engine as a page. Facet values are checkboxes that combine (OR within a facet, AND
//! across facets), each facet counted without its own filter so other values stay selectable; active filters can be
//! removed one by one; sorting and paging keep everything else. The code items matching the same words (provinces,
//! communes, agencies) are listed beside the datasets, each linking to its code page with its validity; a search that
//! finds nothing with all its words says so, offers "did you mean" and completions (links, so they work without
//! JavaScript; with it, the box suggests as one types from `/api/v1/search/suggest`).
mod text;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use catalog::search::{CodeHit, FACETS, FacetCount, SearchHit, SearchQuery, Sort};

use super::{Chrome, Ctx, Labels, Lang, Link, Txt, href};
use crate::http::{ApiError, AppState};
pub use text::{SearchText, search_text};

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
    /// The metadata quality score in words ("Quality: good, 72 %"), when indexed.
    pub quality: Option<String>,
}

/// A hit with names in the page's language.
pub fn hit_view(lang: Lang, labels: &Labels, h: &SearchHit) -> HitView {
    HitView {
        href: format!("/dataset/{}", registry::store::encode_segment(&h.id)),
        title: Txt::pick(lang, &h.title, &h.id),
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
        quality: h.quality.map(|q| {
            let t = search_text(lang);
            format!(
                "{} {} ({} %)",
                t.quality,
                q.rating.label().get(lang.code()),
                q.percent
            )
        }),
    }
}

/// A code item as the search page shows it.
pub struct CodeView {
    /// Its code page.
    pub href: String,
    /// Label.
    pub label: Txt,
    /// The code.
    pub code: String,
    /// The level (province, commune, ...).
    pub level: String,
    /// Validity, in words.
    pub validity: String,
    /// True when closed.
    pub closed: bool,
    /// What replaced it, linked.
    pub successors: Vec<Link>,
    /// What it belongs to.
    pub parent: Option<Link>,
}

fn code_href(list: &str, code: &str) -> String {
    format!(
        "/registry/{}/{}",
        registry::store::encode_segment(list),
        registry::store::encode_segment(code)
    )
}

/// A code item with names in the page's language.
pub fn code_view(lang: Lang, h: &CodeHit) -> CodeView {
    let t = search_text(lang);
    let name = |r: &catalog::search::CodeRef| {
        let label = Txt::pick(lang, &r.label, &r.code).text;
        Link::new(format!("{label} ({})", r.code), code_href(&h.list, &r.code))
    };
    let closed = matches!(h.status.as_str(), "superseded" | "retired");
    let validity = match h.status.as_str() {
        "valid" => t.valid.to_owned(),
        "notYetValid" => t.not_yet_valid.to_owned(),
        "submitted" => t.submitted.to_owned(),
        _ => match h.valid_to.as_deref().and_then(|d| d.parse().ok()) {
            Some(day) => format!("{} {}", t.closed_on, lang.date(day)),
            None => t.closed.to_owned(),
        },
    };
    CodeView {
        href: code_href(&h.list, &h.code),
        label: Txt::pick(lang, &h.label, &h.code),
        code: h.code.clone(),
        level: h
            .level
            .as_deref()
            .map(|l| t.level(&h.list, l))
            .unwrap_or_default(),
        validity,
        closed,
        successors: h.successors.iter().map(name).collect(),
        parent: h.parent.as_ref().map(name),
    }
}

/// A completion offered under the search box.
pub struct SuggestionView {
    /// Where it leads.
    pub href: String,
    /// Its text.
    pub text: Txt,
    /// What it is (a dataset, or the code's level).
    pub kind: String,
}

/// Completions with names in the page's language: code items first, then datasets.
pub fn suggestion_views(
    lang: Lang,
    s: &catalog::search::suggest::Suggestions,
) -> Vec<SuggestionView> {
    let t = search_text(lang);
    let codes = s.codes.iter().map(|c| {
        let view = code_view(lang, c);
        SuggestionView {
            text: Txt {
                text: format!("{} ({})", view.label.text, view.code),
                lang: view.label.lang,
            },
            href: view.href,
            kind: if view.closed {
                format!("{} · {}", view.level, view.validity)
            } else {
                view.level
            },
        }
    });
    let datasets = s.datasets.iter().map(|d| SuggestionView {
        href: format!("/dataset/{}", registry::store::encode_segment(&d.id)),
        text: Txt::pick(lang, &d.title, &d.id),
        kind: t.dataset.to_owned(),
    });
    codes.chain(datasets).collect()
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    c: Chrome,
    s: &'static SearchText,
    codes: Vec<CodeView>,
    relaxed: bool,
    did_you_mean: Option<Link>,
    synonyms: String,
    suggestions: Vec<SuggestionView>,
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

fn facet_legend(t: &super::Text, s: &SearchText, facet: &str) -> &'static str {
    match facet {
        "quality" => s.facet_quality,
        "theme" => t.facet_theme,
        "publisher" => t.facet_publisher,
        "format" => t.facet_format,
        "licence" => t.facet_licence,
        "province" => t.facet_province,
        "accessRight" => t.facet_access_right,
        "source" => t.facet_source,
        _ => t.facet_year,
    }
}

fn sort_value(sort: Sort) -> &'static str {
    match sort {
        Sort::Relevance => "relevance",
        Sort::Modified => "modified",
        Sort::Title => "title",
        Sort::Quality => "quality",
    }
}

/// The name of a quality rating band (the `quality` facet's value) in `lang`.
fn rating_label(lang: Lang, value: &str) -> String {
    catalog::quality::Rating::parse(value).map_or_else(
        || value.to_owned(),
        |r| r.label().get(lang.code()).to_owned(),
    )
}

/// `GET /search`.
pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    ctx.respond(build(&state, &ctx).await)
}

async fn build(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    let lang = ctx.lang;
    let t = ctx.t();
    let s = search_text(lang);
    let query = crate::http::search::parse_query(&ctx.query_string())?;
    let mut query = SearchQuery {
        limit: PAGE_SIZE,
        ..query
    };
    query.filters.sort();
    query.filters.dedup();
    // Code items beside the datasets, unless the datasets are narrowed by a filter.
    let code_hits = if query.filters.is_empty() {
        crate::http::search::CODE_HITS
    } else {
        0
    };
    let (results, codes) =
        crate::http::search::run_with_codes(state, query.clone(), code_hits).await?;
    // Nothing with every word: completions of what was typed, as links (the box's suggestions without JavaScript).
    let suggestions = match &query.q {
        Some(q) if results.total == 0 || results.relaxed => suggestion_views(
            lang,
            &crate::http::search::suggestions(state, q.clone(), 5).await?,
        ),
        _ => Vec::new(),
    };
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
            let counts = crate::http::search::run_with_codes(state, others, 0)
                .await?
                .0
                .facets;
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
        None if facet == "quality" => rating_label(lang, value),
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
            legend: facet_legend(t, s, name),
            shown: values,
            more,
        });
    }

    let active = query
        .filters
        .iter()
        .map(|(f, v)| {
            let label = format!("{}: {}", facet_legend(t, s, f), name_of(f, v));
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
        (Sort::Quality, s.sort_quality),
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
    let did_you_mean = results.did_you_mean.as_ref().map(|better| {
        let mut pairs: Vec<(&str, &str)> = vec![("q", better.as_str())];
        pairs.extend(query.filters.iter().map(|(f, v)| (f.as_str(), v.as_str())));
        Link::new(better.clone(), href("/search", pairs))
    });
    let page = SearchPage {
        c: ctx.chrome(title, "search"),
        s,
        codes: codes.iter().map(|h| code_view(lang, h)).collect(),
        relaxed: results.relaxed,
        did_you_mean,
        synonyms: results.synonyms.join("; "),
        suggestions,
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
