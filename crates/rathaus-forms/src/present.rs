//! Answers shown again: as the text of the inputs they came from (to fill a page in
//! again, or to check stored answers once more) and as words for people (the
//! check-your-answers page and the printable summary).

use chrono::NaiveDate;

use crate::definition::{Field, Form, Kind};
use crate::fill::{ADDRESS_PARTS, Answer, Answers, POSTCODE_CITY_PARTS};

/// A number the German way: "1.234,5" → "1234,5" (no grouping; it reads back either way).
pub fn german_number(n: f64) -> String {
    let text = if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    };
    text.replace('.', ",")
}

/// Cents as "1.234,50".
pub fn german_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let euros = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped},{:02}", cents % 100)
}

pub fn german_date(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// The name → value pairs that, sent as a page, give `answer` again.
pub fn inputs(field: &Field, name: &str, answer: &Answer) -> Vec<(String, String)> {
    let one = |value: String| vec![(name.to_owned(), value)];
    match answer {
        Answer::Text(text) => one(text.clone()),
        Answer::Number(n) => one(german_number(*n)),
        Answer::Money(cents) => one(german_amount(*cents)),
        Answer::Date(date) => one(german_date(*date)),
        Answer::YesNo(yes) => one(if *yes { "ja" } else { "nein" }.to_owned()),
        Answer::Several(items) => items
            .iter()
            .map(|item| (name.to_owned(), item.clone()))
            .collect(),
        Answer::Entries(entries) => entries
            .iter()
            .enumerate()
            .flat_map(|(i, entry)| {
                field.fields.iter().flat_map(move |inner| {
                    let inner_name = format!("{name}.{i}.{}", inner.id);
                    entry
                        .get(&inner.id)
                        .map(|a| inputs(inner, &inner_name, a))
                        .unwrap_or_default()
                })
            })
            .collect(),
        Answer::Address(address) => {
            let parts: &[&str] = if field.kind == Kind::PostcodeCity {
                &POSTCODE_CITY_PARTS
            } else {
                &ADDRESS_PARTS
            };
            parts
                .iter()
                .map(|part| {
                    let value = match *part {
                        "strasse" => &address.street,
                        "hausnummer" => &address.house_number,
                        "plz" => &address.postcode,
                        _ => &address.city,
                    };
                    (format!("{name}.{part}"), value.clone())
                })
                .collect()
        }
    }
}

impl Form {
    /// The inputs of a whole step as the stored answers would send them.
    pub fn step_inputs(&self, step_id: &str, answers: &Answers) -> Vec<(String, String)> {
        let Some(step) = self.definition.steps.iter().find(|s| s.id == step_id) else {
            return Vec::new();
        };
        step.fields()
            .filter_map(|field| {
                let answer = answers.0.get(&field.id)?;
                Some(inputs(field, &field.id, answer))
            })
            .flatten()
            .collect()
    }

    /// The shown steps whose stored answers would not pass their check now (never
    /// filled in, or made incomplete by a later change such as a new required field).
    pub fn incomplete_steps(&self, answers: &Answers, today: NaiveDate) -> Vec<String> {
        self.steps_shown(answers, today)
            .into_iter()
            .filter(|step| {
                let mut copy = answers.clone();
                let sent = self.step_inputs(&step.id, answers);
                self.take_step(&step.id, &sent, &mut copy, today)
                    .is_ok_and(|problems| !problems.is_empty())
            })
            .map(|step| step.id.clone())
            .collect()
    }
}

/// Words for "yes" and "no" and how a list of files is named.
pub struct Words<'a> {
    pub lang: &'a str,
    pub yes: &'a str,
    pub no: &'a str,
    /// The names of the uploads by their reference.
    pub file_name: &'a dyn Fn(&str) -> String,
}

/// An answer in words, one line per entry for lists.
pub fn display(field: &Field, answer: &Answer, words: &Words) -> Vec<String> {
    let label_of = |value: &str| {
        field
            .options
            .iter()
            .find(|o| o.value == value)
            .map_or_else(|| value.to_owned(), |o| o.label.get(words.lang).to_owned())
    };
    match answer {
        Answer::Text(text) if matches!(field.kind, Kind::Select | Kind::Radio) => {
            vec![label_of(text)]
        }
        Answer::Text(text) => vec![text.clone()],
        Answer::Number(n) => vec![german_number(*n)],
        Answer::Money(cents) => vec![format!("{} Euro", german_amount(*cents))],
        Answer::Date(date) => vec![german_date(*date)],
        Answer::YesNo(yes) => vec![if *yes { words.yes } else { words.no }.to_owned()],
        Answer::Several(items) if field.kind == Kind::File => {
            items.iter().map(|r| (words.file_name)(r)).collect()
        }
        Answer::Several(items) => items.iter().map(|v| label_of(v)).collect(),
        Answer::Entries(entries) => entries
            .iter()
            .map(|entry| {
                field
                    .fields
                    .iter()
                    .filter_map(|inner| {
                        let answer = entry.get(&inner.id)?;
                        let text = display(inner, answer, words).join(", ");
                        Some(format!("{}: {text}", inner.label.get(words.lang)))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .collect(),
        Answer::Address(address) => vec![address.one_line()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::load;

    const PARKING: &str = include_str!("../forms/bewohnerparkausweis.json");

    #[test]
    fn numbers_and_amounts_read_back_as_typed() {
        assert_eq!(german_amount(123_450), "1.234,50");
        assert_eq!(german_amount(-5), "-0,05");
        assert_eq!(german_amount(100_000_000), "1.000.000,00");
        assert_eq!(german_number(2.5), "2,5");
        assert_eq!(german_number(12.0), "12");
        for cents in [0, 7, 99, 100, 123_456_789] {
            assert_eq!(crate::values::amount(&german_amount(cents)), Ok(cents));
        }
    }

    #[test]
    fn stored_answers_give_the_same_answers_when_sent_again() {
        let form = load(PARKING).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let mut answers = Answers::default();
        let sent: Vec<(String, String)> = [
            ("vorname", "Erika"),
            ("nachname", "Mustermann"),
            ("geburtsdatum", "12.08.1964"),
            ("anschrift.strasse", "Heidestraße"),
            ("anschrift.hausnummer", "17"),
            ("anschrift.plz", "42651"),
            ("anschrift.ort", "Solingen"),
            ("hauptwohnsitz", "ja"),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            form.take_step("person", &sent, &mut answers, today)
                .unwrap(),
            vec![]
        );
        let again = form.step_inputs("person", &answers);
        let mut copy = Answers::default();
        form.take_step("person", &again, &mut copy, today).unwrap();
        assert_eq!(copy, answers);
        assert_eq!(
            form.incomplete_steps(&answers, today),
            vec!["fahrzeug".to_owned(), "laufzeit".to_owned()]
        );
    }
}
