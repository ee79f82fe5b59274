//! Login through external OpenID Connect providers — how BundID and the state accounts
//! reach municipal portals (usually through a Keycloak bridge): authorization code flow
//! with PKCE, `state` and `nonce`, ID token validation, and the provider's `acr` mapped
//! to a trust level. Providers are configured per tenant.

mod flow;
mod providers;

pub use flow::{ExternalIdentity, LoginProblem, begin, finish};
pub use providers::{NewProvider, Provider, add_provider, by_slug, for_tenant};
