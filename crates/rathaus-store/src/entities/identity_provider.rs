use sea_orm::entity::prelude::*;

/// An OpenID Connect provider citizens (BundID, state accounts) or staff (the city's
/// Keycloak or AD FS) of a tenant log in with.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identity_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// In URLs: `/konto/anmelden/<slug>`.
    pub slug: String,
    /// Shown on the button and as the source of verified data, e.g. "BundID".
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Space-separated, besides `openid`.
    pub scopes: String,
    /// JSON object: the provider's `acr` value → trust level (basis, niedrig,
    /// substanziell, hoch). An `acr` not listed is refused.
    pub acr_levels: String,
    pub created_at: DateTimeUtc,
    /// `citizens` or `staff`.
    pub audience: String,
    /// Staff providers: the claim that lists the person's groups.
    pub group_claim: String,
    /// Staff providers: JSON object, group → role keys.
    pub group_roles: String,
    /// Staff providers: JSON object, group → department keys.
    pub group_departments: String,
    /// JSON object: what (`trust`, `given_name`, `birth_date`, …) → the claim that
    /// carries it, where the provider does not use the standard name.
    pub claim_mapping: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
