//! The start page of an online application: what it takes, whether a login (and which
//! trust level) is needed, drafts already begun — and the button that starts a draft.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::catalog::Service;
use rathaus_core::drafts::{self, NewDraft};
use rathaus_core::identity::{self, Audience};
use rathaus_core::prefill;
use rathaus_core::trust::TrustLevel;

use super::visitor::Visitor;
use super::{form_of, keep, today};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::navigation::query_encode;
use crate::request_origin::RequestOrigin;
use crate::state::AppState;

/// What stands between the visitor and starting.
pub enum Gate {
    /// Start right away (logged in well enough, or anonymous use allowed).
    Open,
    /// An account is needed: log in or register, then come back.
    Login,
    /// The login is not sure enough: log in again with one of these providers
    /// (name, href); none configured means it cannot be done online here.
    StepUp(Vec<(String, String)>),
}

#[derive(Template, WebTemplate)]
#[template(path = "assistant/start.html")]
pub struct StartPage {
    chrome: Chrome,
    service: Service,
    title: String,
    steps: Vec<String>,
    gate: Gate,
    /// The level the service needs, when above an account's.
    needed_level: Option<&'static str>,
    anonymous: bool,
    logged_in: bool,
    /// The visitor's drafts of this service: (href, last change).
    drafts: Vec<(String, String)>,
    action: String,
    login_href: String,
    register_href: String,
}

async fn service_or_404(
    state: &AppState,
    chrome: &Chrome,
    key: &str,
) -> Result<Service, PageError> {
    state
        .offered(chrome.tenant.id)
        .await?
        .service(key)
        .cloned()
        .ok_or(PageError::NotFound)
}

async fn gate(
    state: &AppState,
    chrome: &Chrome,
    visitor: &Visitor,
    service: &Service,
) -> Result<Gate, PageError> {
    let needed = service.min_trust();
    if visitor.citizen.is_none() {
        return Ok(if service.anonymous && needed == TrustLevel::Basis {
            Gate::Open
        } else {
            Gate::Login
        });
    }
    if visitor.trust >= needed {
        return Ok(Gate::Open);
    }
    let back = query_encode(&format!("/antrag/{}", service.key));
    let providers = identity::for_tenant(state.db.conn(), chrome.tenant.id, Audience::Citizens)
        .await?
        .into_iter()
        .filter(|p| identity::highest_level(p).is_some_and(|level| level >= needed))
        .map(|p| {
            let href = format!("/konto/anmelden/extern/{}?weiter={back}", p.slug);
            (p.name, href)
        })
        .collect();
    Ok(Gate::StepUp(providers))
}

pub async fn page(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    Path(key): Path<String>,
) -> Result<StartPage, PageError> {
    let service = service_or_404(&state, &chrome, &key).await?;
    let form = form_of(&state, chrome.tenant.id, &service).await?;
    let gate = gate(&state, &chrome, &visitor, &service).await?;
    let lang = chrome.lang_code();
    let mut own_drafts = Vec::new();
    if let Some(citizen) = &visitor.citizen {
        for draft in drafts::of_citizen(&state.db, chrome.tenant.id, citizen.id).await? {
            if draft.service_key == service.key {
                let changed = super::review::local_time(draft.updated_at);
                own_drafts.push((format!("/entwurf/{}", draft.id), changed));
            }
        }
    }
    let back = query_encode(&format!("/antrag/{}", service.key));
    let needed = service.min_trust();
    Ok(StartPage {
        title: form.definition.title.get(lang).to_owned(),
        steps: form
            .definition
            .steps
            .iter()
            .map(|s| s.title.get(lang).to_owned())
            .collect(),
        needed_level: (needed > TrustLevel::Basis).then_some(needed.as_str()),
        anonymous: service.anonymous,
        logged_in: visitor.citizen.is_some(),
        drafts: own_drafts,
        action: format!("/antrag/{}", service.key),
        login_href: format!("/konto/anmelden?weiter={back}"),
        register_href: "/konto/registrieren".to_owned(),
        gate,
        service,
        chrome,
    })
}

/// Starts a draft (prefilled from the account) and goes to its first step.
pub async fn begin(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    RequestOrigin(origin): RequestOrigin,
    Path(key): Path<String>,
) -> Result<Response, PageError> {
    let service = service_or_404(&state, &chrome, &key).await?;
    let form = form_of(&state, chrome.tenant.id, &service).await?;
    if !matches!(
        gate(&state, &chrome, &visitor, &service).await?,
        super::start::Gate::Open
    ) {
        // The start page explains what is missing.
        return Ok(Redirect::to(&format!("/antrag/{}", service.key)).into_response());
    }
    let (owner, cookie) = visitor.owner_or_new(state.config.behind_tls);
    let actor = visitor.actor(chrome.tenant.id);
    let new = NewDraft {
        tenant_id: chrome.tenant.id,
        service_key: &service.key,
        form: &form,
        owner: &owner,
        answers: prefill::from_account(&form, visitor.citizen.as_ref()),
    };
    let draft = drafts::create(&state.db, new, keep(&state), &actor, &origin).await?;
    let first = form
        .steps_shown(&draft.answers, today())
        .first()
        .map(|s| s.id.clone())
        .ok_or(PageError::NotFound)?;
    let mut response =
        Redirect::to(&format!("/entwurf/{}/schritt/{first}", draft.id)).into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}
