//! Payments for finance staff (`/verwaltung/zahlungen`): filtered by day, service, state
//! and method, with the paid totals per day and per service, and the same as CSV for
//! the cash system.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rathaus_core::payments::State as PaymentState;
use rathaus_core::payments::finance::{self, Filter, Listing};
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
}

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
