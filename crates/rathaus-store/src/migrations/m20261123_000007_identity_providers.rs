//! Login through external OpenID Connect providers (BundID, state accounts, the city's
//! own Keycloak): the providers per tenant, which external identity belongs to which
//! citizen, the short-lived state of logins under way, and the trust level a session
//! was opened with.

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
                    .table("identity_providers")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(string("slug"))
                    .col(string("name"))
                    .col(string("issuer"))
                    .col(string("client_id"))
                    .col(string("client_secret"))
                    .col(string("scopes"))
                    .col(text("acr_levels"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("identity_providers", "tenant_id")
                            .to("tenants", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("identity_providers_tenant_slug")
                    .table("identity_providers")
                    .col("tenant_id")
                    .col("slug")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("citizen_identities")
                    .col(uuid("provider_id"))
                    .col(string("subject"))
                    .col(uuid("citizen_id"))
                    .col(timestamp_with_time_zone("linked_at"))
                    .primary_key(Index::create().col("provider_id").col("subject"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("citizen_identities", "provider_id")
                            .to("identity_providers", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("citizen_identities", "citizen_id")
                            .to("citizens", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("login_requests")
                    .col(string_len("state_hash", 64).primary_key())
                    .col(uuid("provider_id"))
                    .col(string("pkce_verifier"))
                    .col(string("nonce"))
                    .col(string("return_to"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("login_requests", "provider_id")
                            .to("identity_providers", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let mut trust = string_null("trust_level");
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .add_column(&mut trust)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("sessions")
                    .drop_column("trust_level")
                    .to_owned(),
            )
            .await?;
        for table in ["login_requests", "citizen_identities", "identity_providers"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
