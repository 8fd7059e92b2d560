#![doc = include_str!("../README.md")]

pub mod batch;
pub mod changelog;
pub mod csv_format;
pub mod db;
pub mod error;
pub mod memo;
pub mod model;
pub mod plan;
pub mod seed;
pub mod skos;
pub mod steward;
pub mod store;
pub mod text;
pub mod time;
pub mod verify;

pub use db::{Backend, Database};
pub use error::{InputProblem, RegistryError};
pub use model::*;
pub use steward::{Steward, StewardRole};
pub use store::Registry;
pub use time::RegistryTime;
