//! Staff whose password someone else chose (an admin, the shell) must replace it at
//! their first login.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = boolean("password_change_required");
        column.default(false);
        manager
            .alter_table(
                Table::alter()
                    .table("staff_users")
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter()
            .table("staff_users")
            .drop_column("password_change_required")
            .to_owned();
        manager.alter_table(drop).await
    }
}
