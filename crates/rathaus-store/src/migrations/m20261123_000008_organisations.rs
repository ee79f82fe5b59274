//! Organisations (businesses, associations) with citizen accounts as members; one or
//! more members are admins and invite others by e-mail link. A session can act for one
//! of the person's organisations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("organisations")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("organisations", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("organisation_members")
                    .col(uuid("organisation_id"))
                    .col(uuid("citizen_id"))
                    .col(string("role"))
                    .col(timestamp_with_time_zone("joined_at"))
                    .primary_key(Index::create().col("organisation_id").col("citizen_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("organisation_members", "organisation_id")
                            .to("organisations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("organisation_members", "citizen_id")
                            .to("citizens", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("organisation_invitations")
                    .col(string_len("token_hash", 64).primary_key())
                    .col(uuid("organisation_id"))
                    .col(string("email"))
                    .col(string("role"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("organisation_invitations", "organisation_id")
                            .to("organisations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let mut acting_for = uuid_null("acting_for");
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .add_column(&mut acting_for)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .drop_column("acting_for")
                    .to_owned(),
            )
            .await?;
        for table in [
            "organisation_invitations",
            "organisation_members",
            "organisations",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
