//! The e-file (E-Akte): every document of a case — files sent with the application or a
//! message, filed scans, issued letters, internal documents — in one register, with its
//! versions (a new version never overwrites), its text for the search, and the daily
//! evidence that nothing stored has changed since.
//!
//! Evidence follows RFC 4998 (Evidence Record Syntax): each day, the hashes of the
//! document versions added that day are the leaves of a hash tree; the root is signed
//! with the tenant's key and names the previous day's root, so the days form a chain.
//! The sorted leaves are kept as a blob, so that the tree can be rebuilt and a single
//! document's path exported even after other documents were deleted by retention.

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
                    .table("documents")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(uuid("case_id"))
                    .col(string_len("kind", 40))
                    .col(string_len("direction", 20))
                    .col(string_len("title", 300))
                    // The row it came from (a submission file, postbox file, scan or
                    // issued letter), none for internal documents.
                    .col(uuid_null("source_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string_len("created_by", 200))
                    .col(integer("versions"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("documents", "case_id")
                            .to("cases", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("documents_case")
                    .table("documents")
                    .col("case_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("document_versions")
                    .col(uuid("id").primary_key())
                    .col(uuid("document_id"))
                    .col(uuid("tenant_id"))
                    .col(integer("number"))
                    .col(string_len("sha256", 64))
                    .col(big_integer("size"))
                    .col(string_len("media_type", 100))
                    .col(string_len("file_name", 300))
                    .col(text_null("text"))
                    .col(timestamp_with_time_zone("added_at"))
                    .col(string_len("added_by", 200))
                    // The day whose evidence holds it, once sealed.
                    .col(date_null("sealed_on"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("document_versions", "document_id")
                            .to("documents", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("document_versions_number")
                    .table("document_versions")
                    .col("document_id")
                    .col("number")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The daily sealing looks for what is not sealed yet, and the evidence of a day
        // for what it sealed.
        manager
            .create_index(
                Index::create()
                    .name("document_versions_sealing")
                    .table("document_versions")
                    .col("tenant_id")
                    .col("sealed_on")
                    .col("added_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("document_search")
                    // A stable integer key: SQLite's full-text index refers to rows by it.
                    .col(big_integer("id").primary_key().auto_increment())
                    .col(uuid("document_id").unique_key())
                    .col(uuid("tenant_id"))
                    // Lower case: title, file name and the text of the latest version.
                    .col(text("text"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("document_search", "document_id")
                            .to("documents", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in dialect::DOCUMENT_SEARCH.create_sql(db.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("evidence_days")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(date("day"))
                    .col(integer("leaves"))
                    // The sorted leaf hashes, 32 bytes each, in the blob store.
                    .col(string_len("leaves_sha256", 64))
                    .col(string_len("root", 64))
                    .col(string_len_null("previous_root", 64))
                    .col(uuid("key_id"))
                    .col(string_len("signature", 128))
                    .col(timestamp_with_time_zone("sealed_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("evidence_days", "key_id")
                            .to("signing_keys", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("evidence_days_day")
                    .table("evidence_days")
                    .col("tenant_id")
                    .col("day")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in dialect::DOCUMENT_SEARCH.drop_sql(db.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        for table in [
            "evidence_days",
            "document_search",
            "document_versions",
            "documents",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
