//! Schema migrations, written once for SQLite and PostgreSQL. Never edit a migration
//! that has shipped; add a new one.

use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_staff;
mod m20261122_000003_citizens_sessions;
mod m20261122_000004_login_failures;
mod m20261123_000005_citizen_profiles;
mod m20261123_000006_staff_second_factor;
mod m20261123_000007_identity_providers;
mod m20261123_000008_organisations;
mod m20261123_000009_staff_password_change;
mod m20261123_000010_staff_passkeys;
mod m20261123_000011_roles_departments;
mod m20261123_000012_staff_sso;
mod m20261123_000013_login_binding;
mod m20261123_000014_catalog;
mod m20261123_000015_drafts;
mod m20261123_000016_tenant_forms;
mod m20261202_000017_catalog_in_memory;
mod m20261202_000018_submissions_cases;
mod m20261202_000019_postbox_files;
mod m20261202_000020_paper_mail;
mod m20261203_000021_routing_rules;
mod m20261203_000022_organisation_cases;
mod m20261203_000023_case_search;
mod m20261203_000024_deadline_pause;
mod m20261203_000025_app_access;
mod m20261203_000026_case_reminders;
mod m20261203_000027_claim_mapping;
mod m20261203_000028_service_workflows;
mod m20261203_000029_teams;
mod m20261203_000030_issued_documents;
mod m20261206_000031_efile;
mod m20261206_000032_retention;
mod m20261206_000033_letter_delivery;
mod m20261206_000034_payments;
mod m20261206_000035_fee_notices;
mod m20261206_000036_tenant_bank;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_staff::Migration),
            Box::new(m20261122_000003_citizens_sessions::Migration),
            Box::new(m20261122_000004_login_failures::Migration),
            Box::new(m20261123_000005_citizen_profiles::Migration),
            Box::new(m20261123_000006_staff_second_factor::Migration),
            Box::new(m20261123_000007_identity_providers::Migration),
            Box::new(m20261123_000008_organisations::Migration),
            Box::new(m20261123_000009_staff_password_change::Migration),
            Box::new(m20261123_000010_staff_passkeys::Migration),
            Box::new(m20261123_000011_roles_departments::Migration),
            Box::new(m20261123_000012_staff_sso::Migration),
            Box::new(m20261123_000013_login_binding::Migration),
            Box::new(m20261123_000014_catalog::Migration),
            Box::new(m20261123_000015_drafts::Migration),
            Box::new(m20261123_000016_tenant_forms::Migration),
            Box::new(m20261202_000017_catalog_in_memory::Migration),
            Box::new(m20261202_000018_submissions_cases::Migration),
            Box::new(m20261202_000019_postbox_files::Migration),
            Box::new(m20261202_000020_paper_mail::Migration),
            Box::new(m20261203_000021_routing_rules::Migration),
            Box::new(m20261203_000022_organisation_cases::Migration),
            Box::new(m20261203_000023_case_search::Migration),
            Box::new(m20261203_000024_deadline_pause::Migration),
            Box::new(m20261203_000025_app_access::Migration),
            Box::new(m20261203_000026_case_reminders::Migration),
            Box::new(m20261203_000027_claim_mapping::Migration),
            Box::new(m20261203_000028_service_workflows::Migration),
            Box::new(m20261203_000029_teams::Migration),
            Box::new(m20261203_000030_issued_documents::Migration),
            Box::new(m20261206_000031_efile::Migration),
            Box::new(m20261206_000032_retention::Migration),
            Box::new(m20261206_000033_letter_delivery::Migration),
            Box::new(m20261206_000034_payments::Migration),
            Box::new(m20261206_000035_fee_notices::Migration),
            Box::new(m20261206_000036_tenant_bank::Migration),
        ]
    }
}
