//! The service catalog: services (Leistungen) ordered by life situation (Lebenslage),
//! shared by all tenants, each tenant offering the ones it enables with its own wording
//! where it differs. Catalogs are exchanged as JSON files ([`CatalogFile`]) so that
//! cities can share them.
//!
//! The search finds German word forms ("Umzügen" finds "Umzug") with each word also as a
//! word beginning ("Park" finds "Parkausweis"): PostgreSQL through its `german` text
//! search configuration, SQLite through the same Snowball stemmer applied here.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::dialect;
use rathaus_store::entities::{life_situation, service, service_life_situation, tenant_service};
use rust_stemmers::{Algorithm, Stemmer};
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

    fn search_source(&self) -> String {
        [
            self.name.as_str(),
            &self.summary,
            &self.description,
            &self.keywords.join(" "),
        ]
        .join(" ")
    }
}

/// The words of a text, lower case, letters and digits only.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words of a query: a search is a few words, not a paragraph, so the first twelve
/// count.
fn query_terms(query: &str) -> Vec<String> {
    let mut terms = words(query);
    terms.truncate(12);
    terms
}

fn stemmed(words: &[String]) -> Vec<String> {
    let stemmer = Stemmer::create(Algorithm::German);
    words.iter().map(|w| stemmer.stem(w).into_owned()).collect()
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
        search_source: Set(entry.search_source()),
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
    let index = stemmed(&words(&entry.search_source())).join(" ");
    dialect::index_service(conn, &entry.key, &index).await?;
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
    let mut merged = serde_json::to_value(&current.catalog).expect("a service serialises");
    if let Some(fields) = merged.as_object_mut() {
        fields.extend(overrides.clone());
    }
    match serde_json::from_value::<Service>(merged) {
        Ok(service) => {
            if TrustLevel::parse(&service.min_trust).is_none() {
                problems.push(format!("'{}' is not a trust level", service.min_trust));
            }
            if service.fee_cents.is_some_and(|c| c < 0) {
                problems.push("a fee cannot be negative".into());
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

/// A service as the tenant offers it (its overrides applied); `None` if it does not.
pub async fn service(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    key: &str,
) -> Result<Option<Service>> {
    Ok(offered(conn, tenant_id, &[key.to_owned()]).await?.pop())
}

/// What every search and start page needs and changes only when a catalog is imported
/// or a town words its services differently: the life situations, and per tenant the
/// words of its services' names and keywords (for typo suggestions). Read from the
/// database at most once a minute — an import may come from another process, so a time
/// limit rather than a signal.
#[derive(Clone, Default)]
pub struct CatalogCache {
    life_situations: Arc<RwLock<Option<Read<Vec<LifeSituation>>>>>,
    vocabularies: Arc<RwLock<HashMap<Uuid, Read<Vec<String>>>>>,
}

/// A value read from the database, and when.
type Read<T> = (Instant, Arc<T>);

const CACHE_MAX_AGE: Duration = Duration::from_secs(60);

impl CatalogCache {
    pub async fn life_situations(
        &self,
        conn: &impl ConnectionTrait,
    ) -> Result<Arc<Vec<LifeSituation>>> {
        if let Some((at, list)) = &*self.life_situations.read().expect("not poisoned")
            && at.elapsed() < CACHE_MAX_AGE
        {
            return Ok(list.clone());
        }
        let fresh = Arc::new(life_situations(conn).await?);
        *self.life_situations.write().expect("not poisoned") =
            Some((Instant::now(), fresh.clone()));
        Ok(fresh)
    }

    /// The sorted words (four letters or more) of the names and keywords of the
    /// services the tenant offers.
    pub async fn vocabulary(
        &self,
        conn: &impl ConnectionTrait,
        tenant_id: Uuid,
    ) -> Result<Arc<Vec<String>>> {
        if let Some((at, words)) = self
            .vocabularies
            .read()
            .expect("not poisoned")
            .get(&tenant_id)
            && at.elapsed() < CACHE_MAX_AGE
        {
            return Ok(words.clone());
        }
        let fresh = Arc::new(vocabulary(conn, tenant_id).await?);
        self.vocabularies
            .write()
            .expect("not poisoned")
            .insert(tenant_id, (Instant::now(), fresh.clone()));
        Ok(fresh)
    }
}

/// The services of a life situation the tenant offers, by name.
pub async fn in_life_situation(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    situation: &str,
) -> Result<Vec<Service>> {
    let keys: Vec<String> = service_life_situation::Entity::find()
        .filter(service_life_situation::Column::LifeSituationKey.eq(situation))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.service_key)
        .collect();
    let mut services = offered(conn, tenant_id, &keys).await?;
    services.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(services)
}

/// The services a tenant offers that match the words of `query`, best first.
pub async fn search(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    query: &str,
    limit: u64,
) -> Result<Vec<Service>> {
    let terms = query_terms(query);
    let keys = dialect::search_services(conn, tenant_id, &terms, &stemmed(&terms), limit).await?;
    offered(conn, tenant_id, &keys).await
}

/// For a search that found nothing: the query with each unknown word replaced by the
/// closest word of the names and keywords of the tenant's services (one typo in short
/// words, two in longer ones), if that changes anything. "Parkausweiß" → "parkausweis".
pub fn suggestion(vocabulary: &[String], query: &str) -> Option<String> {
    let mut changed = false;
    let corrected: Vec<String> = query_terms(query)
        .into_iter()
        .map(|term| {
            if vocabulary.binary_search(&term).is_ok() {
                return term;
            }
            let allowed = if term.chars().count() <= 5 { 1 } else { 2 };
            let closest = vocabulary
                .iter()
                .map(|word| (edit_distance(&term, word), word))
                .filter(|(distance, _)| *distance <= allowed)
                .min();
            match closest {
                Some((_, word)) => {
                    changed = true;
                    word.clone()
                }
                None => term,
            }
        })
        .collect();
    changed.then(|| corrected.join(" "))
}

/// The sorted words (four letters or more) of the names and keywords of the services a
/// tenant offers: what a typo is corrected towards.
pub async fn vocabulary(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<String>> {
    let mut words: Vec<String> = all_offered(conn, tenant_id)
        .await?
        .iter()
        .flat_map(|s| words(&format!("{} {}", s.name, s.keywords.join(" "))))
        .filter(|w| w.chars().count() >= 4)
        .collect();
    words.sort();
    words.dedup();
    Ok(words)
}

/// Levenshtein distance of two words (by characters).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The entries of `keys` the tenant offers, in the order of `keys`, overrides applied.
/// Every service the tenant offers, by name.
pub async fn all_offered(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<Service>> {
    let keys: Vec<String> = tenant_service::Entity::find()
        .filter(tenant_service::Column::TenantId.eq(tenant_id))
        .filter(tenant_service::Column::Enabled.eq(true))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| t.service_key)
        .collect();
    let mut services = offered(conn, tenant_id, &keys).await?;
    services.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(services)
}

async fn offered(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    keys: &[String],
) -> Result<Vec<Service>> {
    let offers: HashMap<String, String> = tenant_service::Entity::find()
        .filter(tenant_service::Column::TenantId.eq(tenant_id))
        .filter(tenant_service::Column::Enabled.eq(true))
        .filter(tenant_service::Column::ServiceKey.is_in(keys.iter().map(String::as_str)))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.service_key, t.overrides))
        .collect();
    let rows: HashMap<String, String> = service::Entity::find()
        .filter(service::Column::Key.is_in(offers.keys().map(String::as_str)))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.key, s.entry))
        .collect();
    let mut services = Vec::new();
    for key in keys {
        let (Some(entry), Some(overrides)) = (rows.get(key), offers.get(key)) else {
            continue;
        };
        let mut entry: serde_json::Value = serde_json::from_str(entry)
            .map_err(|e| CoreError::Invalid(format!("stored service {key}: {e}")))?;
        if let (Some(fields), Ok(serde_json::Value::Object(changes))) =
            (entry.as_object_mut(), serde_json::from_str(overrides))
        {
            fields.extend(changes);
        }
        let service = serde_json::from_value(entry)
            .map_err(|e| CoreError::Invalid(format!("service {key} with overrides: {e}")))?;
        services.push(service);
    }
    Ok(services)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_forms_meet_in_their_stem() {
        let stem = |w: &str| stemmed(&words(w));
        assert_eq!(stem("Umzügen"), stem("Umzug"));
        assert_eq!(stem("Parkausweise"), stem("Parkausweis"));
        assert_eq!(stem("Eheschließung"), stem("eheschliessung"));
        assert_eq!(words("Kfz-Zulassung (neu)!"), ["kfz", "zulassung", "neu"]);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("parkausweiß", "parkausweis"), 1);
        assert_eq!(edit_distance("gewrbe", "gewerbe"), 1);
        assert_eq!(edit_distance("hund", "hund"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("einbürgerung", "einbuergerung"), 2);
    }
}
