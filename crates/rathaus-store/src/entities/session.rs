use sea_orm::entity::prelude::*;

/// A login of anyone (staff or citizen). Only the SHA-256 of the cookie token is
/// stored, so a copy of the database does not hand out sessions.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub tenant_id: Uuid,
    /// staff | staff_pending | citizen
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub created_at: DateTimeUtc,
    /// Moved forward on use; the idle timeout counts from here.
    pub last_seen_at: DateTimeUtc,
    /// The absolute end, however active the session is.
    pub expires_at: DateTimeUtc,
    /// How sure the login is of the person (citizens): basis for e-mail and password,
    /// up to hoch for an eID, as the identity provider reported it.
    pub trust_level: Option<String>,
    /// The organisation the citizen acts for in this session, if any.
    pub acting_for: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
