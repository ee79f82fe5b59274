//! A complete sample letter (a parking permit), for the tests and the benchmarks.

use crate::{Attachment, Contact, Kind, Letter, Permit, Sender, Timestamped, Verification};

/// When the sample is issued.
pub const ISSUED: Timestamped = Timestamped {
    year: 2026,
    month: 12,
    day: 3,
    hour: 10,
    minute: 15,
    second: 0,
};

/// A one-page permit with every part a letter can have.
pub fn permit_letter() -> Letter {
    Letter {
        kind: Kind::ParkingPermit,
        title: "Bewohnerparkausweis MS-2026-00042".into(),
        sender: Sender {
            town: "Musterstadt".into(),
            department: "Straßenverkehrsbehörde".into(),
            address: vec!["Rathausplatz 1".into(), "12345 Musterstadt".into()],
            colour: "#004b76".into(),
            logo_svg: Some(
                r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 12"><path d="M0 0h10v7l-5 5-5-5z" fill="#004b76"/></svg>"##
                    .into(),
            ),
            bank: Some("Stadtkasse Musterstadt · IBAN DE89 3704 0044 0532 0130 00".into()),
        },
        return_line: "Stadt Musterstadt · Rathausplatz 1 · 12345 Musterstadt".into(),
        recipient: vec![
            "Frau".into(),
            "Erika Mustermann".into(),
            "Lindenweg 7".into(),
            "12345 Musterstadt".into(),
        ],
        reference: "MS-2026-00042".into(),
        date: "03.12.2026".into(),
        contact: Contact {
            name: "Vera Verkehr".into(),
            phone: "0123 456-789".into(),
            email: "verkehr@musterstadt.example".into(),
        },
        subject: "Ihr Bewohnerparkausweis".into(),
        salutation: "Sehr geehrte Frau Mustermann,".into(),
        paragraphs: vec![
            "Ihrem Antrag vom 01.12.2026 wird entsprochen. Bitte legen Sie den Ausweis gut sichtbar hinter die Windschutzscheibe.".into(),
        ],
        permit: Some(Permit {
            zone: "B – Altstadt".into(),
            plate: "MS-AB 123".into(),
            holder: "Erika Mustermann".into(),
            valid_from: "03.12.2026".into(),
            valid_until: "02.12.2027".into(),
        }),
        certificate: None,
        remedy: Some("Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Widerspruch erhoben werden.".into()),
        closing: "Mit freundlichen Grüßen".into(),
        signer: "Vera Verkehr".into(),
        verification: Some(Verification {
            link: "https://musterstadt.example/verify/K7QM-4XPD-2R".into(),
            page: "musterstadt.example/verify".into(),
            code: "K7QM-4XPD-2R".into(),
        }),
        draft: false,
        attachments: vec![Attachment {
            name: "vorgang.json".into(),
            media_type: "application/json".into(),
            description: "Daten des Vorgangs".into(),
            bytes: br#"{"reference":"MS-2026-00042"}"#.to_vec(),
        }],
    }
}
