//! Drafts of applications (Entwürfe): the answers given so far in a form assistant,
//! kept until they are sent or expire, and the files uploaded for them. A draft belongs
//! to a citizen account, or — where a service allows anonymous use — to the browser
//! that holds its token.

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
                    .table("drafts")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(string_len("service_key", 80))
                    .col(string_len("form_id", 80))
                    // The definition's version the answers were given for.
                    .col(integer("form_version"))
                    .col(uuid_null("citizen_id"))
                    // SHA-256 of the browser token of an anonymous draft.
                    .col(string_len_null("browser_hash", 64))
                    // JSON: the answers by field id.
                    .col(text("answers"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("drafts", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("drafts", "citizen_id")
                            .to("citizens", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("drafts_citizen", "citizen_id"),
            ("drafts_expiry", "expires_at"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("drafts")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("draft_files")
                    .col(uuid("id").primary_key())
                    .col(uuid("draft_id"))
                    // The field it was uploaded for (`kinder.0.foto` inside groups).
                    .col(string_len("field", 200))
                    // The content in the blob store (stored once however often uploaded).
                    .col(string_len("sha256", 64))
                    .col(big_integer("size"))
                    // As recognised from the content, not as the browser claimed.
                    .col(string_len("media_type", 100))
                    .col(string_len("file_name", 255))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("draft_files", "draft_id")
                            .to("drafts", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("draft_files_draft")
                    .table("draft_files")
                    .col("draft_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["draft_files", "drafts"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
