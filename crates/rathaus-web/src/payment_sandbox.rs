//! The sandbox payment service: the provider side of XBezahldienste inside Rathaus, so
//! that paying runs offline — in the demo and in the tests. It answers only where the
//! installation's payment service is the sandbox (never in production unless set so).
//!
//! It checks requests as a payment service does (ids and lengths, `EUR`, the total
//! against the items, a request id used twice), keeps its transactions in
//! `sandbox_transactions`, and offers a payment page with "pay", "fail" and "cancel".
//! After the choice it sends the citizen back and, unless the page was told not to, signs
//! a notification to Rathaus (an extension of the standard, see `payments::notification`).
//! No money moves.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use rathaus_core::payments::notification::{self, Notification};
use rathaus_core::payments::xbezahldienste::{
    self as xb, PaymentInformation, PaymentRequest, PaymentTransaction, Problem,
};
use rathaus_forms::present::german_amount;
use rathaus_store::entities::sandbox_transaction;
use rathaus_store::sea_orm::sea_query::Expr;
use rathaus_store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::routes::{Access::Public, Routes};
use crate::state::AppState;

/// The sandbox's XBezahldienste base address (below the Rathaus address).
pub const API: &str = "/sandbox/xbezahldienste";
const PAGE: &str = "/sandbox/bezahlen";

pub fn routes() -> Routes {
    Routes::default()
        .post(
            "/sandbox/xbezahldienste/paymenttransaction/{originator}/{endpoint}",
            Public,
            create,
        )
        .get(
            "/sandbox/xbezahldienste/paymenttransaction/{originator}/{endpoint}/{transaction}",
            Public,
            status,
        )
        .get("/sandbox/bezahlen/{transaction}", Public, page)
        .post("/sandbox/bezahlen/{transaction}", Public, choose)
}

fn enabled(state: &AppState) -> Result<&crate::state::Payments, PageError> {
    state
        .payments
        .as_deref()
        .filter(|p| p.sandbox)
        .ok_or(PageError::NotFound)
}

fn problem(status: StatusCode, code: &str, detail: &str) -> Response {
    let body = Problem {
        title: status.canonical_reason().unwrap_or_default().to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        functional_code: code.to_owned(),
    };
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/problem+json")],
        serde_json::to_vec(&body).expect("a problem serialises"),
    )
        .into_response()
}

/// An id of the standard: 1 to 36 letters, digits, `_` or `-`.
fn id_ok(id: &str) -> bool {
    (1..=36).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// What is wrong with a request, as a payment service would say it.
fn mistake(request: &PaymentRequest) -> Option<(&'static str, String)> {
    let validation = |what: &str| Some(("VALIDATION_ERROR", what.to_owned()));
    if !id_ok(&request.request_id) {
        return validation("requestId must be 1 to 36 letters, digits, '_' or '-'");
    }
    if request.currency != "EUR" {
        return validation("only EUR is supported");
    }
    let purpose_ok = request.purpose.chars().count() <= 27
        && request
            .purpose
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    if !purpose_ok {
        return validation("purpose: at most 27 letters, digits, spaces or '-'");
    }
    if request.description.chars().count() > 250 {
        return validation("description: at most 250 characters");
    }
    let url_ok = request.redirect_url.len() <= 2082
        && (request.redirect_url.starts_with("https://")
            || request.redirect_url.starts_with("http://"));
    if !url_ok {
        return validation("redirectUrl must be an http(s) address");
    }
    if !(1..=99).contains(&request.items.len()) {
        return validation("1 to 99 items");
    }
    let cents = xb::cents;
    let mut total = 0;
    for item in &request.items {
        let single = cents(item.single_net_amount) + cents(item.single_tax_amount);
        let line = cents(item.total_net_amount) + cents(item.total_tax_amount);
        if item.quantity == 0 || single * i64::from(item.quantity) != line {
            return Some((
                "CALCULATION_ERROR",
                format!("item {}: the total is not quantity × price", item.id),
            ));
        }
        total += line;
    }
    if total != cents(request.gros_amount) || total <= 0 {
        return Some((
            "CALCULATION_ERROR",
            "grosAmount is not the sum of the items".into(),
        ));
    }
    None
}

fn information(
    state: &AppState,
    chrome: &Chrome,
    headers: &HeaderMap,
    row: &sandbox_transaction::Model,
) -> Result<PaymentInformation, PageError> {
    let base = crate::account::link_base(state, chrome, headers)?;
    Ok(PaymentInformation {
        transaction_id: row.id.clone(),
        transaction_url: Some(format!(
            "{base}{API}/paymenttransaction/{}/{}/{}",
            row.originator_id, row.endpoint_id, row.id
        )),
        transaction_redirect_url: (row.status == xb::INITIAL)
            .then(|| format!("{base}{PAGE}/{}", row.id)),
        transaction_reference: row.reference.clone(),
        transaction_timestamp: row
            .finished_at
            .filter(|_| row.status == xb::PAYED)
            .map(|at| at.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        payment_method: row.method.clone(),
        payment_method_detail: None,
        status: row.status.clone(),
        status_detail: None,
    })
}

fn transaction(
    state: &AppState,
    chrome: &Chrome,
    headers: &HeaderMap,
    row: &sandbox_transaction::Model,
) -> Result<Response, PageError> {
    let request: PaymentRequest = serde_json::from_str(&row.request)
        .map_err(|e| PageError::Internal(format!("stored sandbox request: {e}")))?;
    Ok(Json(PaymentTransaction {
        payment_request: request,
        payment_information: information(state, chrome, headers, row)?,
    })
    .into_response())
}

/// `POST …/paymenttransaction/{originatorId}/{endPointId}`
pub async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: HeaderMap,
    Path((originator, endpoint)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    enabled(&state)?;
    if !id_ok(&originator) || !id_ok(&endpoint) {
        return Ok(problem(
            StatusCode::BAD_REQUEST,
            "NO_VALID_ORIGINATOR_OR_ENDPOINT",
            "originatorId and endPointId: 1 to 36 letters, digits, '_' or '-'",
        ));
    }
    let request: PaymentRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return Ok(problem(
                StatusCode::BAD_REQUEST,
                "VALIDATION_ERROR",
                &e.to_string(),
            ));
        }
    };
    if let Some((code, detail)) = mistake(&request) {
        return Ok(problem(StatusCode::BAD_REQUEST, code, &detail));
    }
    let row = sandbox_transaction::ActiveModel {
        id: Set(format!("SBX-{}", uuid::Uuid::now_v7().simple())),
        originator_id: Set(originator),
        endpoint_id: Set(endpoint),
        request_id: Set(request.request_id.clone()),
        request: Set(serde_json::to_string(&request).expect("a request serialises")),
        status: Set(xb::INITIAL.into()),
        reference: Set(None),
        method: Set(None),
        created_at: Set(Utc::now()),
        finished_at: Set(None),
    };
    // The unique index on the request id is the idempotency check.
    match row.insert(state.db.conn()).await {
        Ok(row) => transaction(&state, &chrome, &headers, &row),
        Err(_) => Ok(problem(
            StatusCode::CONFLICT,
            "PAYMENT_EXISTS",
            "a payment with this requestId exists",
        )),
    }
}

async fn find(state: &AppState, id: &str) -> Result<sandbox_transaction::Model, PageError> {
    sandbox_transaction::Entity::find_by_id(id.to_owned())
        .one(state.db.conn())
        .await
        .map_err(rathaus_core::error::CoreError::from)?
        .ok_or(PageError::NotFound)
}

/// `GET …/paymenttransaction/{originatorId}/{endPointId}/{transactionId}`
pub async fn status(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: HeaderMap,
    Path((originator, endpoint, id)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    enabled(&state)?;
    let row = find(&state, &id).await?;
    if row.originator_id != originator || row.endpoint_id != endpoint {
        return Err(PageError::NotFound);
    }
    transaction(&state, &chrome, &headers, &row)
}

#[derive(Template, WebTemplate)]
#[template(path = "sandbox/pay.html")]
pub struct PayPage {
    chrome: Chrome,
    action: String,
    amount: String,
    purpose: String,
    description: String,
    open: bool,
    back: String,
}

/// The payment page.
pub async fn page(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<PayPage, PageError> {
    enabled(&state)?;
    let row = find(&state, &id).await?;
    let request: PaymentRequest = serde_json::from_str(&row.request)
        .map_err(|e| PageError::Internal(format!("stored sandbox request: {e}")))?;
    Ok(PayPage {
        chrome,
        action: format!("{PAGE}/{}", row.id),
        amount: format!("{} Euro", german_amount(xb::cents(request.gros_amount))),
        purpose: request.purpose,
        description: request.description,
        open: row.status == xb::INITIAL,
        back: request.redirect_url,
    })
}

#[derive(Deserialize)]
pub struct Choice {
    ergebnis: String,
    /// Unticked: no notification is sent (to try the return on its own).
    #[serde(default)]
    benachrichtigen: Option<String>,
}

/// The citizen's choice: paid, failed or cancelled (once); back to Rathaus.
pub async fn choose(
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::Form(choice): axum::Form<Choice>,
) -> Result<Response, PageError> {
    let payments = enabled(&state)?.clone();
    let row = find(&state, &id).await?;
    let (status, method) = match choice.ergebnis.as_str() {
        "bezahlen" => (xb::PAYED, Some("CREDITCARD")),
        "fehlschlagen" => (xb::FAILED, None),
        "abbrechen" => (xb::CANCELED, None),
        _ => return Err(PageError::BadRequest("unknown choice".into())),
    };
    let reference = (status == xb::PAYED).then(|| {
        // A Kassenzeichen as cash systems print them: digits in groups.
        let digits = uuid::Uuid::now_v7().as_u128() % 1_000_000_000_000;
        format!(
            "KZ-{:04}-{:04}-{:04}",
            digits / 100_000_000,
            digits / 10_000 % 10_000,
            digits % 10_000
        )
    });
    sandbox_transaction::Entity::update_many()
        .col_expr(sandbox_transaction::Column::Status, Expr::value(status))
        .col_expr(
            sandbox_transaction::Column::Reference,
            Expr::value(reference),
        )
        .col_expr(
            sandbox_transaction::Column::Method,
            Expr::value(method.map(str::to_owned)),
        )
        .col_expr(
            sandbox_transaction::Column::FinishedAt,
            Expr::value(Utc::now()),
        )
        .filter(sandbox_transaction::Column::Id.eq(&row.id))
        .filter(sandbox_transaction::Column::Status.eq(xb::INITIAL))
        .exec(state.db.conn())
        .await
        .map_err(rathaus_core::error::CoreError::from)?;
    let request: PaymentRequest = serde_json::from_str(&row.request)
        .map_err(|e| PageError::Internal(format!("stored sandbox request: {e}")))?;
    if choice.benachrichtigen.is_some() {
        notify(
            &payments.notification_secret,
            &request.redirect_url,
            &row.id,
        );
    }
    Ok(Redirect::to(&request.redirect_url).into_response())
}

/// Tells Rathaus (at the origin of the return address) in the background, racing the
/// citizen's return as a real service's notification would.
fn notify(secret: &[u8], return_url: &str, transaction_id: &str) {
    let Ok(url) = url::Url::parse(return_url) else {
        return;
    };
    let target = format!(
        "{}/zahlungen/benachrichtigung",
        url.origin().ascii_serialization()
    );
    let body = serde_json::to_vec(&Notification {
        transaction_id: transaction_id.to_owned(),
    })
    .expect("a notification serialises");
    let signature = notification::sign(secret, Utc::now(), &body);
    tokio::spawn(async move {
        let sent = reqwest::Client::new()
            .post(&target)
            .header(notification::HEADER, signature)
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        if let Err(e) = sent {
            tracing::warn!(%target, error = %e, "sandbox notification not delivered");
        }
    });
}
