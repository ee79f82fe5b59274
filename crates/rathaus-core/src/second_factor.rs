//! The second factor of staff logins: TOTP codes from an authenticator app (RFC 6238:
//! SHA-1, 6 digits, 30-second steps, one step of clock drift either way) and one-time
//! recovery codes for a lost phone.
//!
//! A code is accepted once: the step it belongs to is remembered, and a conditional
//! update makes two requests with the same code race for it, so only one wins.

use chrono::{DateTime, Utc};
use rathaus_store::entities::{staff_recovery_code, staff_totp};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::secrets::token_hash;

const STEP_SECONDS: i64 = 30;
const RECOVERY_CODES: usize = 10;
/// Recovery code characters: no 0/O, 1/I/L, so they can be read out and typed.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// What a person needs to set up the authenticator app.
pub struct Enrolment {
    /// Base32, for typing into the app by hand.
    pub secret: String,
    /// `otpauth://totp/…`, for the QR code.
    pub uri: String,
}

fn totp(secret: &str) -> Result<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| CoreError::Invalid(format!("stored TOTP secret is not base32: {e:?}")))?;
    Ok(TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS as u64,
        bytes,
    ))
}

/// The code an authenticator app shows for `secret` at `unix_seconds` (tests use it to
/// play the app).
pub fn code_at(secret: &str, unix_seconds: i64) -> Result<String> {
    Ok(totp(secret)?.generate(unix_seconds as u64))
}

pub async fn is_enrolled(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<bool> {
    let row = staff_totp::Entity::find_by_id(staff_id).one(conn).await?;
    Ok(row.is_some_and(|r| r.confirmed_at.is_some()))
}

/// The secret to enrol with: the one offered before if the person has not confirmed it
/// yet (so reloading the page does not change the QR code), otherwise a new one.
pub async fn enrolment(
    conn: &impl ConnectionTrait,
    staff_id: Uuid,
    account: &str,
    issuer: &str,
) -> Result<Enrolment> {
    let secret = match staff_totp::Entity::find_by_id(staff_id).one(conn).await? {
        Some(row) if row.confirmed_at.is_none() => row.secret,
        Some(_) => {
            return Err(CoreError::Invalid(
                "the second factor is already set up".into(),
            ));
        }
        None => {
            let secret = Secret::Raw(rand::random::<[u8; 20]>().to_vec())
                .to_encoded()
                .to_string();
            staff_totp::Entity::insert(staff_totp::ActiveModel {
                staff_id: Set(staff_id),
                secret: Set(secret.clone()),
                confirmed_at: Set(None),
                last_step: Set(0),
                created_at: Set(Utc::now()),
            })
            .exec_without_returning(conn)
            .await?;
            secret
        }
    };
    let label = |s: &str| s.replace(':', " ").replace(' ', "%20");
    let uri = format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        issuer = label(issuer),
        account = label(account),
    );
    Ok(Enrolment { secret, uri })
}

/// Sets up a known secret as confirmed (demo staff, whose secrets are published).
pub async fn enrol_with(conn: &impl ConnectionTrait, staff_id: Uuid, secret: &str) -> Result<()> {
    totp(secret)?;
    staff_totp::Entity::insert(staff_totp::ActiveModel {
        staff_id: Set(staff_id),
        secret: Set(secret.to_owned()),
        confirmed_at: Set(Some(Utc::now())),
        last_step: Set(0),
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

pub enum Checked {
    Rejected,
    Accepted,
    /// The first right code confirmed the enrolment; these recovery codes are shown
    /// once and never again.
    Enrolled {
        recovery_codes: Vec<String>,
    },
}

/// Checks what the person typed: a code from the app, or (once set up) a recovery code.
pub async fn check(
    conn: &impl ConnectionTrait,
    staff_id: Uuid,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<Checked> {
    let typed: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase();
    let Some(row) = staff_totp::Entity::find_by_id(staff_id).one(conn).await? else {
        return Ok(Checked::Rejected);
    };
    if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
        return check_totp(conn, &row, &typed, now).await;
    }
    if row.confirmed_at.is_some() && use_recovery_code(conn, staff_id, &typed).await? {
        return Ok(Checked::Accepted);
    }
    Ok(Checked::Rejected)
}

async fn check_totp(
    conn: &impl ConnectionTrait,
    row: &staff_totp::Model,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<Checked> {
    let generator = totp(&row.secret)?;
    let current = now.timestamp() / STEP_SECONDS;
    let matching = (current - 1..=current + 1)
        .filter(|step| *step > row.last_step)
        .find(|step| generator.generate((step * STEP_SECONDS) as u64) == typed);
    let Some(step) = matching else {
        return Ok(Checked::Rejected);
    };
    let claimed = staff_totp::Entity::update_many()
        .col_expr(staff_totp::Column::LastStep, Expr::value(step))
        .filter(staff_totp::Column::StaffId.eq(row.staff_id))
        .filter(staff_totp::Column::LastStep.lt(step))
        .exec(conn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(Checked::Rejected);
    }
    if row.confirmed_at.is_some() {
        return Ok(Checked::Accepted);
    }
    staff_totp::Entity::update_many()
        .col_expr(staff_totp::Column::ConfirmedAt, Expr::value(now))
        .filter(staff_totp::Column::StaffId.eq(row.staff_id))
        .exec(conn)
        .await?;
    let recovery_codes = new_recovery_codes(conn, row.staff_id).await?;
    Ok(Checked::Enrolled { recovery_codes })
}

async fn use_recovery_code(
    conn: &impl ConnectionTrait,
    staff_id: Uuid,
    typed: &str,
) -> Result<bool> {
    let used = staff_recovery_code::Entity::update_many()
        .col_expr(staff_recovery_code::Column::UsedAt, Expr::value(Utc::now()))
        .filter(staff_recovery_code::Column::CodeHash.eq(token_hash(typed)))
        .filter(staff_recovery_code::Column::StaffId.eq(staff_id))
        .filter(staff_recovery_code::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(used.rows_affected == 1)
}

/// Replaces the person's recovery codes with new ones and returns them (`XXXXX-XXXXX`).
pub async fn new_recovery_codes(
    conn: &impl ConnectionTrait,
    staff_id: Uuid,
) -> Result<Vec<String>> {
    staff_recovery_code::Entity::delete_many()
        .filter(staff_recovery_code::Column::StaffId.eq(staff_id))
        .exec(conn)
        .await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let chars: String = (0..10)
            .map(|_| CODE_ALPHABET[rand::random_range(0..CODE_ALPHABET.len())] as char)
            .collect();
        staff_recovery_code::Entity::insert(staff_recovery_code::ActiveModel {
            code_hash: Set(token_hash(&chars)),
            staff_id: Set(staff_id),
            used_at: Set(None),
        })
        .exec_without_returning(conn)
        .await?;
        codes.push(format!("{}-{}", &chars[..5], &chars[5..]));
    }
    Ok(codes)
}

/// How many unused recovery codes the person has left.
pub async fn recovery_codes_left(conn: &impl ConnectionTrait, staff_id: Uuid) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(staff_recovery_code::Entity::find()
        .filter(staff_recovery_code::Column::StaffId.eq(staff_id))
        .filter(staff_recovery_code::Column::UsedAt.is_null())
        .count(conn)
        .await?)
}
