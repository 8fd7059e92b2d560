#![doc = include_str!("../README.md")]

pub mod dcat;
pub mod model;
pub mod store;
