//! sea-orm entities, one module a table. Columns are documented where the name does
//! not say everything.

pub mod audit_entry;
pub mod audit_head;
pub mod catalog_version;
pub mod citizen;
pub mod citizen_identity;
pub mod citizen_token;
pub mod department;
pub mod draft;
pub mod draft_file;
pub mod identity_provider;
pub mod job;
pub mod life_situation;
pub mod login_failure;
pub mod login_request;
pub mod organisation;
pub mod organisation_invitation;
pub mod organisation_member;
pub mod role;
pub mod service;
pub mod service_life_situation;
pub mod session;
pub mod staff_department;
pub mod staff_identity;
pub mod staff_passkey;
pub mod staff_recovery_code;
pub mod staff_totp;
pub mod staff_user;
pub mod tenant;
pub mod tenant_form;
pub mod tenant_host;
pub mod tenant_service;
pub mod webauthn_ceremony;
