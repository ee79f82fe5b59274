//! What a town's admins set about their town themselves (`/verwaltung/stadt`): the
//! contact details that stand in the portal's footer and in every letterhead, the
//! colour, the coat of arms, the account for payments by transfer and the texts of the
//! portal's legal pages.
//!
//! Everything is checked before anything is written, because each value reaches every
//! page and every letter at once: a coat of arms that does not read would stop every
//! letter of the town, a pale colour would hide the keyboard focus on every page.

use rathaus_store::Db;
use rathaus_store::entities::tenant;
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use super::Tenant;
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};

/// The largest coat of arms accepted, in bytes: a drawn shield needs a few kilobytes;
/// every page of the portal and every letter carries it.
pub const COAT_OF_ARMS_MAX_BYTES: usize = 200 * 1024;

/// What the settings page edits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// Street and place, a line each (letters take one address line per line).
    pub contact_address: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub contact_hours: String,
    /// #rrggbb
    pub primary_color: String,
    /// One line; empty: letters name no account.
    pub bank_details: String,
    pub imprint: String,
    pub privacy: String,
    pub accessibility: String,
}

/// What happens to the coat of arms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CoatOfArms {
    Keep,
    /// The file as uploaded; what is not UTF-8 cannot be SVG and is refused.
    Replace(Vec<u8>),
    Remove,
}

/// A field of the settings, named as the form names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Address,
    Phone,
    Email,
    Hours,
    Colour,
    Bank,
    Imprint,
    Privacy,
    Accessibility,
    CoatOfArms,
}

impl Field {
    /// The fields that are text, in the order of the form (all but the coat of arms).
    pub const TEXTS: [Field; 9] = [
        Field::Address,
        Field::Phone,
        Field::Email,
        Field::Hours,
        Field::Colour,
        Field::Bank,
        Field::Imprint,
        Field::Privacy,
        Field::Accessibility,
    ];

    /// The text field the form calls `name`.
    pub fn text_named(name: &str) -> Option<Field> {
        Field::TEXTS.into_iter().find(|field| field.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Field::Address => "anschrift",
            Field::Phone => "telefon",
            Field::Email => "email",
            Field::Hours => "sprechzeiten",
            Field::Colour => "farbe",
            Field::Bank => "bankverbindung",
            Field::Imprint => "impressum",
            Field::Privacy => "datenschutz",
            Field::Accessibility => "barrierefreiheit",
            Field::CoatOfArms => "wappen",
        }
    }
}

/// Why settings are refused; each names its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    Missing(Field),
    TooLong(Field, usize),
    /// The address has more lines than a letterhead holds.
    AddressLines,
    NotAnEmail,
    NotAColour,
    /// Against white, the colour reaches less than 3:1 (WCAG 2.1, 1.4.11: the focus
    /// outline and borders are drawn in it).
    TooPale,
    /// The account for transfers is one line.
    BankOneLine,
    CoatOfArmsUnreadable,
    CoatOfArmsTooLarge,
}

impl Problem {
    pub fn field(self) -> Field {
        match self {
            Problem::Missing(field) | Problem::TooLong(field, _) => field,
            Problem::AddressLines => Field::Address,
            Problem::NotAnEmail => Field::Email,
            Problem::NotAColour | Problem::TooPale => Field::Colour,
            Problem::BankOneLine => Field::Bank,
            Problem::CoatOfArmsUnreadable | Problem::CoatOfArmsTooLarge => Field::CoatOfArms,
        }
    }
}

/// The most address lines: the letterhead's sender block holds four.
const ADDRESS_LINES: usize = 4;

impl Settings {
    pub fn of(tenant: &Tenant) -> Self {
        Self {
            contact_address: tenant.contact_address.clone(),
            contact_phone: tenant.contact_phone.clone(),
            contact_email: tenant.contact_email.clone(),
            contact_hours: tenant.contact_hours.clone(),
            primary_color: tenant.primary_color.clone(),
            bank_details: tenant.bank_details.clone().unwrap_or_default(),
            imprint: tenant.imprint.clone(),
            privacy: tenant.privacy.clone(),
            accessibility: tenant.accessibility.clone(),
        }
    }

    /// The text of a field; the coat of arms is no text and has none.
    pub fn text(&self, field: Field) -> Option<&str> {
        Some(match field {
            Field::Address => &self.contact_address,
            Field::Phone => &self.contact_phone,
            Field::Email => &self.contact_email,
            Field::Hours => &self.contact_hours,
            Field::Colour => &self.primary_color,
            Field::Bank => &self.bank_details,
            Field::Imprint => &self.imprint,
            Field::Privacy => &self.privacy,
            Field::Accessibility => &self.accessibility,
            Field::CoatOfArms => return None,
        })
    }

    /// The text of a field to change it.
    pub fn text_mut(&mut self, field: Field) -> Option<&mut String> {
        Some(match field {
            Field::Address => &mut self.contact_address,
            Field::Phone => &mut self.contact_phone,
            Field::Email => &mut self.contact_email,
            Field::Hours => &mut self.contact_hours,
            Field::Colour => &mut self.primary_color,
            Field::Bank => &mut self.bank_details,
            Field::Imprint => &mut self.imprint,
            Field::Privacy => &mut self.privacy,
            Field::Accessibility => &mut self.accessibility,
            Field::CoatOfArms => return None,
        })
    }

    /// What is wrong with these settings, field by field (empty: nothing).
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let texts = [
            (Field::Address, &self.contact_address, 300, true),
            (Field::Phone, &self.contact_phone, 60, true),
            (Field::Email, &self.contact_email, 254, true),
            (Field::Hours, &self.contact_hours, 500, false),
            (Field::Bank, &self.bank_details, 200, false),
            (Field::Imprint, &self.imprint, 20_000, true),
            (Field::Privacy, &self.privacy, 50_000, true),
            (Field::Accessibility, &self.accessibility, 50_000, true),
        ];
        for (field, text, most, needed) in texts {
            if needed && text.trim().is_empty() {
                problems.push(Problem::Missing(field));
            } else if text.chars().count() > most {
                problems.push(Problem::TooLong(field, most));
            }
        }
        if address_lines(&self.contact_address).len() > ADDRESS_LINES {
            problems.push(Problem::AddressLines);
        }
        let email = self.contact_email.trim();
        if !email.is_empty() && !looks_like_email(email) {
            problems.push(Problem::NotAnEmail);
        }
        problems.extend(colour_problem(self.primary_color.trim()));
        if self.bank_details.trim().contains(['\n', '\r']) {
            problems.push(Problem::BankOneLine);
        }
        problems
    }
}

/// The lines of an address as letters print them.
pub fn address_lines(address: &str) -> Vec<String> {
    address
        .split(['\n', ','])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// What is wrong with a town colour, if anything.
pub fn colour_problem(colour: &str) -> Option<Problem> {
    let Some(rgb) = parse_hex(colour) else {
        return Some(Problem::NotAColour);
    };
    (contrast_with_white(rgb) < 3.0).then_some(Problem::TooPale)
}

fn parse_hex(colour: &str) -> Option<[u8; 3]> {
    let hex = colour.strip_prefix('#').filter(|h| h.len() == 6)?;
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// The contrast ratio of a colour with white, as WCAG 2.1 defines relative luminance.
fn contrast_with_white(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2]);
    1.05 / (luminance + 0.05)
}

/// What is wrong with a coat of arms, if anything: it is read as letters read it.
pub fn coat_of_arms_problem(svg: &str) -> Option<Problem> {
    if svg.len() > COAT_OF_ARMS_MAX_BYTES {
        return Some(Problem::CoatOfArmsTooLarge);
    }
    rathaus_letters::check_svg(svg)
        .is_err()
        .then_some(Problem::CoatOfArmsUnreadable)
}

/// Saves the settings of a town, audited with the names of the fields that changed;
/// nothing is written when any value is refused.
pub async fn update(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    settings: &Settings,
    coat_of_arms: &CoatOfArms,
) -> Result<std::result::Result<(), Vec<Problem>>> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    let mut problems = settings.problems();
    let new_coat_of_arms = match coat_of_arms {
        CoatOfArms::Replace(bytes) => match std::str::from_utf8(bytes) {
            Ok(svg) => {
                problems.extend(coat_of_arms_problem(svg));
                Some(svg)
            }
            Err(_) => {
                problems.push(Problem::CoatOfArmsUnreadable);
                None
            }
        },
        CoatOfArms::Keep | CoatOfArms::Remove => None,
    };
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let txn = db.begin_write().await?;
    let before = tenant::Entity::find_by_id(tenant_id)
        .one(&txn)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("tenant {tenant_id}")))?;
    let old = Settings::of(&before);
    let trimmed = |text: &str| text.trim().to_owned();
    let bank = trimmed(&settings.bank_details);
    let mut row: tenant::ActiveModel = before.clone().into();
    row.contact_address = Set(trimmed(&settings.contact_address));
    row.contact_phone = Set(trimmed(&settings.contact_phone));
    row.contact_email = Set(trimmed(&settings.contact_email));
    row.contact_hours = Set(trimmed(&settings.contact_hours));
    row.primary_color = Set(settings.primary_color.trim().to_ascii_lowercase());
    row.bank_details = Set((!bank.is_empty()).then_some(bank));
    row.imprint = Set(trimmed(&settings.imprint));
    row.privacy = Set(trimmed(&settings.privacy));
    row.accessibility = Set(trimmed(&settings.accessibility));
    match (coat_of_arms, new_coat_of_arms) {
        (CoatOfArms::Remove, _) => row.logo_svg = Set(None),
        (_, Some(svg)) => row.logo_svg = Set(Some(svg.to_owned())),
        _ => {}
    }
    let after = tenant::Entity::update(row).exec(&txn).await?;
    let changed = changed_fields(
        &old,
        &Settings::of(&after),
        before.logo_svg != after.logo_svg,
    );
    let event = Event::new("tenant.settings", "tenant")
        .object(tenant_id)
        .details(serde_json::json!({ "changed": changed }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(()))
}

fn changed_fields(old: &Settings, new: &Settings, coat_of_arms: bool) -> Vec<&'static str> {
    let mut changed: Vec<&'static str> = Field::TEXTS
        .into_iter()
        .filter(|field| old.text(*field) != new.text(*field))
        .map(Field::name)
        .collect();
    if coat_of_arms {
        changed.push(Field::CoatOfArms.name());
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        // Black on white is 21:1, white on white 1:1.
        assert!((contrast_with_white([0, 0, 0]) - 21.0).abs() < 0.01);
        assert!((contrast_with_white([255, 255, 255]) - 1.0).abs() < 0.01);
        // #767676 is the well-known lightest grey with 4.5:1; #949494 is about 3:1.
        assert!((contrast_with_white([0x76, 0x76, 0x76]) - 4.54).abs() < 0.01);
        assert_eq!(colour_problem("#004b87"), None);
        assert_eq!(colour_problem("#ffd700"), Some(Problem::TooPale));
        assert_eq!(colour_problem("#959595"), Some(Problem::TooPale));
        assert_eq!(colour_problem("#8a8a8a"), None);
        assert_eq!(colour_problem("blue"), Some(Problem::NotAColour));
        assert_eq!(colour_problem("004b87"), Some(Problem::NotAColour));
        assert_eq!(colour_problem("#12345g"), Some(Problem::NotAColour));
        assert_eq!(colour_problem("#ääää"), Some(Problem::NotAColour));
    }

    #[test]
    fn a_colour_is_read_without_surrounding_spaces_and_in_either_case() {
        let settings = Settings {
            contact_address: "Markt 1\n12345 Ort".into(),
            contact_phone: "+49 1".into(),
            contact_email: "rathaus@ort.example".into(),
            primary_color: " #004B87 ".into(),
            imprint: "Impressum".into(),
            privacy: "Datenschutz".into(),
            accessibility: "Barrierefreiheit".into(),
            ..Settings::default()
        };
        assert_eq!(settings.problems(), Vec::<Problem>::new());
    }

    #[test]
    fn every_refusal_names_its_field() {
        let settings = Settings {
            contact_address: "Markt 1\nPostfach 2\nZimmer 3\nEtage 4\n12345 Ort".into(),
            contact_phone: " ".into(),
            contact_email: "rathaus at ort.example".into(),
            contact_hours: String::new(),
            primary_color: "#ffffff".into(),
            bank_details: "IBAN DE00\nBIC X".into(),
            imprint: "x".repeat(20_001),
            privacy: "Datenschutz".into(),
            accessibility: "Barrierefreiheit".into(),
        };
        let problems = settings.problems();
        assert_eq!(
            problems,
            vec![
                Problem::Missing(Field::Phone),
                Problem::TooLong(Field::Imprint, 20_000),
                Problem::AddressLines,
                Problem::NotAnEmail,
                Problem::TooPale,
                Problem::BankOneLine,
            ]
        );
        let fields: Vec<&str> = problems.iter().map(|p| p.field().name()).collect();
        assert_eq!(
            fields,
            [
                "telefon",
                "impressum",
                "anschrift",
                "email",
                "farbe",
                "bankverbindung"
            ]
        );
    }

    #[test]
    fn a_coat_of_arms_must_read_and_stay_small() {
        let shield = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 12"><path d="M0 0h10v6c0 3-2 5-5 6C2 11 0 9 0 6z"/></svg>"#;
        assert_eq!(coat_of_arms_problem(shield), None);
        assert_eq!(
            coat_of_arms_problem("<svg this is not"),
            Some(Problem::CoatOfArmsUnreadable)
        );
        assert_eq!(
            coat_of_arms_problem("<html><body>no</body></html>"),
            Some(Problem::CoatOfArmsUnreadable)
        );
        let padded = shield.replace(
            "<path",
            &format!("<!--{}--><path", " ".repeat(COAT_OF_ARMS_MAX_BYTES)),
        );
        assert_eq!(
            coat_of_arms_problem(&padded),
            Some(Problem::CoatOfArmsTooLarge)
        );
    }
}
