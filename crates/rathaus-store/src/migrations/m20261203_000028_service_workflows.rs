//! Workflows per service: a town installs its own workflow for a service (`workflows`,
//! never changed once installed: a new version is a new row); a case keeps the workflow
//! it was opened with (`cases.workflow_id`, NULL for the built-in standard workflow), so
//! a new version applies to new cases only. `cases.phase` says where a case stands
//! whatever its workflow calls the state — new, open, waiting (for the applicant),
//! decided, closed — so that the inbox's views and deadlines do not depend on state names.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The standard workflow's states by phase, for the cases that exist already.
const PHASES: [(&str, &[&str]); 4] = [
    ("new", &["eingegangen"]),
    ("waiting", &["unterlagen_nachgefordert"]),
    ("decided", &["bewilligt", "abgelehnt"]),
    ("closed", &["abgeschlossen", "zusammengefuehrt"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("workflows")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(string_len("service_key", 80))
                    // The definition as installed (JSON).
                    .col(text("definition"))
                    .col(timestamp_with_time_zone("installed_at"))
                    .col(string_len("installed_by", 200))
                    .foreign_key(
                        ForeignKey::create()
                            .from("workflows", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("workflows_service")
                    .table("workflows")
                    .col("tenant_id")
                    .col("service_key")
                    .col("installed_at")
                    .to_owned(),
            )
            .await?;
        for column in [
            uuid_null("workflow_id"),
            string_len("phase", 12).default("open").to_owned(),
        ] {
            manager
                .alter_table(Table::alter().table("cases").add_column(column).to_owned())
                .await?;
        }
        for (phase, states) in PHASES {
            let update = Query::update()
                .table("cases")
                .value("phase", phase)
                .and_where(Expr::col("state").is_in(states.iter().copied()))
                .to_owned();
            manager.exec_stmt(update).await?;
        }
        // The inbox's views by phase (new, waiting, overdue), as `cases_open_due` by state.
        manager
            .create_index(
                Index::create()
                    .name("cases_phase_due")
                    .table("cases")
                    .col("tenant_id")
                    .col("department_id")
                    .col("phase")
                    .col("due_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("cases_phase_due")
                    .table("cases")
                    .to_owned(),
            )
            .await?;
        for column in ["phase", "workflow_id"] {
            manager
                .alter_table(Table::alter().table("cases").drop_column(column).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("workflows").to_owned())
            .await
    }
}
