//! Moving a dataset through the publication workflow ([`Transition`]): submit, publish, return, withdraw.
//!
//! Like every write, the state a transition applies to is read inside the write transaction and compared there with
//! the revision the curator saw ([`Expected`]): an approver never publishes a revision they did not review.
use registry::InputProblem;
use registry::changelog::{Appender, NewEntry};
use serde_json::json;

use super::revisions::read_base;
use super::{Catalog, Curator, DatasetRecord, Expected, Transition};
use crate::error::CatalogError;
use crate::model::WorkflowStatus;

impl Catalog {
    /// Makes `transition` (a reason is required to return or withdraw), if the curator may and the dataset's state
    /// allows it. Publishing checks the codes again: they may have closed since the draft was saved.
    pub async fn transition(
        &self,
        curator: &Curator<'_>,
        id: &str,
        transition: Transition,
        reason: Option<&str>,
        expected: &Expected,
    ) -> Result<DatasetRecord, CatalogError> {
        let seen = {
            let mut conn = self.db.pool().acquire().await?;
            read_base(&mut conn, id).await?
        };
        curator.check(transition, &seen.content.publisher)?;
        let target = |base: &super::revisions::Base| {
            transition
                .target(base.status, base.published_revision)
                .ok_or_else(|| {
                    CatalogError::Conflict(format!(
                        "cannot {} a dataset that is {}",
                        transition.as_str(),
                        base.status.as_str()
                    ))
                })
        };
        target(&seen)?;
        if transition.needs_reason() && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(CatalogError::Invalid(vec![InputProblem::field(
                "reason",
                format!("a reason is required to {}", transition.as_str()),
            )]));
        }
        expected.check(id, seen.current_revision)?;
        if transition == Transition::Publish {
            self.check_codes(&mut seen.content.clone()).await?;
        }
        let mut w = self.db.write().await?;
        let base = read_base(&mut w.tx, id).await?;
        curator.check(transition, &base.content.publisher)?;
        expected.check(id, base.current_revision)?;
        let from = base.status;
        let to = target(&base)?;
        if transition == Transition::Publish && base.current_revision != seen.current_revision {
            // A newer revision was submitted meanwhile: its codes are checked before it goes public.
            self.check_codes(&mut base.content.clone()).await?;
        }
        let mut log = Appender::start(&mut w.tx).await?;
        let now = log.recorded_at().to_owned();
        if to == WorkflowStatus::Published {
            sqlx::query(
                "UPDATE catalog_datasets SET status = 'published', published_revision = current_revision, \
                 status_reason = NULL, updated_at = $2, published_at = $2, \
                 first_published_at = COALESCE(first_published_at, $2) WHERE id = $1",
            )
            .bind(id)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE catalog_datasets SET status = $2, status_reason = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(id)
            .bind(to.as_str())
            .bind(reason)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        }
        let uri = self.dataset_uri(id);
        let action = format!("dataset.{}", transition.as_str());
        log.append(
            &mut w.tx,
            &NewEntry {
                actor: curator.name,
                action: &action,
                subject: &uri,
                before: None,
                after: None,
                detail: json!({
                    "from": from.as_str(),
                    "to": to.as_str(),
                    "reason": reason,
                    "revision": base.current_revision,
                }),
            },
        )
        .await?;
        w.commit().await?;
        self.get(id, None, false).await
    }
}
