//! One step of the assistant: shown with the answers so far, and sent — with files,
//! actions of repeating groups, and the check of the page on the server.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form as UrlEncoded;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::drafts::{self, Accept};
use rathaus_forms::definition::{Field, Item, Kind, Step};
use rathaus_forms::fill::field_path;
use rathaus_forms::present;
use rathaus_store::blob::Bytes;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::visitor::Visitor;
use super::widgets::{StepInput, Widget, info_key, max_bytes};
use super::{Filling, keep, messages, today};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "assistant/step.html")]
pub struct StepPage {
    chrome: Chrome,
    form_title: String,
    title: String,
    /// "Schritt 2 von 5".
    progress: String,
    back: String,
    action: String,
    multipart: bool,
    widgets: Vec<Widget>,
    /// (input id, message) for the summary at the top.
    errors: Vec<(String, String)>,
    /// Came from the check page: "Weiter" returns there.
    from_check: bool,
    /// Logged in: the draft can be left and resumed.
    can_save: bool,
    /// Where the script asks which fields the answers being typed call for.
    visibility: String,
}

#[derive(Deserialize)]
pub struct FromCheck {
    #[serde(default)]
    pruefen: Option<String>,
}

/// What the page is built from besides the definition.
struct Shown<'a> {
    values: Vec<(String, String)>,
    errors: HashMap<String, String>,
    adding: Option<&'a str>,
    from_check: bool,
}

fn find_step<'a>(filling: &'a Filling, step_id: &str) -> Option<&'a Step> {
    filling
        .form
        .steps_shown(&filling.draft.answers, today())
        .into_iter()
        .find(|s| s.id == step_id)
}

fn render(
    chrome: Chrome,
    visitor: &Visitor,
    filling: &Filling,
    step: &Step,
    shown: Shown<'_>,
) -> StepPage {
    let lang = chrome.lang_code();
    let steps = filling.form.steps_shown(&filling.draft.answers, today());
    let position = steps.iter().position(|s| s.id == step.id).unwrap_or(0);
    let back = match (shown.from_check, position) {
        (true, _) => format!("{}/pruefen", filling.base()),
        (false, 0) => format!("/antrag/{}", filling.service.key),
        (false, n) => filling.step_href(&steps[n - 1].id),
    };
    let verified: Vec<String> = filling.verified.iter().map(|(id, _)| id.clone()).collect();
    let input = StepInput {
        form: &filling.form,
        step,
        t: chrome.t,
        values: &shown.values,
        answers: &filling.draft.answers,
        errors: &shown.errors,
        verified: &verified,
        files: &filling.files,
        adding: shown.adding,
        today: today(),
    };
    let widgets = input.widgets();
    let errors = summary(&widgets);
    let progress = chrome.t.fmt(
        "assistant-progress",
        &[
            ("step", &(position + 1).to_string()),
            ("steps", &steps.len().to_string()),
        ],
    );
    StepPage {
        form_title: filling.form.definition.title.get(lang).to_owned(),
        title: step.title.get(lang).to_owned(),
        progress,
        back,
        action: filling.step_href(&step.id),
        visibility: format!("{}/sichtbar", filling.step_href(&step.id)),
        multipart: has_files(step),
        widgets,
        errors,
        from_check: shown.from_check,
        can_save: visitor.citizen.is_some(),
        chrome,
    }
}

/// The error summary in page order, each linking to its input.
fn summary(widgets: &[Widget]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for w in widgets {
        if let Some(message) = &w.error {
            out.push((w.first_input(), message.clone()));
        }
        for entry in &w.entries {
            out.extend(summary(&entry.widgets));
        }
    }
    out
}

fn has_files(step: &Step) -> bool {
    step.items.iter().any(|item| match item {
        Item::Field(f) => f.kind == Kind::File || f.fields.iter().any(|i| i.kind == Kind::File),
        Item::Info { .. } => false,
    })
}

/// The values a page shows: the stored answers, suggestions from earlier answers, and
/// verified identity data over everything.
fn stored_values(filling: &Filling, step: &Step) -> Vec<(String, String)> {
    let answers = &filling.draft.answers;
    let mut values = filling.form.step_inputs(&step.id, answers);
    let suggested = rathaus_core::prefill::from_earlier_answers(step, answers);
    for (id, answer) in &suggested.0 {
        if let Some(field) = step.field(id) {
            values.extend(present::inputs(field, id, answer));
        }
    }
    verified_over(filling, step, &mut values);
    values
}

fn verified_over(filling: &Filling, step: &Step, values: &mut Vec<(String, String)>) {
    for (id, answer) in &filling.verified {
        if let Some(field) = step.field(id) {
            let prefix = format!("{id}.");
            values.retain(|(name, _)| name != id && !name.starts_with(&prefix));
            values.extend(present::inputs(field, id, answer));
        }
    }
}

/// The field an input name belongs to: `nachweis`, or `kinder.0.foto` inside a group
/// (entry numbers are small whole numbers; nothing else is a field).
fn field_for_name<'a>(step: &'a Step, name: &str) -> Option<&'a Field> {
    let parts: Vec<&str> = name.split('.').collect();
    let top = step.field(parts.first()?)?;
    match (top.kind, parts.as_slice()) {
        (Kind::Group, [_, entry, inner]) if entry.len() <= 3 && entry.parse::<u16>().is_ok() => {
            top.fields.iter().find(|f| f.id == *inner)
        }
        (Kind::Group, _) => None,
        (_, [_]) => Some(top),
        _ => None,
    }
}

pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    Path((id, step_id)): Path<(Uuid, String)>,
    Query(query): Query<FromCheck>,
) -> Result<Response, PageError> {
    let filling = match Filling::load(&state, &chrome, &visitor, id).await {
        Ok(f) => f,
        Err(response) => return Ok(response),
    };
    let Some(step) = find_step(&filling, &step_id) else {
        // A step not (or no longer) asked for these answers.
        return Ok(Redirect::to(&filling.next_open()).into_response());
    };
    let shown = Shown {
        values: stored_values(&filling, step),
        errors: HashMap::new(),
        adding: None,
        from_check: query.pruefen.is_some(),
    };
    Ok(render(chrome, &visitor, &filling, step, shown).into_response())
}

/// A file as sent with the page.
pub(crate) struct Upload {
    pub name: String,
    pub file_name: String,
    pub bytes: Bytes,
}

/// Reads the page as sent: url-encoded, or multipart when it carries files.
pub(crate) async fn read_page(
    request: Request,
    state: &AppState,
) -> Result<(Vec<(String, String)>, Vec<Upload>), PageError> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let UrlEncoded(pairs) = UrlEncoded::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|e| PageError::BadRequest(e.body_text()))?;
        return Ok((pairs, Vec::new()));
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| PageError::BadRequest(e.body_text()))?;
    let mut pairs = Vec::new();
    let mut uploads = Vec::new();
    let bad = |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
    while let Some(part) = multipart.next_field().await.map_err(bad)? {
        let name = part.name().unwrap_or_default().to_owned();
        match part.file_name().map(str::to_owned) {
            Some(file_name) => {
                let bytes = part.bytes().await.map_err(bad)?;
                // A file input left empty sends a part without name and content.
                if !file_name.is_empty() || !bytes.is_empty() {
                    uploads.push(Upload {
                        name,
                        file_name,
                        bytes,
                    });
                }
            }
            None => pairs.push((name, part.text().await.map_err(bad)?)),
        }
    }
    Ok((pairs, uploads))
}

/// What the buttons of a page ask for besides "continue".
enum Action {
    Continue,
    Save,
    AddEntry(String),
    RemoveEntry(String),
    RemoveFile(String),
}

fn action(pairs: &mut Vec<(String, String)>) -> (Action, bool) {
    let take = |pairs: &mut Vec<(String, String)>, key: &str| {
        let found = pairs.iter().position(|(n, _)| n == key)?;
        Some(pairs.remove(found).1)
    };
    let from_check = take(pairs, "pruefen").is_some();
    let action = match take(pairs, "aktion") {
        Some(a) if a == "speichern" => Action::Save,
        Some(a) => match a.split_once(':') {
            Some(("hinzufuegen", group)) => Action::AddEntry(group.to_owned()),
            Some(("entfernen", entry)) => Action::RemoveEntry(entry.to_owned()),
            Some(("datei-entfernen", file)) => Action::RemoveFile(file.to_owned()),
            _ => Action::Continue,
        },
        None => Action::Continue,
    };
    (action, from_check)
}

pub async fn send(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    Path((id, step_id)): Path<(Uuid, String)>,
    request: Request,
) -> Result<Response, PageError> {
    let mut filling = match Filling::load(&state, &chrome, &visitor, id).await {
        Ok(f) => f,
        Err(response) => return Ok(response),
    };
    let Some(step) = find_step(&filling, &step_id).cloned() else {
        return Ok(Redirect::to(&filling.next_open()).into_response());
    };
    let (mut pairs, uploads) = read_page(request, &state).await?;
    let (action, from_check) = action(&mut pairs);
    let lang = chrome.lang_code();

    match &action {
        Action::RemoveEntry(entry) => {
            let prefix = format!("{entry}.");
            pairs.retain(|(name, _)| !name.starts_with(&prefix));
        }
        Action::RemoveFile(file) => {
            // Only a file of this step's fields: another step's upload stays.
            let of_this_step = filling.files.iter().find(|f| {
                f.id.to_string() == *file
                    && step
                        .field(f.field.split('.').next().unwrap_or(""))
                        .is_some()
            });
            if let Some(found) = of_this_step.map(|f| f.id) {
                pairs.retain(|(_, value)| value != file);
                drafts::remove_file(&state.db, &state.blobs, &filling.draft, found).await?;
                filling.files.retain(|f| f.id != found);
            }
        }
        _ => {}
    }

    // Files: checked by content, stored, and named in the page's answers by reference.
    let mut errors: HashMap<String, String> = HashMap::new();
    for upload in uploads {
        let Some(field) = field_for_name(&step, &upload.name).filter(|f| f.kind == Kind::File)
        else {
            continue;
        };
        let accept = Accept {
            media_types: &field.accept,
            max_bytes: max_bytes(field),
        };
        let stored = drafts::attach(
            &state.db,
            &state.blobs,
            &filling.draft,
            &field_path(&upload.name),
            &upload.file_name,
            upload.bytes,
            &accept,
        )
        .await?;
        match stored {
            Ok(file) => {
                pairs.push((upload.name.clone(), file.id.to_string()));
                filling.files.push(file);
            }
            Err(problem) => {
                let label = field.label.get(lang);
                let message = messages::upload(chrome.t, label, &upload.file_name, &problem);
                errors.entry(upload.name).or_insert(message);
            }
        }
    }
    // Only references to this draft's own files of that field count.
    pairs.retain(|(name, value)| match field_for_name(&step, name) {
        Some(field) if field.kind == Kind::File => {
            let path = field_path(name);
            filling
                .files
                .iter()
                .any(|f| f.field == path && f.id.to_string() == *value)
        }
        _ => true,
    });
    verified_over(&filling, &step, &mut pairs);

    let problems = filling
        .form
        .take_step(&step.id, &pairs, &mut filling.draft.answers, today())
        .map_err(|e| PageError::BadRequest(e.to_string()))?;
    drafts::save(&state.db, &filling.draft, keep(&state)).await?;

    let adding = match &action {
        Action::AddEntry(group) => Some(group.as_str()),
        _ => None,
    };
    let stays = matches!(
        action,
        Action::AddEntry(_) | Action::RemoveEntry(_) | Action::RemoveFile(_)
    );
    if matches!(action, Action::Save) && visitor.citizen.is_some() {
        return Ok(Redirect::to("/konto/entwuerfe?gespeichert=1").into_response());
    }
    if stays || !problems.is_empty() || !errors.is_empty() {
        if !stays {
            for (name, problem) in &problems {
                let field = field_for_name(&step, name).or_else(|| step.field(name));
                if let Some(field) = field {
                    let label = field.label.get(lang);
                    errors
                        .entry(name.clone())
                        .or_insert_with(|| messages::problem(chrome.t, field, label, problem));
                }
            }
        }
        let shown = Shown {
            values: pairs,
            errors,
            adding,
            from_check,
        };
        let status = if stays {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return Ok((status, render(chrome, &visitor, &filling, &step, shown)).into_response());
    }
    let next = if from_check {
        filling.next_open()
    } else {
        let steps = filling.form.steps_shown(&filling.draft.answers, today());
        let here = steps.iter().position(|s| s.id == step.id);
        match here.and_then(|i| steps.get(i + 1)) {
            Some(next) => filling.step_href(&next.id),
            None => format!("{}/pruefen", filling.base()),
        }
    };
    Ok(Redirect::to(&next).into_response())
}

#[derive(Serialize)]
pub struct Visibility {
    /// The field ids and information blocks (`info-N`) that apply.
    shown: Vec<String>,
}

/// Which of the step's fields and information blocks apply to the answers as they are
/// being typed: the same rules as on sending, applied to a copy (nothing is saved).
pub async fn visibility(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    Path((id, step_id)): Path<(Uuid, String)>,
    UrlEncoded(mut pairs): UrlEncoded<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let filling = match Filling::load(&state, &chrome, &visitor, id).await {
        Ok(f) => f,
        Err(response) => return Ok(response),
    };
    let Some(step) = find_step(&filling, &step_id) else {
        return Err(PageError::NotFound);
    };
    verified_over(&filling, step, &mut pairs);
    let mut answers = filling.draft.answers.clone();
    let day = today();
    filling
        .form
        .take_step(&step.id, &pairs, &mut answers, day)
        .map_err(|e| PageError::BadRequest(e.to_string()))?;
    let form = &filling.form;
    let shown = step
        .items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match item {
            Item::Field(f) if form.holds(f.show_if.as_ref(), &answers, day) => Some(f.id.clone()),
            Item::Info { show_if, .. } if form.holds(show_if.as_ref(), &answers, day) => {
                Some(info_key(i))
            }
            _ => None,
        })
        .collect();
    Ok(axum::Json(Visibility { shown }).into_response())
}
