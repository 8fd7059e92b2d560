//! Webhooks for developers: every change-feed event after a webhook's registration (datasets and code lists, as the
//! webhook asks) is POSTed to its URL as JSON. Each delivery carries `X-Opendata-Signature-256: sha256=<hex>`, the
//! HMAC-SHA256 of the exact body under the webhook's secret (shown once, at registration), so the receiver can check
//! that the body came from this server unchanged; `X-Opendata-Delivery` names the delivery (the same on a retry, so a
//! receiver can drop duplicates) and `X-Opendata-Event` the action.
//!
//! The change log is read through the feed ([`registry::changelog::feed`]) from a cursor in `notify_cursors`, advanced
//! with a conditional update, and subjects are typed by [`catalog::changes::Subject`]. A delivery that is not answered
//! with 2xx is retried with backoff (the configured delay doubled on each attempt, [`MAX_ATTEMPTS`] attempts); every
//! attempt is logged, and the owner may re-send any delivery. URLs on private and loopback addresses are refused
//! unless the operator allows them (tests, closed networks).
use std::time::Duration;

use catalog::changes::Subject;
use hmac::{Hmac, Mac};
use rand::RngCore;
use registry::{InputProblem, RegistryError};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sqlx::Row;

use super::{Feedback, Page, next_id, stamp};
use crate::accounts::Principal;

/// Attempts before a delivery is given up (`failed`); a re-send starts again.
pub const MAX_ATTEMPTS: i64 = 8;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-opendata-signature-256";

/// Webhook delivery settings.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// How often the change log and the due deliveries are looked at.
    pub tick: Duration,
    /// The first retry's delay (doubled on each attempt).
    pub backoff: Duration,
    /// Deliver to loopback and private addresses too.
    pub allow_private: bool,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(5),
            backoff: Duration::from_secs(30),
            allow_private: false,
        }
    }
}

/// A registered webhook.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Sequential id.
    pub id: i64,
    /// Where events are POSTed.
    pub url: String,
    /// Which subjects: `dataset`, `codeList`.
    pub subjects: Vec<String>,
    /// The account that registered it.
    pub owner: String,
    /// Still delivering.
    pub active: bool,
    /// Registered (RFC 3339).
    pub created_at: String,
    /// Events after this change-log sequence are delivered.
    pub after_seq: i64,
}

/// A webhook as registered, with its secret (shown this once).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredWebhook {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The HMAC-SHA256 key of the signatures, hex; keep it secret.
    pub secret: String,
}

/// A webhook as asked.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhook {
    /// An http(s) URL.
    pub url: String,
    /// Which subjects (`dataset`, `codeList`); both when absent.
    #[serde(default)]
    pub subjects: Option<Vec<String>>,
}

/// One delivery and its attempts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Sequential id (the `X-Opendata-Delivery` header).
    pub id: i64,
    /// The change-log sequence of the event.
    pub seq: i64,
    /// The action.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The next attempt, while pending (RFC 3339).
    pub next_attempt_at: String,
    /// The last answer's HTTP status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<i64>,
    /// The last failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Delivered (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    /// The body POSTed (JSON).
    pub payload: String,
    /// Every attempt, oldest first.
    pub log: Vec<Attempt>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// 1, 2, …
    pub attempt: i64,
    /// When (RFC 3339).
    pub at: String,
    /// The HTTP status answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    /// The failure, when there was no 2xx answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `sha256=<hex>`: the signature of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

const CURSOR: &str = "webhooks";
const HOOK_COLUMNS: &str = "id, url, subjects, owner, active, created_at, after_seq";

fn webhook_of(r: &sqlx::any::AnyRow) -> Result<Webhook, RegistryError> {
    let subjects: String = r.try_get(2)?;
    Ok(Webhook {
        id: r.try_get(0)?,
        url: r.try_get(1)?,
        subjects: subjects.split(',').map(str::to_owned).collect(),
        owner: r.try_get(3)?,
        active: r.try_get::<i64, _>(4)? != 0,
        created_at: r.try_get(5)?,
        after_seq: r.try_get(6)?,
    })
}

fn subject_kind(subject: &Subject) -> Option<(&'static str, &str)> {
    match subject {
        Subject::Dataset(id) => Some(("dataset", id)),
        Subject::List(id) => Some(("codeList", id)),
        Subject::Other => None,
    }
}

impl Feedback {
    /// Registers a webhook for `p` (any signed-in account): events after now are delivered.
    pub async fn register_webhook(
        &self,
        p: &Principal,
        new: NewWebhook,
    ) -> Result<RegisteredWebhook, RegistryError> {
        let allow_private = self.private_webhooks;
        let mut problems = Vec::new();
        match reqwest::Url::parse(new.url.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                if !allow_private && harvester::ssrf::check_url(&u).is_err() {
                    problems.push(InputProblem::field(
                        "url",
                        "a public address is required (not loopback, private or link-local)",
                    ));
                }
            }
            _ => problems.push(InputProblem::field("url", "an http(s) URL is required")),
        }
        if new.url.len() > 2000 {
            problems.push(InputProblem::field("url", "at most 2000 characters"));
        }
        let subjects = new
            .subjects
            .unwrap_or_else(|| vec!["dataset".into(), "codeList".into()]);
        if subjects.is_empty()
            || subjects
                .iter()
                .any(|s| !matches!(s.as_str(), "dataset" | "codeList"))
        {
            problems.push(InputProblem::field(
                "subjects",
                "a non-empty list of dataset, codeList",
            ));
        }
        if !problems.is_empty() {
            return Err(RegistryError::Invalid(problems));
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = hex::encode(bytes);
        let head = self.catalog.registry().version_tag().await?;
        let mut w = self.db.write().await?;
        let id = next_id(&mut w, "webhooks").await?;
        sqlx::query(
            "INSERT INTO webhooks (id, url, secret, subjects, owner, active, created_at, after_seq) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
        )
        .bind(id)
        .bind(new.url.trim())
        .bind(&secret)
        .bind(subjects.join(","))
        .bind(&p.name)
        .bind(stamp(chrono::Utc::now()))
        .bind(head)
        .execute(&mut *w.tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(RegisteredWebhook {
            webhook: webhook_of(&row)?,
            secret,
        })
    }

    /// The webhooks `p` owns (an admin: every one).
    pub async fn webhooks(&self, p: &Principal) -> Result<Vec<Webhook>, RegistryError> {
        let rows = sqlx::query(&format!("SELECT {HOOK_COLUMNS} FROM webhooks ORDER BY id"))
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows
            .iter()
            .map(webhook_of)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|h| p.is_admin() || h.owner == p.name)
            .collect())
    }

    /// One webhook of `p`'s; `None` when there is none that `p` may see.
    pub async fn webhook(&self, p: &Principal, id: i64) -> Result<Option<Webhook>, RegistryError> {
        let row = sqlx::query(&format!(
            "SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row
            .as_ref()
            .map(webhook_of)
            .transpose()?
            .filter(|h| p.is_admin() || h.owner == p.name))
    }

    /// Stops a webhook of `p`'s (its deliveries stay in the log); false when `p` has no such webhook.
    pub async fn stop_webhook(&self, p: &Principal, id: i64) -> Result<bool, RegistryError> {
        if self.webhook(p, id).await?.is_none() {
            return Ok(false);
        }
        let mut w = self.db.write().await?;
        sqlx::query("UPDATE webhooks SET active = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', last_error = 'the webhook was stopped' \
             WHERE webhook_id = $1 AND status = 'pending'",
        )
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(true)
    }

    /// The delivery log of a webhook of `p`'s, newest first; `None` when `p` has no such webhook.
    pub async fn deliveries(
        &self,
        p: &Principal,
        webhook: i64,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Option<Page<Delivery>>, RegistryError> {
        if self.webhook(p, webhook).await?.is_none() {
            return Ok(None);
        }
        let limit = limit.clamp(1, 200);
        let rows = sqlx::query(
            "SELECT id, seq, event, status, attempts, next_attempt_at, last_status, last_error, delivered_at, \
             payload FROM webhook_deliveries WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(webhook)
        .bind(cursor.unwrap_or(i64::MAX))
        .bind(limit + 1)
        .fetch_all(self.db.pool())
        .await?;
        let mut items = Vec::new();
        for r in rows.iter().take(limit as usize) {
            let id: i64 = r.try_get(0)?;
            let log = sqlx::query(
                "SELECT attempt, at, status, error FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt",
            )
            .bind(id)
            .fetch_all(self.db.pool())
            .await?
            .iter()
            .map(|a| {
                Ok(Attempt {
                    attempt: a.try_get(0)?,
                    at: a.try_get(1)?,
                    status: a.try_get(2)?,
                    error: a.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>, RegistryError>>()?;
            items.push(Delivery {
                id,
                seq: r.try_get(1)?,
                event: r.try_get(2)?,
                status: r.try_get(3)?,
                attempts: r.try_get(4)?,
                next_attempt_at: r.try_get(5)?,
                last_status: r.try_get(6)?,
                last_error: r.try_get(7)?,
                delivered_at: r.try_get(8)?,
                payload: r.try_get(9)?,
                log,
            });
        }
        let next = (rows.len() as i64 > limit)
            .then(|| items.last().map(|d| d.id.to_string()).unwrap_or_default());
        Ok(Some(Page { items, next }))
    }

    /// Sends a delivery again at the next tick (whatever became of it); false when `p` has no such delivery.
    pub async fn resend(
        &self,
        p: &Principal,
        webhook: i64,
        delivery: i64,
    ) -> Result<bool, RegistryError> {
        match self.webhook(p, webhook).await? {
            Some(h) if h.active => {}
            Some(_) => {
                return Err(RegistryError::Conflict(format!(
                    "webhook {webhook} is stopped"
                )));
            }
            None => return Ok(false),
        }
        let mut w = self.db.write().await?;
        let n = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1 WHERE id = $2 AND webhook_id = $3",
        )
        .bind(stamp(chrono::Utc::now()))
        .bind(delivery)
        .bind(webhook)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n > 0)
    }

    /// Turns the change-log entries past the webhooks' cursor into deliveries; the first call only places the cursor
    /// at the head. Returns the deliveries queued.
    pub async fn fan_out(&self) -> Result<usize, RegistryError> {
        let at = sqlx::query("SELECT seq FROM notify_cursors WHERE name = $1")
            .bind(CURSOR)
            .fetch_optional(self.db.pool())
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?;
        let Some(at) = at else {
            let head = self.catalog.registry().version_tag().await?;
            let mut w = self.db.write().await?;
            if sqlx::query("SELECT 1 FROM notify_cursors WHERE name = $1")
                .bind(CURSOR)
                .fetch_optional(&mut *w.tx)
                .await?
                .is_none()
            {
                // Webhooks registered before remember their own start.
                let first = sqlx::query("SELECT MIN(after_seq) FROM webhooks WHERE active = 1")
                    .fetch_one(&mut *w.tx)
                    .await?
                    .try_get::<Option<i64>, _>(0)?;
                sqlx::query("INSERT INTO notify_cursors (name, seq) VALUES ($1, $2)")
                    .bind(CURSOR)
                    .bind(first.map_or(head, |f| f.min(head)))
                    .execute(&mut *w.tx)
                    .await?;
            }
            w.commit().await?;
            return Ok(0);
        };
        let entries = registry::changelog::feed(self.db.pool(), at, 500).await?;
        let Some(last) = entries.last().map(|e| e.seq) else {
            return Ok(0);
        };
        let hooks: Vec<Webhook> = sqlx::query(&format!(
            "SELECT {HOOK_COLUMNS} FROM webhooks WHERE active = 1 ORDER BY id"
        ))
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(webhook_of)
        .collect::<Result<_, _>>()?;
        let mut w = self.db.write().await?;
        let moved = sqlx::query("UPDATE notify_cursors SET seq = $1 WHERE name = $2 AND seq = $3")
            .bind(last)
            .bind(CURSOR)
            .bind(at)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if moved == 0 {
            return Ok(0);
        }
        let mut queued = 0;
        let now = stamp(chrono::Utc::now());
        for entry in &entries {
            let subject = Subject::parse(&entry.subject);
            let Some((kind, id)) = subject_kind(&subject) else {
                continue;
            };
            for hook in hooks
                .iter()
                .filter(|h| h.after_seq < entry.seq && h.subjects.iter().any(|s| s == kind))
            {
                let delivery = next_id(&mut w, "webhook_deliveries").await?;
                let payload = serde_json::json!({
                    "delivery": delivery,
                    "webhook": hook.id,
                    "seq": entry.seq,
                    "recordedAt": entry.recorded_at,
                    "action": entry.action,
                    "subject": entry.subject,
                    "kind": kind,
                    "id": id,
                    "afterSha256": entry.after_sha256,
                })
                .to_string();
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, webhook_id, seq, event, payload, status, attempts, \
                     next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
                )
                .bind(delivery)
                .bind(hook.id)
                .bind(entry.seq)
                .bind(&entry.action)
                .bind(&payload)
                .bind(&now)
                .execute(&mut *w.tx)
                .await?;
                queued += 1;
            }
        }
        w.commit().await?;
        Ok(queued)
    }

    /// Makes the due deliveries once each; returns (delivered, failed attempts).
    pub async fn deliver_due(
        &self,
        http: &reqwest::Client,
        config: &WebhookConfig,
    ) -> Result<(usize, usize), RegistryError> {
        let now = chrono::Utc::now();
        let rows = sqlx::query(
            "SELECT d.id, d.payload, d.event, d.attempts, d.next_attempt_at, h.url, h.secret \
             FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND h.active = 1 ORDER BY d.id LIMIT 100",
        )
        .bind(stamp(now))
        .fetch_all(self.db.pool())
        .await?;
        let (mut delivered, mut failed) = (0, 0);
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let payload: String = r.try_get(1)?;
            let event: String = r.try_get(2)?;
            let attempts: i64 = r.try_get::<i64, _>(3)? + 1;
            let due: String = r.try_get(4)?;
            let url: String = r.try_get(5)?;
            let secret: String = r.try_get(6)?;
            let mut w = self.db.write().await?;
            let claimed = sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 \
                 AND status = 'pending'",
            )
            .bind(stamp(now + chrono::Duration::minutes(5)))
            .bind(id)
            .bind(&due)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
            w.commit().await?;
            if claimed == 0 {
                continue;
            }
            let answer = http
                .post(&url)
                .header("content-type", "application/json")
                .header("user-agent", "opendata-webhooks/1")
                .header("x-opendata-delivery", id.to_string())
                .header("x-opendata-event", &event)
                .header(SIGNATURE_HEADER, sign(&secret, payload.as_bytes()))
                .body(payload)
                .send()
                .await;
            let (status, error) = match answer {
                Ok(a) if a.status().is_success() => (Some(i64::from(a.status().as_u16())), None),
                Ok(a) => (
                    Some(i64::from(a.status().as_u16())),
                    Some(format!("answered {}", a.status())),
                ),
                Err(e) => (None, Some(error_chain(&e))),
            };
            let at = stamp(chrono::Utc::now());
            let mut w = self.db.write().await?;
            sqlx::query(
                "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(attempts)
            .bind(&at)
            .bind(status)
            .bind(&error)
            .execute(&mut *w.tx)
            .await?;
            match &error {
                None => {
                    delivered += 1;
                    sqlx::query(
                        "UPDATE webhook_deliveries SET status = 'delivered', attempts = $1, last_status = $2, \
                         last_error = NULL, delivered_at = $3 WHERE id = $4",
                    )
                    .bind(attempts)
                    .bind(status)
                    .bind(&at)
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                }
                Some(e) => {
                    failed += 1;
                    let wait =
                        config.backoff * 2u32.saturating_pow((attempts.clamp(1, 16) - 1) as u32);
                    let next =
                        chrono::Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    sqlx::query(
                        "UPDATE webhook_deliveries SET status = $1, attempts = $2, last_status = $3, last_error = $4, \
                         next_attempt_at = $5 WHERE id = $6",
                    )
                    .bind(if attempts % MAX_ATTEMPTS == 0 {
                        "failed"
                    } else {
                        "pending"
                    })
                    .bind(attempts)
                    .bind(status)
                    .bind(e)
                    .bind(stamp(next))
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                }
            }
            w.commit().await?;
        }
        Ok((delivered, failed))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// Fans the change log out to webhooks and makes the due deliveries every tick, until the task is aborted.
pub async fn keep_delivering(feedback: Feedback, config: WebhookConfig) {
    let policy = harvester::client::RetryPolicy {
        max_attempts: 1,
        max_rate_limited: 0,
        ..Default::default()
    };
    let timeout = Duration::from_secs(15);
    let http = if config.allow_private {
        harvester::client::Http::new(timeout, policy)
    } else {
        harvester::client::Http::public_only(timeout, policy)
    };
    let http = match http {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "webhooks are off: no HTTP client");
            return;
        }
    };
    loop {
        if let Err(e) = feedback.fan_out().await {
            tracing::warn!(error = %e, "queueing webhook deliveries failed; tried again next tick");
        }
        if let Err(e) = feedback.deliver_due(http.client(), &config).await {
            tracing::warn!(error = %e, "webhook deliveries failed; tried again next tick");
        }
        tokio::time::sleep(config.tick).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
