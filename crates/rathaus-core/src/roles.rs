//! Roles of staff as data: per tenant, each role a name and a set of permissions
//! ([`Permission`]). Every tenant starts with the built-in roles
//! (`rathaus_store::roles_seed`); more can be added without a new release.

use rathaus_store::Db;
use rathaus_store::entities::role;
use rathaus_store::roles_seed::BUILT_IN_ROLES;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};

pub struct Role {
    pub key: String,
    pub name_de: String,
    pub name_en: String,
    pub permissions: Vec<Permission>,
}

impl Role {
    fn from_row(row: role::Model) -> Self {
        Self {
            permissions: row
                .permissions
                .split(',')
                .filter_map(Permission::parse)
                .collect(),
            key: row.key,
            name_de: row.name_de,
            name_en: row.name_en,
        }
    }

    /// The name in the page's language (`de` or `en`).
    pub fn name(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.name_en
        } else {
            &self.name_de
        }
    }
}

/// The roles of a tenant, in the order they were defined (built-in first).
pub async fn of_tenant(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<Role>> {
    let rows = role::Entity::find()
        .filter(role::Column::TenantId.eq(tenant_id))
        .order_by_asc(role::Column::Key)
        .all(conn)
        .await?;
    let mut roles: Vec<Role> = rows.into_iter().map(Role::from_row).collect();
    let builtin_rank = |key: &str| {
        BUILT_IN_ROLES
            .iter()
            .position(|b| b.key == key)
            .unwrap_or(usize::MAX)
    };
    roles.sort_by_key(|r| builtin_rank(&r.key));
    Ok(roles)
}

/// The permissions granted by `keys` in a tenant (unknown keys grant nothing).
pub async fn permissions_of(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    keys: &[String],
) -> Result<Vec<Permission>> {
    let rows = role::Entity::find()
        .filter(role::Column::TenantId.eq(tenant_id))
        .filter(role::Column::Key.is_in(keys.iter().map(String::as_str)))
        .all(conn)
        .await?;
    let mut permissions: Vec<Permission> = rows
        .into_iter()
        .flat_map(|r| Role::from_row(r).permissions)
        .collect();
    permissions.sort_by_key(|p| p.as_str());
    permissions.dedup();
    Ok(permissions)
}

/// Refuses role keys the tenant does not have.
pub async fn check_known(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    keys: &[String],
) -> Result<()> {
    let known = of_tenant(conn, tenant_id).await?;
    match keys.iter().find(|k| !known.iter().any(|r| &&r.key == k)) {
        None => Ok(()),
        Some(unknown) => Err(CoreError::Invalid(format!(
            "there is no role '{unknown}' (known: {})",
            known
                .iter()
                .map(|r| r.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Writes the built-in roles a tenant does not have yet (at its creation).
pub async fn ensure_built_in(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<()> {
    let existing = of_tenant(conn, tenant_id).await?;
    for builtin in BUILT_IN_ROLES {
        if existing.iter().any(|r| r.key == builtin.key) {
            continue;
        }
        role::Entity::insert(role::ActiveModel {
            tenant_id: Set(tenant_id),
            key: Set(builtin.key.to_owned()),
            name_de: Set(builtin.name_de.to_owned()),
            name_en: Set(builtin.name_en.to_owned()),
            permissions: Set(builtin.permissions.join(",")),
        })
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// A role a tenant defines for itself.
pub struct NewRole<'a> {
    pub key: &'a str,
    pub name_de: &'a str,
    pub name_en: &'a str,
    pub permissions: &'a [Permission],
}

/// Adds a role to a tenant (audited; needs [`Permission::ManageStaff`]).
pub async fn add(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    new: NewRole<'_>,
) -> Result<()> {
    policy::require(actor, tenant_id, Permission::ManageStaff)?;
    if !crate::keys::is_key(new.key, 40, b'_') {
        return Err(CoreError::Invalid(format!(
            "'{}' is not a role key: use 1 to 40 lower-case letters, digits and _",
            new.key
        )));
    }
    if new.name_de.trim().is_empty() || new.permissions.is_empty() {
        return Err(CoreError::Invalid(
            "a role needs a name and at least one permission".into(),
        ));
    }
    let txn = db.begin_write().await?;
    if of_tenant(&txn, tenant_id)
        .await?
        .iter()
        .any(|r| r.key == new.key)
    {
        return Err(CoreError::Invalid(format!(
            "the role '{}' exists already",
            new.key
        )));
    }
    let permissions: Vec<&str> = new.permissions.iter().map(|p| p.as_str()).collect();
    role::Entity::insert(role::ActiveModel {
        tenant_id: Set(tenant_id),
        key: Set(new.key.to_owned()),
        name_de: Set(new.name_de.trim().to_owned()),
        name_en: Set(new.name_en.trim().to_owned()),
        permissions: Set(permissions.join(",")),
    })
    .exec_without_returning(&txn)
    .await?;
    let mut in_tenant = actor.clone();
    in_tenant.tenant_id = Some(tenant_id);
    let event = Event::new("role.create", "role")
        .object(new.key)
        .details(serde_json::json!({ "permissions": permissions }));
    audit::record(&txn, &in_tenant, origin, event).await?;
    txn.commit().await?;
    Ok(())
}
