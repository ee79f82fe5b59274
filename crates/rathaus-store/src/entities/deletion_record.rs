use sea_orm::entity::prelude::*;

/// A case deleted at the end of its retention period: what, when and by which rule,
/// never its content.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deletion_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub reference: String,
    pub service_key: String,
    pub department_id: Option<Uuid>,
    pub received_at: DateTimeUtc,
    pub closed_at: DateTimeUtc,
    pub deleted_at: DateTimeUtc,
    pub rule: String,
    /// How many documents (of the e-file) went with it.
    pub documents: i32,
    /// Their bytes.
    pub bytes: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
