//! Answers filled in before the citizen types: from the account's profile, and from
//! earlier answers of the same form (`prefill: "answer.FIELD"`).
//!
//! Name, birth date and address confirmed by an identity provider (eID) are given as
//! verified: the assistant shows them read-only and the server uses the profile's
//! value whatever a page sends, so a verified identity cannot be changed in a form.

use rathaus_forms::definition::{Field, Form, Kind, Step};
use rathaus_forms::fill::{Address, Answer, Answers};

use crate::citizens::Citizen;

/// A profile value for a prefill source, and whether it is verified.
fn from_profile(citizen: &Citizen, source: &str, kind: Kind) -> Option<(Answer, bool)> {
    let verified = citizen.identity_verified_by.is_some();
    let text = |value: &Option<String>| {
        value
            .as_ref()
            .filter(|v| !v.trim().is_empty())
            .map(|v| Answer::Text(v.clone()))
    };
    let address = |with_street: bool| {
        let postcode = citizen.postcode.clone().unwrap_or_default();
        let city = citizen.city.clone().unwrap_or_default();
        if postcode.is_empty() && city.is_empty() {
            return None;
        }
        let (street, house_number) = if with_street {
            (
                citizen.street.clone().unwrap_or_default(),
                citizen.house_number.clone().unwrap_or_default(),
            )
        } else {
            Default::default()
        };
        Some(Answer::Address(Address {
            street,
            house_number,
            postcode,
            city,
        }))
    };
    let answer = match source {
        "profile.given_name" => (text(&citizen.given_name)?, verified),
        "profile.family_name" => (text(&citizen.family_name)?, verified),
        "profile.full_name" => {
            let full = [&citizen.given_name, &citizen.family_name]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(" ");
            (text(&Some(full))?, verified)
        }
        "profile.birth_date" => (Answer::Date(citizen.birth_date?), verified),
        "profile.address" => (address(kind == Kind::Address)?, verified),
        "profile.postcode_city" => (address(false)?, verified),
        "profile.email" => (Answer::Text(citizen.email.clone()), false),
        "profile.phone" => (text(&citizen.phone)?, false),
        _ => return None,
    };
    // A source that does not fit the field's kind (a date into a text field) is not used.
    let fits = matches!(
        (&answer.0, kind),
        (Answer::Text(_), Kind::Text | Kind::Email | Kind::Phone)
            | (Answer::Date(_), Kind::Date)
            | (Answer::Address(_), Kind::Address | Kind::PostcodeCity)
    );
    fits.then_some(answer)
}

fn all_fields(form: &Form) -> impl Iterator<Item = &Field> {
    form.definition.steps.iter().flat_map(Step::fields)
}

/// The answers a new draft starts with.
pub fn from_account(form: &Form, citizen: Option<&Citizen>) -> Answers {
    let mut answers = Answers::default();
    let Some(citizen) = citizen else {
        return answers;
    };
    for field in all_fields(form) {
        let source = field.prefill.as_deref().unwrap_or_default();
        if let Some((answer, _)) = from_profile(citizen, source, field.kind) {
            answers.0.insert(field.id.clone(), answer);
        }
    }
    answers
}

/// The fields whose answers are verified identity data of the account: shown
/// read-only, and the value always comes from the profile.
pub fn verified(form: &Form, citizen: Option<&Citizen>) -> Vec<(String, Answer)> {
    let Some(citizen) = citizen else {
        return Vec::new();
    };
    all_fields(form)
        .filter_map(|field| {
            let source = field.prefill.as_deref()?;
            match from_profile(citizen, source, field.kind)? {
                (answer, true) => Some((field.id.clone(), answer)),
                (_, false) => None,
            }
        })
        .collect()
}

/// Answers of this step still empty that a field takes from an earlier answer; shown
/// as suggestions, kept only when the page is sent.
pub fn from_earlier_answers(step: &Step, answers: &Answers) -> Answers {
    let mut suggested = Answers::default();
    for field in step.fields() {
        let earlier = field
            .prefill
            .as_deref()
            .and_then(|source| source.strip_prefix("answer."))
            .and_then(|id| answers.0.get(id));
        if let Some(answer) = earlier
            && !answers.0.contains_key(&field.id)
        {
            suggested.0.insert(field.id.clone(), answer.clone());
        }
    }
    suggested
}
