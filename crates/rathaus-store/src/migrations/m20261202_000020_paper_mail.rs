//! Paper mail: letters the mailroom scans. Each scan is recognised (OCR), gets a
//! proposal (the case its reference names, or a department by its words) and is filed
//! by a person into a case, where it stays as a document of that case.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn to(
    column: &'static str,
    table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from("mail_items", column)
        .to(table, "id")
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("mail_items")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(timestamp_with_time_zone("received_at"))
                    .col(uuid_null("received_by"))
                    // The scan in the blob store.
                    .col(string_len("sha256", 64))
                    .col(big_integer("size"))
                    .col(string_len("media_type", 100))
                    .col(string_len("file_name", 255))
                    // recognising → to_file → filed
                    .col(string_len("state", 20))
                    .col(text_null("text"))
                    .col(integer_null("pages"))
                    // Why there is no text (no OCR installed, timed out, unreadable).
                    .col(string_len_null("ocr_note", 500))
                    .col(uuid_null("proposed_case_id"))
                    .col(uuid_null("proposed_department_id"))
                    .col(uuid_null("case_id"))
                    .col(timestamp_with_time_zone_null("filed_at"))
                    .col(uuid_null("filed_by"))
                    .foreign_key(&mut to("tenant_id", "tenants", ForeignKeyAction::Cascade))
                    .foreign_key(&mut to("case_id", "cases", ForeignKeyAction::Restrict))
                    .foreign_key(&mut to(
                        "proposed_case_id",
                        "cases",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut to(
                        "proposed_department_id",
                        "departments",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "mail_items_open",
                &["tenant_id", "state", "received_at"][..],
            ),
            ("mail_items_case", &["case_id"][..]),
            ("mail_items_blob", &["sha256"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("mail_items");
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("mail_items").to_owned())
            .await
    }
}
