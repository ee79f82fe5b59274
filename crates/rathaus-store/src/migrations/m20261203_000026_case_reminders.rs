//! Reminders on cases (Wiedervorlage): a day on which the department looks at the case
//! again, and why; set by hand or by a workflow step (a request for documents sets one
//! for the day the answer is due). Open reminders due by today make the inbox's view.

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
                    .table("case_reminders")
                    .col(uuid("id").primary_key())
                    .col(uuid("case_id"))
                    // The start of the day it is due, in the town hall's time.
                    .col(timestamp_with_time_zone("due_at"))
                    .col(string_len("note", 1000))
                    .col(string_len("set_by", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("done_at"))
                    .col(string_len_null("done_by", 200))
                    .foreign_key(
                        ForeignKey::create()
                            .from("case_reminders", "case_id")
                            .to("cases", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("case_reminders_case")
                    .table("case_reminders")
                    .col("case_id")
                    .to_owned(),
            )
            .await?;
        // The inbox's view: open ones due by now.
        manager
            .create_index(
                Index::create()
                    .name("case_reminders_open")
                    .table("case_reminders")
                    .col("done_at")
                    .col("due_at")
                    .col("case_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("case_reminders").to_owned())
            .await
    }
}
