use sea_orm::entity::prelude::*;

/// What a document is found by: one row per document, its text indexed for substring
/// search (see migration 31).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document_search")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub document_id: Uuid,
    pub tenant_id: Uuid,
    pub text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
