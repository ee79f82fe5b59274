//! Departments (Fachdienste) of a tenant, and which staff belong to them. Cases, once
//! routed, belong to a department; its staff see them, others do not.

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::{department, staff_department};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};

pub type Department = department::Model;

pub async fn of_tenant(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<Department>> {
    Ok(department::Entity::find()
        .filter(department::Column::TenantId.eq(tenant_id))
        .order_by_asc(department::Column::Name)
        .all(conn)
        .await?)
}

/// The departments a staff member belongs to.
pub async fn of_staff(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<Vec<Uuid>> {
    let rows = staff_department::Entity::find()
        .filter(staff_department::Column::StaffId.eq(staff_id))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.department_id).collect())
}

/// How many staff belong to a department.
pub async fn member_count(conn: &impl ConnectionTrait, department_id: Uuid) -> Result<usize> {
    use sea_orm::PaginatorTrait;
    let count = staff_department::Entity::find()
        .filter(staff_department::Column::DepartmentId.eq(department_id))
        .count(conn)
        .await?;
    Ok(count as usize)
}

/// Makes `departments` (which must belong to the tenant) the staff member's departments.
pub async fn assign(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    staff_id: Uuid,
    departments: &[Uuid],
) -> Result<()> {
    let known = of_tenant(conn, tenant_id).await?;
    if let Some(unknown) = departments
        .iter()
        .find(|d| !known.iter().any(|k| k.id == **d))
    {
        return Err(CoreError::Invalid(format!(
            "department {unknown} does not belong to this municipality"
        )));
    }
    staff_department::Entity::delete_many()
        .filter(staff_department::Column::StaffId.eq(staff_id))
        .exec(conn)
        .await?;
    for department_id in departments {
        staff_department::Entity::insert(staff_department::ActiveModel {
            staff_id: Set(staff_id),
            department_id: Set(*department_id),
        })
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// The department with this key, for the command line and configuration.
pub async fn by_key(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    key: &str,
) -> Result<Option<Department>> {
    Ok(department::Entity::find()
        .filter(department::Column::TenantId.eq(tenant_id))
        .filter(department::Column::Key.eq(key))
        .one(conn)
        .await?)
}

/// The department `id` if it belongs to the tenant.
pub async fn by_id(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<Department>> {
    Ok(department::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|d| d.tenant_id == tenant_id))
}

/// The department handling the case, if it has one.
pub async fn of_case(
    conn: &impl ConnectionTrait,
    case: &crate::cases::Case,
) -> Result<Option<Department>> {
    match case.department_id {
        Some(id) => by_id(conn, case.tenant_id, id).await,
        None => Ok(None),
    }
}

pub enum Created {
    Created(Uuid),
    KeyInvalid,
    NameMissing,
    KeyTaken,
}

/// Adds a department (audited; needs [`Permission::ManageStaff`]).
pub async fn create(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    key: &str,
    name: &str,
) -> Result<Created> {
    policy::require(actor, tenant_id, Permission::ManageStaff)?;
    let key = key.trim();
    let name = name.trim();
    if !crate::keys::is_key(key, 40, b'-') {
        return Ok(Created::KeyInvalid);
    }
    if name.is_empty() {
        return Ok(Created::NameMissing);
    }
    let txn = db.begin_write().await?;
    if by_key(&txn, tenant_id, key).await?.is_some() {
        return Ok(Created::KeyTaken);
    }
    let id = Uuid::now_v7();
    department::Entity::insert(department::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        key: Set(key.to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(&txn)
    .await?;
    let mut in_tenant = actor.clone();
    in_tenant.tenant_id = Some(tenant_id);
    let event = Event::new("department.create", "department")
        .object(id)
        .details(serde_json::json!({ "key": key, "name": name }));
    audit::record(&txn, &in_tenant, origin, event).await?;
    txn.commit().await?;
    Ok(Created::Created(id))
}
