//! Retention (Aufbewahrung): each service keeps its cases for a number of days after
//! they were closed (`retention_days` in the catalog); then the daily job deletes the
//! case with its documents and files, unless a legal hold (Löschsperre) is set. Every
//! deletion leaves a record of what was deleted, when and by which rule — not the
//! content; the record also keeps the figures statistics need (service, department,
//! received and closed).
//!
//! Cases finished before this migration count as closed when they last changed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            timestamp_with_time_zone_null("closed_at"),
            // The reason of a legal hold; none: the case may be deleted when due.
            text_null("legal_hold"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("cases")
                        .add_column(column.to_owned())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE cases SET closed_at = updated_at WHERE phase IN ('decided', 'closed')",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("cases_closed")
                    .table("cases")
                    .col("tenant_id")
                    .col("service_key")
                    .col("closed_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("deletion_records")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(string_len("reference", 40))
                    .col(string_len("service_key", 200))
                    .col(uuid_null("department_id"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(timestamp_with_time_zone("closed_at"))
                    .col(timestamp_with_time_zone("deleted_at"))
                    // "bewohnerparkausweis: 1095 Tage nach Abschluss".
                    .col(text("rule"))
                    .col(integer("documents"))
                    .col(big_integer("bytes"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("deletion_records", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("deletion_records_tenant")
                    .table("deletion_records")
                    .col("tenant_id")
                    .col("deleted_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("deletion_records").to_owned())
            .await?;
        manager
            .drop_index(Index::drop().name("cases_closed").table("cases").to_owned())
            .await?;
        for column in ["legal_hold", "closed_at"] {
            manager
                .alter_table(Table::alter().table("cases").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
