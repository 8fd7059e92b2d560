#![doc = include_str!("../README.md")]

pub mod changelog;
pub mod csv_format;
pub mod db;
pub mod error;
pub mod model;
pub mod plan;
pub mod seed;
pub mod skos;
pub mod store;
pub mod text;
pub mod verify;

pub use db::{Backend, Database};
pub use error::{InputProblem, RegistryError};
pub use model::*;
pub use store::Registry;
