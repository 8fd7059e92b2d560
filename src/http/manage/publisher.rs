//! The publishers' pages: their agency's datasets, the dataset form (Vietnamese and English, with pickers fed by the
//! registry that offer only codes valid today and name the successors of a closed code already chosen), file upload
//! with the checksum shown, submission for approval, revision history with diffs, and releases. Same checks as the
//! catalog API: a publisher (or approver) acts on their own agency's datasets only.
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use catalog::Transition;
use catalog::model::DatasetContent;
use catalog::store::{DatasetQuery, DatasetRecord};
use registry::model::ItemData;
use registry::store::ItemQuery;
use serde_json::{Value, json};

pub use super::edits::{
    add_link, create, edit_distribution, mark_release, submit, transition, update, upload,
    upload_raw,
};
use super::form::FormData;
use super::session::SignedIn;
use super::texts::ManageText;
use super::{DiffRow, Frame, parts, render, render_problems, workflow_label};
use crate::accounts::Principal;
use crate::http::pages::{Chrome, Ctx, Link, Txt};
use crate::http::{ApiError, AppState};

/// A code offered by a picker.
pub struct Choice {
    /// The code.
    pub code: String,
    /// Its name in the page's language.
    pub label: String,
    /// Chosen.
    pub selected: bool,
}

/// The registry's codes for the dataset form, valid today.
struct Pickers {
    themes: Vec<ItemData>,
    provinces: Vec<ItemData>,
    licences: Vec<ItemData>,
    frequencies: Vec<ItemData>,
    access_rights: Vec<ItemData>,
    agencies: Vec<ItemData>,
}

fn valid_today(items: Vec<ItemData>) -> Vec<ItemData> {
    let today = chrono::Utc::now().date_naive();
    items
        .into_iter()
        .filter(|i| i.status_at(today) == registry::model::StatusAt::Valid)
        .collect()
}

impl Pickers {
    async fn load(state: &AppState, admin: bool) -> Result<Self, ApiError> {
        let all = |list: &'static str| async move {
            Ok::<_, ApiError>(valid_today(state.registry.all_items(list).await?))
        };
        let provinces = state
            .registry
            .items(
                "administrative-units",
                &ItemQuery {
                    level: Some("province".into()),
                    valid_at: Some(chrono::Utc::now().date_naive()),
                    limit: 1000,
                    ..ItemQuery::default()
                },
            )
            .await
            .map(|p| p.items.into_iter().map(|v| v.data).collect())
            .unwrap_or_default();
        Ok(Self {
            themes: all("themes").await?,
            provinces,
            licences: all("licences").await?,
            frequencies: all("frequencies").await?,
            access_rights: all("access-rights").await?,
            // Only an admin chooses the publisher; everyone else publishes for their own agency.
            agencies: if admin {
                all("agencies").await?
            } else {
                vec![]
            },
        })
    }
}

/// The options of a picker: the valid codes, plus any chosen code that has closed, named with its successors.
async fn choices(
    state: &AppState,
    ctx: &Ctx,
    m: &ManageText,
    list: &str,
    valid: &[ItemData],
    chosen: &[String],
) -> Vec<Choice> {
    let mut out: Vec<Choice> = valid
        .iter()
        .map(|i| Choice {
            code: i.code.clone(),
            label: format!(
                "{} ({})",
                Txt::pick(ctx.lang, &i.labels, &i.code).text,
                i.code
            ),
            selected: chosen.contains(&i.code),
        })
        .collect();
    for code in chosen {
        if valid.iter().any(|i| &i.code == code) {
            continue;
        }
        let label = match state.registry.item(list, code, None, None).await {
            Ok(view) => {
                let name = Txt::pick(ctx.lang, &view.data.labels, code).text;
                let successors = if view.data.successors.is_empty() {
                    String::new()
                } else {
                    format!(", {} {}", m.use_instead, view.data.successors.join(", "))
                };
                format!("{name} ({code}: {}{successors})", m.closed_code)
            }
            Err(_) => code.clone(),
        };
        out.insert(
            0,
            Choice {
                code: code.clone(),
                label,
                selected: true,
            },
        );
    }
    out
}

/// The dataset form's values, as typed or as stored.
pub struct FormView {
    /// Identifier (new datasets).
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    pub description_vi: String,
    pub description_en: String,
    pub keywords_vi: String,
    pub keywords_en: String,
    pub lang_vi: bool,
    pub lang_en: bool,
    pub publisher: String,
    pub agencies: Vec<Choice>,
    pub themes: Vec<Choice>,
    pub provinces: Vec<Choice>,
    pub licences: Vec<Choice>,
    pub frequencies: Vec<Choice>,
    pub access_rights: Vec<Choice>,
}

/// A stored dataset as the form's fields.
pub(super) fn form_of(content: &DatasetContent) -> FormData {
    let mut pairs = vec![
        ("publisher", content.publisher.clone()),
        ("title_vi", content.title.vi.clone().unwrap_or_default()),
        ("title_en", content.title.en.clone().unwrap_or_default()),
        (
            "description_vi",
            content.description.vi.clone().unwrap_or_default(),
        ),
        (
            "description_en",
            content.description.en.clone().unwrap_or_default(),
        ),
        ("keywords_vi", content.keywords.vi.join(", ")),
        ("keywords_en", content.keywords.en.join(", ")),
        ("licence", content.licence.clone().unwrap_or_default()),
        ("frequency", content.frequency.clone().unwrap_or_default()),
        (
            "access_right",
            content.access_right.clone().unwrap_or_default(),
        ),
    ];
    pairs.extend(content.themes.iter().map(|t| ("themes", t.clone())));
    pairs.extend(content.spatial.iter().map(|s| ("spatial", s.clone())));
    pairs.extend(content.languages.iter().map(|l| ("languages", l.clone())));
    FormData::from_pairs(pairs)
}

async fn form_view(
    state: &AppState,
    ctx: &Ctx,
    principal: &Principal,
    form: &FormData,
) -> Result<FormView, ApiError> {
    let m = super::texts::of(ctx.lang);
    let admin = principal.curator().acts_for_every_agency();
    let p = Pickers::load(state, admin).await?;
    let one = |k: &str| form.get(k).map(|v| vec![v.to_owned()]).unwrap_or_default();
    let languages = form.all("languages");
    Ok(FormView {
        id: form.get("id").unwrap_or("").to_owned(),
        title_vi: form.get("title_vi").unwrap_or("").to_owned(),
        title_en: form.get("title_en").unwrap_or("").to_owned(),
        description_vi: form.get("description_vi").unwrap_or("").to_owned(),
        description_en: form.get("description_en").unwrap_or("").to_owned(),
        keywords_vi: form.get("keywords_vi").unwrap_or("").to_owned(),
        keywords_en: form.get("keywords_en").unwrap_or("").to_owned(),
        lang_vi: languages.iter().any(|l| l == "vi"),
        lang_en: languages.iter().any(|l| l == "en"),
        publisher: form
            .get("publisher")
            .map(str::to_owned)
            .or_else(|| principal.agency.clone())
            .unwrap_or_default(),
        // Only an admin picks the publisher (the others publish for their agency, shown as text).
        agencies: if admin {
            choices(state, ctx, m, "agencies", &p.agencies, &one("publisher")).await
        } else {
            Vec::new()
        },
        themes: choices(state, ctx, m, "themes", &p.themes, &form.all("themes")).await,
        provinces: choices(
            state,
            ctx,
            m,
            "administrative-units",
            &p.provinces,
            &form.all("spatial"),
        )
        .await,
        licences: choices(state, ctx, m, "licences", &p.licences, &one("licence")).await,
        frequencies: choices(
            state,
            ctx,
            m,
            "frequencies",
            &p.frequencies,
            &one("frequency"),
        )
        .await,
        access_rights: choices(
            state,
            ctx,
            m,
            "access-rights",
            &p.access_rights,
            &one("access_right"),
        )
        .await,
    })
}

/// The form's fields as JSON: a full content for a new dataset, a merge patch for an edit (a blank field is `null`,
/// which removes it; distributions are not the form's and stay as they are).
pub(super) fn content_json(form: &FormData, publisher: &str) -> Value {
    let text = |k: &str| form.get(k).map_or(Value::Null, |v| json!(v));
    json!({
        "title": { "vi": text("title_vi"), "en": text("title_en") },
        "description": { "vi": text("description_vi"), "en": text("description_en") },
        "publisher": publisher,
        "themes": form.all("themes"),
        "keywords": { "vi": form.list("keywords_vi"), "en": form.list("keywords_en") },
        "spatial": form.all("spatial"),
        "languages": form.all("languages"),
        "licence": text("licence"),
        "frequency": text("frequency"),
        "accessRight": text("access_right"),
    })
}

/// Drops `null`s and empty texts so that the result parses as a new dataset's content.
pub(super) fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The agency a principal publishes for on the form: their own, or any for an admin.
pub(super) fn publisher_for(principal: &Principal, form: &FormData) -> Result<String, ApiError> {
    Ok(principal
        .curator()
        .publisher_of_new(form.get("publisher"))?)
}

#[derive(Template)]
#[template(path = "manage_datasets.html")]
struct DatasetsPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    rows: Vec<DatasetRow>,
    may_create: bool,
}

struct DatasetRow {
    link: Link,
    status: (&'static str, &'static str),
    updated: String,
    revision: i64,
}

/// `GET /manage/datasets`: the agency's datasets in every state.
pub async fn datasets(State(state): State<AppState>, ctx: Ctx, me: SignedIn) -> Response {
    let result = async {
        let curator = me.principal.curator();
        let workspace = curator.workspace()?;
        let m = super::texts::of(ctx.lang);
        let page = state
            .catalog
            .list(&DatasetQuery {
                publisher: workspace.map(str::to_owned),
                public: false,
                limit: 1000,
                ..DatasetQuery::default()
            })
            .await?;
        let rows = page
            .items
            .into_iter()
            .map(|d| DatasetRow {
                link: Link::new(
                    Txt::pick(ctx.lang, &d.content.title, &d.id).text,
                    format!("/manage/datasets/{}", d.id),
                ),
                status: workflow_label(m, d.status),
                updated: ctx.lang.day_of(&d.updated_at),
                revision: d.current_revision,
            })
            .collect();
        let (c, m, f) = parts(&ctx, &me, m.my_datasets, "datasets");
        Ok(render(
            &ctx,
            &DatasetsPage {
                c,
                m,
                f,
                rows,
                may_create: curator.creates_datasets(),
            },
        ))
    }
    .await;
    ctx.respond(result)
}

#[derive(Template)]
#[template(path = "manage_dataset.html")]
struct DatasetPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    heading: String,
    /// `/manage/datasets` for a new dataset, `/manage/datasets/{id}` for an edit.
    action: String,
    v: FormView,
    problems: Vec<String>,
    existing: Option<Existing>,
    /// A harvested dataset: no form is shown.
    read_only: bool,
}

/// What the page shows of a dataset that exists.
struct Existing {
    id: String,
    /// The revision the page's forms edit (sent back with them, so a change made meanwhile is caught).
    revision: i64,
    status: (&'static str, &'static str),
    reason: String,
    public_href: String,
    may_submit: bool,
    may_decide: bool,
    may_withdraw: bool,
    may_release: bool,
    files: Vec<FileRow>,
    formats: Vec<Choice>,
    link_formats: Vec<Choice>,
    uploaded: String,
    revisions: Vec<RevisionRow>,
    releases: Vec<String>,
    /// The catalogue a harvested dataset comes from (empty for one described here): such a dataset is read-only on
    /// these pages, which then show no form (issue 20).
    harvested_from: String,
    /// The current revision's score, before it is submitted.
    quality: Option<crate::http::pages::quality::ScoreView>,
}

struct FileRow {
    id: String,
    title: String,
    title_vi: String,
    title_en: String,
    format: String,
    size: String,
    sha256: String,
    /// The format picker of the file's edit form.
    formats: Vec<Choice>,
    format_field: String,
}

struct RevisionRow {
    number: i64,
    author: String,
    message: String,
    when: String,
    diff_href: String,
}

async fn existing(
    state: &AppState,
    ctx: &Ctx,
    principal: &Principal,
    record: &DatasetRecord,
) -> Result<Existing, ApiError> {
    let m = super::texts::of(ctx.lang);
    let agency = &record.content.publisher;
    let formats = valid_today(state.registry.all_items("file-types").await?);
    let revisions = state
        .catalog
        .revisions(&record.id)
        .await?
        .into_iter()
        .rev()
        .map(|r| RevisionRow {
            diff_href: if r.number > 1 {
                format!(
                    "/manage/datasets/{}/revisions/{}/diff/{}",
                    record.id,
                    r.number - 1,
                    r.number
                )
            } else {
                String::new()
            },
            number: r.number,
            author: r.author,
            message: r.message,
            when: r.created_at.replace('T', " ").chars().take(19).collect(),
        })
        .collect();
    let releases = state
        .catalog
        .releases(&record.id)
        .await?
        .into_iter()
        .map(|r| {
            format!(
                "{} · {} {} · {}",
                r.version,
                m.revision,
                r.revision,
                ctx.lang.day_of(&r.created_at)
            )
        })
        .collect();
    let mut files = Vec::new();
    for d in &record.content.distributions {
        let chosen: Vec<String> = d.format.iter().cloned().collect();
        files.push(FileRow {
            id: d.id.clone(),
            title: Txt::pick(ctx.lang, &d.title, &d.id).text,
            title_vi: d.title.vi.clone().unwrap_or_default(),
            title_en: d.title.en.clone().unwrap_or_default(),
            format: d.format.clone().unwrap_or_default(),
            size: d.byte_size.map(|b| ctx.lang.size(b)).unwrap_or_default(),
            sha256: d.file_sha256.clone().unwrap_or_default(),
            formats: choices(state, ctx, m, "file-types", &formats, &chosen).await,
            format_field: format!("format-{}", d.id),
        });
    }
    let curator = principal.curator();
    let may = |t: Transition| {
        curator.may(t, agency) && t.target(record.status, record.published_revision).is_some()
    };
    Ok(Existing {
        id: record.id.clone(),
        revision: record.current_revision,
        status: workflow_label(m, record.status),
        reason: record.status_reason.clone().unwrap_or_default(),
        public_href: if record.published_revision.is_some() {
            format!("/dataset/{}", record.id)
        } else {
            String::new()
        },
        may_submit: may(Transition::Submit),
        may_decide: may(Transition::Publish),
        may_withdraw: may(Transition::Withdraw),
        may_release: curator.may_edit(agency) && record.published_revision.is_some(),
        files,
        formats: choices(state, ctx, m, "file-types", &formats, &["CSV".to_owned()]).await,
        link_formats: choices(state, ctx, m, "file-types", &formats, &[]).await,
        uploaded: ctx.param("uploaded").unwrap_or("").to_owned(),
        revisions,
        releases,
        harvested_from: record
            .content
            .provenance
            .as_ref()
            .map(|p| p.source.clone())
            .unwrap_or_default(),
        quality: Some(
            crate::http::pages::quality::score_of(state, ctx.lang, &record.content).await?,
        ),
    })
}

/// Renders the dataset page: the new-dataset form (`record` none) or an existing dataset with its form, files,
/// workflow and history; `form` keeps what was typed when a save was refused.
pub(super) async fn dataset_page(
    state: &AppState,
    ctx: &Ctx,
    me: &SignedIn,
    record: Option<&DatasetRecord>,
    form: Option<FormData>,
    problems: Vec<String>,
) -> Result<Response, ApiError> {
    let m = super::texts::of(ctx.lang);
    let form = match (form, record) {
        (Some(f), _) => f,
        (None, Some(r)) => form_of(&r.content),
        (None, None) => FormData::from_pairs(vec![("languages", "vi".to_owned())]),
    };
    let v = form_view(state, ctx, &me.principal, &form).await?;
    let (heading, action, existing) = match record {
        Some(r) => (
            Txt::pick(ctx.lang, &r.content.title, &r.id).text,
            format!("/manage/datasets/{}", r.id),
            Some(existing(state, ctx, &me.principal, r).await?),
        ),
        None => (
            m.new_dataset.to_owned(),
            "/manage/datasets".to_owned(),
            None,
        ),
    };
    let (c, m, f) = parts(ctx, me, heading.clone(), "datasets");
    let read_only = existing
        .as_ref()
        .is_some_and(|e| !e.harvested_from.is_empty());
    let page = DatasetPage {
        read_only,
        c,
        m,
        f,
        heading,
        action,
        v,
        problems: problems.clone(),
        existing,
    };
    Ok(if problems.is_empty() {
        render(ctx, &page)
    } else {
        render_problems(ctx, &page)
    })
}

/// The dataset, if `principal` may see its curation pages (403 for another agency's).
pub async fn staff_record(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<DatasetRecord, ApiError> {
    let record = state.catalog.get(id, None, false).await?;
    principal.curator().check_edit(&record.content.publisher)?;
    Ok(record)
}

/// `GET /manage/datasets/new`.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx, me: SignedIn) -> Response {
    let result = async {
        publisher_for(&me.principal, &FormData::default())?;
        dataset_page(&state, &ctx, &me, None, None, vec![]).await
    }
    .await;
    ctx.respond(result)
}

/// `GET /manage/datasets/{id}`.
pub async fn dataset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    me: SignedIn,
) -> Response {
    let result = async {
        let record = staff_record(&state, &me.principal, &id).await?;
        dataset_page(&state, &ctx, &me, Some(&record), None, vec![]).await
    }
    .await;
    ctx.respond(result)
}

#[derive(Template)]
#[template(path = "manage_diff.html")]
struct DiffPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    id: String,
    from: i64,
    to: i64,
    rows: Vec<DiffRow>,
}

/// `GET /manage/datasets/{id}/revisions/{from}/diff/{to}`.
pub async fn diff(
    State(state): State<AppState>,
    Path((id, from, to)): Path<(String, i64, i64)>,
    ctx: Ctx,
    me: SignedIn,
) -> Response {
    let result = async {
        staff_record(&state, &me.principal, &id).await?;
        let diff = state.catalog.diff(&id, from, to).await?;
        let rows = DiffRow::from_catalog(&diff.changes);
        let m = super::texts::of(ctx.lang);
        let (c, m, f) = parts(&ctx, &me, format!("{id} · {}", m.diff_title), "datasets");
        Ok(render(
            &ctx,
            &DiffPage {
                c,
                m,
                f,
                id: id.clone(),
                from,
                to,
                rows,
            },
        ))
    }
    .await;
    ctx.respond(result)
}
