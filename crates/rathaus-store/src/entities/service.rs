use sea_orm::entity::prelude::*;

/// A service (Leistung) of the catalog, shared by all tenants.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// The 14-digit key of the federal service catalogue (LeiKa), if it has one.
    pub leika: Option<String>,
    /// JSON of the whole catalog entry (`rathaus_core::catalog::Service`).
    pub entry: String,
    pub name: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
