//! The identity providers of a tenant.

use std::collections::BTreeMap;

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::identity_provider;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::claims::ClaimMapping;
use crate::error::{CoreError, Result};
use crate::secrets::Sealer;
use crate::trust::TrustLevel;

pub type Provider = identity_provider::Model;

/// Who logs in through a provider: a citizens' provider never opens the staff area, a
/// staff provider never a citizen account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Citizens,
    Staff,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizens => "citizens",
            Self::Staff => "staff",
        }
    }
}

/// For staff providers: which groups of the city's directory grant which roles and
/// departments. A person in none of the mapped groups gets no access.
#[derive(Default)]
pub struct GroupMapping<'a> {
    /// The claim that lists the groups (`groups` for Keycloak).
    pub claim: &'a str,
    /// (group, role key) pairs.
    pub roles: &'a [(&'a str, &'a str)],
    /// (group, department key) pairs.
    pub departments: &'a [(&'a str, &'a str)],
}

pub struct NewProvider<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// Besides `openid`, e.g. `["email", "profile", "address"]`.
    pub scopes: &'a [&'a str],
    /// The provider's `acr` values (or the values of the claim mapped to `trust`) and
    /// the trust level each stands for.
    pub acr_levels: &'a [(&'a str, TrustLevel)],
    /// Claims away from the OpenID standard names.
    pub claims: ClaimMapping,
    pub audience: Audience,
    /// Only for staff providers.
    pub groups: GroupMapping<'a>,
}

/// `{"group": ["a", "b"]}` from (group, value) pairs.
fn group_map(pairs: &[(&str, &str)]) -> String {
    let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (group, value) in pairs {
        map.entry(group).or_default().push(value);
    }
    serde_json::to_string(&map).expect("a map serialises")
}

/// Group → values, as stored by [`group_map`].
fn read_group_map(json: &str) -> BTreeMap<String, Vec<String>> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The role keys and department keys the groups of a person grant at a staff provider.
pub fn granted_by_groups(provider: &Provider, groups: &[String]) -> (Vec<String>, Vec<String>) {
    let pick = |json: &str| {
        let map = read_group_map(json);
        let mut values: Vec<String> = groups
            .iter()
            .filter_map(|g| map.get(g))
            .flatten()
            .cloned()
            .collect();
        values.sort();
        values.dedup();
        values
    };
    (
        pick(&provider.group_roles),
        pick(&provider.group_departments),
    )
}

/// Whether an issuer may be used: HTTPS, except on this machine (tests, development).
fn issuer_allowed(issuer: &str) -> bool {
    issuer.starts_with("https://")
        || issuer.starts_with("http://127.0.0.1:")
        || issuer.starts_with("http://localhost:")
}

/// What a provider's client secret is bound to when sealed: its own row.
pub(super) fn secret_owner(provider_id: Uuid) -> String {
    format!("identity_provider:{provider_id}")
}

/// The provider's client secret, opened; a secret sealed with another key (the
/// installation's key was changed or lost) is a mistake of the setup, said as such.
pub(super) fn client_secret(provider: &Provider, sealer: &Sealer) -> Result<String> {
    sealer
        .open(&provider.client_secret, &secret_owner(provider.id))
        .ok_or_else(|| {
            CoreError::Invalid(format!(
                "the client secret of the identity provider '{}' does not open with this \
                 installation's secret key (secret_key / secret.key changed?); add the \
                 provider again",
                provider.slug
            ))
        })
}

/// Seals the client secrets stored before sealing existed (run at start).
pub async fn seal_stored_secrets(db: &Db, sealer: &Sealer) -> Result<u64> {
    let plain: Vec<Provider> = identity_provider::Entity::find()
        .all(db.conn())
        .await?
        .into_iter()
        .filter(|p| !Sealer::is_sealed(&p.client_secret))
        .collect();
    for provider in &plain {
        let sealed = sealer.seal(&provider.client_secret, &secret_owner(provider.id));
        identity_provider::Entity::update_many()
            .col_expr(
                identity_provider::Column::ClientSecret,
                sea_orm::sea_query::Expr::value(sealed),
            )
            .filter(identity_provider::Column::Id.eq(provider.id))
            .exec(db.conn())
            .await?;
    }
    Ok(plain.len() as u64)
}

pub async fn add_provider(
    db: &Db,
    sealer: &Sealer,
    tenant_id: Uuid,
    new: NewProvider<'_>,
) -> Result<Provider> {
    if !issuer_allowed(new.issuer) {
        return Err(CoreError::Invalid(format!(
            "the issuer {} must be an https:// URL",
            new.issuer
        )));
    }
    let slug_ok = crate::keys::is_key(new.slug, usize::MAX, b'-');
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
    if new.audience == Audience::Staff {
        check_group_mapping(db, tenant_id, &new.groups).await?;
    }
    let id = Uuid::now_v7();
    let model = identity_provider::Model {
        id,
        tenant_id,
        slug: new.slug.to_owned(),
        name: new.name.to_owned(),
        issuer: new.issuer.trim_end_matches('/').to_owned(),
        client_id: new.client_id.to_owned(),
        client_secret: sealer.seal(new.client_secret, &secret_owner(id)),
        scopes: new.scopes.join(" "),
        acr_levels: serde_json::to_string(&levels).expect("a map serialises"),
        created_at: Utc::now(),
        audience: new.audience.as_str().to_owned(),
        group_claim: Some(new.groups.claim)
            .filter(|c| !c.is_empty())
            .unwrap_or("groups")
            .to_owned(),
        group_roles: group_map(new.groups.roles),
        group_departments: group_map(new.groups.departments),
        claim_mapping: new.claims.to_json(),
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
        audience: Set(model.audience.clone()),
        group_claim: Set(model.group_claim.clone()),
        group_roles: Set(model.group_roles.clone()),
        group_departments: Set(model.group_departments.clone()),
        claim_mapping: Set(model.claim_mapping.clone()),
    })
    .exec_without_returning(db.conn())
    .await?;
    Ok(model)
}

async fn check_group_mapping(db: &Db, tenant_id: Uuid, groups: &GroupMapping<'_>) -> Result<()> {
    if groups.roles.is_empty() {
        return Err(CoreError::Invalid(
            "a staff provider needs at least one group → role mapping".into(),
        ));
    }
    let roles: Vec<String> = groups.roles.iter().map(|(_, r)| (*r).to_owned()).collect();
    crate::roles::check_known(db.conn(), tenant_id, &roles).await?;
    for (_, key) in groups.departments {
        if crate::departments::by_key(db.conn(), tenant_id, key)
            .await?
            .is_none()
        {
            return Err(CoreError::Invalid(format!(
                "there is no department '{key}'"
            )));
        }
    }
    Ok(())
}

/// The provider with this slug, if it serves `audience`.
pub async fn by_slug(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    audience: Audience,
    slug: &str,
) -> Result<Option<Provider>> {
    Ok(identity_provider::Entity::find()
        .filter(identity_provider::Column::TenantId.eq(tenant_id))
        .filter(identity_provider::Column::Audience.eq(audience.as_str()))
        .filter(identity_provider::Column::Slug.eq(slug))
        .one(conn)
        .await?)
}

pub async fn for_tenant(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    audience: Audience,
) -> Result<Vec<Provider>> {
    Ok(identity_provider::Entity::find()
        .filter(identity_provider::Column::TenantId.eq(tenant_id))
        .filter(identity_provider::Column::Audience.eq(audience.as_str()))
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

/// The highest trust level a login through the provider can reach (for offering the
/// providers that suffice for a service).
pub fn highest_level(provider: &Provider) -> Option<TrustLevel> {
    acr_levels(provider)
        .values()
        .filter_map(|l| TrustLevel::parse(l))
        .max()
}

/// The `acr` values configured for the provider.
pub(super) fn known_acr_values(provider: &Provider) -> Vec<String> {
    acr_levels(provider).into_keys().collect()
}
