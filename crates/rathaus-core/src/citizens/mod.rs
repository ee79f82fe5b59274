//! Citizen accounts (Nutzerkonto) with e-mail and password: register and confirm the
//! address, log in and out, recover a forgotten password, keep a profile, change the
//! e-mail address or password, delete the account.
//!
//! None of the forms that take an e-mail address tells whether an account exists: the
//! answer is the same either way, and only the owner of the address learns more, by mail.

mod external;
mod login;
mod recovery;
mod registration;
mod settings;
mod tokens;

use rathaus_store::Db;
use rathaus_store::entities::citizen;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

pub use external::sign_in_external;
pub use login::{LoginOutcome, login, logout};
pub use recovery::{ResetOutcome, request_password_reset, reset_link_usable, reset_password};
pub use registration::{CONFIRM_LINK_VALIDITY, RegistrationProblem, confirm_email, register};
pub use settings::{
    Confirmation, Deletion, EmailChangeOutcome, PasswordChange, Profile, ProfileProblem,
    RECENT_LOGIN, change_password, confirm_email_change, delete_account, request_email_change,
    update_profile,
};

use crate::actor::{Actor, ActorKind, Origin};
use crate::audit::{self, Event};
use crate::error::Result;
use crate::mail;
use crate::sessions::{self, Subject, SubjectKind};
use crate::tenants::Tenant;

pub type Citizen = citizen::Model;

/// The citizen behind a session cookie, if valid in this tenant.
pub async fn session_citizen(db: &Db, tenant_id: Uuid, token: &str) -> Result<Option<Citizen>> {
    let Some(subject) = sessions::resolve(db, tenant_id, SubjectKind::Citizen, token).await? else {
        return Ok(None);
    };
    let account = citizen::Entity::find_by_id(subject.id)
        .one(db.conn())
        .await?;
    Ok(account.filter(|a| a.tenant_id == tenant_id))
}

async fn by_email(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    email: &str,
) -> Result<Option<Citizen>> {
    Ok(citizen::Entity::find()
        .filter(citizen::Column::TenantId.eq(tenant_id))
        .filter(citizen::Column::Email.eq(email))
        .one(conn)
        .await?)
}

/// E-mail addresses are compared as typed, without spaces and case.
fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn subject(account: &Citizen) -> Subject {
    Subject {
        kind: SubjectKind::Citizen,
        id: account.id,
    }
}

pub fn citizen_actor(account: &Citizen) -> Actor {
    Actor {
        kind: ActorKind::Citizen,
        id: Some(account.id),
        name: account.email.clone(),
        tenant_id: Some(account.tenant_id),
        roles: Vec::new(),
        permissions: Vec::new(),
        departments: Vec::new(),
    }
}

/// Stores a new password hash (made before the transaction, see `passwords::hash`),
/// ends every session of the account and tells its owner.
async fn replace_password(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    account: &Citizen,
    new_hash: String,
) -> Result<()> {
    citizen::Entity::update_many()
        .col_expr(citizen::Column::PasswordHash, Expr::value(new_hash))
        .filter(citizen::Column::Id.eq(account.id))
        .exec(conn)
        .await?;
    end_every_login(conn, account).await?;
    let text = "das Passwort Ihres Kontos wurde soeben geändert, und alle Anmeldungen wurden \
                beendet. Wenn Sie das nicht waren, setzen Sie Ihr Passwort sofort über \
                „Passwort vergessen“ zurück und wenden Sie sich an uns.";
    send(
        conn,
        tenant,
        &account.email,
        "Ihr Passwort wurde geändert",
        text,
    )
    .await
}

/// Ends every session and every app's access of the account.
async fn end_every_login(conn: &impl ConnectionTrait, account: &Citizen) -> Result<()> {
    sessions::end_all(conn, subject(account)).await?;
    crate::app_access::revoke_all(conn, account.id).await
}

/// Records `citizen.<action>` about the account in the caller's transaction.
async fn record(
    txn: &sea_orm::DatabaseTransaction,
    account: &Citizen,
    origin: &Origin,
    action: &str,
) -> Result<()> {
    let event = Event::new(format!("citizen.{action}"), "citizen").object(account.id);
    audit::record(txn, &citizen_actor(account), origin, event).await?;
    Ok(())
}

/// Queues a letter (see `letter`) in the caller's transaction.
async fn send(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    to: &str,
    subject: &str,
    text: &str,
) -> Result<()> {
    mail::enqueue(conn, tenant.id, mail::letter(tenant, to, subject, text)).await?;
    Ok(())
}
