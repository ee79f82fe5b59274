use sea_orm::entity::prelude::*;

/// A life situation (Lebenslage) the portal orders services by: Umzug, Geburt, …
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "life_situations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub name_de: String,
    pub name_en: String,
    /// Order on the portal's start page.
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
