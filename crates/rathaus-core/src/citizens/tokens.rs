//! One-time tokens sent by e-mail. Only the SHA-256 of a token is stored; a token
//! expires and works once.

use chrono::{Duration, Utc};
use rathaus_store::entities::citizen_token;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::error::Result;
use crate::secrets::{new_token, token_hash};

#[derive(Clone, Copy)]
pub(super) struct Purpose {
    pub name: &'static str,
    pub validity: Duration,
}

pub(super) const CONFIRM_EMAIL: Purpose = Purpose {
    name: "confirm_email",
    validity: Duration::hours(48),
};
pub(super) const RESET_PASSWORD: Purpose = Purpose {
    name: "reset_password",
    validity: Duration::hours(1),
};
pub(super) const CHANGE_EMAIL: Purpose = Purpose {
    name: "change_email",
    validity: Duration::hours(48),
};

/// Creates a token for the account and returns it (to be put in a link).
pub(super) async fn issue(
    conn: &impl ConnectionTrait,
    citizen_id: Uuid,
    purpose: Purpose,
    payload: Option<String>,
) -> Result<String> {
    let token = new_token();
    citizen_token::Entity::insert(citizen_token::ActiveModel {
        token_hash: Set(token_hash(&token)),
        citizen_id: Set(citizen_id),
        purpose: Set(purpose.name.into()),
        expires_at: Set(Utc::now() + purpose.validity),
        used_at: Set(None),
        payload: Set(payload),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(token)
}

/// Uses up a token: returns it when it exists for this purpose, is unused and not
/// expired. Marking it used is the check, so only one request can win.
pub(super) async fn claim(
    conn: &impl ConnectionTrait,
    token: &str,
    purpose: Purpose,
) -> Result<Option<citizen_token::Model>> {
    let now = Utc::now();
    let hash = token_hash(token);
    let claimed = citizen_token::Entity::update_many()
        .col_expr(citizen_token::Column::UsedAt, Expr::value(now))
        .filter(citizen_token::Column::TokenHash.eq(hash.as_str()))
        .filter(citizen_token::Column::Purpose.eq(purpose.name))
        .filter(citizen_token::Column::UsedAt.is_null())
        .filter(citizen_token::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    Ok(citizen_token::Entity::find_by_id(hash).one(conn).await?)
}

/// How many unused, unexpired tokens of this purpose the account has.
pub(super) async fn open_count(
    conn: &impl ConnectionTrait,
    citizen_id: Uuid,
    purpose: Purpose,
) -> Result<u64> {
    Ok(citizen_token::Entity::find()
        .filter(citizen_token::Column::CitizenId.eq(citizen_id))
        .filter(citizen_token::Column::Purpose.eq(purpose.name))
        .filter(citizen_token::Column::UsedAt.is_null())
        .filter(citizen_token::Column::ExpiresAt.gt(Utc::now()))
        .count(conn)
        .await?)
}

/// Makes every open token of this purpose useless (e.g. older reset links once the
/// password was reset).
pub(super) async fn revoke_all(
    conn: &impl ConnectionTrait,
    citizen_id: Uuid,
    purpose: Purpose,
) -> Result<()> {
    citizen_token::Entity::update_many()
        .col_expr(citizen_token::Column::UsedAt, Expr::value(Utc::now()))
        .filter(citizen_token::Column::CitizenId.eq(citizen_id))
        .filter(citizen_token::Column::Purpose.eq(purpose.name))
        .filter(citizen_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// The token if it is usable now, without using it up.
pub(super) async fn peek(
    conn: &impl ConnectionTrait,
    token: &str,
    purpose: Purpose,
) -> Result<Option<citizen_token::Model>> {
    let found = citizen_token::Entity::find_by_id(token_hash(token))
        .one(conn)
        .await?;
    Ok(found
        .filter(|t| t.purpose == purpose.name && t.used_at.is_none() && t.expires_at > Utc::now()))
}
