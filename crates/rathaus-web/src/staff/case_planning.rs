//! Planning on a case's page: who works on it (assigned by a department lead), its
//! deadline (set anew with a reason), reminders (Wiedervorlage) and internal notes for
//! colleagues. A refused entry shows the page again with what was typed and why.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::cases::{assignment, deadlines, notes, reminders};
use rathaus_core::error::CoreError;
use rathaus_core::policy::{self, Permission};
use serde::Deserialize;

use super::cases::{INBOX, Outcome, conflict, refused, seen_case, shown_version};
use super::session::StaffSession;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct DeadlineForm {
    version: Option<String>,
    #[serde(default)]
    frist: String,
    #[serde(default)]
    frist_grund: String,
}

/// Sets the case's deadline to the day given, with a reason.
pub async fn set_deadline(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Form(form): Form<DeadlineForm>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let back = format!("{INBOX}/{}", case.reference);
    let version = shown_version(form.version.as_deref());
    let refusal = match rathaus_forms::values::date(&form.frist) {
        Err(_) => ("frist", "cases-deadline-not-a-date"),
        Ok(day) => {
            let set = deadlines::set(
                &state.db,
                &session.actor,
                &origin,
                &case,
                version,
                day,
                &form.frist_grund,
            )
            .await;
            match set {
                Ok(Ok(())) => return Ok(Redirect::to(&back).into_response()),
                Ok(Err(deadlines::Refusal::InThePast)) => ("frist", "cases-deadline-in-the-past"),
                Ok(Err(deadlines::Refusal::ReasonMissing)) => {
                    ("frist_grund", "cases-deadline-reason-missing")
                }
                Err(CoreError::Conflict(_)) => {
                    return Ok(conflict(&case));
                }
                Err(other) => return Err(other.into()),
            }
        }
    };
    let (field, key) = refusal;
    let outcome = Outcome {
        due: form.frist,
        due_reason: form.frist_grund,
        errors: vec![(field, chrome.t.get(key).to_owned())],
        ..Outcome::default()
    };
    refused(&state, chrome, (&session, &origin), case, outcome).await
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    notiz: String,
}

/// Adds an internal note; it never reaches the applicant.
pub async fn add_note(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Form(form): Form<NoteForm>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let back = format!("{INBOX}/{}#verlauf", case.reference);
    let key = match notes::add(&state.db, &session.actor, &origin, &case, &form.notiz).await? {
        Ok(()) => return Ok(Redirect::to(&back).into_response()),
        Err(notes::Refusal::Empty) => "cases-note-empty",
        Err(notes::Refusal::TooLong) => "cases-note-too-long",
    };
    let outcome = Outcome {
        note: form.notiz,
        errors: vec![("notiz", chrome.t.get(key).to_owned())],
        ..Outcome::default()
    };
    refused(&state, chrome, (&session, &origin), case, outcome).await
}

#[derive(Deserialize)]
pub struct ReminderForm {
    #[serde(default)]
    wiedervorlage: String,
    #[serde(default)]
    wiedervorlage_grund: String,
}

/// Sets a reminder: the day to look at the case again, and why.
pub async fn set_reminder(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Form(form): Form<ReminderForm>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let back = format!("{INBOX}/{}#wiedervorlage", case.reference);
    let (field, key) = match rathaus_forms::values::date(&form.wiedervorlage) {
        Err(_) => ("wiedervorlage", "cases-deadline-not-a-date"),
        Ok(day) => {
            let note = &form.wiedervorlage_grund;
            let actor = &session.actor;
            match reminders::set(&state.db, actor, &origin, &case, day, note).await? {
                Ok(_) => return Ok(Redirect::to(&back).into_response()),
                Err(reminders::Refusal::InThePast) => {
                    ("wiedervorlage", "cases-deadline-in-the-past")
                }
                Err(reminders::Refusal::NoteMissing) => {
                    ("wiedervorlage_grund", "cases-reminder-note-missing")
                }
                Err(reminders::Refusal::TooLong) => {
                    ("wiedervorlage_grund", "cases-reminder-too-long")
                }
            }
        }
    };
    let outcome = Outcome {
        reminder_day: form.wiedervorlage,
        reminder_note: form.wiedervorlage_grund,
        errors: vec![(field, chrome.t.get(key).to_owned())],
        ..Outcome::default()
    };
    refused(&state, chrome, (&session, &origin), case, outcome).await
}

/// Marks a reminder done. One done already (a second click, a colleague) leads back to
/// the case all the same: there is nothing left to do.
pub async fn reminder_done(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path((reference, item)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    if let Ok(id) = uuid::Uuid::parse_str(&item) {
        reminders::done(&state.db, &session.actor, &origin, &case, id).await?;
    }
    let back = format!("{INBOX}/{}#wiedervorlage", case.reference);
    Ok(Redirect::to(&back).into_response())
}

#[derive(Deserialize)]
pub struct AssignForm {
    version: Option<String>,
    #[serde(default)]
    an: String,
}

/// Assigns the case to a colleague of its department.
pub async fn assign(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Form(form): Form<AssignForm>,
) -> Result<Response, PageError> {
    // Who may not assign learns nothing about the case.
    policy::require(&session.actor, chrome.tenant.id, Permission::AssignCases)?;
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let back = format!("{INBOX}/{}", case.reference);
    let version = shown_version(form.version.as_deref());
    // Not a person, or not one of the case's department: the page asks again.
    if let Ok(to) = uuid::Uuid::parse_str(&form.an) {
        let actor = &session.actor;
        match assignment::assign(&state.db, actor, &origin, &case, version, to).await {
            Ok(Ok(())) => return Ok(Redirect::to(&back).into_response()),
            Ok(Err(assignment::Refusal::NotAColleague)) => {}
            Err(CoreError::Conflict(_)) => {
                return Ok(conflict(&case));
            }
            Err(other) => return Err(other.into()),
        }
    }
    let outcome = Outcome {
        errors: vec![("an", chrome.t.get("cases-assign-choose").to_owned())],
        ..Outcome::default()
    };
    refused(&state, chrome, (&session, &origin), case, outcome).await
}

#[derive(Deserialize)]
pub struct TeamForm {
    version: Option<String>,
    /// A team's id, or empty for none.
    #[serde(default)]
    team: String,
}

/// Gives the case to a team of its department, or to none.
pub async fn give_to_team(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Form(form): Form<TeamForm>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let back = format!("{INBOX}/{}", case.reference);
    let version = shown_version(form.version.as_deref());
    let team = match form.team.as_str() {
        "" => Ok(None),
        id => uuid::Uuid::parse_str(id).map(Some),
    };
    if let Ok(team) = team {
        let actor = &session.actor;
        match assignment::give_to_team(&state.db, actor, &origin, &case, version, team).await {
            Ok(Ok(())) => return Ok(Redirect::to(&back).into_response()),
            Ok(Err(assignment::TeamRefusal::NotOfTheDepartment)) => {}
            Err(CoreError::Conflict(_)) => return Ok(conflict(&case)),
            Err(other) => return Err(other.into()),
        }
    }
    let outcome = Outcome {
        errors: vec![("team", chrome.t.get("cases-team-choose").to_owned())],
        ..Outcome::default()
    };
    refused(&state, chrome, (&session, &origin), case, outcome).await
}
