//! Routing rules of the mailroom: per tenant and service, in order, a condition on the
//! answers and the department that gets what meets it. The first rule that holds wins;
//! where none does, the service's department from the catalog does.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn to(
    column: &'static str,
    table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from("routing_rules", column)
        .to(table, "id")
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("routing_rules")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(string_len("service_key", 80))
                    // Order within the service: the lowest that holds wins.
                    .col(integer("position"))
                    // In the rule language of form definitions, over the service's form.
                    .col(text("condition"))
                    .col(uuid("department_id"))
                    // What the rule is for, in words ("Bezirk Süd"); shown in the timeline.
                    .col(string_len("label", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut to("tenant_id", "tenants", ForeignKeyAction::Cascade))
                    .foreign_key(&mut to(
                        "department_id",
                        "departments",
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("routing_rules_order")
                    .table("routing_rules")
                    .col("tenant_id")
                    .col("service_key")
                    .col("position")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("routing_rules").to_owned())
            .await
    }
}
