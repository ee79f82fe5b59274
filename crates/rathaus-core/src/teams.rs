//! Teams within a department (e.g. "Bewohnerparken" in the traffic department). Staff
//! belong to teams of their departments; a case can be given to a team of its
//! department, by hand or by a routing rule; the inbox lists the cases of one's teams.
//! A team narrows nothing: the whole department still sees the case.

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::{staff_team, team};
use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};

pub type Team = team::Model;

/// The tenant's teams, by name.
pub async fn of_tenant(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<Team>> {
    Ok(team::Entity::find()
        .filter(team::Column::TenantId.eq(tenant_id))
        .order_by_asc(team::Column::Name)
        .all(conn)
        .await?)
}

/// The teams a member of staff belongs to.
pub async fn of_staff(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<Vec<Uuid>> {
    let rows = staff_team::Entity::find()
        .filter(staff_team::Column::StaffId.eq(staff_id))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.team_id).collect())
}

/// The team `id` if it belongs to the department.
pub async fn in_department(
    conn: &impl ConnectionTrait,
    department_id: Uuid,
    id: Uuid,
) -> Result<Option<Team>> {
    Ok(team::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|t| t.department_id == department_id))
}

/// The ids of the teams of `staff_id`, for a query ("the cases of my teams").
pub fn ids_of(staff_id: Uuid) -> SelectStatement {
    Query::select()
        .column(staff_team::Column::TeamId)
        .from(staff_team::Entity)
        .and_where(staff_team::Column::StaffId.eq(staff_id))
        .to_owned()
}

/// Makes `teams` the staff member's teams; each must belong to one of `departments`
/// (theirs), since a team is part of a department.
pub(crate) async fn assign(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    staff_id: Uuid,
    departments: &[Uuid],
    teams: &[Uuid],
) -> Result<()> {
    let known = of_tenant(conn, tenant_id).await?;
    for id in teams {
        let fits = known
            .iter()
            .any(|t| t.id == *id && departments.contains(&t.department_id));
        if !fits {
            return Err(CoreError::Invalid(format!(
                "team {id} is not a team of the person's departments"
            )));
        }
    }
    staff_team::Entity::delete_many()
        .filter(staff_team::Column::StaffId.eq(staff_id))
        .exec(conn)
        .await?;
    for team_id in teams {
        staff_team::Entity::insert(staff_team::ActiveModel {
            staff_id: Set(staff_id),
            team_id: Set(*team_id),
        })
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

pub enum Created {
    Created(Uuid),
    KeyInvalid,
    NameMissing,
    KeyTaken,
    DepartmentUnknown,
}

/// Adds a team to a department (audited; needs [`Permission::ManageStaff`]).
pub async fn create(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    department_id: Uuid,
    key: &str,
    name: &str,
) -> Result<Created> {
    policy::require(actor, tenant_id, Permission::ManageStaff)?;
    let (key, name) = (key.trim(), name.trim());
    if !crate::keys::is_key(key, 40, b'-') {
        return Ok(Created::KeyInvalid);
    }
    if name.is_empty() {
        return Ok(Created::NameMissing);
    }
    let txn = db.begin_write().await?;
    let Some(department) = crate::departments::by_id(&txn, tenant_id, department_id).await? else {
        return Ok(Created::DepartmentUnknown);
    };
    let taken = team::Entity::find()
        .filter(team::Column::DepartmentId.eq(department.id))
        .filter(team::Column::Key.eq(key))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Ok(Created::KeyTaken);
    }
    let id = Uuid::now_v7();
    team::Entity::insert(team::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        department_id: Set(department.id),
        key: Set(key.to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(&txn)
    .await?;
    let event = Event::new("team.create", "team")
        .object(id)
        .details(serde_json::json!({ "department": department.key, "key": key, "name": name }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Created::Created(id))
}
