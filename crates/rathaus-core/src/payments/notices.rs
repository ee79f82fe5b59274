//! Fees set after the decision (Gebührenbescheid, `payment: after_decision`). A
//! workflow step that issues the `fee_notice` letter sets the amount, its legal basis and
//! the day it is due; the applicant pays it online from "Meine Anträge" (or by transfer
//! naming the reference). The notice is `open` until its payments add up to the amount;
//! then it is `paid`, the case's timeline says so, and a payment receipt goes to the
//! applicant's postbox. The workflow guard `fee_paid` waits for every notice of a case.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rathaus_forms::present::german_amount;
use rathaus_store::Db;
use rathaus_store::entities::{case, fee_notice, payment};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::{Fee, State};
use crate::error::Result;

pub type FeeNotice = fee_notice::Model;

/// A fee notice is due this many days after it was issued.
pub const PAY_WITHIN_DAYS: i64 = 30;

const OPEN: &str = "open";
const PAID: &str = "paid";

/// The day a fee notice issued on `today` is due.
pub fn due_on(today: NaiveDate) -> NaiveDate {
    today + Duration::days(PAY_WITHIN_DAYS)
}

/// Whether the notice still waits for money.
pub fn is_open(notice: &FeeNotice) -> bool {
    notice.state == OPEN
}

/// A fee notice to record with the letter that sets it.
pub struct NewNotice<'a> {
    pub tenant_id: Uuid,
    pub case_id: Uuid,
    pub issued_document_id: Option<Uuid>,
    pub fee: &'a Fee,
    pub due_on: NaiveDate,
    pub issued_by: &'a str,
}

/// Records a fee notice in the caller's transaction (the step issuing its letter).
pub async fn issue(conn: &impl ConnectionTrait, new: NewNotice<'_>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    fee_notice::ActiveModel {
        id: Set(id),
        tenant_id: Set(new.tenant_id),
        case_id: Set(new.case_id),
        issued_document_id: Set(new.issued_document_id),
        amount_cents: Set(new.fee.cents),
        label: Set(new.fee.label.clone()),
        legal_basis: Set(new.fee.basis.clone()),
        due_on: Set(new.due_on),
        state: Set(OPEN.into()),
        issued_by: Set(new.issued_by.to_owned()),
        created_at: Set(Utc::now()),
        paid_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// The fee notices of a case, oldest first.
pub async fn of_case(conn: &impl ConnectionTrait, case_id: Uuid) -> Result<Vec<FeeNotice>> {
    Ok(fee_notice::Entity::find()
        .filter(fee_notice::Column::CaseId.eq(case_id))
        .order_by_asc(fee_notice::Column::CreatedAt)
        .order_by_asc(fee_notice::Column::Id)
        .all(conn)
        .await?)
}

/// Whether every fee notice of the case is paid (a case without one has nothing owed).
pub async fn all_paid(conn: &impl ConnectionTrait, case_id: Uuid) -> Result<bool> {
    Ok(of_case(conn, case_id).await?.iter().all(|n| !is_open(n)))
}

/// The fee as the payment service is asked for it.
pub fn fee_of(notice: &FeeNotice) -> Fee {
    Fee {
        cents: notice.amount_cents,
        label: notice.label.clone(),
        basis: notice.legal_basis.clone(),
    }
}

/// Marks the notice paid once its payments cover the amount, and then (exactly once,
/// whichever answer of the payment service came first) notes it in the case's timeline
/// and sends the payment receipt to the applicant's postbox. Whether this call did.
pub(super) async fn settle(db: &Db, notice_id: Uuid) -> Result<bool> {
    let settled = fee_notice::Entity::find_by_id(notice_id)
        .one(db.conn())
        .await?
        .is_none_or(|n| !is_open(&n));
    if settled {
        return Ok(false);
    }
    let txn = db.begin_write().await?;
    let Some(notice) = fee_notice::Entity::find_by_id(notice_id).one(&txn).await? else {
        return Ok(false);
    };
    let paid: Vec<payment::Model> = payment::Entity::find()
        .filter(payment::Column::FeeNoticeId.eq(notice_id))
        .filter(payment::Column::State.eq(State::Paid.as_str()))
        .order_by_asc(payment::Column::PaidAt)
        .all(&txn)
        .await?;
    let cents: i64 = paid.iter().map(|p| p.amount_cents).sum();
    if cents < notice.amount_cents {
        return Ok(false);
    }
    let now = Utc::now();
    let changed = fee_notice::Entity::update_many()
        .col_expr(fee_notice::Column::State, Expr::value(PAID))
        .col_expr(fee_notice::Column::PaidAt, Expr::value(now))
        .filter(fee_notice::Column::Id.eq(notice_id))
        .filter(fee_notice::Column::State.eq(OPEN))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(false);
    }
    let entry = crate::cases::Entry::public("fee_paid", "System")
        .details(serde_json::json!({ "cents": cents, "notice": notice_id }));
    crate::cases::record(&txn, notice.case_id, entry).await?;
    let case = case::Entity::find_by_id(notice.case_id).one(&txn).await?;
    let tenant = crate::tenants::by_id(&txn, notice.tenant_id).await?;
    if let (Some(case), Some(tenant)) = (case, tenant) {
        let body = receipt_text(&notice, &paid, now);
        let receipt = crate::postbox::ToApplicant {
            case_id: case.id,
            subject: &format!("Zahlungsbestätigung: {}", case.title),
            body: &body,
            sender: &tenant.name,
            // The applicant has just paid; the receipt needs no e-mail of its own.
            notify: None,
        };
        crate::postbox::send_to_applicant(&txn, &tenant, receipt).await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// Settles the open notices whose money arrived while settling did not happen (the
/// server stopped between recording a payment and settling its notice); for the
/// housekeeping, which runs hourly, so a week back is plenty.
pub(super) async fn settle_missed(db: &Db, now: DateTime<Utc>) -> Result<()> {
    let with_money: std::collections::BTreeSet<Uuid> = payment::Entity::find()
        .filter(payment::Column::State.eq(State::Paid.as_str()))
        .filter(payment::Column::FeeNoticeId.is_not_null())
        .filter(payment::Column::PaidAt.gte(now - Duration::days(7)))
        .all(db.conn())
        .await?
        .into_iter()
        .filter_map(|p| p.fee_notice_id)
        .collect();
    for notice in with_money {
        settle(db, notice).await?;
    }
    Ok(())
}

/// The payment receipt: what was paid, when, for which notice, with the booking
/// reference the cash office knows it by.
fn receipt_text(notice: &FeeNotice, paid: &[payment::Model], at: DateTime<Utc>) -> String {
    let day = |at: DateTime<Utc>| crate::time::local_day(at).format("%d.%m.%Y").to_string();
    let mut text = format!(
        "wir haben Ihre Zahlung erhalten. Die Gebühr „{}“ von {} Euro aus dem \
         Gebührenbescheid vom {} ist damit vollständig bezahlt.",
        notice.label,
        german_amount(notice.amount_cents),
        day(notice.created_at),
    );
    for payment in paid {
        text.push_str(&format!(
            "\n\n{} Euro, bezahlt am {}",
            german_amount(payment.amount_cents),
            day(payment.paid_at.unwrap_or(at))
        ));
        if let Some(method) = &payment.method {
            text.push_str(&format!(" ({method})"));
        }
        if let Some(reference) = &payment.reference {
            text.push_str(&format!(", Buchungsreferenz {reference}"));
        }
        text.push('.');
    }
    text.push_str("\n\nDiese Nachricht ist Ihre Zahlungsbestätigung.");
    text
}
