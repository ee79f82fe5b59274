//! Workflows a town installed for its services. An installed workflow is never changed
//! (a new version is a new row), so each server keeps the ones it has read in memory;
//! a case names the one it was opened with.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::workflow as stored;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{Workflow, standard_shared};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::cases::Case;
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};

/// Installed workflows read so far, by id.
static READ: LazyLock<Mutex<HashMap<Uuid, Arc<Workflow>>>> = LazyLock::new(Default::default);

fn parse(row: &stored::Model) -> Result<Arc<Workflow>> {
    let cached = READ
        .lock()
        .expect("workflow cache lock")
        .get(&row.id)
        .cloned();
    if let Some(workflow) = cached {
        return Ok(workflow);
    }
    let workflow: Workflow = serde_json::from_str(&row.definition).map_err(|e| {
        CoreError::Invalid(format!(
            "the installed workflow {} does not read: {e}",
            row.id
        ))
    })?;
    let workflow = Arc::new(workflow);
    READ.lock()
        .expect("workflow cache lock")
        .insert(row.id, workflow.clone());
    Ok(workflow)
}

/// The workflow a case follows.
pub async fn of_case(conn: &impl ConnectionTrait, case: &Case) -> Result<Arc<Workflow>> {
    let Some(id) = case.workflow_id else {
        return Ok(standard_shared());
    };
    let cached = READ.lock().expect("workflow cache lock").get(&id).cloned();
    if let Some(workflow) = cached {
        return Ok(workflow);
    }
    let row = stored::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("workflow {id}")))?;
    parse(&row)
}

/// The workflow a new case of the service gets: the newest the town installed for it
/// (with its id), else the standard one.
pub async fn for_new_case(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    service_key: &str,
) -> Result<(Option<Uuid>, Arc<Workflow>)> {
    let newest = stored::Entity::find()
        .filter(stored::Column::TenantId.eq(tenant_id))
        .filter(stored::Column::ServiceKey.eq(service_key))
        .order_by_desc(stored::Column::InstalledAt)
        .order_by_desc(stored::Column::Id)
        .one(conn)
        .await?;
    match newest {
        Some(row) => Ok((Some(row.id), parse(&row)?)),
        None => Ok((None, standard_shared())),
    }
}

/// Every workflow the town's cases can follow: the standard one and all installed
/// (older versions too: cases opened with them go on with them).
pub async fn of_tenant(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<Arc<Workflow>>> {
    let rows = stored::Entity::find()
        .filter(stored::Column::TenantId.eq(tenant_id))
        .order_by_asc(stored::Column::InstalledAt)
        .all(conn)
        .await?;
    let mut all = vec![standard_shared()];
    for row in &rows {
        all.push(parse(row)?);
    }
    Ok(all)
}

/// Installs a workflow for a service of the town: new cases of the service follow it,
/// running ones keep theirs. Every mistake of the definition is returned (then nothing
/// is stored). Audited; needs [`Permission::ManageTenant`].
pub async fn install(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    service_key: &str,
    workflow: &Workflow,
) -> Result<std::result::Result<Uuid, Vec<String>>> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    let mut mistakes = workflow.check_own();
    let service = rathaus_store::entities::service::Entity::find_by_id(service_key)
        .one(db.conn())
        .await?;
    if service.is_none() {
        mistakes.push(format!(
            "there is no service '{service_key}' in the catalog"
        ));
    }
    if !mistakes.is_empty() {
        return Ok(Err(mistakes));
    }
    let id = Uuid::now_v7();
    let txn = db.begin_write().await?;
    stored::Entity::insert(stored::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        service_key: Set(service_key.to_owned()),
        definition: Set(serde_json::to_string(workflow).expect("a workflow serialises")),
        installed_at: Set(Utc::now()),
        installed_by: Set(actor.name.clone()),
    })
    .exec_without_returning(&txn)
    .await?;
    let event = Event::new("workflow.install", "workflow")
        .object(id)
        .details(serde_json::json!({ "service": service_key, "workflow": workflow.id }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(id))
}
