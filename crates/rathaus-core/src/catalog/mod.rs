//! The service catalog: services (Leistungen) ordered by life situation (Lebenslage),
//! shared by all tenants, each tenant offering the ones it enables with its own wording
//! where it differs. Catalogs are exchanged as JSON files ([`CatalogFile`]) so that
//! cities can share them.
//!
//! The portal reads what a tenant offers from an in-memory copy ([`Offered`], kept by
//! [`CatalogCache`]) that also answers searches; every change here increases the catalog
//! version, by which each process notices that its copy is out of date.

mod offered;

pub use offered::{Found, Offered};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::{
    catalog_version, life_situation, service, service_life_situation, tenant_service,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};
use crate::trust::TrustLevel;

/// A catalog as a file: life situations and services.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    #[serde(default)]
    pub life_situations: Vec<LifeSituation>,
    #[serde(default)]
    pub services: Vec<Service>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LifeSituation {
    pub key: String,
    pub name_de: String,
    pub name_en: String,
}

/// One service, as citizens read it on its page.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Stable, for URLs: `bewohnerparkausweis`.
    pub key: String,
    /// The 14-digit LeiKa key, where the federal catalogue has the service.
    #[serde(default)]
    pub leika: Option<String>,
    pub name: String,
    /// One or two sentences for lists and search results.
    pub summary: String,
    pub description: String,
    pub life_situations: Vec<String>,
    /// Key of the department (Fachdienst) that handles it.
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// Documents to have ready.
    #[serde(default)]
    pub documents: Vec<String>,
    /// Fees as people read them ("30,00 Euro je Jahr").
    #[serde(default)]
    pub fees: Option<String>,
    /// The fee in cents where it is one amount (for payment).
    #[serde(default)]
    pub fee_cents: Option<i64>,
    #[serde(default)]
    pub processing_time: Option<String>,
    /// Days the town has to decide, counted from the day an application arrives (by law,
    /// such as the three months of § 42a VwVfG, or as promised); later, a case is overdue.
    #[serde(default)]
    pub deadline_days: Option<u32>,
    /// Days a case is kept after it was closed (Aufbewahrungsfrist); then it is deleted
    /// with its documents unless a legal hold is set. None: kept until a period is set.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Lowest trust level of the login to apply online (`basis` … `hoch`).
    #[serde(default = "basis")]
    pub min_trust: String,
    /// Can be applied for online (then `form` names the assistant, if there is one).
    #[serde(default)]
    pub online: bool,
    #[serde(default)]
    pub form: Option<String>,
    /// The online application can be made without an account (only what needs no
    /// proof of identity, such as a contact form or a library card).
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub appointment: bool,
    /// Only in person: where and when.
    #[serde(default)]
    pub in_person: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
    /// More words people search with ("Parkausweis" for "Bewohnerparkausweis").
    #[serde(default)]
    pub keywords: Vec<String>,
    /// How the town's letters about this service reach the applicant.
    #[serde(default)]
    pub delivery: Delivery,
    /// When a fee is paid.
    #[serde(default)]
    pub payment: PaymentTiming,
    /// The town's standard wording per kind of letter (`receipt`, `decision`, …): the
    /// part of a letter that is the same for every applicant, before the caseworker's own
    /// text. `{name}`, `{service}`, `{reference}`, `{received}` and `{date}` are filled
    /// in. A kind not named here has the built-in wording.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub letter_texts: BTreeMap<String, String>,
}

/// When the fee of a service is paid.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentTiming {
    /// Online, before the application is sent (where the town has a payment service;
    /// without one, the fee is billed like `invoice`).
    #[default]
    Before,
    /// With the decision (Gebührenbescheid).
    AfterDecision,
    /// By invoice, outside Rathaus.
    Invoice,
}

impl PaymentTiming {
    pub const ALL: [PaymentTiming; 3] = [
        PaymentTiming::Before,
        PaymentTiming::AfterDecision,
        PaymentTiming::Invoice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentTiming::Before => "before",
            PaymentTiming::AfterDecision => "after_decision",
            PaymentTiming::Invoice => "invoice",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// How letters about a service are delivered.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Into the portal's postbox where the applicant has an account and has not asked
    /// for paper; posted otherwise.
    #[default]
    Postbox,
    /// Always posted: the document must be a paper original (a certificate with seal).
    Paper,
}

impl Delivery {
    pub const ALL: [Delivery; 2] = [Delivery::Postbox, Delivery::Paper];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Postbox => "postbox",
            Delivery::Paper => "paper",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

fn basis() -> String {
    TrustLevel::Basis.as_str().to_owned()
}

impl Service {
    /// The level an online application needs; a value that is no level (a typo in an
    /// imported catalog) asks for the highest rather than the lowest.
    pub fn min_trust(&self) -> TrustLevel {
        TrustLevel::parse(&self.min_trust).unwrap_or(TrustLevel::Hoch)
    }

    /// Keys of `letter_texts` that name no kind of letter (a typo would never be used).
    fn unknown_letter_kinds(&self) -> impl Iterator<Item = &str> {
        self.letter_texts
            .keys()
            .map(String::as_str)
            .filter(|key| rathaus_letters::Kind::from_key(key).is_none())
    }
}

fn key_ok(key: &str) -> bool {
    crate::keys::is_key(key, 80, b'-')
}

/// What an import did.
#[derive(Debug, PartialEq, Eq)]
pub struct Imported {
    pub life_situations: usize,
    pub services: usize,
}

/// Every mistake of a catalog file, so that it can be fixed in one go.
pub fn check(file: &CatalogFile, known_life_situations: &[String]) -> Vec<String> {
    let mut mistakes = Vec::new();
    let mut situations: Vec<&str> = known_life_situations.iter().map(String::as_str).collect();
    for situation in &file.life_situations {
        if !key_ok(&situation.key) {
            mistakes.push(format!(
                "life situation '{}': not a key (a-z, 0-9, -)",
                situation.key
            ));
        }
        situations.push(&situation.key);
    }
    let mut seen = Vec::new();
    for service in &file.services {
        let name = &service.key;
        if !key_ok(name) {
            mistakes.push(format!("service '{name}': not a key (a-z, 0-9, -)"));
        }
        if seen.contains(&name) {
            mistakes.push(format!("service '{name}': twice in the file"));
        }
        seen.push(name);
        if let Some(leika) = &service.leika
            && !(leika.len() == 14 && leika.bytes().all(|b| b.is_ascii_digit()))
        {
            mistakes.push(format!(
                "service '{name}': LeiKa key '{leika}' is not 14 digits"
            ));
        }
        if service.name.trim().is_empty() || service.summary.trim().is_empty() {
            mistakes.push(format!("service '{name}': name and summary are needed"));
        }
        if service.life_situations.is_empty() {
            mistakes.push(format!("service '{name}': belongs to no life situation"));
        }
        for situation in &service.life_situations {
            if !situations.contains(&situation.as_str()) {
                mistakes.push(format!(
                    "service '{name}': unknown life situation '{situation}'"
                ));
            }
        }
        for kind in service.unknown_letter_kinds() {
            mistakes.push(format!("service '{name}': '{kind}' is no kind of letter"));
        }
        if TrustLevel::parse(&service.min_trust).is_none() {
            mistakes.push(format!(
                "service '{name}': min_trust '{}' is not basis, niedrig, substanziell or hoch",
                service.min_trust
            ));
        }
    }
    mistakes
}

/// Adds or updates the catalog's life situations and services (a service keeps whether
/// tenants offer it). Nothing is written if the file has a mistake.
pub async fn import(db: &Db, file: &CatalogFile) -> Result<Imported> {
    let known: Vec<String> = life_situation::Entity::find()
        .all(db.conn())
        .await?
        .into_iter()
        .map(|l| l.key)
        .collect();
    let mistakes = check(file, &known);
    if !mistakes.is_empty() {
        return Err(CoreError::Invalid(mistakes.join("; ")));
    }
    let txn = db.begin_write().await?;
    let first_position = known.len() as i32;
    for (i, situation) in file.life_situations.iter().enumerate() {
        life_situation::Entity::delete_by_id(situation.key.clone())
            .exec(&txn)
            .await?;
        let position = known
            .iter()
            .position(|k| *k == situation.key)
            .map_or(first_position + i as i32, |p| p as i32);
        life_situation::Entity::insert(life_situation::ActiveModel {
            key: Set(situation.key.clone()),
            name_de: Set(situation.name_de.clone()),
            name_en: Set(situation.name_en.clone()),
            position: Set(position),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    for entry in &file.services {
        write_service(&txn, entry).await?;
    }
    changed(&txn).await?;
    txn.commit().await?;
    Ok(Imported {
        life_situations: file.life_situations.len(),
        services: file.services.len(),
    })
}

async fn write_service(conn: &impl ConnectionTrait, entry: &Service) -> Result<()> {
    let model = service::ActiveModel {
        key: Set(entry.key.clone()),
        leika: Set(entry.leika.clone()),
        entry: Set(serde_json::to_string(entry).map_err(|e| CoreError::Invalid(e.to_string()))?),
        name: Set(entry.name.clone()),
        updated_at: Set(Utc::now()),
    };
    let exists = service::Entity::find_by_id(entry.key.clone())
        .one(conn)
        .await?
        .is_some();
    if exists {
        service::Entity::update(model).exec(conn).await?;
    } else {
        service::Entity::insert(model)
            .exec_without_returning(conn)
            .await?;
    }
    service_life_situation::Entity::delete_many()
        .filter(service_life_situation::Column::ServiceKey.eq(entry.key.as_str()))
        .exec(conn)
        .await?;
    for situation in &entry.life_situations {
        service_life_situation::Entity::insert(service_life_situation::ActiveModel {
            service_key: Set(entry.key.clone()),
            life_situation_key: Set(situation.clone()),
        })
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// The tenant offers these services (`None`: all of the catalog).
pub async fn enable(db: &Db, tenant_id: Uuid, keys: Option<&[String]>) -> Result<usize> {
    let all: Vec<String> = match keys {
        Some(keys) => keys.to_vec(),
        None => service::Entity::find()
            .all(db.conn())
            .await?
            .into_iter()
            .map(|s| s.key)
            .collect(),
    };
    let txn = db.begin_write().await?;
    let mut enabled = 0;
    for key in all {
        let existing = tenant_service::Entity::find_by_id((tenant_id, key.clone()))
            .one(&txn)
            .await?;
        if existing.is_some_and(|e| e.enabled) {
            continue;
        }
        tenant_service::Entity::delete_by_id((tenant_id, key.clone()))
            .exec(&txn)
            .await?;
        tenant_service::Entity::insert(tenant_service::ActiveModel {
            tenant_id: Set(tenant_id),
            service_key: Set(key),
            enabled: Set(true),
            overrides: Set("{}".into()),
        })
        .exec_without_returning(&txn)
        .await?;
        enabled += 1;
    }
    changed(&txn).await?;
    txn.commit().await?;
    Ok(enabled)
}

/// The fields of a service a tenant may word or set differently.
pub const OVERRIDABLE: &[&str] = &[
    "name",
    "summary",
    "description",
    "fees",
    "fee_cents",
    "processing_time",
    "deadline_days",
    "retention_days",
    "documents",
    "contact",
    "in_person",
    "legal_basis",
    "department",
    "form",
    "min_trust",
    "online",
    "anonymous",
    "appointment",
    "delivery",
    "payment",
    "letter_texts",
];

/// How a tenant offers one service.
#[derive(Clone, Debug)]
pub struct Offer {
    /// As the shared catalog has it.
    pub catalog: Service,
    pub enabled: bool,
    /// The tenant's own values, by field.
    pub overrides: serde_json::Map<String, serde_json::Value>,
}

impl Offer {
    /// The service with the tenant's values in place of the catalog's.
    pub fn service(&self) -> std::result::Result<Service, serde_json::Error> {
        let mut merged = serde_json::to_value(&self.catalog).expect("a service serialises");
        if let Some(fields) = merged.as_object_mut() {
            fields.extend(self.overrides.clone());
        }
        serde_json::from_value(merged)
    }
}

/// The service `key` of the catalog and how the tenant offers it.
pub async fn offer(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    key: &str,
) -> Result<Option<Offer>> {
    let Some(row) = service::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let catalog: Service = serde_json::from_str(&row.entry)
        .map_err(|e| CoreError::Invalid(format!("stored service {key}: {e}")))?;
    let offered = tenant_service::Entity::find_by_id((tenant_id, key.to_owned()))
        .one(conn)
        .await?;
    let (enabled, overrides) = match offered {
        Some(o) => (
            o.enabled,
            serde_json::from_str(&o.overrides).unwrap_or_default(),
        ),
        None => (false, serde_json::Map::new()),
    };
    Ok(Some(Offer {
        catalog,
        enabled,
        overrides,
    }))
}

/// The service `key` as the tenant words it (also one it no longer offers: cases of it
/// are still handled).
pub async fn service_of(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    key: &str,
) -> Result<Option<Service>> {
    match offer(conn, tenant_id, key).await? {
        Some(offer) => Ok(Some(offer.service().map_err(|e| {
            CoreError::Invalid(format!("service {key} with the town's values: {e}"))
        })?)),
        None => Ok(None),
    }
}

/// Sets whether and how the tenant offers a service. The tenant's values replace the
/// catalog's; a field not in [`OVERRIDABLE`] or a value the service cannot have is
/// refused with all problems.
pub async fn set_offer(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    key: &str,
    enabled: bool,
    overrides: serde_json::Map<String, serde_json::Value>,
) -> Result<std::result::Result<(), Vec<String>>> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    let Some(current) = offer(db.conn(), tenant_id, key).await? else {
        return Err(CoreError::NotFound(format!("service {key}")));
    };
    let mut problems: Vec<String> = overrides
        .keys()
        .filter(|k| !OVERRIDABLE.contains(&k.as_str()))
        .map(|k| format!("'{k}' cannot be set per town hall"))
        .collect();
    let proposed = Offer {
        overrides: overrides.clone(),
        ..current
    };
    match proposed.service() {
        Ok(service) => {
            if TrustLevel::parse(&service.min_trust).is_none() {
                problems.push(format!("'{}' is not a trust level", service.min_trust));
            }
            if service.fee_cents.is_some_and(|c| c < 0) {
                problems.push("a fee cannot be negative".into());
            }
            for kind in service.unknown_letter_kinds() {
                problems.push(format!("'{kind}' is no kind of letter"));
            }
        }
        Err(e) => problems.push(e.to_string()),
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let txn = db.begin_write().await?;
    tenant_service::Entity::delete_by_id((tenant_id, key.to_owned()))
        .exec(&txn)
        .await?;
    tenant_service::Entity::insert(tenant_service::ActiveModel {
        tenant_id: Set(tenant_id),
        service_key: Set(key.to_owned()),
        enabled: Set(enabled),
        overrides: Set(serde_json::Value::Object(overrides.clone()).to_string()),
    })
    .exec_without_returning(&txn)
    .await?;
    let fields: Vec<&String> = overrides.keys().collect();
    let event = Event::new("catalog.offer_changed", "service")
        .object(key)
        .details(serde_json::json!({ "enabled": enabled, "fields": fields }));
    audit::record(&txn, actor, origin, event).await?;
    changed(&txn).await?;
    txn.commit().await?;
    Ok(Ok(()))
}

/// The whole catalog as a file (services without any tenant's wording).
pub async fn export(conn: &impl ConnectionTrait) -> Result<CatalogFile> {
    let rows = service::Entity::find()
        .order_by_asc(service::Column::Key)
        .all(conn)
        .await?;
    let services = rows
        .iter()
        .map(|row| {
            serde_json::from_str(&row.entry)
                .map_err(|e| CoreError::Invalid(format!("stored service {}: {e}", row.key)))
        })
        .collect::<Result<Vec<Service>>>()?;
    Ok(CatalogFile {
        life_situations: life_situations(conn).await?,
        services,
    })
}

/// The life situations, in the catalog's order.
pub async fn life_situations(conn: &impl ConnectionTrait) -> Result<Vec<LifeSituation>> {
    Ok(life_situation::Entity::find()
        .order_by_asc(life_situation::Column::Position)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| LifeSituation {
            key: l.key,
            name_de: l.name_de,
            name_en: l.name_en,
        })
        .collect())
}

/// Increases the catalog version, inside the transaction of the change.
async fn changed(conn: &impl ConnectionTrait) -> Result<()> {
    catalog_version::Entity::update_many()
        .col_expr(
            catalog_version::Column::Version,
            Expr::col(catalog_version::Column::Version).add(1),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// What the portal reads on nearly every page, kept in memory: the life situations
/// (read at most once a minute; they change only with an import) and per tenant what it
/// offers ([`Offered`], read again when the catalog version moved on — one small read
/// per request, so a change made by another process shows at once).
#[derive(Clone, Default)]
pub struct CatalogCache {
    life_situations: Arc<RwLock<Option<ReadAt<Vec<LifeSituation>>>>>,
    offered: Arc<RwLock<HashMap<Uuid, Arc<Offered>>>>,
    /// One reading at a time: while it runs, other requests use the copy they have.
    reading: Arc<tokio::sync::Mutex<()>>,
}

/// A value read from the database, and when.
type ReadAt<T> = (Instant, Arc<T>);

const LIFE_SITUATIONS_MAX_AGE: Duration = Duration::from_secs(60);

impl CatalogCache {
    pub async fn life_situations(
        &self,
        conn: &impl ConnectionTrait,
    ) -> Result<Arc<Vec<LifeSituation>>> {
        if let Some((at, list)) = &*self.life_situations.read().expect("not poisoned")
            && at.elapsed() < LIFE_SITUATIONS_MAX_AGE
        {
            return Ok(list.clone());
        }
        let fresh = Arc::new(life_situations(conn).await?);
        *self.life_situations.write().expect("not poisoned") =
            Some((Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// What the tenant offers, as of the current catalog version (or, while another
    /// request reads the new version, as of the one before).
    pub async fn offered(
        &self,
        conn: &impl ConnectionTrait,
        tenant_id: Uuid,
    ) -> Result<Arc<Offered>> {
        let now = offered::version(conn).await?;
        let held = self.held(tenant_id);
        if let Some(copy) = &held
            && copy.version() >= now
        {
            return Ok(copy.clone());
        }
        let _reading = match (self.reading.try_lock(), held) {
            (Ok(guard), _) => guard,
            (Err(_), Some(older)) => return Ok(older),
            (Err(_), None) => self.reading.lock().await,
        };
        if let Some(copy) = self.held(tenant_id)
            && copy.version() >= now
        {
            return Ok(copy);
        }
        let fresh = Arc::new(Offered::load(conn, tenant_id).await?);
        self.offered
            .write()
            .expect("not poisoned")
            .insert(tenant_id, fresh.clone());
        Ok(fresh)
    }

    fn held(&self, tenant_id: Uuid) -> Option<Arc<Offered>> {
        self.offered
            .read()
            .expect("not poisoned")
            .get(&tenant_id)
            .cloned()
    }
}
