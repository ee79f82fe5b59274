use sea_orm::entity::prelude::*;

/// One entry of a case's timeline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub at: DateTimeUtc,
    pub kind: String,
    /// Who, as people read it.
    pub actor: String,
    /// The applicant sees it too.
    pub public: bool,
    /// JSON with what the kind needs.
    pub details: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
