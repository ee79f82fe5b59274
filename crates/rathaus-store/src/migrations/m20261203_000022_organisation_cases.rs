//! Applications made for an organisation: the case names it, so that every member sees
//! the case (and its postbox), not only the member who sent it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("cases")
                    .add_column(uuid_null("organisation_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("cases_organisation")
                    .table("cases")
                    .col("organisation_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("cases_organisation")
                    .table("cases")
                    .to_owned(),
            )
            .await?;
        let drop = Table::alter()
            .table("cases")
            .drop_column("organisation_id")
            .to_owned();
        manager.alter_table(drop).await
    }
}
