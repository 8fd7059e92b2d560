//! E-mail: the outbox, subscriptions and the SMTP mailer.
//!
//! A use case that tells someone something (an answer, a decision on a data request) writes the mail into the outbox
//! in its own transaction, so a mail is queued exactly when the change commits. Subscriptions to a dataset, a code
//! list or an agency start unconfirmed: the address receives a link and only a confirmed subscription receives change
//! notices, so nobody can subscribe someone else. Change notices come from the change log through the catalog's typed
//! reader ([`catalog::Catalog::changes_after`]), from a cursor kept in `notify_cursors` and advanced with a
//! conditional update, so several nodes on one store notify once.
//!
//! The mailer ([`keep_mailing`]) sends due mails over SMTP with `lettre` (`smtp://host:port` in the clear for a
//! loopback relay, `smtp://…?tls=required` for STARTTLS, `smtps://` for TLS) and retries a failed one with backoff
//! (1, 2, 4 … minutes, 8 attempts). Without `--smtp-url` mails stay queued.
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::RngCore;
use registry::db::WriteTx;
use registry::{InputProblem, RegistryError};
use serde::Serialize;
use sqlx::Row;

use super::guard::{Check, TooMany};
use super::{Feedback, Target, next_id, stamp};

/// Attempts before a mail is given up (`failed`).
pub const MAX_ATTEMPTS: i64 = 8;

/// Queues a mail inside the caller's transaction.
pub async fn queue(
    w: &mut WriteTx,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), RegistryError> {
    let id = next_id(w, "notify_mails").await?;
    let now = stamp(chrono::Utc::now());
    sqlx::query(
        "INSERT INTO notify_mails (id, recipient, subject, body, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
    )
    .bind(id)
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(&now)
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// A subscription, as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// What is watched.
    pub target: Target,
    /// Confirmed by the address (only confirmed subscriptions receive notices).
    pub confirmed: bool,
}

/// A subscription as asked.
#[derive(Debug, Clone, Default)]
pub struct NewSubscription {
    /// The address to notify.
    pub email: String,
    /// A dataset id (exactly one of the three).
    pub dataset: Option<String>,
    /// A code list id.
    pub code_list: Option<String>,
    /// An agency code.
    pub agency: Option<String>,
    /// The honeypot: must be empty.
    pub website: Option<String>,
}

/// Mail delivery settings.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=required` or `smtps://host`; none keeps mails queued.
    pub smtp_url: Option<String>,
    /// The sender address.
    pub from: String,
    /// How often the outbox and the change log are looked at.
    pub tick: Duration,
    /// The first retry's delay (doubled on each attempt).
    pub backoff: Duration,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            from: "Dữ liệu mở <no-reply@opendata.gov.vn>".into(),
            tick: Duration::from_secs(15),
            backoff: Duration::from_secs(60),
        }
    }
}

/// The cursor of the change notices.
const NOTICES: &str = "notices";

fn token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Feedback {
    /// Checks that `target` exists (a published dataset, a code list, an agency of the registry).
    async fn target_exists(&self, target: &Target) -> Result<bool, RegistryError> {
        Ok(match target {
            Target::Dataset(id) => self.catalog.get(id, None, true).await.is_ok(),
            Target::CodeList(list) => match self.catalog.registry().list(list).await {
                Ok(_) => true,
                Err(RegistryError::ListNotFound(_)) => false,
                Err(e) => return Err(e),
            },
            Target::Agency(code) => self
                .catalog
                .registry()
                .resolve_code("agencies", code)
                .await?
                .is_some(),
        })
    }

    /// Subscribes an address (unconfirmed) and mails it the confirmation link; the same checks and burst limit as
    /// every anonymous submission.
    pub async fn subscribe(
        &self,
        new: NewSubscription,
        client: &str,
    ) -> Result<Result<Subscription, TooMany>, RegistryError> {
        let mut check = Check::new();
        check.honeypot(new.website.as_deref());
        let email = check.required_email("email", &new.email);
        let target = match (new.dataset, new.code_list, new.agency) {
            (Some(d), None, None) => Some(Target::Dataset(d.trim().to_owned())),
            (None, Some(l), None) => Some(Target::CodeList(l.trim().to_owned())),
            (None, None, Some(a)) => Some(Target::Agency(a.trim().to_owned())),
            _ => {
                check.problem(InputProblem::field(
                    "dataset",
                    "name exactly one of dataset, codeList and agency",
                ));
                None
            }
        };
        if let Some(t) = &target
            && !self.target_exists(t).await?
        {
            let field = match t {
                Target::Dataset(_) => "dataset",
                Target::CodeList(_) => "codeList",
                Target::Agency(_) => "agency",
            };
            check.problem(InputProblem::field(
                field,
                format!("no {} {:?} to watch", t.kind(), t.id()),
            ));
        }
        check.finish()?;
        let target = target.expect("checked above");
        if let Err(too_many) = self.check_burst(client).await? {
            return Ok(Err(too_many));
        }
        let token = token();
        let mut w = self.db.write().await?;
        let id = next_id(&mut w, "notify_subscriptions").await?;
        sqlx::query(
            "INSERT INTO notify_subscriptions (id, email, target_kind, target_id, token, client_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(&email)
        .bind(target.kind())
        .bind(target.id())
        .bind(&token)
        .bind(client)
        .bind(stamp(chrono::Utc::now()))
        .execute(&mut *w.tx)
        .await?;
        queue(
            &mut w,
            &email,
            "Xác nhận đăng ký nhận tin / Confirm your subscription",
            &format!(
                "Bạn (hoặc ai đó) đã đăng ký nhận thông báo khi {page} thay đổi.\nSomeone (hopefully you) asked \
                 to be told when {page} changes.\n\nXác nhận / Confirm: {site}/subscriptions/confirm?token={token}\n\n\
                 Nếu không phải bạn, hãy bỏ qua thư này. If it was not you, ignore this mail.\n",
                page = target.page(&self.site),
                site = self.site,
            ),
        )
        .await?;
        w.commit().await?;
        Ok(Ok(Subscription {
            target,
            confirmed: false,
        }))
    }

    /// Confirms the subscription of this token.
    pub async fn confirm(&self, token: &str) -> Result<Option<Subscription>, RegistryError> {
        let mut w = self.db.write().await?;
        let row =
            sqlx::query("SELECT target_kind, target_id FROM notify_subscriptions WHERE token = $1")
                .bind(token)
                .fetch_optional(&mut *w.tx)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let target = Target::from_parts(&row.try_get::<String, _>(0)?, row.try_get(1)?);
        // The first notice of a watched dataset tells what changed since the revision public when watching began.
        if let Target::Dataset(id) = &target
            && let Ok(record) = self.catalog.get(id, None, true).await
            && let Some(revision) = record.published_revision
        {
            sqlx::query(
                "INSERT INTO notify_told (dataset_id, revision) VALUES ($1, $2) \
                 ON CONFLICT (dataset_id) DO NOTHING",
            )
            .bind(id)
            .bind(revision)
            .execute(&mut *w.tx)
            .await?;
        }
        sqlx::query(
            "UPDATE notify_subscriptions SET confirmed_at = COALESCE(confirmed_at, $1) WHERE token = $2",
        )
        .bind(stamp(chrono::Utc::now()))
        .bind(token)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(Some(Subscription {
            target,
            confirmed: true,
        }))
    }

    /// Ends the subscription of this token; false when there was none.
    pub async fn unsubscribe(&self, token: &str) -> Result<bool, RegistryError> {
        let mut w = self.db.write().await?;
        let n = sqlx::query("DELETE FROM notify_subscriptions WHERE token = $1")
            .bind(token)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(n > 0)
    }

    /// The notice's words for what the public saw happen to dataset `id` (its title first), and its publisher; `None`
    /// when there is nothing to tell (the dataset is gone, or a publication changed no field). A publication adds to
    /// `told` the revision it tells of.
    async fn what_changed(
        &self,
        id: &str,
        events: &std::collections::BTreeSet<catalog::changes::PublicEvent>,
        told: &mut Vec<(String, i64)>,
    ) -> Result<Option<Change>, RegistryError> {
        use catalog::changes::PublicEvent;
        let (record, withdrawn) = match self.catalog.get(id, None, true).await {
            Ok(r) => (r, false),
            Err(catalog::CatalogError::Withdrawn(r)) => (*r, true),
            Err(_) => return Ok(None),
        };
        let title = record
            .content
            .title
            .vi
            .clone()
            .or(record.content.title.en.clone())
            .unwrap_or_else(|| id.to_owned());
        let mut parts = Vec::new();
        if withdrawn {
            parts.push(match &record.status_reason {
                Some(reason) => format!("đã rút khỏi công bố / withdrawn: {reason}"),
                None => "đã rút khỏi công bố / withdrawn".to_owned(),
            });
        } else if events.contains(&PublicEvent::Published)
            && let Some(now) = record.published_revision
        {
            let before: Option<i64> =
                sqlx::query_scalar("SELECT revision FROM notify_told WHERE dataset_id = $1")
                    .bind(id)
                    .fetch_optional(self.db.pool())
                    .await?;
            match before {
                Some(before) if before == now => {}
                Some(before) => {
                    let diff = self
                        .catalog
                        .diff(id, before, now)
                        .await
                        .map_err(|e| RegistryError::Storage(e.to_string()))?;
                    let fields: Vec<String> =
                        diff.changes.iter().map(|c| field_words(&c.field)).collect();
                    if !fields.is_empty() {
                        parts.push(format!(
                            "bản sửa đổi {now} được công bố (so với bản {before}) / revision {now} published \
                             (since revision {before}); đã sửa / changed: {}",
                            fields.join(", ")
                        ));
                    }
                }
                None => parts.push(format!(
                    "bản sửa đổi {now} được công bố / revision {now} published"
                )),
            }
            told.push((id.to_owned(), now));
        }
        if !withdrawn && events.contains(&PublicEvent::Released) {
            let releases = self
                .catalog
                .releases(id)
                .await
                .map_err(|e| RegistryError::Storage(e.to_string()))?;
            if let Some(latest) = releases.last() {
                parts.push(format!(
                    "phiên bản mới / new release: {} (bản sửa đổi / revision {})",
                    latest.version, latest.revision
                ));
            }
        }
        if parts.is_empty() {
            return Ok(None);
        }
        Ok(Some(Change {
            text: format!("{title} — {}", parts.join("; ")),
            publisher: record.content.publisher,
        }))
    }

    /// Reads the change log past the notices' cursor and queues one notice per confirmed subscription whose dataset,
    /// code list or agency changed (datasets only while published). The first call only places the cursor at the
    /// head. Returns the notices queued.
    pub async fn queue_change_notices(&self) -> Result<usize, RegistryError> {
        let at = sqlx::query("SELECT seq FROM notify_cursors WHERE name = $1")
            .bind(NOTICES)
            .fetch_optional(self.db.pool())
            .await?;
        let Some(at) = at.map(|r| r.try_get::<i64, _>(0)).transpose()? else {
            let head = self.catalog.registry().version_tag().await?;
            let mut w = self.db.write().await?;
            let taken = sqlx::query("SELECT 1 FROM notify_cursors WHERE name = $1")
                .bind(NOTICES)
                .fetch_optional(&mut *w.tx)
                .await?;
            if taken.is_none() {
                sqlx::query("INSERT INTO notify_cursors (name, seq) VALUES ($1, $2)")
                    .bind(NOTICES)
                    .bind(head)
                    .execute(&mut *w.tx)
                    .await?;
            }
            w.commit().await?;
            return Ok(0);
        };
        let batch = match self.catalog.changes_after(at, 1000).await {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(0),
            Err(catalog::CatalogError::Registry(e)) => return Err(e),
            Err(e) => return Err(RegistryError::Storage(e.to_string())),
        };
        // What is watched: only those datasets are read (every one when someone watches an agency).
        let watched: std::collections::HashSet<(String, String)> = sqlx::query(
            "SELECT DISTINCT target_kind, target_id FROM notify_subscriptions WHERE confirmed_at IS NOT NULL",
        )
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, RegistryError>>()?;
        let agencies_watched = watched.iter().any(|(kind, _)| kind == "agency");
        // What the public saw change, as lines per watched target: a publication names the fields changed since the
        // revision the last notice told of, a withdrawal its reason, a release its version. Draft edits,
        // submissions and returns tell no one (the public sees none of them).
        let mut changed: Vec<(Target, String)> = Vec::new();
        let mut told: Vec<(String, i64)> = Vec::new();
        for (id, events) in &batch.public_events {
            if !agencies_watched && !watched.contains(&("dataset".to_owned(), id.clone())) {
                continue;
            }
            let Some(what) = self.what_changed(id, events, &mut told).await? else {
                continue;
            };
            let line = format!(
                "{}\n  {}",
                what.text,
                Target::Dataset(id.clone()).page(&self.site)
            );
            changed.push((Target::Dataset(id.clone()), line.clone()));
            changed.push((Target::Agency(what.publisher), line));
        }
        for (list, events) in &batch.list_events {
            if events.is_empty() {
                continue;
            }
            let line = format!(
                "{list} — {}\n  {}",
                list_words(events),
                Target::CodeList(list.clone()).page(&self.site)
            );
            changed.push((Target::CodeList(list.clone()), line));
        }
        // Lines per subscription.
        let mut notices: Vec<(String, String, Vec<String>)> = Vec::new();
        for (target, line) in changed {
            let rows = sqlx::query(
                "SELECT email, token FROM notify_subscriptions WHERE target_kind = $1 AND target_id = $2 \
                 AND confirmed_at IS NOT NULL ORDER BY id",
            )
            .bind(target.kind())
            .bind(target.id())
            .fetch_all(self.db.pool())
            .await?;
            for r in rows {
                let (email, token): (String, String) = (r.try_get(0)?, r.try_get(1)?);
                match notices.iter_mut().find(|(_, t, _)| *t == token) {
                    Some((_, _, lines)) => lines.push(line.clone()),
                    None => notices.push((email, token, vec![line.clone()])),
                }
            }
        }
        let mut w = self.db.write().await?;
        let moved = sqlx::query("UPDATE notify_cursors SET seq = $1 WHERE name = $2 AND seq = $3")
            .bind(batch.last_seq)
            .bind(NOTICES)
            .bind(at)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if moved == 0 {
            // Another node took this batch.
            return Ok(0);
        }
        for (dataset, revision) in &told {
            sqlx::query(
                "INSERT INTO notify_told (dataset_id, revision) VALUES ($1, $2) \
                 ON CONFLICT (dataset_id) DO UPDATE SET revision = excluded.revision",
            )
            .bind(dataset)
            .bind(revision)
            .execute(&mut *w.tx)
            .await?;
        }
        for (email, token, lines) in &notices {
            queue(
                &mut w,
                email,
                "Dữ liệu bạn theo dõi đã thay đổi / What you watch has changed",
                &format!(
                    "Đã thay đổi / Changed:\n\n{}\n\nHủy đăng ký / Unsubscribe: {}/subscriptions/unsubscribe?token={token}\n",
                    lines.join("\n\n"),
                    self.site
                ),
            )
            .await?;
        }
        w.commit().await?;
        Ok(notices.len())
    }

    /// Sends the mails that are due through `transport`; returns (sent, failed attempts).
    pub async fn send_due_mails(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        config: &MailConfig,
    ) -> Result<(usize, usize), RegistryError> {
        let now = chrono::Utc::now();
        let rows = sqlx::query(
            "SELECT id, recipient, subject, body, attempts, next_attempt_at FROM notify_mails \
             WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT 50",
        )
        .bind(stamp(now))
        .fetch_all(self.db.pool())
        .await?;
        let (mut sent, mut failed) = (0, 0);
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let attempts: i64 = r.try_get(4)?;
            let due: String = r.try_get(5)?;
            // Claim it for a while, so another node does not send it too.
            let claim = stamp(now + chrono::Duration::minutes(5));
            let mut w = self.db.write().await?;
            let claimed = sqlx::query(
                "UPDATE notify_mails SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 \
                 AND status = 'pending'",
            )
            .bind(&claim)
            .bind(id)
            .bind(&due)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
            w.commit().await?;
            if claimed == 0 {
                continue;
            }
            let recipient: String = r.try_get(1)?;
            let subject: String = r.try_get(2)?;
            let body: String = r.try_get(3)?;
            let outcome = match build(&config.from, &recipient, &subject, body) {
                Ok(message) => transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            let mut w = self.db.write().await?;
            match outcome {
                Ok(()) => {
                    sent += 1;
                    sqlx::query(
                        "UPDATE notify_mails SET status = 'sent', attempts = $1, sent_at = $2, last_error = NULL \
                         WHERE id = $3",
                    )
                    .bind(attempts + 1)
                    .bind(stamp(chrono::Utc::now()))
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                }
                Err(error) => {
                    failed += 1;
                    tracing::warn!(mail = id, %error, "sending a mail failed");
                    let attempts = attempts + 1;
                    let wait =
                        config.backoff * 2u32.saturating_pow(attempts.clamp(0, 16) as u32 - 1);
                    sqlx::query(
                        "UPDATE notify_mails SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4 \
                         WHERE id = $5",
                    )
                    .bind(if attempts >= MAX_ATTEMPTS {
                        "failed"
                    } else {
                        "pending"
                    })
                    .bind(attempts)
                    .bind(stamp(
                        chrono::Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
                    ))
                    .bind(&error)
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                }
            }
            w.commit().await?;
        }
        Ok((sent, failed))
    }

    /// Mails waiting in the outbox (pending or given up), for the admin and the tests.
    pub async fn unsent_mails(&self) -> Result<i64, RegistryError> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM notify_mails WHERE status <> 'sent'")
                .fetch_one(self.db.pool())
                .await?
                .try_get::<i64, _>(0)?,
        )
    }
}

fn build(from: &str, to: &str, subject: &str, body: String) -> Result<Message, String> {
    Message::builder()
        .from(from.parse().map_err(|e| format!("sender {from:?}: {e}"))?)
        .to(to.parse().map_err(|e| format!("recipient {to:?}: {e}"))?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| e.to_string())
}

/// The SMTP transport of `url`.
pub fn transport(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map(|b| b.timeout(Some(Duration::from_secs(20))).build())
        .map_err(|e| format!("--smtp-url {url:?}: {e}"))
}

/// Queues change notices and sends due mails every tick, until the task is aborted.
pub async fn keep_mailing(feedback: Feedback, config: MailConfig) {
    let transport = match config.smtp_url.as_deref().map(transport).transpose() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "mail is off: the SMTP URL is not usable");
            None
        }
    };
    loop {
        if let Err(e) = feedback.queue_change_notices().await {
            tracing::warn!(error = %e, "queueing change notices failed; tried again next tick");
        }
        if let Some(t) = &transport
            && let Err(e) = feedback.send_due_mails(t, &config).await
        {
            tracing::warn!(error = %e, "sending mails failed; tried again next tick");
        }
        tokio::time::sleep(config.tick).await;
    }
}

/// What a notice says of one dataset, and whose it is.
struct Change {
    text: String,
    publisher: String,
}

/// A dataset field (as the JSON API names it) in the notice's two languages.
fn field_words(field: &str) -> String {
    let vi = match field {
        "title" => "tiêu đề",
        "description" => "mô tả",
        "publisher" => "cơ quan công bố",
        "contactPoint" => "đầu mối liên hệ",
        "themes" => "chủ đề",
        "keywords" => "từ khóa",
        "spatial" => "phạm vi không gian",
        "temporal" => "phạm vi thời gian",
        "frequency" => "tần suất cập nhật",
        "languages" => "ngôn ngữ",
        "licence" => "giấy phép",
        "accessRight" => "quyền truy cập",
        "dataClass" => "phân loại dữ liệu",
        "landingPage" => "trang giới thiệu",
        "conformsTo" => "chuẩn tuân thủ",
        "issued" => "ngày ban hành",
        "modified" => "ngày cập nhật",
        "referenceDate" => "ngày tham chiếu",
        "distributions" => "tệp phân phối",
        "provenance" => "nguồn gốc",
        _ => return field.to_owned(),
    };
    format!("{vi} ({field})")
}

/// What a batch applied to a code list, in the notice's two languages (at most 20 codes of each kind, then a count).
fn list_words(events: &catalog::changes::ListEvents) -> String {
    let codes = |set: &std::collections::BTreeSet<String>| {
        let shown: Vec<&str> = set.iter().take(20).map(String::as_str).collect();
        match set.len().saturating_sub(20) {
            0 => shown.join(", "),
            more => format!("{} (+{more})", shown.join(", ")),
        }
    };
    let mut parts = Vec::new();
    if events.created {
        parts.push("danh mục mới / new list".to_owned());
    }
    for (set, words) in [
        (&events.added, "thêm / added"),
        (&events.modified, "sửa / modified"),
        (&events.superseded, "thay thế / superseded"),
        (&events.retired, "hết hiệu lực / retired"),
    ] {
        if !set.is_empty() {
            parts.push(format!("{words} {}: {}", set.len(), codes(set)));
        }
    }
    if !events.releases.is_empty() {
        let numbers: Vec<String> = events.releases.iter().map(i64::to_string).collect();
        parts.push(format!("phát hành / release {}", numbers.join(", ")));
    }
    parts.join("; ")
}
