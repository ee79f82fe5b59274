//! The domain of Rathaus. Each module is one context and owns its tables; functions
//! take an explicit [`Actor`] and check it through [`policy`] before they act.

pub mod actor;
pub mod app_access;
pub mod audit;
pub mod blob_references;
pub mod cases;
pub mod catalog;
pub mod citizens;
pub mod demo;
pub mod departments;
pub mod documents;
pub mod drafts;
pub mod error;
pub mod forms;
pub mod identity;
pub mod jobs;
mod keys;
pub mod letters;
pub mod login_guard;
pub mod mail;
pub mod mailroom;
pub mod organisations;
pub mod passkeys;
pub mod passwords;
pub mod plain_pdf;
pub mod policy;
pub mod postbox;
pub mod prefill;
pub mod references;
pub mod roles;
pub mod second_factor;
pub mod secrets;
pub mod sessions;
pub mod staff;
pub mod staff_directory;
pub mod staff_sso;
pub mod submissions;
pub mod teams;
pub mod tenants;
pub mod time;
pub mod trust;
pub mod uploads;
pub mod workflow;

pub use actor::{Actor, ActorKind, Origin};
pub use error::CoreError;
pub use rathaus_store as store;
