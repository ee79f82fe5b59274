//! Errors as the citizen or caseworker sees them: a page in German (with English
//! below) that says what happened and what to do next. Details go to the log only.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rathaus_core::CoreError;

use crate::assets;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("no tenant for this host")]
    UnknownHost,
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Someone else changed it since the page was shown.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<CoreError> for PageError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Forbidden(why) => Self::Forbidden(why.to_owned()),
            CoreError::NotFound(what) => {
                tracing::debug!(%what, "not found");
                Self::NotFound
            }
            CoreError::Invalid(why) => Self::BadRequest(why),
            CoreError::Conflict(what) => Self::Conflict(what),
            CoreError::Store(e) => Self::Internal(e.to_string()),
        }
    }
}

impl From<rathaus_store::StoreError> for PageError {
    fn from(e: rathaus_store::StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    asset_version: &'a str,
    title_de: &'a str,
    text_de: &'a str,
    title_en: &'a str,
    text_en: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title_de, text_de, title_en, text_en) = match &self {
            PageError::UnknownHost => (
                StatusCode::NOT_FOUND,
                "Unbekannte Adresse",
                "Unter dieser Adresse ist keine Kommune eingerichtet. Bitte prüfen Sie die Adresse in der Adresszeile.",
                "Unknown address",
                "No municipality is set up at this address. Please check the address bar.",
            ),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Seite nicht gefunden",
                "Die aufgerufene Adresse gibt es nicht (mehr). Beginnen Sie bitte auf der Startseite.",
                "Page not found",
                "This address does not exist (any more). Please start from the home page.",
            ),
            PageError::Forbidden(_) => (
                StatusCode::FORBIDDEN,
                "Kein Zugriff",
                "Sie haben keine Berechtigung für diese Seite. Melden Sie sich mit einem berechtigten Konto an oder wenden Sie sich an die Administration.",
                "No access",
                "You are not allowed to see this page. Log in with an account that has the right, or ask your administrator.",
            ),
            PageError::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "Eingabe nicht verständlich",
                "Die Anfrage enthielt Angaben, die wir nicht verarbeiten können. Es wurde nichts gespeichert. Gehen Sie bitte zurück und prüfen Sie Ihre Eingaben.",
                "Input not understood",
                "The request contained data we cannot process. Nothing was saved. Please go back and check your input.",
            ),
            PageError::Conflict(_) => (
                StatusCode::CONFLICT,
                "Inzwischen geändert",
                "Jemand anderes hat diese Angaben geändert, seit Sie die Seite geöffnet haben. Es wurde nichts überschrieben. Laden Sie die Seite neu und prüfen Sie den aktuellen Stand.",
                "Changed meanwhile",
                "Someone else changed this since you opened the page. Nothing was overwritten. Reload the page and check the current state.",
            ),
            PageError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Es ist ein Fehler aufgetreten",
                    "Ihre Anfrage konnte gerade nicht bearbeitet werden. Es wurde nichts gespeichert. Bitte versuchen Sie es in einigen Minuten erneut.",
                    "Something went wrong",
                    "Your request could not be handled just now. Nothing was saved. Please try again in a few minutes.",
                )
            }
        };
        let page = ErrorPage {
            asset_version: assets::version(),
            title_de,
            text_de,
            title_en,
            text_en,
        };
        (status, page).into_response()
    }
}
