//! The public talks back (issue 19): what people without an account send the agencies, and what the server tells
//! people and programs in return.
//!
//! - [`threads`]: feedback (a question, an error report, a suggestion) on a dataset or a code list, held for
//!   moderation, answered by the publishing agency (or the list's stewards), closed; days to answer per agency.
//! - [`requests`]: data requests, routed by an admin to an agency that accepts or declines them and links the
//!   dataset once published; one vote per client address.
//! - [`guard`]: what every anonymous submission must pass — length and link limits, the honeypot field, a burst limit
//!   per client address — so that refused input is never stored.
//! - [`mail`]: the outbox (written in the same transaction as what it tells), subscriptions with double opt-in, change
//!   notices from the change log, and the SMTP mailer (`lettre`).
//! - [`webhooks`]: change-feed events POSTed to developers' URLs, signed with HMAC-SHA256, retried with backoff, every
//!   attempt logged, any delivery re-sent on request.
//! - [`stats`]: the published indicators of `/stats`.
//!
//! Every use case is one function here with its permission rule beside it; the JSON API and the curation pages call
//! the same functions. Errors are the registry's [`RegistryError`] (input problems name their field); a use case on an
//! id that does not exist answers `Ok(None)`.
use std::time::Duration;

use registry::db::Migrations;
use registry::{Database, RegistryError};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::accounts::{Principal, Role};

pub mod guard;
pub mod mail;
pub mod requests;
pub mod stats;
pub mod threads;
pub mod webhooks;

/// The migrations of this module (numbers 9201 to 9299 are this module's).
pub const FEEDBACK_MIGRATIONS: Migrations = Migrations {
    steps: &[
        (
            9201,
            "feedback",
            include_str!("../../migrations/sqlite/9201_feedback.sql"),
            include_str!("../../migrations/postgres/9201_feedback.sql"),
        ),
        (
            9202,
            "webhooks",
            include_str!("../../migrations/sqlite/9202_webhooks.sql"),
            include_str!("../../migrations/postgres/9202_webhooks.sql"),
        ),
        (
            9203,
            "notify_told",
            include_str!("../../migrations/sqlite/9203_notify_told.sql"),
            include_str!("../../migrations/postgres/9203_notify_told.sql"),
        ),
    ],
};

/// How many anonymous submissions (feedback, data requests, subscriptions) one client address may make in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstLimit {
    /// Submissions allowed in the window.
    pub count: u32,
    /// The window.
    pub window: Duration,
}

impl Default for BurstLimit {
    fn default() -> Self {
        Self {
            count: 5,
            window: Duration::from_secs(600),
        }
    }
}

/// The settings of this module (`--smtp-url`, `--mail-from`, `--feedback-burst`, `--webhook-*`).
#[derive(Debug, Clone, Default)]
pub struct FeedbackConfig {
    /// Anonymous submissions per client address and window.
    pub burst: BurstLimit,
    /// E-mail delivery.
    pub mail: mail::MailConfig,
    /// Webhook delivery.
    pub webhooks: webhooks::WebhookConfig,
}

/// The feedback store and its settings; cheap to clone.
#[derive(Clone, Debug)]
pub struct Feedback {
    db: Database,
    catalog: catalog::Catalog,
    burst: BurstLimit,
    /// The server's public address, for links in e-mails.
    site: String,
    /// Webhooks may name loopback and private addresses (tests, closed networks).
    private_webhooks: bool,
}

impl Feedback {
    /// The feedback of `catalog`'s store; e-mails link to `site`.
    pub fn new(catalog: catalog::Catalog, burst: BurstLimit, site: impl Into<String>) -> Self {
        Self {
            db: catalog.database().clone(),
            catalog,
            burst,
            site: site.into().trim_end_matches('/').to_owned(),
            private_webhooks: false,
        }
    }

    /// Lets webhooks name loopback and private addresses.
    pub fn allow_private_webhooks(mut self, allow: bool) -> Self {
        self.private_webhooks = allow;
        self
    }

    /// The store.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The catalog (datasets and, through it, the registry).
    pub fn catalog(&self) -> &catalog::Catalog {
        &self.catalog
    }

    /// The server's public address.
    pub fn site(&self) -> &str {
        &self.site
    }
}

/// What a piece of feedback, a subscription or a notice is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", tag = "kind", content = "id")]
pub enum Target {
    /// A dataset, by id.
    Dataset(String),
    /// A code list, by id.
    CodeList(String),
    /// An agency, by code (subscriptions only).
    Agency(String),
}

impl Target {
    /// The kind as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Dataset(_) => "dataset",
            Self::CodeList(_) => "codeList",
            Self::Agency(_) => "agency",
        }
    }

    /// The id or code.
    pub fn id(&self) -> &str {
        match self {
            Self::Dataset(id) | Self::CodeList(id) | Self::Agency(id) => id,
        }
    }

    /// From the stored kind and id.
    pub fn from_parts(kind: &str, id: String) -> Self {
        match kind {
            "dataset" => Self::Dataset(id),
            "agency" => Self::Agency(id),
            _ => Self::CodeList(id),
        }
    }

    /// The public page of what this is about, under `site`.
    pub fn page(&self, site: &str) -> String {
        let id = registry::store::encode_segment(self.id());
        match self {
            Self::Dataset(_) => format!("{site}/dataset/{id}"),
            Self::CodeList(_) => format!("{site}/registry/{id}"),
            Self::Agency(_) => format!("{site}/agency/{id}"),
        }
    }
}

/// Who may answer and moderate feedback on `target` (published by `agency` when a dataset): an admin, the
/// publishers and approvers of that agency, the stewards of that code list.
pub fn may_answer(p: &Principal, target: &Target, agency: Option<&str>) -> bool {
    match (p.role, target) {
        (Role::Admin, _) => true,
        (Role::Publisher | Role::Approver, Target::Dataset(_)) => {
            agency.is_some() && p.agency.as_deref() == agency
        }
        (Role::Steward, Target::CodeList(list)) => p.may_curate(list),
        _ => false,
    }
}

/// Acts for `agency` on data requests routed to it: an admin, or a publisher or approver of that agency.
pub fn acts_for(p: &Principal, agency: &str) -> bool {
    match p.role {
        Role::Admin => true,
        Role::Publisher | Role::Approver => p.agency.as_deref() == Some(agency),
        _ => false,
    }
}

/// A client address as stored: its sha256, so bursts can be counted without keeping addresses.
pub fn client_hash(address: std::net::IpAddr) -> String {
    registry::changelog::sha256_hex(format!("opendata-feedback:{address}").as_bytes())
}

/// The next id of a table, inside the write gate.
async fn next_id(w: &mut registry::db::WriteTx, table: &str) -> Result<i64, RegistryError> {
    Ok(
        sqlx::query(&format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"))
            .fetch_one(&mut *w.tx)
            .await?
            .try_get::<i64, _>(0)?,
    )
}

/// A time as stored (RFC 3339, milliseconds, UTC).
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A stored time, read back.
pub fn parse_stamp(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A page of a growing list: the items and the cursor of the next page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
