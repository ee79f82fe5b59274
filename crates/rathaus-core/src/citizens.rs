//! Citizen accounts (Nutzerkonto) with e-mail and password: register, confirm the
//! address by link, log in, log out.
//!
//! Registration never tells whether an address is already registered: the page says
//! "we sent you a mail" either way, and the owner of an existing account gets a mail
//! that says so instead of a confirmation link.

use chrono::{DateTime, Duration, Utc};
use rathaus_store::Db;
use rathaus_store::entities::{citizen, citizen_token};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::actor::{Actor, ActorKind, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::login_guard::{self, Attempt};
use crate::mail::{self, Mail};
use crate::passwords::{self, Weakness};
use crate::secrets::{new_token, token_hash};
use crate::sessions::{self, Subject, SubjectKind};
use crate::tenants::Tenant;

pub type Citizen = citizen::Model;

/// How long a confirmation link works.
pub const CONFIRM_LINK_VALIDITY: Duration = Duration::hours(48);
const CONFIRM_EMAIL: &str = "confirm_email";

/// Why a registration was refused; each is shown at its field.
#[derive(Debug, PartialEq, Eq)]
pub enum RegistrationProblem {
    Email,
    Password(Weakness),
}

/// Registers an account and sends the confirmation mail (or, for a known address, a
/// notice to its owner). `link_base` is the tenant's public URL, e.g.
/// `https://www.musterstadt.de`.
pub async fn register(
    db: &Db,
    tenant: &Tenant,
    email: &str,
    password: &str,
    language: &str,
    link_base: &str,
    origin: &Origin,
) -> Result<Result<(), Vec<RegistrationProblem>>> {
    let email = email.trim().to_lowercase();
    let mut problems = Vec::new();
    if mail::parse_address(&email).is_err() || email.len() > 254 {
        problems.push(RegistrationProblem::Email);
    }
    if let Err(weakness) = passwords::check_new(password, &email) {
        problems.push(RegistrationProblem::Password(weakness));
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let txn = db.begin_write().await?;
    let existing = by_email(&txn, tenant.id, &email).await?;
    let (actor, notice) = match existing {
        Some(known) => (
            citizen_actor(&known),
            Mail {
                to: email.clone(),
                subject: format!("{}: Sie haben bereits ein Konto", tenant.name),
                body: format!(
                    "Guten Tag,\n\njemand hat versucht, mit Ihrer E-Mail-Adresse ein neues Konto bei {name} \
                     anzulegen. Sie haben dort bereits ein Konto. Melden Sie sich an unter:\n\n{link_base}/konto/anmelden\n\n\
                     Wenn Sie das nicht waren, können Sie diese E-Mail ignorieren.\n",
                    name = tenant.name
                ),
            },
        ),
        None => {
            let id = Uuid::now_v7();
            citizen::Entity::insert(citizen::ActiveModel {
                id: Set(id),
                tenant_id: Set(tenant.id),
                email: Set(email.clone()),
                email_confirmed_at: Set(None),
                password_hash: Set(Some(passwords::hash(password)?)),
                preferred_language: Set(language.to_owned()),
                created_at: Set(Utc::now()),
            })
            .exec_without_returning(&txn)
            .await?;
            let token = new_token();
            citizen_token::Entity::insert(citizen_token::ActiveModel {
                token_hash: Set(token_hash(&token)),
                citizen_id: Set(id),
                purpose: Set(CONFIRM_EMAIL.into()),
                expires_at: Set(Utc::now() + CONFIRM_LINK_VALIDITY),
                used_at: Set(None),
            })
            .exec_without_returning(&txn)
            .await?;
            let created = by_email(&txn, tenant.id, &email)
                .await?
                .ok_or_else(|| CoreError::NotFound("the account just created".into()))?;
            (
                citizen_actor(&created),
                Mail {
                    to: email.clone(),
                    subject: format!("{}: Bitte bestätigen Sie Ihre E-Mail-Adresse", tenant.name),
                    body: format!(
                        "Guten Tag,\n\nbitte bestätigen Sie Ihre E-Mail-Adresse für Ihr Konto bei {name}, \
                         indem Sie diesen Link öffnen:\n\n{link_base}/konto/bestaetigen/{token}\n\n\
                         Der Link gilt {hours} Stunden und nur einmal. Wenn Sie kein Konto angelegt haben, \
                         können Sie diese E-Mail ignorieren.\n",
                        name = tenant.name,
                        hours = CONFIRM_LINK_VALIDITY.num_hours()
                    ),
                },
            )
        }
    };
    mail::enqueue(&txn, tenant.id, notice).await?;
    audit::record(
        &txn,
        &actor,
        origin,
        Event::new("citizen.register", "citizen").object(actor.id.unwrap_or_default()),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// Follows a confirmation link. False when the link is unknown, used or expired.
pub async fn confirm_email(db: &Db, tenant_id: Uuid, token: &str, origin: &Origin) -> Result<bool> {
    let txn = db.begin_write().await?;
    let now = Utc::now();
    // Marking the token used is the check: only one request can win this update.
    let claimed = citizen_token::Entity::update_many()
        .col_expr(citizen_token::Column::UsedAt, Expr::value(now))
        .filter(citizen_token::Column::TokenHash.eq(token_hash(token)))
        .filter(citizen_token::Column::Purpose.eq(CONFIRM_EMAIL))
        .filter(citizen_token::Column::UsedAt.is_null())
        .filter(citizen_token::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(false);
    }
    let Some(stored) = citizen_token::Entity::find_by_id(token_hash(token))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let Some(account) = citizen::Entity::find_by_id(stored.citizen_id)
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    if account.tenant_id != tenant_id {
        return Ok(false);
    }
    citizen::Entity::update_many()
        .col_expr(citizen::Column::EmailConfirmedAt, Expr::value(now))
        .filter(citizen::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        &citizen_actor(&account),
        origin,
        Event::new("citizen.confirm_email", "citizen").object(account.id),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// The outcome of a login attempt.
pub enum LoginOutcome {
    LoggedIn {
        token: String,
        citizen: Citizen,
    },
    /// Password right, address not confirmed yet.
    Unconfirmed,
    Failed,
    /// Too many failures: no attempts until then.
    Locked {
        until: DateTime<Utc>,
    },
}

pub async fn login(
    db: &Db,
    tenant_id: Uuid,
    email: &str,
    password: &str,
    origin: &Origin,
) -> Result<LoginOutcome> {
    let email = email.trim().to_lowercase();
    let check = async {
        let account = by_email(db.conn(), tenant_id, &email).await?;
        let stored = account.as_ref().and_then(|a| a.password_hash.as_deref());
        let password_ok = passwords::verify(password, stored);
        Ok(account.filter(|_| password_ok))
    };
    let account =
        match login_guard::guarded(db, tenant_id, "citizen", &email, origin, check).await? {
            Attempt::Succeeded(account) => account,
            Attempt::Failed => return Ok(LoginOutcome::Failed),
            Attempt::Locked { until } => return Ok(LoginOutcome::Locked { until }),
        };
    if account.email_confirmed_at.is_none() {
        return Ok(LoginOutcome::Unconfirmed);
    }
    let txn = db.begin_write().await?;
    let subject = Subject {
        kind: SubjectKind::Citizen,
        id: account.id,
    };
    let token = sessions::start(&txn, tenant_id, subject).await?;
    audit::record(
        &txn,
        &citizen_actor(&account),
        origin,
        Event::new("citizen.login", "citizen").object(account.id),
    )
    .await?;
    txn.commit().await?;
    Ok(LoginOutcome::LoggedIn {
        token,
        citizen: account,
    })
}

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

/// Logs out of this session, or of all sessions of the account.
pub async fn logout(
    db: &Db,
    account: &Citizen,
    token: &str,
    everywhere: bool,
    origin: &Origin,
) -> Result<()> {
    let txn = db.begin_write().await?;
    if everywhere {
        sessions::end_all(
            &txn,
            Subject {
                kind: SubjectKind::Citizen,
                id: account.id,
            },
        )
        .await?;
    } else {
        sessions::end(&txn, token).await?;
    }
    let action = if everywhere {
        "citizen.logout_everywhere"
    } else {
        "citizen.logout"
    };
    audit::record(
        &txn,
        &citizen_actor(account),
        origin,
        Event::new(action, "citizen").object(account.id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
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

pub fn citizen_actor(account: &Citizen) -> Actor {
    Actor {
        kind: ActorKind::Citizen,
        id: Some(account.id),
        name: account.email.clone(),
        tenant_id: Some(account.tenant_id),
        roles: Vec::new(),
    }
}
