//! The `opendata` command: parse the command line, build, run.
mod cli;

use clap::Parser;
use cli::{
    AuditCommand, BackupCommand, Cli, Command, HarvestArgs, MockPortalArgs, PasswordCommand,
    StoreArgs, TokenCommand,
};
use opendata::accounts::{Accounts, NewAccount};
use opendata::app::{self, Application, Config, Seed};
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's malloc (and, through its `override` feature, for SQLite and RocksDB too): a DCAT
/// export page spent about a quarter of its CPU in glibc's allocator (BENCHMARKS.md, national scale, "Fourth look").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    options.target_kind = args.target_kind;
    if let Some(path) = &args.agency_map {
        let text =
            std::fs::read(path).map_err(|e| format!("--agency-map {}: {e}", path.display()))?;
        options.agency_map = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "--agency-map {}: a JSON object of publisher -> agency code: {e}",
                path.display()
            )
        })?;
    }
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
            harvest_tick,
            harvest_private_sources,
            link_check_every,
            link_check_allow_private,
            limits,
            backups,
            feedback,
            oidc,
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
            config.harvest_tick = harvest_tick;
            config.harvest_private_sources = harvest_private_sources;
            config.link_checks.every = (!link_check_every.is_zero()).then_some(link_check_every);
            config.link_checks.allow_private = link_check_allow_private;
            (*feedback).apply(&mut config.feedback);
            (*limits).apply(&mut config.rate_limits);
            config.oidc = (*oidc).config(&config.base_uri);
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
            // On stdout as well, in a form scripts can read: with `--bind 127.0.0.1:0` the system picks the port.
            println!("listening on http://{}", app.local_addr());
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
        Command::Quality {
            store,
            record,
            dataset,
        } => {
            init_logs(false);
            let mut config = Config::new(store.data_dir);
            config.database_url = store.database_url;
            let db = app::open_database(&config).await?;
            let registry = registry::Registry::new(db.clone(), &config.base_uri);
            let catalog = catalog::Catalog::new(db, registry);
            let started = std::time::Instant::now();
            if let Some(id) = dataset {
                let (revision, report) = catalog.dataset_quality(None, &id, None).await?;
                let elapsed = started.elapsed();
                println!("{}", serde_json::to_string_pretty(&report)?);
                println!(
                    "scored {id} (revision {revision}) in {} µs",
                    elapsed.as_micros()
                );
                return Ok(());
            }
            let summary = catalog.quality_summary().await?;
            let elapsed = started.elapsed();
            if record {
                catalog
                    .record_quality_day(chrono::Utc::now().date_naive(), &summary)
                    .await?;
            }
            println!("{}", serde_json::to_string_pretty(&summary.catalog)?);
            println!(
                "scored {} datasets in {} ms",
                summary.catalog.datasets,
                elapsed.as_millis()
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
            // The RDF projection is rebuilt by the next `serve`, which knows the base URI it mints under.
            catalog::graph::Projection::forget(&config.data_dir.join("rdf"))?;
            println!("the RDF projection will be rebuilt at the next start");
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
