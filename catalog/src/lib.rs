#![doc = include_str!("../README.md")]

pub mod agency;
pub mod changes;
pub mod curator;
pub mod dcat;
pub mod dump;
pub mod error;
pub mod export;
pub mod files;
pub mod graph;
pub mod indexer;
pub mod memo;
pub mod model;
pub mod preview;
pub mod quality;
pub mod search;
pub mod seed;
pub mod store;
pub mod tabular;
pub mod usage;
pub mod verify;

pub use curator::{Curator, CuratorRole, Expected, Transition};
pub use error::CatalogError;
pub use store::Catalog;
