use sea_orm::entity::prelude::*;

/// A fee set after the decision (Gebührenbescheid), see migration 35.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fee_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub case_id: Uuid,
    /// The letter that set the fee.
    pub issued_document_id: Option<Uuid>,
    pub amount_cents: i64,
    /// What the fee is for (the service's name).
    pub label: String,
    pub legal_basis: Option<String>,
    pub due_on: Date,
    /// open | paid
    pub state: String,
    pub issued_by: String,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
