//! The citizen account (`/konto`): register and confirm the address, log in and out,
//! recover a forgotten password, and manage profile, password, address and the account.

mod access;
mod apps;
mod external;
mod organisations;
mod recovery;
mod settings;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::HeaderMap;
use rathaus_core::passwords::Weakness;

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::routes::Access::{Citizen, Public};
use crate::routes::Routes;
use crate::state::AppState;
use crate::tenant::registered_origin;

pub use access::CitizenSession;

pub fn routes() -> Routes {
    Routes::default()
        .get("/konto", Citizen, settings::overview)
        .get("/konto/registrieren", Public, access::register_form)
        .post("/konto/registrieren", Public, access::register)
        .get("/konto/registrieren/gesendet", Public, access::sent)
        .get("/konto/bestaetigen/{token}", Public, access::confirm)
        .get("/konto/anmelden", Public, access::login_form)
        .post("/konto/anmelden", Public, access::login)
        .post("/konto/abmelden", Citizen, access::logout)
        .get("/konto/anmelden/extern/{slug}", Public, external::start)
        .get(
            "/konto/anmelden/extern/{slug}/rueckkehr",
            Public,
            external::finish,
        )
        .get("/konto/passwort-vergessen", Public, recovery::forgot_form)
        .post("/konto/passwort-vergessen", Public, recovery::forgot)
        .get("/konto/passwort-vergessen/gesendet", Public, recovery::sent)
        .get("/konto/passwort-neu/{token}", Public, recovery::reset_form)
        .post("/konto/passwort-neu/{token}", Public, recovery::reset)
        .get("/konto/profil", Citizen, settings::profile_form)
        .post("/konto/profil", Citizen, settings::save_profile)
        .get("/konto/passwort", Citizen, settings::password_form)
        .post("/konto/passwort", Citizen, settings::change_password)
        .get("/konto/email", Citizen, settings::email_form)
        .post("/konto/email", Citizen, settings::change_email)
        .get("/konto/email/gesendet", Public, settings::email_sent)
        .get(
            "/konto/email-bestaetigen/{token}",
            Public,
            settings::confirm_email_change,
        )
        .get("/konto/loeschen", Citizen, settings::delete_form)
        .post("/konto/loeschen", Citizen, settings::delete)
        .get("/konto/geloescht", Public, settings::deleted)
        .get("/konto/apps", Citizen, apps::list)
        .post("/konto/apps/{id}/entziehen", Citizen, apps::revoke)
        .get("/konto/organisationen", Citizen, organisations::list)
        .post("/konto/organisationen", Citizen, organisations::create)
        .get("/konto/organisationen/{id}", Citizen, organisations::detail)
        .post(
            "/konto/organisationen/{id}/einladen",
            Citizen,
            organisations::invite,
        )
        .post(
            "/konto/organisationen/{id}/mitglieder/{member}/entfernen",
            Citizen,
            organisations::remove,
        )
        .post(
            "/konto/organisationen/{id}/mitglieder/{member}/rolle",
            Citizen,
            organisations::change_role,
        )
        .post("/konto/handeln-fuer", Citizen, organisations::act_for)
        .get(
            "/konto/organisationen/einladung/{token}",
            Citizen,
            organisations::invitation,
        )
        .post(
            "/konto/organisationen/einladung/{token}",
            Citizen,
            organisations::accept,
        )
}

/// The base of links we mail: the request's host when it is one of the tenant's
/// registered hosts, otherwise the configured public URL.
pub(crate) fn link_base(
    state: &AppState,
    chrome: &Chrome,
    headers: &HeaderMap,
) -> Result<String, PageError> {
    if let Some(origin) = registered_origin(state, chrome.tenant.id, headers) {
        return Ok(origin);
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
pub(crate) fn weakness_key(weakness: Weakness) -> &'static str {
    match weakness {
        Weakness::TooShort => "account-password-too-short",
        Weakness::TooLong => "account-password-too-long",
        Weakness::Common => "account-password-common",
        Weakness::SameAsEmail => "account-password-same-as-email",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "account/message.html")]
pub(crate) struct MessagePage {
    chrome: Chrome,
    heading: String,
    text: String,
    next: Option<(&'static str, String)>,
}

pub(crate) fn message(
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
