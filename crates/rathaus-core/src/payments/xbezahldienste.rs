//! The XBezahldienste interface (FITKO, standard since November 2023) between an
//! online service and a payment service (ePayBL, pmPayment, epay21 …), as JSON over
//! REST: `POST {base}/paymenttransaction/{originatorId}/{endPointId}` creates a
//! transaction and answers with the payment page to send the citizen to;
//! `GET …/{transactionId}` tells its status (`INITIAL`, `PAYED`, `FAILED`,
//! `CANCELED`). The return to the online service proves nothing: the status is always
//! asked for server to server. Amounts are euros with two decimals. Names follow the
//! standard, including its spellings (`grosAmount`, `PAYED`, `CANCELED`); what the
//! public material leaves open is noted in docs/payments.md.
//!
//! The same types serve the client here and the sandbox payment service in the web
//! crate, which implements the provider side.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A payment request (`paymentRequest`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequest {
    /// Ours, at most 36 characters: the provider refuses a second request with it.
    pub request_id: String,
    /// ISO 8601, UTC.
    pub request_timestamp: String,
    pub currency: String,
    /// The total in euros (the standard's spelling).
    pub gros_amount: f64,
    /// Verwendungszweck: at most 27 characters, letters, digits, spaces, `-`.
    pub purpose: String,
    pub description: String,
    /// Where the payment page sends the citizen back to.
    pub redirect_url: String,
    pub items: Vec<Item>,
}

/// One item of a payment request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub id: String,
    pub reference: String,
    pub description: String,
    /// Percent (fees are not taxed: 0).
    pub tax_rate: f64,
    pub quantity: u32,
    pub single_net_amount: f64,
    pub single_tax_amount: f64,
    pub total_net_amount: f64,
    pub total_tax_amount: f64,
    /// Key–value pairs for booking at the cash office, as agreed with the provider.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub booking_data: BTreeMap<String, String>,
}

/// What the provider says about a transaction (`paymentInformation`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInformation {
    pub transaction_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_url: Option<String>,
    /// The payment page, while the transaction is `INITIAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_redirect_url: Option<String>,
    /// The booking reference, e.g. the Kassenzeichen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_detail: Option<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
}

/// A transaction as the provider answers: the request and its information.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentTransaction {
    pub payment_request: PaymentRequest,
    pub payment_information: PaymentInformation,
}

/// An error answer (`application/problem+json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[serde(default)]
    pub title: String,
    pub status: u16,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub functional_code: String,
}

/// The provider's statuses.
pub const INITIAL: &str = "INITIAL";
pub const PAYED: &str = "PAYED";
pub const FAILED: &str = "FAILED";
pub const CANCELED: &str = "CANCELED";

/// Euros with two decimals, from cents.
pub fn euros(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// Cents from euros as the wire carries them (rounded to the cent).
pub fn cents(euros: f64) -> i64 {
    (euros * 100.0).round() as i64
}

/// How Rathaus proves who it is to the payment service: the standard leaves this to
/// each provider (client certificates, HTTP Basic, OAuth2 bearer tokens).
#[derive(Clone, Debug, Default)]
pub enum Auth {
    #[default]
    None,
    Basic {
        username: String,
        password: String,
    },
    Bearer(String),
}

/// Why the provider could not be used; the citizen is told to try again later.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the payment service cannot be reached: {0}")]
    Unreachable(String),
    #[error("the payment service refused: {} {} ({})", .0.status, .0.title, .0.functional_code)]
    Refused(Problem),
    #[error("the payment service answered something unexpected: {0}")]
    Garbled(String),
}

/// A payment service speaking XBezahldienste.
#[derive(Clone, Debug)]
pub struct Client {
    /// `https://pay.example/api/v1.0.0` (without the trailing slash).
    pub base_url: String,
    pub originator_id: String,
    pub endpoint_id: String,
    pub auth: Auth,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base_url: &str, originator_id: &str, endpoint_id: &str, auth: Auth) -> Self {
        let http = reqwest::Client::builder()
            // A payment service that hangs must not hold the citizen's request.
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with rustls");
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            originator_id: originator_id.to_owned(),
            endpoint_id: endpoint_id.to_owned(),
            auth,
            http,
        }
    }

    fn transactions(&self) -> String {
        format!(
            "{}/paymenttransaction/{}/{}",
            self.base_url, self.originator_id, self.endpoint_id
        )
    }

    fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Auth::None => request,
            Auth::Basic { username, password } => request.basic_auth(username, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
        }
    }

    /// Creates a transaction.
    pub async fn create(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentTransaction, ProviderError> {
        let sent = self
            .authorised(self.http.post(self.transactions()).json(request))
            .send()
            .await;
        answer(sent).await
    }

    /// The transaction's current status.
    pub async fn status(&self, transaction_id: &str) -> Result<PaymentTransaction, ProviderError> {
        let url = format!("{}/{transaction_id}", self.transactions());
        answer(self.authorised(self.http.get(url)).send().await).await
    }
}

async fn answer(
    sent: reqwest::Result<reqwest::Response>,
) -> Result<PaymentTransaction, ProviderError> {
    let response = sent.map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&body).map_err(|e| ProviderError::Garbled(e.to_string()));
    }
    if status.is_server_error() {
        return Err(ProviderError::Unreachable(format!("HTTP {status}")));
    }
    match serde_json::from_slice::<Problem>(&body) {
        Ok(problem) => Err(ProviderError::Refused(problem)),
        Err(_) => Err(ProviderError::Garbled(format!("HTTP {status}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_uses_the_standards_names_and_euros() {
        let request = PaymentRequest {
            request_id: "0191c4f2-0000-7000-8000-000000000001".into(),
            request_timestamp: "2026-12-06T10:00:00Z".into(),
            currency: "EUR".into(),
            gros_amount: euros(6000),
            purpose: "Bewohnerparkausweis".into(),
            description: "Bewohnerparkausweis - Antrag".into(),
            redirect_url: "https://musterstadt.example/zurueck".into(),
            items: vec![Item {
                id: "1".into(),
                reference: "bewohnerparkausweis".into(),
                description: "Bewohnerparkausweis".into(),
                tax_rate: 0.0,
                quantity: 1,
                single_net_amount: euros(6000),
                single_tax_amount: 0.0,
                total_net_amount: euros(6000),
                total_tax_amount: 0.0,
                booking_data: BTreeMap::new(),
            }],
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["grosAmount"], 60.0);
        assert_eq!(json["requestId"], request.request_id.as_str());
        assert_eq!(json["items"][0]["totalNetAmount"], 60.0);
        assert!(json["items"][0].get("bookingData").is_none());
        assert_eq!(cents(json["grosAmount"].as_f64().unwrap()), 6000);
        assert_eq!(cents(euros(1999)), 1999, "no cent lost on the way");
    }
}
