//! End-to-end tests: the real server on port 0, over SQLite and over PostgreSQL, driven by an HTTP client.
mod support;

mod audit;
mod authz;
mod backup;
mod catalog;
mod ckan;
mod crash;
mod data;
mod dcat;
mod first_run;
mod generate;
mod harvest;
mod limits;
mod lost_updates;
mod manage;
mod manage_workflows;
mod multinode;
mod openapi;
mod pages;
mod registry;
mod registry_guards;
mod search;
mod search_relevance;
mod security;
mod usage;
