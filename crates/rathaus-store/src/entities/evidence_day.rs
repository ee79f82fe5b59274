use sea_orm::entity::prelude::*;

/// The signed root of one day's hash tree over the document versions added that day
/// (RFC 4998), chained to the day before.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evidence_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub day: Date,
    pub leaves: i32,
    /// The blob of the sorted leaf hashes (32 bytes each).
    pub leaves_sha256: String,
    /// Hex.
    pub root: String,
    /// The root of the tenant's previous sealed day, if any.
    pub previous_root: Option<String>,
    pub key_id: Uuid,
    /// Ed25519 over the statement (`rathaus_core::documents::evidence`), hex.
    pub signature: String,
    pub sealed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
