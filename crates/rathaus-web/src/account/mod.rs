//! The citizen account (`/konto`): register and confirm the address, log in and out,
//! recover a forgotten password, and manage profile, password, address and the account.

mod access;
mod external;
mod recovery;
mod settings;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::http::{HeaderMap, header};
use axum::routing::get;
use rathaus_core::passwords::Weakness;

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::state::AppState;

pub use access::CitizenSession;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/konto", get(settings::overview))
        .route(
            "/konto/registrieren",
            get(access::register_form).post(access::register),
        )
        .route("/konto/registrieren/gesendet", get(access::sent))
        .route("/konto/bestaetigen/{token}", get(access::confirm))
        .route(
            "/konto/anmelden",
            get(access::login_form).post(access::login),
        )
        .route("/konto/abmelden", axum::routing::post(access::logout))
        .route("/konto/anmelden/extern/{slug}", get(external::start))
        .route(
            "/konto/anmelden/extern/{slug}/rueckkehr",
            get(external::finish),
        )
        .route(
            "/konto/passwort-vergessen",
            get(recovery::forgot_form).post(recovery::forgot),
        )
        .route("/konto/passwort-vergessen/gesendet", get(recovery::sent))
        .route(
            "/konto/passwort-neu/{token}",
            get(recovery::reset_form).post(recovery::reset),
        )
        .route(
            "/konto/profil",
            get(settings::profile_form).post(settings::save_profile),
        )
        .route(
            "/konto/passwort",
            get(settings::password_form).post(settings::change_password),
        )
        .route(
            "/konto/email",
            get(settings::email_form).post(settings::change_email),
        )
        .route("/konto/email/gesendet", get(settings::email_sent))
        .route(
            "/konto/email-bestaetigen/{token}",
            get(settings::confirm_email_change),
        )
        .route(
            "/konto/loeschen",
            get(settings::delete_form).post(settings::delete),
        )
        .route("/konto/geloescht", get(settings::deleted))
}

/// The base of links we mail: the request's host when it is one of the tenant's
/// registered hosts, otherwise the configured public URL.
fn link_base(state: &AppState, chrome: &Chrome, headers: &HeaderMap) -> Result<String, PageError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if state.tenants.is_registered_host(host, chrome.tenant.id) {
        let scheme = if state.config.behind_tls {
            "https"
        } else {
            "http"
        };
        return Ok(format!("{scheme}://{host}"));
    }
    state
        .config
        .public_url
        .as_deref()
        .map(|u| u.trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            PageError::Internal(
                "no public_url configured and the host is not registered for the tenant".into(),
            )
        })
}

/// The message for a refused new password.
fn weakness_key(weakness: Weakness) -> &'static str {
    match weakness {
        Weakness::TooShort => "account-password-too-short",
        Weakness::TooLong => "account-password-too-long",
        Weakness::Common => "account-password-common",
        Weakness::SameAsEmail => "account-password-same-as-email",
    }
}

/// Mails are sent by the job worker; in-process, it need not wait for its next poll.
fn wake_mailer(state: &AppState) {
    if let Some(waker) = &state.job_waker {
        waker.notify_one();
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "account/message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    text: String,
    next: Option<(&'static str, String)>,
}

fn message(
    chrome: Chrome,
    heading: &str,
    text: &str,
    next: Option<(&'static str, &str)>,
) -> MessagePage {
    MessagePage {
        heading: chrome.t.get(heading).to_owned(),
        text: chrome.t.get(text).to_owned(),
        next: next.map(|(href, key)| (href, chrome.t.get(key).to_owned())),
        chrome,
    }
}
