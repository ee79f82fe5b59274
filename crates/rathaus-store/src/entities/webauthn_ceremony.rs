use sea_orm::entity::prelude::*;

/// The server's half of a WebAuthn ceremony in progress, bound to the session that
/// asked for the challenge; used once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webauthn_ceremonies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_hash: String,
    /// `register` or `login`: a challenge for one is never accepted for the other.
    pub purpose: String,
    /// JSON of webauthn-rs' registration or authentication state.
    pub state: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
