//! Passkeys (WebAuthn) as a second factor for staff, and the short-lived state of a
//! WebAuthn ceremony between the challenge and the browser's answer.

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
                    .table("staff_passkeys")
                    .col(uuid("id").primary_key())
                    .col(uuid("staff_id"))
                    // base64url of the authenticator's credential id: one passkey is
                    // registered once per tenant installation.
                    .col(string_len("credential_id", 1400).unique_key())
                    .col(string_len("name", 100))
                    // The public key and signature counter as webauthn-rs serialises them.
                    .col(text("passkey"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("staff_passkeys", "staff_id")
                            .to("staff_users", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("staff_passkeys_staff")
                    .table("staff_passkeys")
                    .col("staff_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("webauthn_ceremonies")
                    // One open ceremony per session; it ends with the session.
                    .col(string_len("session_hash", 64).primary_key())
                    .col(string_len("purpose", 20))
                    .col(text("state"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("webauthn_ceremonies", "session_hash")
                            .to("sessions", "token_hash")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["webauthn_ceremonies", "staff_passkeys"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
