use sea_orm::entity::prelude::*;

/// A case (Vorgang): what a department works on, from an application or made by hand.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub reference: String,
    pub submission_id: Option<Uuid>,
    pub service_key: String,
    pub title: String,
    /// None while the mailroom has it (no department found yet).
    pub department_id: Option<Uuid>,
    pub state: String,
    pub assignee_id: Option<Uuid>,
    pub citizen_id: Option<Uuid>,
    pub applicant_name: String,
    /// Optimistic locking: every change increases it.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub due_at: Option<DateTimeUtc>,
    /// The organisation the application was made for: all its members see the case.
    pub organisation_id: Option<Uuid>,
    /// Since when the deadline rests (the department waits for the applicant).
    pub deadline_paused_at: Option<DateTimeUtc>,
    /// The workflow the case was opened with; None: the built-in standard workflow.
    pub workflow_id: Option<Uuid>,
    /// Where the case stands whatever its workflow calls the state: `new`, `open`,
    /// `waiting` (for the applicant), `decided`, `closed`.
    pub phase: String,
    /// The team of its department that has it, if one has.
    pub team_id: Option<Uuid>,
    /// When it was decided or closed (retention counts from it); None while open.
    pub closed_at: Option<DateTimeUtc>,
    /// Why it must not be deleted (Löschsperre), if it must not.
    pub legal_hold: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
