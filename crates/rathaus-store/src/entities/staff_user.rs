use sea_orm::entity::prelude::*;

/// A member of a tenant's staff.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Lower-cased; unique within the tenant.
    pub email: String,
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Comma-separated role names (admin, auditor, caseworker, mailroom).
    pub roles: String,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
    /// The password was chosen by someone else; the next login must replace it.
    pub password_change_required: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
