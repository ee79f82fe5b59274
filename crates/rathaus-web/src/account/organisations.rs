//! Organisations in the citizen account (`/konto/organisationen`): create one, see its
//! members, invite members, change their roles and remove them (admins), leave, and
//! choose whom to act for.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::organisations::{self, Acceptance, Member, Organisation};
use serde::Deserialize;
use uuid::Uuid;

use super::{CitizenSession, link_base, message};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "account/organisations.html")]
pub struct ListPage {
    chrome: Chrome,
    /// (organisation, "Administration" or "Mitglied").
    organisations: Vec<(Organisation, String)>,
    acting_for: Option<Uuid>,
    name: String,
    name_error: Option<String>,
    errors: Vec<(&'static str, String)>,
}

impl ListPage {
    fn is_acting_for(&self, organisation: &Organisation) -> bool {
        self.acting_for == Some(organisation.id)
    }
}

async fn list_page(
    state: &AppState,
    chrome: Chrome,
    session: &CitizenSession,
) -> Result<ListPage, PageError> {
    let mine = organisations::of_member(&state.db, &session.citizen).await?;
    let acting = organisations::acting_for(&state.db, &session.citizen, &session.token).await?;
    let organisations = mine
        .into_iter()
        .map(|(o, role)| {
            (
                o,
                chrome
                    .t
                    .get(&format!("organisation-role-{role}"))
                    .to_owned(),
            )
        })
        .collect();
    Ok(ListPage {
        chrome,
        organisations,
        acting_for: acting.map(|o| o.id),
        name: String::new(),
        name_error: None,
        errors: Vec::new(),
    })
}

pub async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
) -> Result<ListPage, PageError> {
    list_page(&state, chrome, &session).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<CreateForm>,
) -> Result<Response, PageError> {
    if let Some(created) =
        organisations::create(&state.db, &session.citizen, &form.name, &origin).await?
    {
        return Ok(Redirect::to(&format!("/konto/organisationen/{}", created.id)).into_response());
    }
    let message = chrome.t.get("organisation-name-invalid").to_owned();
    let mut page = list_page(&state, chrome, &session).await?;
    page.name = form.name.trim().to_owned();
    page.name_error = Some(message.clone());
    page.errors.push(("name", message));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "account/organisation.html")]
pub struct DetailPage {
    chrome: Chrome,
    organisation: Organisation,
    members: Vec<(Member, String)>,
    /// (key, name, what it may) of each role an admin can give.
    roles: Vec<(&'static str, String, String)>,
    me: Uuid,
    is_admin: bool,
    invited: bool,
    email_error: Option<String>,
    errors: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
pub struct Invited {
    eingeladen: Option<String>,
}

async fn detail_page(
    state: &AppState,
    chrome: Chrome,
    session: &CitizenSession,
    id: Uuid,
) -> Result<DetailPage, PageError> {
    let (organisation, members, mine) =
        organisations::with_members(&state.db, &session.citizen, id).await?;
    let members = members
        .into_iter()
        .map(|m| {
            let role = chrome
                .t
                .get(&format!("organisation-role-{}", m.role))
                .to_owned();
            (m, role)
        })
        .collect();
    let roles = organisations::ROLES
        .into_iter()
        .map(|key| {
            let name = chrome.t.get(&format!("organisation-role-{key}")).to_owned();
            let hint = chrome
                .t
                .get(&format!("organisation-role-{key}-hint"))
                .to_owned();
            (key, name, hint)
        })
        .collect();
    Ok(DetailPage {
        chrome,
        organisation,
        members,
        roles,
        me: session.citizen.id,
        is_admin: mine == organisations::ADMIN,
        invited: false,
        email_error: None,
        errors: Vec::new(),
    })
}

pub async fn detail(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    Path(id): Path<Uuid>,
    Query(invited): Query<Invited>,
) -> Result<DetailPage, PageError> {
    let mut page = detail_page(&state, chrome, &session, id).await?;
    page.invited = invited.eingeladen.is_some();
    Ok(page)
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default = "ordinary_member")]
    role: String,
}

fn ordinary_member() -> String {
    organisations::MEMBER.to_owned()
}

pub async fn invite(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Result<Response, PageError> {
    let base = link_base(&state, &chrome, &headers)?;
    let sent = organisations::invite(
        &state.db,
        &chrome.tenant,
        &session.citizen,
        id,
        &form.email,
        &form.role,
        &base,
        &origin,
    )
    .await?;
    if sent {
        state.wake_worker();
        return Ok(
            Redirect::to(&format!("/konto/organisationen/{id}?eingeladen=1")).into_response(),
        );
    }
    let message = chrome.t.get("account-email-invalid").to_owned();
    let mut page = detail_page(&state, chrome, &session, id).await?;
    page.email_error = Some(message.clone());
    page.errors.push(("email", message));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn remove(
    State(state): State<AppState>,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    Path((id, member)): Path<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    organisations::remove_member(&state.db, &session.citizen, id, member, &origin).await?;
    let back = if member == session.citizen.id {
        "/konto/organisationen".to_owned()
    } else {
        format!("/konto/organisationen/{id}")
    };
    Ok(Redirect::to(&back).into_response())
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    Path((id, member)): Path<(Uuid, Uuid)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, PageError> {
    organisations::change_role(&state.db, &session.citizen, id, member, &form.role, &origin)
        .await?;
    Ok(Redirect::to(&format!("/konto/organisationen/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct ActForm {
    /// An organisation's id, or empty for the person alone.
    #[serde(default)]
    organisation: String,
}

pub async fn act_for(
    State(state): State<AppState>,
    session: CitizenSession,
    Form(form): Form<ActForm>,
) -> Result<Response, PageError> {
    let organisation = match form.organisation.as_str() {
        "" => None,
        id => Some(Uuid::parse_str(id).map_err(|_| PageError::NotFound)?),
    };
    let renewed =
        organisations::act_for(&state.db, &session.citizen, &session.token, organisation).await?;
    let mut response = Redirect::to("/konto/organisationen").into_response();
    if let Some(token) = renewed {
        response.headers_mut().insert(
            axum::http::header::SET_COOKIE,
            crate::session_cookie::CITIZEN.set(&token, state.config.behind_tls),
        );
    }
    Ok(response)
}

#[derive(Template, WebTemplate)]
#[template(path = "account/invitation.html")]
pub struct InvitationPage {
    chrome: Chrome,
    token: String,
}

pub async fn invitation(
    chrome: Chrome,
    _session: CitizenSession,
    Path(token): Path<String>,
) -> InvitationPage {
    InvitationPage { chrome, token }
}

pub async fn accept(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let outcome = organisations::accept(&state.db, &session.citizen, &token, &origin).await?;
    let key = match outcome {
        Acceptance::Joined(joined) => {
            return Ok(
                Redirect::to(&format!("/konto/organisationen/{}", joined.id)).into_response(),
            );
        }
        Acceptance::BadLink => "organisation-invitation-bad-link",
        Acceptance::OtherAddress => "organisation-invitation-other-address",
    };
    let page = message(
        chrome,
        "organisation-invitation-failed-title",
        key,
        Some(("/konto/organisationen", "organisations-title")),
    );
    Ok((StatusCode::GONE, page).into_response())
}
