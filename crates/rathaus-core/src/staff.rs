//! Staff members: password login on top of `crate::sessions`.
//!
//! Passwords are hashed with Argon2id (`crate::passwords`). A login takes two steps:
//! the password opens a short pending session, and only the second factor
//! (`crate::second_factor`) turns it into a real one. Every step is audited.

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::staff_user;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::actor::{Actor, ActorKind, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::login_guard::{self, Attempt};
use crate::passkeys::{self, RelyingParty};
use crate::passwords;
use crate::second_factor::{self, Checked};
use crate::sessions::{self, Subject, SubjectKind};

pub const MIN_PASSWORD_LENGTH: usize = 12;

pub type StaffUser = staff_user::Model;

pub struct NewStaffUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    /// Keys of roles the tenant has (table `roles`).
    pub roles: &'a [String],
    /// Departments of the tenant the person works in.
    pub departments: &'a [Uuid],
    /// Someone else chose the password (an admin): it must be replaced at first login.
    pub initial_password: bool,
}

/// Adds a staff member to a tenant (audited).
pub async fn create_user(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    new: NewStaffUser<'_>,
) -> Result<Uuid> {
    crate::policy::require(actor, tenant_id, crate::policy::Permission::ManageStaff)?;
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
    let roles: Vec<&str> = new.roles.iter().map(String::as_str).collect();
    let password_hash = passwords::hash(new.password).await?;
    let txn = db.begin_write().await?;
    crate::roles::check_known(&txn, tenant_id, new.roles).await?;
    let existing = staff_user::Entity::find()
        .filter(staff_user::Column::TenantId.eq(tenant_id))
        .filter(staff_user::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?;
    if existing.is_some() {
        return Err(CoreError::Invalid(format!(
            "there is already a staff member with the e-mail address {email}"
        )));
    }
    staff_user::Entity::insert(staff_user::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        email: Set(email.clone()),
        name: Set(new.name.trim().to_owned()),
        password_hash: Set(password_hash),
        roles: Set(roles.join(",")),
        disabled: Set(false),
        created_at: Set(Utc::now()),
        password_change_required: Set(new.initial_password),
    })
    .exec_without_returning(&txn)
    .await?;
    crate::departments::assign(&txn, tenant_id, id, new.departments).await?;
    let mut in_tenant = actor.clone();
    in_tenant.tenant_id = Some(tenant_id);
    audit::record(
        &txn,
        &in_tenant,
        origin,
        Event::new("staff.create", "staff_user")
            .object(id)
            .details(serde_json::json!({
                "email": email, "roles": roles, "departments": new.departments,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// A session token and the actor it stands for.
pub struct Login {
    pub token: String,
    pub actor: Actor,
}

/// First step of a login: e-mail and password (guarded against guessing). On success
/// the token is that of a *pending* session, which leads only to the second factor.
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
            passwords::verify(password, user.as_ref().map(|u| u.password_hash.as_str())).await;
        Ok(user.filter(|u| password_ok && !u.disabled))
    };
    let user = match login_guard::guarded(db, tenant_id, "staff", &email, origin, check).await? {
        Attempt::Succeeded(user) => user,
        Attempt::Failed => return Ok(Attempt::Failed),
        Attempt::Locked { until } => return Ok(Attempt::Locked { until }),
    };
    let actor = actor(db.conn(), &user).await?;
    let txn = db.begin_write().await?;
    let subject = Subject {
        kind: SubjectKind::StaffPending,
        id: user.id,
    };
    let token = sessions::start(&txn, tenant_id, subject).await?;
    audit::record(
        &txn,
        &actor,
        origin,
        Event::new("staff.login_password", "staff_user").object(user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(Attempt::Succeeded(Login { token, actor }))
}

/// The staff member of a pending session (password given, second factor not yet).
pub async fn pending_user(db: &Db, tenant_id: Uuid, token: &str) -> Result<Option<StaffUser>> {
    let kind = SubjectKind::StaffPending;
    let Some(subject) = sessions::resolve(db, tenant_id, kind, token).await? else {
        return Ok(None);
    };
    let user = staff_user::Entity::find_by_id(subject.id)
        .one(db.conn())
        .await?;
    Ok(user.filter(|u| !u.disabled && u.tenant_id == tenant_id))
}

/// A completed login; `recovery_codes` when this login set up the second factor.
pub struct FullLogin {
    pub login: Login,
    pub recovery_codes: Option<Vec<String>>,
}

/// What the person offers as second factor.
pub enum Proof<'a> {
    /// A code from the authenticator app, or a recovery code.
    Code(&'a str),
    /// The browser's answer to the passkey challenge of this pending session (JSON).
    Passkey {
        rp: &'a RelyingParty,
        response: &'a str,
    },
}

impl Proof<'_> {
    fn factor(&self) -> &'static str {
        match self {
            Self::Code(_) => "code",
            Self::Passkey { .. } => "passkey",
        }
    }
}

/// Second step: a code or a passkey. Wrong answers count like wrong passwords. On
/// success the pending session is replaced by a full one (a new session id for the new
/// privilege).
pub async fn complete_login(
    db: &Db,
    user: &StaffUser,
    pending_token: &str,
    proof: Proof<'_>,
    origin: &Origin,
) -> Result<Attempt<FullLogin>> {
    let actor = actor(db.conn(), user).await?;
    let check = async {
        let txn = db.begin_write().await?;
        let recovery_codes = match &proof {
            Proof::Code(typed) => {
                match second_factor::check(&txn, user.id, typed, Utc::now()).await? {
                    Checked::Rejected => return Ok(None),
                    Checked::Accepted => None,
                    Checked::Enrolled { recovery_codes } => Some(recovery_codes),
                }
            }
            Proof::Passkey { rp, response } => {
                if !passkeys::verify_login(&txn, rp, user.id, pending_token, response).await? {
                    // The used-up challenge stays used up.
                    txn.commit().await?;
                    return Ok(None);
                }
                None
            }
        };
        sessions::end(&txn, pending_token).await?;
        let subject = Subject {
            kind: SubjectKind::Staff,
            id: user.id,
        };
        let token = sessions::start(&txn, user.tenant_id, subject).await?;
        if recovery_codes.is_some() {
            let event = Event::new("staff.second_factor_enrolled", "staff_user").object(user.id);
            audit::record(&txn, &actor, origin, event).await?;
        }
        let event = Event::new("staff.login", "staff_user")
            .object(user.id)
            .details(serde_json::json!({ "factor": proof.factor() }));
        audit::record(&txn, &actor, origin, event).await?;
        txn.commit().await?;
        Ok(Some(FullLogin {
            login: Login {
                token,
                actor: actor.clone(),
            },
            recovery_codes,
        }))
    };
    login_guard::guarded(db, user.tenant_id, "staff", &user.email, origin, check).await
}

/// New recovery codes for the person, replacing all old ones (audited).
pub async fn renew_recovery_codes(
    db: &Db,
    user: &StaffUser,
    origin: &Origin,
) -> Result<Vec<String>> {
    let txn = db.begin_write().await?;
    let codes = second_factor::new_recovery_codes(&txn, user.id).await?;
    let event = Event::new("staff.recovery_codes_renewed", "staff_user").object(user.id);
    audit::record(&txn, &actor(&txn, user).await?, origin, event).await?;
    txn.commit().await?;
    Ok(codes)
}

/// The staff member behind a session cookie, if the session is valid in this tenant.
pub async fn session_user(db: &Db, tenant_id: Uuid, token: &str) -> Result<Option<StaffUser>> {
    let Some(subject) = sessions::resolve(db, tenant_id, SubjectKind::Staff, token).await? else {
        return Ok(None);
    };
    let user = staff_user::Entity::find_by_id(subject.id)
        .one(db.conn())
        .await?;
    Ok(user.filter(|u| !u.disabled && u.tenant_id == tenant_id))
}

pub enum PasswordChange {
    /// The new session that replaces all earlier ones.
    Changed {
        token: String,
    },
    WrongPassword,
    Weak(passwords::Weakness),
    TooShortForStaff,
}

/// A member of staff replaces their password (required after an initial one). Every
/// session ends; the caller gets a fresh one.
pub async fn change_password(
    db: &Db,
    user: &StaffUser,
    current: &str,
    new_password: &str,
    origin: &Origin,
) -> Result<PasswordChange> {
    let check = async {
        let ok = passwords::verify(current, Some(&user.password_hash)).await;
        Ok(ok.then_some(()))
    };
    let attempt = login_guard::guarded(db, user.tenant_id, "staff", &user.email, origin, check);
    if !matches!(attempt.await?, Attempt::Succeeded(())) {
        return Ok(PasswordChange::WrongPassword);
    }
    if let Err(weakness) = passwords::check_new(new_password, &user.email) {
        return Ok(PasswordChange::Weak(weakness));
    }
    if new_password.chars().count() < MIN_PASSWORD_LENGTH {
        return Ok(PasswordChange::TooShortForStaff);
    }
    let new_hash = passwords::hash(new_password).await?;
    let txn = db.begin_write().await?;
    staff_user::Entity::update_many()
        .col_expr(staff_user::Column::PasswordHash, Expr::value(new_hash))
        .col_expr(
            staff_user::Column::PasswordChangeRequired,
            Expr::value(false),
        )
        .filter(staff_user::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    let subject = Subject {
        kind: SubjectKind::Staff,
        id: user.id,
    };
    sessions::end_all(&txn, subject).await?;
    let token = sessions::start(&txn, user.tenant_id, subject).await?;
    let event = Event::new("staff.password_change", "staff_user").object(user.id);
    audit::record(&txn, &actor(&txn, user).await?, origin, event).await?;
    txn.commit().await?;
    Ok(PasswordChange::Changed { token })
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

/// The actor a staff member is: roles with what they grant, and departments.
pub async fn actor(conn: &impl ConnectionTrait, user: &StaffUser) -> Result<Actor> {
    let roles: Vec<String> = user
        .roles
        .split(',')
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Actor {
        kind: ActorKind::Staff,
        id: Some(user.id),
        name: user.name.clone(),
        tenant_id: Some(user.tenant_id),
        permissions: crate::roles::permissions_of(conn, user.tenant_id, &roles).await?,
        departments: crate::departments::of_staff(conn, user.id).await?,
        roles,
    })
}
