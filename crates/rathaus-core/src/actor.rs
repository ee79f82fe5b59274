//! Who is acting, for whom, and from where. Every domain function takes an actor so
//! that permission checks and the audit log never have to guess.

use uuid::Uuid;

use crate::policy::Permission;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    /// Rathaus itself: migrations, seeding, the job worker.
    System,
    Staff,
    Citizen,
    Anonymous,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Staff => "staff",
            Self::Citizen => "citizen",
            Self::Anonymous => "anonymous",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<Uuid>,
    /// Shown in the audit log ("Erika Mustermann", "system:worker").
    pub name: String,
    /// The tenant the actor acts in; `None` only for the system across tenants.
    pub tenant_id: Option<Uuid>,
    /// Keys of the staff member's roles (table `roles`), for display and the audit log.
    pub roles: Vec<String>,
    /// What the roles grant, resolved when the actor is loaded; only
    /// [`crate::policy`] reads it.
    pub permissions: Vec<Permission>,
    /// The departments (Fachdienste) a staff member belongs to.
    pub departments: Vec<Uuid>,
}

impl Actor {
    pub fn system(what: &str) -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            name: format!("system:{what}"),
            tenant_id: None,
            roles: Vec::new(),
            permissions: Vec::new(),
            departments: Vec::new(),
        }
    }

    pub fn anonymous(tenant_id: Uuid) -> Self {
        Self {
            kind: ActorKind::Anonymous,
            id: None,
            name: "anonymous".into(),
            tenant_id: Some(tenant_id),
            roles: Vec::new(),
            permissions: Vec::new(),
            departments: Vec::new(),
        }
    }

    /// The first role, for the audit log's "in which role" column.
    pub fn primary_role(&self) -> Option<&str> {
        self.roles.first().map(String::as_str)
    }
}

/// Where a request came from, for the audit log.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}
