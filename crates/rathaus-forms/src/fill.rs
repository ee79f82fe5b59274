//! Filling in a form: the answers given so far, which steps and fields are shown, and
//! the check of one step when it is sent. Pages are checked on the server, whole, as
//! they are submitted (no JavaScript needed): a field whose rule hides it is neither
//! checked nor kept.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::definition::{Field, Form, Kind, Required, Step, Text};
use crate::expr::{Expr, Value};
use crate::values::{self, Problem};

/// An answer in its typed form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Text(String),
    Number(f64),
    /// Cents.
    Money(i64),
    Date(NaiveDate),
    YesNo(bool),
    /// Ticked options; for files the references of the stored uploads.
    Several(Vec<String>),
    /// The entries of a repeating group.
    Entries(Vec<HashMap<String, Answer>>),
    /// An address, or a postcode with its city (street and number empty).
    Address(Address),
}

/// The parts of an address as typed (the postcode checked).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street: String,
    pub house_number: String,
    pub postcode: String,
    pub city: String,
}

impl Address {
    /// On one line, as in a letter's window: "Heidestraße 17, 42651 Solingen".
    pub fn one_line(&self) -> String {
        let street = format!("{} {}", self.street, self.house_number);
        let place = format!("{} {}", self.postcode, self.city);
        [street.trim(), place.trim()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A part by the name of its input (`plz`, see [`ADDRESS_PARTS`]), as rules read it.
    pub fn part(&self, name: &str) -> Option<&str> {
        let i = ADDRESS_PARTS.iter().position(|p| *p == name)?;
        Some([&self.street, &self.house_number, &self.postcode, &self.city][i])
    }

    /// The part by the name of its input, to be written.
    pub fn part_mut(&mut self, name: &str) -> Option<&mut String> {
        let i = ADDRESS_PARTS.iter().position(|p| *p == name)?;
        let parts = [
            &mut self.street,
            &mut self.house_number,
            &mut self.postcode,
            &mut self.city,
        ];
        parts.into_iter().nth(i)
    }
}

/// The field an input name stands for, without the entry number of a group:
/// `kinder.1.foto` → `kinder.foto` (entries are renumbered as they are added and
/// removed, the field stays the same).
pub fn field_path(name: &str) -> String {
    name.split('.')
        .filter(|part| !part.chars().all(|c| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(".")
}

/// The inputs of an address field, sent as `field.part`.
pub const ADDRESS_PARTS: [&str; 4] = ["strasse", "hausnummer", "plz", "ort"];
pub const POSTCODE_CITY_PARTS: [&str; 2] = ["plz", "ort"];

impl Answer {
    fn value(&self) -> Value {
        match self {
            Self::Text(t) => Value::Text(t.clone()),
            Self::Number(n) => Value::Number(*n),
            Self::Money(c) => Value::Money(*c),
            Self::Date(d) => Value::Date(*d),
            Self::YesNo(b) => Value::Bool(*b),
            Self::Several(items) => Value::List(items.clone()),
            Self::Entries(entries) => Value::Group(entries.len()),
            Self::Address(address) => Value::Text(address.one_line()),
        }
    }
}

/// All answers of a form so far, by field id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Answers(pub HashMap<String, Answer>);

/// Why an answer was not taken. The web layer words it.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldProblem {
    Required,
    /// Must be ticked (a declaration).
    NotConfirmed,
    Invalid(Problem),
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    TooSmall {
        min: Value,
    },
    TooLarge {
        max: Value,
    },
    /// Does not have the required form; the text says which.
    Pattern(Text),
    /// A value that was not offered (a tampered form).
    NotAnOption,
    /// A part of an address is missing (`strasse`, `plz`, `ort`).
    MissingPart(&'static str),
}

/// The problems of a sent step, by field (`kinder.1.vorname` inside groups), in the
/// order of the page.
pub type Problems = Vec<(String, FieldProblem)>;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the form has no step '{0}'")]
pub struct UnknownStep(pub String);

const YES: &str = "ja";
const NO: &str = "nein";

impl Form {
    fn shown(
        &self,
        rule: Option<&String>,
        lookup: &dyn Fn(&str) -> Value,
        today: NaiveDate,
    ) -> bool {
        rule.is_none_or(|source| self.rule(source).eval(lookup, today).holds())
    }

    /// The value of `id` for rules: an answer, or a computed value (which may use only
    /// answers and the computed values defined before it, so this ends).
    fn value_of(&self, answers: &Answers, id: &str, today: NaiveDate) -> Value {
        if let Some(answer) = answers.0.get(id) {
            return answer.value();
        }
        if let Some((field, part)) = id.split_once('.')
            && let Some(Answer::Address(address)) = answers.0.get(field)
            && let Some(text) = address.part(part)
        {
            return Value::Text(text.to_owned());
        }
        match self.definition.computed.iter().find(|c| c.id == id) {
            Some(computed) => {
                let lookup = |inner: &str| self.value_of(answers, inner, today);
                self.rule(&computed.value).eval(&lookup, today)
            }
            None => Value::Empty,
        }
    }

    /// Whether a field (or info block) with this `show_if` is shown for these answers.
    pub fn holds(&self, rule: Option<&String>, answers: &Answers, today: NaiveDate) -> bool {
        let lookup = |id: &str| self.value_of(answers, id, today);
        self.shown(rule, &lookup, today)
    }

    /// Whether a condition compiled with [`Form::condition`] holds for these answers.
    pub fn meets(&self, condition: &Expr, answers: &Answers, today: NaiveDate) -> bool {
        let lookup = |id: &str| self.value_of(answers, id, today);
        condition.eval(&lookup, today).holds()
    }

    /// The fields a rule reads.
    pub fn rule_fields(&self, source: &str) -> Vec<&str> {
        self.rule(source).fields()
    }

    /// The steps shown for these answers, in order.
    pub fn steps_shown(&self, answers: &Answers, today: NaiveDate) -> Vec<&Step> {
        let lookup = |id: &str| self.value_of(answers, id, today);
        self.definition
            .steps
            .iter()
            .filter(|s| self.shown(s.show_if.as_ref(), &lookup, today))
            .collect()
    }

    /// The computed values (fees) for these answers.
    pub fn computed(&self, answers: &Answers, today: NaiveDate) -> Vec<(String, Value)> {
        let lookup = |id: &str| self.value_of(answers, id, today);
        self.definition
            .computed
            .iter()
            .map(|c| (c.id.clone(), self.rule(&c.value).eval(&lookup, today)))
            .collect()
    }

    /// Takes the post of one step (name → value pairs; checkboxes repeat their name,
    /// group entries are sent as `group.N.field`): its answers replace the step's earlier
    /// ones, answers of hidden fields are dropped, and the problems are returned. With
    /// problems, the caller shows the page again with the answers as sent.
    pub fn take_step(
        &self,
        step_id: &str,
        posted: &[(String, String)],
        answers: &mut Answers,
        today: NaiveDate,
    ) -> Result<Problems, UnknownStep> {
        let step = self
            .definition
            .steps
            .iter()
            .find(|s| s.id == step_id)
            .ok_or_else(|| UnknownStep(step_id.to_owned()))?;
        let fields: Vec<&Field> = step.fields().collect();
        // First read everything, so that rules see the whole page as sent.
        let mut problems = Problems::new();
        let mut read: Vec<(&Field, Option<Answer>, Option<FieldProblem>)> = Vec::new();
        for field in &fields {
            if field.kind == Kind::Group {
                let (entries, entry_problems) = self.read_entries(field, posted, answers, today);
                let answer = (!entries.is_empty()).then_some(Answer::Entries(entries));
                read.push((field, answer, None));
                problems.extend(entry_problems);
            } else {
                let (answer, problem) = read_field(field, posted, &field.id);
                read.push((field, answer, problem));
            }
        }
        for (field, answer, problem) in &read {
            match (answer, problem) {
                (Some(answer), _) => {
                    answers.0.insert(field.id.clone(), answer.clone());
                }
                // Typed but unreadable: the earlier answer stays until a readable one
                // replaces it (the page shows what was typed, with the problem).
                (None, Some(_)) => {}
                (None, None) => {
                    answers.0.remove(&field.id);
                }
            }
        }
        let lookup = |id: &str| self.value_of(answers, id, today);
        let mut page_problems = Problems::new();
        let mut hidden = Vec::new();
        for (field, answer, problem) in read {
            if !self.shown(field.show_if.as_ref(), &lookup, today) {
                hidden.push(field.id.clone());
                continue;
            }
            let problem =
                problem.or_else(|| self.check_field(field, answer.as_ref(), &lookup, today));
            if let Some(problem) = problem {
                page_problems.push((field.id.clone(), problem));
            }
        }
        for id in hidden {
            answers.0.remove(&id);
            problems.retain(|(key, _)| !key.starts_with(&format!("{id}.")));
        }
        page_problems.extend(problems);
        Ok(page_problems)
    }

    /// The entries of a repeating group as sent, each field checked within its entry.
    fn read_entries(
        &self,
        group: &Field,
        posted: &[(String, String)],
        answers: &Answers,
        today: NaiveDate,
    ) -> (Vec<HashMap<String, Answer>>, Problems) {
        let prefix = format!("{}.", group.id);
        let mut indices: Vec<usize> = posted
            .iter()
            .filter_map(|(name, _)| name.strip_prefix(&prefix)?.split('.').next()?.parse().ok())
            .collect();
        indices.sort_unstable();
        indices.dedup();
        let mut entries = Vec::new();
        let mut problems = Problems::new();
        for index in indices {
            let position = entries.len();
            let mut entry = HashMap::new();
            let mut entry_problems = Vec::new();
            let entry_prefix = format!("{prefix}{index}.");
            let nothing_sent = posted
                .iter()
                .filter(|(name, _)| name.starts_with(&entry_prefix))
                .all(|(_, value)| value.trim().is_empty());
            if nothing_sent {
                // An entry left empty (e.g. the blank one offered for another child) is
                // not an entry.
                continue;
            }
            for field in &group.fields {
                let name = format!("{entry_prefix}{}", field.id);
                let (answer, problem) = read_field(field, posted, &name);
                if let Some(answer) = answer {
                    entry.insert(field.id.clone(), answer);
                }
                entry_problems.push((field, problem));
            }
            // Rules inside an entry name its fields as `group.field`.
            let lookup = |id: &str| match id.strip_prefix(&prefix) {
                Some(inner) => entry.get(inner).map_or(Value::Empty, Answer::value),
                None => self.value_of(answers, id, today),
            };
            for (field, problem) in entry_problems {
                if !self.shown(field.show_if.as_ref(), &lookup, today) {
                    continue;
                }
                let problem = problem
                    .or_else(|| self.check_field(field, entry.get(&field.id), &lookup, today));
                if let Some(problem) = problem {
                    problems.push((format!("{prefix}{position}.{}", field.id), problem));
                }
            }
            entries.push(entry);
        }
        (entries, problems)
    }

    /// Required, lengths, bounds and pattern of an answer that could be read.
    fn check_field(
        &self,
        field: &Field,
        answer: Option<&Answer>,
        lookup: &dyn Fn(&str) -> Value,
        today: NaiveDate,
    ) -> Option<FieldProblem> {
        let required = match &field.required {
            Required::No => false,
            Required::Always(required) => *required,
            Required::When(rule) => self.rule(rule).eval(lookup, today).holds(),
        };
        let Some(answer) = answer else {
            let missing = match field.kind {
                Kind::Consent => FieldProblem::NotConfirmed,
                _ => FieldProblem::Required,
            };
            return required.then_some(missing);
        };
        if field.kind == Kind::Consent && required && *answer != Answer::YesNo(true) {
            return Some(FieldProblem::NotConfirmed);
        }
        if let Answer::Text(text) = answer {
            let length = text.chars().count();
            if let Some(min) = field.min_length.filter(|min| length < *min) {
                return Some(FieldProblem::TooShort { min });
            }
            if let Some(max) = field.max_length.filter(|max| length > *max) {
                return Some(FieldProblem::TooLong { max });
            }
            if let Some(pattern) = &field.pattern
                && !self.pattern(&pattern.regex).is_match(text)
            {
                return Some(FieldProblem::Pattern(pattern.message.clone()));
            }
        }
        let value = answer.value();
        let bound = |rule: &Option<String>| {
            rule.as_ref()
                .map(|source| self.rule(source).eval(lookup, today))
        };
        let order = |bound: &Value| match (&value, bound) {
            (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
            (Value::Money(a), Value::Money(b)) => Some(a.cmp(b)),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            _ => None,
        };
        if let Some(min) = bound(&field.min)
            && order(&min).is_some_and(|o| o.is_lt())
        {
            return Some(FieldProblem::TooSmall { min });
        }
        if let Some(max) = bound(&field.max)
            && order(&max).is_some_and(|o| o.is_gt())
        {
            return Some(FieldProblem::TooLarge { max });
        }
        None
    }
}

/// The non-empty values sent under `name`.
fn sent<'a>(posted: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    posted
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
        .collect()
}

/// Reads what was sent for one field under `name`: its answer (none if nothing was
/// sent) or why it cannot be read.
fn read_field(
    field: &Field,
    posted: &[(String, String)],
    name: &str,
) -> (Option<Answer>, Option<FieldProblem>) {
    match field.kind {
        Kind::Address => return read_address(posted, name, &ADDRESS_PARTS),
        Kind::PostcodeCity => return read_address(posted, name, &POSTCODE_CITY_PARTS),
        _ => {}
    }
    let sent = sent(posted, name);
    let offered = |v: &str| field.options.iter().any(|o| o.value == v);
    let Some(first) = sent.first().copied() else {
        return (None, None);
    };
    let typed = |result: Result<Answer, Problem>| match result {
        Ok(answer) => (Some(answer), None),
        Err(problem) => (None, Some(FieldProblem::Invalid(problem))),
    };
    match field.kind {
        Kind::Text | Kind::LongText => (Some(Answer::Text(first.to_owned())), None),
        Kind::Number => typed(values::number(first).map(Answer::Number)),
        Kind::Money => typed(values::amount(first).map(Answer::Money)),
        Kind::Date => typed(values::date(first).map(Answer::Date)),
        Kind::Email => typed(values::email(first).map(Answer::Text)),
        Kind::Phone => typed(values::phone(first).map(Answer::Text)),
        Kind::Iban => typed(values::iban(first).map(Answer::Text)),
        Kind::Postcode => typed(values::postcode(first).map(Answer::Text)),
        Kind::RegistrationNumber => typed(values::registration_number(first).map(Answer::Text)),
        Kind::Select | Kind::Radio if offered(first) => {
            (Some(Answer::Text(first.to_owned())), None)
        }
        Kind::Checkboxes if sent.iter().all(|v| offered(v)) => {
            let ticked = sent.iter().map(|v| (*v).to_owned()).collect();
            (Some(Answer::Several(ticked)), None)
        }
        Kind::Select | Kind::Radio | Kind::Checkboxes => (None, Some(FieldProblem::NotAnOption)),
        Kind::YesNo | Kind::Consent => match first {
            YES => (Some(Answer::YesNo(true)), None),
            NO => (Some(Answer::YesNo(false)), None),
            _ => (None, Some(FieldProblem::NotAnOption)),
        },
        Kind::File => {
            let references = sent.iter().map(|v| (*v).to_owned()).collect();
            (Some(Answer::Several(references)), None)
        }
        Kind::Group | Kind::Address | Kind::PostcodeCity => (None, None),
    }
}

/// Reads the parts of an address; the house number may be missing (farms, parks).
fn read_address(
    posted: &[(String, String)],
    name: &str,
    parts: &[&'static str],
) -> (Option<Answer>, Option<FieldProblem>) {
    let part = |part: &str| {
        sent(posted, &format!("{name}.{part}"))
            .first()
            .map_or_else(String::new, |v| (*v).to_owned())
    };
    let address = Address {
        street: part("strasse"),
        house_number: part("hausnummer"),
        postcode: part("plz"),
        city: part("ort"),
    };
    if address == Address::default() {
        return (None, None);
    }
    let missing = parts
        .iter()
        .find(|p| **p != "hausnummer" && part(p).is_empty());
    if let Some(missing) = missing {
        return (None, Some(FieldProblem::MissingPart(missing)));
    }
    match values::postcode(&address.postcode) {
        Ok(postcode) => (
            Some(Answer::Address(Address {
                postcode,
                ..address
            })),
            None,
        ),
        Err(problem) => (None, Some(FieldProblem::Invalid(problem))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::load;

    const PARKING: &str = include_str!("../forms/bewohnerparkausweis.json");

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn post(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn person(answers: &mut Answers, form: &Form, main_residence: &str) -> Problems {
        let sent = post(&[
            ("vorname", "Erika"),
            ("nachname", "Mustermann"),
            ("geburtsdatum", "12.08.1964"),
            ("anschrift.strasse", "Heidestraße"),
            ("anschrift.hausnummer", "17"),
            ("anschrift.plz", "42651"),
            ("anschrift.ort", "Solingen"),
            ("hauptwohnsitz", main_residence),
        ]);
        form.take_step("person", &sent, answers, today()).unwrap()
    }

    #[test]
    fn a_complete_step_is_taken_with_typed_answers() {
        let form = load(PARKING).unwrap();
        let mut answers = Answers::default();
        assert_eq!(person(&mut answers, &form, "ja"), vec![]);
        assert_eq!(
            answers.0["geburtsdatum"],
            Answer::Date(NaiveDate::from_ymd_opt(1964, 8, 12).unwrap())
        );
        assert_eq!(answers.0["hauptwohnsitz"], Answer::YesNo(true));
        assert_eq!(form.steps_shown(&answers, today()).len(), 3);
    }

    #[test]
    fn conditions_from_outside_read_the_answers_and_the_parts_of_an_address() {
        let form = load(PARKING).unwrap();
        let mut answers = Answers::default();
        person(&mut answers, &form, "ja");
        let south = form
            .condition("starts_with(anschrift.plz, \"426\") and hauptwohnsitz")
            .unwrap();
        assert!(form.meets(&south, &answers, today()));
        let north = form.condition("anschrift.plz in [\"42719\"]").unwrap();
        assert!(!form.meets(&north, &answers, today()));
        let city = form.condition("anschrift.ort == \"Solingen\"").unwrap();
        assert!(form.meets(&city, &answers, today()));
        assert!(
            !form.meets(&city, &Answers::default(), today()),
            "no answer, no match"
        );
        let unknown = form.condition("anschrift.bezirk == \"Mitte\"").unwrap_err();
        assert!(
            unknown.message.contains("no field 'anschrift.bezirk'"),
            "{unknown}"
        );
        let not_a_condition = form.condition("gebuehr").unwrap_err();
        assert!(
            not_a_condition.message.contains("yes/no"),
            "{not_a_condition}"
        );
    }

    #[test]
    fn problems_come_in_page_order_and_nothing_wrong_is_kept() {
        let form = load(PARKING).unwrap();
        let mut answers = Answers::default();
        let sent = post(&[
            ("nachname", "Mustermann"),
            ("geburtsdatum", "31.02.1964"),
            ("anschrift.strasse", "Heidestraße"),
            ("anschrift.plz", "4265"),
            ("anschrift.ort", "Solingen"),
            ("hauptwohnsitz", "vielleicht"),
        ]);
        let problems = form
            .take_step("person", &sent, &mut answers, today())
            .unwrap();
        assert_eq!(
            problems,
            vec![
                ("vorname".into(), FieldProblem::Required),
                (
                    "geburtsdatum".into(),
                    FieldProblem::Invalid(Problem::NotADate)
                ),
                (
                    "anschrift".into(),
                    FieldProblem::Invalid(Problem::NotAPostcode)
                ),
                ("hauptwohnsitz".into(), FieldProblem::NotAnOption),
            ]
        );
        assert_eq!(answers.0.len(), 1, "only the family name was readable");
        person(&mut answers, &form, "ja");
        let typo = post(&[("geburtsdatum", "12.13.1964")]);
        form.take_step("person", &typo, &mut answers, today())
            .unwrap();
        assert_eq!(
            answers.0["geburtsdatum"],
            Answer::Date(NaiveDate::from_ymd_opt(1964, 8, 12).unwrap()),
            "an unreadable date does not wipe the earlier one"
        );
        assert!(
            !answers.0.contains_key("vorname"),
            "an emptied field is emptied"
        );
        let future = post(&[("geburtsdatum", "24.12.2026")]);
        let problems = form
            .take_step("person", &future, &mut answers, today())
            .unwrap();
        assert!(problems.contains(&(
            "geburtsdatum".into(),
            FieldProblem::TooLarge {
                max: Value::Date(today())
            }
        )));
        assert_eq!(
            form.take_step("zahlung", &[], &mut answers, today()),
            Err(UnknownStep("zahlung".into()))
        );
    }

    #[test]
    fn rules_show_hide_and_require_fields() {
        let form = load(PARKING).unwrap();
        let mut answers = Answers::default();
        person(&mut answers, &form, "nein");
        // A company car needs proof; a secondary residence needs reasons (an answer
        // from the step before).
        let company = post(&[
            ("kennzeichen", "sg-ab 123"),
            ("halter", "firma"),
            ("begruendung", "kurz"),
        ]);
        let problems = form
            .take_step("fahrzeug", &company, &mut answers, today())
            .unwrap();
        assert_eq!(
            problems,
            vec![
                ("nachweis_nutzung".into(), FieldProblem::Required),
                ("begruendung".into(), FieldProblem::TooShort { min: 20 }),
            ]
        );
        assert_eq!(answers.0["kennzeichen"], Answer::Text("SG-AB 123".into()));

        // Own car, main residence: the proof and the reasons are hidden, and what was
        // sent for them anyway is not kept.
        person(&mut answers, &form, "ja");
        let own = post(&[
            ("kennzeichen", "SG-AB 123"),
            ("halter", "selbst"),
            ("nachweis_nutzung", "blob:abc"),
            ("begruendung", "ein langer Grund, der nicht gefragt war"),
        ]);
        assert_eq!(
            form.take_step("fahrzeug", &own, &mut answers, today())
                .unwrap(),
            vec![]
        );
        assert!(!answers.0.contains_key("nachweis_nutzung"));
        assert!(!answers.0.contains_key("begruendung"));

        let tampered = post(&[("kennzeichen", "SG-AB 123"), ("halter", "chef")]);
        let problems = form
            .take_step("fahrzeug", &tampered, &mut answers, today())
            .unwrap();
        assert_eq!(problems, vec![("halter".into(), FieldProblem::NotAnOption)]);
    }

    #[test]
    fn fees_are_computed_and_declarations_must_be_ticked() {
        let form = load(PARKING).unwrap();
        let mut answers = Answers::default();
        let unticked = post(&[("jahre", "2")]);
        let problems = form
            .take_step("laufzeit", &unticked, &mut answers, today())
            .unwrap();
        assert_eq!(
            problems,
            vec![("einwilligung".into(), FieldProblem::NotConfirmed)]
        );
        assert_eq!(
            form.computed(&answers, today()),
            vec![("gebuehr".into(), Value::Money(6000))]
        );
        let ticked = post(&[("jahre", "1"), ("einwilligung", "ja")]);
        assert_eq!(
            form.take_step("laufzeit", &ticked, &mut answers, today())
                .unwrap(),
            vec![]
        );
        assert_eq!(form.computed(&answers, today())[0].1, Value::Money(3000));
    }

    #[test]
    fn a_fee_free_purpose_needs_its_proof_and_more_copies_cost_more() {
        let form = load(include_str!("../forms/personenstandsurkunde.json")).unwrap();
        let fee = |answers: &Answers| {
            form.computed(answers, today())
                .into_iter()
                .find(|(id, _)| id == "gebuehr")
                .map(|(_, value)| value)
        };
        // Free of charge for the pension insurance, but only with the letter asking for it.
        let mut answers = Answers::default();
        let unproven = post(&[("art", "geburtsurkunde"), ("zweck", "rente")]);
        let problems = form
            .take_step("urkunde", &unproven, &mut answers, today())
            .unwrap();
        assert_eq!(
            problems,
            vec![("nachweis_gebuehrenfrei".into(), FieldProblem::Required)]
        );
        let proven = post(&[
            ("art", "geburtsurkunde"),
            ("zweck", "rente"),
            ("nachweis_gebuehrenfrei", "blob:brief"),
        ]);
        let problems = form
            .take_step("urkunde", &proven, &mut answers, today())
            .unwrap();
        assert_eq!(problems, vec![]);
        assert_eq!(fee(&answers), Some(Value::Money(0)));

        // For general purposes no proof is asked (nor kept), and three copies cost
        // 12 + 6 + 6 euros.
        let general = post(&[
            ("art", "geburtsurkunde"),
            ("zweck", "allgemein"),
            ("nachweis_gebuehrenfrei", "blob:brief"),
        ]);
        let problems = form
            .take_step("urkunde", &general, &mut answers, today())
            .unwrap();
        assert_eq!(problems, vec![]);
        assert!(!answers.0.contains_key("nachweis_gebuehrenfrei"));
        answers.0.insert("anzahl".into(), Answer::Number(3.0));
        assert_eq!(fee(&answers), Some(Value::Money(2400)));
    }

    #[test]
    fn repeating_groups_are_checked_entry_by_entry() {
        let form = load(
            r#"{ "id": "kinder", "version": 1, "title": "Kinder",
                 "steps": [{ "id": "kinder", "title": "Ihre Kinder", "items": [
                   { "field": { "id": "kinder", "kind": "group", "label": "Kind", "fields": [
                     { "id": "vorname", "kind": "text", "label": "Vorname", "required": true },
                     { "id": "geburtsdatum", "kind": "date", "label": "Geburtsdatum", "max": "today()" },
                     { "id": "schule", "kind": "text", "label": "Schule",
                       "show_if": "years_between(kinder.geburtsdatum, today()) >= 6", "required": true }
                   ] } } ] }],
                 "computed": [{ "id": "anzahl", "type": "number", "value": "count(kinder)" }] }"#,
        )
        .unwrap_or_else(|m| panic!("{m:?}"));
        let mut answers = Answers::default();
        let sent = post(&[
            ("kinder.0.vorname", "Anna"),
            ("kinder.0.geburtsdatum", "01.03.2015"),
            ("kinder.3.vorname", ""),
            ("kinder.3.geburtsdatum", "01.03.2024"),
        ]);
        let problems = form
            .take_step("kinder", &sent, &mut answers, today())
            .unwrap();
        // Anna is at school age and needs her school; the second child (sent as 3,
        // counted as the second) has no name; the toddler's school is not asked.
        assert_eq!(
            problems,
            vec![
                ("kinder.0.schule".into(), FieldProblem::Required),
                ("kinder.1.vorname".into(), FieldProblem::Required),
            ]
        );
        assert_eq!(
            form.computed(&answers, today()),
            vec![("anzahl".into(), Value::Number(2.0))]
        );
    }
}
