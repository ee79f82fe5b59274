//! Staff members: password login on top of `crate::sessions`.
//!
//! Passwords are hashed with Argon2id (`crate::passwords`). Logins, failed logins and
//! logouts are audited. (Second factor and lockout follow with the accounts issue.)

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::staff_user;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::actor::{Actor, ActorKind, Origin, Role};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::login_guard::{self, Attempt};
use crate::passwords;
use crate::sessions::{self, Subject, SubjectKind};

pub const MIN_PASSWORD_LENGTH: usize = 12;

pub type StaffUser = staff_user::Model;

pub struct NewStaffUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub roles: &'a [Role],
}

/// Adds a staff member to a tenant (audited).
pub async fn create_user(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    new: NewStaffUser<'_>,
) -> Result<Uuid> {
    crate::policy::require(actor, tenant_id, crate::policy::Permission::ManageTenant)?;
    let email = new.email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        return Err(CoreError::Invalid(format!(
            "'{email}' is not an e-mail address"
        )));
    }
    if new.password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(CoreError::Invalid(format!(
            "the password must have at least {MIN_PASSWORD_LENGTH} characters"
        )));
    }
    let id = Uuid::now_v7();
    let roles: Vec<&str> = new.roles.iter().map(|r| r.as_str()).collect();
    let txn = db.begin_write().await?;
    staff_user::Entity::insert(staff_user::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        email: Set(email.clone()),
        name: Set(new.name.trim().to_owned()),
        password_hash: Set(passwords::hash(new.password)?),
        roles: Set(roles.join(",")),
        disabled: Set(false),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(&txn)
    .await?;
    let mut in_tenant = actor.clone();
    in_tenant.tenant_id = Some(tenant_id);
    audit::record(
        &txn,
        &in_tenant,
        origin,
        Event::new("staff.create", "staff_user")
            .object(id)
            .details(serde_json::json!({ "email": email, "roles": roles })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// The result of a successful login: the cookie value and the actor it stands for.
pub struct Login {
    pub token: String,
    pub actor: Actor,
}

/// Checks e-mail and password (guarded against guessing); on success opens a new
/// session. Every outcome is audited.
pub async fn login(
    db: &Db,
    tenant_id: Uuid,
    email: &str,
    password: &str,
    origin: &Origin,
) -> Result<Attempt<Login>> {
    let email = email.trim().to_lowercase();
    let check = async {
        let user = staff_user::Entity::find()
            .filter(staff_user::Column::TenantId.eq(tenant_id))
            .filter(staff_user::Column::Email.eq(email.as_str()))
            .one(db.conn())
            .await?;
        let password_ok =
            passwords::verify(password, user.as_ref().map(|u| u.password_hash.as_str()));
        Ok(user.filter(|u| password_ok && !u.disabled))
    };
    let user = match login_guard::guarded(db, tenant_id, "staff", &email, origin, check).await? {
        Attempt::Succeeded(user) => user,
        Attempt::Failed => return Ok(Attempt::Failed),
        Attempt::Locked { until } => return Ok(Attempt::Locked { until }),
    };
    let actor = actor_of(&user);
    let txn = db.begin_write().await?;
    let subject = Subject {
        kind: SubjectKind::Staff,
        id: user.id,
    };
    let token = sessions::start(&txn, tenant_id, subject).await?;
    audit::record(
        &txn,
        &actor,
        origin,
        Event::new("staff.login", "staff_user").object(user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(Attempt::Succeeded(Login { token, actor }))
}

/// The staff member behind a session cookie, if the session is valid in this tenant.
pub async fn session_actor(db: &Db, tenant_id: Uuid, token: &str) -> Result<Option<Actor>> {
    let Some(subject) = sessions::resolve(db, tenant_id, SubjectKind::Staff, token).await? else {
        return Ok(None);
    };
    let user = staff_user::Entity::find_by_id(subject.id)
        .one(db.conn())
        .await?;
    Ok(user
        .filter(|u| !u.disabled && u.tenant_id == tenant_id)
        .map(|u| actor_of(&u)))
}

/// Ends the session (audited). Unknown tokens are ignored.
pub async fn logout(db: &Db, actor: &Actor, token: &str, origin: &Origin) -> Result<()> {
    let txn = db.begin_write().await?;
    sessions::end(&txn, token).await?;
    audit::record(
        &txn,
        actor,
        origin,
        Event::new("staff.logout", "staff_user").object(actor.id.unwrap_or_default()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn actor_of(user: &StaffUser) -> Actor {
    Actor {
        kind: ActorKind::Staff,
        id: Some(user.id),
        name: user.name.clone(),
        tenant_id: Some(user.tenant_id),
        roles: user.roles.split(',').filter_map(Role::parse).collect(),
    }
}
