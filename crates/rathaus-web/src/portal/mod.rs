//! The citizen portal: public pages of a tenant.

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::navigation::local_path;
use crate::routes::{Access::Public, Routes};
use crate::state::AppState;
use crate::tenant::CurrentTenant;

mod catalog;
pub(crate) mod verify;

pub fn routes() -> Routes {
    Routes::default()
        .get("/", Public, home)
        .get("/suche", Public, catalog::search)
        .get("/lebenslagen/{key}", Public, catalog::life_situation)
        .get("/leistungen/{key}", Public, catalog::service)
        .get("/impressum", Public, imprint)
        .get("/datenschutz", Public, privacy)
        .get("/barrierefreiheit", Public, accessibility)
        .get("/sprache/{lang}", Public, switch_language)
        .get("/tenant.css", Public, tenant_css)
        .get("/logo.svg", Public, logo)
        .merge(verify::routes())
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/home.html")]
struct Home {
    chrome: Chrome,
    situations: Vec<catalog::Situation>,
    /// The search form starts empty.
    query: &'static str,
}

async fn home(State(state): State<AppState>, chrome: Chrome) -> Result<Home, PageError> {
    Ok(Home {
        situations: catalog::situations(&state, &chrome).await?,
        chrome,
        query: "",
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/legal.html")]
struct Legal {
    chrome: Chrome,
    heading: String,
    paragraphs: Vec<String>,
    /// Tenant texts are written in German; English readers are told so.
    lang_note: &'static str,
}

fn legal(chrome: Chrome, key: &str, text: &str) -> Legal {
    let paragraphs = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let lang_note = match chrome.lang {
        Lang::De => "",
        Lang::En => "This text is provided by the municipality in German only.",
    };
    Legal {
        heading: chrome.t.get(key).to_owned(),
        chrome,
        paragraphs,
        lang_note,
    }
}

async fn imprint(chrome: Chrome) -> Legal {
    let text = chrome.tenant.imprint.clone();
    legal(chrome, "imprint", &text)
}

async fn privacy(chrome: Chrome) -> Legal {
    let text = chrome.tenant.privacy.clone();
    legal(chrome, "privacy", &text)
}

async fn accessibility(chrome: Chrome) -> Legal {
    let text = chrome.tenant.accessibility.clone();
    legal(chrome, "accessibility", &text)
}

#[derive(Deserialize)]
struct Back {
    zurueck: Option<String>,
}

/// Sets the language cookie and returns to the page the switch was on. Only local
/// paths are followed, so the link cannot be abused as an open redirect.
async fn switch_language(
    Path(code): Path<String>,
    Query(back): Query<Back>,
) -> Result<Response, PageError> {
    let lang = Lang::parse(&code).ok_or(PageError::NotFound)?;
    let target = local_path(back.zurueck, "/", "/");
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        lang.code()
    );
    let mut response = Redirect::to(&target).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("cookie is ASCII"),
    );
    Ok(response)
}

/// The tenant's colours as CSS custom properties (no inline styles under our CSP).
async fn tenant_css(Extension(CurrentTenant(tenant)): Extension<CurrentTenant>) -> Response {
    let css = format!(
        ":root {{ --rathaus-primary: {color}; }}\n",
        color = tenant.primary_color
    );
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        css,
    )
        .into_response()
}

/// The coat of arms. SVG can carry script, so it gets a CSP of its own that allows
/// none, even when opened directly.
async fn logo(
    Extension(CurrentTenant(tenant)): Extension<CurrentTenant>,
) -> Result<Response, PageError> {
    let svg = tenant.logo_svg.clone().ok_or(PageError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        svg,
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/not_found.html")]
struct NotFound {
    chrome: Chrome,
}

/// 404 inside the tenant's layout.
pub async fn not_found(chrome: Chrome) -> impl IntoResponse {
    (axum::http::StatusCode::NOT_FOUND, NotFound { chrome })
}
