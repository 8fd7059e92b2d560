//! The `opendata` command: parse the command line, build, run.
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use opendata::accounts::{Accounts, NewAccount, Role};
use opendata::app::{self, Application, Config, Seed};
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
    },
    /// Rebuild the search index from the SQL store (the server must be stopped: it owns the index writer).
    Reindex {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
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
