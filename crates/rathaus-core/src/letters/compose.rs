//! What a letter about a case says: the town's letterhead, the applicant's address from
//! the application, the reference, the person handling the case, the standard text of
//! the service for this kind of letter followed by the caseworker's own text, and per
//! kind the permit block and the legal remedy text.

use chrono::{Months, NaiveDate};
use rathaus_forms::fill::{Answer, Answers};
use rathaus_forms::present::german_amount;
use rathaus_letters::{Attachment, Certificate, Contact, Kind, Letter, Permit, Sender};
use rathaus_store::entities::staff_user;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::texts;
use crate::actor::Actor;
use crate::cases::Case;
use crate::error::Result;
use crate::submissions;
use crate::tenants::Tenant;

/// What the caseworker adds to a letter.
#[derive(Clone, Debug, Default)]
pub struct Input {
    /// The letter's text; paragraphs are separated by blank lines.
    pub text: String,
    /// The parking zone of a Bewohnerparkausweis.
    pub zone: Option<String>,
    /// The amount a Gebührenbescheid sets, in cents.
    pub fee_cents: Option<i64>,
}

/// What is missing for a letter of this kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// A permit names its zone.
    Zone,
    /// A permit names the vehicle (the application's `kennzeichen`).
    Plate,
    /// A fee notice names an amount of at least one cent.
    Amount,
    /// An Urkunde certifies at least one entry ("Familienname: Mustermann").
    Entries,
}

/// The letter of `kind` about `case`, dated `today`; not yet with its code.
pub async fn letter(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    case: &Case,
    actor: &Actor,
    kind: Kind,
    input: &Input,
    today: NaiveDate,
) -> Result<std::result::Result<Letter, Missing>> {
    let answers = match case.submission_id {
        Some(id) => submissions::read(conn, tenant.id, id)
            .await?
            .map(|s| s.answers),
        None => None,
    };
    let department = crate::departments::of_case(conn, case).await?;
    let caseworker = match actor.id {
        Some(id) => staff_user::Entity::find_by_id(id).one(conn).await?,
        None => None,
    };
    let permit = match kind {
        Kind::ParkingPermit => match permit(case, answers.as_ref(), input, today) {
            Ok(permit) => Some(permit),
            Err(missing) => return Ok(Err(missing)),
        },
        _ => None,
    };
    // The registrar's text of an Urkunde is what it certifies, not a paragraph.
    let certificate = match kind {
        Kind::Certificate => match Certificate::from_text(&input.text) {
            Some(certificate) => Some(certificate),
            None => return Ok(Err(Missing::Entries)),
        },
        _ => None,
    };
    let own_text = if certificate.is_some() {
        ""
    } else {
        input.text.as_str()
    };
    let (sender, return_line) = letterhead(tenant, department.map(|d| d.name));
    let mut recipient = vec![case.applicant_name.clone()];
    if let Some(at) = answers.as_ref().and_then(first_address) {
        recipient.push(
            format!("{} {}", at.street, at.house_number)
                .trim()
                .to_owned(),
        );
        recipient.push(format!("{} {}", at.postcode, at.city).trim().to_owned());
    }
    let service = crate::catalog::service_of(conn, tenant.id, &case.service_key).await?;
    let facts = texts::Facts {
        name: &case.applicant_name,
        service: &case.title,
        reference: &case.reference,
        received: crate::time::local_day(case.created_at),
        date: today,
    };
    let standard = texts::standard(kind, service.as_ref(), &facts);
    let set = match kind {
        Kind::FeeNotice => match input.fee_cents.filter(|cents| *cents > 0) {
            Some(cents) => fee_set(tenant, case, service.as_ref(), cents, today),
            None => return Ok(Err(Missing::Amount)),
        },
        Kind::Receipt => paid_before(conn, case).await?,
        _ => String::new(),
    };
    let paragraphs = [standard.as_str(), set.as_str(), own_text]
        .into_iter()
        .flat_map(|text| text.split("\n\n"))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let data = serde_json::json!({
        "reference": case.reference,
        "service": case.service_key,
        "title": case.title,
        "applicant": case.applicant_name,
        "kind": kind.key(),
        "date": today,
        "answers": answers,
    });
    Ok(Ok(Letter {
        kind,
        title: format!("{} {}", kind.title(), case.reference),
        sender,
        return_line,
        recipient,
        reference: case.reference.clone(),
        date: today.format("%d.%m.%Y").to_string(),
        contact: Contact {
            name: actor.name.clone(),
            phone: tenant.contact_phone.clone(),
            email: caseworker
                .map(|c| c.email)
                .unwrap_or_else(|| tenant.contact_email.clone()),
        },
        subject: format!("{}: {}", kind.title(), case.title),
        salutation: format!("Guten Tag {},", case.applicant_name),
        paragraphs,
        permit,
        certificate,
        remedy: kind.is_decision().then(|| remedy(tenant)),
        closing: "Mit freundlichen Grüßen".into(),
        signer: format!(
            "{}\nDieses Schreiben wurde elektronisch erstellt und ist ohne Unterschrift gültig.",
            actor.name
        ),
        verification: None,
        draft: false,
        attachments: vec![Attachment {
            name: "vorgang.json".into(),
            media_type: "application/json".into(),
            description: "Daten des Vorgangs, zu dem dieses Schreiben gehört".into(),
            bytes: serde_json::to_vec_pretty(&data).expect("case data serialises"),
        }],
    }))
}

/// The town's letterhead with the writing department, and the return line above the
/// address field.
fn letterhead(tenant: &Tenant, department: Option<String>) -> (Sender, String) {
    let address = crate::tenants::settings::address_lines(&tenant.contact_address);
    let return_line = std::iter::once(tenant.name.clone())
        .chain(address.iter().cloned())
        .collect::<Vec<_>>()
        .join(" · ");
    let sender = Sender {
        town: tenant.name.clone(),
        department: department.unwrap_or_default(),
        address,
        colour: tenant.primary_color.clone(),
        logo_svg: tenant.logo_svg.clone(),
        bank: tenant.bank_details.clone(),
    };
    (sender, return_line)
}

/// A sample decision in the town's letterhead, to an invented person, for admins to
/// see what their settings make of a letter.
pub fn sample(tenant: &Tenant, signer: &str, today: NaiveDate) -> Letter {
    let (sender, return_line) = letterhead(tenant, Some("Bürgerservice".into()));
    let facts = texts::Facts {
        name: "Erika Mustermann",
        service: "Probebrief",
        reference: "MUSTER-0000",
        received: today,
        date: today,
    };
    Letter {
        kind: Kind::Decision,
        title: "Probebrief".into(),
        sender,
        return_line,
        recipient: vec![
            "Erika Mustermann".into(),
            "Heidestraße 17".into(),
            "51147 Köln".into(),
        ],
        reference: facts.reference.into(),
        date: today.format("%d.%m.%Y").to_string(),
        contact: Contact {
            name: signer.to_owned(),
            phone: tenant.contact_phone.clone(),
            email: tenant.contact_email.clone(),
        },
        subject: "Probebrief: so sehen Ihre Schreiben aus".into(),
        salutation: "Guten Tag Erika Mustermann,".into(),
        paragraphs: vec![
            texts::standard(Kind::Decision, None, &facts),
            "Dieser Brief zeigt Briefkopf, Wappen, Farbe, Anschrift, Kontakt und \
             Bankverbindung so, wie sie in den Einstellungen der Stadt stehen."
                .into(),
        ],
        permit: None,
        certificate: None,
        remedy: Some(remedy(tenant)),
        closing: "Mit freundlichen Grüßen".into(),
        signer: signer.to_owned(),
        verification: None,
        draft: true,
        attachments: Vec::new(),
    }
}

/// What a Gebührenbescheid sets: the amount, its legal basis, the day it is due and
/// how to pay.
fn fee_set(
    tenant: &Tenant,
    case: &Case,
    service: Option<&crate::catalog::Service>,
    cents: i64,
    today: NaiveDate,
) -> String {
    let basis = service
        .and_then(|s| s.legal_basis.as_deref())
        .map(|basis| format!(" (Rechtsgrundlage: {basis})"))
        .unwrap_or_default();
    // Whoever applied with an account pays online on the application's page.
    let online = if case.citizen_id.is_some() || case.organisation_id.is_some() {
        "Sie können die Gebühr im Serviceportal unter „Meine Anträge“ online bezahlen. "
    } else {
        ""
    };
    let account = tenant
        .bank_details
        .as_deref()
        .map(|bank| format!(" auf das Konto {bank}"))
        .unwrap_or_default();
    format!(
        "Die Gebühr beträgt {} Euro{basis}. Bitte zahlen Sie sie bis zum {}.\n\n{online}\
         Wenn Sie{account} überweisen, geben Sie bitte das Aktenzeichen {} als \
         Verwendungszweck an.",
        german_amount(cents),
        crate::payments::notices::due_on(today).format("%d.%m.%Y"),
        case.reference
    )
}

/// For a receipt: the fee paid online before sending, with its booking reference (the
/// receipt is then also the payment receipt).
async fn paid_before(conn: &impl ConnectionTrait, case: &Case) -> Result<String> {
    let Some(submission) = case.submission_id else {
        return Ok(String::new());
    };
    let paid = crate::payments::released_with(conn, submission).await?;
    Ok(paid
        .iter()
        .map(|p| {
            let day = p
                .paid_at
                .map(|at| crate::time::local_day(at).format("%d.%m.%Y").to_string())
                .unwrap_or_default();
            let reference = p
                .reference
                .as_deref()
                .map(|r| format!(", Buchungsreferenz {r}"))
                .unwrap_or_default();
            format!(
                "Die Gebühr von {} Euro haben Sie am {day} online bezahlt{reference}. Dieses \
                 Schreiben bestätigt auch die Zahlung.",
                german_amount(p.amount_cents)
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n"))
}

fn first_address(answers: &Answers) -> Option<&rathaus_forms::fill::Address> {
    let mut keys: Vec<&String> = answers.0.keys().collect();
    keys.sort();
    keys.into_iter().find_map(|key| match &answers.0[key] {
        Answer::Address(address) if !address.street.is_empty() => Some(address),
        _ => None,
    })
}

fn permit(
    case: &Case,
    answers: Option<&Answers>,
    input: &Input,
    today: NaiveDate,
) -> std::result::Result<Permit, Missing> {
    let zone = input
        .zone
        .as_deref()
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .ok_or(Missing::Zone)?;
    let text = |key: &str| match answers.and_then(|a| a.0.get(key)) {
        Some(Answer::Text(text)) => Some(text.clone()),
        Some(Answer::Several(chosen)) => chosen.first().cloned(),
        _ => None,
    };
    let plate = text("kennzeichen").ok_or(Missing::Plate)?;
    let years: u32 = text("jahre").and_then(|y| y.parse().ok()).unwrap_or(1);
    let until = today
        .checked_add_months(Months::new(12 * years))
        .and_then(|day| day.pred_opt())
        .unwrap_or(today);
    Ok(Permit {
        zone: zone.to_owned(),
        plate,
        holder: case.applicant_name.clone(),
        valid_from: today.format("%d.%m.%Y").to_string(),
        valid_until: until.format("%d.%m.%Y").to_string(),
    })
}

/// The Rechtsbehelfsbelehrung for a decision of the town (objection within a month).
fn remedy(tenant: &Tenant) -> String {
    format!(
        "Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Widerspruch \
         erhoben werden. Der Widerspruch ist schriftlich, in elektronischer Form nach § 3a \
         Absatz 2 des Verwaltungsverfahrensgesetzes oder zur Niederschrift bei {}, {}, \
         einzulegen.",
        tenant.name,
        crate::tenants::settings::address_lines(&tenant.contact_address).join(", ")
    )
}
