//! Login through external OpenID Connect providers — how BundID and the state accounts
//! reach municipal portals (usually through a Keycloak bridge): authorization code flow
//! with PKCE, `state` and `nonce`, ID token validation, and the provider's `acr` (or a
//! claim configured instead) mapped to a trust level. Providers are configured per
//! tenant, for citizens or for staff (the city's own Keycloak or AD FS, whose groups map
//! to roles and departments).

mod claims;
mod flow;
mod providers;

pub use claims::ClaimMapping;
pub use flow::{Begun, ExternalIdentity, LoginProblem, begin, finish};
pub use providers::{
    Audience, GroupMapping, NewProvider, Provider, add_provider, by_slug, for_tenant,
    granted_by_groups, highest_level, seal_stored_secrets,
};
