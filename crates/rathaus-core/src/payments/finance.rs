//! What finance staff see: the town's payments filtered by day, service, state and
//! method, each with its booking reference (Kassenzeichen) and the application it paid
//! for, the paid totals per day and per service, and the same as CSV for the cash
//! system. A payment's day is the day it was paid, or made if it was not. Reading the
//! list is audited (it says who applied for what).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rathaus_store::Db;
use rathaus_store::entities::{payment, submission};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{Payment, State};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::Result;
use crate::policy::{self, Permission};

/// Which payments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub service: Option<String>,
    pub state: Option<State>,
    pub method: Option<String>,
}

/// A payment with the reference of the application it paid for.
#[derive(Clone, Debug)]
pub struct Row {
    pub payment: Payment,
    /// The day it counts on (paid, else made), in the town's time.
    pub day: NaiveDate,
    pub application: Option<String>,
    /// Paid back so far (refunds), in cents.
    pub refunded_cents: i64,
}

/// The payments and the paid totals.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    /// Newest first.
    pub rows: Vec<Row>,
    /// Paid per day: (day, cents, count), oldest first.
    pub per_day: Vec<(NaiveDate, i64, usize)>,
    /// Paid per service: (service key, cents, count), by key.
    pub per_service: Vec<(String, i64, usize)>,
    pub total_cents: i64,
    /// Paid back of the listed payments, in cents.
    pub refunded_cents: i64,
}

/// The tenant's payments as `filter` says, for staff who may see payments.
pub async fn list(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    filter: &Filter,
) -> Result<Listing> {
    policy::require(actor, tenant_id, Permission::ViewPayments)?;
    let mut query = payment::Entity::find().filter(payment::Column::TenantId.eq(tenant_id));
    // A day in the town's time is at most a day off UTC; the exact day is checked below.
    if let Some(from) = filter.from {
        query = query.filter(
            payment::Column::UpdatedAt.gte(crate::time::start_of_day(from - Duration::days(1))),
        );
    }
    if let Some(to) = filter.to {
        query = query.filter(
            payment::Column::CreatedAt.lt(crate::time::start_of_day(to + Duration::days(2))),
        );
    }
    if let Some(service) = &filter.service {
        query = query.filter(payment::Column::ServiceKey.eq(service.as_str()));
    }
    if let Some(state) = filter.state {
        query = query.filter(payment::Column::State.eq(state.as_str()));
    }
    if let Some(method) = &filter.method {
        query = query.filter(payment::Column::Method.eq(method.as_str()));
    }
    let found = query
        .order_by_desc(payment::Column::CreatedAt)
        .all(db.conn())
        .await?;
    let submissions: Vec<Uuid> = found.iter().filter_map(|p| p.submission_id).collect();
    let references: BTreeMap<Uuid, String> = submission::Entity::find()
        .filter(submission::Column::Id.is_in(submissions))
        .all(db.conn())
        .await?
        .into_iter()
        .map(|s| (s.id, s.reference))
        .collect();
    let refunded = super::refunds::totals(db.conn(), found.iter().map(|p| p.id)).await?;
    let mut listing = Listing::default();
    let mut per_day: BTreeMap<NaiveDate, (i64, usize)> = BTreeMap::new();
    let mut per_service: BTreeMap<String, (i64, usize)> = BTreeMap::new();
    for payment in found {
        let day = crate::time::local_day(payment.paid_at.unwrap_or(payment.created_at));
        let inside =
            filter.from.is_none_or(|from| day >= from) && filter.to.is_none_or(|to| day <= to);
        if !inside {
            continue;
        }
        if payment.state == State::Paid.as_str() {
            let entry = per_day.entry(day).or_default();
            entry.0 += payment.amount_cents;
            entry.1 += 1;
            let entry = per_service.entry(payment.service_key.clone()).or_default();
            entry.0 += payment.amount_cents;
            entry.1 += 1;
            listing.total_cents += payment.amount_cents;
        }
        let application = payment
            .submission_id
            .and_then(|id| references.get(&id).cloned());
        let refunded_cents = refunded.get(&payment.id).copied().unwrap_or(0);
        listing.refunded_cents += refunded_cents;
        listing.rows.push(Row {
            payment,
            day,
            application,
            refunded_cents,
        });
    }
    listing.per_day = per_day.into_iter().map(|(d, (c, n))| (d, c, n)).collect();
    listing.per_service = per_service
        .into_iter()
        .map(|(s, (c, n))| (s, c, n))
        .collect();
    let event = Event::new("payment.list", "tenant")
        .object(tenant_id)
        .details(serde_json::json!({ "rows": listing.rows.len() }));
    audit::record_now(db, actor, origin, event).await?;
    Ok(listing)
}

/// The listing as CSV for the cash system: one line per payment, amounts in euros with
/// a decimal comma.
pub fn csv(listing: &Listing) -> String {
    let mut out = crate::csv::line(&[
        "tag",
        "leistung",
        "aktenzeichen",
        "betrag",
        "waehrung",
        "status",
        "zahlungsart",
        "kassenzeichen",
        "transaktion",
        "bezahldienst",
        "verwendungszweck",
        "erstattet",
    ]);
    for row in &listing.rows {
        let p = &row.payment;
        out.push_str(&crate::csv::line(&[
            row.day.format("%d.%m.%Y").to_string(),
            p.service_key.clone(),
            row.application.clone().unwrap_or_default(),
            cents_text(p.amount_cents),
            p.currency.clone(),
            p.state.clone(),
            p.method.clone().unwrap_or_default(),
            p.reference.clone().unwrap_or_default(),
            p.transaction_id.clone().unwrap_or_default(),
            p.provider.clone(),
            p.purpose.clone(),
            cents_text(row.refunded_cents),
        ]));
    }
    out
}

/// Cents as the cash system reads euros: "60,00", without grouping.
fn cents_text(cents: i64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
}
