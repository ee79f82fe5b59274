//! Staff login through the city's own OpenID provider (Keycloak, AD FS). The provider
//! vouches for the person; the groups it reports decide roles and departments at every
//! login, so that leaving a group in the city's directory takes the access away here.
//!
//! The second factor stays required: a login the provider reports at `substanziell` or
//! above (its own multi-factor login) counts as both factors; below that, the person
//! continues with our second factor like after a password.

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::{staff_identity, staff_user};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::Result;
use crate::identity::{ExternalIdentity, Provider, granted_by_groups};
use crate::sessions::{self, Subject, SubjectKind};
use crate::staff::{self, Login, NewStaffUser, StaffUser};
use crate::staff_directory;
use crate::trust::TrustLevel;

pub enum SsoLogin {
    /// Logged in: the provider's login counted as both factors.
    Complete(Login),
    /// The provider stood in for the password; our second factor follows (the token is
    /// that of a pending session).
    SecondFactor(Login),
    /// None of the person's groups grants a role here, or the account is locked.
    NoAccess,
    /// A first login without an e-mail address the provider confirmed.
    EmailNotConfirmed,
}

/// Signs a member of staff in with what the provider confirmed (audited).
pub async fn sign_in(
    db: &Db,
    provider: &Provider,
    identity: &ExternalIdentity,
    origin: &Origin,
) -> Result<SsoLogin> {
    let tenant_id = provider.tenant_id;
    let (roles, departments) = granted(db, provider, identity).await?;
    if roles.is_empty() {
        refuse(db, provider, identity, origin, "no role for these groups").await?;
        return Ok(SsoLogin::NoAccess);
    }
    let Some(user) = account(db, provider, identity, &roles, &departments).await? else {
        return Ok(SsoLogin::EmailNotConfirmed);
    };
    if user.disabled {
        refuse(db, provider, identity, origin, "account locked").await?;
        return Ok(SsoLogin::NoAccess);
    }
    let txn = db.begin_write().await?;
    // The directory decides: what its groups grant now replaces what the account had.
    let directory = Actor {
        tenant_id: Some(tenant_id),
        ..Actor::system(&format!("sso:{}", provider.slug))
    };
    staff_directory::apply_access(&txn, &directory, origin, &user, &roles, &departments).await?;
    let complete = identity.trust >= TrustLevel::Substanziell;
    let kind = if complete {
        SubjectKind::Staff
    } else {
        SubjectKind::StaffPending
    };
    let token = sessions::start(&txn, tenant_id, Subject { kind, id: user.id }).await?;
    let user = staff_user::Entity::find_by_id(user.id)
        .one(&txn)
        .await?
        .unwrap_or(user);
    let actor = staff::actor(&txn, &user).await?;
    let action = if complete {
        "staff.login"
    } else {
        "staff.login_sso"
    };
    let event = Event::new(action, "staff_user").object(user.id).details(
        serde_json::json!({ "factor": "sso", "provider": provider.slug, "trust": identity.trust.as_str() }),
    );
    audit::record(&txn, &actor, origin, event).await?;
    txn.commit().await?;
    let login = Login { token, actor };
    Ok(if complete {
        SsoLogin::Complete(login)
    } else {
        SsoLogin::SecondFactor(login)
    })
}

/// The roles (known to the tenant) and department ids the person's groups grant.
async fn granted(
    db: &Db,
    provider: &Provider,
    identity: &ExternalIdentity,
) -> Result<(Vec<String>, Vec<Uuid>)> {
    let (role_keys, department_keys) = granted_by_groups(provider, &identity.groups);
    let known = crate::roles::of_tenant(db.conn(), provider.tenant_id).await?;
    let roles = role_keys
        .into_iter()
        .filter(|k| known.iter().any(|r| &r.key == k))
        .collect();
    let mut departments = Vec::new();
    for key in department_keys {
        if let Some(d) = crate::departments::by_key(db.conn(), provider.tenant_id, &key).await? {
            departments.push(d.id);
        }
    }
    departments.sort();
    Ok((roles, departments))
}

/// The staff account linked to the provider's subject; at the first login the account
/// with the confirmed e-mail address, or a new one. `None` without a confirmed address.
async fn account(
    db: &Db,
    provider: &Provider,
    identity: &ExternalIdentity,
    roles: &[String],
    departments: &[Uuid],
) -> Result<Option<StaffUser>> {
    let linked = staff_identity::Entity::find_by_id((provider.id, identity.subject.clone()))
        .one(db.conn())
        .await?;
    if let Some(link) = linked {
        return Ok(staff_user::Entity::find_by_id(link.staff_id)
            .one(db.conn())
            .await?);
    }
    let Some(email) = identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified)
    else {
        return Ok(None);
    };
    let existing = staff_user::Entity::find()
        .filter(staff_user::Column::TenantId.eq(provider.tenant_id))
        .filter(staff_user::Column::Email.eq(email))
        .one(db.conn())
        .await?;
    let id = match existing {
        Some(user) => user.id,
        None => {
            let name = [
                identity.given_name.as_deref(),
                identity.family_name.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            // Nobody knows this password: the account logs in through the provider.
            let unused = format!(
                "{}-{}",
                crate::passwords::generate_initial(),
                crate::passwords::generate_initial()
            );
            let new = NewStaffUser {
                email,
                name: if name.is_empty() { email } else { &name },
                password: &unused,
                roles,
                departments,
                initial_password: false,
            };
            let system = Actor::system(&format!("sso:{}", provider.slug));
            staff::create_user(db, &system, &Origin::default(), provider.tenant_id, new).await?
        }
    };
    staff_identity::Entity::insert(staff_identity::ActiveModel {
        provider_id: Set(provider.id),
        subject: Set(identity.subject.clone()),
        staff_id: Set(id),
        linked_at: Set(Utc::now()),
    })
    .exec_without_returning(db.conn())
    .await?;
    Ok(staff_user::Entity::find_by_id(id).one(db.conn()).await?)
}

async fn refuse(
    db: &Db,
    provider: &Provider,
    identity: &ExternalIdentity,
    origin: &Origin,
    why: &str,
) -> Result<()> {
    let actor = Actor::anonymous(provider.tenant_id);
    let event = Event::new("staff.sso_refused", "identity_provider")
        .object(provider.id)
        .details(serde_json::json!({
            "subject": identity.subject, "groups": identity.groups, "why": why,
        }));
    let txn = db.begin_write().await?;
    audit::record(&txn, &actor, origin, event).await?;
    txn.commit().await?;
    Ok(())
}
