//! The command line: every subcommand of `opendata` and its arguments, declared with clap's derive; `main` parses
//! them and runs the subcommand.
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use opendata::accounts::Role;
use opendata::app::{Rate, RateLimits};
use opendata::http::ratelimit;

#[derive(Parser)]
#[command(
    name = "opendata",
    version,
    about = "Open-data catalog and shared code-list registry"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct StoreArgs {
    /// Folder for the embedded SQLite store and files.
    #[arg(long, default_value = "./data", env = "OPENDATA_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Use this database instead of the embedded one (postgres://user@host/db).
    #[arg(long, env = "OPENDATA_DATABASE_URL")]
    pub database_url: Option<String>,
}

/// Rate limits of `serve` (see README, "Rate limits"). A rate is COUNT/UNIT[:BURST], UNIT one of s, min, h; the
/// burst defaults to twice the count.
#[derive(Args, Clone)]
#[command(next_help_heading = "Rate limits")]
pub struct RateLimitArgs {
    /// Limit nothing (for a node behind a gateway that already limits).
    #[arg(long, env = "OPENDATA_NO_RATE_LIMITS")]
    pub no_rate_limits: bool,
    /// Callers without a valid token, per client address.
    #[arg(long, value_name = "RATE", env = "OPENDATA_RATE_ANONYMOUS",
          default_value_t = RateLimits::default().anonymous)]
    pub rate_anonymous: Rate,
    /// Callers with a token, per account (admins are never limited).
    #[arg(long, value_name = "RATE", env = "OPENDATA_RATE_KEYED",
          default_value_t = RateLimits::default().keyed)]
    pub rate_keyed: Rate,
    /// A role's own quota instead of --rate-keyed: ROLE=RATE (consumer, publisher, approver, steward), repeatable.
    #[arg(long, value_name = "ROLE=RATE", env = "OPENDATA_RATE_ROLES", value_delimiter = ',',
          value_parser = ratelimit::parse_role_rate)]
    pub rate_role: Vec<(Role, Rate)>,
    /// /sparql, /catalog and /api/v1/data/ for callers without a token, per client address.
    #[arg(long, value_name = "RATE", env = "OPENDATA_RATE_EXPENSIVE",
          default_value_t = RateLimits::default().expensive_anonymous)]
    pub rate_expensive: Rate,
    /// /sparql, /catalog and /api/v1/data/ for callers with a token, per account.
    #[arg(long, value_name = "RATE", env = "OPENDATA_RATE_EXPENSIVE_KEYED",
          default_value_t = RateLimits::default().expensive_keyed)]
    pub rate_expensive_keyed: Rate,
    /// Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDRs).
    #[arg(long, value_name = "CIDR", env = "OPENDATA_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = ratelimit::parse_trusted_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Nodes sharing the traffic: each node enforces 1/N of every rate and burst.
    #[arg(long, value_name = "N", env = "OPENDATA_RATE_NODES",
          default_value_t = RateLimits::default().nodes,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_nodes: u32,
    /// The most clients one bucket tracks; past it the idlest are forgotten.
    #[arg(long, value_name = "N", env = "OPENDATA_RATE_MAX_KEYS",
          default_value_t = RateLimits::default().max_tracked_keys)]
    pub rate_max_keys: usize,
    /// A tier admins may place developer keys in: NAME=RATE@DAILY (partner=50/s:100@200000), repeatable.
    #[arg(long, value_name = "NAME=RATE@DAILY", env = "OPENDATA_RATE_TIERS", value_delimiter = ',',
          value_parser = ratelimit::parse_tier)]
    pub rate_tier: Vec<ratelimit::Tier>,
    /// Calls a day of a developer key in no tier (its rate is the consumer role's).
    #[arg(long, value_name = "N", env = "OPENDATA_KEY_DAILY_QUOTA",
          default_value_t = RateLimits::default().key_daily)]
    pub key_daily_quota: u64,
}

/// Sign-in through an OpenID Provider (see README, "Sign-in with OpenID Connect").
#[derive(Args, Clone)]
#[command(next_help_heading = "OpenID Connect")]
pub struct OidcArgs {
    /// The provider's issuer URL (its discovery document is read at the first sign-in).
    #[arg(long, env = "OPENDATA_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_client_secret"])]
    pub oidc_issuer: Option<String>,
    /// This server's client id at the provider.
    #[arg(long, env = "OPENDATA_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// Its client secret.
    #[arg(long, env = "OPENDATA_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// This server's public address, for the redirect (BASE/login/oidc/callback); defaults to --base-uri.
    #[arg(long, env = "OPENDATA_OIDC_PUBLIC_URL")]
    pub oidc_public_url: Option<String>,
    /// The claim naming a person's agency.
    #[arg(long, default_value = "agency", env = "OPENDATA_OIDC_AGENCY_CLAIM")]
    pub oidc_agency_claim: String,
    /// The claim listing a person's groups.
    #[arg(long, default_value = "groups", env = "OPENDATA_OIDC_GROUPS_CLAIM")]
    pub oidc_groups_claim: String,
    /// A group granting a role: GROUP=ROLE (opendata-publishers=publisher), repeatable; without one, a new account
    /// has no role until an admin grants one.
    #[arg(long, value_name = "GROUP=ROLE", env = "OPENDATA_OIDC_GROUP_ROLES", value_delimiter = ',',
          value_parser = opendata::oidc::parse_group_role)]
    pub oidc_group_role: Vec<(String, Role)>,
    /// Scopes asked for besides openid.
    #[arg(
        long,
        default_value = "profile,email",
        env = "OPENDATA_OIDC_SCOPES",
        value_delimiter = ','
    )]
    pub oidc_scopes: Vec<String>,
}

impl OidcArgs {
    /// The configuration, with the addresses under `base_uri` unless a public URL is given.
    pub fn config(self, base_uri: &str) -> Option<opendata::oidc::OidcConfig> {
        let issuer = self.oidc_issuer?;
        let mut c = opendata::oidc::OidcConfig::new(
            &issuer,
            &self.oidc_client_id.unwrap_or_default(),
            &self.oidc_client_secret.unwrap_or_default(),
            self.oidc_public_url.as_deref().unwrap_or(base_uri),
        );
        c.agency_claim = self.oidc_agency_claim;
        c.groups_claim = self.oidc_groups_claim;
        c.group_roles = self.oidc_group_role;
        c.scopes = self.oidc_scopes;
        Some(c)
    }
}

/// Feedback, data requests, e-mail and webhooks (issue 19).
#[derive(Args, Clone)]
#[command(next_help_heading = "Feedback, e-mail and webhooks")]
pub struct FeedbackArgs {
    /// The SMTP relay for answers and change notices: `smtp://host:25` (in the clear, for a loopback relay),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://host` (TLS). Without it, mails stay queued.
    #[arg(long, value_name = "URL", env = "OPENDATA_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of every mail.
    #[arg(
        long,
        value_name = "ADDRESS",
        env = "OPENDATA_MAIL_FROM",
        default_value = "Dữ liệu mở <no-reply@opendata.gov.vn>"
    )]
    pub mail_from: String,
    /// How often the outbox, the change notices and the webhooks are looked at.
    #[arg(long, default_value = "15s", env = "OPENDATA_NOTIFY_TICK", value_parser = harvester::parse_duration)]
    pub notify_tick: std::time::Duration,
    /// The first retry delay of a failed mail or webhook delivery (doubled on each attempt).
    #[arg(long, default_value = "30s", env = "OPENDATA_NOTIFY_BACKOFF", value_parser = harvester::parse_duration)]
    pub notify_backoff: std::time::Duration,
    /// Anonymous submissions (feedback, data requests, subscriptions) one client address may make per 10 minutes.
    #[arg(long, default_value_t = 5, env = "OPENDATA_FEEDBACK_BURST")]
    pub feedback_burst: u32,
    /// Let webhooks name loopback and private addresses (closed networks, tests).
    #[arg(long, env = "OPENDATA_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
}

impl FeedbackArgs {
    pub fn apply(self, config: &mut opendata::feedback::FeedbackConfig) {
        config.burst.count = self.feedback_burst.max(1);
        config.mail.smtp_url = self.smtp_url.filter(|u| !u.is_empty());
        config.mail.from = self.mail_from;
        config.mail.tick = self.notify_tick;
        config.mail.backoff = self.notify_backoff;
        config.webhooks.tick = self.notify_tick;
        config.webhooks.backoff = self.notify_backoff;
        config.webhooks.allow_private = self.webhook_allow_private;
    }
}

impl RateLimitArgs {
    pub fn apply(self, limits: &mut RateLimits) {
        *limits = RateLimits {
            enabled: !self.no_rate_limits,
            anonymous: self.rate_anonymous,
            keyed: self.rate_keyed,
            roles: self.rate_role,
            expensive_anonymous: self.rate_expensive,
            expensive_keyed: self.rate_expensive_keyed,
            trusted_proxies: self.trusted_proxies,
            nodes: self.rate_nodes,
            max_tracked_keys: self.rate_max_keys,
            tiers: self.rate_tier,
            key_daily: self.key_daily_quota,
        };
    }
}

/// Scheduled backups of `serve` (see README, "Backups").
#[derive(Args, Clone)]
#[command(next_help_heading = "Backups")]
pub struct BackupScheduleArgs {
    /// Take a verified backup into this folder on a schedule (and prune it by --keep).
    #[arg(long, env = "OPENDATA_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Time between backups: 30m, 6h, 24h, 7d.
    #[arg(long, default_value = "24h", env = "OPENDATA_BACKUP_EVERY", value_parser = parse_every)]
    pub backup_every: std::time::Duration,
    /// What to keep: last=N, daily=N, monthly=N, yearly=N, comma-separated.
    #[arg(long, default_value_t = opendata::backup::Policy::DEFAULT, env = "OPENDATA_BACKUP_KEEP")]
    pub keep: opendata::backup::Policy,
}

fn parse_every(text: &str) -> Result<std::time::Duration, String> {
    let every = match text.trim().strip_suffix('d') {
        Some(days) => days
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|d| d.is_finite() && *d >= 0.0)
            .map(|d| std::time::Duration::from_secs_f64(d * 86_400.0))
            .ok_or_else(|| format!("{text:?} is not a number of days"))?,
        None => harvester::parse_duration(text)?,
    };
    if every < std::time::Duration::from_secs(1) {
        return Err("--backup-every must be at least 1s".into());
    }
    Ok(every)
}

#[derive(Subcommand)]
pub enum BackupCommand {
    /// List the backups of a backup folder, oldest first.
    List {
        /// The backup folder.
        #[arg(long, env = "OPENDATA_BACKUP_DIR")]
        backup_dir: PathBuf,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Restore backup ID (from `backup list`, or a path to an archive) into a new data directory (and, for
    /// PostgreSQL, an empty database), check it against its manifest, then migrate it to this version's schema.
    Restore {
        /// The backup's ID, or the path of an archive.
        id: String,
        /// The backup folder.
        #[arg(long, env = "OPENDATA_BACKUP_DIR")]
        backup_dir: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "OPENDATA_BIND")]
        bind: SocketAddr,
        /// Base of every URI minted (defaults to http://<bind>).
        #[arg(long, env = "OPENDATA_BASE_URI")]
        base_uri: Option<String>,
        /// Folder of seed code lists loaded into an empty store.
        #[arg(long, env = "OPENDATA_SEED_DIR")]
        seed_dir: Option<PathBuf>,
        /// Load only these seed lists (comma-separated folder names); `none` loads nothing.
        #[arg(long, value_delimiter = ',')]
        seed_lists: Option<Vec<String>>,
        /// Log as JSON lines instead of text.
        #[arg(long)]
        log_json: bool,
        /// The largest file upload accepted, in MiB.
        #[arg(long, default_value_t = 512, env = "OPENDATA_MAX_UPLOAD_MB")]
        max_upload_mb: u64,
        /// Send Strict-Transport-Security (only when served over TLS, e.g. behind a TLS proxy).
        #[arg(long, env = "OPENDATA_HSTS")]
        hsts: bool,
        /// How often to verify the change log's chain and the projections' counts and sign a checkpoint of the head
        /// (30s, 10m, 1h); every registry release is signed at once anyway.
        #[arg(long, default_value = "10m", env = "OPENDATA_AUDIT_EVERY", value_parser = harvester::parse_duration)]
        audit_every: std::time::Duration,
        /// How often to look for harvest sources due to run (`/manage/sources`).
        #[arg(long, default_value = "30s", env = "OPENDATA_HARVEST_TICK", value_parser = harvester::parse_duration)]
        harvest_tick: std::time::Duration,
        /// Let configured harvest sources be on private or loopback addresses (closed networks, tests).
        #[arg(long, env = "OPENDATA_HARVEST_PRIVATE_SOURCES")]
        harvest_private_sources: bool,
        /// How often to check the links of distributions held elsewhere (each URL at most daily; 0s: only when an
        /// admin asks).
        #[arg(long, default_value = "1h", env = "OPENDATA_LINK_CHECK_EVERY", value_parser = harvester::parse_duration)]
        link_check_every: std::time::Duration,
        /// Let link checks reach loopback, private and link-local addresses (refused by default: SSRF).
        #[arg(long, env = "OPENDATA_LINK_CHECK_ALLOW_PRIVATE")]
        link_check_allow_private: bool,
        #[command(flatten)]
        limits: Box<RateLimitArgs>,
        #[command(flatten)]
        backups: BackupScheduleArgs,
        #[command(flatten)]
        feedback: Box<FeedbackArgs>,
        #[command(flatten)]
        oidc: Box<OidcArgs>,
    },
    /// Write a deterministic synthetic catalog of published datasets (for benchmarks); loads the seed lists first
    /// into an empty store.
    Generate {
        #[command(flatten)]
        store: StoreArgs,
        /// How many datasets.
        #[arg(long)]
        datasets: usize,
        /// The random seed (the same seed gives the same catalog).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Print the OpenAPI document of the JSON APIs (what `/openapi.json` serves; `openapi/openapi.json` holds a copy).
    Openapi,
    /// Take a consistent online backup of the store and its files into one file (--to) or, verified, into a backup
    /// folder (--backup-dir); `backup list` and `backup restore` read a backup folder.
    Backup {
        #[command(subcommand)]
        command: Option<BackupCommand>,
        #[command(flatten)]
        store: StoreArgs,
        /// The backup file to write.
        #[arg(long, conflicts_with = "backup_dir")]
        to: Option<PathBuf>,
        /// The backup folder to write a verified backup into.
        #[arg(long)]
        backup_dir: Option<PathBuf>,
        /// With --backup-dir: then delete the backups this policy does not keep.
        #[arg(long, requires = "backup_dir")]
        keep: Option<opendata::backup::Policy>,
    },
    /// Restore a backup into a new data directory (and, for PostgreSQL, an empty database).
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Check the tamper-evident change log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Score every published dataset and print the catalog's quality totals (`--record` keeps them as today's in the
    /// history, as the server does after each link-check run).
    Quality {
        #[command(flatten)]
        store: StoreArgs,
        /// Keep the totals as today's.
        #[arg(long)]
        record: bool,
        /// Score only this published dataset and print its report.
        #[arg(long)]
        dataset: Option<String>,
    },
    /// Rebuild the search index from the SQL store now, and have the next start rebuild the RDF projection (the server
    /// must be stopped: it owns both).
    Reindex {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Run the mock national portal: a CKAN Action API over its own SQLite store, with injectable faults.
    MockPortal(MockPortalArgs),
    /// Sync a CKAN portal with a source (an opendata server's change feed, a DCAT catalogue or a CKAN portal).
    Harvest(HarvestArgs),
    /// Set an account's password for the curation pages' sign-in (read from standard input).
    Password {
        #[command(subcommand)]
        command: PasswordCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Args)]
pub struct MockPortalArgs {
    /// Address to listen on (port 0: any free port; the address is printed on the first line).
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub bind: SocketAddr,
    /// Folder of the portal's SQLite store.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The API token writes need (in the `Authorization` header).
    #[arg(long, env = "OPENDATA_PORTAL_TOKEN")]
    pub token: String,
    /// Fraction of requests that get an injected fault (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Kinds of fault drawn from: error-before, error-after, rate-limit, stall, drop (default: all).
    #[arg(long, value_delimiter = ',')]
    pub fault_kinds: Vec<portal::faults::FaultKind>,
    /// How long a stalled request sleeps (set it past the client's timeout).
    #[arg(long, default_value = "60s", value_parser = harvester::parse_duration)]
    pub stall: std::time::Duration,
    /// Retry-After of an injected 429, in seconds.
    #[arg(long, default_value_t = 1)]
    pub fault_retry_after: u64,
    /// Seed of the fault sequence (reproducible runs).
    #[arg(long)]
    pub fault_seed: Option<u64>,
    /// Requests over the whole portal: N/s, N/min or N/h; past it 429 with Retry-After.
    #[arg(long, value_parser = portal::faults::parse_rate)]
    pub rate_limit: Option<f64>,
    /// Added to every action call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency: u64,
    /// `site_url` of `status_show` (defaults to http://<bound address>).
    #[arg(long)]
    pub site_url: Option<String>,
}

#[derive(Args)]
pub struct HarvestArgs {
    /// The source: an opendata server's base URL, a DCAT catalogue's first page, or a CKAN portal's base URL.
    #[arg(long)]
    pub source: String,
    /// How to read the source (detected when not given): changes, dcat or ckan.
    #[arg(long)]
    pub source_kind: Option<harvester::source::SourceKind>,
    /// API key for the source (an opendata key lifts the anonymous rate limit).
    #[arg(long, env = "OPENDATA_SOURCE_TOKEN")]
    pub source_token: Option<String>,
    /// The CKAN portal (or, with --target-kind opendata, the opendata server) to write to.
    #[arg(long)]
    pub target: String,
    /// The target's API token (for an opendata server: a token allowed to write and publish for every agency).
    #[arg(long, env = "OPENDATA_TARGET_TOKEN")]
    pub target_token: String,
    /// What the target is: ckan (a CKAN Action API portal) or opendata (another opendata server's catalog).
    #[arg(long, default_value = "ckan")]
    pub target_kind: harvester::TargetKind,
    /// For an opendata target: a JSON file mapping source publishers (publisher IRI, name or organization name) to
    /// agency codes of the target's registry, `{"https://example.org/org/health": "G12"}`.
    #[arg(long)]
    pub agency_map: Option<PathBuf>,
    /// Folder of the state stores (one per source and target).
    #[arg(long)]
    pub state_dir: PathBuf,
    /// Write the run's JSON report here (rewritten after every run with --watch).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Run again after this long (30s, 5m, 1h), until interrupted.
    #[arg(long, value_parser = harvester::parse_duration)]
    pub watch: Option<std::time::Duration>,
    /// Records processed at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Timeout of each HTTP request.
    #[arg(long, default_value = "30s", value_parser = harvester::parse_duration)]
    pub timeout: std::time::Duration,
    /// Attempts of a request that fails transiently (5xx, timeout, dropped connection).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,
    /// Allow a source on loopback, private, link-local or other non-public addresses (refused by default, so that a
    /// source URL cannot make the harvester reach internal services).
    #[arg(long)]
    pub allow_private_sources: bool,
    /// Read the whole source and write every record, ignoring the stored cursor and hashes (a full re-harvest).
    #[arg(long)]
    pub rewrite_all: bool,
    /// Record every run's report in this opendata server's harvest history (`/api/v1/admin/harvest-runs`).
    #[arg(long, requires = "record_token")]
    pub record_to: Option<String>,
    /// An admin token of the --record-to server.
    #[arg(long, env = "OPENDATA_RECORD_TOKEN", hide_env_values = true)]
    pub record_token: Option<String>,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the change-log chain, every registry item, list and release, dataset revision, open-data list, plan item
    /// and account against the hash the change log recorded for it, every stored file against its sha256, and the
    /// search index's count against SQL; exit 1 naming every bad subject.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
        /// Print the report as JSON (for monitoring).
        #[arg(long)]
        json: bool,
        /// Also prove that the log extends this checkpoint, saved earlier from /api/v1/audit/checkpoints/latest.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// Do not re-hash the stored files.
        #[arg(long)]
        skip_files: bool,
    },
}

#[derive(Subcommand)]
pub enum PasswordCommand {
    /// Set (or replace) the password: the first line of standard input.
    Set {
        #[command(flatten)]
        store: StoreArgs,
        /// The account's name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an account and print its token (shown once).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// Unique account name.
        #[arg(long)]
        name: String,
        /// Role.
        #[arg(long, value_enum)]
        role: Role,
        /// Code lists a steward curates (comma-separated, `*` for all).
        #[arg(long, value_delimiter = ',')]
        lists: Vec<String>,
        /// Agency code of a publisher or approver.
        #[arg(long)]
        agency: Option<String>,
    },
}
