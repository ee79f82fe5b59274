use sea_orm::entity::prelude::*;

/// A workflow a tenant installed for a service. Never changed: a new version is a new
/// row, and the newest applies to new cases.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub service_key: String,
    /// The definition as installed (JSON, see `rathaus_core::workflow`).
    pub definition: String,
    pub installed_at: DateTimeUtc,
    pub installed_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
