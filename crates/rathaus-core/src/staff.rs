//! Staff members: password login and server-side sessions.
//!
//! Passwords are hashed with Argon2id. A session is a random 256-bit token in an
//! HttpOnly cookie; the database keeps only its SHA-256. Logins, failed logins and
//! logouts are audited. (Second factor and lockout follow with the accounts issue.)

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{Duration, Utc};
use rathaus_store::Db;
use rathaus_store::entities::{staff_session, staff_user};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::actor::{Actor, ActorKind, Origin, Role};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};

/// How long a staff login lasts: one working day.
pub const SESSION_LENGTH: Duration = Duration::hours(10);
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
        password_hash: Set(hash_password(new.password)?),
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

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| CoreError::Invalid(format!("cannot make a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Invalid(format!("cannot hash the password: {e}")))
}

/// A hash of a random password, verified against when the e-mail is unknown so that a
/// failed login takes as long whether or not the account exists.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password").expect("hashing works"))
}

/// The result of a successful login: the cookie value and the actor it stands for.
pub struct Login {
    pub token: String,
    pub actor: Actor,
}

/// Checks e-mail and password; on success opens a session. Both outcomes are audited.
pub async fn login(
    db: &Db,
    tenant_id: Uuid,
    email: &str,
    password: &str,
    origin: &Origin,
) -> Result<Option<Login>> {
    let email = email.trim().to_lowercase();
    let user = staff_user::Entity::find()
        .filter(staff_user::Column::TenantId.eq(tenant_id))
        .filter(staff_user::Column::Email.eq(email.as_str()))
        .one(db.conn())
        .await?;
    let stored = user
        .as_ref()
        .map_or(dummy_hash(), |u| u.password_hash.as_str());
    let password_ok = PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    let user = match user {
        Some(user) if password_ok && !user.disabled => user,
        _ => {
            let mut anonymous = Actor::anonymous(tenant_id);
            anonymous.name = format!("login attempt: {email}");
            audit::record_now(
                db,
                &anonymous,
                origin,
                Event::new("staff.login_failed", "staff_user"),
            )
            .await?;
            return Ok(None);
        }
    };
    let token = hex::encode(rand::random::<[u8; 32]>());
    let actor = actor_of(&user);
    let txn = db.begin_write().await?;
    staff_session::Entity::insert(staff_session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(user.id),
        tenant_id: Set(tenant_id),
        created_at: Set(Utc::now()),
        expires_at: Set(Utc::now() + SESSION_LENGTH),
    })
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        &actor,
        origin,
        Event::new("staff.login", "staff_user").object(user.id),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(Login { token, actor }))
}

/// The staff member behind a session cookie, if the session is valid in this tenant.
pub async fn session_actor(db: &Db, tenant_id: Uuid, token: &str) -> Result<Option<Actor>> {
    let Some(session) = staff_session::Entity::find_by_id(token_hash(token))
        .one(db.conn())
        .await?
    else {
        return Ok(None);
    };
    if session.tenant_id != tenant_id || session.expires_at < Utc::now() {
        return Ok(None);
    }
    let user = staff_user::Entity::find_by_id(session.user_id)
        .one(db.conn())
        .await?;
    Ok(user.filter(|u| !u.disabled).map(|u| actor_of(&u)))
}

/// Ends the session (audited). Unknown tokens are ignored.
pub async fn logout(db: &Db, actor: &Actor, token: &str, origin: &Origin) -> Result<()> {
    let txn = db.begin_write().await?;
    staff_session::Entity::delete_by_id(token_hash(token))
        .exec(&txn)
        .await?;
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

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
