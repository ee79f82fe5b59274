//! What went wrong with an answer, in words: every message names the field, says what
//! is wanted, and where useful gives an example (as the GOV.UK and KERN patterns advise).

use rathaus_core::drafts::UploadProblem;
use rathaus_forms::definition::{Field, Kind};
use rathaus_forms::expr::Value;
use rathaus_forms::fill::FieldProblem;
use rathaus_forms::media;
use rathaus_forms::present::{german_amount, german_date, german_number};
use rathaus_forms::values::Problem;

use crate::i18n::Texts;

fn bound(value: &Value) -> String {
    match value {
        Value::Number(n) => german_number(*n),
        Value::Money(cents) => format!("{} Euro", german_amount(*cents)),
        Value::Date(date) => german_date(*date),
        Value::Text(text) => text.clone(),
        _ => String::new(),
    }
}

/// The message for a field's problem; `label` is the field's label in the page's language.
pub fn problem(t: &Texts, field: &Field, label: &str, problem: &FieldProblem) -> String {
    let with = |key: &str, extra: &[(&'static str, &str)]| {
        let mut args = vec![("label", label)];
        args.extend_from_slice(extra);
        t.fmt(key, &args)
    };
    match problem {
        FieldProblem::Required => match field.kind {
            Kind::Select | Kind::Radio | Kind::YesNo | Kind::Checkboxes => {
                with("problem-choose", &[])
            }
            Kind::File => with("problem-upload", &[]),
            Kind::Group => with("problem-entry", &[]),
            _ => with("problem-required", &[]),
        },
        FieldProblem::NotConfirmed => with("problem-confirm", &[]),
        FieldProblem::NotAnOption => with("problem-not-an-option", &[]),
        FieldProblem::TooShort { min } => with("problem-too-short", &[("min", &min.to_string())]),
        FieldProblem::TooLong { max } => with("problem-too-long", &[("max", &max.to_string())]),
        FieldProblem::TooSmall { min } => {
            let key = match min {
                Value::Date(_) => "problem-date-too-early",
                _ => "problem-too-small",
            };
            with(key, &[("bound", &bound(min))])
        }
        FieldProblem::TooLarge { max } => {
            let key = match max {
                Value::Date(_) => "problem-date-too-late",
                _ => "problem-too-large",
            };
            with(key, &[("bound", &bound(max))])
        }
        FieldProblem::Pattern(text) => {
            with("problem-pattern", &[("rule", text.get(t.lang().code()))])
        }
        FieldProblem::MissingPart(part) => with(&format!("problem-missing-{part}"), &[]),
        FieldProblem::Invalid(invalid) => match invalid {
            Problem::NotANumber => with("problem-number", &[]),
            Problem::NotAnAmount => with("problem-amount", &[]),
            Problem::NotADate => with("problem-date", &[]),
            Problem::NotAnEmail => with("problem-email", &[]),
            Problem::NotAPhoneNumber => with("problem-phone", &[]),
            Problem::NotAnIban => with("problem-iban", &[]),
            Problem::IbanChecksum => with("problem-iban-checksum", &[]),
            Problem::IbanLength { expected } => with(
                "problem-iban-length",
                &[("expected", &expected.to_string())],
            ),
            Problem::NotAPostcode => with("problem-postcode", &[]),
            Problem::NotARegistrationNumber => with("problem-registration-number", &[]),
        },
    }
}

/// Why an uploaded file was not taken.
pub fn upload(t: &Texts, label: &str, file_name: &str, problem: &UploadProblem) -> String {
    match problem {
        UploadProblem::Empty => t.fmt("upload-empty", &[("file", file_name)]),
        UploadProblem::TooLarge { max_bytes } => t.fmt(
            "upload-too-large",
            &[("file", file_name), ("max", &megabytes(*max_bytes as i64))],
        ),
        UploadProblem::Full => t.fmt("upload-draft-full", &[("file", file_name)]),
        UploadProblem::ActiveContent => t.fmt("upload-active-content", &[("file", file_name)]),
        UploadProblem::Bomb => t.fmt("upload-bomb", &[("file", file_name)]),
        UploadProblem::Unreadable => t.fmt("upload-unreadable", &[("file", file_name)]),
        UploadProblem::WrongType { accepted } => t.fmt(
            "upload-wrong-type",
            &[
                ("file", file_name),
                ("label", label),
                ("types", &media::short_names(accepted)),
            ],
        ),
    }
}

/// "2,4 MB" / "180 KB".
pub fn megabytes(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
        let text = german_number(tenths as f64 / 10.0);
        format!("{text} MB")
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_say_them() {
        assert_eq!(megabytes(10 * 1024 * 1024), "10 MB");
        assert_eq!(megabytes(2_500_000), "2,4 MB");
        assert_eq!(megabytes(1000), "1 KB");
    }
}
