//! The conflict page: a curation form carried the revision it edited, and the dataset moved on before it was posted.
//! Nothing was saved; the page shows both versions side by side — what the poster sent (or the revision they saw) and
//! the current one — and offers to apply the same change to the current revision, or to drop it.
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::form::FormData;
use super::publisher::form_of;
use super::session::SignedIn;
use super::texts::ManageText;
use super::{DiffRow, Frame, no_store, parts, readable};
use crate::http::pages::{Chrome, Ctx};
use crate::http::{ApiError, AppState};

/// What the refused form changed, and so what the page compares.
pub enum Compared<'a> {
    /// The dataset form: its fields as sent against the current ones.
    DatasetForm,
    /// The edit form of distribution `did`.
    Distribution(&'a str),
    /// A workflow decision: the revision seen against the current one.
    Workflow(catalog::Transition),
}

/// The dataset form's fields, in the order the form shows them.
const FORM_FIELDS: &[&str] = &[
    "title_vi",
    "title_en",
    "description_vi",
    "description_en",
    "keywords_vi",
    "keywords_en",
    "publisher",
    "themes",
    "spatial",
    "languages",
    "licence",
    "frequency",
    "access_right",
];

/// The form's lists of checkboxes or multiple selections: absent from a post when nothing is chosen.
const MULTI_CHOICE: &[&str] = &["themes", "spatial", "languages"];

/// One field in both versions.
pub struct ConflictRow {
    field: String,
    yours: String,
    current: String,
}

#[derive(Template)]
#[template(path = "manage_conflict.html")]
struct ConflictPage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    id: String,
    seen: String,
    current: i64,
    author: String,
    yours_heading: String,
    rows: Vec<ConflictRow>,
    action: String,
    resend: Vec<(String, String)>,
}

fn row(field: &str, yours: String, current: String) -> Option<ConflictRow> {
    let shown = |v: String| if v.is_empty() { "—".to_owned() } else { v };
    (yours != current).then(|| ConflictRow {
        field: field.to_owned(),
        yours: shown(yours),
        current: shown(current),
    })
}

/// The conflict page (409) for `form`, posted to `action` on dataset `id`.
pub async fn page(
    state: &AppState,
    ctx: &Ctx,
    me: &SignedIn,
    id: &str,
    form: &FormData,
    action: &str,
    compared: Compared<'_>,
) -> Response {
    let result = async {
        let record = state.catalog.get(id, None, false).await?;
        let current = record.current_revision;
        let seen = form.get("revision").unwrap_or("").trim().to_owned();
        let author = state
            .catalog
            .revisions(id)
            .await?
            .last()
            .map(|r| r.author.clone())
            .unwrap_or_default();
        let m = super::texts::of(ctx.lang);
        let mut yours_heading = m.conflict_yours.to_owned();
        let rows: Vec<ConflictRow> = match compared {
            Compared::DatasetForm => {
                let now = form_of(&record.content);
                FORM_FIELDS
                    .iter()
                    // A field the form did not carry (the publisher of a one-agency account is shown as text, not
                    // a field) was not edited, so it is no difference; unchecked boxes send nothing, but mean "none".
                    .filter(|k| form.get(k).is_some() || MULTI_CHOICE.contains(k))
                    .filter_map(|k| row(k, form.all(k).join(", "), now.all(k).join(", ")))
                    .collect()
            }
            Compared::Distribution(did) => {
                let d = record.content.distributions.iter().find(|d| d.id == did);
                let removed = form.get("remove").is_some();
                let yours = |k: &str| {
                    if removed {
                        String::new()
                    } else {
                        form.get(k).unwrap_or("").to_owned()
                    }
                };
                [
                    ("title_vi", d.and_then(|d| d.title.vi.clone())),
                    ("title_en", d.and_then(|d| d.title.en.clone())),
                    ("format", d.and_then(|d| d.format.clone())),
                ]
                .into_iter()
                .filter_map(|(k, now)| row(k, yours(k), now.unwrap_or_default()))
                .collect()
            }
            Compared::Workflow(_) => {
                yours_heading = format!("{} {seen}", m.revision);
                match seen.parse::<i64>() {
                    Ok(n) if n != current && n > 0 && n < current => {
                        let diff = state.catalog.diff(id, n, current).await?;
                        DiffRow::from_catalog(&diff.changes)
                            .into_iter()
                            .map(|r| ConflictRow {
                                field: r.field,
                                yours: r.before,
                                current: r.after,
                            })
                            .collect()
                    }
                    _ => vec![ConflictRow {
                        field: "revision".into(),
                        yours: readable(Some(&serde_json::json!(seen))),
                        current: current.to_string(),
                    }],
                }
            }
        };
        let resend = form
            .pairs()
            .iter()
            .filter(|(k, _)| k != "csrf" && k != "revision")
            .cloned()
            .collect();
        let (c, m, f) = parts(ctx, me, m.conflict_title, "datasets");
        let page = ConflictPage {
            c,
            m,
            f,
            id: id.to_owned(),
            seen,
            current,
            author,
            yours_heading,
            rows,
            action: action.to_owned(),
            resend,
        };
        Ok::<_, ApiError>(no_store(ctx.html(StatusCode::CONFLICT, &page)))
    }
    .await;
    ctx.respond(result)
}
