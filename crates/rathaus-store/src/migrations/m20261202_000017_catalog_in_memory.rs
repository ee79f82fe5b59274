//! The catalog search moves into memory (`rathaus_core::catalog::Offered`): the
//! database's full-text index and the column it read go. What remains is a counter that
//! every change of the catalog or of a town's offer increases, so that every process
//! notices in one cheap read that its copy is out of date.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::dialect;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in dialect::drop_service_search_index_sql(db.get_database_backend()) {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared("ALTER TABLE services DROP COLUMN search_source")
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("catalog_version")
                    // Always 1: the table has one row.
                    .col(integer("id").primary_key())
                    .col(big_integer("version"))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("INSERT INTO catalog_version (id, version) VALUES (1, 0)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("catalog_version").to_owned())
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE services ADD COLUMN search_source TEXT NOT NULL DEFAULT ''",
        )
        .await?;
        for sql in dialect::service_search_index_sql(db.get_database_backend()) {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
