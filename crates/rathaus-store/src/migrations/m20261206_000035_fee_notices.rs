//! Fees set after the decision, and refunds.
//!
//! Fees set by the department after the decision (Gebührenbescheid, `payment:
//! after_decision`). A fee notice is issued with a workflow step as a signed letter: the
//! amount, its legal basis and the day it is due. It stays `open` until payments for it
//! add up to the amount (`paid`). Payments for a notice name it in `fee_notice_id`; their
//! `draft_id` is the draft the application was sent from, so that every payment of an
//! application is found by it.
//!
//! A payment for a draft of an account keeps what sending needs (`sending`), so that
//! a fee paid by someone who does not come back from the payment page still sends the
//! application.
//!
//! A refund is recorded by finance staff against a paid payment (`payment_refunds`):
//! amount, reason, who and when. The finance role of every town gets the permission
//! `payments.refund`.

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
                    .table("fee_notices")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(uuid("case_id"))
                    // The letter that set the fee.
                    .col(uuid_null("issued_document_id"))
                    .col(big_integer("amount_cents"))
                    .col(string_len("label", 200))
                    .col(text_null("legal_basis"))
                    .col(date("due_on"))
                    // open → paid
                    .col(string_len("state", 16))
                    .col(string_len("issued_by", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("paid_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("fee_notices", "case_id")
                            .to("cases", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("fee_notices_case")
                    .table("fee_notices")
                    .col("case_id")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("payments")
                    .add_column(uuid_null("fee_notice_id"))
                    .to_owned(),
            )
            .await?;
        // What sending the draft needs (JSON), should the citizen not come back after
        // paying: the session's trust level, organisation, name and addresses.
        manager
            .alter_table(
                Table::alter()
                    .table("payments")
                    .add_column(text_null("sending"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payments_fee_notice")
                    .table("payments")
                    .col("fee_notice_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("payment_refunds")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(uuid("payment_id"))
                    .col(big_integer("amount_cents"))
                    .col(text("reason"))
                    .col(string_len("refunded_by", 200))
                    .col(timestamp_with_time_zone("refunded_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("payment_refunds", "payment_id")
                            .to("payments", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payment_refunds_payment")
                    .table("payment_refunds")
                    .col("payment_id")
                    .to_owned(),
            )
            .await?;
        // `||` joins strings in SQLite and PostgreSQL alike.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE roles SET permissions = permissions || ',payments.refund' \
                 WHERE key = 'finance' AND permissions NOT LIKE '%payments.refund%'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE roles SET permissions = REPLACE(permissions, ',payments.refund', '') \
                 WHERE key = 'finance'",
            )
            .await?;
        manager
            .drop_table(Table::drop().table("payment_refunds").to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("payments_fee_notice")
                    .table("payments")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("payments")
                    .drop_column("fee_notice_id")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("payments")
                    .drop_column("sending")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table("fee_notices").to_owned())
            .await
    }
}
