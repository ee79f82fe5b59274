use sea_orm::entity::prelude::*;

/// A reminder (Wiedervorlage) on a case: the day to look at it again and why.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_reminders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    /// The start of the day it is due, in the town hall's time.
    pub due_at: DateTimeUtc,
    pub note: String,
    /// Who set it (a name; "System" for a workflow step).
    pub set_by: String,
    pub created_at: DateTimeUtc,
    pub done_at: Option<DateTimeUtc>,
    pub done_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
