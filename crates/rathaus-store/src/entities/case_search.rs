use sea_orm::entity::prelude::*;

/// What a case is found by in the inbox search: one row per case, its text indexed for
/// substring search (see migration 23).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_search")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: Uuid,
    pub tenant_id: Uuid,
    /// Lower case, one part per line.
    pub text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
