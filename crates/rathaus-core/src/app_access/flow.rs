//! The authorization code flow with PKCE, the token endpoint's grants, revocation, and
//! the check of a bearer token on each API request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rathaus_store::Db;
use rathaus_store::entities::{app_client, app_code, app_grant, app_token, citizen};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder,
};
use sha2::{Digest, Sha256};
use url::Url;
use uuid::Uuid;

use super::{Client, Scope, by_client_id, parse_scopes, redirect_allowed, scope_list};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::citizens::{Citizen, citizen_actor};
use crate::error::Result;
use crate::secrets::{new_token, token_hash};

/// A code is exchanged right after the redirect; a minute is plenty.
pub const CODE_VALIDITY: Duration = Duration::seconds(60);
const ACCESS_VALIDITY: Duration = Duration::hours(1);
/// Counted from the last refresh: an app used once a month stays logged in.
const REFRESH_VALIDITY: Duration = Duration::days(30);
const ACCESS: &str = "access";
const REFRESH: &str = "refresh";

/// The parameters of an authorization request as they came (query or consent form).
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct RequestParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// A checked authorization request, waiting for the citizen's consent.
#[derive(Clone, Debug)]
pub struct Authorization {
    pub client: Client,
    pub redirect_uri: String,
    pub scopes: Vec<Scope>,
    pub state: Option<String>,
    pub code_challenge: String,
}

impl Authorization {
    /// Where the browser goes with the code (RFC 6749 §4.1.2; `iss` from RFC 9207, so
    /// that an app talking to several servers cannot be fooled about which one answered).
    pub fn success(&self, code: &str, issuer: &str) -> String {
        with_query(
            &self.redirect_uri,
            &[("code", code)],
            self.state.as_deref(),
            issuer,
        )
    }

    /// The Content-Security-Policy source of the redirect URI: browsers hold the
    /// redirect after a form post to the form page's `form-action`, so the consent page
    /// must name where its answer goes.
    pub fn redirect_source(&self) -> String {
        match Url::parse(&self.redirect_uri).map(|url| (url.origin(), url)) {
            Ok((origin @ url::Origin::Tuple(..), _)) => origin.ascii_serialization(),
            Ok((url::Origin::Opaque(_), url)) => format!("{}:", url.scheme()),
            Err(_) => "'none'".into(),
        }
    }

    /// Where the browser goes when the citizen said no.
    pub fn denied(&self, issuer: &str) -> String {
        let error = AuthorizeError::ToApp {
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
            error: "access_denied",
            description: "the citizen did not allow it",
        };
        error.redirect(issuer).unwrap_or_default()
    }
}

/// Why an authorization request is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Unknown client, or a redirect URI it did not register: the person is told, and
    /// never sent anywhere (RFC 6749 §4.1.2.1, no open redirect).
    UnknownClient,
    BadRedirect,
    /// Everything else goes back to the app.
    ToApp {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: &'static str,
    },
}

impl AuthorizeError {
    /// The URL to send the browser to, for errors that go back to the app.
    pub fn redirect(&self, issuer: &str) -> Option<String> {
        match self {
            Self::ToApp {
                redirect_uri,
                state,
                error,
                description,
            } => Some(with_query(
                redirect_uri,
                &[("error", error), ("error_description", description)],
                state.as_deref(),
                issuer,
            )),
            _ => None,
        }
    }
}

fn with_query(uri: &str, pairs: &[(&str, &str)], state: Option<&str>, issuer: &str) -> String {
    let Ok(mut url) = Url::parse(uri) else {
        return String::new();
    };
    {
        let mut query = url.query_pairs_mut();
        query.extend_pairs(pairs);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", issuer);
    }
    url.into()
}

/// Checks an authorization request against the registered client.
pub async fn check_request(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    params: &RequestParams,
) -> Result<std::result::Result<Authorization, AuthorizeError>> {
    let client = match params.client_id.as_deref() {
        Some(id) => by_client_id(conn, tenant_id, id).await?,
        None => None,
    };
    let Some(client) = client else {
        return Ok(Err(AuthorizeError::UnknownClient));
    };
    let Some(redirect_uri) = params
        .redirect_uri
        .clone()
        .filter(|uri| redirect_allowed(&client, uri))
    else {
        return Ok(Err(AuthorizeError::BadRedirect));
    };
    let state = params.state.clone();
    let refuse = |error, description| {
        Ok(Err(AuthorizeError::ToApp {
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            error,
            description,
        }))
    };
    if params.response_type.as_deref() != Some("code") {
        return refuse("unsupported_response_type", "only response_type=code");
    }
    if params.code_challenge_method.as_deref() != Some("S256") {
        return refuse(
            "invalid_request",
            "PKCE with code_challenge_method=S256 is required",
        );
    }
    let challenge = params.code_challenge.clone().unwrap_or_default();
    if challenge.len() != 43 || !challenge.chars().all(is_base64url) {
        return refuse(
            "invalid_request",
            "code_challenge must be BASE64URL(SHA-256(verifier))",
        );
    }
    if state.as_ref().is_some_and(|s| s.len() > 1000) {
        return refuse("invalid_request", "state is longer than 1000 characters");
    }
    let scopes = match params.scope.as_deref().map(str::trim) {
        None | Some("") => client.scopes.clone(),
        Some(list) => match parse_scopes(list) {
            Some(scopes) if scopes.iter().all(|s| client.scopes.contains(s)) => scopes,
            _ => {
                return refuse(
                    "invalid_scope",
                    "unknown scope, or one the app may not ask for",
                );
            }
        },
    };
    Ok(Ok(Authorization {
        client,
        redirect_uri,
        scopes,
        state,
        code_challenge: challenge,
    }))
}

fn is_base64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// The citizen allowed it: a grant and its one-time code.
pub async fn authorize(
    db: &Db,
    account: &Citizen,
    authorization: &Authorization,
    origin: &Origin,
) -> Result<String> {
    let code = new_token();
    let now = Utc::now();
    let grant_id = Uuid::now_v7();
    let txn = db.begin_write().await?;
    app_grant::Entity::insert(app_grant::ActiveModel {
        id: Set(grant_id),
        tenant_id: Set(account.tenant_id),
        client_id: Set(authorization.client.id),
        citizen_id: Set(account.id),
        scopes: Set(scope_list(&authorization.scopes)),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    app_code::Entity::insert(app_code::ActiveModel {
        code_hash: Set(token_hash(&code)),
        grant_id: Set(grant_id),
        redirect_uri: Set(authorization.redirect_uri.clone()),
        code_challenge: Set(authorization.code_challenge.clone()),
        expires_at: Set(now + CODE_VALIDITY),
        used_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    let event = Event::new("app.authorize", "app_grant")
        .object(grant_id)
        .details(serde_json::json!({
            "client_id": authorization.client.client_id,
            "scopes": scope_list(&authorization.scopes),
        }));
    audit::record(&txn, &citizen_actor(account), origin, event).await?;
    txn.commit().await?;
    Ok(code)
}

/// What the token endpoint hands out (RFC 6749 §5.1).
#[derive(Clone, Debug)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub scopes: Vec<Scope>,
}

/// A refused token request (RFC 6749 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    InvalidRequest(&'static str),
    /// The `client_id` is unknown here.
    InvalidClient,
    InvalidGrant(&'static str),
    UnsupportedGrantType,
}

impl TokenError {
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::InvalidRequest(why) | Self::InvalidGrant(why) => why,
            Self::InvalidClient => "unknown client_id",
            Self::UnsupportedGrantType => "authorization_code or refresh_token",
        }
    }
}

type TokenResult = Result<std::result::Result<Tokens, TokenError>>;

/// A live grant of this client in this tenant.
async fn live_grant(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    client: &Client,
    grant_id: Uuid,
) -> Result<Option<app_grant::Model>> {
    Ok(app_grant::Entity::find_by_id(grant_id)
        .one(txn)
        .await?
        .filter(|g| g.tenant_id == tenant_id && g.client_id == client.id && g.revoked_at.is_none()))
}

/// Exchanges a code for tokens (grant type `authorization_code`). A code used twice
/// revokes what was issued for it: the first use may have been a thief's.
pub async fn exchange_code(
    db: &Db,
    tenant_id: Uuid,
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
    origin: &Origin,
) -> TokenResult {
    let Some(client) = by_client_id(db.conn(), tenant_id, client_id).await? else {
        return Ok(Err(TokenError::InvalidClient));
    };
    let verifier_ok = (43..=128).contains(&verifier.len())
        && verifier
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
    if !verifier_ok {
        return Ok(Err(TokenError::InvalidRequest(
            "code_verifier: 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
        )));
    }
    let txn = db.begin_write().await?;
    let invalid = |why| Ok(Err(TokenError::InvalidGrant(why)));
    let Some(found) = app_code::Entity::find_by_id(token_hash(code))
        .one(&txn)
        .await?
    else {
        return invalid("unknown code");
    };
    let Some(grant) = live_grant(&txn, tenant_id, &client, found.grant_id).await? else {
        return invalid("unknown code");
    };
    let now = Utc::now();
    if found.expires_at <= now {
        return invalid("code expired");
    }
    if found.redirect_uri != redirect_uri {
        return invalid("redirect_uri differs from the authorization request");
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if challenge != found.code_challenge {
        return invalid("code_verifier does not match the code_challenge");
    }
    // Only a complete second exchange (with the verifier) proves a copy: someone who
    // merely saw the used code in a browser history cannot end the citizen's access.
    let spent = app_code::Entity::update_many()
        .col_expr(app_code::Column::UsedAt, Expr::value(now))
        .filter(app_code::Column::CodeHash.eq(&found.code_hash))
        .filter(app_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 0;
    if spent {
        replayed(txn, &grant, &client, origin, "app.code_reused").await?;
        return invalid("code already used: what was issued for it is revoked");
    }
    let tokens = issue(&txn, &grant, now).await?;
    txn.commit().await?;
    Ok(Ok(tokens))
}

/// A new token pair for a refresh token (grant type `refresh_token`); the old one is
/// spent. Presented again, it revokes the grant: one of the two holders is a thief.
pub async fn refresh(
    db: &Db,
    tenant_id: Uuid,
    client_id: &str,
    refresh_token: &str,
    origin: &Origin,
) -> TokenResult {
    let Some(client) = by_client_id(db.conn(), tenant_id, client_id).await? else {
        return Ok(Err(TokenError::InvalidClient));
    };
    let txn = db.begin_write().await?;
    let invalid = |why| Ok(Err(TokenError::InvalidGrant(why)));
    let found = app_token::Entity::find_by_id(token_hash(refresh_token))
        .one(&txn)
        .await?
        .filter(|t| t.kind == REFRESH);
    let Some(found) = found else {
        return invalid("unknown refresh token");
    };
    let Some(grant) = live_grant(&txn, tenant_id, &client, found.grant_id).await? else {
        return invalid("unknown refresh token");
    };
    let now = Utc::now();
    let spent = app_token::Entity::update_many()
        .col_expr(app_token::Column::UsedAt, Expr::value(now))
        .filter(app_token::Column::TokenHash.eq(&found.token_hash))
        .filter(app_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 0;
    if spent {
        // Revoked meanwhile (the citizen, a new password) is not a replay.
        if live_grant(&txn, tenant_id, &client, grant.id)
            .await?
            .is_none()
        {
            return invalid("unknown refresh token");
        }
        replayed(txn, &grant, &client, origin, "app.refresh_reused").await?;
        return invalid("refresh token already used: the app's access is revoked");
    }
    if found.expires_at <= now {
        return invalid("refresh token expired");
    }
    let tokens = issue(&txn, &grant, now).await?;
    txn.commit().await?;
    Ok(Ok(tokens))
}

async fn issue(
    txn: &DatabaseTransaction,
    grant: &app_grant::Model,
    now: DateTime<Utc>,
) -> Result<Tokens> {
    let access_token = new_token();
    let refresh_token = new_token();
    for (token, kind, validity) in [
        (&access_token, ACCESS, ACCESS_VALIDITY),
        (&refresh_token, REFRESH, REFRESH_VALIDITY),
    ] {
        app_token::Entity::insert(app_token::ActiveModel {
            token_hash: Set(token_hash(token)),
            grant_id: Set(grant.id),
            kind: Set(kind.into()),
            created_at: Set(now),
            expires_at: Set(now + validity),
            used_at: Set(None),
        })
        .exec_without_returning(txn)
        .await?;
    }
    mark_used(txn, grant.id, now).await?;
    Ok(Tokens {
        access_token,
        refresh_token,
        expires_in: ACCESS_VALIDITY.num_seconds(),
        scopes: parse_scopes(&grant.scopes).unwrap_or_default(),
    })
}

async fn mark_used(conn: &impl ConnectionTrait, grant_id: Uuid, now: DateTime<Utc>) -> Result<()> {
    app_grant::Entity::update_many()
        .col_expr(app_grant::Column::LastUsedAt, Expr::value(now))
        .filter(app_grant::Column::Id.eq(grant_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Revokes a grant: its tokens are deleted, the grant stays marked as revoked until the
/// housekeeping removes it. Tokens first, then the grant: the order in which exchanges
/// and refreshes lock them, so that PostgreSQL never finds the two waiting on each other.
async fn end_grant(conn: &impl ConnectionTrait, grant_id: Uuid, now: DateTime<Utc>) -> Result<()> {
    app_token::Entity::delete_many()
        .filter(app_token::Column::GrantId.eq(grant_id))
        .exec(conn)
        .await?;
    app_grant::Entity::update_many()
        .col_expr(app_grant::Column::RevokedAt, Expr::value(now))
        .filter(app_grant::Column::Id.eq(grant_id))
        .filter(app_grant::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// A code or refresh token came a second time: one of its two holders is a thief, so
/// everything issued under the grant ends (RFC 9700 §4.14), and the log says so.
async fn replayed(
    txn: DatabaseTransaction,
    grant: &app_grant::Model,
    client: &Client,
    origin: &Origin,
    action: &str,
) -> Result<()> {
    end_grant(&txn, grant.id, Utc::now()).await?;
    let mut actor = Actor::anonymous(grant.tenant_id);
    actor.name = format!("app:{}", client.client_id);
    let event = Event::new(action, "app_grant")
        .object(grant.id)
        .details(serde_json::json!({ "citizen": grant.citizen_id, "revoked": true }));
    audit::record(&txn, &actor, origin, event).await?;
    txn.commit().await?;
    Ok(())
}

/// Token revocation (RFC 7009): a refresh token ends its grant, an access token only
/// itself. Unknown tokens, and tokens of other apps, are ignored as the RFC says.
pub async fn revoke_token(db: &Db, tenant_id: Uuid, client_id: &str, token: &str) -> Result<()> {
    let Some(client) = by_client_id(db.conn(), tenant_id, client_id).await? else {
        return Ok(());
    };
    let txn = db.begin_write().await?;
    let found = app_token::Entity::find_by_id(token_hash(token))
        .one(&txn)
        .await?;
    if let Some(found) = found
        && live_grant(&txn, tenant_id, &client, found.grant_id)
            .await?
            .is_some()
    {
        if found.kind == REFRESH {
            end_grant(&txn, found.grant_id, Utc::now()).await?;
        } else {
            app_token::Entity::delete_by_id(found.token_hash)
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// The citizen an API request acts for, and what the app may do.
#[derive(Clone, Debug)]
pub struct Bearer {
    pub citizen: Citizen,
    pub scopes: Vec<Scope>,
    pub grant_id: Uuid,
}

/// Checks a bearer token (RFC 6750): a live access token of a live grant in this
/// tenant, whose citizen still has an account.
pub async fn bearer(db: &Db, tenant_id: Uuid, token: &str) -> Result<Option<Bearer>> {
    let conn = db.conn();
    let now = Utc::now();
    let found = app_token::Entity::find_by_id(token_hash(token))
        .one(conn)
        .await?
        .filter(|t| t.kind == ACCESS && t.expires_at > now);
    let Some(found) = found else {
        return Ok(None);
    };
    let grant = app_grant::Entity::find_by_id(found.grant_id)
        .one(conn)
        .await?
        .filter(|g| g.tenant_id == tenant_id && g.revoked_at.is_none());
    let Some(grant) = grant else {
        return Ok(None);
    };
    let Some(account) = citizen::Entity::find_by_id(grant.citizen_id)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    // As with sessions: a minute is precise enough for "last used".
    if grant
        .last_used_at
        .is_none_or(|at| now - at > Duration::minutes(1))
    {
        mark_used(conn, grant.id, now).await?;
    }
    Ok(Some(Bearer {
        citizen: account,
        scopes: parse_scopes(&grant.scopes).unwrap_or_default(),
        grant_id: grant.id,
    }))
}

/// An app the citizen allowed in, as the account page lists it.
#[derive(Clone, Debug)]
pub struct ConnectedApp {
    pub grant_id: Uuid,
    pub app: String,
    pub scopes: Vec<Scope>,
    pub since: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
}

/// The live grants of a citizen: not revoked, and still holding a token.
pub async fn connected_apps(
    conn: &impl ConnectionTrait,
    citizen_id: Uuid,
) -> Result<Vec<ConnectedApp>> {
    let grants = app_grant::Entity::find()
        .filter(app_grant::Column::CitizenId.eq(citizen_id))
        .filter(app_grant::Column::RevokedAt.is_null())
        .order_by_desc(app_grant::Column::CreatedAt)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = grants.iter().map(|g| g.id).collect();
    let now = Utc::now();
    let live: std::collections::HashSet<Uuid> = app_token::Entity::find()
        .filter(app_token::Column::GrantId.is_in(ids))
        .filter(app_token::Column::ExpiresAt.gt(now))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| t.grant_id)
        .collect();
    let clients: std::collections::HashMap<Uuid, String> = app_client::Entity::find()
        .filter(app_client::Column::Id.is_in(grants.iter().map(|g| g.client_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(grants
        .into_iter()
        .filter(|g| live.contains(&g.id))
        .map(|g| ConnectedApp {
            grant_id: g.id,
            app: clients.get(&g.client_id).cloned().unwrap_or_default(),
            scopes: parse_scopes(&g.scopes).unwrap_or_default(),
            since: g.created_at,
            last_used: g.last_used_at,
        })
        .collect())
}

/// The citizen withdraws an app's access (account page). Only their own grants.
pub async fn revoke_grant(
    db: &Db,
    account: &Citizen,
    grant_id: Uuid,
    origin: &Origin,
) -> Result<bool> {
    let txn = db.begin_write().await?;
    let own = app_grant::Entity::find_by_id(grant_id)
        .one(&txn)
        .await?
        .filter(|g| g.citizen_id == account.id && g.revoked_at.is_none());
    if own.is_none() {
        return Ok(false);
    }
    end_grant(&txn, grant_id, Utc::now()).await?;
    let event = Event::new("app.revoke", "app_grant").object(grant_id);
    audit::record(&txn, &citizen_actor(account), origin, event).await?;
    txn.commit().await?;
    Ok(true)
}

/// Ends every app's access of a citizen, in the caller's transaction (logout
/// everywhere, new password).
pub async fn revoke_all(conn: &impl ConnectionTrait, citizen_id: Uuid) -> Result<()> {
    let grants = app_grant::Entity::find()
        .filter(app_grant::Column::CitizenId.eq(citizen_id))
        .filter(app_grant::Column::RevokedAt.is_null())
        .all(conn)
        .await?;
    let now = Utc::now();
    for grant in grants {
        end_grant(conn, grant.id, now).await?;
    }
    Ok(())
}

/// Housekeeping: expired codes and tokens, and grants a day old that are revoked or
/// have no token left (a code used again within that day is still recognised).
pub async fn purge_expired(conn: &impl ConnectionTrait) -> Result<u64> {
    let now = Utc::now();
    let day_ago = now - Duration::days(1);
    let codes = app_code::Entity::delete_many()
        .filter(app_code::Column::ExpiresAt.lt(day_ago))
        .exec(conn)
        .await?
        .rows_affected;
    let tokens = app_token::Entity::delete_many()
        .filter(app_token::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected;
    let with_tokens = sea_orm::sea_query::Query::select()
        .column(app_token::Column::GrantId)
        .from(app_token::Entity)
        .to_owned();
    // A day old, its codes long expired: without a token it can never be used again.
    let grants = app_grant::Entity::delete_many()
        .filter(app_grant::Column::CreatedAt.lt(day_ago))
        .filter(
            sea_orm::Condition::any()
                .add(app_grant::Column::RevokedAt.is_not_null())
                .add(app_grant::Column::Id.not_in_subquery(with_tokens)),
        )
        .exec(conn)
        .await?
        .rows_affected;
    Ok(codes + tokens + grants)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(redirect_uri: &str) -> Authorization {
        Authorization {
            client: Client {
                id: Uuid::nil(),
                tenant_id: Uuid::nil(),
                client_id: "app".into(),
                name: "App".into(),
                redirect_uris: vec![redirect_uri.into()],
                scopes: Scope::ALL.to_vec(),
            },
            redirect_uri: redirect_uri.into(),
            scopes: Scope::ALL.to_vec(),
            state: Some("a b&c".into()),
            code_challenge: "x".repeat(43),
        }
    }

    #[test]
    fn the_consent_page_lets_its_answer_go_to_the_app_only() {
        assert_eq!(
            asked("http://127.0.0.1:5123/oauth").redirect_source(),
            "http://127.0.0.1:5123"
        );
        assert_eq!(
            asked("https://app.musterstadt.de/cb?x=1").redirect_source(),
            "https://app.musterstadt.de"
        );
        assert_eq!(
            asked("de.musterstadt.app:/oauth").redirect_source(),
            "de.musterstadt.app:"
        );
    }

    #[test]
    fn answers_keep_the_apps_query_and_carry_state_and_issuer() {
        let back = asked("https://app.musterstadt.de/cb?x=1").success("c0de", "https://ms.de");
        assert_eq!(
            back,
            "https://app.musterstadt.de/cb?x=1&code=c0de&state=a+b%26c&iss=https%3A%2F%2Fms.de"
        );
        let denied = asked("de.musterstadt.app:/oauth").denied("https://ms.de");
        assert!(denied.starts_with("de.musterstadt.app:/oauth?error=access_denied&"));
    }
}
