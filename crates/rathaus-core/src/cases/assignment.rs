//! Assigning a case to a colleague of its department (who may: `cases.assign`, the
//! department leads), and giving it to a team of its department (whoever works on it).
//! Taking a case over oneself is `cases::claim`.

use rathaus_store::Db;
use rathaus_store::entities::{case, staff_department, staff_user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{Case, Entry, change, record};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::Result;
use crate::policy::{self, Permission};

/// The people a case can be assigned to: the active staff of its department, by name.
pub async fn colleagues(conn: &impl ConnectionTrait, case: &Case) -> Result<Vec<(Uuid, String)>> {
    let Some(department) = case.department_id else {
        return Ok(Vec::new());
    };
    let members: Vec<Uuid> = staff_department::Entity::find()
        .filter(staff_department::Column::DepartmentId.eq(department))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.staff_id)
        .collect();
    Ok(staff_user::Entity::find()
        .filter(staff_user::Column::Id.is_in(members))
        .filter(staff_user::Column::TenantId.eq(case.tenant_id))
        .filter(staff_user::Column::Disabled.eq(false))
        .order_by_asc(staff_user::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|person| (person.id, person.name))
        .collect())
}

/// Why a case was not assigned (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The person is not (or no longer) active staff of the case's department.
    NotAColleague,
}

/// Assigns the case to `to`, a colleague of its department (audited; internal in the
/// timeline). A case changed since `version` is a conflict.
pub async fn assign(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    version: i32,
    to: Uuid,
) -> Result<std::result::Result<(), Refusal>> {
    policy::require(actor, case.tenant_id, Permission::AssignCases)?;
    policy::require_case(actor, case)?;
    let txn = db.begin_write().await?;
    let Some((_, name)) = colleagues(&txn, case)
        .await?
        .into_iter()
        .find(|(id, _)| *id == to)
    else {
        return Ok(Err(Refusal::NotAColleague));
    };
    let update = case::Entity::update_many().col_expr(case::Column::AssigneeId, to.into());
    change(&txn, case, version, update).await?;
    let entry =
        Entry::internal("assigned", actor.name.clone()).details(serde_json::json!({ "to": name }));
    record(&txn, case.id, entry).await?;
    let event = Event::new("case.assigned", "case")
        .object(case.id)
        .details(serde_json::json!({ "to": to }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// Why a case was not given to a team (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamRefusal {
    /// Not a team of the case's department.
    NotOfTheDepartment,
}

/// Gives the case to a team of its department, or to none (audited; internal in the
/// timeline). A case changed since `version` is a conflict.
pub async fn give_to_team(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    version: i32,
    team: Option<Uuid>,
) -> Result<std::result::Result<(), TeamRefusal>> {
    policy::require_case(actor, case)?;
    let txn = db.begin_write().await?;
    let name = match (team, case.department_id) {
        (None, _) => None,
        (Some(id), Some(department)) => {
            match crate::teams::in_department(&txn, department, id).await? {
                Some(found) => Some(found.name),
                None => return Ok(Err(TeamRefusal::NotOfTheDepartment)),
            }
        }
        (Some(_), None) => return Ok(Err(TeamRefusal::NotOfTheDepartment)),
    };
    let update = case::Entity::update_many().col_expr(case::Column::TeamId, team.into());
    change(&txn, case, version, update).await?;
    let entry = Entry::internal("team_set", actor.name.clone())
        .details(serde_json::json!({ "team": name }));
    record(&txn, case.id, entry).await?;
    let event = Event::new("case.team", "case")
        .object(case.id)
        .details(serde_json::json!({ "team": team }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(()))
}
