use sea_orm::entity::prelude::*;

/// An app registered to act for citizens (a public OAuth 2 client: it keeps no secret,
/// PKCE protects its codes).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// What the app sends as `client_id`.
    pub client_id: String,
    pub name: String,
    /// JSON array of redirect URIs.
    pub redirect_uris: String,
    /// Space-separated scopes the app may ask for.
    pub scopes: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
