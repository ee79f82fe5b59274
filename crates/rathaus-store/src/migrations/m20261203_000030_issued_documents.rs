//! Issued documents (letters, permits, certificates) and the keys that sign them.
//!
//! Each tenant signs with an Ed25519 key; its private half is sealed with the server's
//! key. Rotating adds a new key and retires the old one, which stays to verify what it
//! signed. A document is found by its short code (printed on it, in its QR code) or by
//! the SHA-256 of its bytes (an uploaded copy); it can be revoked, and it remembers how
//! it went out: to the postbox, or on paper through a print batch.
//!
//! Paper letters are collected into print batches (one PDF for the printer, a CSV
//! manifest for a hybrid-mail provider); marking a batch as posted records the day of
//! dispatch in each of its letters, which starts legal deadlines.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("signing_keys")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(string_len("public_key", 64))
                    .col(text("private_key"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("retired_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("signing_keys", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("print_batches")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(string_len("created_by", 200))
                    .col(integer("letters"))
                    .col(integer("pages"))
                    .col(string_len("pdf_sha256", 64))
                    .col(date_null("posted_on"))
                    .col(string_len_null("posted_by", 200))
                    .foreign_key(
                        ForeignKey::create()
                            .from("print_batches", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("print_batches_tenant_created")
                    .table("print_batches")
                    .col("tenant_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("issued_documents")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(uuid("case_id"))
                    .col(string_len("reference", 40))
                    .col(string_len("kind", 40))
                    .col(string_len("title", 300))
                    .col(string_len("code", 20).unique_key())
                    .col(string_len("sha256", 64))
                    .col(big_integer("size"))
                    .col(integer("pages"))
                    .col(uuid("key_id"))
                    .col(string_len("signature", 128))
                    .col(timestamp_with_time_zone("issued_at"))
                    .col(string_len("issued_by", 200))
                    .col(string_len("channel", 20))
                    .col(text("recipient"))
                    .col(uuid_null("message_id"))
                    .col(uuid_null("print_batch_id"))
                    .col(timestamp_with_time_zone_null("dispatched_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(text_null("revoked_reason"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("issued_documents", "case_id")
                            .to("cases", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("issued_documents", "key_id")
                            .to("signing_keys", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("issued_documents", "print_batch_id")
                            .to("print_batches", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // An uploaded copy is looked up by its hash; a case lists its documents; a
        // batch its letters (and paper letters without one wait for the next).
        for (name, column) in [
            ("issued_documents_hash", "sha256"),
            ("issued_documents_case", "case_id"),
            ("issued_documents_batch", "print_batch_id"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("issued_documents")
                        .col("tenant_id")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["issued_documents", "print_batches", "signing_keys"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
