//! Registering an account and confirming its e-mail address.

use chrono::{Duration, Utc};
use rathaus_store::Db;
use rathaus_store::entities::citizen;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Citizen, by_email, normalize_email, record, tokens};
use crate::actor::Origin;
use crate::error::{CoreError, Result};
use crate::mail::letter;
use crate::mail::{self, Mail};
use crate::passwords::{self, Weakness};
use crate::tenants::Tenant;

/// How long a confirmation link works.
pub const CONFIRM_LINK_VALIDITY: Duration = tokens::CONFIRM_EMAIL.validity;

/// Why a registration was refused; each is shown at its field.
#[derive(Debug, PartialEq, Eq)]
pub enum RegistrationProblem {
    Email,
    Password(Weakness),
}

/// Whether `email` can be an account's address.
pub(super) fn valid_address(email: &str) -> bool {
    mail::parse_address(email).is_ok() && email.len() <= 254
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
    let email = normalize_email(email);
    let mut problems = Vec::new();
    if !valid_address(&email) {
        problems.push(RegistrationProblem::Email);
    }
    if let Err(weakness) = passwords::check_new(password, &email) {
        problems.push(RegistrationProblem::Password(weakness));
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    // Hashed even when the address is known: the answer takes as long either way.
    let password_hash = passwords::hash(password).await?;
    let txn = db.begin_write().await?;
    let (account, notice) = match by_email(&txn, tenant.id, &email).await? {
        Some(known) => {
            let notice = already_registered(tenant, &email, link_base);
            (known, notice)
        }
        None => {
            let id = Uuid::now_v7();
            citizen::Entity::insert(citizen::ActiveModel {
                id: Set(id),
                tenant_id: Set(tenant.id),
                email: Set(email.clone()),
                email_confirmed_at: Set(None),
                password_hash: Set(Some(password_hash)),
                preferred_language: Set(language.to_owned()),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
            let token = tokens::issue(&txn, id, tokens::CONFIRM_EMAIL, None).await?;
            let created = by_email(&txn, tenant.id, &email)
                .await?
                .ok_or_else(|| CoreError::NotFound("the account just created".into()))?;
            let text = format!(
                "bitte bestätigen Sie Ihre E-Mail-Adresse für Ihr Konto bei {name}, indem Sie \
                 diesen Link öffnen:\n\n{link_base}/konto/bestaetigen/{token}\n\n\
                 Der Link gilt {hours} Stunden und nur einmal. Wenn Sie kein Konto angelegt haben, \
                 können Sie diese E-Mail ignorieren.",
                name = tenant.name,
                hours = CONFIRM_LINK_VALIDITY.num_hours()
            );
            let mail = letter(
                tenant,
                &email,
                "Bitte bestätigen Sie Ihre E-Mail-Adresse",
                &text,
            );
            (created, mail)
        }
    };
    mail::enqueue(&txn, tenant.id, notice).await?;
    record(&txn, &account, origin, "register").await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// The mail to the owner of an address that someone tried to register again.
pub(super) fn already_registered(tenant: &Tenant, email: &str, link_base: &str) -> Mail {
    let text = format!(
        "jemand hat versucht, mit Ihrer E-Mail-Adresse ein Konto bei {name} anzulegen oder \
         ein Konto auf diese Adresse umzustellen. Sie haben dort bereits ein Konto. \
         Melden Sie sich an unter:\n\n{link_base}/konto/anmelden\n\n\
         Passwort vergessen? {link_base}/konto/passwort-vergessen\n\n\
         Wenn Sie das nicht waren, können Sie diese E-Mail ignorieren.",
        name = tenant.name
    );
    letter(tenant, email, "Sie haben bereits ein Konto", &text)
}

/// Follows a confirmation link. False when the link is unknown, used or expired.
pub async fn confirm_email(db: &Db, tenant_id: Uuid, token: &str, origin: &Origin) -> Result<bool> {
    let txn = db.begin_write().await?;
    let Some(stored) = tokens::claim(&txn, token, tokens::CONFIRM_EMAIL).await? else {
        return Ok(false);
    };
    let Some(account) = in_tenant(&txn, stored.citizen_id, tenant_id).await? else {
        return Ok(false);
    };
    citizen::Entity::update_many()
        .col_expr(citizen::Column::EmailConfirmedAt, Expr::value(Utc::now()))
        .filter(citizen::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    record(&txn, &account, origin, "confirm_email").await?;
    txn.commit().await?;
    Ok(true)
}

/// The account a token belongs to, if it is in this tenant (links are per tenant).
pub(super) async fn in_tenant(
    conn: &impl sea_orm::ConnectionTrait,
    citizen_id: Uuid,
    tenant_id: Uuid,
) -> Result<Option<Citizen>> {
    let account = citizen::Entity::find_by_id(citizen_id).one(conn).await?;
    Ok(account.filter(|a| a.tenant_id == tenant_id))
}
