//! Feedback threads: a question, an error report or a suggestion on a published dataset or a code list, posted
//! without an account, held for moderation (`pending`), then `open`, `answered` by the publishing agency's publishers
//! and approvers (or the list's stewards), and `closed`. A rejected post (spam, abuse) is never shown. The public sees
//! the thread without the e-mail address, which only receives the answer.
use registry::{InputProblem, RegistryError};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::guard::{Check, TooMany};
use super::{Feedback, Page, Target, may_answer, next_id, parse_stamp, stamp};
use crate::accounts::Principal;

/// What kind of feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeedbackKind {
    /// A question about the data.
    Question,
    /// An error found in the data or its description.
    Error,
    /// A suggestion.
    Suggestion,
}

impl FeedbackKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::Error => "error",
            Self::Suggestion => "suggestion",
        }
    }

    /// From its stored or posted name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "question" => Self::Question,
            "error" => Self::Error,
            "suggestion" => Self::Suggestion,
            _ => return None,
        })
    }
}

/// Where a thread stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ThreadStatus {
    /// Waiting for moderation; not public.
    Pending,
    /// Public, waiting for the answer.
    Open,
    /// Answered.
    Answered,
    /// Closed.
    Closed,
    /// Refused by the moderator; never public.
    Rejected,
}

impl ThreadStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Open => "open",
            Self::Answered => "answered",
            Self::Closed => "closed",
            Self::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "open" => Self::Open,
            "answered" => Self::Answered,
            "closed" => Self::Closed,
            "rejected" => Self::Rejected,
            _ => Self::Pending,
        }
    }

    /// Shown to the public?
    pub fn is_public(self) -> bool {
        matches!(self, Self::Open | Self::Answered | Self::Closed)
    }
}

/// A feedback thread.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    /// Sequential id.
    pub id: i64,
    /// What it is about.
    pub target: Target,
    /// The agency that publishes the dataset (none for a code list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// Question, error report or suggestion.
    pub kind: FeedbackKind,
    /// What was said.
    pub message: String,
    /// The name the author gave, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    /// Where it stands.
    pub status: ThreadStatus,
    /// Posted (RFC 3339).
    pub created_at: String,
    /// The answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Who answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    /// When (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<String>,
    /// Days from posting to the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_to_answer: Option<f64>,
    /// Closed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// The author left an e-mail address for the answer (the address itself is never shown).
    pub reply_by_email: bool,
    #[serde(skip)]
    email: Option<String>,
}

/// Feedback as posted.
#[derive(Debug, Clone, Default)]
pub struct NewFeedback {
    /// The dataset it is about (exactly one of `dataset` and `code_list`).
    pub dataset: Option<String>,
    /// The code list it is about.
    pub code_list: Option<String>,
    /// `question`, `error` or `suggestion`.
    pub kind: String,
    /// The message, 10 to 4000 characters.
    pub message: String,
    /// The author's name, optional.
    pub name: Option<String>,
    /// An e-mail address for the answer, optional.
    pub email: Option<String>,
    /// The honeypot: must be empty.
    pub website: Option<String>,
}

/// The longest message.
pub const MAX_MESSAGE: usize = 4000;

const COLUMNS: &str = "id, target_kind, target_id, agency, kind, message, author_name, email, status, created_at, \
                       answer, answered_by, answered_at, closed_at";

fn thread_of(row: &sqlx::any::AnyRow) -> Result<Thread, RegistryError> {
    let created_at: String = row.try_get(9)?;
    let answered_at: Option<String> = row.try_get(12)?;
    let email: Option<String> = row.try_get(7)?;
    Ok(Thread {
        id: row.try_get(0)?,
        target: Target::from_parts(&row.try_get::<String, _>(1)?, row.try_get(2)?),
        agency: row.try_get(3)?,
        kind: FeedbackKind::parse(&row.try_get::<String, _>(4)?).unwrap_or(FeedbackKind::Question),
        message: row.try_get(5)?,
        author_name: row.try_get(6)?,
        status: ThreadStatus::parse(&row.try_get::<String, _>(8)?),
        days_to_answer: days_between(&created_at, answered_at.as_deref()),
        created_at,
        answer: row.try_get(10)?,
        answered_by: row.try_get(11)?,
        answered_at,
        closed_at: row.try_get(13)?,
        reply_by_email: email.is_some(),
        email,
    })
}

/// Days (with a fraction, rounded to hundredths) from `from` to `to`.
pub fn days_between(from: &str, to: Option<&str>) -> Option<f64> {
    let (from, to) = (parse_stamp(from)?, parse_stamp(to?)?);
    let days = (to - from).num_milliseconds() as f64 / 86_400_000.0;
    Some((days.max(0.0) * 100.0).round() / 100.0)
}

impl Feedback {
    /// Posts feedback from client `client` (a [`super::client_hash`]): checked (target, kind, lengths, links, e-mail,
    /// honeypot — every problem named), then the burst limit; stored as `pending` only when all pass.
    pub async fn post_feedback(
        &self,
        new: NewFeedback,
        client: &str,
    ) -> Result<Result<Thread, TooMany>, RegistryError> {
        let mut check = Check::new();
        check.honeypot(new.website.as_deref());
        let kind = FeedbackKind::parse(&new.kind);
        if kind.is_none() {
            check.problem(InputProblem::field(
                "kind",
                "one of question, error, suggestion",
            ));
        }
        let message = check.text("message", &new.message, 10, MAX_MESSAGE);
        let name = check.short("name", new.name.as_deref(), 100);
        let email = check.email("email", new.email.as_deref());
        let (target, agency) = match (new.dataset.as_deref(), new.code_list.as_deref()) {
            (Some(id), None) => match self.catalog.get(id, None, true).await {
                Ok(record) => (
                    Some(Target::Dataset(record.id)),
                    Some(record.content.publisher),
                ),
                Err(
                    catalog::CatalogError::NotFound(_)
                    | catalog::CatalogError::Withdrawn(_)
                    | catalog::CatalogError::RevisionNotFound { .. },
                ) => {
                    check.problem(InputProblem::field(
                        "dataset",
                        format!("no published dataset {id:?}"),
                    ));
                    (None, None)
                }
                Err(e) => return Err(storage(e)),
            },
            (None, Some(list)) => match self.catalog.registry().list(list).await {
                Ok(_) => (Some(Target::CodeList(list.to_owned())), None),
                Err(RegistryError::ListNotFound(_)) => {
                    check.problem(InputProblem::field(
                        "codeList",
                        format!("no code list {list:?}"),
                    ));
                    (None, None)
                }
                Err(e) => return Err(e),
            },
            _ => {
                check.problem(InputProblem::field(
                    "dataset",
                    "name exactly one of dataset and codeList",
                ));
                (None, None)
            }
        };
        check.finish()?;
        let (Some(target), Some(kind)) = (target, kind) else {
            unreachable!("checked above")
        };
        if let Err(too_many) = self.check_burst(client).await? {
            return Ok(Err(too_many));
        }
        let mut w = self.db.write().await?;
        let id = next_id(&mut w, "feedback_threads").await?;
        sqlx::query(
            "INSERT INTO feedback_threads (id, target_kind, target_id, agency, kind, message, author_name, email, \
             client_hash, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10)",
        )
        .bind(id)
        .bind(target.kind())
        .bind(target.id())
        .bind(&agency)
        .bind(kind.as_str())
        .bind(&message)
        .bind(&name)
        .bind(&email)
        .bind(client)
        .bind(stamp(chrono::Utc::now()))
        .execute(&mut *w.tx)
        .await?;
        let thread = read(&mut w, id).await?.expect("just stored");
        w.commit().await?;
        Ok(Ok(thread))
    }

    /// One thread: public ones to anyone, pending and rejected ones only to those who may answer them.
    pub async fn thread(
        &self,
        id: i64,
        viewer: Option<&Principal>,
    ) -> Result<Option<Thread>, RegistryError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM feedback_threads WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(thread) = row.as_ref().map(thread_of).transpose()? else {
            return Ok(None);
        };
        let shown = thread.status.is_public()
            || viewer.is_some_and(|p| may_answer(p, &thread.target, thread.agency.as_deref()));
        Ok(shown.then_some(thread))
    }

    /// Public threads, newest first, on one dataset or code list or on everything; `cursor` is a previous page's `next`.
    pub async fn public_threads(
        &self,
        target: Option<&Target>,
        cursor: Option<i64>,
        limit: i64,
    ) -> Result<Page<Thread>, RegistryError> {
        let limit = limit.clamp(1, 200);
        let before = cursor.unwrap_or(i64::MAX);
        let rows = match target {
            Some(t) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM feedback_threads WHERE status IN ('open', 'answered', 'closed') \
                     AND target_kind = $1 AND target_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4"
                ))
                .bind(t.kind())
                .bind(t.id())
                .bind(before)
                .bind(limit + 1)
                .fetch_all(self.db.pool())
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM feedback_threads WHERE status IN ('open', 'answered', 'closed') \
                     AND id < $1 ORDER BY id DESC LIMIT $2"
                ))
                .bind(before)
                .bind(limit + 1)
                .fetch_all(self.db.pool())
                .await?
            }
        };
        let mut items = rows.iter().map(thread_of).collect::<Result<Vec<_>, _>>()?;
        let next = (items.len() as i64 > limit).then(|| {
            items.truncate(limit as usize);
            items.last().map(|t| t.id.to_string()).unwrap_or_default()
        });
        Ok(Page { items, next })
    }

    /// The moderation and answer queue of `p`: pending and open threads on what `p` may answer, oldest first.
    pub async fn feedback_queue(&self, p: &Principal) -> Result<Vec<Thread>, RegistryError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM feedback_threads WHERE status IN ('pending', 'open') ORDER BY id LIMIT 5000"
        ))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .iter()
            .map(thread_of)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|t| may_answer(p, &t.target, t.agency.as_deref()))
            .take(500)
            .collect())
    }

    /// Moderates a pending thread: approved, it becomes public (`open`); refused, it is `rejected` and never shown.
    pub async fn moderate_feedback(
        &self,
        p: &Principal,
        id: i64,
        approve: bool,
    ) -> Result<Option<Thread>, RegistryError> {
        self.step(p, id, |t| {
            if t.status != ThreadStatus::Pending {
                return Err(not_now(t, "waiting for moderation"));
            }
            Ok(if approve { "open" } else { "rejected" })
        })
        .await
    }

    /// Answers a pending or open thread (answering publishes it); the author is e-mailed the answer when they left an
    /// address.
    pub async fn answer_feedback(
        &self,
        p: &Principal,
        id: i64,
        answer: &str,
    ) -> Result<Option<Thread>, RegistryError> {
        let answer = answer.trim().to_owned();
        let n = answer.chars().count();
        if !(2..=8000).contains(&n) {
            return Err(RegistryError::invalid(InputProblem::field(
                "answer",
                format!("between 2 and 8000 characters (this one has {n})"),
            )));
        }
        let mut w = self.db.write().await?;
        let Some(thread) = read(&mut w, id).await? else {
            return Ok(None);
        };
        allowed(p, &thread)?;
        if !matches!(thread.status, ThreadStatus::Pending | ThreadStatus::Open) {
            return Err(not_now(&thread, "waiting for an answer"));
        }
        let now = stamp(chrono::Utc::now());
        sqlx::query(
            "UPDATE feedback_threads SET status = 'answered', answer = $1, answered_by = $2, answered_at = $3, \
             moderated_by = COALESCE(moderated_by, $2), moderated_at = COALESCE(moderated_at, $3) WHERE id = $4",
        )
        .bind(&answer)
        .bind(&p.name)
        .bind(&now)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        if let Some(email) = &thread.email {
            let page = thread.target.page(&self.site);
            super::mail::queue(
                &mut w,
                email,
                &format!("Trả lời góp ý #{id} / Answer to your feedback #{id}"),
                &format!(
                    "Câu hỏi / You wrote:\n{}\n\nTrả lời / Answer ({}):\n{answer}\n\nXem / See: {page}#feedback-{id}\n",
                    thread.message, p.name
                ),
            )
            .await?;
        }
        let thread = read(&mut w, id).await?;
        w.commit().await?;
        Ok(thread)
    }

    /// Closes an open or answered thread.
    pub async fn close_feedback(
        &self,
        p: &Principal,
        id: i64,
    ) -> Result<Option<Thread>, RegistryError> {
        self.step(p, id, |t| {
            if !matches!(t.status, ThreadStatus::Open | ThreadStatus::Answered) {
                return Err(not_now(t, "open or answered"));
            }
            Ok("closed")
        })
        .await
    }

    /// Moves a thread to the status `rule` gives, after the permission check.
    async fn step(
        &self,
        p: &Principal,
        id: i64,
        rule: impl FnOnce(&Thread) -> Result<&'static str, RegistryError>,
    ) -> Result<Option<Thread>, RegistryError> {
        let mut w = self.db.write().await?;
        let Some(thread) = read(&mut w, id).await? else {
            return Ok(None);
        };
        allowed(p, &thread)?;
        let to = rule(&thread)?;
        let now = stamp(chrono::Utc::now());
        if to == "closed" {
            sqlx::query("UPDATE feedback_threads SET status = $1, closed_at = $2 WHERE id = $3")
                .bind(to)
                .bind(&now)
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
        } else {
            sqlx::query(
                "UPDATE feedback_threads SET status = $1, moderated_at = $2, moderated_by = $3 WHERE id = $4",
            )
            .bind(to)
            .bind(&now)
            .bind(&p.name)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        }
        let thread = read(&mut w, id).await?;
        w.commit().await?;
        Ok(thread)
    }
}

async fn read(w: &mut registry::db::WriteTx, id: i64) -> Result<Option<Thread>, RegistryError> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM feedback_threads WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *w.tx)
    .await?
    .as_ref()
    .map(thread_of)
    .transpose()
}

fn allowed(p: &Principal, thread: &Thread) -> Result<(), RegistryError> {
    if may_answer(p, &thread.target, thread.agency.as_deref()) {
        Ok(())
    } else {
        Err(RegistryError::Forbidden(match &thread.target {
            Target::Dataset(_) => format!(
                "only the publishers and approvers of {} may handle feedback on this dataset",
                thread.agency.as_deref().unwrap_or("its agency")
            ),
            _ => "only the stewards of this code list may handle its feedback".to_owned(),
        }))
    }
}

fn not_now(t: &Thread, wanted: &str) -> RegistryError {
    RegistryError::Conflict(format!(
        "feedback #{} is {}, not {wanted}",
        t.id,
        t.status.as_str()
    ))
}

fn storage(e: catalog::CatalogError) -> RegistryError {
    match e {
        catalog::CatalogError::Registry(r) => r,
        other => RegistryError::Storage(other.to_string()),
    }
}
