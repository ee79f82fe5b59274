//! Storage for Rathaus: the database connection (SQLite or PostgreSQL), the schema
//! migrations, the content-addressed blob store and the job queue (outbox).
//!
//! This crate knows tables and bytes, not domain rules: the domain lives in
//! `rathaus-core` and calls the plain functions here.

pub mod blob;
pub mod db;
pub mod dialect;
pub mod entities;
pub mod error;
pub mod jobs;
pub mod migrations;
pub mod roles_seed;

pub use blob::{BlobRef, BlobStore};
pub use db::{Backend, Db, SchemaState};
pub use error::StoreError;
pub use sea_orm;
pub use sea_orm_migration;
