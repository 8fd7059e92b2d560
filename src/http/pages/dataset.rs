//! `/dataset/{id}` for browsers: the metadata in words, the distributions with their checksums, a preview of the first
//! rows of a CSV file, copy-paste API examples, the versions, links to the DCAT descriptions and a schema.org `Dataset`
//! in JSON-LD for search engines. A withdrawn dataset keeps its page, with a notice, under 410 Gone.
use askama::Template;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use catalog::CatalogError;
use catalog::export::CodeCache;
use catalog::model::Distribution;
use catalog::store::DatasetRecord;
use registry::model::ItemData;
use registry::store::encode_segment;
use serde_json::{Value, json};

use super::{Chrome, Ctx, Lang, Link, Txt, href, safe_url};
use crate::http::{ApiError, AppState};

/// Rows of the CSV preview.
const PREVIEW_ROWS: usize = 10;

#[derive(Template)]
#[template(path = "dataset.html")]
struct DatasetPage {
    c: Chrome,
    title: Txt,
    description: Txt,
    withdrawn: bool,
    withdrawn_reason: Option<String>,
    facts: Vec<Fact>,
    distributions: Vec<DistributionView>,
    preview: Option<PreviewView>,
    examples: Vec<Example>,
    releases: Vec<ReleaseView>,
    revisions: String,
    published_revision: i64,
    rdf_links: Vec<Link>,
    json_ld: String,
    usage: Vec<crate::http::usage::ChartDay>,
    usage_totals: Vec<(&'static str, u64)>,
    chart_width: u32,
    chart_height: u32,
    usage_from: String,
    usage_to: String,
    quality: Option<super::quality::ScoreView>,
    /// The feedback threads and forms (none on a withdrawn dataset).
    voice: Option<super::feedback::Voice>,
}

struct Fact {
    label: &'static str,
    values: Vec<Link>,
}

struct DistributionView {
    title: Txt,
    format: String,
    media_type: String,
    size: String,
    sha256: String,
    download: String,
    access: String,
}

struct PreviewView {
    caption: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    truncated: bool,
}

struct Example {
    label: &'static str,
    code: String,
}

struct ReleaseView {
    version: String,
    date: String,
    notes: String,
    revision: i64,
}

/// The HTML answer of `GET /dataset/{id}` (see `dcat`, which hands over to this when the client prefers HTML).
pub async fn page(state: &AppState, id: &str, uri: &Uri, headers: &HeaderMap) -> Response {
    let ctx = Ctx::new(uri, headers);
    ctx.respond(build(state, &ctx, id).await)
}

fn name_in(lang: Lang, item: Option<&ItemData>, code: &str) -> String {
    item.and_then(|i| lang.pick(&i.labels))
        .map(|(s, _)| s)
        .unwrap_or_else(|| code.to_owned())
}

async fn build(state: &AppState, ctx: &Ctx, id: &str) -> Result<Response, ApiError> {
    let (record, withdrawn) = match state.catalog.get(id, None, true).await {
        Ok(r) => (r, false),
        Err(CatalogError::Withdrawn(r)) => (*r, true),
        Err(e) => return Err(e.into()),
    };
    let lang = ctx.lang;
    let t = ctx.t();
    let codes = CodeCache::load(&state.catalog, &[&record], None).await?;
    let name = |list: &str, code: &str| name_in(lang, codes.get(list, code).as_ref(), code);
    let c = &record.content;
    let base = state.registry.base_uri().to_owned();
    let path = format!("/dataset/{}", encode_segment(&record.id));

    let mut facts = Vec::new();
    let mut fact = |label: &'static str, values: Vec<Link>| {
        if !values.is_empty() {
            facts.push(Fact { label, values });
        }
    };
    fact(
        t.publisher,
        vec![Link::new(
            name("agencies", &c.publisher),
            format!("/agency/{}", encode_segment(&c.publisher)),
        )],
    );
    fact(
        t.themes,
        c.themes
            .iter()
            .map(|th| {
                Link::new(
                    name("themes", th),
                    href("/search", [("theme", th.as_str())]),
                )
            })
            .collect(),
    );
    let keywords = match lang {
        Lang::En if !c.keywords.en.is_empty() => &c.keywords.en,
        Lang::Vi if c.keywords.vi.is_empty() => &c.keywords.en,
        Lang::En => &c.keywords.vi,
        Lang::Vi => &c.keywords.vi,
    };
    fact(
        t.keywords,
        keywords
            .iter()
            .map(|k| Link::new(k.clone(), href("/search", [("q", k.as_str())])))
            .collect(),
    );
    fact(
        t.spatial,
        c.spatial
            .iter()
            .map(|s| {
                Link::new(
                    name("administrative-units", s),
                    format!("/registry/administrative-units/{}", encode_segment(s)),
                )
            })
            .collect(),
    );
    if let Some(p) = &c.temporal {
        let text = match (p.start, p.end) {
            (Some(s), Some(e)) => format!("{} – {}", lang.date(s), lang.date(e)),
            (Some(s), None) => format!("{} –", lang.date(s)),
            (None, Some(e)) => format!("– {}", lang.date(e)),
            (None, None) => String::new(),
        };
        if !text.is_empty() {
            fact(t.temporal, vec![Link::text(text)]);
        }
    }
    let coded = |list: &'static str, code: &Option<String>| -> Vec<Link> {
        code.iter()
            .map(|v| {
                Link::new(
                    name(list, v),
                    format!("/registry/{list}/{}", encode_segment(v)),
                )
            })
            .collect()
    };
    fact(t.frequency, coded("frequencies", &c.frequency));
    fact(t.licence, coded("licences", &c.licence));
    fact(t.access_right, coded("access-rights", &c.access_right));
    fact(t.data_class, coded("data-classes", &c.data_class));
    fact(
        t.languages,
        c.languages
            .iter()
            .map(|l| Link::text(lang.language_name(l)))
            .collect(),
    );
    if let Some(d) = c.issued {
        fact(t.issued, vec![Link::text(lang.date(d))]);
    }
    if let Some(d) = &record.first_published_at {
        fact(t.first_published, vec![Link::text(lang.day_of(d))]);
    }
    if let Some(d) = c.modified {
        fact(t.modified, vec![Link::text(lang.date(d))]);
    } else if let Some(d) = &record.published_at {
        fact(t.modified, vec![Link::text(lang.day_of(d))]);
    }
    if let Some(cp) = &c.contact_point {
        let mut v = vec![Link::text(cp.name.clone())];
        if let Some(email) = &cp.email {
            v.push(Link::new(email.clone(), format!("mailto:{email}")));
        }
        fact(t.contact, v);
    }
    fact(
        t.landing_page,
        c.landing_page
            .iter()
            .filter_map(|u| safe_url(u).map(|h| Link::new(u.clone(), h)))
            .collect(),
    );
    fact(
        t.conforms_to,
        c.conforms_to
            .iter()
            .filter_map(|u| safe_url(u).map(|h| Link::new(u.clone(), h)))
            .collect(),
    );
    fact(t.identifier, vec![Link::text(record.uri.clone())]);
    if let Some(p) = &c.provenance {
        // A harvested dataset: the catalogue it came from, its identifier there, when it was harvested.
        let mut v: Vec<Link> = safe_url(&p.source)
            .map(|h| Link::new(p.source.clone(), h))
            .into_iter()
            .collect();
        v.push(match safe_url(&p.identifier) {
            Some(h) => Link::new(p.identifier.clone(), h),
            None => Link::text(p.identifier.clone()),
        });
        v.push(Link::text(lang.day_of(&p.harvested_at.to_rfc3339())));
        fact(t.harvested_from, v);
    }

    let download_path =
        |d: &Distribution| format!("{path}/distribution/{}/download", encode_segment(&d.id));
    let distributions: Vec<DistributionView> = c
        .distributions
        .iter()
        .map(|d| DistributionView {
            title: Txt::pick(lang, &d.title, &d.id),
            format: d
                .format
                .as_deref()
                .map(|f| name("file-types", f))
                .unwrap_or_default(),
            media_type: d.media_type.clone().unwrap_or_default(),
            size: d.byte_size.map(|b| lang.size(b)).unwrap_or_default(),
            sha256: d.file_sha256.clone().unwrap_or_default(),
            download: if d.file_sha256.is_some() {
                download_path(d)
            } else {
                d.download_url
                    .as_deref()
                    .and_then(safe_url)
                    .unwrap_or_default()
            },
            access: d
                .access_url
                .as_deref()
                .and_then(safe_url)
                .unwrap_or_default(),
        })
        .collect();

    let is_csv = |d: &&Distribution| d.is_csv_file();
    let csv = c.distributions.iter().find(is_csv);
    let preview = match csv {
        Some(d) if !withdrawn => preview(state, lang, d).await,
        _ => None,
    };

    let mut examples = vec![
        Example {
            label: t.api_json,
            code: format!("curl {base}/api/v1/datasets/{}", record.id),
        },
        Example {
            label: t.api_dcat,
            code: format!("curl -H 'Accept: text/turtle' {base}{path}"),
        },
    ];
    match csv {
        Some(d) => {
            let url = format!("{base}{}", download_path(d));
            examples.push(Example {
                label: t.api_download,
                code: format!("curl -L -o {}.csv {url}", d.id),
            });
            examples.push(Example {
                label: t.api_rows,
                code: format!(
                    "curl '{base}/api/v1/data/{}/{}?limit=5'",
                    record.id,
                    encode_segment(&d.id)
                ),
            });
            examples.push(Example {
                label: t.api_python,
                code: format!(
                    "import csv, io, urllib.request\n\n\
                     url = \"{url}\"\n\
                     with urllib.request.urlopen(url) as response:\n    \
                     rows = list(csv.DictReader(io.TextIOWrapper(response, encoding=\"utf-8-sig\")))\n\
                     print(len(rows), rows[0])"
                ),
            });
        }
        None => examples.push(Example {
            label: t.api_python,
            code: format!(
                "import json, urllib.request\n\n\
                 url = \"{base}/api/v1/datasets/{}\"\n\
                 with urllib.request.urlopen(url) as response:\n    \
                 dataset = json.load(response)\n\
                 print(dataset[\"title\"][\"vi\"])",
                record.id
            ),
        }),
    }

    let today = chrono::Utc::now().date_naive();
    let report = state
        .usage
        .report(&record.id, today - chrono::Duration::days(29), today)
        .await?;
    let names = [t.usage_views, t.usage_downloads, t.usage_api_calls];
    let usage = crate::http::usage::chart(&report, names);
    let usage_totals = vec![
        (names[0], report.totals.views),
        (names[1], report.totals.downloads),
        (names[2], report.totals.api_calls),
    ];
    let chart_width = crate::http::usage::DAY_WIDTH * u32::try_from(usage.len()).unwrap_or(30);
    let releases = state.catalog.releases(&record.id).await?;
    let revisions = state.catalog.revisions(&record.id).await?.len();
    let release_views = releases
        .iter()
        .rev()
        .map(|r| ReleaseView {
            version: r.version.clone(),
            date: lang.day_of(&r.created_at),
            notes: lang.pick(&r.notes).map(|(s, _)| s).unwrap_or_default(),
            revision: r.revision,
        })
        .collect();
    let rdf_links = [
        ("Turtle", "ttl"),
        ("JSON-LD", "jsonld"),
        ("RDF/XML", "rdfxml"),
    ]
    .into_iter()
    .map(|(label, f)| Link::new(label, href(&path, [("format", f)])))
    .collect();
    let json_ld = json_ld(
        state,
        lang,
        &record,
        &codes,
        releases.last().map(|r| r.version.as_str()),
    );

    let quality = if withdrawn {
        None
    } else {
        Some(super::quality::score_of(state, lang, c).await?)
    };
    let voice = if withdrawn {
        None
    } else {
        let target = crate::feedback::Target::Dataset(record.id.clone());
        Some(super::feedback::voice(state, ctx, target).await?)
    };
    let title = Txt::pick(lang, &c.title, &record.id);
    let description = Txt::pick(lang, &c.description, "");
    let mut chrome = ctx.chrome(title.text.clone(), "search");
    chrome.description = description.text.chars().take(160).collect();
    let page = DatasetPage {
        c: chrome,
        title,
        description,
        withdrawn,
        withdrawn_reason: record.status_reason.clone().filter(|_| withdrawn),
        facts,
        distributions,
        preview,
        examples,
        releases: release_views,
        revisions: lang.revisions_count(revisions),
        published_revision: record.published_revision.unwrap_or(record.revision),
        rdf_links,
        json_ld,
        usage,
        usage_totals,
        chart_width,
        chart_height: crate::http::usage::CHART_HEIGHT,
        usage_from: lang.date(report.from),
        usage_to: lang.date(report.to),
        quality,
        voice,
    };
    let status = if withdrawn {
        StatusCode::GONE
    } else {
        StatusCode::OK
    };
    Ok(ctx.html(status, &page))
}

async fn preview(state: &AppState, lang: Lang, d: &Distribution) -> Option<PreviewView> {
    let path = state.files.path(d.file_sha256.as_deref()?)?;
    let read =
        tokio::task::spawn_blocking(move || catalog::preview::csv_preview(&path, PREVIEW_ROWS))
            .await
            .ok()?;
    match read {
        Ok(p) => Some(PreviewView {
            caption: format!(
                "{} {}",
                lang.text().preview_caption,
                Txt::pick(lang, &d.title, &d.id).text
            ),
            columns: p.columns,
            rows: p.rows,
            truncated: p.truncated,
        }),
        Err(e) => {
            tracing::debug!(error = %e, distribution = %d.id, "no preview");
            None
        }
    }
}

/// schema.org `Dataset` for search engines, as the text of a `<script type="application/ld+json">` block.
fn json_ld(
    state: &AppState,
    lang: Lang,
    record: &DatasetRecord,
    codes: &CodeCache,
    version: Option<&str>,
) -> String {
    let c = &record.content;
    let base = state.registry.base_uri();
    let pick = |t: &registry::model::LangText| lang.pick(t).map(|(s, _)| s);
    let name = |list: &str, code: &str| name_in(lang, codes.get(list, code).as_ref(), code);
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": record.uri,
        "url": record.uri,
        "identifier": record.id,
        "name": pick(&c.title),
        "description": pick(&c.description),
        "inLanguage": c.languages,
        "isAccessibleForFree": true,
        "publisher": {
            "@type": "GovernmentOrganization",
            "name": name("agencies", &c.publisher),
            "url": format!("{base}/agency/{}", encode_segment(&c.publisher)),
        },
    });
    let keywords: Vec<&String> = c.keywords.vi.iter().chain(&c.keywords.en).collect();
    if !keywords.is_empty() {
        v["keywords"] = json!(keywords);
    }
    if let Some(l) = &c.licence {
        // The licence's own page when the registry knows it, else its registry URI.
        let url = codes
            .get("licences", l)
            .and_then(|i| {
                i.attributes
                    .get("url")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| state.registry.item_uri("licences", l));
        v["license"] = json!(url);
    }
    if let Some(p) = &c.temporal {
        let fmt =
            |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "..".into());
        v["temporalCoverage"] = json!(format!("{}/{}", fmt(p.start), fmt(p.end)));
    }
    if !c.spatial.is_empty() {
        v["spatialCoverage"] = json!(
            c.spatial
                .iter()
                .map(|s| json!({ "@type": "Place", "name": name("administrative-units", s) }))
                .collect::<Vec<_>>()
        );
    }
    if let Some(d) = &record.first_published_at {
        v["datePublished"] = json!(d);
    }
    if let Some(d) = &record.published_at {
        v["dateModified"] = json!(d);
    }
    if let Some(version) = version {
        v["version"] = json!(version);
    }
    let distributions: Vec<Value> = c
        .distributions
        .iter()
        .filter_map(|d| {
            let url = if d.file_sha256.is_some() {
                format!(
                    "{}/distribution/{}/download",
                    record.uri,
                    encode_segment(&d.id)
                )
            } else {
                d.download_url.clone().or_else(|| d.access_url.clone())?
            };
            let mut o = json!({ "@type": "DataDownload", "contentUrl": url });
            if let Some(m) = d.media_type.as_ref().or(d.format.as_ref()) {
                o["encodingFormat"] = json!(m);
            }
            if let Some(n) = pick(&d.title) {
                o["name"] = json!(n);
            }
            if let Some(b) = d.byte_size {
                o["contentSize"] = json!(format!("{b} B"));
            }
            if let Some(s) = &d.file_sha256 {
                o["sha256"] = json!(s);
            }
            Some(o)
        })
        .collect();
    if !distributions.is_empty() {
        v["distribution"] = json!(distributions);
    }
    script_safe_json(&v)
}

/// JSON that cannot end its `<script>` element early: `<`, `>` and `&` are written as `\u` escapes (only strings can
/// hold them, and there the escapes mean the same characters).
pub fn script_safe_json(v: &Value) -> String {
    serde_json::to_string_pretty(v)
        .expect("JSON serializes")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_cannot_close_its_script_element() {
        let v = json!({ "name": "</script><script>alert(1)</script> & <!--" });
        let s = script_safe_json(&v);
        assert!(!s.contains('<') && !s.contains('>'), "{s}");
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
