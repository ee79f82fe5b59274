use sea_orm::entity::prelude::*;

/// An invitation into an organisation, sent by e-mail; only the SHA-256 of the link's
/// token is stored. It works once, for an account with the invited address.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation_invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub organisation_id: Uuid,
    pub email: String,
    /// admin | member
    pub role: String,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
