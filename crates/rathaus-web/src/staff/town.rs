//! The town's own settings for its admins (`/verwaltung/stadt`): contact details,
//! colour, coat of arms, the account for transfers and the portal's legal pages, with
//! a sample letter that shows what the letterhead makes of them. What is allowed is
//! decided in `rathaus_core::tenants::settings`; this page words the refusals.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::letters;
use rathaus_core::policy::Permission;
use rathaus_core::tenants::settings::{self, CoatOfArms, Field as Setting, Problem, Settings};
use serde::Deserialize;

use super::session::StaffSession;
use super::{StaffNav, admin_multipart, admin_only};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::Field;
use crate::request_origin::RequestOrigin;
use crate::routes::{Access::StaffWith, Routes};
use crate::state::AppState;

const PAGE: &str = "/verwaltung/stadt";
const SAMPLE: &str = "/verwaltung/stadt/probebrief.pdf";

pub fn routes() -> Routes {
    let admin = StaffWith(Permission::ManageTenant);
    Routes::default()
        .get(PAGE, admin, show)
        .post(PAGE, admin, save)
        .get(SAMPLE, admin, sample)
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/town.html")]
pub struct TownPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    /// Contact details, colour and account: what letterheads and the footer show.
    fields: Vec<Field>,
    coat_of_arms: Vec<Field>,
    legal: Vec<Field>,
    has_coat_of_arms: bool,
    errors: Vec<(&'static str, String)>,
    done: Option<String>,
}

fn page(chrome: Chrome, session: &StaffSession, settings: &Settings) -> TownPage {
    let t = |key: &str| chrome.t.get(key).to_owned();
    let field = |setting: Setting, kind: &'static str, value: &str| {
        Field::new(
            setting.name(),
            &t(&format!("town-{}", setting.name())),
            kind,
        )
        .value(value)
    };
    let fields = vec![
        field(Setting::Address, "textarea", &settings.contact_address)
            .hint(&t("town-anschrift-hint")),
        field(Setting::Phone, "tel", &settings.contact_phone),
        field(Setting::Email, "email", &settings.contact_email),
        field(Setting::Hours, "textarea", &settings.contact_hours),
        field(Setting::Colour, "text", &settings.primary_color).hint(&t("town-farbe-hint")),
        field(Setting::Bank, "text", &settings.bank_details).hint(&t("town-bankverbindung-hint")),
    ];
    let mut coat_of_arms =
        vec![field(Setting::CoatOfArms, "file", "").hint(&t("town-wappen-hint"))];
    if chrome.tenant.logo_svg.is_some() {
        coat_of_arms.push(Field::new(
            "wappen_entfernen",
            &t("town-wappen-entfernen"),
            "checkbox",
        ));
    }
    let legal = vec![
        field(Setting::Imprint, "textarea", &settings.imprint),
        field(Setting::Privacy, "textarea", &settings.privacy),
        field(Setting::Accessibility, "textarea", &settings.accessibility),
    ];
    TownPage {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        has_coat_of_arms: chrome.tenant.logo_svg.is_some(),
        chrome,
        fields,
        coat_of_arms,
        legal,
        errors: Vec::new(),
        done: None,
    }
}

#[derive(Deserialize)]
pub struct Done {
    gespeichert: Option<String>,
}

async fn show(
    chrome: Chrome,
    session: StaffSession,
    Query(done): Query<Done>,
) -> Result<TownPage, PageError> {
    admin_only(&chrome, &session)?;
    let settings = Settings::of(&chrome.tenant);
    let saved = done
        .gespeichert
        .is_some()
        .then(|| chrome.t.get("town-saved").to_owned());
    let mut page = page(chrome, &session, &settings);
    page.done = saved;
    Ok(page)
}

/// What the form sent: the settings, and the coat of arms as uploaded.
struct Sent {
    settings: Settings,
    coat_of_arms: CoatOfArms,
}

async fn read_form(mut multipart: Multipart) -> Result<Sent, PageError> {
    let bad = |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
    let mut settings = Settings::default();
    let mut upload = None;
    let mut remove = false;
    while let Some(part) = multipart.next_field().await.map_err(bad)? {
        let name = part.name().unwrap_or_default().to_owned();
        if name == Setting::CoatOfArms.name() {
            upload = Some(part.bytes().await.map_err(bad)?);
            continue;
        }
        let value = part.text().await.map_err(bad)?;
        if name == "wappen_entfernen" {
            remove = !value.is_empty();
        } else if let Some(slot) =
            Setting::text_named(&name).and_then(|field| settings.text_mut(field))
        {
            // Browsers send form text with CRLF line ends; stored text has LF.
            *slot = value.replace("\r\n", "\n");
        }
    }
    let coat_of_arms = match upload.filter(|bytes| !bytes.is_empty()) {
        Some(bytes) => CoatOfArms::Replace(bytes.to_vec()),
        None if remove => CoatOfArms::Remove,
        None => CoatOfArms::Keep,
    };
    Ok(Sent {
        settings,
        coat_of_arms,
    })
}

async fn save(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    request: Request,
) -> Result<Response, PageError> {
    let multipart = admin_multipart(&state, &chrome, &session, request).await?;
    let sent = read_form(multipart).await?;
    let saved = settings::update(
        &state.db,
        &session.actor,
        &origin,
        chrome.tenant.id,
        &sent.settings,
        &sent.coat_of_arms,
    )
    .await?;
    let problems = saved.err().unwrap_or_default();
    if problems.is_empty() {
        state.tenants.reload().await?;
        return Ok(Redirect::to(&format!("{PAGE}?gespeichert=1")).into_response());
    }
    let mut page = page(chrome, &session, &sent.settings);
    for problem in problems {
        let message = message(&page.chrome, problem);
        let name = problem.field().name();
        let all = page
            .fields
            .iter_mut()
            .chain(page.coat_of_arms.iter_mut())
            .chain(page.legal.iter_mut());
        if let Some(field) = all.into_iter().find(|f| f.name == name) {
            field.error = Some(message.clone());
        }
        page.errors.push((name, message));
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The refusal in the page's language.
fn message(chrome: &Chrome, problem: Problem) -> String {
    let label = |field: Setting| chrome.t.get(&format!("town-{}", field.name())).to_owned();
    match problem {
        Problem::Missing(field) => chrome.t.fmt("town-missing", &[("field", &label(field))]),
        Problem::TooLong(field, most) => chrome.t.fmt(
            "town-too-long",
            &[("field", &label(field)), ("most", &most.to_string())],
        ),
        Problem::AddressLines => chrome.t.get("town-anschrift-lines").to_owned(),
        Problem::NotAnEmail => chrome.t.get("town-email-invalid").to_owned(),
        Problem::NotAColour => chrome.t.get("town-farbe-invalid").to_owned(),
        Problem::TooPale => chrome.t.get("town-farbe-pale").to_owned(),
        Problem::BankOneLine => chrome.t.get("town-bankverbindung-lines").to_owned(),
        Problem::CoatOfArmsUnreadable => chrome.t.get("town-wappen-unreadable").to_owned(),
        Problem::CoatOfArmsTooLarge => chrome.t.fmt(
            "town-wappen-too-large",
            &[("kb", &(settings::COAT_OF_ARMS_MAX_BYTES / 1024).to_string())],
        ),
    }
}

/// The sample letter with the settings as saved.
async fn sample(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
) -> Result<Response, PageError> {
    let pdf = letters::sample(&state.letters, &chrome.tenant, &session.actor).await?;
    Ok(super::inline_file(
        "probebrief.pdf",
        "application/pdf".into(),
        pdf.into(),
    ))
}
