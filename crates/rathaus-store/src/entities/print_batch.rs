use sea_orm::entity::prelude::*;

/// Paper letters printed together: one PDF (in the blob store) and a CSV manifest.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "print_batches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub created_at: DateTimeUtc,
    pub created_by: String,
    pub letters: i32,
    /// Pages of the PDF, blank backs included (printed duplex).
    pub pages: i32,
    pub pdf_sha256: String,
    /// The day it was handed to the post; set once.
    pub posted_on: Option<Date>,
    pub posted_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
