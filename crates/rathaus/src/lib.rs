//! Wiring: configuration, starting the server and worker, backup and restore. The CLI in
//! `main.rs` and the integration tests both use these functions.

pub mod admin;
pub mod archive;
pub mod backup;
pub mod config;
pub mod server;
