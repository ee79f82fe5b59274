//! Form definitions a tenant installed itself (written for it, or imported from FIM
//! XDatenfelder); they take precedence over the built-in ones with the same id.

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
                    .table("tenant_forms")
                    .col(uuid("tenant_id"))
                    .col(string_len("form_id", 80))
                    // Counts up with every installation; drafts record the one they use.
                    .col(integer("version"))
                    // The definition as JSON, checked when installed.
                    .col(text("definition"))
                    // Where it came from: a file name, `xdatenfelder:G60000000088 1.2.0`.
                    .col(string("source"))
                    .col(timestamp_with_time_zone("installed_at"))
                    .primary_key(Index::create().col("tenant_id").col("form_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("tenant_forms", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("tenant_forms").to_owned())
            .await
    }
}
