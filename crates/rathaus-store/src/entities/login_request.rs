use sea_orm::entity::prelude::*;

/// A login at an external provider under way: what the return must match. Found by
/// the SHA-256 of the `state` parameter, used once, valid for ten minutes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    pub provider_id: Uuid,
    pub pkce_verifier: String,
    pub nonce: String,
    /// Local path to go to afterwards.
    pub return_to: String,
    pub expires_at: DateTimeUtc,
    /// SHA-256 of the random value in the starting browser's cookie.
    pub browser_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
