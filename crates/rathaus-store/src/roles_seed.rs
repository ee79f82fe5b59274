//! The roles every tenant starts with. Roles are data (table `roles`): a tenant can add
//! its own; these are only the first rows, written when a tenant is created (and by the
//! migration that introduced the table, for tenants that existed before). Permission
//! keys are those of `rathaus_core::policy::Permission`; a test there checks them.

pub struct BuiltInRole {
    pub key: &'static str,
    pub name_de: &'static str,
    pub name_en: &'static str,
    pub permissions: &'static [&'static str],
}

pub const BUILT_IN_ROLES: &[BuiltInRole] = &[
    BuiltInRole {
        key: "admin",
        name_de: "Administration",
        name_en: "Administration",
        permissions: &["tenant.manage", "staff.manage", "jobs.manage", "audit.read"],
    },
    BuiltInRole {
        key: "mailroom",
        name_de: "Poststelle",
        name_en: "Mailroom",
        permissions: &["mail.route"],
    },
    BuiltInRole {
        key: "caseworker",
        name_de: "Sachbearbeitung",
        name_en: "Caseworker",
        permissions: &["cases.handle"],
    },
    BuiltInRole {
        key: "department_lead",
        name_de: "Fachdienstleitung",
        name_en: "Head of department",
        permissions: &["cases.handle", "cases.assign"],
    },
    BuiltInRole {
        key: "finance",
        name_de: "Finanzen und Kasse",
        name_en: "Finance",
        permissions: &["payments.view", "payments.refund"],
    },
    BuiltInRole {
        key: "auditor",
        name_de: "Prüfung und Datenschutz",
        name_en: "Auditor",
        permissions: &["audit.read"],
    },
];
