//! Which form definition a tenant uses for an id: one it installed itself (written for
//! it or imported from FIM XDatenfelder), else the built-in one. Installed definitions
//! are checked before they are stored and compiled once per version.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::Utc;
use rathaus_forms::builtin::Registry;
use rathaus_forms::definition::{Form, Mistake, compile};
use rathaus_store::Db;
use rathaus_store::entities::tenant_form;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};

/// Installed definitions compiled, by tenant and id, with the version they were made of.
type Compiled = HashMap<(Uuid, String), (i32, Arc<Form>)>;

/// The definitions of all tenants; cheap to clone.
#[derive(Clone)]
pub struct Forms {
    built_in: Registry,
    compiled: Arc<RwLock<Compiled>>,
}

impl Forms {
    /// With the built-in definitions, all checked now (a broken one stops the start).
    pub fn load() -> std::result::Result<Self, Vec<Mistake>> {
        Ok(Self {
            built_in: Registry::built_in()?,
            compiled: Arc::default(),
        })
    }

    pub fn built_in(&self) -> &Registry {
        &self.built_in
    }

    /// The definition `id` as `tenant_id` uses it.
    pub async fn get(
        &self,
        conn: &impl ConnectionTrait,
        tenant_id: Uuid,
        id: &str,
    ) -> Result<Option<Arc<Form>>> {
        let key = (tenant_id, id.to_owned());
        let Some(row) = tenant_form::Entity::find_by_id(key.clone())
            .one(conn)
            .await?
        else {
            return Ok(self.built_in.get(id));
        };
        if let Some((version, form)) = self.compiled.read().expect("not poisoned").get(&key)
            && *version == row.version
        {
            return Ok(Some(form.clone()));
        }
        let form = rathaus_forms::definition::load(&row.definition).map_err(|mistakes| {
            CoreError::Invalid(format!("installed form {id}: {}", join(&mistakes)))
        })?;
        let form = Arc::new(form);
        self.compiled
            .write()
            .expect("not poisoned")
            .insert(key, (row.version, form.clone()));
        Ok(Some(form))
    }
}

/// The definitions a tenant installed, by id.
pub async fn installed(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Vec<tenant_form::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    Ok(tenant_form::Entity::find()
        .filter(tenant_form::Column::TenantId.eq(tenant_id))
        .order_by_asc(tenant_form::Column::FormId)
        .all(conn)
        .await?)
}

fn join(mistakes: &[Mistake]) -> String {
    mistakes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Installs (or replaces) a definition for a tenant; it must load. Returns the version
/// it got: one more than the one it replaces.
pub async fn install(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    form: &Form,
    source: &str,
) -> Result<i32> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    let id = form.definition.id.clone();
    let txn = db.begin_write().await?;
    let previous = tenant_form::Entity::find_by_id((tenant_id, id.clone()))
        .one(&txn)
        .await?
        .map_or(0, |row| row.version);
    let version = previous.max(form.definition.version as i32 - 1) + 1;
    let mut definition = form.definition.clone();
    definition.version = version as u32;
    definition.schema = None;
    // Checked again as stored, so that what is read back always loads.
    compile(definition.clone()).map_err(|m| CoreError::Invalid(join(&m)))?;
    let json = serde_json::to_string(&definition).expect("a definition serialises");
    tenant_form::Entity::insert(tenant_form::ActiveModel {
        tenant_id: Set(tenant_id),
        form_id: Set(id.clone()),
        version: Set(version),
        definition: Set(json),
        source: Set(source.to_owned()),
        installed_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([tenant_form::Column::TenantId, tenant_form::Column::FormId])
            .update_columns([
                tenant_form::Column::Version,
                tenant_form::Column::Definition,
                tenant_form::Column::Source,
                tenant_form::Column::InstalledAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let event = Event::new("form.installed", "form")
        .object(&id)
        .details(serde_json::json!({ "version": version, "source": source }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(version)
}
