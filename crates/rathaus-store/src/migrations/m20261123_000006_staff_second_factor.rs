//! The second factor of staff logins: one TOTP secret per staff member (confirmed once
//! the first code from the app was right) and one-time recovery codes.

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
                    .table("staff_totp")
                    .col(uuid("staff_id").primary_key())
                    .col(string("secret"))
                    .col(timestamp_with_time_zone_null("confirmed_at"))
                    .col(big_integer("last_step").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("staff_totp", "staff_id")
                            .to("staff_users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("staff_recovery_codes")
                    .col(string_len("code_hash", 64).primary_key())
                    .col(uuid("staff_id"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("staff_recovery_codes", "staff_id")
                            .to("staff_users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("staff_recovery_codes_staff")
                    .table("staff_recovery_codes")
                    .col("staff_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["staff_recovery_codes", "staff_totp"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
