//! Registered apps and their redirect URIs.

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::app_client;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use url::Url;
use uuid::Uuid;

use super::{Scope, parse_scopes, scope_list};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};

#[derive(Clone, Debug)]
pub struct Client {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<Scope>,
}

impl TryFrom<app_client::Model> for Client {
    type Error = CoreError;

    fn try_from(row: app_client::Model) -> Result<Self> {
        let broken =
            |what: &str| CoreError::Invalid(format!("app client {}: {what}", row.client_id));
        Ok(Self {
            redirect_uris: serde_json::from_str(&row.redirect_uris)
                .map_err(|_| broken("redirect URIs"))?,
            scopes: parse_scopes(&row.scopes).ok_or_else(|| broken("scopes"))?,
            id: row.id,
            tenant_id: row.tenant_id,
            client_id: row.client_id,
            name: row.name,
        })
    }
}

pub async fn by_client_id(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    client_id: &str,
) -> Result<Option<Client>> {
    app_client::Entity::find()
        .filter(app_client::Column::TenantId.eq(tenant_id))
        .filter(app_client::Column::ClientId.eq(client_id))
        .one(conn)
        .await?
        .map(Client::try_from)
        .transpose()
}

pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub redirect_uris: &'a [String],
    pub scopes: &'a [Scope],
}

/// Registers an app. Redirect URIs must be absolute, without fragment, and either
/// HTTPS, a loopback address over HTTP (RFC 8252 §7.3), or a private-use scheme with a
/// dot in it (`de.musterstadt.app:/…`, RFC 8252 §7.1).
pub async fn register(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    new: NewClient<'_>,
) -> Result<Client> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    let client_id = new.client_id.trim();
    let valid_id = !client_id.is_empty()
        && client_id.len() <= 100
        && client_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !valid_id {
        return Err(CoreError::Invalid(
            "client id: letters, digits, '-', '_' and '.' only".into(),
        ));
    }
    if new.name.trim().is_empty() {
        return Err(CoreError::Invalid("the app needs a name".into()));
    }
    if new.redirect_uris.is_empty() {
        return Err(CoreError::Invalid("at least one redirect URI".into()));
    }
    for uri in new.redirect_uris {
        if !acceptable_redirect(uri) {
            return Err(CoreError::Invalid(format!(
                "redirect URI {uri}: HTTPS, http://127.0.0.1 or [::1], or an app scheme \
                 with a dot (de.stadt.app:/…), without fragment"
            )));
        }
    }
    if by_client_id(db.conn(), tenant_id, client_id)
        .await?
        .is_some()
    {
        return Err(CoreError::Conflict(format!(
            "app client {client_id} exists"
        )));
    }
    let scopes = if new.scopes.is_empty() {
        Scope::ALL.to_vec()
    } else {
        new.scopes.to_vec()
    };
    let row = app_client::Model {
        id: Uuid::now_v7(),
        tenant_id,
        client_id: client_id.to_owned(),
        name: new.name.trim().to_owned(),
        redirect_uris: serde_json::to_string(new.redirect_uris)
            .map_err(|e| CoreError::Invalid(e.to_string()))?,
        scopes: scope_list(&scopes),
        created_at: Utc::now(),
    };
    let txn = db.begin_write().await?;
    app_client::Entity::insert(app_client::ActiveModel {
        id: Set(row.id),
        tenant_id: Set(row.tenant_id),
        client_id: Set(row.client_id.clone()),
        name: Set(row.name.clone()),
        redirect_uris: Set(row.redirect_uris.clone()),
        scopes: Set(row.scopes.clone()),
        created_at: Set(row.created_at),
    })
    .exec_without_returning(&txn)
    .await?;
    let event = Event::new("app_client.register", "app_client")
        .object(row.id)
        .details(serde_json::json!({
            "client_id": row.client_id,
            "redirect_uris": new.redirect_uris,
            "scopes": row.scopes,
        }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Client::try_from(row)
}

fn is_loopback(url: &Url) -> bool {
    url.scheme() == "http" && matches!(url.host_str(), Some("127.0.0.1") | Some("[::1]"))
}

fn acceptable_redirect(uri: &str) -> bool {
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    // A private-use scheme is a reversed domain name the app owns (RFC 8252 §7.1).
    let private_use = url.scheme().contains('.');
    url.fragment().is_none() && (url.scheme() == "https" || is_loopback(&url) || private_use)
}

/// Whether `given` is one of the client's redirect URIs: the same string, or, for a
/// loopback URI, the same but for the port (a native app listens on whatever port it
/// gets, RFC 8252 §7.3).
pub fn redirect_allowed(client: &Client, given: &str) -> bool {
    client.redirect_uris.iter().any(|registered| {
        if registered == given {
            return true;
        }
        match (Url::parse(registered), Url::parse(given)) {
            (Ok(mut registered), Ok(mut given))
                if is_loopback(&registered) && is_loopback(&given) =>
            {
                let _ = registered.set_port(None);
                let _ = given.set_port(None);
                registered == given
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(uris: &[&str]) -> Client {
        Client {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            client_id: "app".into(),
            name: "App".into(),
            redirect_uris: uris.iter().map(|u| (*u).to_owned()).collect(),
            scopes: Scope::ALL.to_vec(),
        }
    }

    #[test]
    fn redirects_match_exactly_but_loopback_ports_may_vary() {
        let client = app(&["de.musterstadt.app:/oauth", "http://127.0.0.1/callback"]);
        assert!(redirect_allowed(&client, "de.musterstadt.app:/oauth"));
        assert!(!redirect_allowed(
            &client,
            "de.musterstadt.app:/oauth/other"
        ));
        assert!(redirect_allowed(&client, "http://127.0.0.1:53122/callback"));
        assert!(!redirect_allowed(
            &client,
            "http://127.0.0.1:53122/callback/x"
        ));
        assert!(!redirect_allowed(
            &client,
            "http://localhost:53122/callback"
        ));
        assert!(!redirect_allowed(
            &client,
            "https://127.0.0.1:53122/callback"
        ));
        assert!(!redirect_allowed(
            &client,
            "http://127.0.0.1.evil.example/callback"
        ));
        assert!(!redirect_allowed(
            &client,
            "http://127.0.0.1:1/callback?x=1"
        ));
    }

    #[test]
    fn only_safe_redirect_uris_can_be_registered() {
        assert!(acceptable_redirect("https://app.musterstadt.de/oauth"));
        assert!(acceptable_redirect("http://127.0.0.1/callback"));
        assert!(acceptable_redirect("http://[::1]/callback"));
        assert!(acceptable_redirect("de.musterstadt.app:/oauth"));
        assert!(!acceptable_redirect("http://app.musterstadt.de/oauth"));
        assert!(!acceptable_redirect("myapp:/oauth"));
        assert!(!acceptable_redirect("https://app.musterstadt.de/oauth#x"));
        assert!(!acceptable_redirect("/oauth"));
        assert!(!acceptable_redirect("javascript:alert(1)"));
    }
}
