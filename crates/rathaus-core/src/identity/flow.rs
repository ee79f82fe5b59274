//! The OpenID Connect authorization code flow with PKCE, `state` and `nonce`.
//!
//! `begin` remembers what the return must match (in the database, so any server of an
//! installation can take the return) and sends the person to the provider. `finish`
//! takes the return: the `state` must be one we issued, unused and fresh; the code is
//! exchanged server-to-server with the PKCE verifier; the ID token's signature (the
//! provider's published keys), issuer, audience, expiry and nonce are checked; its `acr`
//! (or the claim configured instead) must map to a trust level; the person's data comes
//! from the ID token and the userinfo endpoint, read through the provider's claim
//! mapping (`claims`).

use chrono::{Duration, NaiveDate, Utc};
use std::collections::BTreeMap;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthenticationContextClass, AuthorizationCode, ClientId,
    ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, UserInfoClaims,
};
use rathaus_store::Db;
use rathaus_store::entities::login_request;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::claims::{ClaimMapping, Field, ProviderClaims, payload_of};
use super::providers::{Provider, client_secret, known_acr_values, level_of};
use crate::error::{CoreError, Result};
use crate::secrets::Sealer;
use crate::secrets::{new_token, token_hash};
use crate::trust::TrustLevel;

/// How long a person may take at the provider.
const LOGIN_VALIDITY: Duration = Duration::minutes(10);

/// Why a return from the provider was refused; each has its own message.
#[derive(Debug)]
pub enum LoginProblem {
    /// Unknown, used or expired `state` (a replay, a forged link, a very slow login).
    BadState,
    /// The return came to another browser than the one that started the login (a link
    /// from someone else's login: login CSRF).
    OtherBrowser,
    /// The provider said no (e.g. the person cancelled).
    Refused(String),
    /// The token exchange or the ID token failed a check.
    InvalidResponse(String),
    /// The provider reported a level of assurance nobody configured.
    UnknownAcr(String),
    /// The provider gave no confirmed e-mail address for a new account.
    NoConfirmedEmail,
    /// A local account has this address; it must log in first and then link.
    EmailTaken,
}

/// A person as the provider vouched for them.
#[derive(Clone, Debug)]
pub struct ExternalIdentity {
    pub provider_id: Uuid,
    pub provider_name: String,
    pub subject: String,
    pub trust: TrustLevel,
    pub email: Option<String>,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    /// The groups the provider lists under its group claim (staff providers).
    pub groups: Vec<String>,
    /// Where the person wanted to go (a checked local path).
    pub return_to: String,
}

/// The userinfo claims beyond the standard ones, kept as JSON: a staff provider's group
/// claim has a name of the city's choosing.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct OtherClaims {
    #[serde(flatten)]
    all: BTreeMap<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

/// The groups under `claim`: a list of strings, or one string.
fn groups_in(claims: &OtherClaims, claim: &str) -> Vec<String> {
    match claims.all.get(claim) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|g| g.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

fn http_client() -> Result<openidconnect::reqwest::Client> {
    // Never follow redirects from the provider's back channel (SSRF).
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| CoreError::Invalid(format!("HTTP client: {e}")))
}

/// How long a provider's discovery document (with its signing keys) is kept. A login
/// needs it twice (start and return), and every login would otherwise fetch it anew; an
/// ID token signed with a key not in the kept document fetches it again at once.
const DISCOVERY_KEPT: std::time::Duration = std::time::Duration::from_secs(600);

type Discovered = (std::time::Instant, CoreProviderMetadata);

/// Discovery documents by issuer, for every server task of this process.
static DISCOVERED: std::sync::LazyLock<std::sync::Mutex<BTreeMap<String, Discovered>>> =
    std::sync::LazyLock::new(Default::default);

async fn metadata(
    provider: &Provider,
    http: &openidconnect::reqwest::Client,
) -> std::result::Result<CoreProviderMetadata, String> {
    let kept = DISCOVERED
        .lock()
        .expect("discovery cache lock")
        .get(&provider.issuer)
        .filter(|(at, _)| at.elapsed() < DISCOVERY_KEPT)
        .map(|(_, metadata)| metadata.clone());
    if let Some(metadata) = kept {
        return Ok(metadata);
    }
    let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(|e| e.to_string())?;
    let fetched = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| format!("discovery at {} failed: {e}", provider.issuer))?;
    DISCOVERED.lock().expect("discovery cache lock").insert(
        provider.issuer.clone(),
        (std::time::Instant::now(), fetched.clone()),
    );
    Ok(fetched)
}

/// Drops the kept document of an issuer: the provider has rotated its keys.
fn forget(issuer: &str) {
    DISCOVERED
        .lock()
        .expect("discovery cache lock")
        .remove(issuer);
}

/// A login on its way to the provider.
pub struct Begun {
    /// Where to send the person.
    pub url: String,
    /// For a cookie in the person's browser; the return is accepted only with it.
    pub browser_key: String,
}

/// Starts a login.
pub async fn begin(
    db: &Db,
    sealer: &Sealer,
    provider: &Provider,
    redirect_uri: &str,
    return_to: &str,
) -> Result<Begun> {
    let secret = client_secret(provider, sealer)?;
    let http = http_client()?;
    let metadata = metadata(provider, &http)
        .await
        .map_err(CoreError::Invalid)?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(secret)),
    )
    .set_redirect_uri(
        RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| CoreError::Invalid(e.to_string()))?,
    );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in provider.scopes.split_whitespace() {
        request = request.add_scope(Scope::new(scope.to_owned()));
    }
    // Asking for the levels we know makes the provider report the one reached (`acr`);
    // a provider that reports it in a claim of its own is not asked this way.
    let mapping = ClaimMapping::from_json(&provider.claim_mapping);
    if mapping.claim(Field::Trust) == Some("acr") {
        for acr in known_acr_values(provider) {
            request = request.add_auth_context_value(AuthenticationContextClass::new(acr));
        }
    }
    let (url, state, nonce) = request.url();
    let browser_key = new_token();
    login_request::Entity::insert(login_request::ActiveModel {
        browser_hash: Set(token_hash(&browser_key)),
        state_hash: Set(token_hash(state.secret())),
        provider_id: Set(provider.id),
        pkce_verifier: Set(verifier.secret().clone()),
        nonce: Set(nonce.secret().clone()),
        return_to: Set(return_to.to_owned()),
        expires_at: Set(Utc::now() + LOGIN_VALIDITY),
    })
    .exec_without_returning(db.conn())
    .await?;
    Ok(Begun {
        url: url.to_string(),
        browser_key,
    })
}

/// Takes the return from the provider.
pub async fn finish(
    db: &Db,
    sealer: &Sealer,
    provider: &Provider,
    redirect_uri: &str,
    state: &str,
    code: &str,
    browser_key: Option<&str>,
) -> Result<std::result::Result<ExternalIdentity, LoginProblem>> {
    // Deleting the request is the check: a state works once, for this provider.
    let hash = token_hash(state);
    let Some(request) = login_request::Entity::find_by_id(hash.clone())
        .one(db.conn())
        .await?
    else {
        return Ok(Err(LoginProblem::BadState));
    };
    let deleted = login_request::Entity::delete_many()
        .filter(login_request::Column::StateHash.eq(hash))
        .exec(db.conn())
        .await?;
    if deleted.rows_affected != 1
        || request.provider_id != provider.id
        || request.expires_at < Utc::now()
    {
        return Ok(Err(LoginProblem::BadState));
    }
    if browser_key.map(token_hash).as_deref() != Some(request.browser_hash.as_str()) {
        return Ok(Err(LoginProblem::OtherBrowser));
    }
    let secret = client_secret(provider, sealer)?;
    Ok(exchange(provider, &secret, redirect_uri, request, code).await)
}

async fn exchange(
    provider: &Provider,
    secret: &str,
    redirect_uri: &str,
    request: login_request::Model,
    code: &str,
) -> std::result::Result<ExternalIdentity, LoginProblem> {
    let invalid = |e: &dyn std::fmt::Display| LoginProblem::InvalidResponse(e.to_string());
    let http = http_client().map_err(|e| invalid(&e))?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| invalid(&e))?;
    let client_for = |metadata| {
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(secret.to_owned())),
        )
        .set_redirect_uri(redirect.clone())
    };
    let mut client = client_for(metadata(provider, &http).await.map_err(|e| invalid(&e))?);
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| invalid(&e))?
        .set_pkce_verifier(PkceCodeVerifier::new(request.pkce_verifier))
        .request_async(&http)
        .await
        .map_err(|e| invalid(&format!("token exchange: {e}")))?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| invalid(&"the provider sent no ID token"))?;
    if id_token.signing_key(&client.id_token_verifier()).is_err() {
        // Signed with a key the kept document does not have: fetch the provider's keys
        // anew (a forged token stays unverifiable with them too).
        forget(&provider.issuer);
        client = client_for(metadata(provider, &http).await.map_err(|e| invalid(&e))?);
    }
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &Nonce::new(request.nonce))
        .map_err(|e| invalid(&format!("ID token: {e}")))?;
    if let Some(expected) = claims.access_token_hash() {
        let algorithm = id_token.signing_alg().map_err(|e| invalid(&e))?;
        let key = id_token.signing_key(&verifier).map_err(|e| invalid(&e))?;
        let actual = AccessTokenHash::from_token(tokens.access_token(), algorithm, key)
            .map_err(|e| invalid(&e))?;
        if actual != *expected {
            return Err(invalid(&"the access token does not belong to the ID token"));
        }
    }
    let subject = claims.subject().clone();
    let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = client
        .user_info(tokens.access_token().to_owned(), Some(subject.clone()))
        .map_err(|e| invalid(&e))?
        .request_async(&http)
        .await
        .map_err(|e| invalid(&format!("userinfo: {e}")))?;
    let mapping = ClaimMapping::from_json(&provider.claim_mapping);
    let said = ProviderClaims {
        // Read only now that the signature, issuer, audience and nonce are checked.
        id_token: payload_of(&id_token.to_string()),
        userinfo: serde_json::to_value(&info).map_err(|e| invalid(&e))?,
        mapping: &mapping,
    };
    let level = said.text(Field::Trust).unwrap_or_default();
    let trust = level_of(provider, &level).ok_or(LoginProblem::UnknownAcr(level))?;
    let (street, split_number) = split_street(&said.text(Field::Street).unwrap_or_default());
    let house_number = match mapping.claim(Field::HouseNumber) {
        Some(_) => said.text(Field::HouseNumber),
        None => split_number,
    };
    Ok(ExternalIdentity {
        provider_id: provider.id,
        provider_name: provider.name.clone(),
        subject: subject.as_str().to_owned(),
        trust,
        email: said.text(Field::Email).map(|e| e.to_lowercase()),
        email_verified: said.flag(Field::EmailVerified),
        given_name: said.text(Field::GivenName),
        family_name: said.text(Field::FamilyName),
        birth_date: said.date(Field::BirthDate),
        street,
        house_number,
        postcode: said.text(Field::Postcode),
        city: said.text(Field::City),
        groups: groups_in(info.additional_claims(), &provider.group_claim),
        return_to: request.return_to,
    })
}

/// "Heidestraße 17a" → ("Heidestraße", "17a"): OpenID has one street line, the
/// profile (like German forms) has street and house number apart.
fn split_street(line: &str) -> (Option<String>, Option<String>) {
    let line = line.trim();
    match line.rsplit_once(' ') {
        Some((street, number)) if number.starts_with(|c: char| c.is_ascii_digit()) => {
            (Some(street.trim().to_owned()), Some(number.to_owned()))
        }
        _ if line.is_empty() => (None, None),
        _ => (Some(line.to_owned()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::split_street;

    #[test]
    fn street_lines_are_split_into_street_and_number() {
        let split = |s| split_street(s);
        assert_eq!(
            split("Heidestraße 17a"),
            (Some("Heidestraße".into()), Some("17a".into()))
        );
        assert_eq!(
            split("Am Alten Markt 3"),
            (Some("Am Alten Markt".into()), Some("3".into()))
        );
        assert_eq!(split("Hauptstraße"), (Some("Hauptstraße".into()), None));
        assert_eq!(split(""), (None, None));
    }
}

#[cfg(test)]
mod discovery_tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A provider that answers discovery and its keys, counting the requests.
    async fn counting_provider() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let (served, base) = (count.clone(), issuer.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                served.fetch_add(1, Ordering::SeqCst);
                let mut request = vec![0; 4096];
                let read = socket.read(&mut request).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&request[..read]).into_owned();
                let body = if request.starts_with("GET /jwks") {
                    r#"{"keys":[]}"#.to_owned()
                } else {
                    serde_json::json!({
                        "issuer": base,
                        "authorization_endpoint": format!("{base}/auth"),
                        "token_endpoint": format!("{base}/token"),
                        "jwks_uri": format!("{base}/jwks"),
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                    })
                    .to_string()
                };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        (issuer, count)
    }

    #[tokio::test]
    async fn discovery_is_kept_until_the_keys_are_in_doubt() {
        let (issuer, requests) = counting_provider().await;
        let text = String::new;
        let provider = Provider {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            slug: text(),
            name: text(),
            issuer: issuer.clone(),
            client_id: text(),
            client_secret: text(),
            scopes: text(),
            acr_levels: text(),
            created_at: Utc::now(),
            audience: text(),
            group_claim: text(),
            group_roles: text(),
            group_departments: text(),
            claim_mapping: text(),
        };
        let http = http_client().unwrap();
        metadata(&provider, &http).await.unwrap();
        assert_eq!(requests.load(Ordering::SeqCst), 2, "document and keys");
        let again = metadata(&provider, &http).await.unwrap();
        assert_eq!(requests.load(Ordering::SeqCst), 2, "kept");
        assert_eq!(again.issuer().as_str(), issuer);
        forget(&issuer);
        metadata(&provider, &http).await.unwrap();
        assert_eq!(requests.load(Ordering::SeqCst), 4, "fetched anew");
    }
}
