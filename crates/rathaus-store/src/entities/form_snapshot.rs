use sea_orm::entity::prelude::*;

/// A form definition as an application was filled in with it, stored once per content.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "form_snapshots")]
pub struct Model {
    /// SHA-256 of `definition`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    pub form_id: String,
    /// JSON of `rathaus_forms::definition::FormDefinition`.
    pub definition: String,
    pub first_used_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
