use sea_orm::entity::prelude::*;

/// Whether a tenant offers a catalog service, and what it words differently.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_key: String,
    pub enabled: bool,
    /// JSON object of overridden entry fields (`{"fees": …}`), `{}` for none.
    pub overrides: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
