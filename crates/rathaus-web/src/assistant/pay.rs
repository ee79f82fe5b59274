//! Paying the fee before sending: the check page's button starts a payment at the
//! payment service and sends the citizen to its payment page; the way back asks the
//! service what happened (the return address proves nothing) and, once paid, sends the
//! application. A failed or cancelled payment leads back to the check page, where the
//! citizen can try again. The payment service's notifications arrive at
//! `/zahlungen/benachrichtigung`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::payments::{
    self, Fee, Order, Payable, Started, State as PaymentState, notification,
};
use rathaus_core::submissions;
use uuid::Uuid;

use super::visitor::Visitor;
use super::{Filling, today};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::state::{AppState, Payments};

/// The fee to pay online before sending, where the town takes payments online and the
/// service wants it paid first.
pub(super) fn owed_before_sending<'a>(
    state: &'a AppState,
    filling: &Filling,
) -> Option<(&'a Payments, Fee)> {
    let payments = state.payments.as_deref()?;
    let fee = payments::fee::due_before_sending(
        &filling.service,
        &filling.form,
        &filling.draft.answers,
        today(),
    )?;
    Some((payments, fee))
}

/// What a page says after the way back from paying (`?zahlung=` names what happened):
/// its alert kind and the text `{prefix}-failed`, `{prefix}-cancelled`, ….
pub(crate) fn note(chrome: &Chrome, prefix: &str, why: &str) -> Option<(&'static str, String)> {
    let (kind, what) = match why {
        "bezahlt" => ("success", "paid"),
        "fehlgeschlagen" => ("danger", "failed"),
        "abgebrochen" => ("warning", "cancelled"),
        "abgelaufen" => ("warning", "expired"),
        "offen" => ("info", "open"),
        "nicht-erreichbar" => ("danger", "unavailable"),
        _ => return None,
    };
    let key = format!("{prefix}-{what}");
    let text = chrome.t.get(&key);
    // A page without a text for it (the check page after "paid") says nothing.
    (text != key).then(|| (kind, text.to_owned()))
}

/// The word for `?zahlung=` after asking about a payment.
pub(crate) fn outcome_word(state: Option<PaymentState>) -> &'static str {
    match state {
        Some(PaymentState::Paid) => "bezahlt",
        Some(PaymentState::Failed) => "fehlgeschlagen",
        Some(PaymentState::Cancelled) => "abgebrochen",
        Some(PaymentState::Expired) => "abgelaufen",
        _ => "offen",
    }
}

/// The payment as the service says it stands now, on the citizen's way back; as it was
/// when the service cannot be asked (the page then says it is still open).
pub(crate) async fn asked_on_return(
    state: &AppState,
    payments: &Payments,
    payment: payments::Payment,
) -> Result<payments::Payment, PageError> {
    Ok(
        match payments::check(&state.db, &payments.provider, &payment).await? {
            Ok(checked) => checked.payment,
            Err(problem) => {
                tracing::warn!(payment = %payment.id, %problem, "payment status unknown on return");
                payment
            }
        },
    )
}

/// Why the check page was shown again after paying (`?zahlung=`).
fn back_to_check(filling: &Filling, why: &str) -> Response {
    Redirect::to(&format!("{}/pruefen?zahlung={why}", filling.base())).into_response()
}

/// "Gebühr bezahlen": to the payment page for what is still owed.
pub async fn start(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let owner = visitor.owner().ok_or(PageError::NotFound)?;
    let filling = match Filling::load(&state, &chrome, &visitor, id).await {
        Ok(filling) => filling,
        Err(response) => return Ok(response),
    };
    if !filling
        .form
        .incomplete_steps(&filling.draft.answers, today())
        .is_empty()
    {
        return Ok(Redirect::to(&format!("{}/pruefen", filling.base())).into_response());
    }
    let Some((payments, fee)) = owed_before_sending(&state, &filling) else {
        return Ok(Redirect::to(&format!("{}/pruefen", filling.base())).into_response());
    };
    let base = crate::account::link_base(&state, &chrome, &headers)?;
    let return_url = format!("{base}{}/bezahlt/{{payment}}", filling.base());
    // Kept with the payment: should the citizen not come back from paying, the
    // application is sent with it (drafts of an account only, see payments::release).
    let sending = match visitor.citizen {
        Some(_) => Some(super::send::sending_of(
            &state, &chrome, &visitor, &headers,
        )?),
        None => None,
    };
    let order = Order {
        tenant: &chrome.tenant,
        payable: Payable::Draft(&filling.draft),
        owner: &owner,
        sending: sending.as_ref(),
        fee: &fee,
        return_url: &return_url,
    };
    match payments::start(&state.db, &payments.provider, order).await? {
        Ok(Started::PayAt(url)) => Ok(Redirect::to(&url).into_response()),
        Ok(Started::Paid) => Ok(back_to_check(&filling, "bezahlt")),
        Err(_) => Ok(back_to_check(&filling, "nicht-erreichbar")),
    }
}

/// Back from the payment page: the service is asked, and a paid fee sends the
/// application.
pub async fn back(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    RequestOrigin(origin): RequestOrigin,
    headers: HeaderMap,
    Path((id, payment_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    let owner = visitor.owner().ok_or(PageError::NotFound)?;
    let Some(payments) = state.payments.clone() else {
        return Err(PageError::NotFound);
    };
    // Someone else's payment, or one of another draft, is not found.
    let Some(payment) = payments::of_owner(state.db.conn(), id, &owner, payment_id).await? else {
        return Err(PageError::NotFound);
    };
    let checked = asked_on_return(&state, &payments, payment).await?;
    // Sent meanwhile (another tab, the return loaded twice): its confirmation.
    let tenant = chrome.tenant.id;
    if let Some(sent) = submissions::sent_before(state.db.conn(), tenant, id, &owner).await? {
        return Ok(Redirect::to(&super::send::confirmation(&sent)).into_response());
    }
    let filling = match Filling::load(&state, &chrome, &visitor, id).await {
        Ok(filling) => filling,
        Err(response) => return Ok(response),
    };
    match PaymentState::parse(&checked.state) {
        Some(PaymentState::Paid) => {
            super::send::send_filled(&state, chrome, &visitor, origin, &headers, filling).await
        }
        other => Ok(back_to_check(&filling, outcome_word(other))),
    }
}

/// A notification from the payment service: signed, fresh, about a transaction of
/// ours; then the service is asked. Refused notifications change nothing.
pub async fn notified(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let Some(payments) = state.payments.clone() else {
        return Err(PageError::NotFound);
    };
    let signature = headers
        .get(notification::HEADER)
        .and_then(|v| v.to_str().ok());
    if let Err(refused) = notification::verify(
        &payments.notification_secret,
        signature,
        &body,
        chrono::Utc::now(),
    ) {
        tracing::warn!(?refused, "payment notification refused");
        return Ok(StatusCode::UNAUTHORIZED.into_response());
    }
    let Ok(said) = serde_json::from_slice::<notification::Notification>(&body) else {
        return Ok(StatusCode::BAD_REQUEST.into_response());
    };
    let found = payments::by_transaction(
        state.db.conn(),
        &payments.provider.name,
        &said.transaction_id,
    )
    .await?;
    let Some(payment) = found else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    match payments::check(&state.db, &payments.provider, &payment).await? {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        // The service can send it again.
        Err(_) => Ok(StatusCode::SERVICE_UNAVAILABLE.into_response()),
    }
}
