use sea_orm::entity::prelude::*;

/// A scanned letter in the mailroom; the bytes are in the blob store under `sha256`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub received_at: DateTimeUtc,
    pub received_by: Option<Uuid>,
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    pub file_name: String,
    pub state: String,
    pub text: Option<String>,
    pub pages: Option<i32>,
    pub ocr_note: Option<String>,
    pub proposed_case_id: Option<Uuid>,
    pub proposed_department_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub filed_at: Option<DateTimeUtc>,
    pub filed_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
