//! Logins of staff and citizens, kept in the database so that every server of an
//! installation knows them.
//!
//! A session ends after a period without activity (idle timeout) and in any case after
//! an absolute lifetime. Every login creates a fresh token, so a token planted before
//! the login (session fixation) is worthless; logging out can end one session or all
//! of a person's sessions.

use chrono::{DateTime, Duration, Utc};
use rathaus_store::Db;
use rathaus_store::entities::session;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::Result;
use crate::secrets::{new_token, token_hash};
use crate::trust::TrustLevel;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    Staff,
    /// A staff member who gave the right password but not yet the second factor: this
    /// session opens nothing but the second-factor page.
    StaffPending,
    Citizen,
}

impl SubjectKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::StaffPending => "staff_pending",
            Self::Citizen => "citizen",
        }
    }

    /// (idle, absolute): staff work a day with breaks; citizens come for one errand.
    pub fn timeouts(self) -> (Duration, Duration) {
        match self {
            Self::Staff => (Duration::minutes(30), Duration::hours(10)),
            Self::StaffPending => (Duration::minutes(10), Duration::minutes(10)),
            Self::Citizen => (Duration::minutes(30), Duration::hours(4)),
        }
    }
}

/// Who a session belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: Uuid,
}

/// Opens a session inside the caller's transaction and returns its token.
pub async fn start(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    subject: Subject,
) -> Result<String> {
    start_with_trust(conn, tenant_id, subject, None).await
}

/// Opens a session that records how sure the login is of the person.
pub async fn start_with_trust(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    subject: Subject,
    trust: Option<TrustLevel>,
) -> Result<String> {
    let token = new_token();
    let now = Utc::now();
    session::Entity::insert(session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        tenant_id: Set(tenant_id),
        subject_kind: Set(subject.kind.as_str().to_owned()),
        subject_id: Set(subject.id),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + subject.kind.timeouts().1),
        trust_level: Set(trust.map(|t| t.as_str().to_owned())),
        acting_for: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(token)
}

/// The subject of a valid session of this kind in this tenant; refreshes its idle timer.
pub async fn resolve(
    db: &Db,
    tenant_id: Uuid,
    kind: SubjectKind,
    token: &str,
) -> Result<Option<Subject>> {
    let hash = token_hash(token);
    let Some(found) = session::Entity::find_by_id(hash.clone())
        .one(db.conn())
        .await?
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let (idle, _) = kind.timeouts();
    let valid = found.tenant_id == tenant_id
        && found.subject_kind == kind.as_str()
        && found.expires_at > now
        && found.last_seen_at + idle > now;
    if !valid {
        return Ok(None);
    }
    // Writing on every request would cost more than it tells; a minute is precise enough.
    if now - found.last_seen_at > Duration::minutes(1) {
        touch(db, &hash, now).await?;
    }
    Ok(Some(Subject {
        kind,
        id: found.subject_id,
    }))
}

async fn touch(db: &Db, hash: &str, now: DateTime<Utc>) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, Expr::value(now))
        .filter(session::Column::TokenHash.eq(hash))
        .exec(db.conn())
        .await?;
    Ok(())
}

/// How sure the login of this session is of the person (`Basis` for a password login).
pub async fn trust_level(conn: &impl ConnectionTrait, token: &str) -> Result<TrustLevel> {
    let found = session::Entity::find_by_id(token_hash(token))
        .one(conn)
        .await?;
    Ok(found
        .and_then(|s| s.trust_level)
        .and_then(|level| TrustLevel::parse(&level))
        .unwrap_or(TrustLevel::Basis))
}

/// Lets the session act for an organisation (or for the person alone, with `None`)
/// under a new token, in the caller's transaction: what a session may do changed, so
/// its id changes too, and a token seen before is worth nothing after. The timeouts
/// run on. Returns the new token (`None`: the session has ended meanwhile). The caller
/// has checked membership.
pub async fn act_for_renewed(
    conn: &impl ConnectionTrait,
    token: &str,
    organisation: Option<Uuid>,
) -> Result<Option<String>> {
    let Some(old) = session::Entity::find_by_id(token_hash(token))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let renewed = new_token();
    session::Entity::insert(session::ActiveModel {
        token_hash: Set(token_hash(&renewed)),
        tenant_id: Set(old.tenant_id),
        subject_kind: Set(old.subject_kind),
        subject_id: Set(old.subject_id),
        created_at: Set(old.created_at),
        last_seen_at: Set(Utc::now()),
        expires_at: Set(old.expires_at),
        trust_level: Set(old.trust_level),
        acting_for: Set(organisation),
    })
    .exec_without_returning(conn)
    .await?;
    session::Entity::delete_by_id(old.token_hash)
        .exec(conn)
        .await?;
    Ok(Some(renewed))
}

/// The organisation the session acts for, if any.
pub async fn acting_for(conn: &impl ConnectionTrait, token: &str) -> Result<Option<Uuid>> {
    let found = session::Entity::find_by_id(token_hash(token))
        .one(conn)
        .await?;
    Ok(found.and_then(|s| s.acting_for))
}

/// Whether the session was opened (by a login) less than `within` ago: proof of a
/// recent authentication for accounts that have no password to ask for.
pub async fn started_within(
    conn: &impl ConnectionTrait,
    token: &str,
    within: Duration,
) -> Result<bool> {
    let found = session::Entity::find_by_id(token_hash(token))
        .one(conn)
        .await?;
    Ok(found.is_some_and(|s| s.created_at > Utc::now() - within))
}

/// Ends one session.
pub async fn end(conn: &impl ConnectionTrait, token: &str) -> Result<()> {
    session::Entity::delete_by_id(token_hash(token))
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends every session of a person ("log out everywhere", password change).
pub async fn end_all(conn: &impl ConnectionTrait, subject: Subject) -> Result<u64> {
    let result = session::Entity::delete_many()
        .filter(session::Column::SubjectKind.eq(subject.kind.as_str()))
        .filter(session::Column::SubjectId.eq(subject.id))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

/// Deletes sessions past their absolute end (run by the maintenance job).
pub async fn purge_expired(conn: &impl ConnectionTrait) -> Result<u64> {
    let result = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lt(Utc::now()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}
