use sea_orm::entity::prelude::*;

/// One version of a document, never changed once written; the bytes are in the blob
/// store under `sha256`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    pub tenant_id: Uuid,
    /// 1, 2, …
    pub number: i32,
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    pub file_name: String,
    /// The text in it (recognised, or written by Rathaus), for the search.
    pub text: Option<String>,
    pub added_at: DateTimeUtc,
    pub added_by: String,
    /// The day of the evidence that holds its hash, once sealed.
    pub sealed_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
