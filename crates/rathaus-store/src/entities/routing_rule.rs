use sea_orm::entity::prelude::*;

/// A routing rule of the mailroom: applications for `service_key` whose answers meet
/// `condition` go to `department_id`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub service_key: String,
    /// Order within the service; the first rule that holds wins.
    pub position: i32,
    /// In the rule language of form definitions: `starts_with(anschrift.plz, "4265")`.
    pub condition: String,
    pub department_id: Uuid,
    pub label: String,
    pub created_at: DateTimeUtc,
    /// The team of the department that gets the case, if the rule names one.
    pub team_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
