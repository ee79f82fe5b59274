//! The identity providers of a tenant.

use std::collections::BTreeMap;

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::identity_provider;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::trust::TrustLevel;

pub type Provider = identity_provider::Model;

pub struct NewProvider<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// Besides `openid`, e.g. `["email", "profile", "address"]`.
    pub scopes: &'a [&'a str],
    /// The provider's `acr` values and the trust level each stands for.
    pub acr_levels: &'a [(&'a str, TrustLevel)],
}

/// Whether an issuer may be used: HTTPS, except on this machine (tests, development).
fn issuer_allowed(issuer: &str) -> bool {
    issuer.starts_with("https://")
        || issuer.starts_with("http://127.0.0.1:")
        || issuer.starts_with("http://localhost:")
}

pub async fn add_provider(db: &Db, tenant_id: Uuid, new: NewProvider<'_>) -> Result<Provider> {
    if !issuer_allowed(new.issuer) {
        return Err(CoreError::Invalid(format!(
            "the issuer {} must be an https:// URL",
            new.issuer
        )));
    }
    let slug_ok = !new.slug.is_empty()
        && new
            .slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !slug_ok {
        return Err(CoreError::Invalid(format!(
            "'{}' is not a usable short name (a-z, 0-9, -)",
            new.slug
        )));
    }
    let levels: BTreeMap<&str, &str> = new
        .acr_levels
        .iter()
        .map(|(acr, level)| (*acr, level.as_str()))
        .collect();
    let model = identity_provider::Model {
        id: Uuid::now_v7(),
        tenant_id,
        slug: new.slug.to_owned(),
        name: new.name.to_owned(),
        issuer: new.issuer.trim_end_matches('/').to_owned(),
        client_id: new.client_id.to_owned(),
        client_secret: new.client_secret.to_owned(),
        scopes: new.scopes.join(" "),
        acr_levels: serde_json::to_string(&levels).expect("a map serialises"),
        created_at: Utc::now(),
    };
    identity_provider::Entity::insert(identity_provider::ActiveModel {
        id: Set(model.id),
        tenant_id: Set(model.tenant_id),
        slug: Set(model.slug.clone()),
        name: Set(model.name.clone()),
        issuer: Set(model.issuer.clone()),
        client_id: Set(model.client_id.clone()),
        client_secret: Set(model.client_secret.clone()),
        scopes: Set(model.scopes.clone()),
        acr_levels: Set(model.acr_levels.clone()),
        created_at: Set(model.created_at),
    })
    .exec_without_returning(db.conn())
    .await?;
    Ok(model)
}

pub async fn by_slug(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    slug: &str,
) -> Result<Option<Provider>> {
    Ok(identity_provider::Entity::find()
        .filter(identity_provider::Column::TenantId.eq(tenant_id))
        .filter(identity_provider::Column::Slug.eq(slug))
        .one(conn)
        .await?)
}

pub async fn for_tenant(conn: &impl ConnectionTrait, tenant_id: Uuid) -> Result<Vec<Provider>> {
    Ok(identity_provider::Entity::find()
        .filter(identity_provider::Column::TenantId.eq(tenant_id))
        .order_by_asc(identity_provider::Column::Name)
        .all(conn)
        .await?)
}

fn acr_levels(provider: &Provider) -> BTreeMap<String, String> {
    serde_json::from_str(&provider.acr_levels).unwrap_or_default()
}

/// The trust level the provider's `acr` stands for; none for a value not configured.
pub(super) fn level_of(provider: &Provider, acr: &str) -> Option<TrustLevel> {
    acr_levels(provider)
        .get(acr)
        .and_then(|l| TrustLevel::parse(l))
}

/// The `acr` values configured for the provider.
pub(super) fn known_acr_values(provider: &Provider) -> Vec<String> {
    acr_levels(provider).into_keys().collect()
}
