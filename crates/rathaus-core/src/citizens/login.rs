//! Logging in (guarded against password guessing) and out.

use chrono::{DateTime, Utc};
use rathaus_store::Db;
use uuid::Uuid;

use super::{Citizen, by_email, end_every_login, normalize_email, record, subject};
use crate::actor::Origin;
use crate::error::Result;
use crate::login_guard::{self, Attempt};
use crate::passwords;
use crate::sessions;
use crate::trust::TrustLevel;

/// The outcome of a login attempt.
pub enum LoginOutcome {
    /// The token of the new session.
    LoggedIn {
        token: String,
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
    let email = normalize_email(email);
    let check = async {
        let account = by_email(db.conn(), tenant_id, &email).await?;
        let stored = account.as_ref().and_then(|a| a.password_hash.as_deref());
        let password_ok = passwords::verify(password, stored).await;
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
    let trust = Some(TrustLevel::Basis);
    let token = sessions::start_with_trust(&txn, tenant_id, subject(&account), trust).await?;
    record(&txn, &account, origin, "login").await?;
    txn.commit().await?;
    Ok(LoginOutcome::LoggedIn { token })
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
    let action = if everywhere {
        end_every_login(&txn, account).await?;
        "logout_everywhere"
    } else {
        sessions::end(&txn, token).await?;
        "logout"
    };
    record(&txn, account, origin, action).await?;
    txn.commit().await?;
    Ok(())
}
