//! Applications sent (submissions, never changed afterwards), the form definitions they
//! were filled in with, the cases (Vorgänge) departments work on, each case's timeline,
//! and the postbox: messages between the applicant and the department about a case.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade(
    table: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// An account may be deleted; what was applied for stays with the authority.
fn keep(table: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("form_snapshots")
                    // SHA-256 of the definition's JSON: each version is stored once.
                    .col(string_len("sha256", 64).primary_key())
                    .col(string_len("form_id", 80))
                    .col(text("definition"))
                    .col(timestamp_with_time_zone("first_used_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("submissions")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    // What people read out on the phone: `MS-2026-7K3QX`.
                    .col(string_len("reference", 24))
                    .col(string_len("service_key", 80))
                    // The service's name as the applicant saw it.
                    .col(string("service_name"))
                    .col(string_len("form_sha256", 64))
                    // JSON: the answers by field id.
                    .col(text("answers"))
                    .col(uuid_null("citizen_id"))
                    .col(uuid_null("organisation_id"))
                    // The applicant's name at the time, kept if the account goes.
                    .col(string("applicant_name"))
                    // The login's trust level when sending (basis … hoch).
                    .col(string_len("trust_level", 20))
                    // The same key again (a second press, a retry) means the same
                    // submission: the draft's id.
                    .col(string_len("idempotency_key", 80))
                    // SHA-256 of the secret in the status link of an anonymous one.
                    .col(string_len_null("status_secret_hash", 64))
                    .col(big_integer_null("fee_cents"))
                    .col(timestamp_with_time_zone("submitted_at"))
                    .foreign_key(&mut cascade("submissions", "tenant_id", "tenants"))
                    .foreign_key(&mut keep("submissions", "citizen_id", "citizens"))
                    .foreign_key(&mut keep("submissions", "organisation_id", "organisations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("submission_files")
                    .col(uuid("id").primary_key())
                    .col(uuid("submission_id"))
                    .col(string_len("field", 200))
                    .col(string_len("sha256", 64))
                    .col(big_integer("size"))
                    .col(string_len("media_type", 100))
                    .col(string_len("file_name", 255))
                    .foreign_key(&mut cascade(
                        "submission_files",
                        "submission_id",
                        "submissions",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("cases")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(string_len("reference", 24))
                    .col(uuid_null("submission_id"))
                    .col(string_len("service_key", 80))
                    .col(string("title"))
                    // None: still in the mailroom (no department found).
                    .col(uuid_null("department_id"))
                    // The workflow state (`eingegangen`, `in_pruefung`, …).
                    .col(string_len("state", 40))
                    .col(uuid_null("assignee_id"))
                    .col(uuid_null("citizen_id"))
                    .col(string("applicant_name"))
                    // Counts every change; a change based on an older one is refused
                    // (two caseworkers at once).
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("due_at"))
                    .foreign_key(&mut cascade("cases", "tenant_id", "tenants"))
                    .foreign_key(&mut keep("cases", "submission_id", "submissions"))
                    .foreign_key(&mut keep("cases", "citizen_id", "citizens"))
                    .foreign_key(&mut keep("cases", "assignee_id", "staff_users"))
                    // A department closed: its cases go back to the mailroom.
                    .foreign_key(&mut keep("cases", "department_id", "departments"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("case_events")
                    .col(uuid("id").primary_key())
                    .col(uuid("case_id"))
                    .col(timestamp_with_time_zone("at"))
                    // `received`, `routed`, `state_changed`, `message_sent`, …
                    .col(string_len("kind", 40))
                    // Who: a staff member's name, "Antragsteller:in", "System".
                    .col(string("actor"))
                    // Shown to the applicant too (internal notes are not).
                    .col(boolean("public"))
                    // JSON with what the kind needs (the new state, a department, …).
                    .col(text("details"))
                    .foreign_key(&mut cascade("case_events", "case_id", "cases"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("postbox_messages")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(uuid("case_id"))
                    // `to_applicant` or `from_applicant`.
                    .col(string_len("direction", 20))
                    .col(string("subject"))
                    .col(text("body"))
                    // Who wrote it (a department's or a person's name).
                    .col(string("sender"))
                    .col(timestamp_with_time_zone("sent_at"))
                    // When the recipient opened it.
                    .col(timestamp_with_time_zone_null("read_at"))
                    .foreign_key(&mut cascade("postbox_messages", "tenant_id", "tenants"))
                    .foreign_key(&mut cascade("postbox_messages", "case_id", "cases"))
                    .to_owned(),
            )
            .await?;
        let indexes: [(&str, &str, &[&str], bool); 8] = [
            (
                "submissions_reference",
                "submissions",
                &["tenant_id", "reference"],
                true,
            ),
            (
                "submissions_idempotency",
                "submissions",
                &["tenant_id", "idempotency_key"],
                true,
            ),
            ("submissions_citizen", "submissions", &["citizen_id"], false),
            (
                "submission_files_blob",
                "submission_files",
                &["sha256"],
                false,
            ),
            (
                "cases_reference",
                "cases",
                &["tenant_id", "reference"],
                true,
            ),
            (
                "cases_inbox",
                "cases",
                &["tenant_id", "department_id", "state", "updated_at"],
                false,
            ),
            ("case_events_case", "case_events", &["case_id", "at"], false),
            (
                "postbox_case",
                "postbox_messages",
                &["case_id", "sent_at"],
                false,
            ),
        ];
        for (name, table, columns, unique) in indexes {
            let mut index = Index::create();
            index.name(name).table(table);
            for column in columns {
                index.col(*column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "postbox_messages",
            "case_events",
            "cases",
            "submission_files",
            "submissions",
            "form_snapshots",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
