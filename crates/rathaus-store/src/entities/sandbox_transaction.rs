use sea_orm::entity::prelude::*;

/// A transaction of the sandbox payment service (its provider side).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_transactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub originator_id: String,
    pub endpoint_id: String,
    pub request_id: String,
    /// The payment request as received (JSON).
    pub request: String,
    /// INITIAL | PAYED | FAILED | CANCELED
    pub status: String,
    pub reference: Option<String>,
    pub method: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
