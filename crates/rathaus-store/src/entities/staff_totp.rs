use sea_orm::entity::prelude::*;

/// A staff member's TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_totp")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub staff_id: Uuid,
    /// Base32, as shown to the person at enrolment.
    pub secret: String,
    /// Set when the first code from the app was right; until then the secret is only
    /// offered for enrolment.
    pub confirmed_at: Option<DateTimeUtc>,
    /// The last time step whose code was accepted: a code works once.
    pub last_step: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
