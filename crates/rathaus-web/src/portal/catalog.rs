//! The service catalog for citizens: life situations on the start page, the services of
//! one life situation, a service's page, and the search.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use rathaus_core::catalog::{self, LifeSituation, Service};
use rathaus_core::trust::TrustLevel;
use serde::Deserialize;

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::state::AppState;

const SEARCH_RESULTS: u64 = 50;

/// A life situation as a link: key and name in the page's language.
pub struct Situation {
    pub key: String,
    pub name: String,
}

fn situation(chrome: &Chrome, s: LifeSituation) -> Situation {
    let name = if chrome.lang_code() == "en" {
        s.name_en
    } else {
        s.name_de
    };
    Situation { key: s.key, name }
}

pub async fn situations(state: &AppState, chrome: &Chrome) -> Result<Vec<Situation>, PageError> {
    Ok(state
        .catalog
        .life_situations(state.db.conn())
        .await?
        .iter()
        .map(|s| situation(chrome, s.clone()))
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/life_situation.html")]
pub struct SituationPage {
    chrome: Chrome,
    name: String,
    services: Vec<Service>,
}

pub async fn life_situation(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(key): Path<String>,
) -> Result<SituationPage, PageError> {
    let found = state
        .catalog
        .life_situations(state.db.conn())
        .await?
        .iter()
        .find(|s| s.key == key)
        .cloned()
        .ok_or(PageError::NotFound)?;
    let services = catalog::in_life_situation(state.db.conn(), chrome.tenant.id, &key).await?;
    Ok(SituationPage {
        name: situation(&chrome, found).name,
        chrome,
        services,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/service.html")]
pub struct ServicePage {
    chrome: Chrome,
    service: Service,
    /// What login the online application needs, if more than an account.
    trust_note: Option<String>,
}

pub async fn service(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(key): Path<String>,
) -> Result<ServicePage, PageError> {
    let service = catalog::service(state.db.conn(), chrome.tenant.id, &key)
        .await?
        .ok_or(PageError::NotFound)?;
    let trust_note = match service.min_trust() {
        TrustLevel::Basis => None,
        level => Some(
            chrome
                .t
                .fmt("service-trust-note", &[("level", level.as_str())]),
        ),
    };
    Ok(ServicePage {
        chrome,
        service,
        trust_note,
    })
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/search.html")]
pub struct SearchPage {
    chrome: Chrome,
    query: String,
    services: Vec<Service>,
    /// "3 Leistungen gefunden".
    count: String,
    /// Nothing was found for the query as typed; these are the results for this
    /// corrected query.
    corrected: Option<String>,
}

pub async fn search(
    State(state): State<AppState>,
    chrome: Chrome,
    Query(query): Query<SearchQuery>,
) -> Result<SearchPage, PageError> {
    let q = query.q.trim().chars().take(200).collect::<String>();
    let conn = state.db.conn();
    let tenant = chrome.tenant.id;
    let mut services = catalog::search(conn, tenant, &q, SEARCH_RESULTS).await?;
    let mut corrected = None;
    if services.is_empty() && !q.is_empty() {
        let vocabulary = state.catalog.vocabulary(conn, tenant).await?;
        if let Some(suggestion) = catalog::suggestion(&vocabulary, &q) {
            services = catalog::search(conn, tenant, &suggestion, SEARCH_RESULTS).await?;
            corrected = (!services.is_empty()).then_some(suggestion);
        }
    }
    let count = chrome.t.count("search-count", services.len());
    Ok(SearchPage {
        chrome,
        query: q,
        services,
        count,
        corrected,
    })
}
