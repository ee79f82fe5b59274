//! Outgoing letters as PDF/A-3: a DIN 5008 letter laid out by typst from one template
//! (`letter.typ`), with the town's letterhead, an address field that fits a window
//! envelope, the permit block for a Bewohnerparkausweis, the legal remedy text, a QR code
//! and short code that lead to the verification page, and machine-readable data
//! attached as allowed by PDF/A-3. The PDF is tagged (PDF/UA-1) so that screen readers
//! can read it.
//!
//! This crate knows nothing of cases or databases: the caller says what to write. It is
//! its own crate because typst takes minutes to compile.

#[cfg(feature = "samples")]
pub mod samples;
mod world;

use std::sync::Arc;

use serde::Serialize;
use typst::foundations::{Bytes, Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::world::{Fonts, LetterWorld};

/// What kind of document a letter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Eingangsbestätigung
    Receipt,
    /// Nachforderung von Unterlagen
    DocumentRequest,
    /// Bescheid (approval or refusal)
    Decision,
    /// Gebührenbescheid
    FeeNotice,
    /// The Bewohnerparkausweis itself
    ParkingPermit,
    /// Urkunde
    Certificate,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Receipt,
        Kind::DocumentRequest,
        Kind::Decision,
        Kind::FeeNotice,
        Kind::ParkingPermit,
        Kind::Certificate,
    ];

    /// The stable name stored with an issued document and used in workflows.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Receipt => "receipt",
            Kind::DocumentRequest => "document_request",
            Kind::Decision => "decision",
            Kind::FeeNotice => "fee_notice",
            Kind::ParkingPermit => "parking_permit",
            Kind::Certificate => "certificate",
        }
    }

    pub fn from_key(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// A decision of the authority (Verwaltungsakt): it carries the legal remedy text.
    pub fn is_decision(self) -> bool {
        matches!(self, Kind::Decision | Kind::FeeNotice | Kind::ParkingPermit)
    }

    /// The document the applicant asked for itself, which a service may require as a
    /// paper original (`Delivery::Paper`).
    pub fn is_original(self) -> bool {
        matches!(self, Kind::ParkingPermit | Kind::Certificate)
    }

    /// What the document is called (letters are German: the official language of the
    /// administration, § 23 VwVfG).
    pub fn title(self) -> &'static str {
        match self {
            Kind::Receipt => "Eingangsbestätigung",
            Kind::DocumentRequest => "Nachforderung von Unterlagen",
            Kind::Decision => "Bescheid",
            Kind::FeeNotice => "Gebührenbescheid",
            Kind::ParkingPermit => "Bewohnerparkausweis",
            Kind::Certificate => "Urkunde",
        }
    }
}

/// The town and department that write.
#[derive(Clone, Debug, Serialize)]
pub struct Sender {
    pub town: String,
    pub department: String,
    /// Street and place, one line each.
    pub address: Vec<String>,
    /// The town's colour (#rrggbb) for the letterhead.
    pub colour: String,
    /// The coat of arms as SVG markup, if the town has one.
    #[serde(skip)]
    pub logo_svg: Option<String>,
    /// The account for payments by transfer, for the footer.
    pub bank: Option<String>,
}

/// Who to ask about the letter.
#[derive(Clone, Debug, Serialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// The permit block of a Bewohnerparkausweis.
#[derive(Clone, Debug, Serialize)]
pub struct Permit {
    pub zone: String,
    pub plate: String,
    pub holder: String,
    pub valid_from: String,
    pub valid_until: String,
}

/// The certified content of an Urkunde: its title ("Geburtsurkunde") and the entries
/// it certifies, each a label and a value ("Familienname", "Mustermann"), or a line of
/// its own where the label is empty.
#[derive(Clone, Debug, Serialize)]
pub struct Certificate {
    pub title: String,
    pub entries: Vec<(String, String)>,
}

impl Certificate {
    /// Reads what the registrar wrote: an optional first line without a colon is the
    /// title, every other line is an entry, "Label: value" or a line of its own.
    pub fn from_text(text: &str) -> Option<Certificate> {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .peekable();
        let title = match lines.peek() {
            Some(first) if !first.contains(':') => lines.next().map(str::to_owned),
            _ => None,
        };
        let entries: Vec<(String, String)> = lines
            .map(|line| match line.split_once(':') {
                Some((label, value)) if !label.trim().is_empty() => {
                    (label.trim().to_owned(), value.trim().to_owned())
                }
                _ => (String::new(), line.to_owned()),
            })
            .collect();
        (!entries.is_empty()).then(|| Certificate {
            title: title.unwrap_or_else(|| Kind::Certificate.title().to_owned()),
            entries,
        })
    }
}

/// Where anyone can check the document: the QR code holds `link`, the letter prints
/// `page` and `code` for those who type.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub link: String,
    pub page: String,
    pub code: String,
}

/// A file that rides along in the PDF (PDF/A-3 "associated file"), such as the case
/// data as JSON.
#[derive(Clone, Debug, Serialize)]
pub struct Attachment {
    /// A plain file name: letters, digits, `.`, `-`, `_`.
    pub name: String,
    pub media_type: String,
    pub description: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// Everything one letter says.
#[derive(Clone, Debug, Serialize)]
pub struct Letter {
    pub kind: Kind,
    /// The document's title (PDF metadata, what screen readers announce).
    pub title: String,
    pub sender: Sender,
    /// The small return line above the address (Rücksendeangabe).
    pub return_line: String,
    /// The recipient's address, one line each (at most 6).
    pub recipient: Vec<String>,
    pub reference: String,
    /// The date as printed (dd.mm.yyyy).
    pub date: String,
    pub contact: Contact,
    pub subject: String,
    pub salutation: String,
    pub paragraphs: Vec<String>,
    pub permit: Option<Permit>,
    /// The certified content of an Urkunde.
    pub certificate: Option<Certificate>,
    /// The Rechtsbehelfsbelehrung of a decision.
    pub remedy: Option<String>,
    pub closing: String,
    pub signer: String,
    /// None for a preview.
    pub verification: Option<Verification>,
    /// A preview: marked as a draft on every page.
    pub draft: bool,
    pub attachments: Vec<Attachment>,
}

/// A letter as PDF.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub pages: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error("the letter could not be laid out: {0}")]
    Layout(String),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error("invalid letter: {0}")]
    Invalid(String),
}

/// Lays out letters. Loading the fonts and the standard library takes a moment, so one
/// renderer is made at start and shared.
#[derive(Clone)]
pub struct Renderer {
    fonts: Arc<Fonts>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

const TEMPLATE: &str = include_str!("letter.typ");
const BATCH: &str = include_str!("batch.typ");

/// A letter of a print batch: its PDF as issued and how many pages it has.
pub struct Printed<'a> {
    pub pdf: &'a [u8],
    pub pages: usize,
}

/// Sheets of paper for a letter of `pages` pages printed on both sides.
pub fn sheets(pages: usize) -> usize {
    pages.div_ceil(2)
}

/// Whether typst reads `svg` as an image, as a letterhead will: a coat of arms that
/// does not read would stop every letter of its town, so it is checked when it is set.
pub fn check_svg(svg: &str) -> Result<(), LetterError> {
    typst::visualize::SvgImage::new(Bytes::new(svg.as_bytes().to_vec()))
        .map(|_| ())
        .map_err(|e| LetterError::Invalid(format!("the image does not read as SVG: {e:?}")))
}

/// The printed words around the content (German; see `Kind::title`).
fn labels() -> serde_json::Value {
    serde_json::json!({
        "reference": "Aktenzeichen",
        "contact": "Ansprechperson",
        "phone": "Telefon",
        "email": "E-Mail",
        "date": "Datum",
        "page": "Seite",
        "page_of": "von",
        "bank": "Bankverbindung",
        "remedy": "Rechtsbehelfsbelehrung",
        "permit_title": "Bewohnerparkausweis",
        "zone": "Zone",
        "plate": "Kennzeichen",
        "holder": "Inhaberin/Inhaber",
        "valid": "Gültig",
        "verify_hint": "Echtheit prüfen:",
        "code": "Prüfcode",
        "qr_alt": "QR-Code, der zur Echtheitsprüfung dieses Dokuments führt",
        "logo_alt": "Wappen",
        "draft": "ENTWURF",
    })
}

impl Renderer {
    pub fn new() -> Self {
        Self {
            fonts: Arc::new(Fonts::embedded()),
        }
    }

    /// The letter as PDF/A-3a, tagged after PDF/UA-1; `issued` is the document date
    /// written into its metadata.
    pub fn render(&self, letter: &Letter, issued: Timestamped) -> Result<Rendered, LetterError> {
        check(letter)?;
        let mut data =
            serde_json::to_value(letter).map_err(|e| LetterError::Invalid(e.to_string()))?;
        data["texts"] = labels();
        data["language"] = "de".into();
        data["logo"] = letter.sender.logo_svg.is_some().into();
        let mut files = vec![(
            "/letter.json".to_owned(),
            Bytes::new(data.to_string().into_bytes()),
        )];
        if let Some(logo) = &letter.sender.logo_svg {
            files.push((
                "/logo.svg".to_owned(),
                Bytes::new(logo.clone().into_bytes()),
            ));
        }
        if let Some(verification) = &letter.verification {
            files.push((
                "/qr.svg".to_owned(),
                Bytes::new(qr_svg(&verification.link)?.into_bytes()),
            ));
        }
        for attachment in &letter.attachments {
            files.push((
                format!("/attachments/{}", attachment.name),
                Bytes::new(attachment.bytes.clone()),
            ));
        }
        let options = PdfOptions {
            ident: Smart::Custom(format!("{}:{}", letter.kind.key(), letter.reference)),
            creator: Smart::Custom(Some("Rathaus".to_owned())),
            timestamp: Some(issued.pdf()),
            standards: PdfStandards::new(&[PdfStandard::A_3a, PdfStandard::Ua_1])
                .map_err(|e| LetterError::Pdf(e.message().to_string()))?,
            ..PdfOptions::default()
        };
        self.typeset(TEMPLATE, files, issued, &options)
    }

    /// Lays out the typst file `main` with `files` beside it and writes the PDF.
    fn typeset(
        &self,
        main: &str,
        files: Vec<(String, Bytes)>,
        at: Timestamped,
        options: &PdfOptions,
    ) -> Result<Rendered, LetterError> {
        let world = LetterWorld::new(&self.fonts, main, files, at);
        let document: PagedDocument = typst::compile(&world)
            .output
            .map_err(|errors| LetterError::Layout(world.describe(&errors)))?;
        let pdf = typst_pdf::pdf(&document, options)
            .map_err(|errors| LetterError::Pdf(world.describe(&errors)))?;
        Ok(Rendered {
            pages: document.pages().len(),
            pdf,
        })
    }
}

impl Renderer {
    /// One PDF with the pages of all `letters` for duplex printing: every letter starts
    /// on a new sheet. A print artefact: not archived, not tagged.
    pub fn print_batch(
        &self,
        title: &str,
        letters: &[Printed<'_>],
        at: Timestamped,
    ) -> Result<Rendered, LetterError> {
        if letters.is_empty() {
            return Err(LetterError::Invalid("a print batch needs letters".into()));
        }
        let entries: Vec<serde_json::Value> = letters
            .iter()
            .enumerate()
            .map(|(i, l)| serde_json::json!({ "file": format!("/letters/{i}.pdf"), "pages": l.pages }))
            .collect();
        let data = serde_json::json!({ "title": title, "letters": entries });
        let mut files = vec![(
            "/batch.json".to_owned(),
            Bytes::new(data.to_string().into_bytes()),
        )];
        for (i, letter) in letters.iter().enumerate() {
            files.push((format!("/letters/{i}.pdf"), Bytes::new(letter.pdf.to_vec())));
        }
        let options = PdfOptions {
            creator: Smart::Custom(Some("Rathaus".to_owned())),
            timestamp: Some(at.pdf()),
            tagged: false,
            ..PdfOptions::default()
        };
        self.typeset(BATCH, files, at, &options)
    }
}

/// The moment a letter is issued, in UTC.
#[derive(Clone, Copy, Debug)]
pub struct Timestamped {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl Timestamped {
    fn datetime(self) -> Datetime {
        Datetime::from_ymd_hms(
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
        )
        .unwrap_or_else(|| Datetime::from_ymd(1970, 1, 1).expect("a valid date"))
    }

    fn pdf(self) -> Timestamp {
        Timestamp::new_utc(self.datetime())
    }
}

fn check(letter: &Letter) -> Result<(), LetterError> {
    if letter.recipient.is_empty() || letter.recipient.len() > 6 {
        return Err(LetterError::Invalid(format!(
            "the address needs 1 to 6 lines, not {}",
            letter.recipient.len()
        )));
    }
    for attachment in &letter.attachments {
        let plain = !attachment.name.is_empty()
            && !attachment.name.starts_with('.')
            && attachment
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !plain {
            return Err(LetterError::Invalid(format!(
                "attachment name '{}' is not a plain file name",
                attachment.name
            )));
        }
    }
    Ok(())
}

/// The QR code for `link` as SVG, with error correction M (readable when a printed
/// letter is a little worn).
fn qr_svg(link: &str) -> Result<String, LetterError> {
    let code = qrcode::QrCode::with_error_correction_level(link, qrcode::EcLevel::M)
        .map_err(|e| LetterError::Invalid(format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(240, 240)
        .build())
}
