//! The service catalog for citizens: life situations on the start page, the services of
//! one life situation, a service's page, and the search.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use rathaus_core::catalog::{LifeSituation, Service};
use rathaus_core::trust::TrustLevel;
use serde::Deserialize;

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::paging::Pages;
use crate::state::AppState;

/// Results on one page of the search.
const SEARCH_RESULTS: usize = 20;

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
    let services = state
        .offered(chrome.tenant.id)
        .await?
        .in_life_situation(&key);
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
    let service = state
        .offered(chrome.tenant.id)
        .await?
        .service(&key)
        .cloned()
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
    /// The page of results, from 1 (anything else: the first).
    #[serde(default)]
    seite: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/search.html")]
pub struct SearchPage {
    chrome: Chrome,
    query: String,
    services: Vec<Service>,
    /// "3 Leistungen gefunden".
    count: String,
    pages: Pages,
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
    let offered = state.offered(chrome.tenant.id).await?;
    let wanted = query.seite.and_then(|s| s.parse().ok()).unwrap_or(1).max(1);
    let page_of = |words: &str, page: usize| {
        let offset = (page - 1).saturating_mul(SEARCH_RESULTS);
        offered.search(words, offset, SEARCH_RESULTS)
    };
    let mut searched = q.clone();
    let mut found = page_of(&q, wanted);
    let mut corrected = None;
    if found.total == 0
        && let Some(suggestion) = offered.suggestion(&q)
    {
        let better = page_of(&suggestion, wanted);
        if better.total > 0 {
            found = better;
            searched = suggestion.clone();
            corrected = Some(suggestion);
        }
    }
    let link = |page: usize| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &q)
            .append_pair("seite", &page.to_string())
            .finish();
        format!("/suche?{query}")
    };
    let pages = Pages::of(found.total, SEARCH_RESULTS, wanted, link);
    if pages.current != wanted {
        found = page_of(&searched, pages.current);
    }
    let total = found.total;
    let services = found.services;
    let count = chrome.t.count("search-count", total);
    Ok(SearchPage {
        chrome,
        query: q,
        services,
        count,
        pages,
        corrected,
    })
}
