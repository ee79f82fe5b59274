//! Who is acting, for whom, and from where. Every domain function takes an actor so
//! that permission checks and the audit log never have to guess.

use uuid::Uuid;

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

/// Roles of staff members. What each may do is decided in [`crate::policy`] only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Runs the installation for a tenant: settings, users, jobs.
    Admin,
    /// Reads the audit log (data protection officer, revision).
    Auditor,
    Caseworker,
    Mailroom,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Auditor => "auditor",
            Self::Caseworker => "caseworker",
            Self::Mailroom => "mailroom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Admin, Self::Auditor, Self::Caseworker, Self::Mailroom]
            .into_iter()
            .find(|r| r.as_str() == s)
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
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn system(what: &str) -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
            name: format!("system:{what}"),
            tenant_id: None,
            roles: Vec::new(),
        }
    }

    pub fn anonymous(tenant_id: Uuid) -> Self {
        Self {
            kind: ActorKind::Anonymous,
            id: None,
            name: "anonymous".into(),
            tenant_id: Some(tenant_id),
            roles: Vec::new(),
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The first role, for the audit log's "in which role" column.
    pub fn primary_role(&self) -> Option<Role> {
        self.roles.first().copied()
    }
}

/// Where a request came from, for the audit log.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}
