use sea_orm::entity::prelude::*;

/// A passkey a staff member registered as second factor.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_passkeys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub staff_id: Uuid,
    /// base64url of the authenticator's credential id.
    pub credential_id: String,
    /// What the person called it ("YubiKey", "Laptop").
    pub name: String,
    /// Public key and signature counter, JSON as webauthn-rs serialises a `Passkey`.
    pub passkey: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
