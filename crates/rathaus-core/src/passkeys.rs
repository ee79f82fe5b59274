//! Passkeys (WebAuthn) as the second factor of staff logins, beside the authenticator
//! app. The cryptography is webauthn-rs'; this module keeps the registered keys and the
//! state of each ceremony.
//!
//! A ceremony (register or log in) has two requests: the challenge and the browser's
//! answer. The server's half is stored with the session that asked for it, so any
//! server of an installation can finish it; it is taken out before it is used (a
//! replayed answer finds nothing) and is good for five minutes.

use chrono::{Duration, Utc};
use rathaus_store::Db;
use rathaus_store::entities::{staff_passkey, webauthn_ceremony};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CredentialID, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Webauthn, WebauthnBuilder,
};

use crate::actor::Origin;
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::secrets::token_hash;
use crate::staff::{self, StaffUser};

const CEREMONY_LIFETIME: Duration = Duration::minutes(5);
const MAX_NAME_CHARS: usize = 100;

/// The site passkeys are bound to: its domain (the relying party id) and its origin.
/// Browsers refuse passkeys for an IP address, so a site reached as `127.0.0.1` has
/// none.
pub struct RelyingParty {
    webauthn: Webauthn,
}

impl RelyingParty {
    /// For a site at `origin` (`https://rathaus.musterstadt.de`), shown as `name`.
    /// `None` when the origin has no domain name.
    pub fn for_origin(origin: &str, name: &str) -> Option<Self> {
        let origin = Url::parse(origin).ok()?;
        let domain = match origin.host()? {
            url::Host::Domain(domain) => domain.to_owned(),
            url::Host::Ipv4(_) | url::Host::Ipv6(_) => return None,
        };
        let webauthn = WebauthnBuilder::new(&domain, &origin)
            .ok()?
            .rp_name(name)
            .build()
            .ok()?;
        Some(Self { webauthn })
    }
}

/// A passkey as the person's security page lists it.
pub struct PasskeyInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: chrono::DateTime<Utc>,
    pub last_used_at: Option<chrono::DateTime<Utc>>,
}

pub async fn list(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<Vec<PasskeyInfo>> {
    let rows = staff_passkey::Entity::find()
        .filter(staff_passkey::Column::StaffId.eq(staff_id))
        .order_by_asc(staff_passkey::Column::CreatedAt)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| PasskeyInfo {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
        .collect())
}

pub async fn has_any(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<bool> {
    let count = staff_passkey::Entity::find()
        .filter(staff_passkey::Column::StaffId.eq(staff_id))
        .count(conn)
        .await?;
    Ok(count > 0)
}

async fn stored(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<Vec<(Uuid, Passkey)>> {
    let rows = staff_passkey::Entity::find()
        .filter(staff_passkey::Column::StaffId.eq(staff_id))
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.id, from_json(&r.passkey)?)))
        .collect()
}

fn from_json<T: DeserializeOwned>(json: &str) -> Result<T> {
    serde_json::from_str(json)
        .map_err(|e| CoreError::Invalid(format!("stored WebAuthn data is damaged: {e}")))
}

fn to_json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| CoreError::Invalid(format!("WebAuthn data cannot be stored: {e}")))
}

fn credential_key(id: &CredentialID) -> Result<String> {
    match serde_json::to_value(id) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(CoreError::Invalid("credential id is not base64url".into())),
    }
}

#[derive(Clone, Copy)]
enum Purpose {
    Register,
    Login,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
        }
    }
}

/// Stores the server's half of a new ceremony; an older one of the session is dropped.
async fn open_ceremony(
    conn: &impl ConnectionTrait,
    session_token: &str,
    purpose: Purpose,
    state: &impl Serialize,
) -> Result<()> {
    let session_hash = token_hash(session_token);
    webauthn_ceremony::Entity::delete_by_id(session_hash.clone())
        .exec(conn)
        .await?;
    webauthn_ceremony::Entity::insert(webauthn_ceremony::ActiveModel {
        session_hash: Set(session_hash),
        purpose: Set(purpose.as_str().to_owned()),
        state: Set(to_json(state)?),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Takes the session's open ceremony out (whatever happens next, it is gone), if it is
/// for `purpose` and not too old.
async fn take_ceremony<T: DeserializeOwned>(
    conn: &impl ConnectionTrait,
    session_token: &str,
    purpose: Purpose,
) -> Result<Option<T>> {
    let session_hash = token_hash(session_token);
    let Some(row) = webauthn_ceremony::Entity::find_by_id(session_hash.clone())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let taken = webauthn_ceremony::Entity::delete_many()
        .filter(webauthn_ceremony::Column::SessionHash.eq(session_hash))
        .filter(webauthn_ceremony::Column::CreatedAt.eq(row.created_at))
        .exec(conn)
        .await?;
    let fresh = Utc::now() - row.created_at <= CEREMONY_LIFETIME;
    if taken.rows_affected != 1 || row.purpose != purpose.as_str() || !fresh {
        return Ok(None);
    }
    from_json(&row.state).map(Some)
}

/// Starts adding a passkey: the options for `navigator.credentials.create`. Passkeys
/// the person already has are excluded, so one authenticator is not added twice.
pub async fn start_registration(
    db: &Db,
    rp: &RelyingParty,
    user: &StaffUser,
    session_token: &str,
) -> Result<serde_json::Value> {
    let existing: Vec<CredentialID> = stored(db.conn(), user.id)
        .await?
        .iter()
        .map(|(_, p)| p.cred_id().clone())
        .collect();
    let (challenge, state) = rp
        .webauthn
        .start_passkey_registration(user.id, &user.email, &user.name, Some(existing))
        .map_err(|e| CoreError::Invalid(format!("passkey registration: {e}")))?;
    let txn = db.begin_write().await?;
    open_ceremony(&txn, session_token, Purpose::Register, &state).await?;
    txn.commit().await?;
    serde_json::to_value(challenge).map_err(|e| CoreError::Invalid(e.to_string()))
}

pub enum Registration {
    Added(Uuid),
    /// The answer did not fit the challenge, came too late, or was not understood.
    Refused,
    NameMissing,
}

/// Finishes adding a passkey with the browser's answer (JSON of the credential).
pub async fn finish_registration(
    db: &Db,
    rp: &RelyingParty,
    user: &StaffUser,
    session_token: &str,
    name: &str,
    answer: &str,
    origin: &Origin,
) -> Result<Registration> {
    let name: String = name.trim().chars().take(MAX_NAME_CHARS).collect();
    let txn = db.begin_write().await?;
    let state: Option<PasskeyRegistration> =
        take_ceremony(&txn, session_token, Purpose::Register).await?;
    // The ceremony is used up even when the name is missing: the browser starts anew.
    txn.commit().await?;
    if name.is_empty() {
        return Ok(Registration::NameMissing);
    }
    let (Some(state), Ok(credential)) = (
        state,
        serde_json::from_str::<RegisterPublicKeyCredential>(answer),
    ) else {
        return Ok(Registration::Refused);
    };
    let passkey = match rp.webauthn.finish_passkey_registration(&credential, &state) {
        Ok(passkey) => passkey,
        Err(e) => {
            tracing::info!(error = %e, "passkey registration refused");
            return Ok(Registration::Refused);
        }
    };
    let id = Uuid::now_v7();
    let credential_id = credential_key(passkey.cred_id())?;
    let txn = db.begin_write().await?;
    let taken = staff_passkey::Entity::find()
        .filter(staff_passkey::Column::CredentialId.eq(credential_id.as_str()))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Ok(Registration::Refused);
    }
    staff_passkey::Entity::insert(staff_passkey::ActiveModel {
        id: Set(id),
        staff_id: Set(user.id),
        credential_id: Set(credential_id),
        name: Set(name.clone()),
        passkey: Set(to_json(&passkey)?),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    let event = Event::new("staff.passkey_added", "staff_user")
        .object(user.id)
        .details(serde_json::json!({ "passkey": id, "name": name }));
    audit::record(&txn, &staff::actor(&txn, user).await?, origin, event).await?;
    txn.commit().await?;
    Ok(Registration::Added(id))
}

/// Removes one of the person's own passkeys (audited). `false` if there is none with
/// that id for this person.
pub async fn remove(db: &Db, user: &StaffUser, passkey_id: Uuid, origin: &Origin) -> Result<bool> {
    let txn = db.begin_write().await?;
    let removed = staff_passkey::Entity::delete_many()
        .filter(staff_passkey::Column::Id.eq(passkey_id))
        .filter(staff_passkey::Column::StaffId.eq(user.id))
        .exec(&txn)
        .await?;
    if removed.rows_affected != 1 {
        return Ok(false);
    }
    let event = Event::new("staff.passkey_removed", "staff_user")
        .object(user.id)
        .details(serde_json::json!({ "passkey": passkey_id }));
    audit::record(&txn, &staff::actor(&txn, user).await?, origin, event).await?;
    txn.commit().await?;
    Ok(true)
}

/// Starts a login with a passkey: the options for `navigator.credentials.get`, or
/// `None` if the person has no passkey.
pub async fn start_login(
    db: &Db,
    rp: &RelyingParty,
    staff_id: Uuid,
    session_token: &str,
) -> Result<Option<serde_json::Value>> {
    let keys: Vec<Passkey> = stored(db.conn(), staff_id)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    if keys.is_empty() {
        return Ok(None);
    }
    let (challenge, state) = rp
        .webauthn
        .start_passkey_authentication(&keys)
        .map_err(|e| CoreError::Invalid(format!("passkey login: {e}")))?;
    let txn = db.begin_write().await?;
    open_ceremony(&txn, session_token, Purpose::Login, &state).await?;
    txn.commit().await?;
    serde_json::to_value(challenge)
        .map(Some)
        .map_err(|e| CoreError::Invalid(e.to_string()))
}

/// Checks the browser's answer to the login challenge inside the caller's transaction;
/// on success the passkey's signature counter and last use are updated.
pub async fn verify_login(
    conn: &impl ConnectionTrait,
    rp: &RelyingParty,
    staff_id: Uuid,
    session_token: &str,
    answer: &str,
) -> Result<bool> {
    let state: Option<PasskeyAuthentication> =
        take_ceremony(conn, session_token, Purpose::Login).await?;
    let (Some(state), Ok(credential)) =
        (state, serde_json::from_str::<PublicKeyCredential>(answer))
    else {
        return Ok(false);
    };
    let result = match rp
        .webauthn
        .finish_passkey_authentication(&credential, &state)
    {
        Ok(result) => result,
        Err(e) => {
            tracing::info!(error = %e, "passkey login refused");
            return Ok(false);
        }
    };
    let Some((id, mut passkey)) = stored(conn, staff_id)
        .await?
        .into_iter()
        .find(|(_, p)| p.cred_id() == result.cred_id())
    else {
        return Ok(false);
    };
    passkey.update_credential(&result);
    staff_passkey::Entity::update_many()
        .col_expr(
            staff_passkey::Column::Passkey,
            Expr::value(to_json(&passkey)?),
        )
        .col_expr(staff_passkey::Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(staff_passkey::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(true)
}
