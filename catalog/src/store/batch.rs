//! Bulk loads: creating and publishing many datasets at once (the generator, large imports), with the same checks,
//! rows and change-log entries as one create and one publish each, in batched transactions.
use registry::InputProblem;
use registry::changelog::{Appender, NewEntry, sha256_hex};
use registry::store::CodeCheck;
use serde_json::json;

use super::{Actor, Catalog};
use crate::error::CatalogError;
use crate::model::{DatasetContent, check_dataset_id};

impl Catalog {
    /// Creates and publishes many datasets at once (bulk loads and generated catalogs): every content is checked as
    /// [`Catalog::create`] checks it, then each batch is written in one transaction with the same rows and change-log
    /// entries as a create followed by a publish.
    pub async fn create_published_batch(
        &self,
        datasets: Vec<(String, DatasetContent)>,
        actor: &Actor<'_>,
    ) -> Result<usize, CatalogError> {
        let mut checked = Vec::with_capacity(datasets.len());
        let mut problems = Vec::new();
        let refs: Vec<CodeCheck> = datasets
            .iter()
            .flat_map(|(_, c)| {
                c.references().into_iter().map(|(_, list, code)| CodeCheck {
                    list: list.to_owned(),
                    code,
                    date: c.reference_date,
                })
            })
            .collect();
        let results = self.registry.validate(&refs).await?;
        let mut results = results.into_iter();
        for (i, (id, mut content)) in datasets.into_iter().enumerate() {
            if let Err(p) = check_dataset_id(&id) {
                problems.push(InputProblem::field(format!("{i}/id"), p.message));
            }
            for p in content.check_shape() {
                problems.push(InputProblem::field(
                    format!("{i}/{}", p.field.unwrap_or_default()),
                    p.message,
                ));
            }
            for (field, _, code) in content.references() {
                let r = results.next().expect("one result per reference");
                match r.result.as_str() {
                    "valid" => {
                        if field == "publisher"
                            && let Some(c) = r.canonical_code
                        {
                            content.publisher = c;
                        }
                    }
                    other => problems.push(InputProblem::field(
                        format!("{i}/{field}"),
                        format!("code {code:?} is {other}"),
                    )),
                }
            }
            checked.push((id, content));
        }
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        let count = checked.len();
        for batch in checked.chunks(500) {
            let mut w = self.db.write().await?;
            let mut log = Appender::start(&mut w.tx).await?;
            let now = log.recorded_at().to_owned();
            for (id, content) in batch {
                let body = content.canonical_json();
                let hash = sha256_hex(body.as_bytes());
                sqlx::query(
                    "INSERT INTO catalog_datasets (id, publisher, status, current_revision, published_revision, \
                     created_at, updated_at, first_published_at, published_at) \
                     VALUES ($1, $2, 'published', 1, 1, $3, $3, $3, $3)",
                )
                .bind(id)
                .bind(&content.publisher)
                .bind(&now)
                .execute(&mut *w.tx)
                .await
                .map_err(|e| CatalogError::Conflict(format!("dataset {id:?}: {e}")))?;
                sqlx::query(
                    "INSERT INTO catalog_revisions (dataset_id, number, content, sha256, author, message, created_at) \
                     VALUES ($1, 1, $2, $3, $4, 'created', $5)",
                )
                .bind(id)
                .bind(&body)
                .bind(&hash)
                .bind(actor.name)
                .bind(&now)
                .execute(&mut *w.tx)
                .await?;
                let uri = self.dataset_uri(id);
                log.append(
                    &mut w.tx,
                    &NewEntry {
                        actor: actor.name,
                        action: "dataset.create",
                        subject: &uri,
                        before: None,
                        after: Some(&hash),
                        detail: json!({ "revision": 1 }),
                    },
                )
                .await?;
                log.append(
                    &mut w.tx,
                    &NewEntry {
                        actor: actor.name,
                        action: "dataset.publish",
                        subject: &uri,
                        before: None,
                        after: None,
                        detail: json!({ "from": "draft", "to": "published", "revision": 1 }),
                    },
                )
                .await?;
            }
            w.commit().await?;
        }
        Ok(count)
    }
}
