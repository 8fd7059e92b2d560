//! The `opendata` command: parse the command line, build, run.
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use opendata::accounts::{Accounts, NewAccount, Role};
use opendata::app::{self, Application, Config, Rate, RateLimits, Seed};
use opendata::http::ratelimit;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "opendata",
    version,
    about = "Open-data catalog and shared code-list registry"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct StoreArgs {
    /// Folder for the embedded SQLite store and files.
    #[arg(long, default_value = "./data", env = "OPENDATA_DATA_DIR")]
    data_dir: PathBuf,
    /// Use this database instead of the embedded one (postgres://user@host/db).
    #[arg(long, env = "OPENDATA_DATABASE_URL")]
    database_url: Option<String>,
}

/// Rate limits of `serve` (see README, "Rate limits"). A rate is COUNT/UNIT[:BURST], UNIT one of s, min, h; the
/// burst defaults to twice the count.
#[derive(Args, Clone)]
#[command(next_help_heading = "Rate limits")]
struct RateLimitArgs {
    /// Limit nothing (for a node behind a gateway that already limits).
    #[arg(long, env = "OPENDATA_NO_RATE_LIMITS")]
    no_rate_limits: bool,
    /// Callers without a valid token, per client address.
    #[arg(long, value_name = "RATE", env = "OPENDATA_RATE_ANONYMOUS",
          default_value_t = RateLimits::default().anonymous)]
    rate_anonymous: Rate,
    /// Callers with a token, per account (admins are never limited).
    #[arg(long, value_name = "RATE", env = "OPENDATA_RATE_KEYED",
          default_value_t = RateLimits::default().keyed)]
    rate_keyed: Rate,
    /// A role's own quota instead of --rate-keyed: ROLE=RATE (consumer, publisher, approver, steward), repeatable.
    #[arg(long, value_name = "ROLE=RATE", env = "OPENDATA_RATE_ROLES", value_delimiter = ',',
          value_parser = ratelimit::parse_role_rate)]
    rate_role: Vec<(Role, Rate)>,
    /// /sparql, /catalog and /api/v1/data/ for callers without a token, per client address.
    #[arg(long, value_name = "RATE", env = "OPENDATA_RATE_EXPENSIVE",
          default_value_t = RateLimits::default().expensive_anonymous)]
    rate_expensive: Rate,
    /// /sparql, /catalog and /api/v1/data/ for callers with a token, per account.
    #[arg(long, value_name = "RATE", env = "OPENDATA_RATE_EXPENSIVE_KEYED",
          default_value_t = RateLimits::default().expensive_keyed)]
    rate_expensive_keyed: Rate,
    /// Reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDRs).
    #[arg(long, value_name = "CIDR", env = "OPENDATA_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = ratelimit::parse_trusted_proxy)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Nodes sharing the traffic: each node enforces 1/N of every rate and burst.
    #[arg(long, value_name = "N", env = "OPENDATA_RATE_NODES",
          default_value_t = RateLimits::default().nodes,
          value_parser = clap::value_parser!(u32).range(1..))]
    rate_nodes: u32,
    /// The most clients one bucket tracks; past it the idlest are forgotten.
    #[arg(long, value_name = "N", env = "OPENDATA_RATE_MAX_KEYS",
          default_value_t = RateLimits::default().max_tracked_keys)]
    rate_max_keys: usize,
}

impl RateLimitArgs {
    fn apply(self, limits: &mut RateLimits) {
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
        };
    }
}

/// Scheduled backups of `serve` (see README, "Backups").
#[derive(Args, Clone)]
#[command(next_help_heading = "Backups")]
struct BackupScheduleArgs {
    /// Take a verified backup into this folder on a schedule (and prune it by --keep).
    #[arg(long, env = "OPENDATA_BACKUP_DIR")]
    backup_dir: Option<PathBuf>,
    /// Time between backups: 30m, 6h, 24h, 7d.
    #[arg(long, default_value = "24h", env = "OPENDATA_BACKUP_EVERY", value_parser = parse_every)]
    backup_every: std::time::Duration,
    /// What to keep: last=N, daily=N, monthly=N, yearly=N, comma-separated.
    #[arg(long, default_value_t = opendata::backup::Policy::DEFAULT, env = "OPENDATA_BACKUP_KEEP")]
    keep: opendata::backup::Policy,
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
enum BackupCommand {
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
enum Command {
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
        #[command(flatten)]
        limits: RateLimitArgs,
        #[command(flatten)]
        backups: BackupScheduleArgs,
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
    /// Rebuild the search index from the SQL store (the server must be stopped: it owns the index writer).
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
struct MockPortalArgs {
    /// Address to listen on (port 0: any free port; the address is printed on the first line).
    #[arg(long, default_value = "127.0.0.1:5000")]
    bind: SocketAddr,
    /// Folder of the portal's SQLite store.
    #[arg(long)]
    data_dir: PathBuf,
    /// The API token writes need (in the `Authorization` header).
    #[arg(long, env = "OPENDATA_PORTAL_TOKEN")]
    token: String,
    /// Fraction of requests that get an injected fault (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Kinds of fault drawn from: error-before, error-after, rate-limit, stall, drop (default: all).
    #[arg(long, value_delimiter = ',')]
    fault_kinds: Vec<portal::faults::FaultKind>,
    /// How long a stalled request sleeps (set it past the client's timeout).
    #[arg(long, default_value = "60s", value_parser = harvester::parse_duration)]
    stall: std::time::Duration,
    /// Retry-After of an injected 429, in seconds.
    #[arg(long, default_value_t = 1)]
    fault_retry_after: u64,
    /// Seed of the fault sequence (reproducible runs).
    #[arg(long)]
    fault_seed: Option<u64>,
    /// Requests over the whole portal: N/s, N/min or N/h; past it 429 with Retry-After.
    #[arg(long, value_parser = portal::faults::parse_rate)]
    rate_limit: Option<f64>,
    /// Added to every action call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency: u64,
    /// `site_url` of `status_show` (defaults to http://<bound address>).
    #[arg(long)]
    site_url: Option<String>,
}

#[derive(Args)]
struct HarvestArgs {
    /// The source: an opendata server's base URL, a DCAT catalogue's first page, or a CKAN portal's base URL.
    #[arg(long)]
    source: String,
    /// How to read the source (detected when not given): changes, dcat or ckan.
    #[arg(long)]
    source_kind: Option<harvester::source::SourceKind>,
    /// API key for the source (an opendata key lifts the anonymous rate limit).
    #[arg(long, env = "OPENDATA_SOURCE_TOKEN")]
    source_token: Option<String>,
    /// The CKAN portal to write to.
    #[arg(long)]
    target: String,
    /// The portal's API token.
    #[arg(long, env = "OPENDATA_TARGET_TOKEN")]
    target_token: String,
    /// Folder of the state stores (one per source and target).
    #[arg(long)]
    state_dir: PathBuf,
    /// Write the run's JSON report here (rewritten after every run with --watch).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Run again after this long (30s, 5m, 1h), until interrupted.
    #[arg(long, value_parser = harvester::parse_duration)]
    watch: Option<std::time::Duration>,
    /// Records processed at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Timeout of each HTTP request.
    #[arg(long, default_value = "30s", value_parser = harvester::parse_duration)]
    timeout: std::time::Duration,
    /// Attempts of a request that fails transiently (5xx, timeout, dropped connection).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    max_attempts: u32,
    /// Allow a source on loopback, private, link-local or other non-public addresses (refused by default, so that a
    /// source URL cannot make the harvester reach internal services).
    #[arg(long)]
    allow_private_sources: bool,
    /// Read the whole source and write every record, ignoring the stored cursor and hashes (a full re-harvest).
    #[arg(long)]
    rewrite_all: bool,
    /// Record every run's report in this opendata server's harvest history (`/api/v1/admin/harvest-runs`).
    #[arg(long, requires = "record_token")]
    record_to: Option<String>,
    /// An admin token of the --record-to server.
    #[arg(long, env = "OPENDATA_RECORD_TOKEN", hide_env_values = true)]
    record_token: Option<String>,
}

async fn mock_portal(args: MockPortalArgs) -> app::anyhow_like::Result<()> {
    use portal::{Portal, PortalConfig};
    init_logs(false);
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err("--fault-rate is a fraction between 0 and 1".into());
    }
    let mut config = PortalConfig::new(args.bind, args.data_dir, args.token);
    config.faults.rate = args.fault_rate;
    if !args.fault_kinds.is_empty() {
        config.faults.kinds = args.fault_kinds;
    }
    config.faults.stall = args.stall;
    config.faults.retry_after = args.fault_retry_after;
    config.faults.seed = args.fault_seed;
    config.rate_limit = args.rate_limit;
    config.latency = std::time::Duration::from_millis(args.latency);
    config.site_url = args.site_url;
    let kinds: Vec<&str> = config.faults.kinds.iter().map(|k| k.as_str()).collect();
    let portal = Portal::build(config.clone()).await?;
    // The first line of stdout, read by whoever started us on port 0.
    println!("mock portal listening on http://{}", portal.local_addr());
    std::io::Write::flush(&mut std::io::stdout())?;
    tracing::info!(address = %portal.local_addr(), fault_rate = config.faults.rate, ?kinds, "mock portal");
    portal.run_until(app::shutdown_signal()).await?;
    Ok(())
}

async fn harvest(args: HarvestArgs) -> app::anyhow_like::Result<()> {
    // The summary goes to stdout; logs to stderr, quiet unless RUST_LOG asks.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let mut options =
        harvester::Options::new(args.source, args.target, args.target_token, args.state_dir);
    options.source_kind = args.source_kind;
    options.source_token = args.source_token;
    options.concurrency = args.concurrency.into();
    options.timeout = args.timeout;
    options.retry.max_attempts = args.max_attempts;
    options.allow_private_sources = args.allow_private_sources;
    options.rewrite_all = args.rewrite_all;
    options.progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut recorded_ok = true;
    loop {
        let report = harvester::harvest_reported(&options).await;
        if let Some(path) = &args.report {
            harvester::write_report(path, &report)?;
        }
        println!("{}", report.summary());
        if let (Some(url), Some(token)) = (&args.record_to, &args.record_token) {
            match harvester::record_run(url, token, &report, options.timeout).await {
                Ok(location) => println!("recorded as {location}"),
                Err(e) => {
                    recorded_ok = false;
                    eprintln!("the run could not be recorded at {url}: {e}");
                }
            }
        }
        let Some(interval) = args.watch else {
            return if !recorded_ok {
                Err("the run could not be recorded (see above)".into())
            } else if report.is_clean() {
                Ok(())
            } else {
                Err(format!("{} failed (see the report)", report.failures.len()).into())
            };
        };
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = app::shutdown_signal() => return Ok(()),
        }
    }
}

#[derive(Subcommand)]
enum AuditCommand {
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
enum PasswordCommand {
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
enum TokenCommand {
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

async fn backup_command(command: BackupCommand) -> app::anyhow_like::Result<()> {
    match command {
        BackupCommand::List { backup_dir, json } => {
            for b in opendata::backup::schedule::list(&backup_dir)? {
                let manifest = opendata::backup::read_manifest(&b.path);
                if json {
                    let m = manifest.as_ref().ok();
                    println!(
                        "{}",
                        serde_json::json!({
                            "id": b.id,
                            "createdAt": b.at.to_rfc3339(),
                            "path": b.path,
                            "bytes": b.size,
                            "verified": !b.failed,
                            "backend": m.map(|m| &m.backend),
                            "schemaVersion": m.and_then(|m| m.schema_version()),
                            "changeLogHead": m.map(|m| m.chain_head_seq),
                            "error": manifest.as_ref().err().map(|e| e.to_string()),
                        })
                    );
                } else {
                    let detail = match &manifest {
                        Ok(m) => format!(
                            "{:8} schema {:>5} change log {:>7}",
                            m.backend,
                            m.schema_version().map_or("-".into(), |v| v.to_string()),
                            m.chain_head_seq
                        ),
                        Err(e) => e.to_string(),
                    };
                    println!(
                        "{}  {}  {:>12} bytes  {}  {detail}",
                        b.id,
                        if b.failed { "FAILED  " } else { "verified" },
                        b.size,
                        b.at.to_rfc3339(),
                    );
                }
            }
            Ok(())
        }
        BackupCommand::Restore {
            id,
            backup_dir,
            store,
        } => restore(backup_dir.as_deref(), &id, store).await,
    }
}

/// Restores, checks against the manifest, then migrates forward.
async fn restore(
    backup_dir: Option<&std::path::Path>,
    id: &str,
    store: StoreArgs,
) -> app::anyhow_like::Result<()> {
    let (m, checked) = opendata::backup::schedule::restore_id(
        backup_dir,
        id,
        &store.data_dir,
        store.database_url.as_deref(),
    )
    .await?;
    let mut config = Config::new(store.data_dir.clone());
    config.database_url = store.database_url.clone();
    let db = app::open_database(&config).await?;
    let now = opendata::backup::verify::schema_version(&db).await?;
    db.close().await;
    let was = m.schema_version();
    println!(
        "restored {} members from {id}; change log verified ({} entries), {} tables and {} rows as recorded, {} files; schema {} {}; projections rebuild on the next start",
        m.members.len(),
        checked.entries,
        checked.tables,
        checked.rows,
        checked.files,
        was.map_or("-".into(), |v| v.to_string()),
        if was == now {
            "(current)".to_owned()
        } else {
            format!("migrated to {}", now.map_or("-".into(), |v| v.to_string()))
        }
    );
    Ok(())
}

fn init_logs(json: bool) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> app::anyhow_like::Result<()> {
    match cli.command {
        Command::Serve {
            store,
            bind,
            base_uri,
            seed_dir,
            seed_lists,
            log_json,
            max_upload_mb,
            hsts,
            audit_every,
            limits,
            backups,
        } => {
            init_logs(log_json);
            let mut config = Config::new(store.data_dir);
            config.database_url = store.database_url;
            config.bind = bind;
            config.base_uri = base_uri.unwrap_or_else(|| format!("http://{bind}"));
            if let Some(dir) = seed_dir {
                config.seed_dir = dir;
            }
            config.seed = match seed_lists {
                None => Seed::All,
                Some(l) if l.iter().any(|s| s == "none") => Seed::Nothing,
                Some(l) => Seed::Only(l),
            };
            config.max_upload_bytes = max_upload_mb * 1024 * 1024;
            config.hsts = hsts;
            config.audit.every = audit_every;
            limits.apply(&mut config.rate_limits);
            config.backups = backups.backup_dir.map(|dir| opendata::backup::Schedule {
                dir,
                every: backups.backup_every,
                keep: backups.keep,
            });
            config.admin_token = std::env::var("OPENDATA_ADMIN_TOKEN")
                .ok()
                .filter(|t| !t.is_empty());
            let app = Application::build(config).await?;
            if let Some(token) = &app.generated_admin_token {
                // Printed once, on the console only; it is stored as a hash.
                println!("Bootstrap admin token (shown once, store it now): {token}");
            }
            tracing::info!(address = %app.local_addr(), "listening");
            app.run_until(app::shutdown_signal()).await?;
            Ok(())
        }
        Command::Generate {
            store,
            datasets,
            seed,
        } => {
            init_logs(false);
            let mut config = Config::new(store.data_dir);
            config.database_url = store.database_url;
            let db = app::open_database(&config).await?;
            let registry = registry::Registry::new(db.clone(), &config.base_uri);
            if registry.is_empty().await? {
                registry::seed::load_dir(&registry, &config.seed_dir, None).await?;
            }
            let catalog = catalog::Catalog::new(db, registry);
            let started = std::time::Instant::now();
            let n = opendata::generate::generate(&catalog, datasets, seed).await?;
            println!(
                "generated {n} datasets in {} ms",
                started.elapsed().as_millis()
            );
            Ok(())
        }
        Command::Backup {
            command: Some(command),
            ..
        } => backup_command(command).await,
        Command::Backup {
            command: None,
            store,
            to,
            backup_dir,
            keep,
        } => {
            // The store is backed up as it is: opened without migrating.
            let db = match &store.database_url {
                Some(url) => registry::Database::connect(url).await?,
                None if store.data_dir.join("opendata.db").is_file() => {
                    registry::Database::open_sqlite(&store.data_dir).await?
                }
                None => {
                    return Err(format!("no store in {}", store.data_dir.display()).into());
                }
            };
            let url = store.database_url.as_deref();
            match (to, backup_dir) {
                (Some(to), None) => {
                    let m = opendata::backup::backup(&db, url, &store.data_dir, &to).await?;
                    println!(
                        "backup written to {}: {} members, change log of {} entries",
                        to.display(),
                        m.members.len(),
                        m.chain_head_seq
                    );
                }
                (None, Some(dir)) => {
                    let r = opendata::backup::schedule::backup_once(
                        &db,
                        url,
                        &store.data_dir,
                        &dir,
                        keep.as_ref(),
                    )
                    .await?;
                    println!(
                        "backup {} written to {} and verified: {} tables, {} rows, {} files, change log of {} entries; deleted: {}",
                        r.id,
                        r.path.display(),
                        r.checked.tables,
                        r.checked.rows,
                        r.checked.files,
                        r.checked.entries,
                        if r.deleted.is_empty() {
                            "none".to_owned()
                        } else {
                            r.deleted.join(", ")
                        }
                    );
                }
                _ => return Err("give --to FILE or --backup-dir DIR".into()),
            }
            db.close().await;
            Ok(())
        }
        Command::Restore { from, store } => restore(None, &from.to_string_lossy(), store).await,
        Command::Audit {
            command:
                AuditCommand::Verify {
                    store,
                    json,
                    checkpoint,
                    skip_files,
                },
        } => {
            let checkpoint = match checkpoint {
                Some(path) => Some(
                    serde_json::from_slice(&std::fs::read(&path)?)
                        .map_err(|e| format!("{} is not a checkpoint: {e}", path.display()))?,
                ),
                None => None,
            };
            let mut config = Config::new(store.data_dir.clone());
            config.database_url = store.database_url;
            let db = app::open_database(&config).await?;
            let options = opendata::audit::AuditOptions {
                data_dir: store.data_dir,
                skip_files,
                checkpoint,
            };
            let report = opendata::audit::verify(&db, &options).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_text());
            }
            if report.ok {
                Ok(())
            } else {
                Err(format!("the audit found {} problem(s)", report.findings.len()).into())
            }
        }
        Command::Reindex { store } => {
            init_logs(false);
            let mut config = Config::new(store.data_dir);
            config.database_url = store.database_url;
            let db = app::open_database(&config).await?;
            let registry = registry::Registry::new(db.clone(), &config.base_uri);
            let catalog = catalog::Catalog::new(db, registry);
            let index = catalog::search::SearchIndex::open(&config.data_dir.join("index"))?;
            let started = std::time::Instant::now();
            let n = catalog::indexer::rebuild(&catalog, &index).await?;
            println!(
                "reindexed {n} datasets in {} ms",
                started.elapsed().as_millis()
            );
            Ok(())
        }
        Command::Openapi => {
            print!("{}", opendata::http::openapi::document());
            Ok(())
        }
        Command::MockPortal(args) => mock_portal(args).await,
        Command::Harvest(args) => harvest(args).await,
        Command::Password {
            command: PasswordCommand::Set { store, name },
        } => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let password = line.trim_end_matches(['\r', '\n']);
            let mut config = Config::new(store.data_dir);
            config.database_url = store.database_url;
            let db = app::open_database(&config).await?;
            Accounts::new(db).set_password(&name, password).await?;
            println!("password set for {name}");
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    store,
                    name,
                    role,
                    lists,
                    agency,
                },
        } => {
            let mut config = Config::new(store.data_dir);
            config.database_url = store.database_url;
            let db = app::open_database(&config).await?;
            let issued = Accounts::new(db)
                .create(
                    NewAccount {
                        name,
                        role,
                        lists,
                        agency,
                    },
                    None,
                )
                .await?;
            println!("{}", issued.token);
            Ok(())
        }
    }
}
