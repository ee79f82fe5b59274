//! Joining a case into another: an application sent twice, or a second one about the
//! same matter, is handled in one case. The joined case is closed in the state
//! `zusammengefuehrt` (its applicant reads that it is handled together with another
//! case) and both timelines name the other; nothing is deleted — the joined case's
//! answers, files and messages stay where they are, one click away.

use rathaus_store::Db;
use rathaus_store::entities::case;
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;

use super::deadlines::is_finished;
use super::{Case, Entry, by_reference, change, record};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::Result;
use crate::policy;

/// The state of a case joined into another (closed).
pub const JOINED: &str = "zusammengefuehrt";

/// Why a case was not joined (nothing changed).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No case with that reference the person may see.
    UnknownCase,
    /// A case cannot be joined into itself.
    SameCase,
    /// The case to join is decided or closed already.
    Finished,
    /// The case to join into is decided or closed.
    TargetFinished,
    /// Staff say why (it is in both timelines).
    ReasonMissing,
}

/// Joins `case` (as shown at `version`) into the case with reference `into`, for a
/// member of staff who may see both; returns the case it now belongs to.
pub async fn join(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    version: i32,
    into: &str,
    reason: &str,
) -> Result<std::result::Result<Case, Refusal>> {
    policy::require_case(actor, case)?;
    let target = by_reference(db.conn(), case.tenant_id, into)
        .await?
        .filter(|t| policy::may_see_case(actor, t));
    let Some(target) = target else {
        return Ok(Err(Refusal::UnknownCase));
    };
    let reason = reason.trim();
    let refusal = if target.id == case.id {
        Some(Refusal::SameCase)
    } else if is_finished(case) {
        Some(Refusal::Finished)
    } else if is_finished(&target) {
        Some(Refusal::TargetFinished)
    } else if reason.is_empty() {
        Some(Refusal::ReasonMissing)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        return Ok(Err(refusal));
    }
    let txn = db.begin_write().await?;
    let update = case::Entity::update_many()
        .col_expr(case::Column::State, Expr::value(JOINED))
        .col_expr(
            case::Column::Phase,
            Expr::value(crate::workflow::Phase::Closed.as_str()),
        )
        .col_expr(case::Column::ClosedAt, Expr::value(chrono::Utc::now()))
        .col_expr(
            case::Column::DeadlinePausedAt,
            Option::<chrono::DateTime<chrono::Utc>>::None.into(),
        );
    change(&txn, case, version, update).await?;
    // The other case as checked above, or a conflict: it may have been decided since.
    change(&txn, &target, target.version, case::Entity::update_many()).await?;
    let by = actor.name.clone();
    // The applicant reads the new state; which case it went into only staff see, as it
    // may be someone else's.
    let public =
        Entry::public("state_changed", by.clone()).details(serde_json::json!({ "state": JOINED }));
    record(&txn, case.id, public).await?;
    let into_details = serde_json::json!({ "case": target.reference, "reason": reason });
    record(
        &txn,
        case.id,
        Entry::internal("joined_into", by.clone()).details(into_details),
    )
    .await?;
    let from_details = serde_json::json!({ "case": case.reference, "reason": reason });
    record(
        &txn,
        target.id,
        Entry::internal("joined_from", by).details(from_details),
    )
    .await?;
    let event = Event::new("case.joined", "case")
        .object(case.id)
        .details(serde_json::json!({ "into": target.reference, "reason": reason }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(target))
}
