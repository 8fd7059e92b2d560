//! The posted dataset forms of the curation pages: a new draft, the dataset form, files (form and upload script),
//! links, distribution edits, workflow decisions and releases. Each parses its form and calls one catalog use case —
//! the same the JSON API calls, with the same rights checked there.
//!
//! The forms carry the revision they edited (`revision`, hidden); when the dataset moved on before the post, nothing
//! is saved and the poster sees [`super::conflict`]'s page with both versions instead of a lost update.
use axum::extract::{Path, State};
use axum::response::Response;
use catalog::model::DatasetContent;
use catalog::store::{DatasetRecord, DistributionChange, NewFile};
use catalog::{CatalogError, Expected, Transition};
use serde_json::Value;

use super::conflict::{self, Compared};
use super::form::FormData;
use super::publisher::{content_json, dataset_page, publisher_for, staff_record, without_nulls};
use super::session::{Posted, SignedIn};
use super::{form_again, see};
use crate::accounts::Principal;
use crate::http::pages::Ctx;
use crate::http::{ApiError, AppState};

/// The revision a form says it edited: none (no precondition) when it carries none.
fn expected(form: &FormData) -> Expected {
    match form.get("revision").map(str::trim) {
        None | Some("") => Expected::Any,
        Some(v) => v
            .parse()
            .map(Expected::revision)
            .unwrap_or(Expected::OneOf(vec![])),
    }
}

/// `POST /manage/datasets`: a new draft.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Posted { me, form }: Posted,
) -> Response {
    let attempt = async {
        let publisher = publisher_for(&me.principal, &form)?;
        let content: DatasetContent = crate::http::parse_json(
            without_nulls(content_json(&form, &publisher))
                .to_string()
                .as_bytes(),
        )?;
        let record = state
            .catalog
            .create(
                &me.principal.curator(),
                form.get("id").map(str::to_owned),
                content,
            )
            .await?;
        Ok::<_, ApiError>(record.id)
    }
    .await;
    match attempt {
        Ok(id) => see(&format!("/manage/datasets/{id}")),
        Err(e) => {
            form_again(&ctx, e, |problems| {
                dataset_page(&state, &ctx, &me, None, Some(form), problems)
            })
            .await
        }
    }
}

/// Runs a write on a dataset the poster may edit, then shows the dataset again: the conflict page when it moved on
/// since the form was shown, refused input beside the form, other failures as an error page.
async fn on_dataset<F, Fut>(
    state: &AppState,
    ctx: &Ctx,
    posted: Posted,
    id: &str,
    compared: Compared<'_>,
    write: F,
) -> Response
where
    F: FnOnce(DatasetRecord, Principal, FormData) -> Fut,
    Fut: std::future::Future<Output = Result<String, ApiError>>,
{
    let Posted { me, form } = posted;
    let record = match staff_record(state, &me.principal, id).await {
        Ok(r) => r,
        Err(e) => return ctx.error(e),
    };
    // A harvested dataset is its source's: edited there, and brought here by the next harvest (issue 20).
    if let Some(p) = &record.content.provenance {
        return ctx.error(ApiError::Forbidden(format!(
            "this dataset is harvested from {}: it is read-only here, edit it at its source",
            p.source
        )));
    }
    let kept = form.clone();
    match write(record.clone(), me.principal.clone(), form).await {
        Ok(to) => see(&to),
        Err(ApiError::Catalog(CatalogError::StaleRevision { .. })) => {
            let action = match compared {
                Compared::DatasetForm => format!("/manage/datasets/{id}"),
                Compared::Distribution(did) => format!("/manage/datasets/{id}/distributions/{did}"),
                Compared::Workflow(t) => format!("/manage/datasets/{id}/{}", t.as_str()),
            };
            conflict::page(state, ctx, &me, id, &kept, &action, compared).await
        }
        Err(e) => {
            form_again(ctx, e, |problems| async move {
                let current = state.catalog.get(id, None, false).await.unwrap_or(record);
                // Only the dataset form itself is shown again as typed.
                let typed = kept.get("title_vi").is_some().then_some(kept);
                dataset_page(state, ctx, &me, Some(&current), typed, problems).await
            })
            .await
        }
    }
}

/// `POST /manage/datasets/{id}`: saves the form as a new revision.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let s = state.clone();
    on_dataset(
        &state,
        &ctx,
        posted,
        &id,
        Compared::DatasetForm,
        |record, principal, form| async move {
            // The publisher field only moves a dataset for an admin.
            let publisher = principal
                .curator()
                .publisher_after_edit(&record.content.publisher, form.get("publisher"))
                .to_owned();
            let mut patch = content_json(&form, &publisher);
            // No keywords in a language: remove the language (an empty list is not what the store keeps).
            for lang in ["vi", "en"] {
                if patch["keywords"][lang]
                    .as_array()
                    .is_some_and(Vec::is_empty)
                {
                    patch["keywords"][lang] = Value::Null;
                }
            }
            s.catalog
                .update(
                    &principal.curator(),
                    &record.id,
                    &patch,
                    form.get("message"),
                    &expected(&form),
                )
                .await?;
            Ok(format!("/manage/datasets/{}", record.id))
        },
    )
    .await
}

/// What the upload form or script sends beside the file.
struct Upload {
    file_name: String,
    content_type: Option<String>,
    title: Option<String>,
    format: Option<String>,
}

/// Adds a file as a new distribution (the catalog's one "add a file" use case); returns where to see it.
async fn add_file<S, B, E>(
    state: &AppState,
    id: &str,
    principal: &Principal,
    upload: Upload,
    chunks: S,
) -> Result<String, ApiError>
where
    S: futures_util::Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let added = state
        .catalog
        .add_file(
            &principal.curator(),
            id,
            &NewFile {
                distribution: None,
                file_name: Some(&upload.file_name),
                media_type: upload.content_type.as_deref(),
                title: upload.title.as_deref(),
                format: upload.format.as_deref(),
            },
            chunks,
            state.upload_limit,
            &Expected::Any,
        )
        .await?;
    Ok(format!(
        "/manage/datasets/{id}?uploaded={}",
        added.distribution
    ))
}

/// `POST /manage/datasets/{id}/files` (multipart, the form without JavaScript): stores the file by its sha256 and
/// records it as a new distribution.
pub async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let s = state.clone();
    on_dataset(
        &state,
        &ctx,
        posted,
        &id,
        Compared::DatasetForm,
        |record, principal, form| async move {
            let file = form.file("file").ok_or_else(|| {
                ApiError::Unprocessable(vec![registry::InputProblem::field(
                    "file",
                    "choose a file to upload",
                )])
            })?;
            let upload = Upload {
                file_name: file.file_name.clone(),
                content_type: file.content_type.clone(),
                title: form.get("file_title").map(str::to_owned),
                format: form.get("format").map(str::to_owned),
            };
            let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(file.bytes.clone())]);
            add_file(&s, &record.id, &principal, upload, chunks).await
        },
    )
    .await
}

/// What the upload script sends beside the file.
#[derive(serde::Deserialize)]
pub struct RawUpload {
    name: String,
    title: Option<String>,
    format: Option<String>,
}

/// `POST /manage/datasets/{id}/files/raw?name=&title=&format=` (the upload script): the body is the file itself,
/// streamed into the store like the API's upload, so large files never sit in memory; the CSRF token comes in the
/// `X-CSRF-Token` header. Answers like the form (a redirect to the dataset).
pub async fn upload_raw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    me: SignedIn,
    headers: axum::http::HeaderMap,
    axum::extract::Query(q): axum::extract::Query<RawUpload>,
    body: axum::body::Body,
) -> Response {
    let result = async {
        let token = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !super::session::same(token, &me.csrf) {
            return Err(ApiError::Forbidden(
                "the upload's CSRF token is missing or wrong; reload the page".into(),
            ));
        }
        let upload = Upload {
            file_name: q.name,
            content_type: headers
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            title: q.title.filter(|t| !t.trim().is_empty()),
            format: q.format.filter(|f| !f.is_empty()),
        };
        add_file(&state, &id, &me.principal, upload, body.into_data_stream())
            .await
            .map(|to| see(&to))
    }
    .await;
    ctx.respond(result.map_err(super::problems_shown))
}

/// `POST /manage/datasets/{id}/distributions/{did}`: renames a distribution or changes its format, or removes it
/// (`remove`), as a new revision; its file stays in the store for older revisions.
pub async fn edit_distribution(
    State(state): State<AppState>,
    Path((id, did)): Path<(String, String)>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let s = state.clone();
    let d = did.clone();
    on_dataset(
        &state,
        &ctx,
        posted,
        &id,
        Compared::Distribution(&did),
        |record, principal, form| async move {
            let change = if form.get("remove").is_some() {
                DistributionChange::Remove { id: d }
            } else {
                DistributionChange::Edit {
                    id: d,
                    title: form.lang_text("title"),
                    format: form.get("format").map(str::to_owned),
                }
            };
            s.catalog
                .change_distribution(&principal.curator(), &record.id, &change, &expected(&form))
                .await?;
            Ok(format!("/manage/datasets/{}", record.id))
        },
    )
    .await
}

/// `POST /manage/datasets/{id}/links`: a distribution held elsewhere (a download URL), as a new revision.
pub async fn add_link(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let s = state.clone();
    on_dataset(
        &state,
        &ctx,
        posted,
        &id,
        Compared::DatasetForm,
        |record, principal, form| async move {
            let change = DistributionChange::AddLink {
                url: form.get("url").unwrap_or("").to_owned(),
                title: form.lang_text("link_title"),
                format: form.get("format").map(str::to_owned),
            };
            s.catalog
                .change_distribution(&principal.curator(), &record.id, &change, &expected(&form))
                .await?;
            Ok(format!("/manage/datasets/{}", record.id))
        },
    )
    .await
}

/// Makes a workflow decision (`submit`, `publish`, `return`, `withdraw`) on the revision the form showed; then goes
/// to `to`.
pub async fn transition(
    state: &AppState,
    ctx: &Ctx,
    posted: Posted,
    id: &str,
    transition: Transition,
    to: &str,
) -> Response {
    let s = state.clone();
    let to = to.to_owned();
    on_dataset(
        state,
        ctx,
        posted,
        id,
        Compared::Workflow(transition),
        |record, principal, form| async move {
            s.catalog
                .transition(
                    &principal.curator(),
                    &record.id,
                    transition,
                    form.get("reason"),
                    &expected(&form),
                )
                .await?;
            Ok(to)
        },
    )
    .await
}

/// `POST /manage/datasets/{id}/submit`.
pub async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let to = format!("/manage/datasets/{id}");
    transition(&state, &ctx, posted, &id, Transition::Submit, &to).await
}

/// `POST /manage/datasets/{id}/releases`: marks the published revision as a version.
pub async fn mark_release(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    posted: Posted,
) -> Response {
    let s = state.clone();
    on_dataset(
        &state,
        &ctx,
        posted,
        &id,
        Compared::DatasetForm,
        |record, principal, form| async move {
            let notes = form.lang_text("notes");
            s.catalog
                .create_release(
                    &principal.curator(),
                    &record.id,
                    form.get("version").unwrap_or(""),
                    &notes,
                )
                .await?;
            Ok(format!("/manage/datasets/{}", record.id))
        },
    )
    .await
}
