//! The town hall's own catalog for admins: which services it offers, in its own words
//! and fees (`/verwaltung/leistungen`), and the form definitions it installed itself —
//! written for it or imported from FIM XDatenfelder (`/verwaltung/formulare`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::catalog::{self, Delivery, Offer, PaymentTiming};
use rathaus_core::letters::{Kind, texts};
use rathaus_core::policy::Permission;
use rathaus_core::trust::TrustLevel;
use rathaus_forms::present::german_amount;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::session::StaffSession;
use super::{StaffNav, admin_multipart, admin_only};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::Field;
use crate::request_origin::RequestOrigin;
use crate::routes::{Access::StaffWith, Routes};
use crate::state::AppState;

const LIST: &str = "/verwaltung/leistungen";
const FORMS: &str = "/verwaltung/formulare";

pub fn routes() -> Routes {
    let admin = StaffWith(Permission::ManageTenant);
    Routes::default()
        .get(LIST, admin, list)
        .get("/verwaltung/leistungen/{key}", admin, edit)
        .post("/verwaltung/leistungen/{key}", admin, save)
        .get(FORMS, admin, forms)
        .post(FORMS, admin, upload)
}

pub struct Row {
    pub key: String,
    pub name: String,
    pub offered: bool,
    pub own_fields: usize,
    pub form: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/catalog.html")]
pub struct ListPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    query: String,
    rows: Vec<Row>,
    count: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
}

/// All services of the catalog (filtered by name or key), offered or not.
pub async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Query(query): Query<ListQuery>,
) -> Result<ListPage, PageError> {
    admin_only(&chrome, &session)?;
    let conn = state.db.conn();
    let needle = query.q.trim().to_lowercase();
    let mut rows = Vec::new();
    for service in catalog::export(conn).await?.services {
        let matches = needle.is_empty()
            || service.name.to_lowercase().contains(&needle)
            || service.key.contains(&needle);
        if !matches {
            continue;
        }
        let Some(offer) = catalog::offer(conn, chrome.tenant.id, &service.key).await? else {
            continue;
        };
        let form = offer
            .overrides
            .get("form")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(service.form.clone())
            .unwrap_or_default();
        rows.push(Row {
            key: service.key,
            name: service.name,
            offered: offer.enabled,
            own_fields: offer.overrides.len(),
            form,
        });
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ListPage {
        count: chrome.t.count("search-count", rows.len()),
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        chrome,
        query: query.q,
        rows,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/catalog_edit.html")]
pub struct EditPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    name: String,
    action: String,
    offered: bool,
    fields: Vec<Field>,
    errors: Vec<(&'static str, String)>,
    done: Option<String>,
}

/// The form's fields: (name, label key, kind). Left empty, the catalog's value counts.
const EDITABLE: &[(&str, &str, &str)] = &[
    ("name", "staff-catalog-name", "text"),
    ("summary", "staff-catalog-summary", "textarea"),
    ("description", "staff-catalog-description", "textarea"),
    ("fees", "staff-catalog-fees", "text"),
    ("fee_cents", "staff-catalog-fee-amount", "text"),
    ("processing_time", "staff-catalog-processing-time", "text"),
    ("deadline_days", "staff-catalog-deadline-days", "text"),
    ("retention_days", "staff-catalog-retention-days", "text"),
    ("form", "staff-catalog-form", "select"),
    ("min_trust", "staff-catalog-min-trust", "select"),
    ("delivery", "staff-catalog-delivery", "select"),
    ("payment", "staff-catalog-payment", "select"),
];

/// The town's standard wording per kind of letter: (kind, field of the form). Saved
/// together as the service's `letter_texts`.
const LETTER_TEXTS: &[(&str, &str)] = &[
    ("receipt", "letter_text_receipt"),
    ("document_request", "letter_text_document_request"),
    ("decision", "letter_text_decision"),
    ("fee_notice", "letter_text_fee_notice"),
    ("parking_permit", "letter_text_parking_permit"),
    ("certificate", "letter_text_certificate"),
];

/// The options of a select: "as in the catalog" (empty), then each key with its text
/// `{prefix}-{key}`.
fn choices(chrome: &Chrome, prefix: &str, keys: &[&str]) -> Vec<(String, String)> {
    let as_catalog = (
        String::new(),
        chrome.t.get("staff-catalog-as-catalog").to_owned(),
    );
    std::iter::once(as_catalog)
        .chain(keys.iter().map(|key| {
            let text = chrome.t.get(&format!("{prefix}-{key}")).to_owned();
            ((*key).to_owned(), text)
        }))
        .collect()
}

/// A catalog value as the form shows it.
fn shown(field: &str, value: &Value) -> String {
    match (field, value) {
        ("fee_cents", Value::Number(n)) => n.as_i64().map(german_amount).unwrap_or_default(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

async fn edit_page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    key: &str,
    sent: Option<&Map<String, Value>>,
    offered: Option<bool>,
) -> Result<EditPage, PageError> {
    let offer: Offer = catalog::offer(state.db.conn(), chrome.tenant.id, key)
        .await?
        .ok_or(PageError::NotFound)?;
    let catalog_values = serde_json::to_value(&offer.catalog).unwrap_or_default();
    let own = sent.unwrap_or(&offer.overrides);
    let mut form_ids: Vec<String> = state.forms.built_in().ids().map(str::to_owned).collect();
    for installed in rathaus_core::forms::installed(state.db.conn(), chrome.tenant.id).await? {
        if !form_ids.contains(&installed.form_id) {
            form_ids.push(installed.form_id);
        }
    }
    form_ids.sort();
    let mut fields = EDITABLE
        .iter()
        .map(|(name, label, kind)| {
            let in_catalog = shown(name, &catalog_values[*name]);
            let value = own.get(*name).map(|v| shown(name, v)).unwrap_or_default();
            let hint = if in_catalog.is_empty() {
                chrome.t.get("staff-catalog-empty-in-catalog").to_owned()
            } else {
                chrome
                    .t
                    .fmt("staff-catalog-in-catalog", &[("value", &in_catalog)])
            };
            let mut field = Field::new(name, chrome.t.get(label), kind)
                .value(value)
                .hint(&hint);
            match *name {
                "form" => {
                    let mut options = vec![(
                        String::new(),
                        chrome.t.get("staff-catalog-as-catalog").to_owned(),
                    )];
                    options.extend(form_ids.iter().map(|id| (id.clone(), id.clone())));
                    field = field.options(options);
                }
                "delivery" => {
                    let keys = Delivery::ALL.map(Delivery::as_str);
                    field = field.options(choices(&chrome, "staff-catalog-delivery", &keys));
                }
                "payment" => {
                    let keys = PaymentTiming::ALL.map(PaymentTiming::as_str);
                    field = field.options(choices(&chrome, "staff-catalog-payment", &keys));
                }
                "min_trust" => {
                    let mut options = vec![(
                        String::new(),
                        chrome.t.get("staff-catalog-as-catalog").to_owned(),
                    )];
                    options.extend(
                        TrustLevel::ALL
                            .iter()
                            .map(|l| (l.as_str().to_owned(), l.as_str().to_owned())),
                    );
                    field = field.options(options);
                }
                _ => {}
            }
            field
        })
        .collect::<Vec<_>>();
    let own_texts = own.get("letter_texts").and_then(Value::as_object);
    for (kind, name) in LETTER_TEXTS {
        let kind = Kind::from_key(kind).expect("the form names letter kinds");
        let label = chrome.t.fmt(
            "staff-catalog-letter-text",
            &[(
                "kind",
                chrome.t.get(&format!("letters-kind-{}", kind.key())),
            )],
        );
        let value = own_texts
            .and_then(|texts| texts.get(kind.key()))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let standard = offer
            .catalog
            .letter_texts
            .get(kind.key())
            .map_or(texts::built_in(kind), String::as_str);
        let hint = chrome
            .t
            .fmt("staff-catalog-letter-text-hint", &[("value", standard)]);
        fields.push(
            Field::new(name, &label, "textarea")
                .value(value)
                .hint(&hint),
        );
    }
    Ok(EditPage {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        name: offer.catalog.name.clone(),
        action: format!("{LIST}/{key}"),
        offered: offered.unwrap_or(offer.enabled),
        chrome,
        fields,
        errors: Vec::new(),
        done: None,
    })
}

#[derive(Deserialize)]
pub struct Saved {
    gespeichert: Option<String>,
}

pub async fn edit(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Path(key): Path<String>,
    Query(saved): Query<Saved>,
) -> Result<EditPage, PageError> {
    admin_only(&chrome, &session)?;
    let done = saved
        .gespeichert
        .map(|_| chrome.t.get("staff-catalog-saved").to_owned());
    let mut page = edit_page(&state, chrome, &session, &key, None, None).await?;
    page.done = done;
    Ok(page)
}

pub async fn save(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(key): Path<String>,
    Form(sent): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    admin_only(&chrome, &session)?;
    let value = |name: &str| {
        sent.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let offered = value("angeboten") == "1";
    // Values set elsewhere (documents, contact … through the CLI) stay; this form
    // decides only about its own fields.
    let current = catalog::offer(state.db.conn(), chrome.tenant.id, &key)
        .await?
        .ok_or(PageError::NotFound)?;
    let mut overrides = current.overrides;
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    for (name, _, _) in EDITABLE {
        let text = value(name);
        overrides.remove(*name);
        if text.is_empty() {
            continue;
        }
        let json = match *name {
            "fee_cents" => match rathaus_forms::values::amount(&text) {
                Ok(cents) => Value::from(cents),
                Err(_) => {
                    errors.push((name, chrome.t.get("staff-catalog-fee-invalid").to_owned()));
                    Value::String(text)
                }
            },
            "deadline_days" => match text.parse::<u32>() {
                Ok(days @ 1..=3650) => Value::from(days),
                _ => {
                    errors.push((
                        name,
                        chrome.t.get("staff-catalog-deadline-invalid").to_owned(),
                    ));
                    Value::String(text)
                }
            },
            // Up to 200 years: some files (naturalisation, civil status) are kept for
            // generations.
            "retention_days" => match text.parse::<u32>() {
                Ok(days @ 1..=73_000) => Value::from(days),
                _ => {
                    errors.push((
                        name,
                        chrome.t.get("staff-catalog-retention-invalid").to_owned(),
                    ));
                    Value::String(text)
                }
            },
            "form" => {
                let known = state
                    .forms
                    .get(state.db.conn(), chrome.tenant.id, &text)
                    .await?
                    .is_some();
                if !known {
                    errors.push((name, chrome.t.get("staff-catalog-form-unknown").to_owned()));
                }
                Value::String(text)
            }
            "delivery" => {
                if Delivery::parse(&text).is_none() {
                    errors.push((
                        name,
                        chrome.t.get("staff-catalog-delivery-invalid").to_owned(),
                    ));
                }
                Value::String(text)
            }
            "payment" => {
                if PaymentTiming::parse(&text).is_none() {
                    errors.push((
                        name,
                        chrome.t.get("staff-catalog-payment-invalid").to_owned(),
                    ));
                }
                Value::String(text)
            }
            _ => Value::String(text),
        };
        overrides.insert((*name).to_owned(), json);
    }
    let texts: Map<String, Value> = LETTER_TEXTS
        .iter()
        .map(|(kind, name)| ((*kind).to_owned(), value(name)))
        .filter(|(_, text)| !text.is_empty())
        .map(|(kind, text)| (kind, Value::String(text)))
        .collect();
    overrides.remove("letter_texts");
    if !texts.is_empty() {
        overrides.insert("letter_texts".into(), Value::Object(texts));
    }
    if overrides.contains_key("form") {
        overrides.insert("online".into(), Value::Bool(true));
    }
    if errors.is_empty() {
        let tenant = chrome.tenant.id;
        let stored = catalog::set_offer(
            &state.db,
            &session.actor,
            &origin,
            tenant,
            &key,
            offered,
            overrides.clone(),
        )
        .await?;
        match stored {
            Ok(()) => {
                return Ok(Redirect::to(&format!("{LIST}/{key}?gespeichert=1")).into_response());
            }
            Err(problems) => errors.extend(problems.into_iter().map(|p| ("name", p))),
        }
    }
    let mut page = edit_page(
        &state,
        chrome,
        &session,
        &key,
        Some(&overrides),
        Some(offered),
    )
    .await?;
    for (field, message) in errors {
        if let Some(f) = page.fields.iter_mut().find(|f| f.name == field) {
            f.error = Some(message.clone());
        }
        page.errors.push((field, message));
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub struct InstalledRow {
    pub id: String,
    pub version: i32,
    pub source: String,
    pub installed: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/forms.html")]
pub struct FormsPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    installed: Vec<InstalledRow>,
    built_in: Vec<String>,
    /// After an upload: what was installed, and what was not taken over.
    done: Option<String>,
    notes: Vec<String>,
    errors: Vec<(&'static str, String)>,
}

async fn forms_page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
) -> Result<FormsPage, PageError> {
    let installed = rathaus_core::forms::installed(state.db.conn(), chrome.tenant.id)
        .await?
        .into_iter()
        .map(|row| InstalledRow {
            id: row.form_id,
            version: row.version,
            source: row.source,
            installed: crate::assistant::local_time(row.installed_at),
        })
        .collect();
    let mut built_in: Vec<String> = state.forms.built_in().ids().map(str::to_owned).collect();
    built_in.sort();
    Ok(FormsPage {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        chrome,
        installed,
        built_in,
        done: None,
        notes: Vec::new(),
        errors: Vec::new(),
    })
}

pub async fn forms(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
) -> Result<FormsPage, PageError> {
    admin_only(&chrome, &session)?;
    forms_page(&state, chrome, &session).await
}

/// Installs an uploaded definition: JSON as written, or an XDatenfelder schema.
pub async fn upload(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    request: Request,
) -> Result<Response, PageError> {
    let mut multipart = admin_multipart(&state, &chrome, &session, request).await?;
    let bad = |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
    let mut file = None;
    while let Some(part) = multipart.next_field().await.map_err(bad)? {
        if part.name() == Some("datei") {
            let name = part.file_name().unwrap_or("upload").to_owned();
            file = Some((name, part.bytes().await.map_err(bad)?));
        }
    }
    let page = forms_page(&state, chrome, &session).await?;
    let refuse = |mut page: FormsPage, message: String| {
        page.errors.push(("datei", message));
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let message = page.chrome.t.get("staff-forms-no-file").to_owned();
        return refuse(page, message);
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        let message = page.chrome.t.get("staff-forms-not-text").to_owned();
        return refuse(page, message);
    };
    // Parsing a large schema is work for a blocking thread, not for the server's.
    let text = text.to_owned();
    let read = tokio::task::spawn_blocking(move || {
        if text.trim_start().starts_with('<') {
            rathaus_forms::xdatenfelder::import(&text).map(|i| (i.form, i.notes))
        } else {
            rathaus_forms::definition::load(&text).map(|f| (f, Vec::new()))
        }
    })
    .await
    .map_err(|e| PageError::Internal(e.to_string()))?;
    let (form, notes) = match read {
        Ok(done) => done,
        Err(mistakes) => {
            let lines: Vec<String> = mistakes.iter().map(ToString::to_string).collect();
            let message = page
                .chrome
                .t
                .fmt("staff-forms-refused", &[("mistakes", &lines.join("; "))]);
            return refuse(page, message);
        }
    };
    let version = rathaus_core::forms::install(
        &state.db,
        &session.actor,
        &origin,
        page.chrome.tenant.id,
        &form,
        &name,
    )
    .await?;
    let mut page = forms_page(&state, page.chrome, &session).await?;
    page.done = Some(page.chrome.t.fmt(
        "staff-forms-installed",
        &[
            ("id", &form.definition.id),
            ("version", &version.to_string()),
        ],
    ));
    page.notes = notes;
    Ok(page.into_response())
}
