//! Change requests: previews, CSV imports, proposals and the decision that applies them.
use serde_json::json;
use sqlx::Row;

use super::Registry;
use crate::changelog::{Appender, NewEntry, sha256_hex};
use crate::error::{InputProblem, RegistryError};
use crate::model::{Change, ChangeRequest, RequestStatus};
use crate::plan::{Plan, plan};
use crate::steward::Steward;

impl Registry {
    /// Plans changes against the current state without applying them (a preview).
    pub async fn preview(&self, list: &str, changes: &[Change]) -> Result<Plan, RegistryError> {
        let meta = self.meta(list).await?;
        let mut conn = self.db.pool().acquire().await?;
        let current = Self::current_items(&mut conn, list).await?;
        plan(&meta, &current, changes).map_err(RegistryError::Invalid)
    }

    /// Parses a CSV import into changes, checking it against the current state; every bad line is reported.
    pub async fn parse_import(
        &self,
        list: &str,
        csv: &[u8],
    ) -> Result<(Vec<Change>, Plan), RegistryError> {
        let meta = self.meta(list).await?;
        let mut conn = self.db.pool().acquire().await?;
        let current = Self::current_items(&mut conn, list).await?;
        let (changes, mut problems) = crate::csv_format::parse(&meta, csv, &current);
        match plan(&meta, &current, &changes) {
            Ok(p) if problems.is_empty() => Ok((changes, p)),
            Ok(_) => Err(RegistryError::Invalid(problems)),
            Err(more) => {
                problems.extend(more);
                problems.sort_by_key(|p| p.line);
                Err(RegistryError::Invalid(problems))
            }
        }
    }

    /// Proposes a change request (a steward of the list); it is checked now and again when approved.
    pub async fn propose(
        &self,
        steward: &Steward<'_>,
        list: &str,
        changes: Vec<Change>,
        reason: &str,
    ) -> Result<ChangeRequest, RegistryError> {
        steward.authorize(list)?;
        let actor = steward.name;
        if changes.is_empty() {
            return Err(RegistryError::invalid(InputProblem::field(
                "changes",
                "at least one change is required",
            )));
        }
        if reason.trim().is_empty() {
            return Err(RegistryError::invalid(InputProblem::field(
                "reason",
                "a reason is required",
            )));
        }
        let plan = self.preview(list, &changes).await?;
        if plan.changes.is_empty() {
            return Err(RegistryError::invalid(InputProblem::field(
                "changes",
                "the changes alter nothing",
            )));
        }
        let mut w = self.db.write_registry().await?;
        let mut log = Appender::start(&mut w.tx).await?;
        let id = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM registry_change_requests")
            .fetch_one(&mut *w.tx)
            .await?
            .try_get::<i64, _>(0)?;
        let body = serde_json::to_string(&changes).expect("changes serialize");
        sqlx::query(
            "INSERT INTO registry_change_requests (id, list_id, status, changes, reason, proposed_by, proposed_at) \
             VALUES ($1, $2, 'proposed', $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(list)
        .bind(&body)
        .bind(reason)
        .bind(actor)
        .bind(log.recorded_at())
        .execute(&mut *w.tx)
        .await?;
        let subject = format!("{}/change-requests/{id}", self.list_uri(list));
        let hash = sha256_hex(body.as_bytes());
        log.append(
            &mut w.tx,
            &NewEntry {
                actor,
                action: "change-request.propose",
                subject: &subject,
                before: None,
                after: Some(&hash),
                detail: json!({ "reason": reason, "changes": changes.len() }),
            },
        )
        .await?;
        w.commit().await?;
        self.change_request(id).await
    }

    /// One change request.
    pub async fn change_request(&self, id: i64) -> Result<ChangeRequest, RegistryError> {
        let row = sqlx::query(
            "SELECT id, list_id, status, changes, reason, proposed_by, proposed_at, decided_by, decided_at, \
             decision_reason FROM registry_change_requests WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(RegistryError::ChangeRequestNotFound(id))?;
        Self::request_from_row(&row)
    }

    fn request_from_row(row: &sqlx::any::AnyRow) -> Result<ChangeRequest, RegistryError> {
        let status: String = row.try_get(2)?;
        let changes: String = row.try_get(3)?;
        Ok(ChangeRequest {
            id: row.try_get(0)?,
            list: row.try_get(1)?,
            status: status.parse().map_err(RegistryError::Storage)?,
            changes: serde_json::from_str(&changes)
                .map_err(|e| RegistryError::Storage(format!("corrupt change request: {e}")))?,
            reason: row.try_get(4)?,
            proposed_by: row.try_get(5)?,
            proposed_at: row.try_get(6)?,
            decided_by: row.try_get(7)?,
            decided_at: row.try_get(8)?,
            decision_reason: row.try_get(9)?,
        })
    }

    /// The change requests of a list, newest first, optionally of one status.
    pub async fn change_requests(
        &self,
        list: &str,
        status: Option<RequestStatus>,
    ) -> Result<Vec<ChangeRequest>, RegistryError> {
        self.meta(list).await?;
        let rows = sqlx::query(
            "SELECT id, list_id, status, changes, reason, proposed_by, proposed_at, decided_by, decided_at, \
             decision_reason FROM registry_change_requests WHERE list_id = $1 AND ($2 = '' OR status = $2) \
             ORDER BY id DESC",
        )
        .bind(list)
        .bind(status.map_or("", RequestStatus::as_str))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(Self::request_from_row).collect()
    }

    /// Approves (applying every change atomically) or rejects a proposed change request. The proposer cannot approve
    /// their own request.
    /// A request is approved against the items its author saw: when any item it touches (its codes, and the
    /// successors it names) was changed by another write after the request was proposed, approving it would silently
    /// apply over newer data, so it is refused naming those codes; the steward proposes again against the current list.
    async fn refuse_if_items_moved_on(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        request: &ChangeRequest,
        subject: &str,
    ) -> Result<(), RegistryError> {
        let proposed_at: Option<i64> =
            sqlx::query("SELECT MIN(seq) FROM change_log WHERE subject = $1")
                .bind(subject)
                .fetch_one(&mut **tx)
                .await?
                .try_get(0)?;
        let Some(proposed_at) = proposed_at else {
            return Ok(());
        };
        let mut touched = std::collections::BTreeMap::new();
        for change in &request.changes {
            touched.insert(self.item_uri(&request.list, change.code()), change.code());
            if let Change::Supersede { successors, .. } = change {
                for s in successors {
                    touched.insert(self.item_uri(&request.list, s), s.as_str());
                }
            }
        }
        let prefix = format!("{}/", self.list_uri(&request.list));
        let rows = sqlx::query(
            "SELECT DISTINCT subject FROM change_log WHERE seq > $1 AND subject LIKE $2",
        )
        .bind(proposed_at)
        // `_` in the prefix matches any character: harmless, the exact URIs are compared below.
        .bind(format!("{prefix}%"))
        .fetch_all(&mut **tx)
        .await?;
        let mut moved: Vec<&str> = Vec::new();
        for row in &rows {
            let changed: String = row.try_get(0)?;
            if let Some(code) = touched.get(changed.as_str()) {
                moved.push(code);
            }
        }
        if moved.is_empty() {
            return Ok(());
        }
        moved.sort_unstable();
        Err(RegistryError::Conflict(format!(
            "change request {} cannot be approved: {} changed after it was proposed ({}); propose the change again \
             against the current list",
            request.id,
            if moved.len() == 1 {
                "an item it changes"
            } else {
                "items it changes"
            },
            moved.join(", ")
        )))
    }

    /// Approves (applying the changes atomically) or rejects a change request of `list` (a steward of the list other
    /// than the proposer, for an approval; a reason is required to reject).
    pub async fn decide(
        &self,
        steward: &Steward<'_>,
        list: &str,
        id: i64,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<ChangeRequest, RegistryError> {
        steward.authorize(list)?;
        let actor = steward.name;
        let request = self.change_request(id).await?;
        if request.list != list {
            return Err(RegistryError::ChangeRequestNotFound(id));
        }
        if request.status != RequestStatus::Proposed {
            return Err(RegistryError::Conflict(format!(
                "change request {id} is already {}",
                request.status.as_str()
            )));
        }
        if approve && request.proposed_by == actor {
            return Err(RegistryError::Conflict(
                "a change request must be approved by someone else".into(),
            ));
        }
        if !approve && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(RegistryError::invalid(InputProblem::field(
                "reason",
                "a reason is required to reject",
            )));
        }
        let mut w = self.db.write_registry().await?;
        let mut log = Appender::start(&mut w.tx).await?;
        // Re-read inside the transaction: another decision may have landed since.
        let status: String =
            sqlx::query("SELECT status FROM registry_change_requests WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *w.tx)
                .await?
                .try_get(0)?;
        if status != "proposed" {
            return Err(RegistryError::Conflict(format!(
                "change request {id} is already {status}"
            )));
        }
        let subject = format!("{}/change-requests/{id}", self.list_uri(&request.list));
        if approve {
            self.refuse_if_items_moved_on(&mut w.tx, &request, &subject)
                .await?;
            self.apply_in(
                &mut w.tx,
                &mut log,
                &request.list,
                &request.changes,
                actor,
                json!({ "changeRequest": id, "reason": request.reason, "proposedBy": request.proposed_by }),
            )
            .await?;
        }
        let new_status = if approve { "approved" } else { "rejected" };
        sqlx::query(
            "UPDATE registry_change_requests SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(new_status)
        .bind(actor)
        .bind(log.recorded_at())
        .bind(reason)
        .execute(&mut *w.tx)
        .await?;
        let action = if approve {
            "change-request.approve"
        } else {
            "change-request.reject"
        };
        log.append(
            &mut w.tx,
            &NewEntry {
                actor,
                action,
                subject: &subject,
                before: None,
                after: None,
                detail: json!({ "reason": reason }),
            },
        )
        .await?;
        w.commit().await?;
        self.change_request(id).await
    }
}
