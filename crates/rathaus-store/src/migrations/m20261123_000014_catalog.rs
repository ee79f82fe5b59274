//! The service catalog: services (Leistungen, with their LeiKa key), life situations
//! (Lebenslagen), which services a tenant offers (with its own texts and fees), and the
//! full-text index for the search (SQLite FTS5 / PostgreSQL `german`, see `dialect`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::dialect;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("life_situations")
                    .col(string_len("key", 60).primary_key())
                    .col(string("name_de"))
                    .col(string("name_en"))
                    .col(integer("position"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("services")
                    .col(string_len("key", 80).primary_key())
                    .col(string_len_null("leika", 14))
                    // The whole entry as the catalog file has it (texts, fees, documents …).
                    .col(text("entry"))
                    .col(string("name"))
                    // Name, summary, description and keywords: what the search reads.
                    .col(text("search_source"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("service_life_situations")
                    .col(string_len("service_key", 80))
                    .col(string_len("life_situation_key", 60))
                    .primary_key(Index::create().col("service_key").col("life_situation_key"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("service_life_situations", "service_key")
                            .to("services", "key")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("service_life_situations", "life_situation_key")
                            .to("life_situations", "key")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("tenant_services")
                    .col(uuid("tenant_id"))
                    .col(string_len("service_key", 80))
                    .col(boolean("enabled"))
                    // JSON object of the fields the tenant words differently ({} for none).
                    .col(text("overrides"))
                    .primary_key(Index::create().col("tenant_id").col("service_key"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("tenant_services", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("tenant_services", "service_key")
                            .to("services", "key")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        for sql in dialect::service_search_index_sql(backend) {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in dialect::drop_service_search_index_sql(db.get_database_backend()) {
            db.execute_unprepared(sql).await?;
        }
        for table in [
            "tenant_services",
            "service_life_situations",
            "services",
            "life_situations",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
