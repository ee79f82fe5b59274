//! A login at an external provider is bound to the browser that started it: the return
//! is accepted only with the cookie set at the start (else an attacker could hand a
//! victim the return link of the attacker's own login — login CSRF).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = string_len("browser_hash", 64).default("").to_owned();
        manager
            .alter_table(
                Table::alter()
                    .table("login_requests")
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("login_requests")
                    .drop_column("browser_hash")
                    .to_owned(),
            )
            .await
    }
}
