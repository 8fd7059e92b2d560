//! `/registry`, `/registry/{list}` and `/registry/{list}/{code}`: the code lists as pages, which makes the registry's
//! URIs (`{base}/registry/{list}/{code}`) dereferenceable. A client that asks for JSON or RDF instead of HTML is sent
//! (303 See Other) to the API, which negotiates the rest.
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use registry::InputProblem;
use registry::model::{ItemData, StatusAt};
use registry::store::{ItemQuery, encode_segment};

use super::{Chrome, Ctx, Lang, Link, Txt, best_media_type, href, safe_url};
use crate::http::{ApiError, AppState};

/// Items per page.
const PAGE_SIZE: usize = 50;
/// Children listed on an item's page.
const CHILDREN_SHOWN: usize = 100;

/// Media types that mean "not a person": answered by the API instead.
const MACHINE_TYPES: &[&str] = &[
    "application/json",
    "text/csv",
    "text/turtle",
    "application/ld+json",
    "application/rdf+xml",
    "application/n-triples",
];

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

/// The API's address for a machine client, if this is one.
fn machine(headers: &HeaderMap, api: impl FnOnce() -> String) -> Option<Response> {
    best_media_type(headers)
        .filter(|m| MACHINE_TYPES.contains(&m.as_str()))
        .map(|_| see_other(&api()))
}

fn list_path(list: &str) -> String {
    format!("/registry/{}", encode_segment(list))
}

fn item_path(list: &str, code: &str) -> String {
    format!(
        "/registry/{}/{}",
        encode_segment(list),
        encode_segment(code)
    )
}

fn status_class(s: StatusAt) -> &'static str {
    match s {
        StatusAt::Valid => "valid",
        StatusAt::Superseded | StatusAt::Retired | StatusAt::Invalid => "closed",
        StatusAt::NotYetValid | StatusAt::Submitted => "pending",
    }
}

#[derive(Template)]
#[template(path = "registry_lists.html")]
struct ListsPage {
    c: Chrome,
    lists: Vec<ListCard>,
}

struct ListCard {
    title: Txt,
    description: Txt,
    href: String,
    id: String,
    items: String,
    release: String,
}

/// `GET /registry`.
pub async fn lists(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Response {
    if let Some(r) = machine(&headers, || "/api/v1/registry/lists".into()) {
        return r;
    }
    ctx.respond(build_lists(&state, &ctx).await)
}

async fn build_lists(state: &AppState, ctx: &Ctx) -> Result<Response, ApiError> {
    let lang = ctx.lang;
    let t = ctx.t();
    let lists = state
        .registry
        .lists()
        .await?
        .into_iter()
        .map(|l| ListCard {
            title: Txt::pick(lang, &l.meta.title, l.meta.id.as_str()),
            description: Txt::pick(lang, &l.meta.description, ""),
            href: list_path(l.meta.id.as_str()),
            id: l.meta.id.as_str().to_owned(),
            items: lang.int(l.item_counts.values().sum()),
            release: l
                .latest_release
                .map(|n| format!("{} {n}", t.release))
                .unwrap_or_else(|| t.no_release.to_owned()),
        })
        .collect();
    let page = ListsPage {
        c: ctx.chrome(t.registry_title, "registry"),
        lists,
    };
    Ok(ctx.html(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "registry_list.html")]
struct ListPage {
    c: Chrome,
    id: String,
    title: Txt,
    description: Txt,
    facts: Vec<(&'static str, Vec<Link>)>,
    downloads: Vec<Link>,
    text: String,
    statuses: Vec<(&'static str, &'static str, bool)>,
    levels: Vec<(String, String, bool)>,
    parent: String,
    trail: Vec<Link>,
    items: Vec<ItemRow>,
    next: Option<String>,
    first: Option<String>,
    releases: Vec<ReleaseRow>,
    /// The feedback threads and forms.
    voice: super::feedback::Voice,
}

struct ItemRow {
    code: String,
    href: String,
    label: Txt,
    level: String,
    status: &'static str,
    status_class: &'static str,
    validity: String,
    successors: Vec<Link>,
    children: Option<String>,
}

struct ReleaseRow {
    number: i64,
    date: String,
    items: String,
    notes: String,
    links: Vec<Link>,
}

const STATUSES: &[&str] = &[
    "valid",
    "superseded",
    "retired",
    "notYetValid",
    "submitted",
    "invalid",
];

fn row(lang: Lang, list: &str, levels: &[String], item: &ItemData) -> ItemRow {
    let today = Utc::now().date_naive();
    let status = item.status_at(today);
    let has_children = match (levels.last(), &item.level) {
        (None, _) => false,
        (Some(last), Some(level)) => level != last,
        (Some(_), None) => true,
    };
    ItemRow {
        code: item.code.clone(),
        href: item_path(list, &item.code),
        label: Txt::pick(lang, &item.labels, &item.code),
        level: item
            .level
            .as_deref()
            .map(|l| lang.level(l))
            .unwrap_or_default(),
        status: lang.item_status(status),
        status_class: status_class(status),
        validity: lang.validity(item.valid_from, item.valid_to),
        successors: item
            .successors
            .iter()
            .map(|s| Link::new(s.clone(), item_path(list, s)))
            .collect(),
        children: has_children.then(|| href(&list_path(list), [("parent", item.code.as_str())])),
    }
}

/// `GET /registry/{list}`: `q` (code or name, diacritics optional), `status`, `level`, `parent`, `cursor`. A
/// hierarchical list opens on its top level; `level=` (empty) shows every level.
pub async fn list(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ctx: Ctx,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = machine(&headers, || {
        format!("/api/v1/registry/lists/{}", encode_segment(&list))
    }) {
        return r;
    }
    ctx.respond(build_list(&state, &ctx, &list).await)
}

async fn build_list(state: &AppState, ctx: &Ctx, list: &str) -> Result<Response, ApiError> {
    let lang = ctx.lang;
    let t = ctx.t();
    let summary = state.registry.list(list).await?;
    let meta = &summary.meta;
    let text = ctx.param("q").unwrap_or_default().trim().to_owned();
    let status = ctx.param("status").filter(|s| !s.is_empty());
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(ApiError::BadRequest(vec![InputProblem::field(
            "status",
            format!("{s:?} is not one of {STATUSES:?}"),
        )]));
    }
    let parent = ctx.param("parent").filter(|s| !s.is_empty());
    let cursor = ctx.param("cursor").filter(|s| !s.is_empty());
    let level = match ctx.param("level") {
        Some("") => None,
        Some(l) if meta.levels.iter().any(|m| m == l) => Some(l.to_owned()),
        Some(l) => {
            return Err(ApiError::BadRequest(vec![InputProblem::field(
                "level",
                format!("{l:?} is not one of {:?}", meta.levels),
            )]));
        }
        None if text.is_empty() && parent.is_none() && status.is_none() => {
            meta.levels.first().cloned()
        }
        None => None,
    };
    let mut trail = Vec::new();
    let parent_code = match parent {
        Some(p) => {
            let view = state.registry.item(list, p, None, None).await?;
            let mut chain = state.registry.ancestors(list, p).await?;
            chain.reverse();
            chain.push(view.clone());
            trail = chain
                .iter()
                .map(|v| {
                    Link::new(
                        Txt::pick(lang, &v.data.labels, &v.data.code).text,
                        href(&list_path(list), [("parent", v.data.code.as_str())]),
                    )
                })
                .collect();
            Some(view.data.code)
        }
        None => None,
    };
    let today = Utc::now().date_naive();
    let page = state
        .registry
        .items(
            list,
            &ItemQuery {
                text: Some(text.clone()).filter(|t| !t.is_empty()),
                status: status.map(str::to_owned),
                // A status names the status today, so "valid" hides codes whose validity has ended.
                valid_at: status.map(|_| today),
                parent: parent_code.clone(),
                level: level.clone(),
                cursor: cursor.map(str::to_owned),
                limit: PAGE_SIZE,
                ..ItemQuery::default()
            },
        )
        .await?;
    let keep = |with_cursor: Option<&str>| -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if !text.is_empty() {
            pairs.push(("q", &text));
        }
        if let Some(s) = status {
            pairs.push(("status", s));
        }
        if let Some(p) = &parent_code {
            pairs.push(("parent", p));
        }
        if !meta.levels.is_empty() {
            // Explicit, so that "every level" (empty) survives paging.
            pairs.push(("level", level.as_deref().unwrap_or_default()));
        }
        if let Some(c) = with_cursor {
            pairs.push(("cursor", c));
        }
        href(&list_path(list), pairs)
    };
    let items = page
        .items
        .iter()
        .map(|v| row(lang, list, &meta.levels, &v.data))
        .collect();

    let api = format!("/api/v1/registry/lists/{}", encode_segment(list));
    let releases = state
        .registry
        .releases(list)
        .await?
        .into_iter()
        .rev()
        .map(|r| {
            let base = format!("{api}/releases/{}", r.number);
            let mut links = vec![
                Link::new("CSV", href(&base, [("format", "csv")])),
                Link::new("SKOS (Turtle)", href(&base, [("format", "ttl")])),
                Link::new(t.manifest, format!("{base}/manifest")),
            ];
            if r.number > 1 {
                links.push(Link::new(
                    t.diff_previous,
                    format!("{api}/releases/{}/diff/{}", r.number - 1, r.number),
                ));
            }
            ReleaseRow {
                number: r.number,
                date: lang.day_of(&r.created_at),
                items: lang.int(r.item_count),
                notes: lang.pick(&r.notes).map(|(s, _)| s).unwrap_or_default(),
                links,
            }
        })
        .collect();

    let mut facts: Vec<(&'static str, Vec<Link>)> = vec![
        (t.list_id, vec![Link::text(meta.id.as_str())]),
        (t.uri, vec![Link::text(summary.uri.clone())]),
    ];
    if let Some(owner) = &meta.owner_agency {
        let name = state
            .registry
            .item("agencies", owner, None, None)
            .await
            .ok()
            .and_then(|v| lang.pick(&v.data.labels))
            .map(|(s, _)| s)
            .unwrap_or_else(|| owner.clone());
        facts.push((
            t.owner,
            vec![Link::new(
                name,
                format!("/agency/{}", encode_segment(owner)),
            )],
        ));
    }
    if !meta.levels.is_empty() {
        facts.push((
            t.levels,
            meta.levels
                .iter()
                .map(|l| Link::text(lang.level(l)))
                .collect(),
        ));
    }
    if let Some(l) = &meta.licence {
        facts.push((
            t.licence,
            vec![Link::new(l.clone(), item_path("licences", l))],
        ));
    }
    facts.push((
        t.items_count,
        summary
            .item_counts
            .iter()
            .map(|(s, n)| Link::text(format!("{}: {}", lang.registered_status(s), lang.int(*n))))
            .collect(),
    ));
    let downloads = vec![
        Link::new("CSV", href(&api, [("format", "csv")])),
        Link::new("SKOS (Turtle)", href(&api, [("format", "ttl")])),
        Link::new("SKOS (JSON-LD)", href(&api, [("format", "jsonld")])),
        Link::new("SKOS (RDF/XML)", href(&api, [("format", "rdfxml")])),
        Link::new("JSON (API)", format!("{api}/items")),
    ];
    let statuses = STATUSES
        .iter()
        .map(|s| (*s, lang.registered_status(s), Some(*s) == status))
        .collect();
    let levels = meta
        .levels
        .iter()
        .map(|l| {
            (
                l.clone(),
                lang.level(l),
                level.as_deref() == Some(l.as_str()),
            )
        })
        .collect();
    let title = Txt::pick(lang, &meta.title, meta.id.as_str());
    let mut chrome = ctx.chrome(title.text.clone(), "registry");
    let description = Txt::pick(lang, &meta.description, "");
    if !description.text.is_empty() {
        chrome.description = description.text.chars().take(160).collect();
    }
    let target = crate::feedback::Target::CodeList(meta.id.as_str().to_owned());
    let voice = super::feedback::voice(state, ctx, target).await?;
    let page = ListPage {
        voice,
        c: chrome,
        id: meta.id.as_str().to_owned(),
        title,
        description,
        facts,
        downloads,
        first: cursor.map(|_| keep(None)),
        next: page.next.as_deref().map(|n| keep(Some(n))),
        text,
        statuses,
        levels,
        parent: parent_code.clone().unwrap_or_default(),
        trail,
        items,
        releases,
    };
    Ok(ctx.html(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "registry_item.html")]
struct ItemPage {
    c: Chrome,
    list_title: Txt,
    list_href: String,
    trail: Vec<Link>,
    label: Txt,
    code: String,
    status: &'static str,
    status_class: &'static str,
    facts: Vec<(&'static str, Vec<Link>)>,
    children: Vec<ItemRow>,
    more_children: Option<String>,
    api_links: Vec<Link>,
}

/// `GET /registry/{list}/{code}` (the code or any notation).
pub async fn item(
    State(state): State<AppState>,
    Path((list, code)): Path<(String, String)>,
    ctx: Ctx,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = machine(&headers, || {
        format!(
            "/api/v1/registry/lists/{}/items/{}",
            encode_segment(&list),
            encode_segment(&code)
        )
    }) {
        return r;
    }
    ctx.respond(build_item(&state, &ctx, &list, &code).await)
}

async fn build_item(
    state: &AppState,
    ctx: &Ctx,
    list: &str,
    code: &str,
) -> Result<Response, ApiError> {
    let lang = ctx.lang;
    let t = ctx.t();
    let meta = state.registry.meta(list).await?;
    let view = state.registry.item(list, code, None, None).await?;
    let item = &view.data;
    let today = Utc::now().date_naive();
    let status = item.status_at(today);
    let mut ancestors = state.registry.ancestors(list, &item.code).await?;
    ancestors.reverse();
    let trail = ancestors
        .iter()
        .map(|a| {
            Link::new(
                Txt::pick(lang, &a.data.labels, &a.data.code).text,
                item_path(list, &a.data.code),
            )
        })
        .collect();
    let named = |codes: Vec<String>| async move {
        let mut out = Vec::new();
        for c in codes {
            let name = state
                .registry
                .item(list, &c, None, None)
                .await
                .ok()
                .and_then(|v| lang.pick(&v.data.labels))
                .map(|(s, _)| format!("{s} ({c})"))
                .unwrap_or_else(|| c.clone());
            out.push(Link::new(name, item_path(list, &c)));
        }
        out
    };

    let mut facts: Vec<(&'static str, Vec<Link>)> = vec![
        (t.code, vec![Link::text(item.code.clone())]),
        (t.uri, vec![Link::text(view.uri.clone())]),
    ];
    for (label, text) in [(t.label_vi, &item.labels.vi), (t.label_en, &item.labels.en)] {
        if let Some(s) = text {
            facts.push((label, vec![Link::text(s.clone())]));
        }
    }
    if let Some((d, _)) = lang.pick(&item.definition) {
        facts.push((t.definition, vec![Link::text(d)]));
    }
    if let Some(l) = &item.level {
        facts.push((t.level, vec![Link::text(lang.level(l))]));
    }
    if let Some(p) = &item.parent {
        facts.push((t.parent, named(vec![p.clone()]).await));
    }
    let validity = lang.validity(item.valid_from, item.valid_to);
    if !validity.is_empty() {
        facts.push((t.validity, vec![Link::text(validity)]));
    }
    if let Some(b) = item.legal_basis.as_ref().filter(|b| !b.is_empty()) {
        let mut parts = Vec::new();
        parts.extend(b.decision.clone());
        parts.extend(b.date.map(|d| lang.date(d)));
        parts.extend(b.issuer.clone());
        facts.push((t.legal_basis, vec![Link::text(parts.join(", "))]));
    }
    if !item.successors.is_empty() {
        facts.push((t.successors, named(item.successors.clone()).await));
    }
    if !view.predecessors.is_empty() {
        facts.push((t.predecessors, named(view.predecessors.clone()).await));
    }
    if !item.notations.is_empty() {
        facts.push((
            t.notations,
            item.notations
                .iter()
                .map(|n| Link::text(format!("{} ({})", n.value, n.kind)))
                .collect(),
        ));
    }
    let external = |iris: &[String]| -> Vec<Link> {
        iris.iter()
            .map(|i| match safe_url(i) {
                Some(h) => Link::new(i.clone(), h),
                None => Link::text(i.clone()),
            })
            .collect()
    };
    if !item.exact_match.is_empty() {
        facts.push((t.exact_match, external(&item.exact_match)));
    }
    if !item.close_match.is_empty() {
        facts.push((t.close_match, external(&item.close_match)));
    }
    if !item.attributes.is_empty() {
        facts.push((
            t.attributes,
            item.attributes
                .iter()
                .map(|(k, v)| {
                    let value = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    match v.as_str().and_then(safe_url) {
                        Some(h) => Link::new(format!("{k}: {value}"), h),
                        None => Link::text(format!("{k}: {value}")),
                    }
                })
                .collect(),
        ));
    }

    let children_page = state
        .registry
        .items(
            list,
            &ItemQuery {
                parent: Some(item.code.clone()),
                limit: CHILDREN_SHOWN,
                ..ItemQuery::default()
            },
        )
        .await?;
    let children = children_page
        .items
        .iter()
        .map(|v| row(lang, list, &meta.levels, &v.data))
        .collect();
    let api = format!(
        "/api/v1/registry/lists/{}/items/{}",
        encode_segment(list),
        encode_segment(&item.code)
    );
    let label = Txt::pick(lang, &item.labels, &item.code);
    let page = ItemPage {
        c: ctx.chrome(format!("{} ({})", label.text, item.code), "registry"),
        list_title: Txt::pick(lang, &meta.title, list),
        list_href: list_path(list),
        trail,
        label,
        code: item.code.clone(),
        status: lang.item_status(status),
        status_class: status_class(status),
        facts,
        children,
        more_children: children_page
            .next
            .map(|_| href(&list_path(list), [("parent", item.code.as_str())])),
        api_links: vec![
            Link::new(t.item_api, api.clone()),
            Link::new(t.item_history, format!("{api}/history")),
        ],
    };
    Ok(ctx.html(StatusCode::OK, &page))
}

/// `GET /registry/{list}/releases/{number}`: a release's URI, answered by the API (which negotiates JSON, CSV, SKOS).
pub async fn release(Path((list, number)): Path<(String, String)>) -> Response {
    see_other(&format!(
        "/api/v1/registry/lists/{}/releases/{}",
        encode_segment(&list),
        encode_segment(&number)
    ))
}
