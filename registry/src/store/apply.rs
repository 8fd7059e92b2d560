//! Applying planned changes to items: the only writer of `registry_items`, its notations, successors and history.
use std::collections::HashSet;

use serde_json::{Value, json};
use sqlx::{Any, Transaction};

use super::{Registry, search_text};
use crate::batch::Rows;
use crate::changelog::{Appender, NewEntry, sha256_hex};
use crate::error::RegistryError;
use crate::model::{Change, ItemData};
use crate::plan::{ChangeKind, Plan, plan};

impl Registry {
    pub(super) async fn apply_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        log: &mut Appender,
        list: &str,
        changes: &[Change],
        actor: &str,
        detail: Value,
    ) -> Result<Plan, RegistryError> {
        let meta = Self::meta_in(tx, list).await?;
        let current = Self::current_items(&mut *tx, list).await?;
        let plan = plan(&meta, &current, changes).map_err(RegistryError::Invalid)?;
        // New rows are gathered and written many to a statement at the end (a seed list adds thousands); updates
        // and deletes of existing codes go one by one, before them.
        let mut items = Rows::new(
            "registry_items",
            &[
                "list_id",
                "code",
                "status",
                "parent",
                "level",
                "valid_from",
                "valid_to",
                "search_text",
                "content",
                "content_sha256",
                "updated_at",
            ],
        );
        let mut notation_rows = Rows::new(
            "registry_notations",
            &["list_id", "notation", "notation_type", "code"],
        );
        let mut successor_rows =
            Rows::new("registry_successors", &["list_id", "code", "successor"]);
        let mut history = Rows::new(
            "registry_item_history",
            &["id", "list_id", "code", "seq", "recorded_at", "content"],
        );
        for change in &plan.changes {
            let content = change.after.canonical_json();
            let after_hash = sha256_hex(content.as_bytes());
            let before_hash = change.before.as_ref().map(ItemData::sha256);
            let item = &change.after;
            let args = (
                item.status.as_str(),
                item.parent.as_deref(),
                item.level.as_deref(),
                item.valid_from.map(|d| d.to_string()),
                item.valid_to.map(|d| d.to_string()),
                search_text(item),
            );
            if change.before.is_some() {
                sqlx::query(
                    "UPDATE registry_items SET status = $3, parent = $4, level = $5, valid_from = $6, valid_to = $7, \
                     search_text = $8, content = $9, content_sha256 = $10, updated_at = $11 \
                     WHERE list_id = $1 AND code = $2",
                )
                .bind(list)
                .bind(&item.code)
                .bind(args.0)
                .bind(args.1)
                .bind(args.2)
                .bind(args.3)
                .bind(args.4)
                .bind(args.5)
                .bind(&content)
                .bind(&after_hash)
                .bind(log.recorded_at())
                .execute(&mut **tx)
                .await?;
                sqlx::query("DELETE FROM registry_notations WHERE list_id = $1 AND code = $2")
                    .bind(list)
                    .bind(&item.code)
                    .execute(&mut **tx)
                    .await?;
                sqlx::query("DELETE FROM registry_successors WHERE list_id = $1 AND code = $2")
                    .bind(list)
                    .bind(&item.code)
                    .execute(&mut **tx)
                    .await?;
            } else {
                items.push([
                    list.into(),
                    item.code.as_str().into(),
                    args.0.into(),
                    args.1.into(),
                    args.2.into(),
                    args.3.into(),
                    args.4.into(),
                    args.5.into(),
                    content.as_str().into(),
                    after_hash.as_str().into(),
                    log.recorded_at().into(),
                ]);
            }
            let mut notations: HashSet<(&str, &str)> = HashSet::new();
            for (kind, value) in item.all_notations() {
                if notations.iter().any(|(_, v)| *v == value) {
                    continue;
                }
                notations.insert((kind, value));
                notation_rows.push([
                    list.into(),
                    value.into(),
                    kind.into(),
                    item.code.as_str().into(),
                ]);
            }
            for s in &item.successors {
                successor_rows.push([list.into(), item.code.as_str().into(), s.as_str().into()]);
            }
            let action = match change.kind {
                ChangeKind::Add => "item.add",
                ChangeKind::Modify => "item.modify",
                ChangeKind::Supersede => "item.supersede",
                ChangeKind::Retire => "item.retire",
            };
            let uri = self.item_uri(list, &item.code);
            let seq = log.stage(&NewEntry {
                actor,
                action,
                subject: &uri,
                before: before_hash.as_deref(),
                after: Some(&after_hash),
                detail: detail.clone(),
            });
            history.push([
                seq.into(),
                list.into(),
                item.code.as_str().into(),
                seq.into(),
                log.recorded_at().into(),
                content.into(),
            ]);
        }
        items.insert(tx).await?;
        notation_rows.insert(tx).await?;
        successor_rows.insert(tx).await?;
        log.flush(tx).await?;
        history.insert(tx).await?;
        if !plan.changes.is_empty() {
            sqlx::query("UPDATE registry_lists SET updated_at = $2 WHERE id = $1")
                .bind(list)
                .bind(log.recorded_at())
                .execute(&mut **tx)
                .await?;
        }
        Ok(plan)
    }

    /// Applies changes directly, without review (seed loading and admin bootstrap).
    pub async fn apply_direct(
        &self,
        list: &str,
        changes: &[Change],
        actor: &str,
        reason: &str,
    ) -> Result<Plan, RegistryError> {
        let mut w = self.db.write_registry().await?;
        let mut log = Appender::start(&mut w.tx).await?;
        let plan = self
            .apply_in(
                &mut w.tx,
                &mut log,
                list,
                changes,
                actor,
                json!({ "reason": reason }),
            )
            .await?;
        w.commit().await?;
        Ok(plan)
    }
}
