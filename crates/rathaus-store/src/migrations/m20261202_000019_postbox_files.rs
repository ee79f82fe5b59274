//! Files sent with a postbox message (the documents an applicant sends on request).

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
                    .table("postbox_files")
                    .col(uuid("id").primary_key())
                    .col(uuid("message_id"))
                    // The content in the blob store (stored once however often sent).
                    .col(string_len("sha256", 64))
                    .col(big_integer("size"))
                    // As recognised from the content.
                    .col(string_len("media_type", 100))
                    .col(string_len("file_name", 255))
                    .foreign_key(
                        ForeignKey::create()
                            .from("postbox_files", "message_id")
                            .to("postbox_messages", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("postbox_files_message", "message_id"),
            ("postbox_files_blob", "sha256"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("postbox_files")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("postbox_files").to_owned())
            .await
    }
}
