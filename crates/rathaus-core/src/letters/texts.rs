//! The standard wording of letters: the part that is the same for every applicant of a
//! service, written before the caseworker's own text. A town words it per service in
//! the catalog (`letter_texts`); otherwise the built-in wording here counts.

use chrono::NaiveDate;
use rathaus_letters::Kind;

use crate::catalog::Service;

/// What the placeholders of a standard text stand for.
pub struct Facts<'a> {
    /// `{name}`: the applicant.
    pub name: &'a str,
    /// `{service}`: the service's name as the case has it.
    pub service: &'a str,
    /// `{reference}`: the case's Aktenzeichen.
    pub reference: &'a str,
    /// `{received}`: the day the application arrived.
    pub received: NaiveDate,
    /// `{date}`: the letter's date.
    pub date: NaiveDate,
}

/// The built-in wording of `kind` (German, like every letter).
pub fn built_in(kind: Kind) -> &'static str {
    match kind {
        Kind::Receipt => {
            "Ihr Antrag „{service}“ ist am {received} bei uns eingegangen. Wir bearbeiten ihn \
             unter dem Aktenzeichen {reference}; bitte nennen Sie es, wenn Sie uns schreiben \
             oder anrufen.\n\nWie weit die Bearbeitung ist, sehen Sie jederzeit im \
             Serviceportal unter „Meine Anträge“. Fehlt noch etwas, melden wir uns bei Ihnen."
        }
        Kind::DocumentRequest => {
            "um Ihren Antrag „{service}“ vom {received} entscheiden zu können, benötigen wir \
             noch Unterlagen von Ihnen."
        }
        Kind::Decision => "über Ihren Antrag „{service}“ vom {received} haben wir entschieden.",
        Kind::FeeNotice => {
            "für die Bearbeitung Ihres Antrags „{service}“ vom {received} setzen wir die \
             folgende Gebühr fest."
        }
        Kind::ParkingPermit => {
            "Ihrem Antrag „{service}“ vom {received} geben wir statt. Ihren \
             Bewohnerparkausweis finden Sie unten; bitte legen Sie ihn gut lesbar hinter die \
             Windschutzscheibe."
        }
        Kind::Certificate => {
            "mit diesem Schreiben erhalten Sie die Urkunde, die Sie am {received} beantragt \
             haben (Antrag „{service}“)."
        }
    }
}

/// The standard text of `kind` for `service` (the town's wording, else the built-in
/// one) with its placeholders filled in.
pub fn standard(kind: Kind, service: Option<&Service>, facts: &Facts<'_>) -> String {
    let wording = service
        .and_then(|s| s.letter_texts.get(kind.key()))
        .map(String::as_str)
        .filter(|text| !text.trim().is_empty())
        .unwrap_or_else(|| built_in(kind));
    fill(wording, facts)
}

fn fill(wording: &str, facts: &Facts<'_>) -> String {
    let day = |d: NaiveDate| d.format("%d.%m.%Y").to_string();
    wording
        .replace("{name}", facts.name)
        .replace("{service}", facts.service)
        .replace("{reference}", facts.reference)
        .replace("{received}", &day(facts.received))
        .replace("{date}", &day(facts.date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts<'static> {
        Facts {
            name: "Erika Mustermann",
            service: "Bewohnerparkausweis",
            reference: "MS-2026-000042",
            received: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            date: NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
        }
    }

    #[test]
    fn the_towns_wording_replaces_the_built_in_one_and_is_filled_in() {
        let mut service: Service = serde_json::from_value(serde_json::json!({
            "key": "bewohnerparkausweis", "name": "Bewohnerparkausweis", "summary": "s",
            "description": "d", "life_situations": ["mobilitaet"],
            "letter_texts": { "receipt": "Danke, {name}: {reference} seit {received}, heute {date}." }
        }))
        .unwrap();
        assert_eq!(
            standard(Kind::Receipt, Some(&service), &facts()),
            "Danke, Erika Mustermann: MS-2026-000042 seit 01.12.2026, heute 06.12.2026."
        );
        let decision = standard(Kind::Decision, Some(&service), &facts());
        assert!(
            decision.contains("„Bewohnerparkausweis“ vom 01.12.2026"),
            "{decision}"
        );
        // An empty wording is no wording: the built-in text counts.
        service.letter_texts.insert("receipt".into(), "  ".into());
        assert!(standard(Kind::Receipt, Some(&service), &facts()).contains("MS-2026-000042"));
    }

    #[test]
    fn every_built_in_wording_has_its_placeholders_filled() {
        for kind in Kind::ALL {
            let text = standard(kind, None, &facts());
            assert!(!text.contains('{'), "{kind:?}: {text}");
        }
    }
}
