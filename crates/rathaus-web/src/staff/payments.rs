//! Payments for finance staff (`/verwaltung/zahlungen`): filtered by day, service, state
//! and method, with the paid totals per day and per service, and the same as CSV for
//! the cash system; refunds are recorded per payment (`…/{payment}/erstattung`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::payments::finance::{self, Filter, Listing};
use rathaus_core::payments::refunds::{self, Refund, Refused};
use rathaus_core::payments::{Payment, State as PaymentState};
use rathaus_core::policy::Permission;
use rathaus_forms::present::german_amount;
use serde::Deserialize;

use super::session::StaffSession;
use super::{StaffNav, parse_day};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::routes::{Access::StaffWith, Routes};
use crate::state::AppState;

const PAGE: &str = "/verwaltung/zahlungen";

pub fn routes() -> Routes {
    Routes::default()
        .get(PAGE, StaffWith(Permission::ViewPayments), list)
        .get(
            "/verwaltung/zahlungen.csv",
            StaffWith(Permission::ViewPayments),
            export,
        )
        .get(REFUND, StaffWith(Permission::RefundPayments), refund_form)
        .post(REFUND, StaffWith(Permission::RefundPayments), refund)
}

const REFUND: &str = "/verwaltung/zahlungen/{payment}/erstattung";

/// The filter as typed (empty: no filter).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    von: String,
    #[serde(default)]
    bis: String,
    #[serde(default)]
    leistung: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    zahlungsart: String,
}

impl Typed {
    /// The filter, or `None` when a day or state is not one.
    fn filter(&self) -> Option<Filter> {
        let (Ok(from), Ok(to)) = (parse_day(&self.von), parse_day(&self.bis)) else {
            return None;
        };
        let state = match self.status.trim() {
            "" => None,
            typed => Some(PaymentState::parse(typed)?),
        };
        let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
        Some(Filter {
            from,
            to,
            service: text(&self.leistung),
            state,
            method: text(&self.zahlungsart),
        })
    }

    fn query(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("von", &self.von)
            .append_pair("bis", &self.bis)
            .append_pair("leistung", &self.leistung)
            .append_pair("status", &self.status)
            .append_pair("zahlungsart", &self.zahlungsart)
            .finish()
    }
}

pub struct PaymentRow {
    day: String,
    service: String,
    application: String,
    amount: String,
    state: String,
    method: String,
    reference: String,
    /// "20,00 Euro", if anything was paid back.
    refunded: Option<String>,
    /// The refund page, for those who may record refunds of a paid payment.
    refund_link: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/payments.html")]
pub struct PaymentsPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    typed: Typed,
    states: Vec<(&'static str, String)>,
    bad_filter: bool,
    rows: Vec<PaymentRow>,
    per_day: Vec<(String, String, usize)>,
    per_service: Vec<(String, String, usize)>,
    total: String,
    refunded: String,
    csv: String,
}

fn euro(cents: i64) -> String {
    format!("{} Euro", german_amount(cents))
}

fn page(
    chrome: Chrome,
    session: &StaffSession,
    typed: Typed,
    listing: Option<Listing>,
) -> PaymentsPage {
    let states = PaymentState::ALL
        .into_iter()
        .map(|s| {
            (
                s.as_str(),
                chrome
                    .t
                    .get(&format!("payments-state-{}", s.as_str()))
                    .to_owned(),
            )
        })
        .collect();
    let bad_filter = listing.is_none();
    let listing = listing.unwrap_or_default();
    let state_name = |key: &str| chrome.t.get(&format!("payments-state-{key}")).to_owned();
    let may_refund =
        rathaus_core::policy::require(&session.actor, chrome.tenant.id, Permission::RefundPayments)
            .is_ok();
    PaymentsPage {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        rows: listing
            .rows
            .iter()
            .map(|r| PaymentRow {
                day: r.day.format("%d.%m.%Y").to_string(),
                service: r.payment.service_key.clone(),
                application: r.application.clone().unwrap_or_default(),
                amount: euro(r.payment.amount_cents),
                state: state_name(&r.payment.state),
                method: r.payment.method.clone().unwrap_or_default(),
                reference: r.payment.reference.clone().unwrap_or_default(),
                refunded: (r.refunded_cents > 0).then(|| euro(r.refunded_cents)),
                refund_link: (may_refund && r.payment.state == PaymentState::Paid.as_str())
                    .then(|| format!("{PAGE}/{}/erstattung", r.payment.id)),
            })
            .collect(),
        per_day: listing
            .per_day
            .iter()
            .map(|(d, c, n)| (d.format("%d.%m.%Y").to_string(), euro(*c), *n))
            .collect(),
        per_service: listing
            .per_service
            .iter()
            .map(|(s, c, n)| (s.clone(), euro(*c), *n))
            .collect(),
        total: euro(listing.total_cents),
        refunded: euro(listing.refunded_cents),
        csv: format!("/verwaltung/zahlungen.csv?{}", typed.query()),
        typed,
        states,
        bad_filter,
        chrome,
    }
}

pub async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Query(typed): Query<Typed>,
) -> Result<Response, PageError> {
    let Some(filter) = typed.filter() else {
        let shown = page(chrome, &session, typed, None);
        return Ok((StatusCode::BAD_REQUEST, shown).into_response());
    };
    let tenant = chrome.tenant.id;
    let listing = finance::list(&state.db, &session.actor, &origin, tenant, &filter).await?;
    Ok(page(chrome, &session, typed, Some(listing)).into_response())
}

pub async fn export(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Query(typed): Query<Typed>,
) -> Result<Response, PageError> {
    let filter = typed
        .filter()
        .ok_or_else(|| PageError::BadRequest(chrome.t.get("payments-bad-filter").to_owned()))?;
    let tenant = chrome.tenant.id;
    let listing = finance::list(&state.db, &session.actor, &origin, tenant, &filter).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"zahlungen.csv\"".to_owned(),
            ),
        ],
        finance::csv(&listing),
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/refund.html")]
pub struct RefundPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    action: String,
    service: String,
    application: String,
    amount: String,
    reference: String,
    paid_on: String,
    /// Earlier refunds: (day, amount, reason, who).
    refunds: Vec<(String, String, String, String)>,
    /// What is left to pay back.
    left: String,
    /// Paid and not yet wholly paid back.
    refundable: bool,
    typed_amount: String,
    typed_reason: String,
    /// Just recorded.
    done: bool,
    errors: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
pub struct RefundQuery {
    erfasst: Option<String>,
}

#[derive(Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    betrag: String,
    #[serde(default)]
    grund: String,
}

/// The payment `id` of the town, as finance staff may see it.
async fn payment_of(
    state: &AppState,
    chrome: &Chrome,
    session: &StaffSession,
    id: &str,
) -> Result<Payment, PageError> {
    let id = uuid::Uuid::parse_str(id).map_err(|_| PageError::NotFound)?;
    refunds::payment_of(state.db.conn(), &session.actor, chrome.tenant.id, id)
        .await?
        .ok_or(PageError::NotFound)
}

async fn refund_page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    payment: Payment,
    typed: RefundForm,
    done: bool,
    errors: Vec<(&'static str, String)>,
) -> Result<RefundPage, PageError> {
    let conn = state.db.conn();
    let earlier = refunds::of_payment(conn, payment.id).await?;
    let left = payment.amount_cents - earlier.iter().map(|r| r.amount_cents).sum::<i64>();
    let application = match payment.submission_id {
        Some(id) => rathaus_core::submissions::read(conn, chrome.tenant.id, id)
            .await?
            .map(|s| s.row.reference),
        None => None,
    };
    let refundable = payment.state == PaymentState::Paid.as_str() && left > 0;
    Ok(RefundPage {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        action: format!("{PAGE}/{}/erstattung", payment.id),
        service: payment.service_key.clone(),
        application: application.unwrap_or_default(),
        amount: euro(payment.amount_cents),
        reference: payment.reference.clone().unwrap_or_default(),
        paid_on: payment.paid_at.map(super::german_day).unwrap_or_default(),
        refunds: earlier
            .into_iter()
            .map(|r| {
                (
                    super::german_day(r.refunded_at),
                    euro(r.amount_cents),
                    r.reason,
                    r.refunded_by,
                )
            })
            .collect(),
        typed_amount: if typed.betrag.is_empty() && refundable {
            german_amount(left)
        } else {
            typed.betrag
        },
        typed_reason: typed.grund,
        left: euro(left.max(0)),
        refundable,
        done,
        errors,
        chrome,
    })
}

pub async fn refund_form(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Path(id): Path<String>,
    Query(query): Query<RefundQuery>,
) -> Result<RefundPage, PageError> {
    let payment = payment_of(&state, &chrome, &session, &id).await?;
    let typed = RefundForm {
        betrag: String::new(),
        grund: String::new(),
    };
    let done = query.erfasst.is_some();
    refund_page(&state, chrome, &session, payment, typed, done, Vec::new()).await
}

/// Records a refund; a refused one shows the page again with what was typed.
pub async fn refund(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
    Form(typed): Form<RefundForm>,
) -> Result<Response, PageError> {
    let payment = payment_of(&state, &chrome, &session, &id).await?;
    let cents = rathaus_forms::values::amount(&typed.betrag).unwrap_or(0);
    let asked = Refund {
        cents,
        reason: &typed.grund,
    };
    let refused = match refunds::record(&state.db, &session.actor, &origin, &payment, asked).await?
    {
        Ok(_) => {
            let back = format!("{PAGE}/{}/erstattung?erfasst=1", payment.id);
            return Ok(Redirect::to(&back).into_response());
        }
        Err(refused) => refused,
    };
    let (field, message) = match refused {
        Refused::NotPaid => ("betrag", chrome.t.get("refund-not-paid").to_owned()),
        Refused::ReasonMissing => ("grund", chrome.t.get("refund-reason-missing").to_owned()),
        Refused::Amount => {
            let left = euro(refunds::left(state.db.conn(), &payment).await?);
            (
                "betrag",
                chrome.t.fmt("refund-amount-invalid", &[("left", &left)]),
            )
        }
    };
    let page = refund_page(
        &state,
        chrome,
        &session,
        payment,
        typed,
        false,
        vec![(field, message)],
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
