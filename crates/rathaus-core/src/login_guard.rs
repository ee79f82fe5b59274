//! Slowing down and locking out password guessing, per account and per IP address.
//!
//! Failures are counted in a sliding window. Each failure within the window slows the
//! next attempt a little; at the limit the account (or the address) is locked until
//! its oldest counted failure leaves the window. While locked, the password is not
//! even checked, so guessing gains nothing.

use chrono::{DateTime, Duration, Utc};
use rathaus_store::Db;
use rathaus_store::entities::login_failure;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::actor::Origin;
use crate::audit;
use crate::error::Result;

pub const WINDOW: Duration = Duration::minutes(15);
pub const ACCOUNT_LIMIT: u64 = 5;
pub const IP_LIMIT: u64 = 20;
/// Added per counted failure before the answer, capped at two seconds.
const DELAY_STEP_MS: u64 = 250;

pub enum Verdict {
    /// Go ahead after waiting this long.
    Allowed(std::time::Duration),
    Locked {
        until: DateTime<Utc>,
    },
}

/// Whether `account` (e.g. `staff:erika@musterstadt.de`) may try to log in now.
pub async fn check(db: &Db, tenant_id: Uuid, account: &str, origin: &Origin) -> Result<Verdict> {
    let since = Utc::now() - WINDOW;
    let by_account = login_failure::Entity::find()
        .filter(login_failure::Column::TenantId.eq(tenant_id))
        .filter(login_failure::Column::Account.eq(account))
        .filter(login_failure::Column::At.gt(since));
    let account_failures = by_account.clone().count(db.conn()).await?;
    if account_failures >= ACCOUNT_LIMIT {
        return locked_until(db, by_account).await;
    }
    let mut ip_failures = 0;
    if let Some(ip) = &origin.ip {
        let by_ip = login_failure::Entity::find()
            .filter(login_failure::Column::TenantId.eq(tenant_id))
            .filter(login_failure::Column::Ip.eq(ip.as_str()))
            .filter(login_failure::Column::At.gt(since));
        ip_failures = by_ip.clone().count(db.conn()).await?;
        if ip_failures >= IP_LIMIT {
            return locked_until(db, by_ip).await;
        }
    }
    let steps = account_failures.max(ip_failures / 4);
    Ok(Verdict::Allowed(std::time::Duration::from_millis(
        (steps * DELAY_STEP_MS).min(2000),
    )))
}

async fn locked_until(
    db: &Db,
    failures: sea_orm::Select<login_failure::Entity>,
) -> Result<Verdict> {
    let oldest = failures
        .order_by_asc(login_failure::Column::At)
        .one(db.conn())
        .await?
        .map_or_else(Utc::now, |f| f.at);
    Ok(Verdict::Locked {
        until: oldest + WINDOW,
    })
}

pub async fn record_failure(
    db: &Db,
    tenant_id: Uuid,
    account: &str,
    origin: &Origin,
) -> Result<()> {
    login_failure::Entity::insert(login_failure::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        account: Set(account.to_owned()),
        ip: Set(origin.ip.clone()),
        at: Set(Utc::now()),
    })
    .exec_without_returning(db.conn())
    .await?;
    Ok(())
}

/// Forgets failures that no longer count (run by the maintenance job).
/// Forgets the failures counted for an account, e.g. once its owner reset the password.
pub async fn forget(conn: &impl ConnectionTrait, tenant_id: Uuid, account: &str) -> Result<()> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::TenantId.eq(tenant_id))
        .filter(login_failure::Column::Account.eq(account))
        .exec(conn)
        .await?;
    Ok(())
}

/// The key failures are counted under: the kind of account and its e-mail address.
pub fn account_key(prefix: &str, email: &str) -> String {
    format!("{prefix}:{email}")
}

pub async fn purge_old(db: &Db) -> Result<u64> {
    let result = login_failure::Entity::delete_many()
        .filter(login_failure::Column::At.lt(Utc::now() - WINDOW))
        .exec(db.conn())
        .await?;
    Ok(result.rows_affected)
}

/// The outcome of a guarded login attempt.
pub enum Attempt<T> {
    Succeeded(T),
    Failed,
    Locked { until: DateTime<Utc> },
}

/// Runs `check_password` unless the account or address is locked, after the delay the
/// earlier failures earned; records and audits failures (`<prefix>.login_failed`) and
/// refusals (`<prefix>.login_locked`).
pub async fn guarded<T>(
    db: &Db,
    tenant_id: Uuid,
    prefix: &str,
    email: &str,
    origin: &Origin,
    check_password: impl Future<Output = Result<Option<T>>>,
) -> Result<Attempt<T>> {
    let account = account_key(prefix, email);
    match check(db, tenant_id, &account, origin).await? {
        Verdict::Locked { until } => {
            let action = format!("{prefix}.login_locked");
            audit::failed_login(db, tenant_id, email, &action, prefix, origin).await?;
            return Ok(Attempt::Locked { until });
        }
        Verdict::Allowed(delay) => tokio::time::sleep(delay).await,
    }
    match check_password.await? {
        Some(value) => Ok(Attempt::Succeeded(value)),
        None => {
            record_failure(db, tenant_id, &account, origin).await?;
            let action = format!("{prefix}.login_failed");
            audit::failed_login(db, tenant_id, email, &action, prefix, origin).await?;
            Ok(Attempt::Failed)
        }
    }
}
