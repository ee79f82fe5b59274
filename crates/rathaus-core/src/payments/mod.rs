//! Fees paid online: before an application is sent (`payment: before` in the catalog),
//! or after the decision for a fee notice (`notices`, `payment: after_decision`).
//!
//! A payment is made for a draft or a fee notice: Rathaus creates it (`created`), asks the payment
//! service for a transaction and sends the citizen to its payment page (`pending`). When
//! the citizen comes back, when the service notifies, or when the housekeeping asks
//! about a payment left open, Rathaus asks the service for the status server to server
//! and records it: `paid` (with the booking reference and method), `failed`, `cancelled`,
//! or after a day without an answer `expired`. Each change is a conditional update from
//! an open state, so the return and the notification racing each other record a payment
//! once. The request id sent to the service is the payment's idempotency key, and a
//! transaction id is unique per service. A failed or cancelled payment can be tried
//! again: a new payment for what is still owed. No card or bank data passes through
//! Rathaus.

pub mod fee;
pub mod finance;
pub mod notices;
pub mod notification;
pub mod refunds;
pub mod release;
pub mod xbezahldienste;

use chrono::{DateTime, Duration, Utc};
use rathaus_store::Db;
use rathaus_store::entities::payment;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::drafts::{Draft, Owner};
use crate::error::{CoreError, Result};
use crate::tenants::Tenant;
pub use fee::Fee;
use xbezahldienste::{Client, PaymentInformation, ProviderError};

pub type Payment = payment::Model;

/// Where a payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Created,
    Pending,
    Paid,
    Failed,
    Cancelled,
    Expired,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Created,
        State::Pending,
        State::Paid,
        State::Failed,
        State::Cancelled,
        State::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Created => "created",
            State::Pending => "pending",
            State::Paid => "paid",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
            State::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still waiting for the citizen or the service.
    pub fn is_open(self) -> bool {
        matches!(self, State::Created | State::Pending)
    }
}

/// A payment left open this long is asked about by the housekeeping…
pub const CHECK_AFTER: Duration = Duration::minutes(15);
/// …and given up after this long without being paid.
pub const EXPIRES_AFTER: Duration = Duration::hours(24);

/// Who a draft's payment belongs to, as stored (a browser's token only as a hash).
pub fn owner_key(owner: &Owner) -> String {
    match owner {
        Owner::Citizen(id) => format!("citizen:{id}"),
        Owner::Browser(token) => format!("browser:{}", hex::encode(Sha256::digest(token))),
    }
}

/// The payment service of the installation: its client and its name in `payments`.
#[derive(Clone, Debug)]
pub struct Provider {
    /// `sandbox` or `xbezahldienste`.
    pub name: String,
    pub client: Client,
}

/// What [`start`] leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Started {
    /// Send the citizen to the payment page.
    PayAt(String),
    /// Nothing is owed any more.
    Paid,
}

/// The service cannot take the payment now; the draft stays as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable(pub String);

/// What was paid for the draft so far, in cents.
pub async fn paid_for(conn: &impl ConnectionTrait, draft_id: Uuid) -> Result<i64> {
    Ok(paid_in(&of_draft(conn, draft_id).await?))
}

fn paid_in(payments: &[Payment]) -> i64 {
    payments
        .iter()
        .filter(|p| p.state == State::Paid.as_str())
        .map(|p| p.amount_cents)
        .sum()
}

/// The payments made for a draft before sending, newest first.
pub async fn of_draft(conn: &impl ConnectionTrait, draft_id: Uuid) -> Result<Vec<Payment>> {
    of(conn, draft_id, None).await
}

/// The payments of a draft (`notice`: none before sending, else for that fee notice),
/// newest first.
async fn of(
    conn: &impl ConnectionTrait,
    draft_id: Uuid,
    notice: Option<Uuid>,
) -> Result<Vec<Payment>> {
    let for_notice = match notice {
        Some(id) => payment::Column::FeeNoticeId.eq(id),
        None => payment::Column::FeeNoticeId.is_null(),
    };
    Ok(payment::Entity::find()
        .filter(payment::Column::DraftId.eq(draft_id))
        .filter(for_notice)
        .order_by_desc(payment::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// The payment `id` of the draft, if `owner` made it before sending.
pub async fn of_owner(
    conn: &impl ConnectionTrait,
    draft_id: Uuid,
    owner: &Owner,
    id: Uuid,
) -> Result<Option<Payment>> {
    Ok(payment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|p| {
            p.draft_id == draft_id && p.owner == owner_key(owner) && p.fee_notice_id.is_none()
        }))
}

/// The payment `id` made for the fee notice (by whoever may see the case).
pub async fn of_notice(
    conn: &impl ConnectionTrait,
    notice_id: Uuid,
    id: Uuid,
) -> Result<Option<Payment>> {
    Ok(payment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|p| p.fee_notice_id == Some(notice_id)))
}

/// Verwendungszweck as payment services take it: at most 27 ASCII letters, digits,
/// spaces and hyphens, in whole words.
fn purpose(name: &str) -> String {
    let folded: String = name
        .chars()
        .flat_map(|c| match c {
            'ä' => "ae".chars().collect::<Vec<_>>(),
            'ö' => "oe".chars().collect(),
            'ü' => "ue".chars().collect(),
            'Ä' => "Ae".chars().collect(),
            'Ö' => "Oe".chars().collect(),
            'Ü' => "Ue".chars().collect(),
            'ß' => "ss".chars().collect(),
            c if c.is_ascii_alphanumeric() || c == ' ' || c == '-' => vec![c],
            _ => vec![' '],
        })
        .collect();
    // Whole words as far as they fit; a first word too long is cut.
    let mut kept = String::new();
    for word in folded.split_whitespace() {
        let longer = if kept.is_empty() {
            word.to_owned()
        } else {
            format!("{kept} {word}")
        };
        if longer.len() > 27 {
            break;
        }
        kept = longer;
    }
    if kept.is_empty() {
        kept = folded.trim().chars().take(27).collect();
    }
    kept
}

/// What sending a draft needs from the citizen's session, kept with its payment so
/// that a fee paid by someone who does not come back still sends the application
/// (`release`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sending {
    /// The trust level of the login (`TrustLevel::as_str`).
    pub trust: String,
    /// The organisation the citizen acts for.
    pub organisation_id: Option<Uuid>,
    pub applicant_name: String,
    pub email: Option<String>,
    /// Where the applicant follows the application, and the verification page.
    pub status_url: String,
    pub verify_page: String,
}

/// What the citizen pays for, for the request.
pub struct Order<'a> {
    pub tenant: &'a Tenant,
    pub payable: Payable<'a>,
    pub owner: &'a Owner,
    /// For a draft of an account: what sending it needs.
    pub sending: Option<&'a Sending>,
    pub fee: &'a Fee,
    /// Where the payment page sends the citizen back to; `{payment}` is replaced by the
    /// payment's id.
    pub return_url: &'a str,
}

/// What a payment is for.
#[derive(Clone, Copy)]
pub enum Payable<'a> {
    /// The fee of a draft, paid before sending.
    Draft(&'a Draft),
    /// A fee notice about an application: the draft it was sent from, and the sent
    /// application.
    Notice {
        notice: &'a notices::FeeNotice,
        draft_id: Uuid,
        submission_id: Uuid,
        service_key: &'a str,
    },
}

impl Payable<'_> {
    fn draft_id(&self) -> Uuid {
        match self {
            Payable::Draft(draft) => draft.id,
            Payable::Notice { draft_id, .. } => *draft_id,
        }
    }

    fn notice_id(&self) -> Option<Uuid> {
        match self {
            Payable::Draft(_) => None,
            Payable::Notice { notice, .. } => Some(notice.id),
        }
    }

    fn submission_id(&self) -> Option<Uuid> {
        match self {
            Payable::Draft(_) => None,
            Payable::Notice { submission_id, .. } => Some(*submission_id),
        }
    }

    fn service_key(&self) -> &str {
        match self {
            Payable::Draft(draft) => &draft.service_key,
            Payable::Notice { service_key, .. } => service_key,
        }
    }
}

/// Starts paying what is still owed for the draft or fee notice: an open payment for the same amount
/// is continued, otherwise a new one is requested from the service.
pub async fn start(
    db: &Db,
    provider: &Provider,
    order: Order<'_>,
) -> Result<std::result::Result<Started, Unavailable>> {
    // What the service says now about the payments still open (one may have been paid
    // in another tab), so that what is owed is known.
    let (draft_id, notice_id) = (order.payable.draft_id(), order.payable.notice_id());
    for open in of(db.conn(), draft_id, notice_id)
        .await?
        .iter()
        .filter(|p| State::parse(&p.state).is_some_and(State::is_open))
    {
        if let Err(problem) = check(db, provider, open).await? {
            tracing::warn!(payment = %open.id, %problem, "payment status unknown");
        }
    }
    let earlier = of(db.conn(), draft_id, notice_id).await?;
    let owed = order.fee.cents - paid_in(&earlier);
    if owed <= 0 {
        return Ok(Ok(Started::Paid));
    }
    let open: Vec<&Payment> = earlier
        .iter()
        .filter(|p| State::parse(&p.state).is_some_and(State::is_open))
        .collect();
    if let Some(same) = open.iter().find(|p| p.amount_cents == owed)
        && let Some(url) = &same.pay_url
    {
        return Ok(Ok(Started::PayAt(url.clone())));
    }
    // At most one payment is open per draft: one for another amount (the answers
    // changed) is given up here. Money still arriving for it is recorded all the same
    // (a late "paid" ends an expired payment) and shows in the finance list.
    for superseded in open {
        payment::Entity::update_many()
            .col_expr(payment::Column::State, Expr::value(State::Expired.as_str()))
            .col_expr(payment::Column::PayUrl, Expr::value(Option::<String>::None))
            .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(payment::Column::Id.eq(superseded.id))
            .filter(
                payment::Column::State.is_in([State::Created.as_str(), State::Pending.as_str()]),
            )
            .exec(db.conn())
            .await?;
    }
    let id = Uuid::now_v7();
    let now = Utc::now();
    let label = order.fee.label.clone();
    let description = match &order.fee.basis {
        Some(basis) => format!("Gebühr {label} ({basis})"),
        None => format!("Gebühr {label}"),
    };
    let items = serde_json::json!([{ "label": label, "cents": owed, "basis": order.fee.basis }]);
    payment::ActiveModel {
        id: Set(id),
        tenant_id: Set(order.tenant.id),
        draft_id: Set(draft_id),
        submission_id: Set(order.payable.submission_id()),
        owner: Set(owner_key(order.owner)),
        service_key: Set(order.payable.service_key().to_owned()),
        purpose: Set(purpose(&label)),
        description: Set(description.clone()),
        amount_cents: Set(owed),
        currency: Set("EUR".into()),
        items: Set(items.to_string()),
        provider: Set(provider.name.clone()),
        request_id: Set(id),
        transaction_id: Set(None),
        pay_url: Set(None),
        reference: Set(None),
        method: Set(None),
        state: Set(State::Created.as_str().into()),
        problem: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        paid_at: Set(None),
        checked_at: Set(None),
        fee_notice_id: Set(notice_id),
        sending: Set(order
            .sending
            .map(|s| serde_json::to_string(s).expect("sending facts serialise"))),
    }
    .insert(db.conn())
    .await?;
    let request = request(id, now, owed, &label, &description, order);
    match provider.client.create(&request).await {
        Ok(created) => {
            let info = created.payment_information;
            let Some(url) = info.transaction_redirect_url.clone() else {
                let problem = "the payment service gave no payment page".to_owned();
                give_up(db, id, &problem).await?;
                return Ok(Err(Unavailable(problem)));
            };
            payment::Entity::update_many()
                .col_expr(
                    payment::Column::TransactionId,
                    Expr::value(info.transaction_id),
                )
                .col_expr(payment::Column::PayUrl, Expr::value(url.clone()))
                .col_expr(payment::Column::State, Expr::value(State::Pending.as_str()))
                .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
                .filter(payment::Column::Id.eq(id))
                .exec(db.conn())
                .await?;
            Ok(Ok(Started::PayAt(url)))
        }
        Err(problem) => {
            tracing::warn!(payment = %id, %problem, "payment service unavailable");
            give_up(db, id, &problem.to_string()).await?;
            Ok(Err(Unavailable(problem.to_string())))
        }
    }
}

fn request(
    id: Uuid,
    at: DateTime<Utc>,
    cents: i64,
    label: &str,
    description: &str,
    order: Order<'_>,
) -> xbezahldienste::PaymentRequest {
    use xbezahldienste::{Item, euros};
    let amount = euros(cents);
    let plain = |text: &str, max: usize| -> String {
        text.chars()
            .map(|c| {
                if c.is_alphanumeric() || " -,.".contains(c) {
                    c
                } else {
                    ' '
                }
            })
            .take(max)
            .collect()
    };
    xbezahldienste::PaymentRequest {
        request_id: id.to_string(),
        request_timestamp: at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        currency: "EUR".into(),
        gros_amount: amount,
        purpose: purpose(label),
        description: plain(description, 250),
        redirect_url: order.return_url.replace("{payment}", &id.to_string()),
        items: vec![Item {
            id: "1".into(),
            reference: order.payable.service_key().chars().take(36).collect(),
            description: plain(label, 250),
            tax_rate: 0.0,
            quantity: 1,
            single_net_amount: amount,
            single_tax_amount: 0.0,
            total_net_amount: amount,
            total_tax_amount: 0.0,
            booking_data: [
                (
                    "leistung".to_owned(),
                    order.payable.service_key().to_owned(),
                ),
                ("stadt".to_owned(), order.tenant.slug.clone()),
            ]
            .into(),
        }],
    }
}

/// A request the service did not take: nothing was charged.
async fn give_up(db: &Db, id: Uuid, problem: &str) -> Result<()> {
    payment::Entity::update_many()
        .col_expr(payment::Column::State, Expr::value(State::Failed.as_str()))
        .col_expr(payment::Column::Problem, Expr::value(problem.to_owned()))
        .col_expr(payment::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(payment::Column::Id.eq(id))
        .exec(db.conn())
        .await?;
    Ok(())
}

/// A payment after asking the service about it.
#[derive(Clone, Debug)]
pub struct Checked {
    pub payment: Payment,
    /// This question changed its state (of questions racing, exactly one does).
    pub recorded: bool,
}

/// Asks the service about the payment and records what it says. A payment without a
/// transaction (the request never reached the service) stays as it is.
pub async fn check(
    db: &Db,
    provider: &Provider,
    payment: &Payment,
) -> Result<std::result::Result<Checked, ProviderError>> {
    let Some(transaction) = &payment.transaction_id else {
        return Ok(Ok(Checked {
            payment: payment.clone(),
            recorded: false,
        }));
    };
    let info = match provider.client.status(transaction).await {
        Ok(found) => found.payment_information,
        Err(problem) => return Ok(Err(problem)),
    };
    let recorded = record(db, payment, &info).await?;
    let now = payment::Entity::find_by_id(payment.id)
        .one(db.conn())
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("payment {}", payment.id)))?;
    // Settling is idempotent; asking whenever the payment is paid (not only when this
    // question recorded it) means whoever comes back after paying sees the notice paid,
    // even while the notification that recorded it is still settling.
    if let Some(notice) = now.fee_notice_id
        && State::parse(&now.state) == Some(State::Paid)
    {
        notices::settle(db, notice).await?;
    }
    if recorded && State::parse(&now.state) == Some(State::Paid) {
        release::queue(db.conn(), &now).await?;
    }
    Ok(Ok(Checked {
        payment: now,
        recorded,
    }))
}

/// Records the service's answer; whether the state changed. Only an open payment
/// changes (a late "paid" also ends an expired one: the money arrived), so answers
/// arriving twice or in any order record one outcome.
async fn record(db: &Db, payment: &Payment, info: &PaymentInformation) -> Result<bool> {
    let now = Utc::now();
    let (state, from): (State, &[State]) = match info.status.as_str() {
        xbezahldienste::PAYED => (
            State::Paid,
            &[State::Created, State::Pending, State::Expired],
        ),
        xbezahldienste::FAILED => (State::Failed, &[State::Created, State::Pending]),
        xbezahldienste::CANCELED => (State::Cancelled, &[State::Created, State::Pending]),
        _ => {
            payment::Entity::update_many()
                .col_expr(payment::Column::CheckedAt, Expr::value(now))
                .filter(payment::Column::Id.eq(payment.id))
                .exec(db.conn())
                .await?;
            return Ok(false);
        }
    };
    let mut update = payment::Entity::update_many()
        .col_expr(payment::Column::State, Expr::value(state.as_str()))
        .col_expr(payment::Column::CheckedAt, Expr::value(now))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .col_expr(payment::Column::PayUrl, Expr::value(Option::<String>::None));
    if state == State::Paid {
        update = update
            .col_expr(payment::Column::PaidAt, Expr::value(now))
            .col_expr(
                payment::Column::Reference,
                Expr::value(info.transaction_reference.clone()),
            )
            .col_expr(
                payment::Column::Method,
                Expr::value(info.payment_method.clone()),
            );
    } else {
        update = update.col_expr(
            payment::Column::Problem,
            Expr::value(info.status_detail.clone()),
        );
    }
    let changed = update
        .filter(payment::Column::Id.eq(payment.id))
        .filter(payment::Column::State.is_in(from.iter().map(|s| s.as_str())))
        .exec(db.conn())
        .await?;
    let recorded = changed.rows_affected == 1;
    if recorded {
        tracing::info!(payment = %payment.id, state = state.as_str(), "payment recorded");
    }
    Ok(recorded)
}

/// The payment of the provider's transaction, for a notification.
pub async fn by_transaction(
    conn: &impl ConnectionTrait,
    provider: &str,
    transaction_id: &str,
) -> Result<Option<Payment>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::Provider.eq(provider))
        .filter(payment::Column::TransactionId.eq(transaction_id))
        .one(conn)
        .await?)
}

/// The housekeeping's round: asks about payments open longer than [`CHECK_AFTER`] and
/// not asked about for as long, and gives up those open past [`EXPIRES_AFTER`].
/// Returns how many were asked about.
pub async fn check_open(db: &Db, provider: &Provider, now: DateTime<Utc>) -> Result<usize> {
    let due = now - CHECK_AFTER;
    let open = payment::Entity::find()
        .filter(payment::Column::Provider.eq(provider.name.as_str()))
        .filter(payment::Column::State.is_in([State::Created.as_str(), State::Pending.as_str()]))
        .filter(payment::Column::CreatedAt.lt(due))
        .filter(
            payment::Column::CheckedAt
                .is_null()
                .or(payment::Column::CheckedAt.lt(due)),
        )
        .all(db.conn())
        .await?;
    for payment in &open {
        if let Err(problem) = check(db, provider, payment).await? {
            tracing::warn!(payment = %payment.id, %problem, "payment status unknown");
        }
    }
    payment::Entity::update_many()
        .col_expr(payment::Column::State, Expr::value(State::Expired.as_str()))
        .col_expr(payment::Column::PayUrl, Expr::value(Option::<String>::None))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::Provider.eq(provider.name.as_str()))
        .filter(payment::Column::State.is_in([State::Created.as_str(), State::Pending.as_str()]))
        .filter(payment::Column::CreatedAt.lt(now - EXPIRES_AFTER))
        .exec(db.conn())
        .await?;
    notices::settle_missed(db, now).await?;
    Ok(open.len())
}

/// Every payment about a sent application: before sending and for its fee notices,
/// oldest first.
pub async fn of_submission(
    conn: &impl ConnectionTrait,
    submission_id: Uuid,
) -> Result<Vec<Payment>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::SubmissionId.eq(submission_id))
        .order_by_asc(payment::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// The payments made before sending that released the submission, paid ones only.
pub async fn released_with(
    conn: &impl ConnectionTrait,
    submission_id: Uuid,
) -> Result<Vec<Payment>> {
    Ok(of_submission(conn, submission_id)
        .await?
        .into_iter()
        .filter(|p| p.fee_notice_id.is_none() && p.state == State::Paid.as_str())
        .collect())
}

/// Names the submission a draft's payments released, in the sending transaction.
pub(crate) async fn released(
    conn: &impl ConnectionTrait,
    draft_id: Uuid,
    submission_id: Uuid,
) -> Result<()> {
    payment::Entity::update_many()
        .col_expr(payment::Column::SubmissionId, Expr::value(submission_id))
        .filter(payment::Column::DraftId.eq(draft_id))
        .exec(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purpose_is_plain_ascii_of_27_characters_at_most() {
        assert_eq!(
            purpose("Bewohnerparkausweis beantragen"),
            "Bewohnerparkausweis"
        );
        assert_eq!(
            purpose("Einbürgerung beantragen (Gebühr)"),
            "Einbuergerung beantragen"
        );
        assert_eq!(
            purpose("Donaudampfschifffahrtsgesellschaftskapitänsmütze").len(),
            27,
            "a first word too long is cut"
        );
        assert!(purpose("Straße & Grün – Sondernutzung").len() <= 27);
        assert!(
            purpose("Außerbetriebsetzung/Kfz")
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        );
    }
}
