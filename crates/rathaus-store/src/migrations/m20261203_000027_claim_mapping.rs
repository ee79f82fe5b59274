//! Which claims of an identity provider carry what: the trust level (instead of `acr`,
//! e.g. a BundID bridge's own claim) and the identity data (name, birth date, address)
//! where the provider does not use the standard OpenID claim names. Empty: the
//! standard names.

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
                    .table("identity_providers")
                    .add_column(text("claim_mapping").default("{}"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter()
            .table("identity_providers")
            .drop_column("claim_mapping")
            .to_owned();
        manager.alter_table(drop).await
    }
}
