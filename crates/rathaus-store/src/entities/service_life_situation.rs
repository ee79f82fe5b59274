use sea_orm::entity::prelude::*;

/// A service belongs to a life situation (to several, often).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_life_situations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub life_situation_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
