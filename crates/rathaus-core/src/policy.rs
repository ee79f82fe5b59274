//! The one place that decides who may do what. Domain functions call [`require`];
//! handlers never decide on their own.

use uuid::Uuid;

use crate::actor::{Actor, ActorKind, Role};
use crate::error::{CoreError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Read and filter the audit log of a tenant.
    ReadAuditLog,
    /// See the job queue, including dead jobs, and requeue them.
    ManageJobs,
    /// Change a tenant's settings and branding.
    ManageTenant,
    /// Create staff accounts, lock them, reset their second factor.
    ManageStaff,
}

/// Allows or refuses `permission` for `actor` in `tenant_id`. Staff act only in their
/// own tenant; the system actor may do everything (it is never reachable from HTTP).
pub fn require(actor: &Actor, tenant_id: Uuid, permission: Permission) -> Result<()> {
    if actor.kind == ActorKind::System {
        return Ok(());
    }
    if actor.kind != ActorKind::Staff || actor.tenant_id != Some(tenant_id) {
        return Err(CoreError::Forbidden(denial(permission)));
    }
    let allowed = match permission {
        Permission::ReadAuditLog => actor.has_role(Role::Admin) || actor.has_role(Role::Auditor),
        Permission::ManageJobs | Permission::ManageTenant | Permission::ManageStaff => {
            actor.has_role(Role::Admin)
        }
    };
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

fn denial(permission: Permission) -> &'static str {
    match permission {
        Permission::ReadAuditLog => "reading the audit log needs the admin or auditor role",
        Permission::ManageJobs => "managing jobs needs the admin role",
        Permission::ManageTenant => "changing the municipality's settings needs the admin role",
        Permission::ManageStaff => "managing staff accounts needs the admin role",
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

    fn staff(tenant: Uuid, roles: Vec<Role>) -> Actor {
        Actor {
            kind: ActorKind::Staff,
            id: Some(Uuid::now_v7()),
            name: "t".into(),
            tenant_id: Some(tenant),
            roles,
        }
    }

    #[test]
    fn auditor_reads_audit_log_of_own_tenant_only() {
        let own = Uuid::now_v7();
        let other = Uuid::now_v7();
        let auditor = staff(own, vec![Role::Auditor]);
        assert!(require(&auditor, own, Permission::ReadAuditLog).is_ok());
        assert!(require(&auditor, other, Permission::ReadAuditLog).is_err());
        assert!(require(&auditor, own, Permission::ManageJobs).is_err());
    }

    #[test]
    fn caseworker_and_citizen_cannot_read_audit_log() {
        let t = Uuid::now_v7();
        assert!(
            require(
                &staff(t, vec![Role::Caseworker]),
                t,
                Permission::ReadAuditLog
            )
            .is_err()
        );
        let mut citizen = staff(t, vec![Role::Admin]);
        citizen.kind = ActorKind::Citizen;
        assert!(require(&citizen, t, Permission::ReadAuditLog).is_err());
        assert!(require(&Actor::anonymous(t), t, Permission::ReadAuditLog).is_err());
    }
}
