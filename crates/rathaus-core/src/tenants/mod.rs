//! Municipalities. One installation serves several; the host name of a request picks
//! the tenant, and every tenant-owned row carries its id.

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::{tenant, tenant_host};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};

pub mod settings;

pub type Tenant = tenant::Model;

/// Everything needed to create a tenant.
#[derive(Clone, Debug)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub reference_prefix: String,
    pub hosts: Vec<String>,
    pub logo_svg: Option<String>,
    pub primary_color: String,
    pub contact_address: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub contact_hours: String,
    pub imprint: String,
    pub privacy: String,
    pub accessibility: String,
    /// The account for payments by transfer, one line; letters name it.
    pub bank_details: Option<String>,
}

impl NewTenant {
    fn validate(&self) -> Result<()> {
        let slug_ok = crate::keys::is_key(&self.slug, 40, b'-');
        if !slug_ok {
            return Err(CoreError::Invalid(format!(
                "slug '{}' must be 1–40 characters of a–z, 0–9 and '-'",
                self.slug
            )));
        }
        if self.name.trim().is_empty() {
            return Err(CoreError::Invalid("the name must not be empty".into()));
        }
        let prefix_ok = (2..=3).contains(&self.reference_prefix.len())
            && self
                .reference_prefix
                .bytes()
                .all(|b| b.is_ascii_uppercase());
        if !prefix_ok {
            return Err(CoreError::Invalid(
                "the reference prefix must be 2–3 capital letters (e.g. MS)".into(),
            ));
        }
        match settings::colour_problem(&self.primary_color) {
            Some(settings::Problem::NotAColour) => {
                return Err(CoreError::Invalid(format!(
                    "colour '{}' must be written #rrggbb",
                    self.primary_color
                )));
            }
            Some(_) => {
                return Err(CoreError::Invalid(format!(
                    "colour '{}' is too pale: it needs a contrast of 3:1 with white",
                    self.primary_color
                )));
            }
            None => {}
        }
        let coat_of_arms = self.logo_svg.as_deref();
        if let Some(problem) = coat_of_arms.and_then(settings::coat_of_arms_problem) {
            return Err(CoreError::Invalid(match problem {
                settings::Problem::CoatOfArmsTooLarge => format!(
                    "the coat of arms is larger than {} KB",
                    settings::COAT_OF_ARMS_MAX_BYTES / 1024
                ),
                _ => "the coat of arms does not read as SVG".into(),
            }));
        }
        if self
            .bank_details
            .as_deref()
            .is_some_and(|b| b.contains('\n'))
        {
            return Err(CoreError::Invalid("the bank details are one line".into()));
        }
        Ok(())
    }
}

/// Creates a tenant with its host names, audited, in one transaction.
pub async fn create(db: &Db, actor: &Actor, origin: &Origin, new: NewTenant) -> Result<Tenant> {
    new.validate()?;
    let txn = db.begin_write().await?;
    let id = Uuid::now_v7();
    let model = tenant::ActiveModel {
        id: Set(id),
        slug: Set(new.slug.clone()),
        name: Set(new.name),
        reference_prefix: Set(new.reference_prefix),
        logo_svg: Set(new.logo_svg),
        primary_color: Set(new.primary_color),
        contact_address: Set(new.contact_address),
        contact_phone: Set(new.contact_phone),
        contact_email: Set(new.contact_email),
        contact_hours: Set(new.contact_hours),
        imprint: Set(new.imprint),
        privacy: Set(new.privacy),
        accessibility: Set(new.accessibility),
        created_at: Set(Utc::now()),
        bank_details: Set(new.bank_details),
    };
    tenant::Entity::insert(model)
        .exec_without_returning(&txn)
        .await?;
    for host in &new.hosts {
        tenant_host::Entity::insert(tenant_host::ActiveModel {
            host: Set(normalize_host(host)),
            tenant_id: Set(id),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    crate::roles::ensure_built_in(&txn, id).await?;
    let mut audit_actor = actor.clone();
    audit_actor.tenant_id = Some(id);
    audit::record(
        &txn,
        &audit_actor,
        origin,
        Event::new("tenant.create", "tenant")
            .object(id)
            .details(serde_json::json!({ "slug": new.slug, "hosts": new.hosts })),
    )
    .await?;
    txn.commit().await?;
    by_id(db.conn(), id)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("tenant {id}")))
}

pub async fn by_id(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Tenant>> {
    Ok(tenant::Entity::find_by_id(id).one(conn).await?)
}

pub async fn by_slug(conn: &impl ConnectionTrait, slug: &str) -> Result<Option<Tenant>> {
    Ok(tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(conn)
        .await?)
}

/// All tenants with their host names (for the resolver's cache).
pub async fn all_with_hosts(conn: &impl ConnectionTrait) -> Result<Vec<(Tenant, Vec<String>)>> {
    let rows = tenant::Entity::find().all(conn).await?;
    let hosts = tenant_host::Entity::find().all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|t| {
            let names = hosts
                .iter()
                .filter(|h| h.tenant_id == t.id)
                .map(|h| h.host.clone())
                .collect();
            (t, names)
        })
        .collect())
}

/// Lower case, without port and trailing dot: how host names are stored and looked up.
pub fn normalize_host(host: &str) -> String {
    let host = host.trim().trim_end_matches('.');
    let without_port = match host.rsplit_once(':') {
        // An IPv6 literal keeps its colons inside brackets.
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host,
    };
    without_port.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(
            normalize_host("WWW.Musterstadt.de:8080"),
            "www.musterstadt.de"
        );
        assert_eq!(normalize_host("musterstadt.de."), "musterstadt.de");
        assert_eq!(normalize_host("[::1]:80"), "[::1]");
    }
}
