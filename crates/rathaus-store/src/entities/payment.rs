use sea_orm::entity::prelude::*;

/// A fee paid online through a payment service (see migration 34).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The draft paid for; it stays named after the draft became a submission.
    pub draft_id: Uuid,
    pub submission_id: Option<Uuid>,
    /// `citizen:<id>` or `browser:<hash>`.
    pub owner: String,
    pub service_key: String,
    /// Verwendungszweck (at most 27 characters, as payment services take it).
    pub purpose: String,
    pub description: String,
    pub amount_cents: i64,
    pub currency: String,
    /// JSON: the fee's items and legal basis.
    pub items: String,
    pub provider: String,
    /// Sent as the request's id: the provider refuses a second request with it.
    pub request_id: Uuid,
    pub transaction_id: Option<String>,
    /// The provider's payment page while the payment is open.
    pub pay_url: Option<String>,
    /// The booking reference for the town's cash system (Kassenzeichen).
    pub reference: Option<String>,
    pub method: Option<String>,
    /// created | pending | paid | failed | cancelled | expired
    pub state: String,
    /// Why it failed, as far as the provider said.
    pub problem: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    /// When the provider was last asked.
    pub checked_at: Option<DateTimeUtc>,
    /// The fee notice paid (a fee set after the decision); none for a fee paid before
    /// sending.
    pub fee_notice_id: Option<Uuid>,
    /// JSON of `rathaus_core::payments::Sending`: what sending the draft needs should
    /// the citizen not come back (drafts of an account only).
    pub sending: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
