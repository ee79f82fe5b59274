//! Fees paid online. A payment is made for a draft (pay before sending) and later names
//! the submission it released. Rathaus keeps what the payment service reported — its
//! transaction id, the booking reference (Kassenzeichen), the method — never card or
//! bank data. `request_id` is the idempotency key sent with the payment request; a
//! transaction id is unique per provider, so one transaction is never booked twice.
//!
//! `sandbox_transactions` is the provider side of the sandbox payment service that the
//! demo and the tests pay with (off unless configured).

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
                    .table("payments")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(uuid("draft_id"))
                    .col(uuid_null("submission_id"))
                    // "citizen:<id>" or "browser:<hash>": who may pay and come back.
                    .col(string_len("owner", 100))
                    .col(string_len("service_key", 200))
                    .col(string_len("purpose", 27))
                    .col(text("description"))
                    .col(big_integer("amount_cents"))
                    .col(string_len("currency", 3))
                    // The items as sent (JSON), with the legal basis.
                    .col(text("items"))
                    .col(string_len("provider", 40))
                    .col(uuid_uniq("request_id"))
                    .col(string_len_null("transaction_id", 64))
                    .col(text_null("pay_url"))
                    .col(string_len_null("reference", 64))
                    .col(string_len_null("method", 40))
                    // created → pending → paid | failed | cancelled | expired
                    .col(string_len("state", 16))
                    .col(text_null("problem"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("paid_at"))
                    .col(timestamp_with_time_zone_null("checked_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("payments", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "payments_transaction",
                &["provider", "transaction_id"][..],
                true,
            ),
            ("payments_draft", &["draft_id"][..], false),
            (
                "payments_tenant_created",
                &["tenant_id", "created_at"][..],
                false,
            ),
            (
                "payments_state_checked",
                &["state", "checked_at"][..],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table("payments");
            for column in columns {
                index.col(*column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("sandbox_transactions")
                    .col(string_len("id", 64).primary_key())
                    .col(string_len("originator_id", 36))
                    .col(string_len("endpoint_id", 36))
                    .col(string_len("request_id", 36))
                    .col(text("request"))
                    .col(string_len("status", 16))
                    .col(string_len_null("reference", 36))
                    .col(string_len_null("method", 40))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("finished_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sandbox_transactions_request")
                    .table("sandbox_transactions")
                    .col("originator_id")
                    .col("endpoint_id")
                    .col("request_id")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["sandbox_transactions", "payments"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
