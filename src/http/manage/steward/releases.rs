//! Issuing a release of a code list, and a release's page with its diff against the previous one.
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::PlannedRow;
use crate::http::AppState;
use crate::http::manage::session::{Posted, SignedIn};
use crate::http::manage::texts::ManageText;
use crate::http::manage::{DiffRow, Frame, parts, render, see};
use crate::http::pages::{Chrome, Ctx, Txt};

/// `POST /manage/lists/{list}/releases`: freezes the list and shows the diff against the previous release.
pub async fn issue_release(
    State(state): State<AppState>,
    Path(list): Path<String>,
    ctx: Ctx,
    Posted { me, form }: Posted,
) -> Response {
    let result = async {
        me.principal.steward().authorize(&list)?;
        let notes = form.lang_text("notes");
        let release = state
            .registry
            .create_release(&me.principal.steward(), &list, notes)
            .await?;
        Ok(see(&format!(
            "/manage/lists/{list}/releases/{}",
            release.number
        )))
    }
    .await;
    ctx.respond(result)
}

#[derive(Template)]
#[template(path = "manage_release.html")]
struct ReleasePage {
    c: Chrome,
    m: &'static ManageText,
    f: Frame,
    id: String,
    number: i64,
    notes: String,
    created: String,
    created_by: String,
    item_count: i64,
    manifest: String,
    has_previous: bool,
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<PlannedRow>,
}

/// `GET /manage/lists/{list}/releases/{number}`.
pub async fn release(
    State(state): State<AppState>,
    Path((list, number)): Path<(String, i64)>,
    ctx: Ctx,
    me: SignedIn,
) -> Response {
    let result = async {
        me.principal.steward().authorize(&list)?;
        let release = state.registry.release(&list, number).await?;
        let m = crate::http::manage::texts::of(ctx.lang);
        let name = |item: &registry::model::ItemData| {
            format!(
                "{} — {}",
                item.code,
                Txt::pick(ctx.lang, &item.labels, "").text
            )
        };
        let (mut added, mut removed, mut changed) = (vec![], vec![], vec![]);
        let has_previous = number > 1;
        if has_previous {
            let diff = state.registry.diff(&list, number - 1, number).await?;
            added = diff.added.iter().map(name).collect();
            removed = diff.removed.iter().map(name).collect();
            changed = diff
                .changed
                .iter()
                .map(|c| PlannedRow {
                    code: c.code.clone(),
                    kind: if c.status_before == c.status_after {
                        m.changed
                    } else {
                        ctx.lang.registered_status(c.status_after.as_str())
                    },
                    line: String::new(),
                    fields: c.fields.iter().map(DiffRow::from_field).collect(),
                })
                .collect();
        }
        let (c, m, f) = parts(
            &ctx,
            &me,
            format!("{list} · {} {number}", m.release),
            "lists",
        );
        Ok(render(
            &ctx,
            &ReleasePage {
                c,
                m,
                f,
                id: list.clone(),
                number,
                notes: Txt::pick(ctx.lang, &release.notes, "").text,
                created: ctx.lang.day_of(&release.created_at),
                created_by: release.created_by,
                item_count: release.item_count,
                manifest: release.manifest_sha256,
                has_previous,
                added,
                removed,
                changed,
            },
        ))
    }
    .await;
    ctx.respond(result)
}
