use sea_orm::entity::prelude::*;

/// A document of a case's e-file; its bytes are in its versions.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub case_id: Uuid,
    /// application_file, message_file, scan, letter or internal.
    pub kind: String,
    /// incoming, outgoing or internal.
    pub direction: String,
    pub title: String,
    pub source_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub created_by: String,
    /// How many versions it has; the latest has this number.
    pub versions: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
