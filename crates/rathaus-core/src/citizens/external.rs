//! Logging a citizen in with an identity an OpenID provider vouched for
//! (`crate::identity`): find the linked account, link it to the account that is logged
//! in, or open a new one; take over the identity data; open a session at the trust
//! level the provider reported.
//!
//! An existing account is never taken over by e-mail address alone: whoever controls
//! an address at some provider would get the account. The owner logs in first and then
//! links the provider.

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::{citizen, citizen_identity};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::registration::in_tenant;
use super::{Citizen, by_email, citizen_actor, subject};
use crate::actor::Origin;
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::identity::{ExternalIdentity, LoginProblem};
use crate::sessions;
use crate::trust::TrustLevel;

/// Signs in; returns the new session token. `current` is the account logged in now, if
/// any (then the identity is linked to it).
pub async fn sign_in_external(
    db: &Db,
    tenant_id: Uuid,
    identity: &ExternalIdentity,
    current: Option<&Citizen>,
    language: &str,
    origin: &Origin,
) -> Result<std::result::Result<String, LoginProblem>> {
    let txn = db.begin_write().await?;
    let linked =
        citizen_identity::Entity::find_by_id((identity.provider_id, identity.subject.clone()))
            .one(&txn)
            .await?;
    let account = match (linked, current) {
        (Some(link), _) => in_tenant(&txn, link.citizen_id, tenant_id)
            .await?
            .ok_or_else(|| CoreError::NotFound("the linked account".into()))?,
        (None, Some(current)) => {
            link(&txn, identity, current.id).await?;
            current.clone()
        }
        (None, None) => match open_account(&txn, tenant_id, identity, language).await? {
            Ok(account) => account,
            Err(problem) => return Ok(Err(problem)),
        },
    };
    take_over_identity_data(&txn, &account, identity).await?;
    let token =
        sessions::start_with_trust(&txn, tenant_id, subject(&account), Some(identity.trust))
            .await?;
    let event = Event::new("citizen.login_external", "citizen")
        .object(account.id)
        .details(serde_json::json!({
            "provider": identity.provider_name,
            "trust_level": identity.trust.as_str(),
        }));
    audit::record(&txn, &citizen_actor(&account), origin, event).await?;
    txn.commit().await?;
    Ok(Ok(token))
}

async fn link(
    conn: &impl ConnectionTrait,
    identity: &ExternalIdentity,
    citizen_id: Uuid,
) -> Result<()> {
    citizen_identity::Entity::insert(citizen_identity::ActiveModel {
        provider_id: Set(identity.provider_id),
        subject: Set(identity.subject.clone()),
        citizen_id: Set(citizen_id),
        linked_at: Set(Utc::now()),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

async fn open_account(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    identity: &ExternalIdentity,
    language: &str,
) -> Result<std::result::Result<Citizen, LoginProblem>> {
    let Some(email) = identity
        .email
        .as_deref()
        .filter(|_| identity.email_verified)
    else {
        return Ok(Err(LoginProblem::NoConfirmedEmail));
    };
    if by_email(conn, tenant_id, email).await?.is_some() {
        return Ok(Err(LoginProblem::EmailTaken));
    }
    let id = Uuid::now_v7();
    citizen::Entity::insert(citizen::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        email: Set(email.to_owned()),
        email_confirmed_at: Set(Some(Utc::now())),
        password_hash: Set(None),
        preferred_language: Set(language.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    link(conn, identity, id).await?;
    let account = in_tenant(conn, id, tenant_id)
        .await?
        .ok_or_else(|| CoreError::NotFound("the account just opened".into()))?;
    Ok(Ok(account))
}

/// Name, birth date and address from an eID login (trust level substanziell or hoch)
/// replace what the person typed and are marked as confirmed by the provider. From a
/// weaker login they only fill empty fields and stay editable.
async fn take_over_identity_data(
    conn: &impl ConnectionTrait,
    account: &Citizen,
    identity: &ExternalIdentity,
) -> Result<()> {
    let confirmed = identity.trust >= TrustLevel::Substanziell;
    let fields = [
        (
            citizen::Column::GivenName,
            &identity.given_name,
            &account.given_name,
        ),
        (
            citizen::Column::FamilyName,
            &identity.family_name,
            &account.family_name,
        ),
        (citizen::Column::Street, &identity.street, &account.street),
        (
            citizen::Column::HouseNumber,
            &identity.house_number,
            &account.house_number,
        ),
        (
            citizen::Column::Postcode,
            &identity.postcode,
            &account.postcode,
        ),
        (citizen::Column::City, &identity.city, &account.city),
    ];
    let mut update = citizen::Entity::update_many().filter(citizen::Column::Id.eq(account.id));
    let mut changes = 0;
    for (column, from_provider, typed) in fields {
        if from_provider.is_some() && (confirmed || typed.is_none()) {
            update = update.col_expr(column, Expr::value(from_provider.clone()));
            changes += 1;
        }
    }
    if identity.birth_date.is_some() && (confirmed || account.birth_date.is_none()) {
        update = update.col_expr(citizen::Column::BirthDate, Expr::value(identity.birth_date));
        changes += 1;
    }
    if confirmed {
        changes += 1;
        update = update
            .col_expr(
                citizen::Column::IdentityVerifiedBy,
                Expr::value(identity.provider_name.clone()),
            )
            .col_expr(citizen::Column::IdentityVerifiedAt, Expr::value(Utc::now()));
    }
    if changes > 0 {
        update.exec(conn).await?;
    }
    Ok(())
}
