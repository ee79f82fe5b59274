//! Staff login through the city's own OpenID provider (Keycloak, AD FS): a provider is
//! for citizens or for staff; for staff, the groups it reports map to roles and
//! departments. `staff_identities` links the provider's subject to a staff account.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NEW_COLUMNS: [(&str, &str); 4] = [
    ("audience", "citizens"),
    ("group_claim", "groups"),
    ("group_roles", "{}"),
    ("group_departments", "{}"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite adds columns one at a time.
        for (name, default) in NEW_COLUMNS {
            let mut column = text(name).default(default).to_owned();
            manager
                .alter_table(
                    Table::alter()
                        .table("identity_providers")
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("staff_identities")
                    .col(uuid("provider_id"))
                    .col(string("subject"))
                    .col(uuid("staff_id"))
                    .col(timestamp_with_time_zone("linked_at"))
                    .primary_key(Index::create().col("provider_id").col("subject"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("staff_identities", "provider_id")
                            .to("identity_providers", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("staff_identities", "staff_id")
                            .to("staff_users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("staff_identities").to_owned())
            .await?;
        for (name, _) in NEW_COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("identity_providers")
                        .drop_column(name)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
