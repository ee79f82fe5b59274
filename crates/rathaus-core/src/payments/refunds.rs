//! Money paid back (Erstattung), recorded by finance staff against a paid payment:
//! amount, reason, who and when; several partial refunds add up to at most what was
//! paid. The XBezahldienste operations Rathaus follows (create, status) include no
//! refund, so the cash office pays the money back through the payment service's own
//! back office; Rathaus keeps the record that the finance list and the CSV show. Recording is audited (`payment.refund`).

use std::collections::BTreeMap;

use chrono::Utc;
use rathaus_store::Db;
use rathaus_store::entities::{payment, payment_refund};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{Payment, State};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::Result;
use crate::policy::{self, Permission};

pub type Refunded = payment_refund::Model;

/// A refund as finance staff enter it.
pub struct Refund<'a> {
    pub cents: i64,
    pub reason: &'a str,
}

/// Why a refund was not recorded (nothing was written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Only money that arrived can be paid back.
    NotPaid,
    /// At least a cent, and no more than is left of the payment.
    Amount,
    /// A refund says why.
    ReasonMissing,
}

/// The payment `id` of the tenant, for staff who may see payments.
pub async fn payment_of(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<Payment>> {
    policy::require(actor, tenant_id, Permission::ViewPayments)?;
    Ok(payment::Entity::find_by_id(id)
        .filter(payment::Column::TenantId.eq(tenant_id))
        .one(conn)
        .await?)
}

/// The refunds of a payment, oldest first.
pub async fn of_payment(conn: &impl ConnectionTrait, payment_id: Uuid) -> Result<Vec<Refunded>> {
    let mut found = payment_refund::Entity::find()
        .filter(payment_refund::Column::PaymentId.eq(payment_id))
        .all(conn)
        .await?;
    found.sort_by_key(|r| (r.refunded_at, r.id));
    Ok(found)
}

/// What can still be paid back of `payment`, in cents.
pub async fn left(conn: &impl ConnectionTrait, payment: &Payment) -> Result<i64> {
    let refunded: i64 = of_payment(conn, payment.id)
        .await?
        .iter()
        .map(|r| r.amount_cents)
        .sum();
    Ok((payment.amount_cents - refunded).max(0))
}

/// What was paid back per payment, in cents.
pub async fn totals(
    conn: &impl ConnectionTrait,
    payments: impl IntoIterator<Item = Uuid>,
) -> Result<BTreeMap<Uuid, i64>> {
    let mut totals = BTreeMap::new();
    let ids: Vec<Uuid> = payments.into_iter().collect();
    // In chunks: a database takes only so many parameters at once.
    for chunk in ids.chunks(500) {
        for refund in payment_refund::Entity::find()
            .filter(payment_refund::Column::PaymentId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            *totals.entry(refund.payment_id).or_default() += refund.amount_cents;
        }
    }
    Ok(totals)
}

/// Records a refund of `payment`, for staff who may record refunds.
pub async fn record(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    payment: &Payment,
    refund: Refund<'_>,
) -> Result<std::result::Result<Uuid, Refused>> {
    policy::require(actor, payment.tenant_id, Permission::RefundPayments)?;
    let reason = refund.reason.trim();
    if reason.is_empty() {
        return Ok(Err(Refused::ReasonMissing));
    }
    let txn = db.begin_write().await?;
    // Touching the payment first makes refunds of one payment take turns (a row lock
    // in PostgreSQL, the write lock in SQLite), so two at once cannot exceed it.
    let paid = payment::Entity::update_many()
        .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payment::Column::Id.eq(payment.id))
        .filter(payment::Column::State.eq(State::Paid.as_str()))
        .exec(&txn)
        .await?;
    if paid.rows_affected != 1 {
        return Ok(Err(Refused::NotPaid));
    }
    if refund.cents < 1 || refund.cents > left(&txn, payment).await? {
        return Ok(Err(Refused::Amount));
    }
    let id = Uuid::now_v7();
    payment_refund::ActiveModel {
        id: Set(id),
        tenant_id: Set(payment.tenant_id),
        payment_id: Set(payment.id),
        amount_cents: Set(refund.cents),
        reason: Set(reason.to_owned()),
        refunded_by: Set(actor.name.clone()),
        refunded_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let event = Event::new("payment.refund", "payment")
        .object(payment.id)
        .details(serde_json::json!({ "cents": refund.cents, "refund": id }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(id))
}
