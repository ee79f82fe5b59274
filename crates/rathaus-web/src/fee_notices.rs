//! Paying a fee notice (Gebührenbescheid) from "Meine Anträge": the application's page
//! lists the fees set after the decision, and an open one has a button that starts a
//! payment at the payment service. The way back asks the service what happened (the
//! return address proves nothing) and shows the page again with the outcome; the
//! notice is settled and the payment receipt is in the postbox once the money is there.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::cases::Case;
use rathaus_core::drafts::Owner;
use rathaus_core::payments::notices::{self, FeeNotice};
use rathaus_core::payments::{self, Order, Payable, Started, State as PaymentState};
use rathaus_core::submissions;
use rathaus_forms::present::german_amount;
use uuid::Uuid;

use crate::account::CitizenSession;
use crate::applications::own_case;
use crate::assistant::{asked_on_return, outcome_word};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::routes::Access::Citizen;
use crate::routes::Routes;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default()
        .post(
            "/konto/antraege/{reference}/gebuehren/{notice}/bezahlen",
            Citizen,
            pay,
        )
        .get(
            "/konto/antraege/{reference}/gebuehren/{notice}/bezahlt/{payment}",
            Citizen,
            back,
        )
}

/// A fee notice as a line: its amount, and whether it is due (by when) or paid (when).
pub(crate) fn fee_notice_row(chrome: &Chrome, notice: &FeeNotice) -> (String, String) {
    let amount = format!("{} Euro", german_amount(notice.amount_cents));
    let standing = match notice.paid_at {
        Some(at) if !notices::is_open(notice) => chrome
            .t
            .fmt("fee-notice-paid", &[("day", &crate::staff::german_day(at))]),
        _ => chrome.t.fmt(
            "fee-notice-due",
            &[("day", &notice.due_on.format("%d.%m.%Y").to_string())],
        ),
    };
    (amount, standing)
}

/// A fee notice on the applicant's page.
pub struct FeeBox {
    pub id: String,
    pub amount: String,
    pub standing: String,
    pub basis: Option<String>,
    /// Open, and the town takes payments online.
    pub payable: bool,
}

/// The fee notices of the case for its page.
pub(crate) async fn boxes(
    state: &AppState,
    chrome: &Chrome,
    case: &Case,
) -> Result<Vec<FeeBox>, PageError> {
    let online = state.payments.is_some();
    Ok(notices::of_case(state.db.conn(), case.id)
        .await?
        .into_iter()
        .map(|notice| {
            let (amount, standing) = fee_notice_row(chrome, &notice);
            FeeBox {
                id: notice.id.to_string(),
                payable: online && notices::is_open(&notice),
                basis: notice.legal_basis,
                amount,
                standing,
            }
        })
        .collect())
}

/// The notice `id` of the case.
async fn notice_of(state: &AppState, case: &Case, id: Uuid) -> Result<FeeNotice, PageError> {
    notices::of_case(state.db.conn(), case.id)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or(PageError::NotFound)
}

fn back_to_case(reference: &str, why: &str) -> Response {
    Redirect::to(&format!(
        "/konto/antraege/{reference}?zahlung={why}#gebuehren"
    ))
    .into_response()
}

/// "Gebühr bezahlen": to the payment page for what is still owed.
pub async fn pay(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    headers: HeaderMap,
    Path((reference, notice_id)): Path<(String, Uuid)>,
) -> Result<Response, PageError> {
    let case = own_case(&state, chrome.tenant.id, session.citizen.id, &reference).await?;
    let notice = notice_of(&state, &case, notice_id).await?;
    let Some(payments) = state.payments.as_deref() else {
        return Err(PageError::NotFound);
    };
    if !notices::is_open(&notice) {
        return Ok(back_to_case(&case.reference, "bezahlt"));
    }
    // Paying online belongs to an application sent online (a paper case is paid by
    // transfer).
    let submitted = match case.submission_id {
        Some(id) => submissions::read(state.db.conn(), chrome.tenant.id, id).await?,
        None => None,
    };
    let Some(submitted) = submitted else {
        return Err(PageError::NotFound);
    };
    let base = crate::account::link_base(&state, &chrome, &headers)?;
    let return_url = format!(
        "{base}/konto/antraege/{}/gebuehren/{}/bezahlt/{{payment}}",
        case.reference, notice.id
    );
    let fee = notices::fee_of(&notice);
    let order = Order {
        tenant: &chrome.tenant,
        payable: Payable::Notice {
            notice: &notice,
            // The draft the application was sent from, so that every payment of the
            // application is found by it.
            draft_id: submitted
                .row
                .idempotency_key
                .parse()
                .unwrap_or(submitted.row.id),
            submission_id: submitted.row.id,
            service_key: &case.service_key,
        },
        owner: &Owner::Citizen(session.citizen.id),
        // A notice belongs to an application already sent.
        sending: None,
        fee: &fee,
        return_url: &return_url,
    };
    match payments::start(&state.db, &payments.provider, order).await? {
        Ok(Started::PayAt(url)) => Ok(Redirect::to(&url).into_response()),
        Ok(Started::Paid) => Ok(back_to_case(&case.reference, "bezahlt")),
        Err(_) => Ok(back_to_case(&case.reference, "nicht-erreichbar")),
    }
}

/// Back from the payment page: the service is asked, and the page says what happened.
pub async fn back(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    Path((reference, notice_id, payment_id)): Path<(String, Uuid, Uuid)>,
) -> Result<Response, PageError> {
    let case = own_case(&state, chrome.tenant.id, session.citizen.id, &reference).await?;
    let notice = notice_of(&state, &case, notice_id).await?;
    let Some(payments) = state.payments.clone() else {
        return Err(PageError::NotFound);
    };
    let Some(payment) = payments::of_notice(state.db.conn(), notice.id, payment_id).await? else {
        return Err(PageError::NotFound);
    };
    let checked = asked_on_return(&state, &payments, payment).await?;
    let outcome = outcome_word(PaymentState::parse(&checked.state));
    Ok(back_to_case(&case.reference, outcome))
}
