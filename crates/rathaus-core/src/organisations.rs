//! Organisations: a business or association with citizen accounts as members. Whoever
//! creates one is its first admin; admins invite others by e-mail link, change their
//! roles and remove them; every member can act for it (a session acts for one
//! organisation at a time). Admins and members see all of the organisation's
//! applications, submitters only those they made themselves. An organisation always
//! keeps at least one admin.

use chrono::{Duration, Utc};
use rathaus_store::Db;
use rathaus_store::entities::{
    citizen, organisation, organisation_invitation, organisation_member,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::actor::Origin;
use crate::audit::{self, Event};
use crate::citizens::{Citizen, citizen_actor};
use crate::error::{CoreError, Result};
use crate::mail::{self, Mail};
use crate::policy::{self, OrganisationAction};
use crate::secrets::{new_token, token_hash};
use crate::sessions;
use crate::tenants::Tenant;

pub type Organisation = organisation::Model;

pub const ADMIN: &str = "admin";
pub const MEMBER: &str = "member";
/// Acts for the organisation, but sees only the applications they made themselves (a
/// branch's clerk who should not read the other branches' applications).
pub const SUBMITTER: &str = "submitter";
/// The roles an admin can give, from the most rights to the fewest.
pub const ROLES: [&str; 3] = [ADMIN, MEMBER, SUBMITTER];

/// How far down [`ROLES`] a role is (an unknown one last).
fn rank(role: &str) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap_or(ROLES.len())
}

fn known_role(role: &str) -> Result<&'static str> {
    ROLES
        .into_iter()
        .find(|r| *r == role)
        .ok_or_else(|| CoreError::Invalid(format!("'{role}' is not a role in an organisation")))
}
const INVITATION_VALIDITY: Duration = Duration::days(7);

/// A member as the organisation page lists them.
pub struct Member {
    pub citizen_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
}

async fn role_of(
    conn: &impl ConnectionTrait,
    organisation_id: Uuid,
    citizen_id: Uuid,
) -> Result<Option<String>> {
    let found = organisation_member::Entity::find_by_id((organisation_id, citizen_id))
        .one(conn)
        .await?;
    Ok(found.map(|m| m.role))
}

/// The organisation, if `account` may do `action` with it.
async fn checked(
    conn: &impl ConnectionTrait,
    account: &Citizen,
    organisation_id: Uuid,
    action: OrganisationAction,
) -> Result<Organisation> {
    let found = organisation::Entity::find_by_id(organisation_id)
        .one(conn)
        .await?
        .filter(|o| o.tenant_id == account.tenant_id)
        .ok_or_else(|| CoreError::NotFound("organisation".into()))?;
    let role = role_of(conn, organisation_id, account.id).await?;
    policy::require_in_organisation(role.as_deref(), action)?;
    Ok(found)
}

async fn record(
    txn: &sea_orm::DatabaseTransaction,
    account: &Citizen,
    origin: &Origin,
    action: &str,
    organisation_id: Uuid,
) -> Result<()> {
    let event =
        Event::new(format!("organisation.{action}"), "organisation").object(organisation_id);
    audit::record(txn, &citizen_actor(account), origin, event).await?;
    Ok(())
}

/// Creates an organisation with `account` as its admin. None when the name is unusable.
pub async fn create(
    db: &Db,
    account: &Citizen,
    name: &str,
    origin: &Origin,
) -> Result<Option<Organisation>> {
    let name = name.trim();
    if !(2..=200).contains(&name.chars().count()) {
        return Ok(None);
    }
    let created = Organisation {
        id: Uuid::now_v7(),
        tenant_id: account.tenant_id,
        name: name.to_owned(),
        created_at: Utc::now(),
    };
    let txn = db.begin_write().await?;
    organisation::Entity::insert(organisation::ActiveModel {
        id: Set(created.id),
        tenant_id: Set(created.tenant_id),
        name: Set(created.name.clone()),
        created_at: Set(created.created_at),
    })
    .exec_without_returning(&txn)
    .await?;
    add_member(&txn, created.id, account.id, ADMIN).await?;
    record(&txn, account, origin, "create", created.id).await?;
    txn.commit().await?;
    Ok(Some(created))
}

async fn add_member(
    conn: &impl ConnectionTrait,
    organisation_id: Uuid,
    citizen_id: Uuid,
    role: &str,
) -> Result<()> {
    organisation_member::Entity::insert(organisation_member::ActiveModel {
        organisation_id: Set(organisation_id),
        citizen_id: Set(citizen_id),
        role: Set(role.to_owned()),
        joined_at: Set(Utc::now()),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The citizen as applicant: with the organisations whose applications they see.
pub async fn applicant(
    conn: &impl ConnectionTrait,
    citizen_id: Uuid,
) -> Result<crate::policy::Applicant> {
    let organisations = organisation_member::Entity::find()
        .filter(organisation_member::Column::CitizenId.eq(citizen_id))
        .all(conn)
        .await?
        .into_iter()
        .filter(|m| policy::sees_organisation_applications(&m.role))
        .map(|m| m.organisation_id)
        .collect();
    Ok(crate::policy::Applicant {
        citizen_id,
        organisations,
    })
}

/// The organisations `account` belongs to, with its role in each.
pub async fn of_member(db: &Db, account: &Citizen) -> Result<Vec<(Organisation, String)>> {
    let memberships = organisation_member::Entity::find()
        .filter(organisation_member::Column::CitizenId.eq(account.id))
        .all(db.conn())
        .await?;
    let mut result = Vec::with_capacity(memberships.len());
    for membership in memberships {
        if let Some(found) = organisation::Entity::find_by_id(membership.organisation_id)
            .one(db.conn())
            .await?
        {
            result.push((found, membership.role));
        }
    }
    result.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    Ok(result)
}

/// The organisation and its members, for a member to see; also `account`'s role.
pub async fn with_members(
    db: &Db,
    account: &Citizen,
    organisation_id: Uuid,
) -> Result<(Organisation, Vec<Member>, String)> {
    let found = checked(db.conn(), account, organisation_id, OrganisationAction::Use).await?;
    let memberships = organisation_member::Entity::find()
        .filter(organisation_member::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(organisation_member::Column::JoinedAt)
        .all(db.conn())
        .await?;
    let mut members = Vec::with_capacity(memberships.len());
    let mut mine = String::new();
    for membership in memberships {
        let Some(person) = citizen::Entity::find_by_id(membership.citizen_id)
            .one(db.conn())
            .await?
        else {
            continue;
        };
        if person.id == account.id {
            mine = membership.role.clone();
        }
        let name = [person.given_name.as_deref(), person.family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        members.push(Member {
            citizen_id: person.id,
            email: person.email,
            name,
            role: membership.role,
        });
    }
    Ok((found, members, mine))
}

/// Sends an invitation link to `email` (admins only). Whether the address has an
/// account is not revealed; the link asks its owner to log in or register.
#[allow(clippy::too_many_arguments)]
pub async fn invite(
    db: &Db,
    tenant: &Tenant,
    account: &Citizen,
    organisation_id: Uuid,
    email: &str,
    role: &str,
    link_base: &str,
    origin: &Origin,
) -> Result<bool> {
    let found = checked(
        db.conn(),
        account,
        organisation_id,
        OrganisationAction::ManageMembers,
    )
    .await?;
    let role = known_role(role)?;
    let email = email.trim().to_lowercase();
    if mail::parse_address(&email).is_err() {
        return Ok(false);
    }
    let token = new_token();
    let txn = db.begin_write().await?;
    organisation_invitation::Entity::insert(organisation_invitation::ActiveModel {
        token_hash: Set(token_hash(&token)),
        organisation_id: Set(found.id),
        email: Set(email.clone()),
        role: Set(role.to_owned()),
        expires_at: Set(Utc::now() + INVITATION_VALIDITY),
        used_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    let body = format!(
        "Guten Tag,\n\n{who} lädt Sie ein, im Serviceportal von {town} für „{org}“ zu handeln. \
         Öffnen Sie dazu diesen Link und melden Sie sich mit dieser E-Mail-Adresse an (oder \
         legen Sie ein Konto an):\n\n{link_base}/konto/organisationen/einladung/{token}\n\n\
         Der Link gilt {days} Tage und nur einmal. Wenn Sie die Einladung nicht erwartet haben, \
         können Sie diese E-Mail ignorieren.\n\nMit freundlichen Grüßen\n{town}\n",
        who = account.email,
        town = tenant.name,
        org = found.name,
        days = INVITATION_VALIDITY.num_days(),
    );
    let mail = Mail {
        to: email,
        subject: format!("{}: Einladung für {}", tenant.name, found.name),
        body,
    };
    mail::enqueue(&txn, tenant.id, mail).await?;
    record(&txn, account, origin, "invite", found.id).await?;
    txn.commit().await?;
    Ok(true)
}

pub enum Acceptance {
    Joined(Organisation),
    /// Unknown, used or expired link.
    BadLink,
    /// The invitation is for another address than the logged-in account's.
    OtherAddress,
}

/// Accepts an invitation with the logged-in account.
pub async fn accept(
    db: &Db,
    account: &Citizen,
    token: &str,
    origin: &Origin,
) -> Result<Acceptance> {
    let hash = token_hash(token);
    let txn = db.begin_write().await?;
    let Some(invitation) = organisation_invitation::Entity::find_by_id(hash.clone())
        .one(&txn)
        .await?
        .filter(|i| i.used_at.is_none() && i.expires_at > Utc::now())
    else {
        return Ok(Acceptance::BadLink);
    };
    let Some(found) = organisation::Entity::find_by_id(invitation.organisation_id)
        .one(&txn)
        .await?
        .filter(|o| o.tenant_id == account.tenant_id)
    else {
        return Ok(Acceptance::BadLink);
    };
    if invitation.email != account.email {
        return Ok(Acceptance::OtherAddress);
    }
    let claimed = organisation_invitation::Entity::update_many()
        .col_expr(
            organisation_invitation::Column::UsedAt,
            Expr::value(Utc::now()),
        )
        .filter(organisation_invitation::Column::TokenHash.eq(hash))
        .filter(organisation_invitation::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(Acceptance::BadLink);
    }
    match role_of(&txn, found.id, account.id).await? {
        None => add_member(&txn, found.id, account.id, &invitation.role).await?,
        // An invitation with more rights than a member has gives them; one with fewer
        // takes none away.
        Some(role) if rank(&invitation.role) < rank(&role) => {
            set_role(&txn, found.id, account.id, &invitation.role).await?;
        }
        Some(_) => {}
    }
    record(&txn, account, origin, "join", found.id).await?;
    txn.commit().await?;
    Ok(Acceptance::Joined(found))
}

/// Refuses a change that takes the last admin's rights.
async fn another_admin_remains(conn: &impl ConnectionTrait, organisation_id: Uuid) -> Result<()> {
    let admins = organisation_member::Entity::find()
        .filter(organisation_member::Column::OrganisationId.eq(organisation_id))
        .filter(organisation_member::Column::Role.eq(ADMIN))
        .count(conn)
        .await?;
    if admins <= 1 {
        return Err(CoreError::Invalid(
            "the organisation would have no admin left".into(),
        ));
    }
    Ok(())
}

async fn set_role(
    conn: &impl ConnectionTrait,
    organisation_id: Uuid,
    citizen_id: Uuid,
    role: &str,
) -> Result<()> {
    organisation_member::Entity::update_many()
        .col_expr(organisation_member::Column::Role, Expr::value(role))
        .filter(organisation_member::Column::OrganisationId.eq(organisation_id))
        .filter(organisation_member::Column::CitizenId.eq(citizen_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Gives a member another role (admins). Refused when it would leave the organisation
/// without an admin.
pub async fn change_role(
    db: &Db,
    account: &Citizen,
    organisation_id: Uuid,
    member_id: Uuid,
    role: &str,
    origin: &Origin,
) -> Result<()> {
    let found = checked(
        db.conn(),
        account,
        organisation_id,
        OrganisationAction::ManageMembers,
    )
    .await?;
    let role = known_role(role)?;
    let txn = db.begin_write().await?;
    let Some(before) = role_of(&txn, found.id, member_id).await? else {
        return Err(CoreError::NotFound("member".into()));
    };
    if before == role {
        return Ok(());
    }
    if before == ADMIN {
        another_admin_remains(&txn, found.id).await?;
    }
    set_role(&txn, found.id, member_id, role).await?;
    let event = Event::new("organisation.change_role", "organisation")
        .object(found.id)
        .details(serde_json::json!({ "member": member_id, "from": before, "to": role }));
    audit::record(&txn, &citizen_actor(account), origin, event).await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a member (admins), or lets `account` leave when `member_id` is its own.
/// Refused when it would leave the organisation without an admin.
pub async fn remove_member(
    db: &Db,
    account: &Citizen,
    organisation_id: Uuid,
    member_id: Uuid,
    origin: &Origin,
) -> Result<()> {
    let action = if member_id == account.id {
        OrganisationAction::Use
    } else {
        OrganisationAction::ManageMembers
    };
    let found = checked(db.conn(), account, organisation_id, action).await?;
    let txn = db.begin_write().await?;
    let Some(role) = role_of(&txn, found.id, member_id).await? else {
        return Err(CoreError::NotFound("member".into()));
    };
    if role == ADMIN {
        another_admin_remains(&txn, found.id).await?;
    }
    organisation_member::Entity::delete_by_id((found.id, member_id))
        .exec(&txn)
        .await?;
    let what = if member_id == account.id {
        "leave"
    } else {
        "remove_member"
    };
    record(&txn, account, origin, what, found.id).await?;
    txn.commit().await?;
    Ok(())
}

/// Makes the session act for the organisation (a member's right), or for the person
/// alone with `None`; returns the session's new token (see
/// [`sessions::act_for_renewed`]).
pub async fn act_for(
    db: &Db,
    account: &Citizen,
    session_token: &str,
    organisation_id: Option<Uuid>,
) -> Result<Option<String>> {
    if let Some(id) = organisation_id {
        checked(db.conn(), account, id, OrganisationAction::Use).await?;
    }
    let txn = db.begin_write().await?;
    let renewed = sessions::act_for_renewed(&txn, session_token, organisation_id).await?;
    txn.commit().await?;
    Ok(renewed)
}

/// The organisation the session acts for, while `account` is still a member of it.
pub async fn acting_for(
    db: &Db,
    account: &Citizen,
    session_token: &str,
) -> Result<Option<Organisation>> {
    let Some(id) = sessions::acting_for(db.conn(), session_token).await? else {
        return Ok(None);
    };
    match checked(db.conn(), account, id, OrganisationAction::Use).await {
        Ok(found) => Ok(Some(found)),
        Err(CoreError::Forbidden(_) | CoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Before an account is deleted: organisations it alone administers go with it when it
/// is their only member; where others remain, the deletion must wait until someone
/// else is admin. Returns the names of those organisations (then nothing was changed).
pub(crate) async fn release_for_deletion(
    conn: &impl ConnectionTrait,
    account: &Citizen,
) -> Result<std::result::Result<(), Vec<String>>> {
    let administered = organisation_member::Entity::find()
        .filter(organisation_member::Column::CitizenId.eq(account.id))
        .filter(organisation_member::Column::Role.eq(ADMIN))
        .all(conn)
        .await?;
    let mut blocking = Vec::new();
    let mut alone = Vec::new();
    for membership in administered {
        let of_org = organisation_member::Column::OrganisationId.eq(membership.organisation_id);
        let admins = organisation_member::Entity::find()
            .filter(of_org.clone())
            .filter(organisation_member::Column::Role.eq(ADMIN))
            .count(conn)
            .await?;
        if admins > 1 {
            continue;
        }
        let members = organisation_member::Entity::find()
            .filter(of_org)
            .count(conn)
            .await?;
        let found = organisation::Entity::find_by_id(membership.organisation_id)
            .one(conn)
            .await?;
        match found {
            Some(org) if members > 1 => blocking.push(org.name),
            Some(org) => alone.push(org.id),
            None => {}
        }
    }
    if !blocking.is_empty() {
        return Ok(Err(blocking));
    }
    for id in alone {
        organisation::Entity::delete_by_id(id).exec(conn).await?;
    }
    Ok(Ok(()))
}
