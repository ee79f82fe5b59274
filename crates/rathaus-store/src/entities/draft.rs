use sea_orm::entity::prelude::*;

/// The answers of a form assistant not yet sent.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "drafts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub service_key: String,
    pub form_id: String,
    pub form_version: i32,
    /// The owner's account; none for an anonymous draft.
    pub citizen_id: Option<Uuid>,
    /// SHA-256 of the browser token of an anonymous draft.
    pub browser_hash: Option<String>,
    /// JSON of `rathaus_forms::fill::Answers`.
    pub answers: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
