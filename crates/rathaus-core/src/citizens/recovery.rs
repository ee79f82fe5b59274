//! A forgotten password: a reset link by mail, then a new password.
//!
//! Asking for a link answers the same whether the account exists or not. At most
//! `OPEN_LINKS_LIMIT` links are open at once, so the form cannot be used to flood
//! someone's mailbox. A reset ends every session of the account and confirms the
//! address (the link proved control of it).

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::citizen;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::registration::in_tenant;
use super::{by_email, normalize_email, record, replace_password, send, tokens};
use crate::actor::Origin;
use crate::error::Result;
use crate::login_guard;
use crate::passwords::{self, Weakness};
use crate::tenants::Tenant;

const OPEN_LINKS_LIMIT: u64 = 3;

/// Sends a reset link if an account with this address exists (and has not asked too
/// often). The caller always shows the same answer.
pub async fn request_password_reset(
    db: &Db,
    tenant: &Tenant,
    email: &str,
    link_base: &str,
    origin: &Origin,
) -> Result<()> {
    let email = normalize_email(email);
    let txn = db.begin_write().await?;
    let Some(account) = by_email(&txn, tenant.id, &email).await? else {
        return Ok(());
    };
    if tokens::open_count(&txn, account.id, tokens::RESET_PASSWORD).await? >= OPEN_LINKS_LIMIT {
        return Ok(());
    }
    let token = tokens::issue(&txn, account.id, tokens::RESET_PASSWORD, None).await?;
    let text = format!(
        "Sie haben ein neues Passwort für Ihr Konto bei {name} angefordert. Öffnen Sie diesen \
         Link, um es festzulegen:\n\n{link_base}/konto/passwort-neu/{token}\n\n\
         Der Link gilt {minutes} Minuten und nur einmal. Wenn Sie das nicht angefordert haben, \
         ignorieren Sie diese E-Mail; Ihr Passwort bleibt, wie es ist.",
        name = tenant.name,
        minutes = tokens::RESET_PASSWORD.validity.num_minutes()
    );
    send(
        &txn,
        tenant,
        &account.email,
        "Neues Passwort festlegen",
        &text,
    )
    .await?;
    record(&txn, &account, origin, "password_reset_requested").await?;
    txn.commit().await?;
    Ok(())
}

pub enum ResetOutcome {
    Done,
    /// The link is unknown, used or expired.
    BadLink,
    Weak(Weakness),
}

/// Sets a new password through a reset link.
pub async fn reset_password(
    db: &Db,
    tenant: &Tenant,
    token: &str,
    new_password: &str,
    origin: &Origin,
) -> Result<ResetOutcome> {
    // The password is checked before the link is used up, so a weak choice can be
    // corrected with the same link.
    let Some(stored) = tokens::peek(db.conn(), token, tokens::RESET_PASSWORD).await? else {
        return Ok(ResetOutcome::BadLink);
    };
    let Some(account) = in_tenant(db.conn(), stored.citizen_id, tenant.id).await? else {
        return Ok(ResetOutcome::BadLink);
    };
    if let Err(weakness) = passwords::check_new(new_password, &account.email) {
        return Ok(ResetOutcome::Weak(weakness));
    }
    let new_hash = passwords::hash(new_password).await?;
    let txn = db.begin_write().await?;
    if tokens::claim(&txn, token, tokens::RESET_PASSWORD)
        .await?
        .is_none()
    {
        return Ok(ResetOutcome::BadLink);
    }
    tokens::revoke_all(&txn, account.id, tokens::RESET_PASSWORD).await?;
    replace_password(&txn, tenant, &account, new_hash).await?;
    // Following the link proved control of the address.
    if account.email_confirmed_at.is_none() {
        citizen::Entity::update_many()
            .col_expr(citizen::Column::EmailConfirmedAt, Expr::value(Utc::now()))
            .filter(citizen::Column::Id.eq(account.id))
            .exec(&txn)
            .await?;
    }
    let guard_key = login_guard::account_key("citizen", &account.email);
    login_guard::forget(&txn, tenant.id, &guard_key).await?;
    record(&txn, &account, origin, "password_reset").await?;
    txn.commit().await?;
    Ok(ResetOutcome::Done)
}

/// Whether a reset link can still be used (to show the form or explain why not).
pub async fn reset_link_usable(db: &Db, tenant_id: uuid::Uuid, token: &str) -> Result<bool> {
    let Some(stored) = tokens::peek(db.conn(), token, tokens::RESET_PASSWORD).await? else {
        return Ok(false);
    };
    Ok(in_tenant(db.conn(), stored.citizen_id, tenant_id)
        .await?
        .is_some())
}
