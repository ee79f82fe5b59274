//! The answers as a whole: the check-your-answers page (with a "change" link per
//! answer), the printable summary, resuming and discarding drafts, and the list of a
//! citizen's drafts.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use rathaus_core::drafts;
use rathaus_forms::definition::{Form, Item};
use rathaus_forms::expr::Value;
use rathaus_forms::fill::Answers;
use rathaus_forms::present::{self, Words, german_amount, german_date, german_number};
use serde::Deserialize;
use uuid::Uuid;

use super::visitor::Visitor;
use super::widgets::html_id;
use super::{Filling, today};
use crate::account::CitizenSession;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::state::AppState;

/// "23.11.2026, 14:05" in the town hall's time.
pub fn local_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Berlin)
        .format("%d.%m.%Y, %H:%M")
        .to_string()
}

pub struct Row {
    pub label: String,
    pub lines: Vec<String>,
    /// The step page, anchored at the field (none where nothing can be changed).
    pub change: Option<String>,
}

pub struct Section {
    pub title: String,
    pub rows: Vec<Row>,
}

#[derive(Template, WebTemplate)]
#[template(path = "assistant/review.html")]
pub struct ReviewPage {
    chrome: Chrome,
    form_title: String,
    service_name: String,
    /// The organisation the application is made for, if the person acts for one.
    for_organisation: Option<String>,
    sections: Vec<Section>,
    /// Computed values with a label: (label, value).
    totals: Vec<(String, String)>,
    /// Steps still to fill in: (title, href).
    incomplete: Vec<(String, String)>,
    /// The printable summary (no change links, no buttons).
    printable: bool,
    base: String,
    /// The last step shown (the check page's "back").
    back: String,
    expires: String,
    can_save: bool,
    /// The fee to pay before sending, where it is paid online.
    payment: Option<PaymentBox>,
    /// Where the fee is paid later: what happens then (`payment-after-decision`, …).
    fee_later: Option<String>,
}

/// The fee on the check page.
pub struct PaymentBox {
    amount: String,
    basis: Option<String>,
    /// Paid already: the application can be sent.
    paid: bool,
    /// What happened to the last attempt (`?zahlung=`).
    note: Option<(&'static str, String)>,
}

fn value_text(value: &Value) -> Option<String> {
    Some(match value {
        Value::Money(cents) => format!("{} Euro", german_amount(*cents)),
        Value::Number(n) => german_number(*n),
        Value::Date(d) => german_date(*d),
        Value::Text(t) => t.clone(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    })
}

/// The address where an answer is changed: (step id, field id) → path.
pub(crate) type ChangeLink<'a> = dyn Fn(&str, &str) -> String + 'a;

/// The answers of a form step by step in words, as the applicant gave them; with
/// `change` (step id, field id → address), each answer links to where it is changed.
pub(crate) fn answer_sections(
    chrome: &Chrome,
    form: &Form,
    answers: &Answers,
    file_name: &dyn Fn(&str) -> String,
    change: Option<&ChangeLink<'_>>,
) -> Vec<Section> {
    let lang = chrome.lang_code();
    let day = today();
    let words = Words {
        lang,
        yes: chrome.t.get("answer-yes"),
        no: chrome.t.get("answer-no"),
        file_name,
    };
    form.steps_shown(answers, day)
        .into_iter()
        .map(|step| {
            let rows = step
                .items
                .iter()
                .filter_map(|item| match item {
                    Item::Field(field) if form.holds(field.show_if.as_ref(), answers, day) => {
                        Some(field)
                    }
                    _ => None,
                })
                .map(|field| Row {
                    label: field.label.get(lang).to_owned(),
                    lines: answers
                        .0
                        .get(&field.id)
                        .map(|a| present::display(field, a, &words))
                        .unwrap_or_default(),
                    change: change.map(|href| href(&step.id, &field.id)),
                })
                .collect();
            Section {
                title: step.title.get(lang).to_owned(),
                rows,
            }
        })
        .collect()
}

fn review(chrome: Chrome, visitor: &Visitor, filling: &Filling, printable: bool) -> ReviewPage {
    let lang = chrome.lang_code();
    let answers = &filling.draft.answers;
    let day = today();
    let file_name = |reference: &str| {
        filling
            .files
            .iter()
            .find(|f| f.id.to_string() == reference)
            .map_or_else(|| reference.to_owned(), |f| f.file_name.clone())
    };
    let change_link = |step: &str, field: &str| {
        format!("{}?pruefen=1#{}", filling.step_href(step), html_id(field))
    };
    let change: Option<&ChangeLink<'_>> = (!printable).then_some(&change_link as &ChangeLink<'_>);
    let form = &filling.form;
    let sections = answer_sections(&chrome, form, answers, &file_name, change);
    let totals = form
        .computed(answers, day)
        .into_iter()
        .filter_map(|(id, value)| {
            let computed = form.definition.computed.iter().find(|c| c.id == id)?;
            Some((
                computed.label.as_ref()?.get(lang).to_owned(),
                value_text(&value)?,
            ))
        })
        .collect();
    let incomplete = form
        .incomplete_steps(answers, day)
        .into_iter()
        .filter_map(|id| {
            let step = form.definition.steps.iter().find(|s| s.id == id)?;
            Some((step.title.get(lang).to_owned(), filling.step_href(&id)))
        })
        .collect();
    ReviewPage {
        form_title: form.definition.title.get(lang).to_owned(),
        service_name: filling.service.name.clone(),
        for_organisation: visitor.acting_for.as_ref().map(|o| o.name.clone()),
        sections,
        totals,
        incomplete,
        printable,
        back: form
            .steps_shown(answers, day)
            .last()
            .map_or_else(|| filling.base(), |s| filling.step_href(&s.id)),
        base: filling.base(),
        expires: local_time(filling.draft.expires_at),
        can_save: visitor.citizen.is_some(),
        payment: None,
        fee_later: fee_later(&chrome, &filling.service),
        chrome,
    }
}

/// For a service that costs something and is paid after the decision or invoiced: how.
fn fee_later(chrome: &Chrome, service: &rathaus_core::catalog::Service) -> Option<String> {
    use rathaus_core::catalog::PaymentTiming;
    let costs = service.fee_cents.is_some_and(|c| c > 0) || service.fees.is_some();
    let key = match service.payment {
        PaymentTiming::Before => return None,
        PaymentTiming::AfterDecision => "payment-after-decision",
        PaymentTiming::Invoice => "payment-invoice",
    };
    costs.then(|| chrome.t.get(key).to_owned())
}

#[derive(Deserialize)]
pub struct AfterPaying {
    zahlung: Option<String>,
}

pub async fn check(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    Path(id): Path<Uuid>,
    Query(after): Query<AfterPaying>,
) -> Result<Response, PageError> {
    let filling = match Filling::load(&state, &chrome, &visitor, id).await {
        Ok(filling) => filling,
        Err(response) => return Ok(response),
    };
    let payment = match super::pay::owed_before_sending(&state, &filling) {
        Some((_, fee)) => {
            let paid = rathaus_core::payments::paid_for(state.db.conn(), filling.draft.id).await?;
            let note = after
                .zahlung
                .as_deref()
                .and_then(|why| super::pay::note(&chrome, "payment", why));
            Some(PaymentBox {
                amount: format!("{} Euro", german_amount(fee.cents - paid.min(fee.cents))),
                basis: fee.basis,
                paid: paid >= fee.cents,
                note,
            })
        }
        None => None,
    };
    let mut page = review(chrome, &visitor, &filling, false);
    page.payment = payment;
    Ok(page.into_response())
}

pub async fn summary(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    match Filling::load(&state, &chrome, &visitor, id).await {
        Ok(filling) => Ok(review(chrome, &visitor, &filling, true).into_response()),
        Err(response) => Ok(response),
    }
}

/// `/entwurf/{id}`: continue where the answers end.
pub async fn resume(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    match Filling::load(&state, &chrome, &visitor, id).await {
        Ok(filling) => Ok(Redirect::to(&filling.next_open()).into_response()),
        Err(response) => Ok(response),
    }
}

pub async fn discard(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let filling = match Filling::load(&state, &chrome, &visitor, id).await {
        Ok(f) => f,
        Err(response) => return Ok(response),
    };
    let actor = visitor.actor(chrome.tenant.id);
    drafts::discard(&state.db, &state.blobs, &filling.draft, &actor, &origin).await?;
    let next = if visitor.citizen.is_some() {
        "/konto/entwuerfe?verworfen=1".to_owned()
    } else {
        format!("/leistungen/{}", filling.service.key)
    };
    Ok(Redirect::to(&next).into_response())
}

pub struct DraftRow {
    pub service_name: String,
    pub href: String,
    pub changed: String,
    pub expires: String,
    pub discard: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "assistant/drafts.html")]
pub struct DraftsPage {
    chrome: Chrome,
    drafts: Vec<DraftRow>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct DraftsNotice {
    gespeichert: Option<String>,
    verworfen: Option<String>,
}

pub async fn drafts(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    // Taking the visitor moves drafts begun in this browser without an account into it.
    _visitor: Visitor,
    Query(notice): Query<DraftsNotice>,
) -> Result<DraftsPage, PageError> {
    let tenant = chrome.tenant.id;
    let offered = state.offered(tenant).await?;
    let mut rows = Vec::new();
    for draft in drafts::of_citizen(&state.db, tenant, session.citizen.id).await? {
        let service_name = offered
            .service(&draft.service_key)
            .map_or_else(|| draft.service_key.clone(), |s| s.name.clone());
        rows.push(DraftRow {
            service_name,
            href: format!("/entwurf/{}", draft.id),
            changed: local_time(draft.updated_at),
            expires: local_time(draft.expires_at),
            discard: format!("/entwurf/{}/verwerfen", draft.id),
        });
    }
    let notice = match (notice.gespeichert, notice.verworfen) {
        (Some(_), _) => Some(chrome.t.get("drafts-saved").to_owned()),
        (_, Some(_)) => Some(chrome.t.get("drafts-discarded").to_owned()),
        _ => None,
    };
    Ok(DraftsPage {
        chrome,
        drafts: rows,
        notice,
    })
}
