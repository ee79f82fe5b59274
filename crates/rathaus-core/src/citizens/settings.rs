//! What a logged-in citizen manages: the profile, the password, the e-mail address,
//! and the account itself.
//!
//! Changing the password or the address, and deleting the account, ask for the current
//! password again: a session left open on a shared computer must not be enough.

use chrono::{Datelike, NaiveDate, Utc};
use rathaus_store::Db;
use rathaus_store::entities::citizen;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::registration::{already_registered, in_tenant, valid_address};
use super::{Citizen, by_email, normalize_email, record, replace_password, send, subject, tokens};
use crate::actor::Origin;
use crate::error::Result;
use crate::login_guard;
use crate::mail;
use crate::mail::letter;
use crate::organisations;
use crate::passwords::{self, Weakness};
use crate::sessions;
use crate::tenants::Tenant;

/// The profile as the person enters it. Empty fields are allowed: a form assistant
/// asks for what it needs.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub given_name: String,
    pub family_name: String,
    /// As typed, `YYYY-MM-DD` (the date input of the form).
    pub birth_date: String,
    pub street: String,
    pub house_number: String,
    pub postcode: String,
    pub city: String,
    pub phone: String,
    /// de | en
    pub preferred_language: String,
    /// How letters reach the person: `postbox` | `paper`.
    pub delivery: String,
}

impl Profile {
    pub fn of(account: &Citizen) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            given_name: text(&account.given_name),
            family_name: text(&account.family_name),
            birth_date: account
                .birth_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            street: text(&account.street),
            house_number: text(&account.house_number),
            postcode: text(&account.postcode),
            city: text(&account.city),
            phone: text(&account.phone),
            preferred_language: account.preferred_language.clone(),
            delivery: account.delivery.clone(),
        }
    }
}

/// A field of the profile that was refused, for the form to explain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileProblem {
    TooLong(&'static str),
    BirthDate,
    Postcode,
    Phone,
    Language,
    Delivery,
}

const MAX_TEXT: usize = 100;

fn check(profile: &Profile) -> (Option<NaiveDate>, Vec<ProfileProblem>) {
    let mut problems = Vec::new();
    for (field, value) in [
        ("given_name", &profile.given_name),
        ("family_name", &profile.family_name),
        ("street", &profile.street),
        ("house_number", &profile.house_number),
        ("city", &profile.city),
    ] {
        if value.trim().chars().count() > MAX_TEXT {
            problems.push(ProfileProblem::TooLong(field));
        }
    }
    let birth_date = match profile.birth_date.trim() {
        "" => None,
        typed => {
            let parsed = NaiveDate::parse_from_str(typed, "%Y-%m-%d").ok();
            let plausible = parsed.filter(|d| d.year() >= 1900 && *d <= Utc::now().date_naive());
            if plausible.is_none() {
                problems.push(ProfileProblem::BirthDate);
            }
            plausible
        }
    };
    let postcode = profile.postcode.trim();
    let german_postcode = postcode.len() == 5 && postcode.bytes().all(|b| b.is_ascii_digit());
    if !postcode.is_empty() && !german_postcode {
        problems.push(ProfileProblem::Postcode);
    }
    let phone = profile.phone.trim();
    let phone_chars = |c: char| c.is_ascii_digit() || " +-/()".contains(c);
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if !phone.is_empty() && (!phone.chars().all(phone_chars) || !(3..=20).contains(&digits)) {
        problems.push(ProfileProblem::Phone);
    }
    if !matches!(profile.preferred_language.as_str(), "de" | "en") {
        problems.push(ProfileProblem::Language);
    }
    if !matches!(profile.delivery.as_str(), "postbox" | "paper") {
        problems.push(ProfileProblem::Delivery);
    }
    (birth_date, problems)
}

fn optional(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Saves the profile. Identity data confirmed by an identity provider (name, birth
/// date, address) stays as the provider said, whatever the form sent.
pub async fn update_profile(
    db: &Db,
    account: &Citizen,
    profile: &Profile,
    origin: &Origin,
) -> Result<Result<(), Vec<ProfileProblem>>> {
    let (birth_date, problems) = check(profile);
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let txn = db.begin_write().await?;
    let mut update = citizen::Entity::update_many()
        .col_expr(
            citizen::Column::Phone,
            Expr::value(optional(&profile.phone)),
        )
        .col_expr(
            citizen::Column::PreferredLanguage,
            Expr::value(profile.preferred_language.clone()),
        )
        .col_expr(
            citizen::Column::Delivery,
            Expr::value(profile.delivery.clone()),
        );
    if account.identity_verified_by.is_none() {
        update = update
            .col_expr(
                citizen::Column::GivenName,
                Expr::value(optional(&profile.given_name)),
            )
            .col_expr(
                citizen::Column::FamilyName,
                Expr::value(optional(&profile.family_name)),
            )
            .col_expr(citizen::Column::BirthDate, Expr::value(birth_date))
            .col_expr(
                citizen::Column::Street,
                Expr::value(optional(&profile.street)),
            )
            .col_expr(
                citizen::Column::HouseNumber,
                Expr::value(optional(&profile.house_number)),
            )
            .col_expr(
                citizen::Column::Postcode,
                Expr::value(optional(&profile.postcode)),
            )
            .col_expr(citizen::Column::City, Expr::value(optional(&profile.city)));
    }
    update
        .filter(citizen::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    record(&txn, account, origin, "profile_update").await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// How a logged-in person confirms a sensitive change: with the current password, or —
/// for an account without one (eID login only) — by a login less than
/// `RECENT_LOGIN` ago.
pub struct Confirmation<'a> {
    pub password: &'a str,
    pub session_token: &'a str,
}

pub const RECENT_LOGIN: chrono::Duration = chrono::Duration::minutes(10);

/// Checks the confirmation. Wrong passwords count like failed logins (so an open
/// session cannot be used to guess the password).
async fn confirm_password(
    db: &Db,
    account: &Citizen,
    confirmation: &Confirmation<'_>,
    origin: &Origin,
) -> Result<bool> {
    let Some(stored) = account.password_hash.as_deref() else {
        return sessions::started_within(db.conn(), confirmation.session_token, RECENT_LOGIN).await;
    };
    let check = async {
        let ok = passwords::verify(confirmation.password, Some(stored)).await;
        Ok(ok.then_some(()))
    };
    let attempt = login_guard::guarded(
        db,
        account.tenant_id,
        "citizen",
        &account.email,
        origin,
        check,
    )
    .await?;
    Ok(matches!(attempt, login_guard::Attempt::Succeeded(())))
}

pub enum PasswordChange {
    /// The new session that replaces all earlier ones.
    Changed {
        token: String,
    },
    WrongPassword,
    Weak(Weakness),
}

/// Changes the password. All sessions end (a thief's too); the caller gets a fresh one.
pub async fn change_password(
    db: &Db,
    tenant: &Tenant,
    account: &Citizen,
    confirmation: Confirmation<'_>,
    new_password: &str,
    origin: &Origin,
) -> Result<PasswordChange> {
    if !confirm_password(db, account, &confirmation, origin).await? {
        return Ok(PasswordChange::WrongPassword);
    }
    if let Err(weakness) = passwords::check_new(new_password, &account.email) {
        return Ok(PasswordChange::Weak(weakness));
    }
    let new_hash = passwords::hash(new_password).await?;
    let txn = db.begin_write().await?;
    replace_password(&txn, tenant, account, new_hash).await?;
    let trust = Some(crate::trust::TrustLevel::Basis);
    let token = sessions::start_with_trust(&txn, tenant.id, subject(account), trust).await?;
    record(&txn, account, origin, "password_change").await?;
    txn.commit().await?;
    Ok(PasswordChange::Changed { token })
}

pub enum EmailChangeOutcome {
    /// A link went to the new address (or, if it is taken, a notice to its owner).
    Sent,
    WrongPassword,
    InvalidAddress,
}

/// Starts a change of address: the new address must be confirmed by link before it
/// replaces the old one. Whether the new address is taken is not revealed here.
pub async fn request_email_change(
    db: &Db,
    tenant: &Tenant,
    account: &Citizen,
    confirmation: Confirmation<'_>,
    new_email: &str,
    link_base: &str,
    origin: &Origin,
) -> Result<EmailChangeOutcome> {
    let new_email = normalize_email(new_email);
    if !valid_address(&new_email) || new_email == account.email {
        return Ok(EmailChangeOutcome::InvalidAddress);
    }
    if !confirm_password(db, account, &confirmation, origin).await? {
        return Ok(EmailChangeOutcome::WrongPassword);
    }
    let txn = db.begin_write().await?;
    let mail = if by_email(&txn, tenant.id, &new_email).await?.is_some() {
        already_registered(tenant, &new_email, link_base)
    } else {
        tokens::revoke_all(&txn, account.id, tokens::CHANGE_EMAIL).await?;
        let token = tokens::issue(
            &txn,
            account.id,
            tokens::CHANGE_EMAIL,
            Some(new_email.clone()),
        )
        .await?;
        let text = format!(
            "bitte bestätigen Sie, dass Ihr Konto bei {name} künftig diese E-Mail-Adresse \
             verwendet, indem Sie diesen Link öffnen:\n\n{link_base}/konto/email-bestaetigen/{token}\n\n\
             Der Link gilt {hours} Stunden und nur einmal. Bis dahin bleibt die bisherige Adresse gültig.",
            name = tenant.name,
            hours = tokens::CHANGE_EMAIL.validity.num_hours()
        );
        letter(tenant, &new_email, "Neue E-Mail-Adresse bestätigen", &text)
    };
    mail::enqueue(&txn, tenant.id, mail).await?;
    record(&txn, account, origin, "email_change_requested").await?;
    txn.commit().await?;
    Ok(EmailChangeOutcome::Sent)
}

/// Follows the link sent to the new address. False when the link is unknown, used,
/// expired, or the address was taken in the meantime.
pub async fn confirm_email_change(
    db: &Db,
    tenant: &Tenant,
    token: &str,
    origin: &Origin,
) -> Result<bool> {
    let txn = db.begin_write().await?;
    let Some(stored) = tokens::claim(&txn, token, tokens::CHANGE_EMAIL).await? else {
        return Ok(false);
    };
    let (Some(account), Some(new_email)) = (
        in_tenant(&txn, stored.citizen_id, tenant.id).await?,
        stored.payload,
    ) else {
        return Ok(false);
    };
    if by_email(&txn, tenant.id, &new_email).await?.is_some() {
        return Ok(false);
    }
    citizen::Entity::update_many()
        .col_expr(citizen::Column::Email, Expr::value(new_email.clone()))
        .col_expr(citizen::Column::EmailConfirmedAt, Expr::value(Utc::now()))
        .filter(citizen::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    let text = format!(
        "Ihr Konto verwendet ab sofort die E-Mail-Adresse {new_email}. Wenn Sie das nicht \
         veranlasst haben, wenden Sie sich bitte umgehend an uns."
    );
    send(
        &txn,
        tenant,
        &account.email,
        "Ihre E-Mail-Adresse wurde geändert",
        &text,
    )
    .await?;
    record(&txn, &account, origin, "email_change").await?;
    txn.commit().await?;
    Ok(true)
}

/// Deletes the account: the profile, the login and all sessions and links are erased.
/// What the town hall must keep stays, without the account: the audit log (security
/// record, kept for its own period) and, once there are applications, the applications
/// and cases with the applicant's data as submitted (kept under the retention rules of
/// each service). Organisations the account alone administers go with it if nobody else
/// is in them; otherwise the deletion waits until another member is admin.
pub async fn delete_account(
    db: &Db,
    tenant: &Tenant,
    account: &Citizen,
    confirmation: Confirmation<'_>,
    origin: &Origin,
) -> Result<Deletion> {
    if !confirm_password(db, account, &confirmation, origin).await? {
        return Ok(Deletion::WrongPassword);
    }
    let txn = db.begin_write().await?;
    if let Err(organisations) = organisations::release_for_deletion(&txn, account).await? {
        return Ok(Deletion::SoleAdminOf(organisations));
    }
    sessions::end_all(&txn, subject(account)).await?;
    let guard_key = login_guard::account_key("citizen", &account.email);
    login_guard::forget(&txn, tenant.id, &guard_key).await?;
    // Tokens go with the account (foreign key, on delete cascade).
    citizen::Entity::delete_by_id(account.id).exec(&txn).await?;
    let text = "Ihr Konto wurde auf Ihren Wunsch gelöscht. Ihre Profildaten und Ihre \
                Anmeldedaten sind entfernt. Anträge, die Sie gestellt haben, bleiben bei uns, \
                solange das Gesetz es verlangt.";
    send(
        &txn,
        tenant,
        &account.email,
        "Ihr Konto wurde gelöscht",
        text,
    )
    .await?;
    record(&txn, account, origin, "delete").await?;
    txn.commit().await?;
    Ok(Deletion::Deleted)
}

pub enum Deletion {
    Deleted,
    WrongPassword,
    /// The account is the only admin of these organisations, which have other members.
    SoleAdminOf(Vec<String>),
}
