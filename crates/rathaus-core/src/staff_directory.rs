//! What an admin does with the staff of a tenant: see who there is, lock and unlock
//! accounts, and reset a second factor that was lost together with its recovery codes.
//! Every function asks the policy first and is audited.

use rathaus_store::Db;
use rathaus_store::entities::{staff_passkey, staff_recovery_code, staff_totp, staff_user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};
use crate::second_factor;
use crate::sessions::{self, Subject, SubjectKind};
use crate::staff::StaffUser;

/// A member of staff as the admin's list shows them.
pub struct Member {
    pub user: StaffUser,
    pub second_factor: bool,
    pub departments: Vec<Uuid>,
}

pub async fn list(db: &Db, actor: &Actor, tenant_id: Uuid) -> Result<Vec<Member>> {
    policy::require(actor, tenant_id, Permission::ManageStaff)?;
    let users = staff_user::Entity::find()
        .filter(staff_user::Column::TenantId.eq(tenant_id))
        .order_by_asc(staff_user::Column::Name)
        .all(db.conn())
        .await?;
    let mut members = Vec::with_capacity(users.len());
    for user in users {
        members.push(Member::of(db, user).await?);
    }
    Ok(members)
}

impl Member {
    async fn of(db: &Db, user: StaffUser) -> Result<Self> {
        Ok(Self {
            second_factor: second_factor::is_enrolled(db.conn(), user.id).await?,
            departments: crate::departments::of_staff(db.conn(), user.id).await?,
            user,
        })
    }
}

/// One member of staff, for the admin's edit form.
pub async fn get(db: &Db, actor: &Actor, tenant_id: Uuid, staff_id: Uuid) -> Result<Member> {
    policy::require(actor, tenant_id, Permission::ManageStaff)?;
    Member::of(db, member(db, tenant_id, staff_id).await?).await
}

async fn member(db: &Db, tenant_id: Uuid, staff_id: Uuid) -> Result<StaffUser> {
    staff_user::Entity::find_by_id(staff_id)
        .one(db.conn())
        .await?
        .filter(|u| u.tenant_id == tenant_id)
        .ok_or_else(|| CoreError::NotFound("staff member".into()))
}

fn all_sessions(staff_id: Uuid) -> [Subject; 2] {
    [SubjectKind::Staff, SubjectKind::StaffPending].map(|kind| Subject { kind, id: staff_id })
}

/// Removes the second factor (app and passkeys): at the next login the person sets up a new one. Their
/// sessions end (whoever holds the lost phone is logged out).
pub async fn reset_second_factor(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    staff_id: Uuid,
) -> Result<()> {
    policy::require(actor, tenant_id, Permission::ManageStaff)?;
    let user = member(db, tenant_id, staff_id).await?;
    let txn = db.begin_write().await?;
    staff_totp::Entity::delete_by_id(user.id).exec(&txn).await?;
    staff_passkey::Entity::delete_many()
        .filter(staff_passkey::Column::StaffId.eq(user.id))
        .exec(&txn)
        .await?;
    staff_recovery_code::Entity::delete_many()
        .filter(staff_recovery_code::Column::StaffId.eq(user.id))
        .exec(&txn)
        .await?;
    for subject in all_sessions(user.id) {
        sessions::end_all(&txn, subject).await?;
    }
    let event = Event::new("staff.second_factor_reset", "staff_user").object(user.id);
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(())
}

/// Locks (or unlocks) an account; locking ends its sessions. Admins cannot lock
/// themselves out.
pub async fn set_locked(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    staff_id: Uuid,
    locked: bool,
) -> Result<()> {
    policy::require(actor, tenant_id, Permission::ManageStaff)?;
    if locked && actor.id == Some(staff_id) {
        return Err(CoreError::Invalid(
            "you cannot lock your own account".into(),
        ));
    }
    let user = member(db, tenant_id, staff_id).await?;
    let txn = db.begin_write().await?;
    staff_user::Entity::update_many()
        .col_expr(staff_user::Column::Disabled, Expr::value(locked))
        .filter(staff_user::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    if locked {
        for subject in all_sessions(user.id) {
            sessions::end_all(&txn, subject).await?;
        }
    }
    let action = if locked { "staff.lock" } else { "staff.unlock" };
    audit::record(
        &txn,
        actor,
        origin,
        Event::new(action, "staff_user").object(user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What a member of staff may do and where: roles, departments, and teams of those
/// departments.
pub struct Access<'a> {
    pub roles: &'a [String],
    pub departments: &'a [Uuid],
    pub teams: &'a [Uuid],
}

/// Gives a member of staff other roles, departments and teams (audited). Admins cannot
/// change their own: another admin must, so nobody takes away the last way back by
/// mistake.
pub async fn set_access(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    staff_id: Uuid,
    access: Access<'_>,
) -> Result<()> {
    let Access {
        roles,
        departments,
        teams,
    } = access;
    policy::require(actor, tenant_id, Permission::ManageStaff)?;
    if actor.id == Some(staff_id) {
        return Err(CoreError::Invalid(
            "you cannot change your own roles".into(),
        ));
    }
    if roles.is_empty() {
        return Err(CoreError::Invalid("give at least one role".into()));
    }
    let user = member(db, tenant_id, staff_id).await?;
    let txn = db.begin_write().await?;
    apply_access(&txn, actor, origin, &user, roles, departments).await?;
    let mut before = crate::teams::of_staff(&txn, user.id).await?;
    before.sort();
    let mut after = teams.to_vec();
    after.sort();
    after.dedup();
    if before != after {
        crate::teams::assign(&txn, tenant_id, user.id, departments, &after).await?;
        let mut in_tenant = actor.clone();
        in_tenant.tenant_id = Some(tenant_id);
        let event = Event::new("staff.teams_changed", "staff_user")
            .object(user.id)
            .details(serde_json::json!({ "teams_before": before, "teams": after }));
        audit::record(&txn, &in_tenant, origin, event).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Writes roles and departments if they differ from what the person has: audited as
/// `staff.roles_changed` with before and after, and the person's sessions end (a new
/// privilege gets a new session id at the next login). Whether anything changed.
pub(crate) async fn apply_access(
    txn: &DatabaseTransaction,
    actor: &Actor,
    origin: &Origin,
    user: &StaffUser,
    roles: &[String],
    departments: &[Uuid],
) -> Result<bool> {
    crate::roles::check_known(txn, user.tenant_id, roles).await?;
    let mut before = crate::departments::of_staff(txn, user.id).await?;
    before.sort();
    let mut after = departments.to_vec();
    after.sort();
    let roles_now = roles.join(",");
    if user.roles == roles_now && before == after {
        return Ok(false);
    }
    staff_user::Entity::update_many()
        .col_expr(staff_user::Column::Roles, Expr::value(roles_now.clone()))
        .filter(staff_user::Column::Id.eq(user.id))
        .exec(txn)
        .await?;
    crate::departments::assign(txn, user.tenant_id, user.id, &after).await?;
    for subject in all_sessions(user.id) {
        sessions::end_all(txn, subject).await?;
    }
    let mut in_tenant = actor.clone();
    in_tenant.tenant_id = Some(user.tenant_id);
    let event = Event::new("staff.roles_changed", "staff_user")
        .object(user.id)
        .details(serde_json::json!({
            "roles_before": user.roles, "roles": roles_now,
            "departments_before": before, "departments": after,
        }));
    audit::record(txn, &in_tenant, origin, event).await?;
    Ok(true)
}
