use sea_orm::entity::prelude::*;

/// A citizen's account (Nutzerkonto) in one tenant.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "citizens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Lower-cased; unique within the tenant.
    pub email: String,
    /// Set when the person followed the confirmation link.
    pub email_confirmed_at: Option<DateTimeUtc>,
    /// Argon2id; none for accounts that only log in through an identity provider.
    pub password_hash: Option<String>,
    /// de | en
    pub preferred_language: String,
    pub created_at: DateTimeUtc,
    // The profile, used to prefill form assistants.
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birth_date: Option<Date>,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    /// The identity provider (issuer) that confirmed name, birth date and address; while
    /// set, the person cannot edit those fields.
    pub identity_verified_by: Option<String>,
    pub identity_verified_at: Option<DateTimeUtc>,
    /// How the person wants letters: `postbox` or `paper`.
    pub delivery: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
