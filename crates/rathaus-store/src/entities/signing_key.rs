use sea_orm::entity::prelude::*;

/// An Ed25519 key a tenant signs issued documents with.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Hex, 32 bytes.
    pub public_key: String,
    /// The 32-byte seed, sealed with the server's key.
    pub private_key: String,
    pub created_at: DateTimeUtc,
    /// Set when a newer key took over; the key still verifies what it signed.
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
