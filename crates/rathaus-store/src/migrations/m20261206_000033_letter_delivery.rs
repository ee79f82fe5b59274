//! How a citizen wants letters: `postbox` (digital, the default of an account) or
//! `paper` (posted, for those who did not agree to digital delivery).

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
                    .table("citizens")
                    .add_column(string_len("delivery", 16).default("postbox").to_owned())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("citizens")
                    .drop_column("delivery")
                    .to_owned(),
            )
            .await
    }
}
