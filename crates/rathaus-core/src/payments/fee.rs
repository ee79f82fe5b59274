//! What an application costs. A form that computes its fee from the answers names it
//! `gebuehr` (money) — per year, per copy, reduced with proof; otherwise the service's
//! fixed `fee_cents` counts. The amount is always computed here on the server from the
//! stored answers: nothing the browser sends can change it.

use chrono::NaiveDate;
use rathaus_forms::definition::Form;
use rathaus_forms::expr::Value;
use rathaus_forms::fill::Answers;
use serde::{Deserialize, Serialize};

use crate::catalog::Service;

/// The id of the computed value that is a form's fee.
pub const COMPUTED_FEE: &str = "gebuehr";

/// A fee to pay, with what it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub cents: i64,
    /// What the fee is for ("Bewohnerparkausweis").
    pub label: String,
    /// The legal basis, shown before the applicant commits.
    pub basis: Option<String>,
}

/// The fee to pay before the application is sent: where the service wants it paid first
/// (`payment: before`) and it costs anything.
pub fn due_before_sending(
    service: &Service,
    form: &Form,
    answers: &Answers,
    today: NaiveDate,
) -> Option<Fee> {
    if service.payment != crate::catalog::PaymentTiming::Before {
        return None;
    }
    of(service, form, answers, today)
}

/// The fee of an application for `service` with these answers, if it costs anything.
pub fn of(service: &Service, form: &Form, answers: &Answers, today: NaiveDate) -> Option<Fee> {
    let computed = form
        .computed(answers, today)
        .into_iter()
        .find_map(|(id, value)| match value {
            Value::Money(cents) if id == COMPUTED_FEE => Some(cents),
            _ => None,
        });
    let cents = computed.or(service.fee_cents).filter(|c| *c > 0)?;
    Some(Fee {
        cents,
        label: service.name.clone(),
        basis: service.legal_basis.clone(),
    })
}
