//! The apps a citizen let in (`/konto/apps`, "Verbundene Apps"): which app, what it may
//! do, since when and when it last came; each can be sent away.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::app_access;
use serde::Deserialize;
use uuid::Uuid;

use super::CitizenSession;
use crate::assistant::local_time;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::state::AppState;

pub struct Connected {
    pub id: Uuid,
    pub app: String,
    pub scopes: Vec<String>,
    pub since: String,
    pub last_used: String,
    /// "Zugriff der Musterstadt-App beenden": each button names its app.
    pub revoke_label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/apps.html")]
pub struct AppsPage {
    chrome: Chrome,
    apps: Vec<Connected>,
    /// "Access ended", after an app was sent away.
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct Done {
    entzogen: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    Query(done): Query<Done>,
) -> Result<AppsPage, PageError> {
    let connected = app_access::connected_apps(state.db.conn(), session.citizen.id).await?;
    let apps = connected
        .into_iter()
        .map(|app| Connected {
            id: app.grant_id,
            scopes: crate::api::scope_texts(&chrome, &app.scopes),
            since: local_time(app.since),
            last_used: app.last_used.map_or_else(|| "–".to_owned(), local_time),
            revoke_label: chrome.t.fmt("apps-revoke", &[("app", &app.app)]),
            app: app.app,
        })
        .collect();
    let done = done
        .entzogen
        .map(|_| chrome.t.get("apps-revoked").to_owned());
    Ok(AppsPage { chrome, apps, done })
}

/// Sends an app away: its tokens stop working at once.
pub async fn revoke(
    State(state): State<AppState>,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    if !app_access::revoke_grant(&state.db, &session.citizen, id, &origin).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to("/konto/apps?entzogen=1").into_response())
}
