//! The citizen profile that form assistants prefill from, the mark on identity data
//! confirmed by an identity provider, and a payload on one-time tokens (the new address
//! of an e-mail change).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite adds one column per ALTER TABLE, so every column gets its own statement.
const PROFILE_COLUMNS: [&str; 8] = [
    "given_name",
    "family_name",
    "street",
    "house_number",
    "postcode",
    "city",
    "phone",
    "identity_verified_by",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in PROFILE_COLUMNS {
            add(manager, "citizens", string_null(column)).await?;
        }
        add(manager, "citizens", date_null("birth_date")).await?;
        add(
            manager,
            "citizens",
            timestamp_with_time_zone_null("identity_verified_at"),
        )
        .await?;
        add(manager, "citizen_tokens", text_null("payload")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut columns: Vec<(&'static str, &str)> =
            PROFILE_COLUMNS.iter().map(|c| ("citizens", *c)).collect();
        columns.extend([
            ("citizens", "birth_date"),
            ("citizens", "identity_verified_at"),
            ("citizen_tokens", "payload"),
        ]);
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn add(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: ColumnDef,
) -> Result<(), DbErr> {
    let mut column = column;
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}
