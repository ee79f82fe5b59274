//! Apps that act for a citizen (the city's own app): registered clients, the grants a
//! citizen gave them, the one-time codes of the OAuth 2 authorization code flow and the
//! tokens issued from them. Codes and tokens are stored as SHA-256 only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cascade(
    from: &'static str,
    column: &'static str,
    table: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(table, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("app_clients")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    // What the app sends as `client_id`.
                    .col(string_len("client_id", 100))
                    .col(string_len("name", 200))
                    // JSON array of the redirect URIs the app may use.
                    .col(text("redirect_uris"))
                    // Space-separated scopes the app may ask for.
                    .col(string_len("scopes", 400))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut cascade("app_clients", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("app_clients_client_id")
                    .table("app_clients")
                    .col("tenant_id")
                    .col("client_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("app_grants")
                    .col(uuid("id").primary_key())
                    .col(uuid("tenant_id"))
                    .col(uuid("client_id"))
                    .col(uuid("citizen_id"))
                    .col(string_len("scopes", 400))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut cascade("app_grants", "client_id", "app_clients"))
                    .foreign_key(&mut cascade("app_grants", "citizen_id", "citizens"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("app_grants_citizen")
                    .table("app_grants")
                    .col("citizen_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("app_codes")
                    .col(string_len("code_hash", 64).primary_key())
                    .col(uuid("grant_id"))
                    .col(text("redirect_uri"))
                    // BASE64URL(SHA-256(code_verifier)) as the app sent it (PKCE, S256).
                    .col(string_len("code_challenge", 128))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut cascade("app_codes", "grant_id", "app_grants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("app_tokens")
                    .col(string_len("token_hash", 64).primary_key())
                    .col(uuid("grant_id"))
                    // access | refresh
                    .col(string_len("kind", 16))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    // A refresh token is used once; a second use revokes the grant.
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut cascade("app_tokens", "grant_id", "app_grants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("app_tokens_grant")
                    .table("app_tokens")
                    .col("grant_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["app_tokens", "app_codes", "app_grants", "app_clients"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
