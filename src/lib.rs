//! `opendata`: the binary's library half — configuration, start-up (migrations, seeds, the bootstrap admin) and the HTTP
//! layer over the domain crates. `main.rs` only parses the command line and calls in here.

pub mod accounts;
pub mod app;
pub mod audit;
pub mod backup;
pub mod checkpoints;
pub mod feedback;
pub mod generate;
pub mod harvest_runs;
pub mod harvest_sources;
pub mod http;
pub mod link_checks;
pub mod lockout;
pub mod oidc;
