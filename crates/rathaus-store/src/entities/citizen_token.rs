use sea_orm::entity::prelude::*;

/// A one-time token sent by e-mail (confirm the address, reset the password). Only
/// its SHA-256 is stored; it expires and can be used once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "citizen_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub citizen_id: Uuid,
    /// confirm_email | reset_password | change_email
    pub purpose: String,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    /// What the purpose needs, e.g. the new address of an e-mail change.
    pub payload: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
