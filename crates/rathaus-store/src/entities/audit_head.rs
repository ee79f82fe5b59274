use sea_orm::entity::prelude::*;

/// The single row that holds the end of the audit chain. Updating it first in every
/// append serialises writers (a row lock on PostgreSQL), so the chain never forks; it
/// also reveals entries cut off the end of the log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_head")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub last_seq: i64,
    pub last_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
