//! The one place that decides who may do what. Domain functions call [`require`];
//! handlers never decide on their own.

use uuid::Uuid;

use crate::actor::{Actor, ActorKind};
use crate::error::{CoreError, Result};

/// What a role can grant. Roles are data (table `roles`, see [`crate::roles`]); the
/// permissions they combine are the fixed vocabulary the code checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read and filter the audit log of a tenant.
    ReadAuditLog,
    /// See the job queue, including dead jobs, and requeue them.
    ManageJobs,
    /// Change a tenant's settings and branding.
    ManageTenant,
    /// Create staff accounts, lock them, reset their second factor; departments.
    ManageStaff,
    /// Sort incoming applications and letters to departments (Poststelle).
    RouteMail,
    /// Work on the cases of one's own departments.
    HandleCases,
    /// Assign the cases of one's own departments to colleagues.
    AssignCases,
    /// See payments and fees.
    ViewPayments,
    /// Record money paid back for a payment.
    RefundPayments,
}

impl Permission {
    pub const ALL: [Self; 9] = [
        Self::ReadAuditLog,
        Self::ManageJobs,
        Self::ManageTenant,
        Self::ManageStaff,
        Self::RouteMail,
        Self::HandleCases,
        Self::AssignCases,
        Self::ViewPayments,
        Self::RefundPayments,
    ];

    /// The key stored in `roles.permissions`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadAuditLog => "audit.read",
            Self::ManageJobs => "jobs.manage",
            Self::ManageTenant => "tenant.manage",
            Self::ManageStaff => "staff.manage",
            Self::RouteMail => "mail.route",
            Self::HandleCases => "cases.handle",
            Self::AssignCases => "cases.assign",
            Self::ViewPayments => "payments.view",
            Self::RefundPayments => "payments.refund",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == key)
    }
}

/// Allows or refuses `permission` for `actor` in `tenant_id`. Staff act only in their
/// own tenant, with what their roles grant; the system actor may do everything (it is
/// never reachable from HTTP).
pub fn require(actor: &Actor, tenant_id: Uuid, permission: Permission) -> Result<()> {
    if actor.kind == ActorKind::System {
        return Ok(());
    }
    let allowed = actor.kind == ActorKind::Staff
        && actor.tenant_id == Some(tenant_id)
        && actor.permissions.contains(&permission);
    if allowed {
        Ok(())
    } else {
        Err(CoreError::Forbidden(denial(permission)))
    }
}

/// What a citizen may do with an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrganisationAction {
    /// See it and its members, act for it.
    Use,
    /// Invite and remove members, change roles.
    ManageMembers,
}

/// Allows or refuses an organisation action for a citizen whose role in it is
/// `membership` (`None`: not a member). Members use it; its admins manage it.
pub fn require_in_organisation(membership: Option<&str>, action: OrganisationAction) -> Result<()> {
    let allowed = matches!(
        (membership, action),
        (Some("admin"), _) | (Some(_), OrganisationAction::Use)
    );
    if allowed {
        Ok(())
    } else if membership.is_none() {
        Err(CoreError::Forbidden("only members see an organisation"))
    } else {
        Err(CoreError::Forbidden(
            "only the organisation's admins manage its members",
        ))
    }
}

/// Whether a member of an organisation sees all of its applications: admins and
/// members do; submitters see only those they made themselves.
pub fn sees_organisation_applications(role: &str) -> bool {
    matches!(role, "admin" | "member")
}

/// Whether `owner` may see and fill in a draft: its account, or the browser that holds
/// the token of an anonymous draft. Nobody else — staff see applications only once they
/// are sent.
pub fn owns_draft(
    draft: &rathaus_store::entities::draft::Model,
    owner: &crate::drafts::Owner,
) -> bool {
    use crate::drafts::Owner;
    match owner {
        Owner::Citizen(id) => draft.citizen_id == Some(*id),
        Owner::Browser(token) => {
            draft.citizen_id.is_none()
                && draft.browser_hash.as_deref() == Some(crate::secrets::token_hash(token).as_str())
        }
    }
}

fn denial(permission: Permission) -> &'static str {
    match permission {
        Permission::ReadAuditLog => "reading the audit log needs a role that grants it",
        Permission::ManageJobs => "managing jobs needs a role that grants it",
        Permission::ManageTenant => {
            "changing the municipality's settings needs a role that grants it"
        }
        Permission::ManageStaff => "managing staff accounts needs a role that grants it",
        Permission::RouteMail => "routing incoming mail needs a role that grants it",
        Permission::HandleCases => "working on cases needs a role that grants it",
        Permission::AssignCases => "assigning cases needs a role that grants it",
        Permission::ViewPayments => "seeing payments needs a role that grants it",
        Permission::RefundPayments => "recording refunds needs a role that grants it",
    }
}

/// Whether a citizen is the applicant of a case (and so sees its status, messages and
/// what was sent). Staff access to cases is decided by department and role.
/// A citizen as applicant: themselves and the organisations whose applications they
/// see.
#[derive(Clone, Debug)]
pub struct Applicant {
    pub citizen_id: Uuid,
    pub organisations: Vec<Uuid>,
}

/// Whether the case is the applicant's own, or one made for an organisation whose
/// applications they see (see [`sees_organisation_applications`]).
pub fn is_applicant(case: &rathaus_store::entities::case::Model, applicant: &Applicant) -> bool {
    case.citizen_id == Some(applicant.citizen_id)
        || case
            .organisation_id
            .is_some_and(|o| applicant.organisations.contains(&o))
}

/// Whether `secret` opens the status page of an anonymous submission. Only hashes are
/// compared, so the time taken says nothing about the secret.
pub fn status_link_opens(
    submission: &rathaus_store::entities::submission::Model,
    secret: &str,
) -> bool {
    submission.status_secret_hash.as_deref() == Some(crate::secrets::token_hash(secret).as_str())
}

/// Which cases a member of staff sees: the mailroom all of the tenant's, caseworkers
/// those of their departments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseScope {
    All,
    Departments(Vec<Uuid>),
}

pub fn case_scope(actor: &Actor, tenant_id: Uuid) -> Result<CaseScope> {
    let staff_here = actor.kind == ActorKind::Staff && actor.tenant_id == Some(tenant_id);
    if actor.kind == ActorKind::System
        || (staff_here && actor.permissions.contains(&Permission::RouteMail))
    {
        return Ok(CaseScope::All);
    }
    if staff_here && actor.permissions.contains(&Permission::HandleCases) {
        return Ok(CaseScope::Departments(actor.departments.clone()));
    }
    Err(CoreError::Forbidden(denial(Permission::HandleCases)))
}

/// Whether a member of staff may see (and work on) this case.
pub fn may_see_case(actor: &Actor, case: &rathaus_store::entities::case::Model) -> bool {
    match case_scope(actor, case.tenant_id) {
        Ok(CaseScope::All) => true,
        Ok(CaseScope::Departments(ids)) => case.department_id.is_some_and(|d| ids.contains(&d)),
        Err(_) => false,
    }
}

/// Refuses a change of a case the actor may not see.
pub fn require_case(actor: &Actor, case: &rathaus_store::entities::case::Model) -> Result<()> {
    if may_see_case(actor, case) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "this case belongs to another department",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_use_organisations_and_admins_manage_them() {
        use OrganisationAction::{ManageMembers, Use};
        assert!(require_in_organisation(Some("member"), Use).is_ok());
        assert!(require_in_organisation(Some("member"), ManageMembers).is_err());
        assert!(require_in_organisation(Some("admin"), ManageMembers).is_ok());
        assert!(require_in_organisation(None, Use).is_err());
    }

    fn staff(tenant: Uuid, permissions: Vec<Permission>) -> Actor {
        Actor {
            kind: ActorKind::Staff,
            id: Some(Uuid::now_v7()),
            name: "t".into(),
            tenant_id: Some(tenant),
            roles: vec!["test".into()],
            permissions,
            departments: Vec::new(),
        }
    }

    #[test]
    fn staff_have_what_their_roles_grant_in_their_own_tenant_only() {
        let own = Uuid::now_v7();
        let other = Uuid::now_v7();
        let auditor = staff(own, vec![Permission::ReadAuditLog]);
        assert!(require(&auditor, own, Permission::ReadAuditLog).is_ok());
        assert!(require(&auditor, other, Permission::ReadAuditLog).is_err());
        assert!(require(&auditor, own, Permission::ManageJobs).is_err());
    }

    #[test]
    fn citizens_and_anonymous_visitors_have_no_staff_permission() {
        let t = Uuid::now_v7();
        let mut citizen = staff(t, Permission::ALL.to_vec());
        citizen.kind = ActorKind::Citizen;
        for permission in Permission::ALL {
            assert!(require(&citizen, t, permission).is_err());
            assert!(require(&Actor::anonymous(t), t, permission).is_err());
        }
    }

    #[test]
    fn built_in_roles_name_known_permissions_only() {
        for role in rathaus_store::roles_seed::BUILT_IN_ROLES {
            for key in role.permissions {
                assert!(Permission::parse(key).is_some(), "{}: {key}", role.key);
            }
        }
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Some(permission));
        }
    }
}
